//! The streaming upload pipeline, shared by the admin library and the JSON API.
//!
//! The body goes to storage block by block as it arrives; nothing holds the whole file. The
//! first bytes are checked against the extension before any storage call; the SHA-256 and the
//! size are computed on the way. A row in state `uploading` exists from before the first block,
//! so an abandoned upload is always findable; on any failure (bad content, a limit, a client
//! that disconnects, storage that fails) the multipart upload is aborted and the row removed,
//! even when the request future is dropped half-way.

use std::time::Duration;

use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt as _};

use super::AnalyzeMediaJob;
use super::kinds::{FileType, MediaKind, SNIFF_LEN, allowed_extensions};
use super::model::{
    Folder, Media, clean_original_name, disposition, new_blob_name, safe_file_name,
};
use super::store::{self, NewMedia};
use crate::audit::{AuditEntry, insert_audit};
use crate::db::{new_id, now};
use crate::http::deadlines::Late;
use crate::jobs::{EnqueueOptions, store as job_store};
use crate::state::AppState;
use crate::storage::{BlobHeaders, BlobUpload, StorageError};

/// Who is uploading.
#[derive(Debug, Clone)]
pub struct Uploader {
    /// A signed-in admin.
    pub user_id: Option<String>,
    /// An API token.
    pub token_id: Option<String>,
    /// Email or token label, kept with the row and in the audit log.
    pub label: String,
}

impl Uploader {
    /// An audit entry in this uploader's name.
    pub fn audit<'a>(&'a self, action: &'a str, entity_id: &'a str) -> AuditEntry<'a> {
        AuditEntry::by_actor(
            self.user_id.as_deref(),
            &self.label,
            action,
            "media",
            entity_id,
        )
    }
}

/// Why an upload was refused or failed, phrased for the uploader.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The extension is not on the allow-list.
    #[error("{name}: this type of file is not accepted. Allowed: {allowed}.")]
    NotAllowed {
        /// The file name as sent.
        name: String,
        /// The allowed extensions.
        allowed: String,
    },
    /// The bytes are not what the extension says.
    #[error("{name}: the content is not a .{ext} file.")]
    ContentMismatch {
        /// The file name as sent.
        name: String,
        /// The claimed extension.
        ext: &'static str,
    },
    /// Zero bytes.
    #[error("{name}: the file is empty.")]
    Empty {
        /// The file name as sent.
        name: String,
    },
    /// Over the limit of its kind.
    #[error("{name}: {kind} files can be at most {limit}.")]
    TooLarge {
        /// The file name as sent.
        name: String,
        kind: &'static str,
        /// The limit, formatted.
        limit: String,
    },
    /// The client stopped sending.
    #[error("the upload stopped before the file was complete")]
    Interrupted,
    /// The client sent nothing for too long (`UPLOAD_IDLE_TIMEOUT_SECS`).
    #[error("the upload was idle for too long and was dropped")]
    Idle,
    /// The client sent too slowly (below the minimum rate, `UPLOAD_MIN_RATE_KIB_PER_SEC`).
    #[error("the upload arrived too slowly and was dropped")]
    TooSlow,
    /// The storage service failed.
    #[error("the file could not be stored right now; please try again")]
    Storage(#[source] StorageError),
    /// The database failed.
    #[error("the file could not be recorded right now; please try again")]
    Database(#[from] sqlx::Error),
}

impl UploadError {
    /// The HTTP status that fits.
    pub fn status(&self) -> poem::http::StatusCode {
        use poem::http::StatusCode as S;
        match self {
            Self::NotAllowed { .. } | Self::ContentMismatch { .. } => S::UNSUPPORTED_MEDIA_TYPE,
            Self::Empty { .. } => S::UNPROCESSABLE_ENTITY,
            Self::TooLarge { .. } => S::PAYLOAD_TOO_LARGE,
            Self::Interrupted => S::BAD_REQUEST,
            Self::Idle | Self::TooSlow => S::REQUEST_TIMEOUT,
            Self::Storage(_) => S::SERVICE_UNAVAILABLE,
            Self::Database(_) => S::INTERNAL_SERVER_ERROR,
        }
    }

    /// The metrics label.
    fn outcome(&self) -> &'static str {
        match self {
            Self::NotAllowed { .. }
            | Self::ContentMismatch { .. }
            | Self::Empty { .. }
            | Self::TooLarge { .. } => "rejected",
            Self::Interrupted | Self::Idle | Self::TooSlow => "aborted",
            Self::Storage(_) | Self::Database(_) => "failed",
        }
    }
}

