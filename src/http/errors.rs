//! Turns errors into responses: one error, three renderings.
//!
//! - a page with the request id (plain browser requests),
//! - a toast swapped into `#toasts` (htmx requests),
//! - a JSON body (`/api/...` or `Accept: application/json`).
//!
//! This module holds what every rendering shares and the last-resort renderings that need no
//! layout (outside the session middleware: the store unreachable, a panic). Inside it,
//! `views::errors::ErrorPages` renders errors in the site layout and sends `Unauthorized` to
//! the login page. Internal errors are logged once, in [`describe`], with their cause chain;
//! users only ever see the request id.

use poem::PathPattern;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Request, Response};

use maud::{DOCTYPE, Markup, html};

use super::assets;
use super::observe::current_request_id;
use crate::error::AppError;

/// Status and user-facing message of any error (ours or Poem's).
fn describe(err: &poem::Error) -> (StatusCode, String) {
    if let Some(app) = err.downcast_ref::<AppError>() {
        if let AppError::Internal(cause) = app {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        return (app.status(), app.to_string());
    }
    let status = err.status();
    let message = match status.as_u16() {
        404 => "We could not find that page.",
        405 => "That action is not available at this address.",
        413 => "That is larger than we accept.",
        400..=499 => "The request was incomplete or not understood. Go back and try again.",
        _ => {
            tracing::error!(error = %err, "unhandled error");
            "Something went wrong on our side. It has been logged."
        }
    };
    (status, message.to_owned())
}

/// As [`describe`]; a JSON client of a malformed request also gets the parser's own words
/// (`failed to parse parameter "expires_in"`), which name the field to fix.
pub fn describe_for(err: &poem::Error, format: ErrorFormat) -> (StatusCode, String) {
    let (status, message) = describe(err);
    if format == ErrorFormat::Json
        && status.is_client_error()
        && err.downcast_ref::<AppError>().is_none()
    {
        let detail = err.to_string();
        if !detail.is_empty() && detail.len() < 300 {
            return (status, detail);
        }
    }
    (status, message)
}

/// How a client wants errors: decided from the request alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    /// An HTML page.
    Page,
    /// An htmx toast.
    Toast,
    /// A JSON body.
    Json,
}

impl ErrorFormat {
    /// Reads `Accept`, the path and `HX-Request`.
    pub fn of(req: &Request) -> Self {
        let accept = req.header(header::ACCEPT).unwrap_or_default();
        if req.uri().path().starts_with("/api/")
            || (accept.contains("application/json") && !accept.contains("text/html"))
        {
            ErrorFormat::Json
        } else if req.header("hx-request") == Some("true") {
            ErrorFormat::Toast
        } else {
            ErrorFormat::Page
        }
    }
}

/// A JSON error body with the request id.
pub fn json_error(status: StatusCode, message: &str, request_id: &str) -> Response {
    let body = serde_json::json!({
        "error": { "status": status.as_u16(), "message": message },
        "request_id": request_id,
    });
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

/// An htmx toast swapped into `#toasts`.
pub fn toast_response(status: StatusCode, message: &str, request_id: &str) -> Response {
    let mut r = toast(message, request_id).into_response();
    r.set_status(status);
    r.headers_mut()
        .insert("hx-retarget", HeaderValue::from_static("#toasts"));
    r.headers_mut()
        .insert("hx-reswap", HeaderValue::from_static("beforeend"));
    r
}

/// Last-resort rendering outside the session middleware (store unreachable): no layout.
pub fn fallback_response(err: &poem::Error, format: ErrorFormat) -> Response {
    let (status, message) = describe_for(err, format);
    let request_id = current_request_id();
    let mut resp = match format {
        ErrorFormat::Json => json_error(status, &message, &request_id),
        ErrorFormat::Toast => toast_response(status, &message, &request_id),
        ErrorFormat::Page => {
            let mut resp = standalone_error_page(
                status.as_u16(),
                title_for(status.as_u16()),
                &message,
                &request_id,
            )
            .into_response();
            resp.set_status(status);
            resp
        }
    };
    if let Some(p) = err.data::<PathPattern>() {
        resp.set_data(p.clone());
    }
    super::methods::add_allow_header(err, &mut resp);
    resp
}

/// The body of an error page (inside the layout).
pub fn error_section(status: u16, title: &str, message: &str, request_id: &str) -> Markup {
    html! {
        section.error-page.container {
            p.error-code { (status) }
            h1 { (title) }
            p { (message) }
            p.request-id { "Request id: " code { (request_id) } }
            a.button.button-primary href="/" { "Back to the home page" }
        }
    }
}

/// A complete error page for when the layout's context is unavailable (the session store is
/// down, a panic): no user menu, same look.
pub fn standalone_error_page(status: u16, title: &str, message: &str, request_id: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · FlashStudio" }
                link rel="stylesheet" href=(assets::url("app.css"));
            }
            body {
                header.site-header {
                    div.container.header-inner {
                        a.brand href="/" { span.brand-mark aria-hidden="true" { "▶" } span { "FlashStudio" } }
                    }
                }
                main #main .site-main { (error_section(status, title, message, request_id)) }
            }
        }
    }
}

/// An htmx toast (swapped into `#toasts`).
pub fn toast(message: &str, request_id: &str) -> Markup {
    html! {
        div.toast.toast-error role="alert" {
            (message) " " small { "Request id " (request_id) }
        }
    }
}

/// Heading for a status code.
pub fn title_for(status: u16) -> &'static str {
    match status {
        400 => "That request did not make sense",
        401 => "Please log in",
        403 => "Not allowed",
        404 => "Page not found",
        405 => "Not available here",
        409 => "That changed in the meantime",
        413 => "That is too large",
        422 => "Please check your input",
        429 => "Slow down a little",
        503 => "Back in a moment",
        _ => "Something went wrong",
    }
}
