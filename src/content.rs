//! What the public pages show, held in memory: one snapshot per kind of content, each defined
//! by the domain that owns it (`catalog::Shelf`, `site::SiteContent`, the reviews sections),
//! and one cache that keeps them.
//!
//! Browsing pages (home, shop, product, portfolio, film, services, packages, FAQ, about,
//! contact, sitemap) read snapshots instead of querying per request: a studio's catalog is
//! small, and the database stays free for carts and orders.
//!
//! Every change to what these pages show bumps one number in the database, in the changing
//! statement itself (`content_version`, by triggers on the content tables: whatever wrote the
//! row, admin, API, a job or the CLI); the replica that made an admin change also drops its
//! snapshots at once ([`ContentCache::invalidate`]: a change to a product can show on the
//! home page too). Other replicas look at the number when
//! a snapshot is older than `CONTENT_CACHE_TTL_MS` — one cheap query, by one request while
//! the others keep serving — and reload only when it moved, in the background while every
//! request keeps the previous snapshot: a catalog of thousands of products is read again after
//! a change, not every second, and no visitor waits for it. The rendered fragments a snapshot
//! memoises live as long as it does, at most [`MEMO_ENTRIES`] of them. Nothing that takes
//! money reads the cache: the price fragment, the cart and checkout price from the database.

#![warn(missing_docs)]

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use maud::Markup;

use crate::db::Db;

/// A kind of content the cache keeps: loaded whole from the database.
#[async_trait::async_trait]
pub trait Snapshot: Send + Sync + Sized + 'static {
    /// Reads a fresh picture (its queries are separate reads, so a change landing between them
    /// shows fully at the next reload).
    async fn load(db: &Db) -> Result<Self, sqlx::Error>;
}

/// Most fragments one [`Memo`] keeps.
pub const MEMO_ENTRIES: usize = 512;

/// Rendered fragments that are the same for every visitor (product cards, shop results,
/// review sections), kept inside a snapshot and dropped with it.
#[derive(Debug, Default)]
pub struct Memo(RwLock<HashMap<String, Markup>>);

impl Memo {
    /// The fragment stored under `key`, rendering and storing it on a miss. Keys must name
    /// everything the fragment depends on that is not in the snapshot (query, the hour of the
    /// signed image URLs). At most [`MEMO_ENTRIES`] are kept; past that, fragments are
    /// rendered without being stored.
    pub fn get_or(&self, key: &str, render: impl FnOnce() -> Markup) -> Markup {
        if let Some(hit) = self.get(key) {
            return hit;
        }
        let fresh = render();
        self.put(key, &fresh);
        fresh
    }

    /// The fragment stored under `key`, if any: for fragments whose rendering needs the
    /// database, look here first and [`Memo::put`] what was rendered on a miss.
    pub fn get(&self, key: &str) -> Option<Markup> {
        self.0.read().ok()?.get(key).cloned()
    }

    /// Stores a fragment (unless the memo is full).
    pub fn put(&self, key: &str, fragment: &Markup) {
        if let Ok(mut memo) = self.0.write()
            && memo.len() < MEMO_ENTRIES
        {
            memo.insert(key.to_owned(), fragment.clone());
        }
    }
}

struct Held {
    /// When the database's content version was last seen to equal `version`.
    checked_at: Instant,
    version: i64,
    snapshot: Arc<dyn Any + Send + Sync>,
}

/// The database's content version: bumped by every change to what the public pages show.
async fn stored_version(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select version from content_version where id = 1")
        .fetch_one(db.pool())
        .await
}

/// The cache of every [`Snapshot`] kind.
pub struct ContentCache {
    ttl: Duration,
    /// Shared with the background reloads.
    shared: Arc<Shared>,
    /// One reload at a time per kind.
    reloading: RwLock<HashMap<TypeId, Arc<tokio::sync::Mutex<()>>>>,
}