/// `1.5 GiB`, `200 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else if value.fract() < 0.05 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The checks that need only the name: the type it claims, and whether a declared length
/// already exceeds that type's limit.
pub fn precheck(
    state: &AppState,
    file_name: &str,
    declared_len: Option<u64>,
) -> Result<FileType, UploadError> {
    let name = clean_original_name(file_name);
    let Some(file_type) = FileType::from_name(&name) else {
        return Err(UploadError::NotAllowed {
            name,
            allowed: allowed_extensions().collect::<Vec<_>>().join(", "),
        });
    };
    let limit = file_type.kind.limit(&state.settings.upload_limits);
    // The form around the file adds a few hundred bytes; be generous before refusing unread.
    if declared_len.is_some_and(|len| len > limit.saturating_add(64 * 1024)) {
        return Err(too_large(name, file_type.kind, limit));
    }
    Ok(file_type)
}

fn too_large(name: String, kind: MediaKind, limit: u64) -> UploadError {
    UploadError::TooLarge {
        name,
        kind: kind.as_str(),
        limit: human_size(limit),
    }
}

/// Removes the `uploading` row (and the blob, if the upload got as far as committing it) when
/// dropped armed: the request failed or was cancelled (client gone). Runs as its own task, so it
/// completes even when the request's future is dropped half-way.
struct Cleanup {
    state: Option<AppState>,
    id: String,
    blob_key: String,
    /// Set just before the commit: only from then on can a blob exist at `blob_key`.
    committing: bool,
}

