//! How uploads are received and processed: the size limit per kind of file, the block size sent
//! to storage, how many uploads stream at once, how long one may stall and how slowly it may
//! arrive, and the ffmpeg programs that read videos.

use std::collections::HashMap;
use std::time::Duration;

use super::parse::{at_least, non_empty, parse_num};
use super::{ConfigError, err};

/// Upload limits, in bytes, per kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// `UPLOAD_MAX_IMAGE_MB`.
    pub image: u64,
    /// `UPLOAD_MAX_VIDEO_MB`.
    pub video: u64,
    /// `UPLOAD_MAX_DOCUMENT_MB`.
    pub document: u64,
    /// `UPLOAD_MAX_ARCHIVE_MB`.
    pub archive: u64,
    /// `UPLOAD_MAX_RESUMABLE_MB`: videos and archives sent through the resumable endpoint
    /// (images and documents keep their own limits there).
    pub resumable: u64,
}

impl UploadLimits {
    /// The largest of the limits: no upload request may be longer (plus form overhead).
    pub fn largest(&self) -> u64 {
        self.image
            .max(self.video)
            .max(self.document)
            .max(self.archive)
    }
}

/// How big an upload may be, and the block size it is sent to storage in.
pub(super) struct UploadSizes {
    pub(super) limits: UploadLimits,
    /// In bytes.
    pub(super) block_size: usize,
    /// How long an unfinished resumable upload waits for its next byte.
    pub(super) resumable_expiry: std::time::Duration,
}

impl UploadSizes {
    pub(super) fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let limits = UploadLimits {
            image: megabytes(vars, "UPLOAD_MAX_IMAGE_MB", 100)?,
            video: megabytes(vars, "UPLOAD_MAX_VIDEO_MB", 10 * 1024)?,
            document: megabytes(vars, "UPLOAD_MAX_DOCUMENT_MB", 50)?,
            archive: megabytes(vars, "UPLOAD_MAX_ARCHIVE_MB", 2 * 1024)?,
            resumable: megabytes(vars, "UPLOAD_MAX_RESUMABLE_MB", 50 * 1024)?,
        };
        let block_mb: usize = parse_num(vars, "UPLOAD_BLOCK_SIZE_MB", 4)?;
        if !(1..=64).contains(&block_mb) {
            return Err(err("UPLOAD_BLOCK_SIZE_MB must be between 1 and 64."));
        }
        // Azure discards a blob's uncommitted blocks a week after the last one arrived: an
        // upload must be finished or removed before that.
        let expiry_hours: u64 = parse_num(vars, "UPLOAD_RESUMABLE_EXPIRY_HOURS", 24)?;
        if !(1..=144).contains(&expiry_hours) {
            return Err(err(
                "UPLOAD_RESUMABLE_EXPIRY_HOURS must be between 1 and 144 (6 days: Azure drops unfinished uploads' blocks after 7).",
            ));
        }
        Ok(Self {
            limits,
            block_size: block_mb * 1024 * 1024,
            resumable_expiry: std::time::Duration::from_secs(expiry_hours * 3600),
        })
    }
}

/// A size given in MiB, at least 1, in bytes.
fn megabytes(vars: &HashMap<String, String>, name: &str, default: u64) -> Result<u64, ConfigError> {
    let value = at_least(parse_num(vars, name, default)?, 1, name)?;
    value
        .checked_mul(1024 * 1024)
        .ok_or_else(|| err(format!("{name} is too large.")))
}

/// Upload concurrency and patience, and the video tools run on what arrives.
pub(super) struct UploadProcessing {
    pub(super) max_concurrent: usize,
    pub(super) idle_timeout: Duration,
    /// In bytes per second.
    pub(super) min_rate: u64,
    pub(super) rate_grace: Duration,
    pub(super) ffmpeg_path: String,
    pub(super) ffprobe_path: String,
}

impl UploadProcessing {
    pub(super) fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Ok(Self {
            max_concurrent: at_least(
                parse_num(vars, "UPLOAD_MAX_CONCURRENT", 8)?,
                1,
                "UPLOAD_MAX_CONCURRENT",
            )?,
            idle_timeout: Duration::from_secs(at_least(
                parse_num(vars, "UPLOAD_IDLE_TIMEOUT_SECS", 60)?,
                1,
                "UPLOAD_IDLE_TIMEOUT_SECS",
            )?),
            // 64 KiB/s (half a megabit) is a poor uplink; eight uploads that slow still cost
            // their sender 4 Mbit/s to keep every upload slot.
            min_rate: at_least(
                parse_num(vars, "UPLOAD_MIN_RATE_KIB_PER_SEC", 64_u64)?,
                1,
                "UPLOAD_MIN_RATE_KIB_PER_SEC",
            )?
            .checked_mul(1024)
            .ok_or_else(|| err("UPLOAD_MIN_RATE_KIB_PER_SEC is too large."))?,
            rate_grace: Duration::from_secs(at_least(
                parse_num(vars, "UPLOAD_RATE_GRACE_SECS", 10)?,
                1,
                "UPLOAD_RATE_GRACE_SECS",
            )?),
            ffmpeg_path: non_empty(vars, "FFMPEG_PATH")
                .unwrap_or("ffmpeg")
                .to_owned(),
            ffprobe_path: non_empty(vars, "FFPROBE_PATH")
                .unwrap_or("ffprobe")
                .to_owned(),
        })
    }
}
