//! The metadata job: image size and thumbnail (the `image` crate); video duration, size and a
//! poster (ffprobe and ffmpeg, when installed). A missing tool is recorded on the row in words,
//! not retried.

use std::io::Cursor;
use std::process::Stdio;
use std::time::Duration;

use image::{ImageFormat, ImageReader, Limits};
use serde::{Deserialize, Serialize};
use tokio::process::Command;

use super::kinds::MediaKind;
use super::model::{AnalysisState, Media};
use super::store::{self, Analysis};
use crate::config::Settings;
use crate::db::{Db, now};
use crate::jobs::{Job, JobHandler, JobSpec};
use crate::storage::{BlobHeaders, Storage};

/// Fill in a media row's dimensions, duration, thumbnail and poster.
#[derive(Debug, Serialize, Deserialize)]
pub struct AnalyzeMediaJob {
    pub media_id: String,
}

impl JobSpec for AnalyzeMediaJob {
    const KIND: &'static str = "media.analyze";
}

/// Runs [`AnalyzeMediaJob`].
pub struct AnalyzeMediaHandler {
    pub db: Db,
    /// Where the files are.
    pub storage: Storage,
    /// Tool paths and limits.
    pub settings: std::sync::Arc<Settings>,
}

/// Longest side of a thumbnail, in pixels.
const THUMB_SIZE: u32 = 480;
/// Widest poster, in pixels.
const POSTER_WIDTH: u32 = 1280;
/// Width of a picture's full rendition (pages describe it so in `srcset`).
pub const FULL_WIDTH: u32 = 1280;
/// Widest showreel clip, in pixels: it plays behind the home page's title, under a scrim.
const REEL_WIDTH: u32 = 960;
/// Length of the showreel clip, in seconds.
const REEL_SECONDS: u32 = 8;
/// How long ffprobe or ffmpeg may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(120);

/// Where derived images of a row live.
fn derived_key(media: &Media, what: &str) -> String {
    format!("_derived/{}/{what}.jpg", media.id)
}

fn jpeg_headers() -> BlobHeaders {
    BlobHeaders {
        content_type: "image/jpeg".to_owned(),
        content_disposition: "inline".to_owned(),
    }
}

#[async_trait::async_trait]
impl JobHandler for AnalyzeMediaHandler {
    async fn run(&self, job: &Job) -> anyhow::Result<()> {
        let spec: AnalyzeMediaJob = job.payload()?;
        let Some(media) = store::find_ready(self.db.pool(), &spec.media_id).await? else {
            return Ok(()); // deleted meanwhile
        };
        let analysis = match media.media_kind() {
            MediaKind::Image => self.image(&media).await?,
            MediaKind::Video => self.video(&media).await?,
            MediaKind::Document | MediaKind::Archive => Analysis {
                outcome: AnalysisState::Skipped,
                ..Analysis::default()
            },
        };
        if !store::save_analysis(self.db.pool(), &media.id, &analysis, now()).await? {
            // The row went while we worked: take the derived files with it.
            for key in [
                &analysis.thumb_key,
                &analysis.poster_key,
                &analysis.reel_key,
                &analysis.full_key,
            ]
            .into_iter()
            .flatten()
            {
                self.storage.delete(key).await?;
            }
        }
        tracing::info!(media = %media.id, outcome = analysis.outcome.as_str(), "media analysed");
        Ok(())
    }
}

impl AnalyzeMediaHandler {
    async fn image(&self, media: &Media) -> anyhow::Result<Analysis> {
        let limit = self.settings.upload_limits.image;
        let Some(bytes) = self.storage.read_small(&media.blob_key, limit).await? else {
            return Ok(failed(
                "the image is larger than the image limit".to_owned(),
            ));
        };
        let decoded = tokio::task::spawn_blocking(move || renditions(&bytes)).await?;
        let r = match decoded {
            Ok(v) => v,
            Err(e) => return Ok(failed(format!("the image could not be read: {e}"))),
        };
        let key = derived_key(media, "thumb");
        self.storage
            .put_small(&key, r.thumb, &jpeg_headers())
            .await?;
        let full_key = match r.full {
            Some(full) => {
                let key = derived_key(media, "full");
                self.storage.put_small(&key, full, &jpeg_headers()).await?;
                Some(key)
            }
            None => None,
        };
        Ok(Analysis {
            outcome: AnalysisState::Done,
            width: Some(i64::from(r.width)),
            height: Some(i64::from(r.height)),
            thumb_key: Some(key),
            full_key,
            ..Analysis::default()
        })
    }

