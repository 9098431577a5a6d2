//! CSRF protection for every unsafe request (POST, PUT, PATCH, DELETE).
//!
//! The secret is an HMAC of the session (or, for guests, the visitor id) under a server key, so
//! it needs no storage and changes at login; each response carries it masked with a fresh pad. Forms send it as the `csrf_token` field, htmx as
//! the `X-CSRF-Token` header (set once on `<body hx-headers>`), multipart uploads in the query
//! string. Requests the browser marks as cross-site are refused outright. The Stripe webhook
//! is exempt: it is authenticated by its signature instead. So are JSON API calls that do not
//! ride on a signed-in session (see [`api_call_without_session`]).
//!
//! Only a URL-encoded form can carry the token in its body; every other request is judged on
//! its head, before a byte of its body is read.

use std::sync::Arc;

use poem::error::ReadBodyError;
use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, Middleware, Request, Result};

use subtle::ConstantTimeEq as _;

use super::context::{RequestContext, SessionState};
use super::deadlines::body_timeout;
use crate::crypto::unmask;
use crate::error::AppError;

/// Largest body of an unsafe request that is not a streaming upload.
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// Paths that authenticate otherwise (signatures) and so skip the token check.
const EXEMPT_PREFIXES: &[&str] = &["/webhooks/"];

/// The CSRF middleware.
pub struct Csrf;

impl<E: Endpoint> Middleware<E> for Csrf {
    type Output = CsrfEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        CsrfEndpoint { inner: ep }
    }
}

/// See [`Csrf`].
pub struct CsrfEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for CsrfEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let unsafe_method = !matches!(
            *req.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        if !unsafe_method {
            return self.inner.call(req).await;
        }
        let exempt = EXEMPT_PREFIXES
            .iter()
            .any(|p| req.uri().path().starts_with(p))
            || api_call_without_session(&req);
        // Judge the token before the body whenever the body cannot carry it (a header token, or
        // anything but a URL-encoded form): a forged request then costs us no body at all.
        let token_in_body = !exempt && req.header("x-csrf-token").is_none() && is_urlencoded(&req);
        let cross_site = req.header("sec-fetch-site") == Some("cross-site");
        if !exempt && (!token_in_body || cross_site) {
            check(&req, None).await?;
        }
        // Every non-streaming body is bounded here, in size (and in time, by
        // `http::deadlines`), before anything else reads it. (Request bodies are never
        // inflated: see `http::compression`.)
        let body = if is_streamed(&req) {
            None
        } else {
            let read = req.take_body().into_bytes_limit(MAX_FORM_BYTES).await;
            let bytes = read.map_err(|e| unreadable(&req, &e))?;
            req.set_body(bytes.clone());
            Some(bytes)
        };
        if token_in_body {
            check(&req, body.as_deref()).await?;
        }
        self.inner.call(req).await
    }
}

/// Too large (413), too slow (408), or cut short by the client (400).
fn unreadable(req: &Request, e: &ReadBodyError) -> poem::Error {
    let status = if let Some(late) = body_timeout(req) {
        tracing::debug!(reason = %late, "form body too slow");
        StatusCode::REQUEST_TIMEOUT
    } else if matches!(e, ReadBodyError::PayloadTooLarge) {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        StatusCode::BAD_REQUEST
    };
    poem::Error::from_status(status)
}

/// CSRF is about ambient authority: the session cookie a browser attaches by itself. The JSON
/// API (`/api/`) has exactly one such credential, an admin's session, so its calls are checked
/// only when they ride on a signed-in session. With an `Authorization` header the API looks at
/// that header alone and never at the cookie (a forging page cannot set it, and a bad one is
/// 400 or 401); without a header or a live session there is nothing to forge, and the API
/// answers 401 itself, as its spec says, instead of a CSRF 403 that would send a client
/// looking for a token it does not need.
fn api_call_without_session(req: &Request) -> bool {
    req.uri().path().starts_with("/api/")
        && (req.headers().contains_key(header::AUTHORIZATION)
            || req
                .data::<Arc<RequestContext>>()
                .is_some_and(|ctx| ctx.user().is_none()))
}

fn is_urlencoded(req: &Request) -> bool {
    req.header(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("x-www-form-urlencoded"))
}

/// Uploads stream: multipart forms and resumable uploads' pieces
/// (`application/offset+octet-stream`). Their token is judged on the head.
fn is_streamed(req: &Request) -> bool {
    super::deadlines::BodyClass::of(req) == super::deadlines::BodyClass::Upload
}

async fn check(req: &Request, body: Option<&[u8]>) -> Result<()> {
    if req.header("sec-fetch-site") == Some("cross-site") {
        return Err(AppError::CsrfRejected.into());
    }
    let Some(ctx) = req.data::<Arc<RequestContext>>().cloned() else {
        return Err(AppError::CsrfRejected.into());
    };
    let provided = match req.header("x-csrf-token") {
        Some(token) => Some(token.to_owned()),
        None => token_from_body_or_query(req, body),
    };
    let valid = provided.as_deref().and_then(unmask).is_some_and(|secret| {
        let current: bool = secret.ct_eq(&ctx.csrf_secret).into();
        let previous = ctx
            .csrf_previous
            .is_some_and(|p| bool::from(secret.ct_eq(&p)));
        current | previous
    });
    if valid {
        return Ok(());
    }
    // A form from before the session ended was bound to that session: the honest answer is
    // "log in again", not "forged request".
    if matches!(ctx.session, SessionState::Expired) {
        return Err(AppError::Unauthorized.into());
    }
    Err(AppError::CsrfRejected.into())
}

fn token_from_body_or_query(req: &Request, body: Option<&[u8]>) -> Option<String> {
    let form_field = |bytes: &[u8]| {
        form_urlencoded::parse(bytes)
            .find(|(k, _)| k == "csrf_token")
            .map(|(_, v)| v.into_owned())
    };
    match body {
        Some(bytes) if is_urlencoded(req) => form_field(bytes),
        // Streaming bodies (multipart uploads) are not buffered: the token rides in the query.
        _ => req.uri().query().and_then(|q| form_field(q.as_bytes())),
    }
}
