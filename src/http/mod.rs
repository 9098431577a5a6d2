//! HTTP plumbing shared by every domain: middleware (request ids, sessions, CSRF, errors,
//! security headers), extractors for identity, static assets and response helpers.

pub mod assets;
pub mod context;
pub mod cookies;
pub mod csrf;
pub mod errors;
pub mod extract;
pub mod guards;
pub mod headers;
pub mod observe;
pub mod session;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Request, Response};

use crate::app::AppState;
use context::Flash;
use cookies::CookieName;

/// `303 See Other` to `location` (the answer to a successful form post).
pub fn redirect(location: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// Adds a signed flash cookie to `resp`, shown by the next page that renders.
pub fn set_flash(state: &AppState, resp: &mut Response, flash: &Flash) {
    let sealed = state.keys.cookies.seal(&flash.encode());
    resp.headers_mut().append(
        header::SET_COOKIE,
        state.cookies.set(CookieName::Flash, &sealed, Some(300)),
    );
}

/// `303` to `location` with a flash message.
pub fn redirect_with_flash(state: &AppState, location: &str, flash: Flash) -> Response {
    let mut resp = redirect(location);
    set_flash(state, &mut resp, &flash);
    resp
}

/// The client's address. Behind a trusted proxy (`TRUST_PROXY_HEADERS`), the right-most
/// `X-Forwarded-For` entry: the one our own proxy appended, which the client cannot forge.
pub fn client_ip(req: &Request, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(forwarded) = req.header("x-forwarded-for")
        && let Some(last) = forwarded.rsplit(',').map(str::trim).find(|s| !s.is_empty())
    {
        return last.to_owned();
    }
    req.remote_addr()
        .as_socket_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

/// A rendered page with a non-200 status (422 for forms with errors).
pub fn with_status(markup: maud::Markup, status: StatusCode) -> Response {
    let mut resp = markup.into_response();
    resp.set_status(status);
    resp
}
