//! Resumable uploads: the state machine behind the tus 1.0 endpoint (`api::tus`), for files too
//! big to send in one request (a 40 GB master over a hotel's Wi-Fi).
//!
//! - **State in the database.** An upload is a row (`resumable_uploads`): its length, the bytes
//!   safely stored (`received`) and, in order, the pieces storage holds for them. Any replica
//!   answers any request of any upload; nothing lives in a process.
//! - **Pieces in storage.** Bytes go to [`crate::storage`]'s staged blobs as they arrive, in
//!   blocks of `UPLOAD_BLOCK_SIZE_MB` (Azure: uncommitted blocks; locally: one staging file),
//!   at most two in flight: memory is a few blocks whatever the size. A block counts once its
//!   row is written; a request cut mid-way stores what it got so far.
//! - **One writer.** An append takes a short lease on the row (`take_lease`: the expected
//!   offset, no live lease) and renews it with every block; a second request for the same
//!   upload is told 423 (the client retries), a wrong offset 409. Recording a block is
//!   conditional on the lease and the offset, so a writer that lost its lease (stalled past it)
//!   stores nothing more.
//! - **Checks.** The name's type and size limit at creation; the first bytes against the
//!   extension before anything is stored ([`super::kinds`]); an optional checksum per request.
//! - **Completion** commits the blob (Put Block List with its headers / a rename) and, in one
//!   transaction, makes the media row (ready, with its analysis job and an audit entry) under
//!   the upload's id. Both steps repeat safely, so a crash between them is finished by the next
//!   request or by the sweep.
//! - **Expiry.** Unfinished uploads expire `UPLOAD_RESUMABLE_EXPIRY_HOURS` after their last
//!   byte; `media.sweep_uploads` drops their pieces and rows.

mod append;
pub mod store;

use std::time::Duration;

pub use append::{AppendError, Appended, Checksum, append};

use super::AnalyzeMediaJob;
use super::kinds::{FileType, MediaKind, allowed_extensions};
use super::model::{
    Folder, Media, clean_original_name, disposition, new_blob_name, safe_file_name,
};
use super::store::{self as media_store, NewMedia};
use super::upload::{UploadError, Uploader, human_size};
use crate::audit::{AuditEntry, insert_audit};
use crate::db::{Db, new_id, now};
use crate::jobs::{EnqueueOptions, store as job_store};
use crate::state::AppState;
use crate::storage::{BlobHeaders, StagedBlock, Storage};
use store::Row;

/// A finished upload's row stays this long, so a client that lost the last answer still learns
/// it is complete.
const KEEP_COMPLETE_SECS: i64 = 24 * 60 * 60;

/// An upload as the endpoint and the pages see it.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Also the media id once complete.
    pub id: String,
    /// The uploader's file name.
    pub original_name: String,
    /// Bytes in all.
    pub length: u64,
    /// Bytes stored.
    pub received: u64,
    /// All stored and committed: a media row under the same id.
    pub complete: bool,
    /// Who started it.
    pub uploaded_by: String,
    /// Epoch seconds.
    pub created_at: i64,
    /// Last byte stored.
    pub updated_at: i64,
    /// Removed, unfinished, after this.
    pub expires_at: i64,
}

impl From<Row> for Upload {
    fn from(r: Row) -> Self {
        Self {
            complete: r.state == "complete",
            id: r.id,
            original_name: r.original_name,
            length: u64::try_from(r.length).unwrap_or(0),
            received: u64::try_from(r.received).unwrap_or(0),
            uploaded_by: r.uploaded_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            expires_at: r.expires_at,
        }
    }
}

/// Of the pieces a staged blob may have (an Azure blob holds at most 50,000 blocks), what a
/// file may need when sent whole; the rest is room for requests cut short, each of which adds
/// a partial one.
const PIECES_FOR_THE_FILE: u64 = 45_000;

/// The largest file the endpoint takes of `kind` (within [`PIECES_FOR_THE_FILE`] blocks).
pub fn limit_for(state: &AppState, kind: MediaKind) -> u64 {
    let limits = &state.settings.upload_limits;
    let by_kind = match kind {
        MediaKind::Video | MediaKind::Archive => limits.resumable.max(kind.limit(limits)),
        _ => kind.limit(limits),
    };
    by_kind.min(PIECES_FOR_THE_FILE * state.settings.upload_block_size as u64)
}

/// The largest file the endpoint takes at all (`Tus-Max-Size`).
pub fn max_size(state: &AppState) -> u64 {
    let limits = &state.settings.upload_limits;
    limits
        .resumable
        .max(limits.largest())
        .min(PIECES_FOR_THE_FILE * state.settings.upload_block_size as u64)
}

