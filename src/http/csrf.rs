//! CSRF protection for every unsafe request (POST, PUT, PATCH, DELETE).
//!
//! The secret is an HMAC of the session (or, for guests, the visitor id) under a server key, so
//! it needs no storage and changes at login; each response carries it masked with a fresh pad. Forms send it as the `csrf_token` field, htmx as
//! the `X-CSRF-Token` header (set once on `<body hx-headers>`), multipart uploads in the query
//! string. Requests the browser marks as cross-site are refused outright. The Stripe webhook
//! is exempt: it is authenticated by its signature instead. So are JSON API calls that do not
//! ride on a signed-in session (see [`api_call_without_session`]).

use std::sync::Arc;

use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, Middleware, Request, Result};

use subtle::ConstantTimeEq as _;

use super::context::{RequestContext, SessionState};
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
        // Every non-streaming body is bounded here, before anything reads it, wherever the token
        // travels. (Request bodies are never inflated: see `http::compression`.)
        let body = if is_multipart(&req) {
            None
        } else {
            let bytes = req
                .take_body()
                .into_bytes_limit(MAX_FORM_BYTES)
                .await
                .map_err(|_| poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE))?;
            req.set_body(bytes.clone());
            Some(bytes)
        };
        let exempt = EXEMPT_PREFIXES
            .iter()
            .any(|p| req.uri().path().starts_with(p))
            || api_call_without_session(&req);
        if !exempt {
            check(&req, body.as_deref()).await?;
        }
        self.inner.call(req).await
    }
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

fn is_multipart(req: &Request) -> bool {
    req.header(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/"))
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
    let urlencoded = req
        .header(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("x-www-form-urlencoded"));
    match body {
        Some(bytes) if urlencoded => form_field(bytes),
        // Streaming bodies (multipart uploads) are not buffered: the token rides in the query.
        _ => req.uri().query().and_then(|q| form_field(q.as_bytes())),
    }
}
