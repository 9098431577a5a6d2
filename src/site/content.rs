//! The public site's content as the browsing pages see it, held in memory by the content
//! cache (`crate::content`): published films, packages, FAQ and studio details.

use std::collections::HashMap;

use super::store::{self, Package, PortfolioVideo};
use crate::content::{Memo, Snapshot};
use crate::db::Db;

/// Films, packages, FAQ and studio details.
#[derive(Debug, Default)]
pub struct SiteContent {
    /// Published films in display order (grouped by category order).
    pub videos: Vec<PortfolioVideo>,
    /// Active packages in order.
    pub packages: Vec<Package>,
    /// FAQ (question, answer).
    pub faqs: Vec<(String, String)>,
    /// Studio details by key.
    pub details: HashMap<String, String>,
    /// The home page's fixed parts.
    pub memo: Memo,
}

impl SiteContent {
    /// A published film by slug.
    pub fn video(&self, slug: &str) -> Option<&PortfolioVideo> {
        self.videos.iter().find(|v| v.slug == slug)
    }

    /// An active package by slug.
    pub fn package(&self, slug: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.slug == slug)
    }
}

#[async_trait::async_trait]
impl Snapshot for SiteContent {
    async fn load(db: &Db) -> Result<Self, sqlx::Error> {
        let pool = db.pool();
        let mut videos = store::portfolio(pool, None).await?;
        let films: Vec<&str> = videos
            .iter()
            .filter_map(|v| v.video_media_id.as_deref())
            .collect();
        let reels = crate::media::store::with_reel(pool, &films).await?;
        for v in &mut videos {
            v.reel = v
                .video_media_id
                .as_ref()
                .is_some_and(|id| reels.contains(id));
        }
        Ok(Self {
            videos,
            packages: store::packages(pool).await?,
            faqs: store::faqs(pool).await?,
            details: store::studio_details(pool).await?,
            memo: Memo::default(),
        })
    }
}