/// Starts an upload of `length` bytes named `file_name`: checks the name's type and the
/// length against its limit, and writes the row. Nothing is stored yet.
pub async fn create(
    state: &AppState,
    uploader: &Uploader,
    folder: &Folder,
    file_name: &str,
    length: u64,
    tag: Option<&str>,
) -> Result<Upload, UploadError> {
    let original = clean_original_name(file_name);
    let Some(file_type) = FileType::from_name(&original) else {
        return Err(UploadError::NotAllowed {
            name: original,
            allowed: allowed_extensions().collect::<Vec<_>>().join(", "),
        });
    };
    if length == 0 {
        return Err(UploadError::Empty { name: original });
    }
    let limit = limit_for(state, file_type.kind);
    if length > limit {
        return Err(UploadError::TooLarge {
            name: original,
            kind: file_type.kind.as_str(),
            limit: human_size(limit),
        });
    }
    let id = new_id();
    let now = now();
    let (name, blob_key) = new_blob_name(&id, folder, &original, file_type.ext, now);
    let row = Row {
        id,
        blob_key,
        name,
        folder: folder.as_str().to_owned(),
        original_name: original,
        kind: file_type.kind.as_str().to_owned(),
        ext: file_type.ext.to_owned(),
        content_type: file_type.content_type.to_owned(),
        length: i64::try_from(length).unwrap_or(i64::MAX),
        received: 0,
        tag: tag.map(str::to_owned),
        state: "receiving".to_owned(),
        lease_token: None,
        lease_until: None,
        uploaded_by_user_id: uploader.user_id.clone(),
        uploaded_by_token_id: uploader.token_id.clone(),
        uploaded_by: uploader.label.clone(),
        created_at: now,
        updated_at: now,
        expires_at: now + expiry_secs(state),
    };
    store::insert(state.db.pool(), &row).await?;
    if let Err(e) = state.storage.begin_staged(&row.id).await {
        let mut conn = state.db.pool().acquire().await?;
        store::delete(&mut conn, &row.id).await?;
        return Err(UploadError::Storage(e));
    }
    tracing::info!(upload = %row.id, bytes = length, "resumable upload started");
    Ok(row.into())
}

fn expiry_secs(state: &AppState) -> i64 {
    i64::try_from(state.settings.upload_resumable_expiry.as_secs()).unwrap_or(86_400)
}

/// An upload by id; `None` when unknown, expired or being removed. One fully received but not
/// yet committed (its process stopped in between) is completed now, expired or not.
pub async fn find(state: &AppState, id: &str) -> Result<Option<Upload>, UploadError> {
    let Some(row) = store::find(state.db.pool(), id).await? else {
        return Ok(None);
    };
    if row.state == "receiving" && row.received == row.length {
        finish(state, &row.id).await?;
        return Ok(store::find(state.db.pool(), id).await?.map(Upload::from));
    }
    if row.state == "ending" || (row.state == "receiving" && row.expires_at <= now()) {
        return Ok(None);
    }
    Ok(Some(row.into()))
}

/// Unfinished uploads for `tag` (a project page's "uploads in progress").
pub async fn in_progress(db: &Db, tag: &str) -> Result<Vec<Upload>, sqlx::Error> {
    let rows = store::receiving_for(db.pool(), tag, 50).await?;
    let now = now();
    Ok(rows
        .into_iter()
        .filter(|r| r.expires_at > now)
        .map(Upload::from)
        .collect())
}

/// What terminating an upload did.
#[derive(Debug, PartialEq, Eq)]
pub enum Terminated {
    /// Its pieces and row are gone.
    Removed,
    /// No such upload.
    NotFound,
    /// It is complete: the file is in the media library (delete it there).
    Complete,
    /// A request is appending to it right now.
    Busy,
}

/// Removes an unfinished upload and everything stored for it. The row is claimed first
/// (`ending`), so no request appends to it and no completion races the removal.
pub async fn terminate(state: &AppState, id: &str) -> Result<Terminated, UploadError> {
    let Some(row) = store::find(state.db.pool(), id).await? else {
        return Ok(Terminated::NotFound);
    };
    match row.state.as_str() {
        "complete" => return Ok(Terminated::Complete),
        "ending" => return Ok(Terminated::NotFound),
        _ => {}
    }
    if row.received == row.length {
        // Fully received: it is being completed, not removed.
        return Ok(Terminated::Busy);
    }
    if !store::claim_for_removal(state.db.pool(), id, now(), false).await? {
        return Ok(Terminated::Busy);
    }
    drop_upload(&state.db, &state.storage, &row).await?;
    Ok(Terminated::Removed)
}

/// Pieces first, then the rows (a row without pieces is harmless; pieces without a row would
/// be lost). A failure leaves the row `ending` and past its expiry: the sweep tries again.
async fn drop_upload(db: &Db, storage: &Storage, row: &Row) -> Result<(), UploadError> {
    storage
        .discard_staged(&row.blob_key, &row.id)
        .await
        .map_err(UploadError::Storage)?;
    let mut conn = db.pool().acquire().await?;
    store::delete(&mut conn, &row.id).await?;
    tracing::info!(upload = %row.id, received = row.received, "resumable upload removed");
    Ok(())
}

