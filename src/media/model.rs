//! Media values: the row, folders, and the names files get in storage.

use serde::Serialize;

use super::kinds::{FileType, MediaKind};

/// One stored file.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Media {
    /// Row id (UUIDv7).
    pub id: String,
    /// `<uuid>-<slug>.<ext>`: unique, safe, the last segment of the blob key; the API's name.
    pub name: String,
    /// Logical folder (`portfolio`, `products/prints`).
    pub folder: String,
    /// The name the file had on the uploader's machine (display only, never a path).
    pub original_name: String,
    /// `folder/yyyy/mm/<name>`.
    pub blob_key: String,
    /// `image`, `video`, `document` or `archive`.
    pub kind: String,
    /// Canonical extension.
    pub ext: String,
    /// What we serve it as (from the allow-list, never from the client).
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: Option<String>,
    /// `uploading` or `ready`.
    pub state: String,
    /// Uploader, when a person.
    pub uploaded_by_user_id: Option<String>,
    /// Uploader, when an API token.
    pub uploaded_by_token_id: Option<String>,
    /// Email or token name at upload time.
    pub uploaded_by: String,
    /// Pixels (images and video).
    pub width: Option<i64>,
    /// Pixels (images and video).
    pub height: Option<i64>,
    /// Video length.
    pub duration_ms: Option<i64>,
    /// Video poster blob.
    pub poster_key: Option<String>,
    /// Small preview blob (images and video).
    pub thumb_key: Option<String>,
    /// A video's showreel clip: its first seconds, small and silent.
    pub reel_key: Option<String>,
    /// A picture's 1280 px rendition, when the original is wider.
    pub full_key: Option<String>,
    /// A film re-encoded to start at once in a browser, at a capped bitrate.
    pub web_key: Option<String>,
    /// A smaller rendition of a film with PREVIEW written across it.
    pub preview_key: Option<String>,
    /// What the metadata job found.
    #[sqlx(try_from = "String")]
    pub analysis: AnalysisState,
    /// Why, in words, when not `done`.
    pub analysis_note: Option<String>,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub updated_at: i64,
}

/// Columns of [`Media`], in order, for `select`.
pub const MEDIA_COLUMNS: &str = "id, name, folder, original_name, blob_key, kind, ext, \
    content_type, size_bytes, sha256, state, uploaded_by_user_id, uploaded_by_token_id, \
    uploaded_by, width, height, duration_ms, poster_key, thumb_key, reel_key, full_key, web_key, \
    preview_key, analysis, analysis_note, created_at, updated_at";

impl Media {
    /// The family of the file.
    pub fn media_kind(&self) -> MediaKind {
        MediaKind::parse(&self.kind).unwrap_or(MediaKind::Document)
    }

    /// The allow-list entry it was stored under.
    pub fn file_type(&self) -> Option<FileType> {
        FileType::from_ext(&self.ext)
    }

    /// A download file name: the original, made safe for a header.
    pub fn download_name(&self) -> String {
        safe_file_name(&self.original_name, &self.name)
    }

    /// `inline` for images and video, `attachment` for everything else, with the file name.
    pub fn content_disposition(&self) -> String {
        disposition(self.media_kind(), &self.download_name())
    }
}

/// A `Content-Disposition` value for a file of `kind` called `filename` (already safe).
pub fn disposition(kind: MediaKind, filename: &str) -> String {
    let how = if kind.inline() {
        "inline"
    } else {
        "attachment"
    };
    format!("{how}; filename=\"{filename}\"")
}

/// `original` with anything but ASCII letters, digits, `.`, `-`, `_` and spaces replaced, fit
/// for a quoted header parameter; `fallback` when nothing is left.
pub fn safe_file_name(original: &str, fallback: &str) -> String {
    let cleaned: String = original
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_matches('.');
    if cleaned.is_empty() {
        fallback.to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// The folder a file is filed under: up to three lowercase segments of letters, digits, `-`
/// and `_`. Never `..`, never absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder(String);

/// The folder of uploads that name none.
pub const DEFAULT_FOLDER: &str = "uploads";

impl Folder {
    /// Validates a folder; case, surrounding slashes and surrounding ASCII whitespace are
    /// forgiven, nothing else is (the API's spec states this rule as a pattern).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let trimmed = raw
            .trim_matches(|c: char| c.is_ascii_whitespace())
            .trim_matches('/')
            .to_ascii_lowercase();
        if trimmed.is_empty() {
            return Ok(Self(DEFAULT_FOLDER.to_owned()));
        }
        let segments: Vec<&str> = trimmed.split('/').collect();
        if segments.len() > 3 {
            return Err("A folder has at most three levels, such as products/prints/2026.");
        }
        for segment in &segments {
            let ok = !segment.is_empty()
                && segment.len() <= 40
                && segment
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
                && !segment.starts_with(['-', '_']);
            if !ok {
                return Err(
                    "A folder is made of letters, digits, '-' and '_', separated by '/', such as portfolio/weddings.",
                );
            }
        }
        Ok(Self(segments.join("/")))
    }

    /// The folder as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A media name as the API addresses it: `<uuid>-<slug>.<ext>`, lowercase ASCII only.
pub fn parse_name(raw: &str) -> Option<&str> {
    let valid = (40..=120).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !raw.contains("..")
        && !raw.starts_with('.')
        && raw.matches('.').count() == 1
        && uuid::Uuid::parse_str(raw.get(..36)?).is_ok();
    valid.then_some(raw)
}

/// The display name of an uploaded file: what follows the last `/` or `\` (browsers on
/// Windows send `C:\fakepath\...`), without control characters, at most 200 characters.
pub fn clean_original_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    cleaned.trim().to_owned()
}

/// A lowercase ASCII slug of a file's stem: `Wedding Film (final).mov` → `wedding-film-final`.
pub fn slug(original: &str) -> String {
    let stem = original.rsplit_once('.').map_or(original, |(s, _)| s);
    let mut out = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 60 {
            break;
        }
    }
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() {
        "file".to_owned()
    } else {
        out
    }
}

