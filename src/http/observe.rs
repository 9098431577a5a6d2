//! The outermost middleware: gives every request an id (task-local, in the `x-request-id`
//! header and on error pages), a tracing span, a completion log line and its metrics.

use std::sync::Arc;
use std::time::Instant;

use poem::PathPattern;
use poem::http::{HeaderValue, Method};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use tracing::Instrument as _;

use crate::metrics::Metrics;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The current request's id ("-" outside a request).
pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".to_owned())
}

/// The observing middleware.
pub struct Observe {
    /// Where request metrics go.
    pub metrics: Arc<Metrics>,
    /// Accept an incoming `x-request-id` (only behind a trusted proxy).
    pub trust_request_id: bool,
}

impl<E: Endpoint> Middleware<E> for Observe {
    type Output = ObserveEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        ObserveEndpoint {
            inner: ep,
            metrics: Arc::clone(&self.metrics),
            trust_request_id: self.trust_request_id,
        }
    }
}

/// See [`Observe`].
pub struct ObserveEndpoint<E> {
    inner: E,
    metrics: Arc<Metrics>,
    trust_request_id: bool,
}

fn acceptable_id(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl<E: Endpoint> Endpoint for ObserveEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let started = Instant::now();
        let request_id = req
            .header("x-request-id")
            .filter(|id| self.trust_request_id && acceptable_id(id))
            .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_owned);
        // Only standard methods become metric labels; anything else shares one.
        let method = match *req.method() {
            Method::GET
            | Method::HEAD
            | Method::POST
            | Method::PUT
            | Method::PATCH
            | Method::DELETE
            | Method::OPTIONS => req.method().as_str().to_owned(),
            _ => "other".to_owned(),
        };
        // The path is not logged: it can hold secrets (password-reset tokens). The route
        // pattern, known after routing, is.
        let span = tracing::info_span!("request", request_id = %request_id, method = %method);

        let format = super::errors::ErrorFormat::of(&req);
        let inner = async {
            match self.inner.call(req).await {
                Ok(resp) => resp.into_response(),
                Err(err) => super::errors::fallback_response(&err, format),
            }
        };
        let mut resp = REQUEST_ID
            .scope(request_id.clone(), inner.instrument(span.clone()))
            .await;

        // Unknown paths share one label, so scanners cannot blow up the metric's cardinality.
        let route = resp
            .data::<PathPattern>()
            .map(|p| p.0.to_string())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "unmatched".to_owned());
        let status = resp.status().as_u16();
        let elapsed = started.elapsed();
        self.metrics.http_request(&method, &route, status, elapsed);
        span.in_scope(|| {
            if status >= 500 {
                tracing::error!(route = %route, status, latency_ms = elapsed.as_millis(), "request failed");
            } else {
                tracing::info!(route = %route, status, latency_ms = elapsed.as_millis(), "request");
            }
        });
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            resp.headers_mut().insert("x-request-id", v);
        }
        Ok(resp)
    }
}