    async fn video(&self, media: &Media) -> anyhow::Result<Analysis> {
        let Some(input) = self.tool_input(media).await? else {
            return Ok(failed("the file has no readable location".to_owned()));
        };
        let mut analysis = self.probe(&input).await;
        if analysis.outcome != AnalysisState::Done {
            return Ok(analysis);
        }
        let poster = match self.poster_frame(&input, analysis.duration_ms).await {
            Ok(poster) => poster,
            Err((outcome, note)) => {
                analysis.outcome = outcome;
                analysis.note = Some(note);
                return Ok(analysis);
            }
        };
        let poster_key = derived_key(media, "poster");
        let thumb_source = poster.clone();
        self.storage
            .put_small(&poster_key, poster, &jpeg_headers())
            .await?;
        analysis.poster_key = Some(poster_key);
        if let Ok(Ok(r)) = tokio::task::spawn_blocking(move || renditions(&thumb_source)).await {
            let key = derived_key(media, "thumb");
            self.storage
                .put_small(&key, r.thumb, &jpeg_headers())
                .await?;
            analysis.thumb_key = Some(key);
        }
        // The clip is a nicety: a film without one shows its poster.
        match self.reel_clip(&input).await {
            Ok(clip) => {
                let key = format!("_derived/{}/reel.mp4", media.id);
                let headers = BlobHeaders {
                    content_type: "video/mp4".to_owned(),
                    content_disposition: "inline".to_owned(),
                };
                self.storage.put_small(&key, clip, &headers).await?;
                analysis.reel_key = Some(key);
            }
            Err(why) => tracing::warn!(media = %media.id, %why, "no showreel clip"),
        }
        Ok(analysis)
    }

    /// Where ffprobe and ffmpeg read the file in place: the local path, or a short-lived SAS
    /// URL. None when the storage offers neither.
    async fn tool_input(&self, media: &Media) -> anyhow::Result<Option<String>> {
        Ok(match self.storage.local_path(&media.blob_key) {
            Some(path) => Some(path.display().to_string()),
            None => self
                .storage
                .sas_url(&media.blob_key, Duration::from_secs(30 * 60))
                .await?
                .map(|url| url.to_string()),
        })
    }

    /// The video's size and duration from ffprobe: outcome `done`, or why not.
    async fn probe(&self, input: &str) -> Analysis {
        let probe = match run_tool(
            &self.settings.ffprobe_path,
            &[
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "stream=width,height:format=duration",
                "-of",
                "json",
                input,
            ],
            input,
        )
        .await
        {
            ToolOutcome::Missing => {
                return Analysis {
                    outcome: AnalysisState::ToolMissing,
                    note: Some(format!(
                        "ffprobe is not installed (FFPROBE_PATH={}), so the duration, size and poster were not extracted. Install ffmpeg and retry the job.",
                        self.settings.ffprobe_path
                    )),
                    ..Analysis::default()
                };
            }
            ToolOutcome::Failed(why) => {
                return failed(format!("ffprobe could not read the video: {why}"));
            }
            ToolOutcome::Output(out) => out,
        };
        let probe: Probe = match serde_json::from_slice(&probe) {
            Ok(p) => p,
            Err(e) => return failed(format!("ffprobe gave unexpected output: {e}")),
        };
        let stream = probe.streams.first();
        let duration_ms = probe
            .format
            .as_ref()
            .and_then(|f| f.duration.as_deref())
            .and_then(|d| d.parse::<f64>().ok())
            .map(|secs| (secs * 1000.0).round() as i64);
        Analysis {
            outcome: AnalysisState::Done,
            width: stream.and_then(|s| s.width),
            height: stream.and_then(|s| s.height),
            duration_ms,
            ..Analysis::default()
        }
    }

    /// The showreel clip: the first [`REEL_SECONDS`] of the video at most [`REEL_WIDTH`] wide,
    /// without sound, as a fragmented MP4 (which ffmpeg can write to a pipe and browsers play
    /// as it arrives). H.264 where ffmpeg has it, MPEG-4 part 2 otherwise.
    async fn reel_clip(&self, input: &str) -> Result<Vec<u8>, String> {
        let seconds = REEL_SECONDS.to_string();
        let scale = format!("scale='min({REEL_WIDTH},iw)':-2");
        let mut last = String::new();
        for codec in [
            &[
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-pix_fmt", "yuv420p",
            ][..],
            &["-c:v", "mpeg4", "-q:v", "8"][..],
        ] {
            let mut args = vec![
                "-v", "error", "-t", &seconds, "-i", input, "-an", "-vf", &scale,
            ];
            args.extend_from_slice(codec);
            args.extend_from_slice(&[
                "-movflags",
                "frag_keyframe+empty_moov+default_base_moof",
                "-f",
                "mp4",
                "pipe:1",
            ]);
            match run_tool(&self.settings.ffmpeg_path, &args, input).await {
                ToolOutcome::Output(bytes) if !bytes.is_empty() => return Ok(bytes),
                ToolOutcome::Output(_) => last = "ffmpeg wrote nothing".to_owned(),
                ToolOutcome::Missing => return Err("ffmpeg is not installed".to_owned()),
                ToolOutcome::Failed(why) => last = why,
            }
        }
        Err(last)
    }

