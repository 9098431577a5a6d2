//! Signed, expiring links to stored files, and the route that serves them.
//!
//! On Azure a download link is a read-only SAS URL of the blob (its content type and
//! disposition were set at upload). Locally, and for playback on both backends, it is an app
//! URL `/media/{id}/{variant}?exp=..&sig=..` signed with HMAC: locally the app streams the file
//! (with HTTP ranges, so video seeks), on Azure it redirects to a SAS of a few minutes.

use std::time::Duration;

use futures_util::TryStreamExt as _;
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Path, Query};
use poem::{Body, Request, Response, handler};
use serde::Deserialize;

use super::model::Media;
use super::store;
use crate::db::{now, parse_id};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::StorageError;

/// Default lifetime of a download link.
pub const DEFAULT_LINK_TTL: Duration = Duration::from_secs(60 * 60);
/// Longest lifetime a download link may have.
pub const MAX_LINK_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// Lifetime of the SAS a playback redirect hands out.
const REDIRECT_SAS_TTL: u64 = 15 * 60;

/// Policy of everything served from storage: nothing in it may run or be framed.
const MEDIA_CSP: &str =
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox";

/// Which blob of a media row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The uploaded file.
    File,
    /// The small preview (images and video).
    Thumb,
    /// The video poster.
    Poster,
    /// A video's showreel clip (its first seconds, small, silent).
    Reel,
    /// A picture at most 1280 px wide: its rendition when the original is wider, else itself.
    Full,
    /// A film for the browser: its web rendition when made, else the original.
    Web,
    /// A film's watermarked preview (only when made).
    Preview,
}

impl Variant {
    fn as_str(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Thumb => "thumb",
            Self::Poster => "poster",
            Self::Reel => "reel",
            Self::Full => "full",
            Self::Web => "web",
            Self::Preview => "preview",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "file" => Some(Self::File),
            "thumb" => Some(Self::Thumb),
            "poster" => Some(Self::Poster),
            "reel" => Some(Self::Reel),
            "full" => Some(Self::Full),
            "web" => Some(Self::Web),
            "preview" => Some(Self::Preview),
            _ => None,
        }
    }

    fn key(self, media: &Media) -> Option<&str> {
        match self {
            Self::File => Some(&media.blob_key),
            // An image not analysed yet is its own card rendition, so a `srcset` that names the
            // thumbnail never shows a broken image.
            Self::Thumb => media.thumb_key.as_deref().or_else(|| {
                (media.media_kind() == super::kinds::MediaKind::Image)
                    .then_some(media.blob_key.as_str())
            }),
            Self::Poster => media.poster_key.as_deref(),
            Self::Reel => media.reel_key.as_deref(),
            Self::Full => media.full_key.as_deref().or(Some(media.blob_key.as_str())),
            Self::Web => media.web_key.as_deref().or(Some(media.blob_key.as_str())),
            Self::Preview => media.preview_key.as_deref(),
        }
    }
}

fn message(id: &str, variant: Variant, expires: i64) -> String {
    format!("media:{id}:{}:{expires}", variant.as_str())
}

/// `/media/{id}/{variant}?exp=..&sig=..`, valid until `expires` (epoch seconds).
pub fn app_path(state: &AppState, id: &str, variant: Variant, expires: i64) -> String {
    let sig = state.keys.urls.sign(&message(id, variant, expires));
    format!("/media/{id}/{}?exp={expires}&sig={sig}", variant.as_str())
}

/// The hour [`page_path`]s are signed for: fragments holding them are valid while it lasts.
pub fn page_epoch() -> i64 {
    now() / 3600
}

/// A path for pages (thumbnails, players) that stays the same for a while so browsers can
/// cache it: it expires at the end of the next full hour.
pub fn page_path(state: &AppState, id: &str, variant: Variant) -> String {
    let expires = (page_epoch() + 2) * 3600;
    app_path(state, id, variant, expires)
}

/// A download link handed to someone: absolute, expiring after `ttl`.
#[derive(Debug, Clone)]
pub struct DownloadLink {
    pub url: String,
    /// Epoch seconds.
    pub expires_at: i64,
}

/// Makes a download link of the file, valid for `ttl` (clamped to one second .. seven days).
pub async fn download_link(
    state: &AppState,
    media: &Media,
    ttl: Duration,
) -> Result<DownloadLink, StorageError> {
    let ttl = ttl.clamp(Duration::from_secs(1), MAX_LINK_TTL);
    let expires_at = now() + i64::try_from(ttl.as_secs()).unwrap_or(0);
    if let Some(sas) = state.storage.sas_url(&media.blob_key, ttl).await? {
        return Ok(DownloadLink {
            url: sas.to_string(),
            expires_at,
        });
    }
    Ok(DownloadLink {
        url: state.url(&app_path(state, &media.id, Variant::File, expires_at)),
        expires_at,
    })
}

