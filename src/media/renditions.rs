//! A film's renditions for the browser, made by ffmpeg in a job when a caller asks
//! ([`request`]; projects ask for every film version):
//!
//! - **web** (`_derived/<id>/web-<job>-<attempt>.mp4`): H.264 at most 1920 px wide, a capped bitrate
//!   ([`WEB_MAXRATE`]), AAC sound, and the index first (`-movflags +faststart`), so a 40 GB
//!   master starts playing at once in the screening room; the original stays for download.
//! - **preview** (`_derived/<id>/preview-<job>-<attempt>.mp4`): at most 1280 px, a lower cap, and PREVIEW
//!   written across the picture (ffmpeg's `drawtext`; where it has no fonts, a translucent band
//!   instead). The room plays it, and only it, while the quote's balance is owed.
//!
//! One ffmpeg run (decoding, filters and each encoder on one thread, so the server's requests
//! keep a core) decodes the film once and writes both files into the data directory's `tmp`
//! (a faststart file needs a seekable output); they are then streamed to storage block by
//! block and removed. A missing ffmpeg leaves the film without renditions: the room then
//! plays the original (or, while the balance is owed, shows the poster and says why).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt as _;

use super::analyze::{ToolOutcome, run_tool_for};
use super::kinds::MediaKind;
use super::model::Media;
use super::store;
use crate::db::{Db, now};
use crate::jobs::{EnqueueOptions, Job, JobHandler, JobSpec, store as job_store};
use crate::storage::{BlobHeaders, Storage};

/// Peak bitrate of the web rendition (`-maxrate`).
const WEB_MAXRATE: &str = "6M";
/// Peak bitrate of the preview.
const PREVIEW_MAXRATE: &str = "1500k";
/// The text across a preview.
const WATERMARK: &str = "PREVIEW";

/// Make a film's web rendition and watermarked preview.
#[derive(Debug, Serialize, Deserialize)]
pub struct RenderWebJob {
    /// The film.
    pub media_id: String,
}

impl JobSpec for RenderWebJob {
    const KIND: &'static str = "media.render_web";
}

/// Asks for the renditions of `media`, in the caller's transaction: once while a request is
/// waiting or running; again when an earlier one ended without them (ffmpeg missing then, or
/// every attempt failed). Files that are not videos are ignored.
pub async fn request(conn: &mut sqlx::AnyConnection, media: &Media) -> anyhow::Result<()> {
    if media.media_kind() != MediaKind::Video || media.web_key.is_some() {
        return Ok(());
    }
    let dedupe_key = format!("render-web:{}", media.id);
    job_store::release_dedupe_key(conn, &dedupe_key, now()).await?;
    job_store::enqueue(
        conn,
        &RenderWebJob {
            media_id: media.id.clone(),
        },
        &EnqueueOptions {
            run_at: None,
            dedupe_key: Some(dedupe_key),
            max_attempts: 3,
        },
        now(),
    )
    .await?;
    Ok(())
}

/// Runs [`RenderWebJob`].
pub struct RenderWebHandler {
    /// Where the rows are.
    pub db: Db,
    /// Where the files are.
    pub storage: Storage,
    /// ffmpeg's path and the data directory.
    pub settings: std::sync::Arc<crate::config::Settings>,
}

#[async_trait::async_trait]
impl JobHandler for RenderWebHandler {
    async fn run(&self, job: &Job) -> anyhow::Result<()> {
        let spec: RenderWebJob = job.payload()?;
        let Some(media) = store::find_ready(self.db.pool(), &spec.media_id).await? else {
            return Ok(()); // deleted meanwhile
        };
        if media.web_key.is_some() {
            return Ok(());
        }
        let Some(input) = self.input(&media).await? else {
            tracing::warn!(media = %media.id, "no readable location for ffmpeg; no renditions");
            return Ok(());
        };
        let dir = self.settings.data_dir.join("tmp");
        crate::config::create_private_dir(&dir)?;
        // Files (temporary and stored) are named per job and attempt: a second run never
        // writes into this one's, and each run removes exactly its own.
        let run = format!("{}-{}", job.id, job.attempts);
        let web = TempFile(dir.join(format!("{}-{run}-web.mp4", media.id)));
        let preview = TempFile(dir.join(format!("{}-{run}-preview.mp4", media.id)));
        // ffmpeg may work for hours: the job's lease is extended while it does.
        let heartbeat = Heartbeat(tokio::spawn(extend_lease(
            self.db.clone(),
            job.id.clone(),
            job.attempts,
        )));
        let encoded = self.encode(&input, &web.0, &preview.0, &media).await;
        drop(heartbeat);
        match encoded {
            Encoded::Done => {}
            Encoded::Missing => {
                tracing::warn!(media = %media.id, path = %self.settings.ffmpeg_path, "ffmpeg is not installed: the film plays from its original");
                return Ok(());
            }
            Encoded::Failed(why) => anyhow::bail!("ffmpeg could not make the renditions: {why}"),
        }
        // Only the run whose names the film records keeps its files (false: the film is gone
        // or has renditions already).
        let web_key = format!("_derived/{}/web-{run}.mp4", media.id);
        let preview_key = format!("_derived/{}/preview-{run}.mp4", media.id);
        let saved = async {
            self.store_file(&web.0, &web_key).await?;
            self.store_file(&preview.0, &preview_key).await?;
            anyhow::Ok(
                store::save_renditions(self.db.pool(), &media.id, &web_key, &preview_key, now())
                    .await?,
            )
        }
        .await;
        if !matches!(saved, Ok(true)) {
            // A failure half-way, the film gone meanwhile, or another run first: no orphans.
            for key in [&web_key, &preview_key] {
                if let Err(e) = self.storage.delete(key).await {
                    tracing::warn!(error = %e, key, "could not remove an unused rendition");
                }
            }
        }
        if saved? {
            tracing::info!(media = %media.id, "web rendition and preview made");
        }
        Ok(())
    }
}

