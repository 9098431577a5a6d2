//! Static assets, embedded in the binary and served under content-hashed names
//! (`/assets/app.3f2a1b9c.css`) with a one-year immutable cache.
//!
//! A changed file gets a new name, so browsers never see a stale stylesheet, and the release
//! binary needs no files beside it. The stylesheet names other assets (its fonts) as
//! `url(/assets/LOGICAL)`; those references are rewritten to the hashed names before the
//! stylesheet itself is hashed, so a new font also renames the stylesheet.

use std::collections::HashMap;
use std::sync::LazyLock;

use bytes::Bytes;
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::Path;
use poem::{IntoResponse, Response, handler};
use sha2::{Digest as _, Sha256};

/// One embedded file.
struct Asset {
    logical: &'static str,
    bytes: &'static [u8],
    content_type: &'static str,
}

const FILES: &[Asset] = &[
    Asset {
        logical: "app.css",
        bytes: include_bytes!("../../assets/app.css"),
        content_type: "text/css; charset=utf-8",
    },
    Asset {
        logical: "htmx.min.js",
        bytes: include_bytes!("../../assets/vendor/htmx/htmx.min.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        logical: "media.js",
        bytes: include_bytes!("../../assets/media.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        logical: "tus.min.js",
        bytes: include_bytes!("../../assets/vendor/tus-js-client/tus.min.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        logical: "upload.js",
        bytes: include_bytes!("../../assets/upload.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        logical: "site.js",
        bytes: include_bytes!("../../assets/site.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        logical: "favicon.svg",
        bytes: include_bytes!("../../assets/favicon.svg"),
        content_type: "image/svg+xml",
    },
    Asset {
        logical: "inter-latin-wght-normal.woff2",
        bytes: include_bytes!("../../assets/vendor/fonts/inter/inter-latin-wght-normal.woff2"),
        content_type: "font/woff2",
    },
    Asset {
        logical: "instrument-serif-latin-400-normal.woff2",
        bytes: include_bytes!(
            "../../assets/vendor/fonts/instrument-serif/instrument-serif-latin-400-normal.woff2"
        ),
        content_type: "font/woff2",
    },
];

/// The fonts every page preloads (the body text's and the headings').
pub const PRELOADED_FONTS: &[&str] = &[
    "inter-latin-wght-normal.woff2",
    "instrument-serif-latin-400-normal.woff2",
];

/// An asset as served: its bytes after rewriting, and its type.
struct Served {
    bytes: Bytes,
    content_type: &'static str,
}

struct Catalog {
    /// logical name → hashed URL
    urls: HashMap<&'static str, String>,
    /// hashed file name → what is served
    by_hashed: HashMap<String, Served>,
}

fn is_stylesheet(asset: &Asset) -> bool {
    asset.content_type.starts_with("text/css")
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let mut urls: HashMap<&'static str, String> = HashMap::new();
    let mut by_hashed = HashMap::new();
    // Stylesheets last: they refer to the others by their hashed names.
    let (styles, others): (Vec<&Asset>, Vec<&Asset>) = FILES.iter().partition(|a| is_stylesheet(a));
    for asset in others.into_iter().chain(styles) {
        let bytes = if is_stylesheet(asset) {
            Bytes::from(rewrite_urls(asset.bytes, &urls))
        } else {
            Bytes::from_static(asset.bytes)
        };
        let hash = hex::encode(&Sha256::digest(&bytes)[..5]);
        let hashed = match asset.logical.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
            None => format!("{}.{hash}", asset.logical),
        };
        urls.insert(asset.logical, format!("/assets/{hashed}"));
        let served = Served {
            bytes,
            content_type: asset.content_type,
        };
        by_hashed.insert(hashed, served);
    }
    Catalog { urls, by_hashed }
});

/// `url(/assets/LOGICAL)` → `url(/assets/LOGICAL-WITH-HASH)` for every asset already named.
fn rewrite_urls(css: &[u8], urls: &HashMap<&'static str, String>) -> Vec<u8> {
    let mut text = String::from_utf8_lossy(css).into_owned();
    for (logical, hashed) in urls {
        text = text.replace(
            &format!("url(/assets/{logical})"),
            &format!("url({hashed})"),
        );
    }
    text.into_bytes()
}

/// The URL of an embedded asset by its logical name (`"app.css"`).
pub fn url(logical: &str) -> &'static str {
    CATALOG
        .urls
        .get(logical)
        .map_or("/assets/missing", String::as_str)
}

/// `GET /assets/:file`.
#[handler]
pub fn serve_asset(Path(file): Path<String>) -> Response {
    match CATALOG.by_hashed.get(&file) {
        Some(asset) => Response::builder()
            .header(header::CONTENT_TYPE, asset.content_type)
            .header(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            )
            .body(asset.bytes.clone()),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_names_its_fonts_by_their_hashed_urls() {
        let css = &CATALOG.by_hashed[url("app.css").trim_start_matches("/assets/")].bytes;
        let css = std::str::from_utf8(css).expect("utf-8");
        for font in PRELOADED_FONTS {
            assert!(css.contains(&format!("url({})", url(font))), "{font}");
            assert!(!css.contains(&format!("url(/assets/{font})")), "{font}");
        }
    }

    #[test]
    fn every_asset_has_a_hashed_url() {
        for name in FILES.iter().map(|a| a.logical) {
            let u = url(name);
            assert!(u.starts_with("/assets/"), "{name}: {u}");
            assert_ne!(u, "/assets/missing");
            let file = u.trim_start_matches("/assets/");
            assert!(CATALOG.by_hashed.contains_key(file));
        }
    }
}
