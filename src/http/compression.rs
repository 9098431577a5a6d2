//! Response compression for text only.
//!
//! Poem's own middleware compresses every response and inflates request bodies. We compress
//! pages, styles, scripts and JSON, and leave alone what must keep its length and ranges (files
//! from storage, downloads) or is compressed already (images, video, archives). Request bodies
//! are never inflated, so an upload's limits count the bytes actually sent.

use poem::http::header;
use poem::web::{Compress, CompressionAlgo};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

/// The middleware.
pub struct SelectiveCompression;

impl<E: Endpoint> Middleware<E> for SelectiveCompression {
    type Output = SelectiveCompressionEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        SelectiveCompressionEndpoint { inner: ep }
    }
}

/// See [`SelectiveCompression`].
pub struct SelectiveCompressionEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for SelectiveCompressionEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let algo = negotiate(req.header(header::ACCEPT_ENCODING).unwrap_or_default());
        let resp = self.inner.call(req).await?.into_response();
        match algo {
            Some(algo) if compressible(&resp) => Ok(Compress::new(resp, algo).into_response()),
            _ => Ok(resp),
        }
    }
}

/// Brotli when offered, else gzip; `q=0` means no.
fn negotiate(accept: &str) -> Option<CompressionAlgo> {
    let offered = |name: &str| {
        accept.split(',').any(|part| {
            let mut pieces = part.split(';').map(str::trim);
            pieces.next() == Some(name)
                && !pieces.any(|p| p.replace(' ', "") == "q=0" || p.replace(' ', "") == "q=0.0")
        })
    };
    if offered("br") {
        Some(CompressionAlgo::BR)
    } else if offered("gzip") {
        Some(CompressionAlgo::GZIP)
    } else {
        None
    }
}

fn compressible(resp: &Response) -> bool {
    let h = resp.headers();
    if h.contains_key(header::CONTENT_ENCODING)
        || h.contains_key(header::CONTENT_RANGE)
        || h.contains_key(header::CONTENT_DISPOSITION)
        || resp.status() == poem::http::StatusCode::PARTIAL_CONTENT
    {
        return false;
    }
    let content_type = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    content_type.starts_with("text/html")
        || content_type.starts_with("text/css")
        || content_type.starts_with("text/javascript")
        || content_type.starts_with("application/javascript")
        || content_type.starts_with("application/json")
        || content_type.starts_with("image/svg+xml")
        || content_type.starts_with("text/plain")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_prefers_brotli_and_respects_q_zero() {
        assert!(matches!(
            negotiate("gzip, deflate, br"),
            Some(CompressionAlgo::BR)
        ));
        assert!(matches!(negotiate("gzip"), Some(CompressionAlgo::GZIP)));
        assert!(matches!(
            negotiate("br;q=0, gzip"),
            Some(CompressionAlgo::GZIP)
        ));
        assert!(negotiate("identity").is_none());
        assert!(negotiate("").is_none());
    }
}
