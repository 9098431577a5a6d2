//! What the public pages show, held in memory: categories, listed products with the option
//! values they offer, published films, packages, FAQ and studio details.
//!
//! Browsing pages (home, shop, product, portfolio, film, services, packages, FAQ, about,
//! contact, sitemap) read this snapshot instead of querying per request: a studio's catalog is
//! small, and the database stays free for carts and orders. The snapshot is reloaded when it
//! is older than `CONTENT_CACHE_TTL_MS` (one request reloads while the others keep serving the
//! previous snapshot) and at once on the replica where an admin changed something; other
//! replicas catch up within the TTL. Nothing that takes money reads it: the price fragment,
//! the cart and checkout price from the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use maud::Markup;

use super::store::{self, Package, PortfolioVideo};
use crate::catalog::model::{Category, PRODUCT_COLUMNS, Product};
use crate::catalog::pricing::{self, OfferedValue, OptionGroup, Selection};
use crate::catalog::store as catalog_store;
use crate::db::Db;

/// Most fragments one snapshot keeps.
pub const MEMO_ENTRIES: usize = 512;

/// A picture of the public content (its queries are separate reads, so a change landing
/// between them shows fully at the next reload).
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Active categories in order.
    pub categories: Vec<Category>,
    /// Listed products, newest first.
    pub products: Vec<Product>,
    /// Option values each listed product offers.
    pub offered: HashMap<String, Vec<OfferedValue>>,
    /// The same, grouped for display, and the choice a product page starts with.
    options: HashMap<String, (Vec<OptionGroup>, Selection)>,
    /// Published films in display order (grouped by category order).
    pub videos: Vec<PortfolioVideo>,
    /// Active packages in order.
    pub packages: Vec<Package>,
    /// FAQ (question, answer).
    pub faqs: Vec<(String, String)>,
    /// Studio details by key.
    pub details: HashMap<String, String>,
    by_slug: HashMap<String, usize>,
    /// Rendered fragments that are the same for every visitor (product cards, shop results),
    /// dropped with the snapshot.
    memo: RwLock<HashMap<String, Markup>>,
}

impl Snapshot {
    /// A listed product by slug.
    pub fn product(&self, slug: &str) -> Option<&Product> {
        self.by_slug.get(slug).and_then(|i| self.products.get(*i))
    }

    /// What a product offers.
    pub fn offered_for(&self, product_id: &str) -> &[OfferedValue] {
        self.offered.get(product_id).map_or(&[], Vec::as_slice)
    }

    /// A product's option groups and its default choice (first value of each group).
    pub fn options_for(&self, product_id: &str) -> Option<(&[OptionGroup], &Selection)> {
        self.options
            .get(product_id)
            .map(|(groups, selection)| (groups.as_slice(), selection))
    }

    /// The fragment stored under `key`, rendering and storing it on a miss. Keys must name
    /// everything the fragment depends on that is not in the snapshot (query, the hour of the
    /// signed image URLs). At most [`MEMO_ENTRIES`] are kept; past that, fragments are
    /// rendered without being stored.
    pub fn memo(&self, key: &str, render: impl FnOnce() -> Markup) -> Markup {
        if let Ok(memo) = self.memo.read()
            && let Some(hit) = memo.get(key)
        {
            return hit.clone();
        }
        let fresh = render();
        if let Ok(mut memo) = self.memo.write()
            && memo.len() < MEMO_ENTRIES
        {
            memo.insert(key.to_owned(), fresh.clone());
        }
        fresh
    }

    /// The fragment stored under `key`, if any: for fragments whose rendering needs the
    /// database, look here first and [`Snapshot::memo`] what was loaded on a miss.
    pub fn memoised(&self, key: &str) -> Option<Markup> {
        self.memo.read().ok()?.get(key).cloned()
    }

    /// A published film by slug.
    pub fn video(&self, slug: &str) -> Option<&PortfolioVideo> {
        self.videos.iter().find(|v| v.slug == slug)
    }