enum Encoded {
    Done,
    Missing,
    Failed(String),
}

impl RenderWebHandler {
    /// The local path, or a SAS URL valid an hour longer than ffmpeg may take.
    async fn input(&self, media: &Media) -> anyhow::Result<Option<String>> {
        Ok(match self.storage.local_path(&media.blob_key) {
            Some(path) => Some(path.display().to_string()),
            None => self
                .storage
                .sas_url(
                    &media.blob_key,
                    time_allowed(media) + Duration::from_secs(3600),
                )
                .await?
                .map(|url| url.to_string()),
        })
    }

    /// Both renditions in one ffmpeg run: with the watermark's text, else with a band.
    async fn encode(&self, input: &str, web: &Path, preview: &Path, media: &Media) -> Encoded {
        let timeout = time_allowed(media);
        let mut last = String::new();
        for mark in [
            format!(
                "drawtext=text='{WATERMARK}':fontcolor=white@0.5:fontsize=h/7:\
                 x=(w-text_w)/2:y=(h-text_h)/2:borderw=3:bordercolor=black@0.35"
            ),
            "drawbox=x=0:y=ih*0.42:w=iw:h=ih*0.16:color=white@0.45:t=fill".to_owned(),
        ] {
            let graph = format!(
                "[0:v]split=2[a][b];[a]scale='trunc(min(1920,iw)/2)*2':-2,format=yuv420p[web];\
                 [b]scale='trunc(min(1280,iw)/2)*2':-2,{mark},format=yuv420p[preview]"
            );
            let web_out = web.display().to_string();
            let preview_out = preview.display().to_string();
            let args = [
                "-v",
                "error",
                "-y",
                // One thread to decode, one for the filters, one per encoder (below): a 4K
                // master being encoded leaves the server's requests the other core.
                "-threads",
                "1",
                "-i",
                input,
                "-filter_complex_threads",
                "1",
                "-filter_complex",
                &graph,
                "-map",
                "[web]",
                "-map",
                "0:a?",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-threads",
                "1",
                "-crf",
                "23",
                "-maxrate",
                WEB_MAXRATE,
                "-bufsize",
                "12M",
                "-c:a",
                "aac",
                "-b:a",
                "128k",
                "-movflags",
                "+faststart",
                &web_out,
                "-map",
                "[preview]",
                "-map",
                "0:a?",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-threads",
                "1",
                "-crf",
                "28",
                "-maxrate",
                PREVIEW_MAXRATE,
                "-bufsize",
                "3M",
                "-c:a",
                "aac",
                "-b:a",
                "96k",
                "-movflags",
                "+faststart",
                &preview_out,
            ];
            // ffmpeg writes the files; its standard output stays empty.
            match run_tool_for(&self.settings.ffmpeg_path, &args, input, timeout).await {
                ToolOutcome::Output(_) => return Encoded::Done,
                ToolOutcome::Missing => return Encoded::Missing,
                ToolOutcome::Failed(why) => last = why,
            }
        }
        Encoded::Failed(last)
    }

    /// Streams a finished file to storage.
    async fn store_file(&self, path: &Path, key: &str) -> anyhow::Result<()> {
        let headers = BlobHeaders {
            content_type: "video/mp4".to_owned(),
            content_disposition: "inline".to_owned(),
        };
        let mut upload = self.storage.start_upload(key, &headers).await?;
        let mut file = tokio::fs::File::open(path).await?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match file.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    upload.abort().await;
                    return Err(e.into());
                }
            };
            if n == 0 {
                break;
            }
            if let Err(e) = upload.write(&buf[..n]).await {
                upload.abort().await;
                return Err(e.into());
            }
        }
        upload.finish().await?;
        Ok(())
    }
}

/// How long ffmpeg may take: four times the film's length (a quarter of real time) and ten
/// minutes more; when the length is not known yet, a second per MiB.
fn time_allowed(media: &Media) -> Duration {
    let seconds = match media.duration_ms {
        Some(ms) => u64::try_from(ms / 1000).unwrap_or(0) * 4,
        None => u64::try_from(media.size_bytes).unwrap_or(0) / (1024 * 1024),
    };
    Duration::from_secs(seconds + 600)
}

/// Extends the job's lease to five minutes ahead, at once and then every 20 seconds, whatever
/// `JOB_LEASE_SECS` is, while this attempt still holds the job.
async fn extend_lease(db: Db, job_id: String, attempt: i64) {
    loop {
        match job_store::extend_lease(db.pool(), &job_id, attempt, now() + 300).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(job = %job_id, attempt, "the rendition job's lease was lost");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, job = %job_id, "could not extend the rendition job's lease");
            }
        }
        tokio::time::sleep(Duration::from_secs(20)).await;
    }
}

/// The lease's task, stopped when dropped.
struct Heartbeat(tokio::task::JoinHandle<()>);

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A file removed when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
