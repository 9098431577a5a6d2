//! The resumable upload endpoint: tus 1.0 (<https://tus.io/protocols/resumable-upload>) with
//! the creation, termination, expiration and checksum extensions, over
//! [`crate::media::resumable`]. Staff only: an admin session (unsafe requests carry
//! `X-CSRF-Token`, as every API call on a session does) or an API token.
//!
//! - `OPTIONS /api/uploads`: what the server supports.
//! - `POST /api/uploads` with `Upload-Length` and `Upload-Metadata` (`filename` required;
//!   `folder` and `tag` optional): 201 and `Location`.
//! - `HEAD /api/uploads/{id}`: `Upload-Offset`, `Upload-Length`, `Upload-Expires`.
//! - `PATCH /api/uploads/{id}` with `Upload-Offset` and an `application/offset+octet-stream`
//!   body (and optionally `Upload-Checksum`): 204 and the new `Upload-Offset`. The response
//!   that completes an upload also names the file: `Upload-Media-Id`.
//! - `DELETE /api/uploads/{id}`: 204, the upload and its stored pieces are gone.
//!
//! Errors are the app's JSON error body with the status tus prescribes (404, 409, 410, 412,
//! 415, 423, 460, …).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::Path;
use poem::{Body, Request, Response, handler};

use super::{ApiCaller, authenticate};
use crate::error::AppError;
use crate::http::deadlines;
use crate::http::errors::json_error;
use crate::http::observe::current_request_id;
use crate::media::model::Folder;
use crate::media::resumable::{self, AppendError, Checksum, Terminated, Upload};
use crate::media::upload::UploadError;
use crate::state::AppState;

/// The protocol version spoken.
const TUS_VERSION: &str = "1.0.0";
/// Where uploads go when the metadata names no folder.
const DEFAULT_FOLDER: &str = "deliveries";
/// Longest `Upload-Metadata` accepted.
const MAX_METADATA: usize = 4096;

/// `OPTIONS /api/uploads`.
#[handler]
pub async fn options(req: &Request) -> Response {
    let state = req.data::<AppState>();
    let max = state.map_or(0, resumable::max_size);
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header("Tus-Resumable", TUS_VERSION)
        .header("Tus-Version", TUS_VERSION)
        .header("Tus-Extension", "creation,termination,expiration,checksum")
        .header("Tus-Checksum-Algorithm", "sha1,sha256")
        .header("Tus-Max-Size", max.to_string())
        .finish()
}

/// `POST /api/uploads`.
#[handler]
pub async fn create(req: &Request) -> Response {
    respond(create_inner(req).await)
}

async fn create_inner(req: &Request) -> Result<Response, Refusal> {
    let (state, caller) = begin(req).await?;
    if req.header("upload-defer-length").is_some() {
        return Err(Refusal::bad(
            "Send Upload-Length: uploads of unknown length are not supported.",
        ));
    }
    let length: u64 = req
        .header("upload-length")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| Refusal::bad("Upload-Length is required: the file's size in bytes."))?;
    let metadata = parse_metadata(req.header("upload-metadata").unwrap_or(""))?;
    let file_name = metadata
        .iter()
        .find(|(k, _)| k == "filename")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| Refusal::bad("Upload-Metadata must name the file: filename <base64>."))?;
    let folder_raw = metadata
        .iter()
        .find(|(k, _)| k == "folder")
        .map_or(DEFAULT_FOLDER, |(_, v)| v.as_str());
    let folder = Folder::parse(folder_raw).map_err(Refusal::bad)?;
    let tag = metadata
        .iter()
        .find(|(k, _)| k == "tag")
        .map(|(_, v)| v.as_str())
        .filter(|t| !t.is_empty() && t.len() <= 100);
    let upload = resumable::create(state, &caller.uploader(), &folder, file_name, length, tag)
        .await
        .map_err(Refusal::upload)?;
    Ok(with_upload_headers(
        Response::builder()
            .status(StatusCode::CREATED)
            .header(header::LOCATION, format!("/api/uploads/{}", upload.id)),
        &upload,
    )
    .finish())
}