/// `<uuid>-<slug>.<ext>` and the blob key `folder/yyyy/mm/<name>` for a new file.
pub fn new_blob_name(
    id: &str,
    folder: &Folder,
    original: &str,
    ext: &str,
    now: i64,
) -> (String, String) {
    let name = format!("{id}-{}.{ext}", slug(original));
    let (year, month) = jiff::Timestamp::from_second(now)
        .map(|t| {
            let d = t.to_zoned(jiff::tz::TimeZone::UTC).date();
            (d.year(), d.month())
        })
        .unwrap_or((1970, 1));
    let key = format!("{}/{year:04}/{month:02}/{name}", folder.as_str());
    (name, key)
}

/// Where a file's analysis (size, duration, thumbnail, poster) stands: the `analysis` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisState {
    /// Waiting for the metadata job.
    #[default]
    Pending,
    /// Measured (and a thumbnail or poster made where the kind has one).
    Done,
    /// Nothing to measure for this kind (documents, archives).
    Skipped,
    /// ffprobe or ffmpeg is not installed; the job can be retried once it is.
    ToolMissing,
    /// The file could not be read as what it claims to be.
    Failed,
}

impl AnalysisState {
    /// Column value (also shown, with `_` as a space, and given by the API).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Done => "done",
            Self::Skipped => "skipped",
            Self::ToolMissing => "tool_missing",
            Self::Failed => "failed",
        }
    }
}

impl PartialEq<&str> for AnalysisState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl TryFrom<String> for AnalysisState {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        [
            Self::Pending,
            Self::Done,
            Self::Skipped,
            Self::ToolMissing,
            Self::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
        .ok_or_else(|| format!("unknown analysis state {value:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_safe_paths() {
        assert_eq!(Folder::parse("").unwrap().as_str(), "uploads");
        assert_eq!(
            Folder::parse("/Portfolio/Weddings/").unwrap().as_str(),
            "portfolio/weddings"
        );
        assert!(Folder::parse("../etc").is_err());
        assert!(Folder::parse("a/../b").is_err());
        assert!(Folder::parse("a//b").is_err());
        assert!(Folder::parse("a/b/c/d").is_err());
        assert!(Folder::parse("caf\u{e9}").is_err());
        assert!(Folder::parse("a\0b").is_err());
    }

    #[test]
    fn names_are_checked_strictly() {
        let good = "0193a6f2-7c4e-7d3a-9b1e-2f6c8d9e0a1b-wedding-film.mp4";
        assert_eq!(parse_name(good), Some(good));
        assert!(parse_name("../0193a6f2-7c4e-7d3a-9b1e-2f6c8d9e0a1b-x.mp4").is_none());
        assert!(parse_name("/etc/passwd").is_none());
        assert!(parse_name("0193a6f2-7c4e-7d3a-9b1e-2f6c8d9e0a1b-x.tar.gz").is_none());
        assert!(parse_name("0193a6f2-7c4e-7d3a-9b1e-2f6c8d9e0a1b-X.mp4").is_none());
        assert!(parse_name("0193a6f2-7c4e-7d3a-9b1e-2f6c8d9e0a1b-x\u{0}.mp4").is_none());
    }

    #[test]
    fn blob_names_are_random_and_slugged() {
        let folder = Folder::parse("portfolio").unwrap();
        let (name, key) = new_blob_name(
            "0193a6f2-7c4e-7d3a-9b1e-2f6c8d9e0a1b",
            &folder,
            "C Wedding Film (final).MOV",
            "mov",
            1_795_000_000,
        );
        assert_eq!(
            name,
            "0193a6f2-7c4e-7d3a-9b1e-2f6c8d9e0a1b-c-wedding-film-final.mov"
        );
        assert_eq!(key, format!("portfolio/2026/11/{name}"));
        assert_eq!(
            clean_original_name("C:\\fakepath\\shot\u{7}.jpg"),
            "shot.jpg"
        );
        assert_eq!(slug("../../../.."), "file");
    }
}
