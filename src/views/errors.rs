//! Error pages and toasts. Every rendering shows the request id, so a customer can quote it.

use maud::{DOCTYPE, Markup, html};

use crate::http::assets;

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