/// `HEAD /api/uploads/{id}`.
#[handler]
pub async fn head(req: &Request, Path(id): Path<String>) -> Response {
    respond(head_inner(req, &id).await)
}

async fn head_inner(req: &Request, id: &str) -> Result<Response, Refusal> {
    let (state, _caller) = begin(req).await?;
    let upload = find(state, id).await?;
    Ok(with_upload_headers(
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CACHE_CONTROL, "no-store")
            .header("Upload-Length", upload.length.to_string()),
        &upload,
    )
    .finish())
}

/// `PATCH /api/uploads/{id}`.
#[handler]
pub async fn patch(req: &Request, Path(id): Path<String>, body: Body) -> Response {
    respond(patch_inner(req, &id, body).await)
}

async fn patch_inner(req: &Request, id: &str, body: Body) -> Result<Response, Refusal> {
    let (state, _caller) = begin(req).await?;
    let content_type = req.header(header::CONTENT_TYPE).unwrap_or("");
    if !content_type.eq_ignore_ascii_case("application/offset+octet-stream") {
        return Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "A PATCH carries Content-Type: application/offset+octet-stream.",
        ));
    }
    let offset: u64 = req
        .header("upload-offset")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| Refusal::bad("Upload-Offset is required: where this body starts."))?;
    let checksum = match req.header("upload-checksum") {
        None => None,
        Some(raw) => Some(Checksum::parse(raw).ok_or_else(|| {
            Refusal::bad("Upload-Checksum must be `sha1 <base64>` or `sha256 <base64>`.")
        })?),
    };
    let _permit = std::sync::Arc::clone(&state.upload_slots)
        .try_acquire_owned()
        .map_err(|_| {
            Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many uploads at once; try again in a few seconds.",
            )
        })?;
    let reader = deadlines::explain(req, body.into_async_read());
    let declared = req
        .header("content-length")
        .and_then(|value| value.parse::<u64>().ok());
    match resumable::append(state, id, offset, declared, checksum, reader).await {
        Ok(done) => {
            let mut response = with_upload_headers(
                Response::builder().status(StatusCode::NO_CONTENT),
                &done.upload,
            );
            if let Some(media) = &done.media {
                response = response.header("Upload-Media-Id", media.id.as_str());
            }
            Ok(response.finish())
        }
        Err(AppendError::Conflict { received }) => Err(Refusal::new(
            StatusCode::CONFLICT,
            format!("The upload is at byte {received}: send from there (ask with HEAD)."),
        )),
        Err(e) => Err(Refusal::append(e)),
    }
}

/// `DELETE /api/uploads/{id}`.
#[handler]
pub async fn delete(req: &Request, Path(id): Path<String>) -> Response {
    respond(delete_inner(req, &id).await)
}

async fn delete_inner(req: &Request, id: &str) -> Result<Response, Refusal> {
    let (state, _caller) = begin(req).await?;
    let id = crate::db::parse_id(id).ok_or_else(not_found)?;
    match resumable::terminate(state, &id)
        .await
        .map_err(Refusal::upload)?
    {
        Terminated::Removed => Ok(Response::builder()
            .status(StatusCode::NO_CONTENT)
            .header("Tus-Resumable", TUS_VERSION)
            .finish()),
        Terminated::NotFound => Err(not_found()),
        Terminated::Busy => Err(Refusal::append(AppendError::Busy)),
        Terminated::Complete => Err(Refusal::new(
            StatusCode::CONFLICT,
            "This upload is complete: the file is in the media library; delete it there.",
        )),
    }
}

/// The app and the caller; refuses clients that speak another protocol version.
async fn begin(req: &Request) -> Result<(&AppState, ApiCaller), Refusal> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "state missing"))?;
    let caller = authenticate(req).await.map_err(Refusal::app)?;
    if req.header("tus-resumable") != Some(TUS_VERSION) {
        return Err(Refusal {
            status: StatusCode::PRECONDITION_FAILED,
            message: format!("Send Tus-Resumable: {TUS_VERSION}; no other version is spoken."),
        });
    }
    Ok((state, caller))
}

