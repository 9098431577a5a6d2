//! Security headers on every response.

use poem::http::{HeaderValue, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

/// Content-Security-Policy: our own scripts and styles only, no inline code, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; media-src 'self'; font-src 'self'; connect-src 'self'; \
    object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Adds the headers.
pub struct SecurityHeaders {
    /// Send HSTS (production, behind HTTPS).
    pub hsts: bool,
}

impl<E: Endpoint> Middleware<E> for SecurityHeaders {
    type Output = SecurityHeadersEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        SecurityHeadersEndpoint {
            inner: ep,
            hsts: self.hsts,
        }
    }
}

/// See [`SecurityHeaders`].
pub struct SecurityHeadersEndpoint<E> {
    inner: E,
    hsts: bool,
}

impl<E: Endpoint> Endpoint for SecurityHeadersEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let format = super::errors::ErrorFormat::of(&req);
        // Errors that escaped every inner layer still get rendered here, so that they carry the
        // same headers as everything else.
        let mut resp = match self.inner.call(req).await {
            Ok(resp) => resp.into_response(),
            Err(err) => super::errors::fallback_response(&err, format),
        };
        let h = resp.headers_mut();
        // Always the same: these have no per-route variant worth having.
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        // Policies a route may set for itself, and then its own wins: served uploads tighten
        // the CSP (a sandbox), the API docs adapt it, download and order-link pages send no
        // referrer at all (their URLs carry a secret).
        for (name, value) in [
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
            (
                header::HeaderName::from_static("cross-origin-opener-policy"),
                "same-origin",
            ),
            (
                header::HeaderName::from_static("permissions-policy"),
                "camera=(), microphone=(), geolocation=(), payment=()",
            ),
        ] {
            h.entry(name)
                .or_insert_with(|| HeaderValue::from_static(value));
        }
        if self.hsts {
            h.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000; includeSubDomains"),
            );
        }
        // Pages are personal (user menu, CSRF token): never cache them in shared caches.
        if !h.contains_key(header::CACHE_CONTROL) {
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store, private"),
            );
        }
        Ok(resp)
    }
}
