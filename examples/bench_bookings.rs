//! Booking benchmarks, printed as figures (never asserted): the month view's server time with
//! 500 bookings in the database (rules and bookings read, free days computed), and booking
//! placement latency with 16 clients at once, each placement a transaction that takes the
//! (resource, hour) locks of its time, re-checks availability and writes the booking, its
//! claim and its emails. Every consultation needs the producer (capacity 1), and the 16
//! clients book neighbouring times, a few days' worth: placements on one day's hours queue.
//!
//!   cargo run --release --example bench_bookings -- [DATABASE_URL] [BOOKINGS]
//!
//! Without a URL it uses a fresh SQLite file; `scripts/bench-bookings` runs it on SQLite and on
//! a throwaway PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use flashstudio::app::AppState;
use flashstudio::bookings::service::{self, Details};
use flashstudio::config::Settings;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Placements not measured, before the measured ones.
const WARM_UP: usize = 32;

/// Places a consultation at each of `starts`, 16 at a time; the sorted latencies (ms) and the
/// wall time (s).
async fn place_all(
    state: &AppState,
    b: &service::Bookable,
    starts: &[i64],
    who: &'static str,
) -> (Vec<f64>, f64) {
    let queue = Arc::new(Mutex::new(starts.to_vec()));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let wall = Instant::now();
    let mut workers = Vec::new();
    for w in 0..16 {
        let (state, b, queue, latencies) =
            (state.clone(), b.clone(), queue.clone(), latencies.clone());
        workers.push(tokio::spawn(async move {
            let mut n = 0;
            loop {
                let Some(start) = queue.lock().unwrap().pop() else {
                    break;
                };
                n += 1;
                let d = Details {
                    name: format!("Client {w}-{n}"),
                    email: format!("{who}{w}x{n}@example.com"),
                    location: "video".into(),
                    ..Details::default()
                };
                let t = Instant::now();
                let client = format!("10.{w}.{}.{}", n / 250, n % 250);
                let placed =
                    service::place(&state, &b, start, &d, None, &format!("{who}-{client}"))
                        .await
                        .unwrap();
                assert!(placed.is_ok(), "placement refused: {placed:?}");
                latencies
                    .lock()
                    .unwrap()
                    .push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = wall.elapsed().as_secs_f64();
    let mut l = latencies.lock().unwrap().clone();
    l.sort_by(f64::total_cmp);
    (l, elapsed)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    flashstudio::telemetry::install_crypto_provider();
    let args: Vec<String> = std::env::args().collect();
    let dir = tempfile::tempdir().unwrap();
    let database_url = args
        .get(1)
        .filter(|a| !a.is_empty())
        .cloned()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()));
    let bookings: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(500);
    let vars: HashMap<String, String> = [
        ("FLASHSTUDIO_DATA_DIR", dir.path().display().to_string()),
        ("DATABASE_URL", database_url.clone()),
        ("BASE_URL", "http://127.0.0.1:8080".to_owned()),
        ("SECRET_KEY", hex::encode(rand::random::<[u8; 32]>())),
        ("BOOTSTRAP_ADMIN", "false".to_owned()),
        ("DEMO_CONTENT", "false".to_owned()),
        ("LOG_LEVEL", "warn".to_owned()),
        ("STAFF_EMAIL", "studio@example.com".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    // The pool's size, as a deployment would set it (default 10).
    .chain(
        std::env::var("DATABASE_MAX_CONNECTIONS")
            .ok()
            .map(|v| ("DATABASE_MAX_CONNECTIONS".to_owned(), v)),
    )
    .collect();
    let settings = Settings::from_map(&vars).expect("settings");
    let state = AppState::build(settings).await.expect("app state");
    flashstudio::demo::seed(&state, flashstudio::demo::SeedOptions { clips: false })
        .await
        .unwrap();
    // A long horizon, so that 500 consultations fit.
    sqlx::query("update booking_types set horizon_days = 365 where slug = 'consultation'")
        .execute(state.db.pool())
        .await
        .unwrap();
    let backend = if database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let consultation = service::bookable(&state, "consultation")
        .await
        .unwrap()
        .unwrap();

    // Every other free start (a consultation's 15-minute buffer makes neighbours on the
    // 30-minute grid conflict), and of those every third left free, so the bookings leave gaps
    // the month view must find.
    let mut chosen = Vec::new();
    let mut day = service::studio_today(&state).tomorrow().unwrap();
    while chosen.len() < bookings {
        let slots = service::free_slots(&state, &consultation, day)
            .await
            .unwrap();
        for (i, slot) in slots.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
            if (i / 2) % 3 != 2 && chosen.len() < bookings {
                chosen.push(slot.start.as_second());
            }
        }
        day = day.tomorrow().unwrap();
    }

    // Placement, 16 at a time: first a warm-up of 32 (the pool opens its connections and
    // each prepares its statements, as after a deploy), reported apart, then the rest.
    let warm_up = WARM_UP.min(chosen.len() / 2);
    let (cold, steady) = chosen.split_at(warm_up);
    let (first, _) = place_all(&state, &consultation, cold, "warm-up").await;
    let (l, elapsed) = place_all(&state, &consultation, steady, "client").await;
    println!(
        "{backend}: {} placements, 16 at a time, after {} to warm up: {:.0} per second, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        l.len(),
        first.len(),
        l.len() as f64 / elapsed,
        percentile(&l, 0.5),
        percentile(&l, 0.99),
        l[l.len() - 1]
    );
    println!(
        "{backend}: the {} warm-up placements (new connections): p50 {:.1} ms, max {:.1} ms",
        first.len(),
        percentile(&first, 0.5),
        first[first.len() - 1]
    );

    // The month view with those bookings in the database: server time per call.
    let months: Vec<(i16, i8)> = {
        let first = jiff::Timestamp::from_second(chosen[0])
            .unwrap()
            .to_zoned(state.settings.time_zone.clone())
            .date();
        (0..3)
            .map(|m| {
                let d = first
                    .first_of_month()
                    .checked_add(jiff::Span::new().months(m))
                    .unwrap();
                (d.year(), d.month())
            })
            .collect()
    };
    // Computed afresh (the memo dropped before each call, as after a booking), then answered
    // from this process's memo (as between changes, within the TTL).
    let runs = 60;
    for (label, cold) in [("computed", true), ("from the memo", false)] {
        let mut times = Vec::new();
        let mut free = 0;
        for i in 0..runs {
            let (y, m) = months[i % months.len()];
            if cold {
                service::bookings_changed(&state);
            }
            let t = Instant::now();
            free += service::free_days(&state, &consultation, y, m)
                .await
                .unwrap()
                .len();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{backend}: month view with {} bookings, {label}: mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms ({} free days seen)",
            chosen.len(),
            times.iter().sum::<f64>() / times.len() as f64,
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            free / runs
        );
    }
}
