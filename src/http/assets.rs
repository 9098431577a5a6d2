//! Static assets, embedded in the binary and served under content-hashed names
//! (`/assets/app.3f2a1b9c.css`) with a one-year immutable cache.
//!
//! A changed file gets a new name, so browsers never see a stale stylesheet, and the release
//! binary needs no files beside it.

use std::collections::HashMap;
use std::sync::LazyLock;

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
        logical: "site.js",
        bytes: include_bytes!("../../assets/site.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        logical: "favicon.svg",
        bytes: include_bytes!("../../assets/favicon.svg"),
        content_type: "image/svg+xml",
    },
];

struct Catalog {
    /// logical name → hashed URL
    urls: HashMap<&'static str, String>,
    /// hashed file name → asset
    by_hashed: HashMap<String, &'static Asset>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let mut urls = HashMap::new();
    let mut by_hashed = HashMap::new();
    for asset in FILES {
        let hash = hex::encode(&Sha256::digest(asset.bytes)[..5]);
        let hashed = match asset.logical.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
            None => format!("{}.{hash}", asset.logical),
        };
        urls.insert(asset.logical, format!("/assets/{hashed}"));
        by_hashed.insert(hashed, asset);
    }
    Catalog { urls, by_hashed }
});

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
            .body(asset.bytes),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_a_hashed_url() {
        for name in ["app.css", "htmx.min.js", "favicon.svg"] {
            let u = url(name);
            assert!(u.starts_with("/assets/"), "{name}: {u}");
            assert_ne!(u, "/assets/missing");
            let file = u.trim_start_matches("/assets/");
            assert!(CATALOG.by_hashed.contains_key(file));
        }
    }
}