impl Cleanup {
    fn disarm(mut self) {
        self.state = None;
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Some(state) = self.state.take() else {
            return;
        };
        let id = std::mem::take(&mut self.id);
        let key = std::mem::take(&mut self.blob_key);
        let committing = self.committing;
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if committing {
                // The blob first, retried while storage recovers: a row without a blob is
                // swept later, a blob without a row would not be.
                let mut delay = Duration::from_millis(500);
                let mut attempts = 0;
                while let Err(e) = state.storage.delete(&key).await {
                    attempts += 1;
                    if attempts >= 12 {
                        tracing::warn!(error = %e, blob = %key, "could not remove an abandoned upload's blob; the sweep will");
                        return;
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
            let removed = sqlx::query("delete from media where id = $1 and state = 'uploading'")
                .bind(&id)
                .execute(state.db.pool())
                .await;
            if let Err(e) = removed {
                tracing::warn!(error = %e, media = %id, "could not remove an abandoned upload's row; the sweep will");
            }
        });
    }
}

/// Streams one file from `body` into storage and records it. `file_type` comes from
/// [`precheck`].
pub async fn receive<R: AsyncRead + Unpin>(
    state: &AppState,
    uploader: &Uploader,
    folder: &Folder,
    file_name: &str,
    file_type: FileType,
    body: R,
) -> Result<Media, UploadError> {
    let result = receive_inner(state, uploader, folder, file_name, file_type, body).await;
    match &result {
        Ok(media) => state
            .metrics
            .upload("stored", u64::try_from(media.size_bytes).unwrap_or(0)),
        Err(e) => {
            state.metrics.upload(e.outcome(), 0);
            if matches!(e, UploadError::Storage(_) | UploadError::Database(_)) {
                tracing::error!(error = ?e, "upload failed");
            } else {
                tracing::info!(error = %e, "upload refused");
            }
        }
    }
    result
}

async fn receive_inner<R: AsyncRead + Unpin>(
    state: &AppState,
    uploader: &Uploader,
    folder: &Folder,
    file_name: &str,
    file_type: FileType,
    mut body: R,
) -> Result<Media, UploadError> {
    let original = clean_original_name(file_name);
    let head = read_head(&mut body, &original, file_type).await?;

    let id = new_id();
    let now = now();
    let (name, blob_key) = new_blob_name(&id, folder, &original, file_type.ext, now);
    store::insert_uploading(
        state.db.pool(),
        &NewMedia {
            id: &id,
            name: &name,
            folder: folder.as_str(),
            original_name: &original,
            blob_key: &blob_key,
            kind: file_type.kind.as_str(),
            ext: file_type.ext,
            content_type: file_type.content_type,
            user_id: uploader.user_id.as_deref(),
            token_id: uploader.token_id.as_deref(),
            uploaded_by: &uploader.label,
        },
        now,
    )
    .await?;
    let mut cleanup = Cleanup {
        state: Some(state.clone()),
        id: id.clone(),
        blob_key: blob_key.clone(),
        committing: false,
    };

    let headers = BlobHeaders {
        content_type: file_type.content_type.to_owned(),
        content_disposition: disposition(file_type.kind, &safe_file_name(&original, &name)),
    };
    let mut upload = state
        .storage
        .start_upload(&blob_key, &headers)
        .await
        .map_err(UploadError::Storage)?;
    let streamed = stream_body(state, &mut upload, &head, &mut body, &original, file_type).await;
    let (size, sha256) = match streamed {
        Ok(done) => done,
        Err(e) => {
            upload.abort().await;
            return Err(e);
        }
    };
    cleanup.committing = true;
    upload.finish().await.map_err(UploadError::Storage)?;

    record_ready(state, uploader, &id, size, &sha256, now).await?;
    cleanup.disarm();

    let media = store::find_ready(state.db.pool(), &id)
        .await?
        .ok_or(UploadError::Interrupted)?;
    tracing::info!(media = %media.id, blob = %media.blob_key, bytes = size, "stored an upload");
    Ok(media)
}

/// Reads the first block, which decides whether the content is what the name says, before
/// storage is touched.
async fn read_head<R: AsyncRead + Unpin>(
    body: &mut R,
    original: &str,
    file_type: FileType,
) -> Result<Vec<u8>, UploadError> {
    let mut head = vec![0u8; SNIFF_LEN];
    let mut filled = 0;
    while filled < head.len() {
        let n = read_some(body, &mut head[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    head.truncate(filled);
    if head.is_empty() {
        return Err(UploadError::Empty {
            name: original.to_owned(),
        });
    }
    if !file_type.matches(&head) {
        return Err(UploadError::ContentMismatch {
            name: original.to_owned(),
            ext: file_type.ext,
        });
    }
    Ok(head)
}

/// Writes `head` and the rest of `body` to `upload`, within the type's size limit; returns the
/// size and the SHA-256 (hex). The caller aborts the upload on an error.
async fn stream_body<R: AsyncRead + Unpin>(
    state: &AppState,
    upload: &mut BlobUpload,
    head: &[u8],
    body: &mut R,
    original: &str,
    file_type: FileType,
) -> Result<(u64, String), UploadError> {
    let limit = file_type.kind.limit(&state.settings.upload_limits);
    let mut hasher = Sha256::new();
    let mut size = head.len() as u64;
    hasher.update(head);
    upload.write(head).await.map_err(UploadError::Storage)?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = read_some(body, &mut buf).await?;
        if n == 0 {
            break;
        }
        size += n as u64;
        if size > limit {
            return Err(too_large(original.to_owned(), file_type.kind, limit));
        }
        hasher.update(&buf[..n]);
        upload
            .write(&buf[..n])
            .await
            .map_err(UploadError::Storage)?;
    }
    Ok((size, hex::encode(hasher.finalize())))
}

/// Marks the row ready, queues its analysis and audits the upload, in one transaction.
async fn record_ready(
    state: &AppState,
    uploader: &Uploader,
    id: &str,
    size: u64,
    sha256: &str,
    now: i64,
) -> Result<(), UploadError> {
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    let mut tx = state.db.begin().await?;
    if !store::mark_ready(&mut tx, id, size, Some(sha256), now_after(now)).await? {
        // Swept meanwhile (an upload idle past the sweep age): the cleanup removes the blob.
        return Err(UploadError::Interrupted);
    }
    job_store::enqueue(
        &mut tx,
        &AnalyzeMediaJob {
            media_id: id.to_owned(),
        },
        &EnqueueOptions {
            run_at: None,
            dedupe_key: None,
            max_attempts: 3,
        },
        now,
    )
    .await
    .map_err(|e| UploadError::Database(sqlx::Error::Protocol(e.to_string())))?;
    insert_audit(&mut *tx, &uploader.audit("media.upload", id), now).await?;
    tx.commit().await?;
    Ok(())
}

/// The time now, never before `start` (clocks step).
fn now_after(start: i64) -> i64 {
    now().max(start)
}

/// One read of the body. Its deadlines (idle, minimum rate) are kept by the body itself
/// (`http::deadlines`), which fails a late read with the reason (`Late`).
async fn read_some<R: AsyncRead + Unpin>(
    body: &mut R,
    buf: &mut [u8],
) -> Result<usize, UploadError> {
    body.read(buf).await.map_err(|e| match Late::of_error(&e) {
        Some(Late::BodyIdle) => UploadError::Idle,
        Some(_) => UploadError::TooSlow,
        None => {
            tracing::debug!(error = %e, "upload body ended early");
            UploadError::Interrupted
        }
    })
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(100 * 1024 * 1024), "100 MiB");
        assert_eq!(human_size(10 * 1024 * 1024 * 1024), "10 GiB");
        assert_eq!(human_size(1536 * 1024 * 1024), "1.5 GiB");
    }
}