    /// An active package by slug.
    pub fn package(&self, slug: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.slug == slug)
    }

    async fn load(db: &Db) -> Result<Self, sqlx::Error> {
        let pool = db.pool();
        let categories = catalog_store::categories(pool).await?;
        let products: Vec<Product> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "select {PRODUCT_COLUMNS} from products p left join categories c on c.id = p.category_id
             where p.active = 1 order by p.created_at desc, p.id"
        )))
        .fetch_all(pool)
        .await?;
        let ids: Vec<String> = products.iter().map(|p| p.id.clone()).collect();
        let offered = catalog_store::offered_values(pool, &ids).await?;
        let videos = store::portfolio(pool, None).await?;
        let packages = store::packages(pool).await?;
        let faqs = store::faqs(pool).await?;
        let details = store::studio_details(pool).await?;
        let mut options = HashMap::new();
        for p in &products {
            let offers = offered.get(&p.id).map_or(&[][..], Vec::as_slice);
            if let Ok(default) = pricing::select(offers, &[], true) {
                options.insert(p.id.clone(), (pricing::groups(offers), default));
            }
        }
        let by_slug = products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.slug.clone(), i))
            .collect();
        Ok(Self {
            categories,
            products,
            offered,
            options,
            videos,
            packages,
            faqs,
            details,
            by_slug,
            memo: RwLock::new(HashMap::new()),
        })
    }
}

struct Held {
    loaded_at: Instant,
    snapshot: Arc<Snapshot>,
}

/// The cache of [`Snapshot`]s.
pub struct ContentCache {
    ttl: Duration,
    held: RwLock<Option<Held>>,
    reloading: tokio::sync::Mutex<()>,
    /// Bumped by every invalidation, so a reload that started before a change cannot store
    /// its older picture as fresh.
    generation: AtomicU64,
}

impl std::fmt::Debug for ContentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl ContentCache {
    /// A cache whose snapshots live `ttl` (zero: every request loads afresh).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            held: RwLock::new(None),
            reloading: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
        }
    }

    fn current(&self) -> Option<(Arc<Snapshot>, bool)> {
        let held = self.held.read().ok()?;
        held.as_ref()
            .map(|h| (Arc::clone(&h.snapshot), h.loaded_at.elapsed() < self.ttl))
    }

    /// The current snapshot, reloading it when stale. While one request reloads, the others
    /// get the previous snapshot rather than waiting.
    pub async fn get(&self, db: &Db) -> Result<Arc<Snapshot>, sqlx::Error> {
        match self.current() {
            Some((snapshot, true)) => return Ok(snapshot),
            Some((snapshot, false)) => {
                let Ok(_guard) = self.reloading.try_lock() else {
                    return Ok(snapshot);
                };
                // A database hiccup keeps the site browsable on the previous picture.
                return Ok(self.reload(db).await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "content reload failed; serving the previous snapshot");
                    snapshot
                }));
            }
            None => {}
        }
        let _guard = self.reloading.lock().await;
        if let Some((snapshot, true)) = self.current() {
            return Ok(snapshot);
        }
        self.reload(db).await
    }

    async fn reload(&self, db: &Db) -> Result<Arc<Snapshot>, sqlx::Error> {
        let generation = self.generation.load(Ordering::SeqCst);
        let snapshot = Arc::new(Snapshot::load(db).await?);
        if let Ok(mut held) = self.held.write()
            && self.generation.load(Ordering::SeqCst) == generation
        {
            *held = Some(Held {
                loaded_at: Instant::now(),
                snapshot: Arc::clone(&snapshot),
            });
        }
        // Changed meanwhile: this request uses what it read, and nothing read before the
        // change is kept; the next request reloads.
        Ok(snapshot)
    }

    /// Drops the snapshot: the next request loads a fresh one (after an admin change here).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut held) = self.held.write() {
            *held = None;
        }
    }
}
