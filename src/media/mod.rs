//! Media: the single way the product stores and serves files.
//!
//! Files are kept through [`crate::storage`] (the `object_store` adapter: local filesystem or
//! Azure Blob Storage).
//! - [`kinds`]: the allow-list (extensions, magic bytes, size limits per kind).
//! - [`upload`]: the streaming upload pipeline.
//! - [`resumable`]: resumable uploads (tus 1.0) for files too big for one request.
//! - [`renditions`]: a film's web rendition and watermarked preview (ffmpeg, in a job).
//! - [`analyze`]: the metadata job (dimensions, duration, thumbnails, posters).
//! - [`links`]: signed, expiring links and the route that serves them.
//! - [`handlers`] / [`views`]: the admin media library.

pub mod analyze;
pub mod attachments;
pub mod handlers;
pub mod kinds;
pub mod links;
pub mod model;
pub mod renditions;
pub mod resumable;
pub mod store;
pub mod tables;
pub mod upload;
pub mod views;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use analyze::{AnalyzeMediaHandler, AnalyzeMediaJob};
pub use model::Media;

use crate::audit::{AuditEntry, insert_audit};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::jobs::{EnqueueOptions, Job, JobHandler, JobSpec, store as job_store};
use crate::state::AppState;
use crate::storage::Storage;

/// Delete blobs whose rows are gone (retried until storage agrees).
#[derive(Debug, Serialize, Deserialize)]
pub struct DeleteBlobsJob {
    /// Keys to delete.
    pub keys: Vec<String>,
}

impl JobSpec for DeleteBlobsJob {
    const KIND: &'static str = "media.delete_blobs";
}

/// Runs [`DeleteBlobsJob`].
pub struct DeleteBlobsHandler {
    /// Where the blobs are.
    pub storage: Storage,
}

#[async_trait::async_trait]
impl JobHandler for DeleteBlobsHandler {
    async fn run(&self, job: &Job) -> anyhow::Result<()> {
        let spec: DeleteBlobsJob = job.payload()?;
        for key in &spec.keys {
            self.storage.delete(key).await?;
        }
        Ok(())
    }
}

/// How often abandoned uploads are swept.
pub const SWEEP_EVERY: Duration = Duration::from_secs(15 * 60);
/// An `uploading` row untouched this long belongs to a process that died.
const ABANDONED_AFTER_SECS: i64 = 24 * 60 * 60;

/// Sweep uploads whose process died mid-way (blob, if committed, and row), and resumable
/// uploads that expired unfinished (their stored pieces and row).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SweepUploadsJob {}

impl JobSpec for SweepUploadsJob {
    const KIND: &'static str = "media.sweep_uploads";
}

/// Runs [`SweepUploadsJob`].
pub struct SweepUploadsHandler {
    /// The app (database, storage, settings).
    pub state: AppState,
}

#[async_trait::async_trait]
impl JobHandler for SweepUploadsHandler {
    async fn run(&self, _job: &Job) -> anyhow::Result<()> {
        let (db, storage) = (&self.state.db, &self.state.storage);
        let stale = store::stale_uploads(db.pool(), now() - ABANDONED_AFTER_SECS, 200).await?;
        for media in &stale {
            storage.delete(&media.blob_key).await?;
            sqlx::query("delete from media where id = $1 and state = 'uploading'")
                .bind(&media.id)
                .execute(db.pool())
                .await?;
        }
        if !stale.is_empty() {
            tracing::info!(count = stale.len(), "swept abandoned uploads");
        }
        resumable::sweep_expired(&self.state).await?;
        Ok(())
    }
}

/// Deletes a file: the row (with an audit entry) and, in the same transaction, a job that
/// deletes its blobs; the blobs are then deleted at once, the job being the safety net should
/// storage be down. Returns the deleted row.
pub async fn delete_media(state: &AppState, actor: &AuditEntry<'_>, id: &str) -> AppResult<Media> {
    let mut tx = state.db.begin().await?;
    let Some(media) = store::delete(&mut tx, id).await? else {
        return Err(AppError::NotFound);
    };
    if media.state != "ready" {
        // An upload in progress is not the admin's to delete; its own request cleans up.
        return Err(AppError::NotFound);
    }
    let keys: Vec<String> = [
        Some(media.blob_key.clone()),
        media.thumb_key.clone(),
        media.poster_key.clone(),
        media.reel_key.clone(),
        media.full_key.clone(),
        media.web_key.clone(),
        media.preview_key.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    job_store::enqueue(
        &mut tx,
        &DeleteBlobsJob { keys: keys.clone() },
        &EnqueueOptions {
            run_at: Some(now() + 60),
            dedupe_key: None,
            max_attempts: state.max_job_attempts(),
        },
        now(),
    )
    .await?;
    let entry = AuditEntry {
        before: Some(serde_json::to_value(&media).map_err(AppError::internal)?),
        ..actor.clone()
    };
    insert_audit(&mut *tx, &entry, now()).await?;
    tx.commit().await?;
    // Products and films that showed it lost their reference.
    state.content.invalidate();
    for key in &keys {
        if let Err(e) = state.storage.delete(key).await {
            tracing::warn!(error = %e, blob = %key, "blob delete failed; the queued job will retry");
        }
    }
    Ok(media)
}
