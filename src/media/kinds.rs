//! The allow-list of file types: extension, kind, the content type we serve, and the magic
//! bytes the content must start with. The client's own content type is never trusted.

use crate::config::UploadLimits;

/// The four families of files the studio stores; each has its own size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// Photos and stills.
    Image,
    /// Video masters and clips.
    Video,
    /// PDFs, Word files, plain text.
    Document,
    /// zip, rar, 7z.
    Archive,
}

impl MediaKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Document => "document",
            Self::Archive => "archive",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "image" => Some(Self::Image),
            "video" => Some(Self::Video),
            "document" => Some(Self::Document),
            "archive" => Some(Self::Archive),
            _ => None,
        }
    }

    /// The configured size limit of this kind, in bytes.
    pub fn limit(self, limits: &UploadLimits) -> u64 {
        match self {
            Self::Image => limits.image,
            Self::Video => limits.video,
            Self::Document => limits.document,
            Self::Archive => limits.archive,
        }
    }

    /// Whether a browser may show it in the page (images and video); documents and archives
    /// are always downloaded as attachments.
    pub fn inline(self) -> bool {
        matches!(self, Self::Image | Self::Video)
    }
}

/// One allowed file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileType {
    /// Canonical extension (lowercase, no dot).
    pub ext: &'static str,
    /// Family.
    pub kind: MediaKind,
    /// The content type we store and serve.
    pub content_type: &'static str,
    magic: Magic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Magic {
    Jpeg,
    Png,
    Gif,
    Webp,
    Tiff,
    Bmp,
    IsoMedia,
    QuickTime,
    Avi,
    Asf,
    Flv,
    Webm,
    Pdf,
    Ole,
    Zip,
    Text,
    Rar,
    SevenZip,
}

const TYPES: &[(&[&str], FileType)] = &[
    (
        &["jpg", "jpeg"],
        ft("jpg", MediaKind::Image, "image/jpeg", Magic::Jpeg),
    ),
    (
        &["png"],
        ft("png", MediaKind::Image, "image/png", Magic::Png),
    ),
    (
        &["gif"],
        ft("gif", MediaKind::Image, "image/gif", Magic::Gif),
    ),
    (
        &["webp"],
        ft("webp", MediaKind::Image, "image/webp", Magic::Webp),
    ),
    (
        &["tif", "tiff"],
        ft("tiff", MediaKind::Image, "image/tiff", Magic::Tiff),
    ),
    (
        &["bmp"],
        ft("bmp", MediaKind::Image, "image/bmp", Magic::Bmp),
    ),
    (
        &["mp4", "m4v"],
        ft("mp4", MediaKind::Video, "video/mp4", Magic::IsoMedia),
    ),
    (
        &["mov"],
        ft("mov", MediaKind::Video, "video/quicktime", Magic::QuickTime),
    ),
    (
        &["avi"],
        ft("avi", MediaKind::Video, "video/x-msvideo", Magic::Avi),
    ),
    (
        &["wmv"],
        ft("wmv", MediaKind::Video, "video/x-ms-wmv", Magic::Asf),
    ),
    (
        &["flv"],
        ft("flv", MediaKind::Video, "video/x-flv", Magic::Flv),
    ),
    (
        &["webm"],
        ft("webm", MediaKind::Video, "video/webm", Magic::Webm),
    ),
    (
        &["pdf"],
        ft("pdf", MediaKind::Document, "application/pdf", Magic::Pdf),
    ),
    (
        &["doc"],
        ft("doc", MediaKind::Document, "application/msword", Magic::Ole),
    ),
    (
        &["docx"],
        ft(
            "docx",
            MediaKind::Document,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Magic::Zip,
        ),
    ),
    (
        &["txt"],
        ft(
            "txt",
            MediaKind::Document,
            "text/plain; charset=utf-8",
            Magic::Text,
        ),
    ),
    (
        &["zip"],
        ft("zip", MediaKind::Archive, "application/zip", Magic::Zip),
    ),
    (
        &["rar"],
        ft("rar", MediaKind::Archive, "application/vnd.rar", Magic::Rar),
    ),
    (
        &["7z"],
        ft(
            "7z",
            MediaKind::Archive,
            "application/x-7z-compressed",
            Magic::SevenZip,
        ),
    ),
];

const fn ft(
    ext: &'static str,
    kind: MediaKind,
    content_type: &'static str,
    magic: Magic,
) -> FileType {
    FileType {
        ext,
        kind,
        content_type,
        magic,
    }
}

/// How many leading bytes [`FileType::matches`] wants to see (fewer only at end of file).
pub const SNIFF_LEN: usize = 4096;

/// The extensions we accept, for messages and the `accept` attribute.
pub fn allowed_extensions() -> impl Iterator<Item = &'static str> {
    TYPES.iter().flat_map(|(exts, _)| exts.iter().copied())
}