    /// A JPEG frame for the poster from ffmpeg, or the outcome and note that say why not.
    async fn poster_frame(
        &self,
        input: &str,
        duration_ms: Option<i64>,
    ) -> Result<Vec<u8>, (AnalysisState, String)> {
        // A frame a second in (or halfway through a shorter clip).
        let at = duration_ms.map_or(0.0, |ms| (ms as f64 / 2000.0).min(1.0));
        let scale = format!("scale='min({POSTER_WIDTH},iw)':-2");
        let at = format!("{at:.3}");
        let frame = run_tool(
            &self.settings.ffmpeg_path,
            &[
                "-v",
                "error",
                "-ss",
                &at,
                "-i",
                input,
                "-frames:v",
                "1",
                "-vf",
                &scale,
                "-f",
                "image2",
                "-c:v",
                "mjpeg",
                "-q:v",
                "3",
                "pipe:1",
            ],
            input,
        )
        .await;
        match frame {
            ToolOutcome::Output(bytes) if !bytes.is_empty() => Ok(bytes),
            ToolOutcome::Output(_) => Err((
                AnalysisState::Failed,
                "ffmpeg found no frame for a poster".to_owned(),
            )),
            ToolOutcome::Missing => Err((
                AnalysisState::ToolMissing,
                format!(
                    "ffmpeg is not installed (FFMPEG_PATH={}), so no poster was made. Install ffmpeg and retry the job.",
                    self.settings.ffmpeg_path
                ),
            )),
            ToolOutcome::Failed(why) => Err((
                AnalysisState::Failed,
                format!("ffmpeg could not make a poster: {why}"),
            )),
        }
    }
}

fn failed(note: String) -> Analysis {
    Analysis {
        outcome: AnalysisState::Failed,
        note: Some(note),
        ..Analysis::default()
    }
}

/// What the analysis makes of a picture.
struct Renditions {
    width: u32,
    height: u32,
    /// At most [`THUMB_SIZE`] on its longest side, JPEG.
    thumb: Vec<u8>,
    /// [`FULL_WIDTH`] wide, JPEG, when the original is wider.
    full: Option<Vec<u8>>,
}

/// Decodes a picture (bounded: 30,000 px a side, 768 MiB) into its size and renditions.
fn renditions(bytes: &[u8]) -> anyhow::Result<Renditions> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(30_000);
    limits.max_image_height = Some(30_000);
    limits.max_alloc = Some(768 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode()?;
    let (width, height) = (image.width(), image.height());
    let jpeg = |picture: image::RgbImage| -> anyhow::Result<Vec<u8>> {
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, ImageFormat::Jpeg)?;
        Ok(out.into_inner())
    };
    let thumb = jpeg(image.thumbnail(THUMB_SIZE, THUMB_SIZE).into_rgb8())?;
    let full = if width > FULL_WIDTH {
        Some(jpeg(image.thumbnail(FULL_WIDTH, u32::MAX).into_rgb8())?)
    } else {
        None
    };
    Ok(Renditions {
        width,
        height,
        thumb,
        full,
    })
}

#[derive(Debug, Deserialize)]
struct Probe {
    #[serde(default)]
    streams: Vec<ProbeStream>,
    format: Option<ProbeFormat>,
}

#[derive(Debug, Deserialize)]
struct ProbeStream {
    width: Option<i64>,
    height: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct ProbeFormat {
    duration: Option<String>,
}

/// How a run of ffprobe or ffmpeg went.
pub(super) enum ToolOutcome {
    /// It succeeded; what it wrote to its standard output.
    Output(Vec<u8>),
    /// It is not installed.
    Missing,
    /// It failed; the first line it said, or why it was stopped.
    Failed(String),
}

/// Runs a tool for at most [`TOOL_TIMEOUT`], keeping what it writes.
async fn run_tool(program: &str, args: &[&str], input: &str) -> ToolOutcome {
    run_tool_for(program, args, input, TOOL_TIMEOUT).await
}

/// Runs a tool for at most `timeout`; its first error line is kept (with the input, which may
/// be a SAS URL, hidden).
pub(super) async fn run_tool_for(
    program: &str,
    args: &[&str],
    input: &str,
    timeout: Duration,
) -> ToolOutcome {
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return ToolOutcome::Missing,
        Err(e) => return ToolOutcome::Failed(e.to_string()),
    };
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => ToolOutcome::Failed(format!("timed out after {} s", timeout.as_secs())),
        Ok(Err(e)) => ToolOutcome::Failed(e.to_string()),
        Ok(Ok(out)) if out.status.success() => ToolOutcome::Output(out.stdout),
        Ok(Ok(out)) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let first = stderr.lines().next().unwrap_or("no message").trim();
            let first = first.replace(input, "<input>");
            ToolOutcome::Failed(first.chars().take(300).collect())
        }
    }
}
