//! Draining before a stop. Between SIGTERM and the moment the listener closes, the replica
//! still accepts and serves, but `/ready` answers 503 (so load balancers take it out of
//! rotation) and every HTTP/1 response carries `Connection: close` (so no client or proxy
//! keeps a connection that the stop would cut while a request is on it).

use crate::state::Drain;
use poem::http::{HeaderValue, Version, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

/// Adds `Connection: close` to every HTTP/1 response while draining.
pub struct CloseWhenDraining(pub Drain);

impl<E: Endpoint> Middleware<E> for CloseWhenDraining {
    type Output = CloseWhenDrainingEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        CloseWhenDrainingEndpoint {
            inner: ep,
            drain: self.0.clone(),
        }
    }
}

/// See [`CloseWhenDraining`].
pub struct CloseWhenDrainingEndpoint<E> {
    inner: E,
    drain: Drain,
}

impl<E: Endpoint> Endpoint for CloseWhenDrainingEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        // HTTP/2 has no per-connection header; its connections end with GOAWAY at the stop.
        let http1 = req.version() <= Version::HTTP_11;
        let mut resp = self.inner.call(req).await?.into_response();
        if http1 && self.drain.is_draining() {
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        Ok(resp)
    }
}
