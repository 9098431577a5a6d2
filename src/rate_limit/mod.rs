//! Rate limits shared by every replica: per-window counters in the database, read as a
//! sliding window.
//!
//! A hit increments `(bucket, window)` atomically and is refused once the sliding-window
//! estimate passes the limit, with the seconds left in the window as `Retry-After`.

#![warn(missing_docs)]

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
/// would let a burst straddling a boundary through at twice the limit. Refused hits count too,
/// so hammering keeps a client blocked.
pub async fn hit(db: &Db, limit: Limit, key: &str) -> Result<(), AppError> {
    let w = Window::now(limit);
    let bucket = bucket(limit, key);
    let (current, previous) =
        store::increment_with_previous(db.pool(), &bucket, w.start, w.start - w.len).await?;
    w.judge(limit, previous, current)
}

/// [`hit`] under two limits at once (a booking counts per client and per email), in one
/// statement when their windows have the same length; the first refusal wins.
pub async fn hit_two(db: &Db, a: (Limit, &str), b: (Limit, &str)) -> Result<(), AppError> {
    let (wa, wb) = (Window::now(a.0), Window::now(b.0));
    let (bucket_a, bucket_b) = (bucket(a.0, a.1), bucket(b.0, b.1));
    if wa.len != wb.len || bucket_a == bucket_b {
        hit(db, a.0, a.1).await?;
        return hit(db, b.0, b.1).await;
    }
    let rows = store::increment_two(
        db.pool(),
        ((&bucket_a, wa.start), (&bucket_b, wb.start)),
        wa.len,
    )
    .await?;
    for (name, current, previous) in rows {
        let (w, limit) = if name == bucket_a {
            (&wa, a.0)
        } else {
            (&wb, b.0)
        };
        w.judge(limit, previous, current)?;
    }
    Ok(())
}

/// Counts a hit for `key` under `limit` in this process's memory, not the database: for
/// public reads answered from memory (the availability API), where a database write per
/// request would cost more than the answer. The same sliding window as [`hit`], but per
/// replica: N replicas allow N times the limit.
pub fn hit_local(windows: &LocalWindows, limit: Limit, key: &str) -> Result<(), AppError> {
    let w = Window::now(limit);
    let Ok(mut map) = windows.0.lock() else {
        return Ok(());
    };
    if map.len() >= LOCAL_KEYS {
        // Old windows first; a flood of fresh keys just starts afresh.
        map.retain(|_, c| c.start >= w.start - w.len);
        if map.len() >= LOCAL_KEYS {
            map.clear();
        }
    }
    let counts = map.entry(format!("{}:{key}", limit.name)).or_default();
    if counts.start != w.start {
        counts.previous = if counts.start == w.start - w.len {
            counts.current
        } else {
            0
        };
        counts.current = 0;
        counts.start = w.start;
    }
    counts.current += 1;
    w.judge(limit, counts.previous, counts.current)
}

/// Most keys [`LocalWindows`] remembers.
const LOCAL_KEYS: usize = 100_000;

#[derive(Debug, Default, Clone, Copy)]
struct LocalCounts {
    start: i64,
    previous: i64,
    current: i64,
}

/// The in-memory windows of [`hit_local`] (one per process: `state.locals`).
#[derive(Debug, Default)]
pub struct LocalWindows(std::sync::Mutex<std::collections::HashMap<String, LocalCounts>>);

/// Whether one more hit would pass, without counting it (for limits that count failures
/// only: call `peek` first, `hit` when the attempt failed).
pub async fn peek(db: &Db, limit: Limit, key: &str) -> Result<(), AppError> {
    let w = Window::now(limit);
    let bucket = bucket(limit, key);
    let current = store::hits(db.pool(), &bucket, w.start).await?;
    let previous = store::hits(db.pool(), &bucket, w.start - w.len).await?;
    w.judge(limit, previous, current + 1)
}

/// The rate-limit key of a client address: IPv4 as is, IPv6 by its /64 network (one
/// subscriber usually holds a whole /64, so single addresses are free to rotate).
pub fn client_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => ip.to_owned(),
    }
}

fn bucket(limit: Limit, key: &str) -> String {
    // Keys can be emails: store only a hash of them.
    format!("{}:{}", limit.name, &sha256_hex(key)[..32])
}

struct Window {
    len: i64,
    start: i64,
    elapsed: i64,
}

impl Window {
    fn now(limit: Limit) -> Self {
        let len = i64::try_from(limit.window.as_secs()).unwrap_or(60).max(1);
        let now = now();
        let elapsed = now.rem_euclid(len);
        Self {
            len,
            start: now - elapsed,
            elapsed,
        }
    }

    fn judge(&self, limit: Limit, previous: i64, current: i64) -> Result<(), AppError> {
        let max = i64::from(limit.max);
        if weighted(previous, current, self.elapsed, self.len) <= max * self.len {
            return Ok(());
        }
        tracing::warn!(limit = limit.name, "rate limit reached");
        Err(AppError::RateLimited {
            retry_after: self.retry_after(max, previous, current),
        })
    }

    /// Seconds until one more hit would pass, if nothing else arrives meanwhile.
    fn retry_after(&self, max: i64, previous: i64, current: i64) -> u64 {
        (1..=2 * self.len)
            .find(|t| {
                let at = self.elapsed + t;
                let w = if at < self.len {
                    weighted(previous, current + 1, at, self.len)
                } else if at < 2 * self.len {
                    weighted(current, 1, at - self.len, self.len)
                } else {
                    self.len
                };
                w <= max * self.len
            })
            .and_then(|t| u64::try_from(t).ok())
            .unwrap_or(1)
    }
}

/// `previous · (len − elapsed) / len + current`, scaled by `len` to stay in integers.
fn weighted(previous: i64, current: i64, elapsed: i64, len: i64) -> i64 {
    previous * (len - elapsed) + current * len
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Limit = Limit {
        name: "test",
        max: 10,
        window: Duration::from_secs(60),
    };

    #[test]
    fn the_local_window_limits_like_the_stored_one() {
        let windows = LocalWindows::default();
        let passed = (0..15)
            .filter(|_| hit_local(&windows, LIMIT, "203.0.113.7").is_ok())
            .count();
        assert!((10..=11).contains(&passed), "{passed}");
        assert!(
            hit_local(&windows, LIMIT, "203.0.113.8").is_ok(),
            "per client"
        );
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(client_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(client_key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
        assert_eq!(client_key("203.0.113.7"), "203.0.113.7");
    }

    #[test]
    fn a_burst_across_a_window_boundary_is_still_limited() {
        // 8 hits just before the boundary, 3 just after: 11 in two seconds.
        let w = Window {
            len: 60,
            start: 0,
            elapsed: 1,
        };
        assert!(w.judge(LIMIT, 8, 2).is_ok());
        assert!(w.judge(LIMIT, 8, 3).is_err());
    }

    #[test]
    fn retry_after_is_long_enough_for_the_next_hit_to_pass() {
        let w = Window {
            len: 60,
            start: 0,
            elapsed: 10,
        };
        let Err(AppError::RateLimited { retry_after }) = w.judge(LIMIT, 0, 11) else {
            panic!("expected a refusal");
        };
        let t = i64::try_from(retry_after).unwrap();
        // At that moment the 11 hits sit in the previous window, weighted down enough.
        let at = w.elapsed + t;
        assert!(at >= 60);
        assert!(weighted(11, 1, at - 60, 60) <= 10 * 60);
        assert!(
            weighted(11, 1, at - 61, 60) > 10 * 60,
            "and not later than needed"
        );
    }
}
