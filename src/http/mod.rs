//! HTTP plumbing shared by every domain: middleware (request ids, sessions, CSRF, errors,
//! security headers, deadlines for slow clients), extractors for identity, static assets and
//! response helpers.

#![warn(missing_docs)]

pub mod assets;
pub mod compression;
pub mod context;
pub mod cookies;
pub mod csrf;
pub mod deadlines;
pub mod drain;
pub mod errors;
pub mod extract;
pub mod form;
pub mod guards;
pub mod headers;
pub mod methods;
pub mod observe;
pub mod session;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Request, Response};

use crate::state::AppState;
use context::Flash;
use cookies::{CookieName, CookiePolicy};

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
        CookiePolicy::of(state).set(CookieName::Flash, &sealed, Some(300)),
    );
}

/// `303` to `location` with a flash message.
pub fn redirect_with_flash(state: &AppState, location: &str, flash: Flash) -> Response {
    let mut resp = redirect(location);
    set_flash(state, &mut resp, &flash);
    resp
}

/// The answer to a successful form post sent by htmx: `204` with `HX-Redirect`, so the
/// browser loads `location` as a whole page (a `303` would be followed inside the request and
/// its page swapped into the form), with a flash message.
pub fn htmx_redirect_with_flash(state: &AppState, location: &str, flash: Flash) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert("hx-redirect", v);
    }
    set_flash(state, &mut resp, &flash);
    resp
}

/// The client's address. Behind `hops` trusted proxies (`TRUST_PROXY_HEADERS`,
/// `TRUSTED_PROXY_HOPS`), the `hops`-th `X-Forwarded-For` entry from the right, over every
/// header line: entries further left were written by the client and prove nothing.
pub fn client_ip(req: &Request, trusted_hops: Option<usize>) -> String {
    let peer = || {
        req.remote_addr()
            .as_socket_addr()
            .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
    };
    let Some(hops) = trusted_hops.filter(|h| *h > 0) else {
        return peer();
    };
    let entries: Vec<String> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(','))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    entries
        .len()
        .checked_sub(hops)
        .and_then(|i| entries.get(i))
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
        .cloned()
        .unwrap_or_else(peer)
}

/// A rendered page with a non-200 status (422 for forms with errors).
pub fn with_status(markup: maud::Markup, status: StatusCode) -> Response {
    let mut resp = markup.into_response();
    resp.set_status(status);
    resp
}