/// Query of a signed media URL.
#[derive(Debug, Deserialize)]
pub struct SignedQuery {
    exp: Option<i64>,
    sig: Option<String>,
}

/// `GET /media/:id/:variant?exp=..&sig=..`: a signed link to a stored file.
#[handler]
pub async fn serve(
    req: &Request,
    Path((id, variant)): Path<(String, String)>,
    Query(q): Query<SignedQuery>,
    Data(state): Data<&AppState>,
) -> AppResult<Response> {
    let (Some(id), Some(variant)) = (parse_id(&id), Variant::parse(&variant)) else {
        return Err(AppError::NotFound);
    };
    let (Some(expires), Some(sig)) = (q.exp, q.sig) else {
        return Err(AppError::Forbidden);
    };
    if !state
        .keys
        .urls
        .verify(&message(&id, variant, expires), &sig)
    {
        return Err(AppError::Forbidden);
    }
    let remaining = expires - now();
    if remaining <= 0 {
        return Err(AppError::Gone("This link has expired. Ask for a new one."));
    }
    let media = store::find_ready(state.db.pool(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let key = variant.key(&media).ok_or(AppError::NotFound)?.to_owned();

    let remaining = u64::try_from(remaining).unwrap_or(0);
    if let Some(sas) = state
        .storage
        .sas_url(&key, Duration::from_secs(remaining.min(REDIRECT_SAS_TTL)))
        .await
        .map_err(storage_error)?
    {
        return Ok(Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, sas.as_str())
            .header(header::CACHE_CONTROL, "no-store")
            .finish());
    }
    let cache = format!("private, max-age={}", remaining.min(3600));
    stream_local(req, state, &media, variant, &key, cache, None).await
}

/// What a streamed file's body sent, told once it ends or is dropped (the client went away).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Bytes handed to the connection.
    pub bytes: u64,
    /// The body ran to its end and held the file's last byte: a download completed (the
    /// whole file, or the last range of a resumed one).
    pub through_end: bool,
}

/// Told what a streamed file's body sent.
pub type OnSent = Box<dyn FnOnce(Sent) + Send + 'static>;

/// Streams the uploaded file of `media` through the app as an attachment, on either backend
/// (never a redirect to a SAS: the app must see the bytes go), honouring a single `Range`;
/// `on_sent` is told what went out. For downloads that are counted.
pub async fn stream_attachment(
    req: &Request,
    state: &AppState,
    media: &Media,
    on_sent: OnSent,
) -> AppResult<Response> {
    let cache = "private, no-store".to_owned();
    stream_local(
        req,
        state,
        media,
        Variant::File,
        &media.blob_key,
        cache,
        Some(on_sent),
    )
    .await
}

type ByteStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send>>;

/// A body stream that counts what it hands out and tells [`OnSent`] when it is dropped.
struct Watched {
    inner: ByteStream,
    bytes: u64,
    /// The body's length: it ran to its end when this much went out (the server may drop a
    /// body of known length without asking for its end).
    length: u64,
    ends_file: bool,
    on_sent: Option<OnSent>,
}

impl futures_util::Stream for Watched {
    type Item = std::io::Result<bytes::Bytes>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let next = this.inner.as_mut().poll_next(cx);
        if let std::task::Poll::Ready(Some(Ok(chunk))) = &next {
            this.bytes += chunk.len() as u64;
        }
        next
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if let Some(on_sent) = self.on_sent.take() {
            on_sent(Sent {
                bytes: self.bytes,
                through_end: self.ends_file && self.bytes >= self.length,
            });
        }
    }
}

