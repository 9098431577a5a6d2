//! Rate limits shared by every replica: fixed-window counters in the database.
//!
//! A hit increments `(bucket, window)` atomically and is refused once the sliding-window
//! estimate passes the limit, with the seconds left in the window as `Retry-After`.

pub mod store;

use std::time::Duration;

use crate::crypto::sha256_hex;
use crate::db::{Db, now};
use crate::error::AppError;

/// A named limit: at most `max` hits per `window` per key.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Bucket prefix (`login-ip`, `reset-email`, ...).
    pub name: &'static str,
    /// Hits allowed per window.
    pub max: u32,
    /// Window length.
    pub window: Duration,
}

/// Counts a hit for `key` under `limit`; `Err(RateLimited)` once over the limit.
///
/// Uses a sliding-window estimate: the current window's hits plus the previous window's,
/// weighted by how much of it still overlaps the last `window` seconds. Plain fixed windows
/// would let a burst straddling a boundary through at twice the limit.
pub async fn hit(db: &Db, limit: Limit, key: &str) -> Result<(), AppError> {
    let window = i64::try_from(limit.window.as_secs()).unwrap_or(60).max(1);
    let now = now();
    let window_start = now - now.rem_euclid(window);
    // Keys can be emails: store only a hash of them.
    let bucket = format!("{}:{}", limit.name, &sha256_hex(key)[..32]);
    let current = store::increment(db.pool(), &bucket, window_start).await?;
    let previous = store::hits(db.pool(), &bucket, window_start - window).await?;
    let elapsed = now - window_start;
    // previous · (window − elapsed) / window + current > max, in integers.
    let weighted = previous * (window - elapsed) + current * window;
    if weighted > i64::from(limit.max) * window {
        let retry_after = u64::try_from(window - elapsed).unwrap_or(1).max(1);
        tracing::warn!(limit = limit.name, "rate limit reached");
        return Err(AppError::RateLimited { retry_after });
    }
    Ok(())
}