impl FileType {
    /// The type for a file name's extension, if it is on the allow-list.
    pub fn from_name(name: &str) -> Option<Self> {
        let (_, ext) = name.rsplit_once('.')?;
        let ext = ext.to_ascii_lowercase();
        TYPES
            .iter()
            .find(|(exts, _)| exts.contains(&ext.as_str()))
            .map(|(_, t)| *t)
    }

    /// The type of a stored content type (for rows written by this module).
    pub fn from_ext(ext: &str) -> Option<Self> {
        TYPES.iter().find(|(_, t)| t.ext == ext).map(|(_, t)| *t)
    }

    /// Whether `head`, the first bytes of the file (all of it if shorter than
    /// [`SNIFF_LEN`]), looks like this type.
    pub fn matches(&self, head: &[u8]) -> bool {
        let at =
            |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
        match self.magic {
            Magic::Jpeg => at(0, &[0xFF, 0xD8, 0xFF]),
            Magic::Png => at(0, b"\x89PNG\r\n\x1a\n"),
            Magic::Gif => at(0, b"GIF87a") || at(0, b"GIF89a"),
            Magic::Webp => at(0, b"RIFF") && at(8, b"WEBP"),
            Magic::Tiff => at(0, b"II*\0") || at(0, b"MM\0*"),
            Magic::Bmp => at(0, b"BM") && head.len() >= 26,
            Magic::IsoMedia => at(4, b"ftyp"),
            // QuickTime files start with `ftyp` (brand `qt  `) or, in older files, another atom.
            Magic::QuickTime => {
                at(4, b"ftyp")
                    || [b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"]
                        .iter()
                        .any(|atom| at(4, *atom))
            }
            Magic::Avi => at(0, b"RIFF") && at(8, b"AVI "),
            Magic::Asf => at(
                0,
                &[
                    0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00,
                    0x62, 0xCE, 0x6C,
                ],
            ),
            Magic::Flv => at(0, b"FLV\x01"),
            Magic::Webm => {
                at(0, &[0x1A, 0x45, 0xDF, 0xA3])
                    && head
                        .get(..64.min(head.len()))
                        .is_some_and(|h| h.windows(4).any(|w| w == b"webm"))
            }
            Magic::Pdf => at(0, b"%PDF-"),
            Magic::Ole => at(0, &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]),
            Magic::Zip => at(0, b"PK\x03\x04") || at(0, b"PK\x05\x06"),
            Magic::Rar => at(0, b"Rar!\x1a\x07\x00") || at(0, b"Rar!\x1a\x07\x01\x00"),
            Magic::SevenZip => at(0, &[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]),
            Magic::Text => looks_like_text(head),
        }
    }
}

/// UTF-8 without NUL bytes (a character cut at the end of the sniffed block is fine).
fn looks_like_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff(name: &str, bytes: &[u8]) -> bool {
        FileType::from_name(name).unwrap().matches(bytes)
    }

    #[test]
    fn extensions_map_to_canonical_types() {
        assert_eq!(FileType::from_name("Photo.JPEG").unwrap().ext, "jpg");
        assert_eq!(
            FileType::from_name("clip.m4v").unwrap().kind,
            MediaKind::Video
        );
        assert!(FileType::from_name("page.html").is_none());
        assert!(FileType::from_name("logo.svg").is_none());
        assert!(FileType::from_name("noextension").is_none());
        assert!(FileType::from_name("archive.tar.gz").is_none());
    }

    #[test]
    fn content_must_match_the_extension() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert!(sniff("a.png", png));
        assert!(!sniff("a.jpg", png));
        assert!(!sniff("a.mp4", png));
        assert!(sniff("a.jpg", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]));
        assert!(sniff("a.mp4", b"\0\0\0\x20ftypisom\0\0\x02\0"));
        assert!(sniff("a.mov", b"\0\0\0\x14ftypqt  \0\0\0\0"));
        assert!(sniff(
            "a.webm",
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm"
        ));
        assert!(!sniff(
            "a.webm",
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01matroska"
        ));
        assert!(sniff("a.pdf", b"%PDF-1.7\n"));
        assert!(sniff("a.docx", b"PK\x03\x04\x14\0"));
        assert!(sniff("a.7z", &[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0, 4]));
        assert!(sniff("a.avi", b"RIFF\0\0\0\0AVI LIST"));
        assert!(!sniff("a.webp", b"RIFF\0\0\0\0AVI LIST"));
    }

    #[test]
    fn text_is_utf8_without_nul() {
        assert!(sniff("notes.txt", "Shot list: café, 12:00\n".as_bytes()));
        assert!(sniff("notes.txt", &"é".as_bytes()[..1]));
        assert!(!sniff("notes.txt", b"MZ\x90\0\x03"));
        assert!(!sniff("notes.txt", &[0xFF, 0xFE, 0x41]));
    }
}