/// Commits a fully received upload and makes its media row. Safe to repeat and to race: it
/// reads the row again, commits the recorded pieces (kept until the row goes, so a second
/// caller commits the same list) only when they add up to the file, and only one caller marks
/// the row complete.
async fn finish(state: &AppState, id: &str) -> Result<Media, UploadError> {
    let row = store::find(state.db.pool(), id)
        .await?
        .ok_or(UploadError::Interrupted)?;
    if row.state == "complete" {
        return media_store::find_ready(state.db.pool(), &row.id)
            .await?
            .ok_or(UploadError::Interrupted);
    }
    if row.state != "receiving" || row.received != row.length {
        return Err(UploadError::Interrupted);
    }
    let pieces = store::pieces(state.db.pool(), &row.id).await?;
    let total: i64 = pieces.iter().map(|(len, _)| len).sum();
    if pieces.is_empty() || total != row.length {
        tracing::error!(upload = %row.id, total, length = row.length, "the recorded pieces do not add up to the file; not committed");
        return Err(UploadError::Interrupted);
    }
    let blocks: Vec<StagedBlock> = pieces
        .into_iter()
        .map(|(_, id)| StagedBlock { id })
        .collect();
    let kind = MediaKind::parse(&row.kind).unwrap_or(MediaKind::Archive);
    let headers = BlobHeaders {
        content_type: row.content_type.clone(),
        content_disposition: disposition(kind, &safe_file_name(&row.original_name, &row.name)),
    };
    let length = u64::try_from(row.length).unwrap_or(0);
    state
        .storage
        .commit_staged(&row.blob_key, &row.id, &blocks, length, &headers)
        .await
        .map_err(UploadError::Storage)?;
    let now = now();
    let mut tx = state.db.begin().await?;
    if store::mark_complete(&mut tx, &row.id, now, now + KEEP_COMPLETE_SECS).await? {
        record_media(&mut tx, &row, now).await?;
        tx.commit().await?;
        state.metrics.upload("stored", length);
        tracing::info!(media = %row.id, blob = %row.blob_key, bytes = length, "resumable upload complete");
    } else {
        tx.rollback().await?;
    }
    media_store::find_ready(state.db.pool(), &row.id)
        .await?
        .ok_or(UploadError::Interrupted)
}

/// The media row of a completed upload, its analysis job and the audit entry.
async fn record_media(
    tx: &mut sqlx::AnyConnection,
    row: &Row,
    now: i64,
) -> Result<(), UploadError> {
    media_store::insert_uploading(
        &mut *tx,
        &NewMedia {
            id: &row.id,
            name: &row.name,
            folder: &row.folder,
            original_name: &row.original_name,
            blob_key: &row.blob_key,
            kind: &row.kind,
            ext: &row.ext,
            content_type: &row.content_type,
            user_id: row.uploaded_by_user_id.as_deref(),
            token_id: row.uploaded_by_token_id.as_deref(),
            uploaded_by: &row.uploaded_by,
        },
        row.created_at,
    )
    .await?;
    // No SHA-256: the bytes arrived over many requests, perhaps to several replicas, and a
    // hash's state cannot follow them. The per-request checksum guards each piece instead.
    media_store::mark_ready(&mut *tx, &row.id, row.length, None, now).await?;
    job_store::enqueue(
        &mut *tx,
        &AnalyzeMediaJob {
            media_id: row.id.clone(),
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
    let entry = AuditEntry::by_actor(
        row.uploaded_by_user_id.as_deref(),
        &row.uploaded_by,
        "media.upload",
        "media",
        &row.id,
    );
    insert_audit(&mut *tx, &entry, now).await?;
    Ok(())
}

/// The sweep's part, row by row (one that fails is logged and tried again next time; the
/// others go on): a fully received upload is completed; an unfinished one past its expiry,
/// and nobody appending to it, loses its pieces and rows; one left `ending` by a failed
/// removal is removed again; a completed one past its keeping time loses only its row (the
/// file stays). Returns how many rows went.
pub async fn sweep_expired(state: &AppState) -> anyhow::Result<usize> {
    let expired = store::expired(state.db.pool(), now(), 200).await?;
    let mut swept = 0;
    for row in &expired {
        let outcome = match row.state.as_str() {
            "receiving" if row.received == row.length => {
                finish(state, &row.id).await.map(|_| false)
            }
            "receiving" => {
                match store::claim_for_removal(state.db.pool(), &row.id, now(), true).await {
                    Ok(true) => drop_upload(&state.db, &state.storage, row)
                        .await
                        .map(|()| true),
                    Ok(false) => Ok(false),
                    Err(e) => Err(e.into()),
                }
            }
            "ending" => drop_upload(&state.db, &state.storage, row)
                .await
                .map(|()| true),
            _ => match state.db.pool().acquire().await {
                Ok(mut conn) => store::delete(&mut conn, &row.id).await.map_err(Into::into),
                Err(e) => Err(e.into()),
            },
        };
        match outcome {
            Ok(true) => swept += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(upload = %row.id, error = %e, "could not sweep an expired upload; next time")
            }
        }
    }
    if swept > 0 {
        tracing::info!(count = swept, "swept expired resumable uploads");
    }
    Ok(swept)
}

/// How long a lease lasts without a renewal: longer than a body may stall.
fn lease_secs(state: &AppState) -> i64 {
    let idle = state.settings.upload_idle_timeout + Duration::from_secs(30);
    i64::try_from(idle.as_secs()).unwrap_or(90)
}