async fn find(state: &AppState, id: &str) -> Result<Upload, Refusal> {
    let id = crate::db::parse_id(id).ok_or_else(not_found)?;
    resumable::find(state, &id)
        .await
        .map_err(Refusal::upload)?
        .ok_or_else(not_found)
}

fn not_found() -> Refusal {
    Refusal::new(
        StatusCode::NOT_FOUND,
        "There is no such upload (it may have expired unfinished): start it again.",
    )
}

fn with_upload_headers(builder: poem::ResponseBuilder, upload: &Upload) -> poem::ResponseBuilder {
    builder
        .header("Tus-Resumable", TUS_VERSION)
        .header("Upload-Offset", upload.received.to_string())
        .header("Upload-Expires", http_date(upload.expires_at))
}

/// `Upload-Expires` is an RFC 9110 date.
fn http_date(epoch: i64) -> String {
    jiff::Timestamp::from_second(epoch)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// `key base64,key2 base64,flag`: values decoded; keys unique and plain.
fn parse_metadata(raw: &str) -> Result<Vec<(String, String)>, Refusal> {
    if raw.len() > MAX_METADATA {
        return Err(Refusal::bad("Upload-Metadata is too long."));
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = item.split_once(' ').unwrap_or((item, ""));
        let value = BASE64
            .decode(value.trim())
            .ok()
            .and_then(|v| String::from_utf8(v).ok())
            .ok_or_else(|| Refusal::bad("Upload-Metadata values must be base64 of UTF-8 text."))?;
        if key.is_empty() || pairs.iter().any(|(k, _)| k == key) {
            return Err(Refusal::bad(
                "Upload-Metadata keys must be unique and not empty.",
            ));
        }
        pairs.push((key.to_owned(), value));
    }
    Ok(pairs)
}

/// A refused request: its status and the sentence for the uploader.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    fn upload(e: UploadError) -> Self {
        if matches!(e, UploadError::Database(_) | UploadError::Storage(_)) {
            tracing::error!(error = ?e, "resumable upload failed");
        }
        Self::new(e.status(), e.to_string())
    }

    fn append(e: AppendError) -> Self {
        match e {
            AppendError::Upload(e) => Self::upload(e),
            other => Self::new(other.status(), other.to_string()),
        }
    }

    fn app(e: AppError) -> Self {
        let status = e.status();
        let message = match &e {
            AppError::Unauthorized => "Sign in as staff or send an API token.".to_owned(),
            AppError::Forbidden => "Only staff can upload here.".to_owned(),
            other => other.to_string(),
        };
        Self::new(status, message)
    }
}

fn respond(result: Result<Response, Refusal>) -> Response {
    match result {
        Ok(response) => response,
        Err(refusal) => {
            let mut response = json_error(refusal.status, &refusal.message, &current_request_id());
            response
                .headers_mut()
                .insert("Tus-Resumable", HeaderValue::from_static(TUS_VERSION));
            if refusal.status == StatusCode::PRECONDITION_FAILED {
                response
                    .headers_mut()
                    .insert("Tus-Version", HeaderValue::from_static(TUS_VERSION));
            }
            if refusal.status == StatusCode::SERVICE_UNAVAILABLE {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_metadata;

    #[test]
    fn metadata_reads_as_tus_writes_it() {
        let pairs =
            parse_metadata("filename ZmlsbS5tcDQ=,tag cHJvamVjdDox,is_confidential").unwrap();
        assert_eq!(pairs[0], ("filename".to_owned(), "film.mp4".to_owned()));
        assert_eq!(pairs[1], ("tag".to_owned(), "project:1".to_owned()));
        assert_eq!(pairs[2], ("is_confidential".to_owned(), String::new()));
        assert!(parse_metadata("filename !!!").is_err());
        assert!(parse_metadata("a YQ==,a YQ==").is_err());
    }
}
