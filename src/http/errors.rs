//! Turns errors into responses: one error, three renderings.
//!
//! - a full page in the site layout with the request id (plain browser requests),
//! - a toast swapped into `#toasts` (htmx requests),
//! - a JSON body (`/api/...` or `Accept: application/json`),
//!
//! plus the login redirect for `Unauthorized` (`HX-Redirect` for htmx). Internal errors are
//! logged once here with their cause chain; users only ever see the request id.

use std::sync::Arc;

use poem::PathPattern;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use super::context::{Flash, RequestContext, SessionState};
use super::observe::current_request_id;
use crate::state::AppState;
use crate::error::AppError;
use crate::views::errors::{error_section, standalone_error_page, title_for, toast};
use crate::views::{PageMeta, page};

/// The error-rendering middleware (inside the session middleware, so pages get the layout).
pub struct ErrorPages {
    /// Shared state (cookie keys for the login flash).
    pub state: AppState,
}

impl<E: Endpoint> Middleware<E> for ErrorPages {
    type Output = ErrorPagesEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        ErrorPagesEndpoint {
            inner: ep,
            state: self.state.clone(),
        }
    }
}

/// See [`ErrorPages`].
pub struct ErrorPagesEndpoint<E> {
    inner: E,
    state: AppState,
}

struct RequestFacts {
    ctx: Option<Arc<RequestContext>>,
    format: ErrorFormat,
    is_get: bool,
}

impl<E: Endpoint> Endpoint for ErrorPagesEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let facts = RequestFacts {
            ctx: req.data::<Arc<RequestContext>>().cloned(),
            format: ErrorFormat::of(&req),
            is_get: req.method() == poem::http::Method::GET,
        };
        match self.inner.call(req).await {
            Ok(resp) => Ok(resp.into_response()),
            Err(err) => {
                let pattern = err.data::<PathPattern>().cloned();
                let mut resp = render(&self.state, &err, &facts);
                if let Some(p) = pattern {
                    resp.set_data(p);
                }
                Ok(resp)
            }
        }
    }
}

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
fn describe_for(err: &poem::Error, format: ErrorFormat) -> (StatusCode, String) {
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

fn render(state: &AppState, err: &poem::Error, facts: &RequestFacts) -> Response {
    let (status, message) = describe_for(err, facts.format);
    let request_id = current_request_id();
    let app_error = err.downcast_ref::<AppError>();

    if matches!(app_error, Some(AppError::Unauthorized)) && facts.format != ErrorFormat::Json {
        return login_redirect(state, facts);
    }

    let mut resp = if facts.format == ErrorFormat::Json {
        json_error(status, &message, &request_id)
    } else if facts.format == ErrorFormat::Toast {
        toast_response(status, &message, &request_id)
    } else {
        let title = title_for(status.as_u16());
        let section = error_section(status.as_u16(), title, &message, &request_id);
        let markup = match &facts.ctx {
            Some(ctx) => page(ctx, PageMeta::titled(title), section),
            None => standalone_error_page(status.as_u16(), title, &message, &request_id),
        };
        let mut r = markup.into_response();
        r.set_status(status);
        r
    };
    if let Some(AppError::RateLimited { retry_after } | AppError::Busy { retry_after }) = app_error
        && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// Sends the browser to the login page, remembering where it was going.
fn login_redirect(state: &AppState, facts: &RequestFacts) -> Response {
    let (next, expired, htmx) = match &facts.ctx {
        Some(ctx) => (
            facts.is_get.then(|| ctx.path_and_query.clone()),
            matches!(ctx.session, SessionState::Expired),
            ctx.is_htmx,
        ),
        None => (None, false, false),
    };
    let location = match next {
        Some(next) => format!(
            "/login?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &next)
                .finish()
        ),
        None => "/login".to_owned(),
    };
    let flash = if expired {
        Flash::info("Your session has ended. Please log in again.")
    } else {
        Flash::info("Please log in to continue.")
    };
    let mut resp = if htmx {
        let mut r = StatusCode::OK.into_response();
        if let Ok(v) = HeaderValue::from_str(&location) {
            r.headers_mut().insert("hx-redirect", v);
        }
        r
    } else {
        super::redirect(&location)
    };
    super::set_flash(state, &mut resp, &flash);
    resp
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

fn json_error(status: StatusCode, message: &str, request_id: &str) -> Response {
    let body = serde_json::json!({
        "error": { "status": status.as_u16(), "message": message },
        "request_id": request_id,
    });
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

fn toast_response(status: StatusCode, message: &str, request_id: &str) -> Response {
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
    resp
}