/// Streams a blob through the app, honouring a single `Range`: every blob locally, and the
/// counted downloads on both backends.
async fn stream_local(
    req: &Request,
    state: &AppState,
    media: &Media,
    variant: Variant,
    key: &str,
    cache: String,
    on_sent: Option<OnSent>,
) -> AppResult<Response> {
    let size = state
        .storage
        .size(key)
        .await
        .map_err(storage_error)?
        .ok_or(AppError::NotFound)?;
    let range = match req.header(header::RANGE) {
        Some(raw) => match parse_range(raw, size) {
            RangeRequest::Satisfiable(r) => Some(r),
            RangeRequest::Ignore => None,
            RangeRequest::Unsatisfiable => {
                return Ok(Response::builder()
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{size}"))
                    .finish());
            }
        },
        None => None,
    };
    let result = state
        .storage
        .get(key, range.clone())
        .await
        .map_err(storage_error)?;
    let stream: ByteStream = Box::pin(
        result
            .into_stream()
            .map_err(|e| std::io::Error::other(e.to_string())),
    );
    let ends_file = range.as_ref().is_none_or(|r| r.end == size);
    let length = range.as_ref().map_or(size, |r| r.end - r.start);
    let counted = on_sent.is_some();
    let stream: ByteStream = match on_sent {
        Some(on_sent) => Box::pin(Watched {
            inner: stream,
            bytes: 0,
            length,
            ends_file,
            on_sent: Some(on_sent),
        }),
        None => stream,
    };
    let (content_type, disposition) = match variant {
        Variant::File if counted => (
            media.content_type.clone(),
            format!("attachment; filename=\"{}\"", media.download_name()),
        ),
        Variant::File => (media.content_type.clone(), media.content_disposition()),
        Variant::Thumb if media.thumb_key.is_none() => {
            (media.content_type.clone(), "inline".to_owned())
        }
        Variant::Thumb | Variant::Poster => ("image/jpeg".to_owned(), "inline".to_owned()),
        Variant::Reel => ("video/mp4".to_owned(), "inline".to_owned()),
        Variant::Full if media.full_key.is_none() => {
            (media.content_type.clone(), media.content_disposition())
        }
        Variant::Full => ("image/jpeg".to_owned(), "inline".to_owned()),
        Variant::Web if media.web_key.is_none() => {
            (media.content_type.clone(), media.content_disposition())
        }
        Variant::Web | Variant::Preview => ("video/mp4".to_owned(), "inline".to_owned()),
    };
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_DISPOSITION, disposition)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_SECURITY_POLICY, MEDIA_CSP)
        .header("cross-origin-resource-policy", "same-origin")
        .header(header::CACHE_CONTROL, cache);
    if let Some(sha) = &media.sha256
        && variant == Variant::File
    {
        builder = builder.header(header::ETAG, format!("\"{}\"", &sha[..sha.len().min(32)]));
    }
    let (status, length) = match &range {
        Some(r) => {
            builder = builder.header(
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", r.start, r.end - 1),
            );
            (StatusCode::PARTIAL_CONTENT, r.end - r.start)
        }
        None => (StatusCode::OK, size),
    };
    let mut resp = builder.status(status).body(Body::from_bytes_stream(stream));
    if let Ok(v) = HeaderValue::from_str(&length.to_string()) {
        resp.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
    Ok(resp)
}

fn storage_error(e: StorageError) -> AppError {
    match e {
        StorageError::NotFound => AppError::NotFound,
        StorageError::Failed(e) => {
            tracing::error!(error = %e, "storage failed while serving a file");
            AppError::Busy { retry_after: 5 }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum RangeRequest {
    Satisfiable(std::ops::Range<u64>),
    /// Malformed or several ranges: answer with the whole file, as RFC 9110 allows.
    Ignore,
    Unsatisfiable,
}

/// One `bytes=` range of a file of `size` bytes.
fn parse_range(raw: &str, size: u64) -> RangeRequest {
    let Some(spec) = raw.trim().strip_prefix("bytes=") else {
        return RangeRequest::Ignore;
    };
    if spec.contains(',') {
        return RangeRequest::Ignore;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeRequest::Ignore;
    };
    let (start, end) = (start.trim(), end.trim());
    let parsed = match (start.is_empty(), end.is_empty()) {
        (false, true) => start
            .parse::<u64>()
            .ok()
            .map(|s| (s, size.saturating_sub(1))),
        (false, false) => match (start.parse::<u64>(), end.parse::<u64>()) {
            (Ok(s), Ok(e)) if s <= e => Some((s, e.min(size.saturating_sub(1)))),
            _ => None,
        },
        (true, false) => end
            .parse::<u64>()
            .ok()
            .and_then(|n| (n > 0).then(|| (size.saturating_sub(n), size.saturating_sub(1)))),
        (true, true) => None,
    };
    match parsed {
        None => RangeRequest::Ignore,
        Some((s, _)) if s >= size => RangeRequest::Unsatisfiable,
        Some((s, e)) => RangeRequest::Satisfiable(s..e + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        use RangeRequest::*;
        assert_eq!(parse_range("bytes=0-99", 1000), Satisfiable(0..100));
        assert_eq!(parse_range("bytes=900-", 1000), Satisfiable(900..1000));
        assert_eq!(parse_range("bytes=-100", 1000), Satisfiable(900..1000));
        assert_eq!(parse_range("bytes=990-2000", 1000), Satisfiable(990..1000));
        assert_eq!(parse_range("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=5-1", 1000), Ignore);
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), Ignore);
        assert_eq!(parse_range("items=0-1", 1000), Ignore);
    }
}
