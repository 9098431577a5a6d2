//! Payment benchmarks, printed as figures (never asserted): checkout placement latency, and
//! webhook throughput with half of the deliveries duplicates. Runs the real app in-process on a
//! free loopback port and drives it over HTTP, like a browser and like Stripe would.
//!
//!   cargo run --release --example bench_payments -- [DATABASE_URL] [ORDERS]
//!
//! Without a URL it uses a fresh SQLite file; `scripts/bench-payments` runs it on SQLite and on
//! a throwaway PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashMap;
use std::time::Instant;

use flashstudio::app::{self, AppState};
use flashstudio::catalog::{pricing, store as catalog_store};
use flashstudio::config::Settings;
use futures_util::StreamExt as _;
use tokio_util::sync::CancellationToken;

fn csrf(body: &str) -> String {
    let marker = "X-CSRF-Token&quot;:&quot;";
    let start = body.find(marker).expect("csrf token") + marker.len();
    let end = start + body[start..].find("&quot;").expect("end of token");
    body[start..end].to_owned()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn place_one(base: &str, product: &str, options: &[String], email: &str) -> (f64, bool) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(format!("{base}/shop"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf(&page);
    let mut add: Vec<(&str, &str)> = vec![
        ("product", product),
        ("quantity", "1"),
        ("csrf_token", &token),
    ];
    for o in options {
        add.push(("options", o));
    }
    let resp = client
        .post(format!("{base}/cart/add"))
        .form(&add)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "add to cart");
    let form = [
        ("csrf_token", token.as_str()),
        ("email", email),
        ("name", "Bench Buyer"),
        ("line1", "1 Marina Way"),
        ("city", "Singapore"),
        ("postcode", "018989"),
        ("country", "Singapore"),
    ];
    let t0 = Instant::now();
    let resp = client
        .post(format!("{base}/checkout"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    (ms, resp.status() == 303)
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
    let orders: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let vars: HashMap<String, String> = [
        ("FLASHSTUDIO_DATA_DIR", dir.path().display().to_string()),
        ("DATABASE_URL", database_url.clone()),
        ("BASE_URL", base.clone()),
        ("SECRET_KEY", hex::encode(rand::random::<[u8; 32]>())),
        ("BOOTSTRAP_ADMIN", "false".to_owned()),
        ("DEMO_CONTENT", "false".to_owned()),
        ("LOG_LEVEL", "warn".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = Settings::from_map(&vars).expect("settings");
    let state = AppState::build(settings).await.expect("app state");
    flashstudio::demo::seed(&state, flashstudio::demo::SeedOptions { clips: false })
        .await
        .unwrap();
    sqlx::query("update products set stock = 1000000 where slug = 'marina-bay-blue-hour'")
        .execute(state.db.pool())
        .await
        .unwrap();
    let product: String =
        sqlx::query_scalar("select id from products where slug = 'marina-bay-blue-hour'")
            .fetch_one(state.db.pool())
            .await
            .unwrap();
    let offered = catalog_store::offered_for(state.db.pool(), &product)
        .await
        .unwrap();
    let options: Vec<String> = pricing::select(&offered, &[], true)
        .unwrap()
        .values
        .iter()
        .map(|v| v.id.to_string())
        .collect();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app::serve(state.clone(), listener, shutdown.clone()));
    let backend = if database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };

    // Checkout placement: each a new browser (visit, add to cart), timing only POST /checkout.
    // Sequential first (latency), then 16 at a time (latency under contention).
    let sequential = orders / 4;
    let mut latencies = Vec::with_capacity(orders);
    for i in 0..sequential {
        let (ms, ok) = place_one(&base, &product, &options, &format!("s{i}@example.com")).await;
        assert!(ok, "checkout {i}");
        latencies.push(ms);
    }
    let mut seq = latencies.clone();
    seq.sort_by(f64::total_cmp);
    let t0 = Instant::now();
    let concurrent: Vec<(f64, bool)> = futures_util::stream::iter(sequential..orders)
        .map(|i| {
            let (base, product, options) = (base.clone(), product.clone(), options.clone());
            async move { place_one(&base, &product, &options, &format!("c{i}@example.com")).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let concurrent_secs = t0.elapsed().as_secs_f64();
    assert!(concurrent.iter().all(|(_, ok)| *ok));
    let mut conc: Vec<f64> = concurrent.iter().map(|(ms, _)| *ms).collect();
    conc.sort_by(f64::total_cmp);
    println!(
        "{backend}: checkout placement, sequential ({sequential}): p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        percentile(&seq, 0.5),
        percentile(&seq, 0.95),
        percentile(&seq, 0.99)
    );
    println!(
        "{backend}: checkout placement, 16 concurrent ({}): p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms (the whole visit+add+checkout: {:.0} orders/s)",
        orders - sequential,
        percentile(&conc, 0.5),
        percentile(&conc, 0.95),
        percentile(&conc, 0.99),
        (orders - sequential) as f64 / concurrent_secs
    );

    // Webhooks: one checkout.session.completed per order, each delivered twice (half of all
    // deliveries are duplicates), interleaved, 32 in flight, signed at delivery time.
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "select o.id, p.id, p.session_id, p.amount_minor from orders o \
         join payments p on p.order_id = o.id where o.status = 'pending_payment'",
    )
    .fetch_all(state.db.pool())
    .await
    .unwrap();
    let mut bodies = Vec::with_capacity(rows.len() * 2);
    for (i, (order, payment, session, amount)) in rows.iter().enumerate() {
        let body = serde_json::json!({
            "id": format!("evt_bench_{i}"), "object": "event", "type": "checkout.session.completed",
            "created": flashstudio::db::now(),
            "data": {"object": {"id": session, "object": "checkout.session", "client_reference_id": order,
                "metadata": {"order_id": order, "payment_id": payment}, "payment_status": "paid",
                "payment_intent": format!("pi_bench_{i}"), "amount_total": amount, "currency": "sgd"}}
        })
        .to_string();
        bodies.push(body.clone());
        bodies.push(body);
    }
    // Duplicates arrive a little later than their first copy, mixed with other events.
    let n = bodies.len();
    let mut order_of: Vec<usize> = (0..n).collect();
    order_of.sort_by_key(|i| (i / 2) + (i % 2) * 7);
    let secret = state.gateway.webhook_secrets().remove(0);
    let client = reqwest::Client::new();
    let t0 = Instant::now();
    let statuses: Vec<u16> = futures_util::stream::iter(order_of)
        .map(|i| {
            let (client, url, body, secret) = (
                client.clone(),
                format!("{base}/webhooks/stripe"),
                bodies[i].clone(),
                secret.clone(),
            );
            async move {
                let header = flashstudio::payments::webhook::sign(
                    &secret,
                    flashstudio::db::now(),
                    body.as_bytes(),
                );
                client
                    .post(url)
                    .header("stripe-signature", header)
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let secs = t0.elapsed().as_secs_f64();
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let paid: i64 = sqlx::query_scalar("select count(*) from orders where status = 'paid'")
        .fetch_one(state.db.pool())
        .await
        .unwrap();
    let confirmations: i64 =
        sqlx::query_scalar("select count(*) from emails where kind = 'order_confirmation'")
            .fetch_one(state.db.pool())
            .await
            .unwrap();
    println!(
        "{backend}: webhooks: {n} signed deliveries ({} unique events, half duplicates) in {secs:.2} s = {:.0} events/s; {ok} answered 200; {paid} orders paid, {confirmations} confirmations queued",
        rows.len(),
        n as f64 / secs
    );
    assert_eq!(ok, n);
    assert_eq!(paid as usize, rows.len());
    assert_eq!(confirmations as usize, rows.len());
    shutdown.cancel();
    let _ = server.await;
}