/// The snapshots, and what a reload must check before storing one.
#[derive(Default)]
struct Shared {
    held: RwLock<HashMap<TypeId, Held>>,
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
            shared: Arc::default(),
            reloading: RwLock::new(HashMap::new()),
        }
    }

    /// The held snapshot of kind `T`, whether it was checked within the TTL, and the content
    /// version it was read at.
    fn current<T: Snapshot>(&self) -> Option<(Arc<T>, bool, i64)> {
        let held = self.shared.held.read().ok()?;
        let h = held.get(&TypeId::of::<T>())?;
        let snapshot = Arc::clone(&h.snapshot).downcast::<T>().ok()?;
        Some((snapshot, h.checked_at.elapsed() < self.ttl, h.version))
    }

    /// Marks the held snapshot of kind `T` as checked now (the database's version has not
    /// moved since it was read).
    fn still_current<T: Snapshot>(&self, version: i64) {
        if let Ok(mut held) = self.shared.held.write()
            && let Some(h) = held.get_mut(&TypeId::of::<T>())
            && h.version == version
        {
            h.checked_at = Instant::now();
        }
    }

    fn reload_lock<T: Snapshot>(&self) -> Arc<tokio::sync::Mutex<()>> {
        let key = TypeId::of::<T>();
        if let Some(lock) = self
            .reloading
            .read()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return lock;
        }
        match self.reloading.write() {
            Ok(mut locks) => Arc::clone(locks.entry(key).or_default()),
            Err(_) => Arc::default(),
        }
    }

    /// The current snapshot of kind `T`. Past the TTL, one request asks the database whether
    /// the content changed; if it did, a background task reloads the snapshot while every
    /// request, that one included, keeps getting the previous one. Only a replica with no
    /// snapshot of the kind (at start, after a local change) waits for a load.
    pub async fn get<T: Snapshot>(&self, db: &Db) -> Result<Arc<T>, sqlx::Error> {
        let lock = self.reload_lock::<T>();
        match self.current::<T>() {
            Some((snapshot, true, _)) => return Ok(snapshot),
            Some((snapshot, false, version)) if !self.ttl.is_zero() => {
                let Ok(guard) = Arc::clone(&lock).try_lock_owned() else {
                    return Ok(snapshot);
                };
                // A database hiccup keeps the site browsable on the previous picture.
                match stored_version(db).await {
                    Ok(now) if now == version => self.still_current::<T>(version),
                    Ok(_) => {
                        let (shared, db) = (Arc::clone(&self.shared), db.clone());
                        tokio::spawn(async move {
                            let _guard = guard;
                            if let Err(e) = shared.reload::<T>(&db).await {
                                tracing::warn!(error = %e, "content reload failed; serving the previous snapshot");
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "content check failed; serving the previous snapshot");
                    }
                }
                return Ok(snapshot);
            }
            _ => {}
        }
        let _guard = lock.lock().await;
        if let Some((snapshot, true, _)) = self.current::<T>() {
            return Ok(snapshot);
        }
        self.shared.reload::<T>(db).await
    }

    /// How many invalidations there have been (a [`Computed`] value remembers it).
    pub fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::SeqCst)
    }

    /// How long snapshots and [`Computed`] values live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Drops this replica's snapshots: the next request loads fresh ones.
    pub fn invalidate(&self) {
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut held) = self.shared.held.write() {
            held.clear();
        }
    }
}

impl Shared {
    /// Loads a snapshot of kind `T` and keeps it, unless something was invalidated meanwhile.
    async fn reload<T: Snapshot>(&self, db: &Db) -> Result<Arc<T>, sqlx::Error> {
        let generation = self.generation.load(Ordering::SeqCst);
        // Read before the content: a change landing during the load leaves the number behind
        // the data, so the next check reloads again (never the other way round).
        let version = stored_version(db).await?;
        let snapshot = Arc::new(T::load(db).await?);
        if let Ok(mut held) = self.held.write()
            && self.generation.load(Ordering::SeqCst) == generation
        {
            let stored: Arc<dyn Any + Send + Sync> = Arc::clone(&snapshot) as _;
            held.insert(
                TypeId::of::<T>(),
                Held {
                    checked_at: Instant::now(),
                    version,
                    snapshot: stored,
                },
            );
        }
        // Changed meanwhile: the caller uses what it read, and nothing read before the
        // change is kept; the next request reloads.
        Ok(snapshot)
    }
}

/// Most values one [`Computed`] keeps (past that, it starts afresh).
pub const COMPUTED_ENTRIES: usize = 4096;

struct Entry<V> {
    at: Instant,
    /// The cache's generation and this store's own when the computation began.
    generations: (u64, u64),
    value: V,
}

/// Values computed from the database by key (a day's free times), kept like the snapshots:
/// each lives the cache's TTL, and is dropped by an invalidation of the cache (an admin edit)
/// or of this store ([`Computed::invalidate`], after a change only it depends on). A value
/// computed across an invalidation is not kept. Per process: other replicas see a change
/// within the TTL.
pub struct Computed<V> {
    entries: RwLock<HashMap<String, Entry<V>>>,
    generation: AtomicU64,
}

impl<V> Default for Computed<V> {
    fn default() -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }
}

impl<V> std::fmt::Debug for Computed<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Computed").finish_non_exhaustive()
    }
}

impl<V: Clone> Computed<V> {
    /// The generations a computation starting now must store its value with.
    pub fn begin(&self, cache: &ContentCache) -> (u64, u64) {
        (cache.generation(), self.generation.load(Ordering::SeqCst))
    }

    /// The value under `key`, if computed since the last invalidation and within the TTL.
    pub fn get(&self, cache: &ContentCache, key: &str) -> Option<V> {
        let entries = self.entries.read().ok()?;
        let e = entries.get(key)?;
        (e.generations == self.begin(cache) && e.at.elapsed() < cache.ttl())
            .then(|| e.value.clone())
    }

    /// Keeps `value`, computed from the generations [`Computed::begin`] gave, unless
    /// something was invalidated meanwhile.
    pub fn put(&self, cache: &ContentCache, key: &str, generations: (u64, u64), value: V) {
        if generations != self.begin(cache) || cache.ttl().is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= COMPUTED_ENTRIES {
                entries.clear();
            }
            entries.insert(
                key.to_owned(),
                Entry {
                    at: Instant::now(),
                    generations,
                    value,
                },
            );
        }
    }

    /// Drops every value (after a change they depend on, once it is committed).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}
