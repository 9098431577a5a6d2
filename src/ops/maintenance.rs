//! The periodic cleanup job: expired sessions and reset tokens, old rate-limit windows,
//! finished jobs and abandoned guest carts.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::db::{Db, now};
use crate::identity::store as account_store;
use crate::jobs::{Job, JobHandler, JobSpec, store as job_store};
use crate::rate_limit::store as rate_store;

/// How often cleanup runs (once per period across all replicas).
pub const CLEANUP_EVERY: Duration = Duration::from_secs(15 * 60);

/// A guest cart nobody touched for this many days is deleted.
pub const GUEST_CART_DAYS: i64 = 60;

/// Deletes what has expired.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CleanupJob {}

impl JobSpec for CleanupJob {
    const KIND: &'static str = "cleanup";
}

/// Runs [`CleanupJob`].
pub struct CleanupHandler {
    pub db: Db,
    /// Session idle timeout in seconds.
    pub session_idle_secs: i64,
}

#[async_trait::async_trait]
impl JobHandler for CleanupHandler {
    async fn run(&self, _job: &Job) -> anyhow::Result<()> {
        let pool = self.db.pool();
        let now = now();
        let sessions =
            account_store::delete_expired_sessions(pool, now, now - self.session_idle_secs).await?;
        let tokens = account_store::delete_dead_reset_tokens(pool, now).await?;
        let windows = rate_store::delete_before(pool, now - 24 * 3600).await?;
        let jobs = job_store::delete_done_before(pool, now - 7 * 24 * 3600).await?;
        let guest_carts =
            crate::cart::store::delete_stale_guest_carts(pool, now - GUEST_CART_DAYS * 24 * 3600)
                .await?;
        tracing::info!(sessions, tokens, windows, jobs, guest_carts, "cleanup done");
        Ok(())
    }
}
