//! Scale-out, proven on one machine: three replicas of the server binary on one PostgreSQL
//! and one Azurite, behind nginx (round-robin) that follows their readiness, while customers
//! register, log in, fill a cart, check out through the dev gateway and get their emails, and
//! a steady stream of POSTs is in flight — and replicas are stopped with SIGTERM and started
//! again in the middle (one with an upload still streaming into it). The tests print their
//! counts.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use flashstudio::catalog::{pricing, store as catalog_store};
use flashstudio::db::Db;
use reqwest::StatusCode;

use crate::cluster::{Cluster, Options};
use crate::post_stream::{self, PostStream};
use crate::support::{self, Browser, eventually, location};

/// Customers whose journeys run while replica 1 is stopped and restarted.
const FIRST_WAVE: usize = 6;
/// Customers after the restart.
const SECOND_WAVE: usize = 3;
const PASSWORD: &str = "correct horse battery";
const LOGINS_PER_MINUTE: usize = 5;
/// The replica that is stopped and restarted.
const STOPPED: usize = 1;

/// Adds one of `slug` (default options) to the browser's cart.
async fn add_to_cart(db: &Db, browser: &Browser, slug: &str) {
    let id: String = sqlx::query_scalar("select id from products where slug = $1")
        .bind(slug)
        .fetch_one(db.pool())
        .await
        .unwrap();
    let offered = catalog_store::offered_for(db.pool(), &id).await.unwrap();
    let selection = pricing::select(&offered, &[], true).unwrap();
    let mut fields: Vec<(&str, &str)> = vec![("product", &id), ("quantity", "1")];
    for v in &selection.values {
        fields.push(("options", &v.id));
    }
    let resp = browser.post_form("/cart/add", &fields).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "add {slug}");
}

fn customer_email(n: usize) -> String {
    format!("customer{n}@example.com")
}

fn customer_ip(n: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 1, u8::try_from(10 + n).unwrap())
}

/// Register, log out, log in, fill a cart, check out, pay on the dev gateway, see the order.
/// Short pauses between steps spread the journey over a few seconds, so the restart lands
/// in its middle.
async fn journey(db: Db, browser: Browser, n: usize) {
    let pause = || tokio::time::sleep(Duration::from_millis(150 + 40 * (n as u64 % 4)));
    let email = customer_email(n);
    assert_eq!(browser.get("/").await.status(), StatusCode::OK);
    let registered = browser.register(&email, PASSWORD).await;
    assert_eq!(
        registered.status(),
        StatusCode::SEE_OTHER,
        "register {email}"
    );
    pause().await;
    assert_eq!(browser.logout().await.status(), StatusCode::SEE_OTHER);
    pause().await;
    let login = browser.login(&email, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER, "log in {email}");
    pause().await;
    add_to_cart(&db, &browser, "kampong-glam-morning").await;
    pause().await;
    add_to_cart(&db, &browser, "cinematic-luts").await;
    for _ in 0..4 {
        pause().await;
        // Every replica sees the same session and the same cart.
        let (status, cart) = browser.get_text("/cart").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            cart.contains("Kampong Glam, Morning") && cart.contains("Cinematic LUT Pack"),
            "{email}'s cart is whole on every replica"
        );
        let (status, account) = browser.get_text("/account").await;
        assert_eq!(status, StatusCode::OK, "{email} is still logged in");
        assert!(account.contains(&email));
    }
    let placed = browser
        .post_form("/checkout", &crate::orders::details(&email))
        .await;
    assert_eq!(placed.status(), StatusCode::SEE_OTHER, "checkout {email}");
    let gateway = location(&placed);
    assert!(gateway.starts_with("/dev-gateway/"), "{gateway}");
    pause().await;
    let back = crate::orders::dev_gateway(&browser, &gateway, "pay").await;
    let (status, page) = browser.get_text(&back).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Payment received"), "{email}: {page}");
    let (_, orders) = browser.get_text("/account/orders").await;
    assert!(orders.contains("FS-"), "{email} sees the order");
}

/// A 4 MiB video streamed straight into a replica in 40 slices (about 6 s, longer than the
/// drain) while it is being stopped; returns the status line of the answer.
async fn slow_upload(
    db: Db,
    addr: String,
    token: String,
    started: tokio::sync::oneshot::Sender<()>,
) -> String {
    let mut upload =
        support::RawUpload::start(&addr, &token, "inflight.mp4", 4 * 1024 * 1024, 40).await;
    // In flight means the replica took the connection and the upload began: a connection
    // still in the listen queue when the listener closes is refused, not in flight.
    support::upload_under_way(&db).await;
    started.send(()).ok();
    loop {
        tokio::time::sleep(Duration::from_millis(150)).await;
        if !upload.send_next().await {
            break;
        }
    }
    upload
        .answer()
        .await
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn metric_sum(text: &str, name: &str, label: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Clients of the steady POST stream in the scale-out test.
const STREAM_CLIENTS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_behind_nginx_survive_a_rolling_restart() {
    let mut cluster = Cluster::start(Options {
        env: vec![("LOGIN_RATE_LIMIT_PER_MINUTE", LOGINS_PER_MINUTE.to_string())],
        ..Options::default()
    })
    .await;
    let token = cluster
        .cli(&["api-token", "create", "--name", "scale-out"])
        .await
        .trim()
        .to_owned();

    // The first wave of customers and the POST stream, with replica 1 stopped and restarted
    // in their middle.
    let stream = PostStream::start(&cluster, STREAM_CLIENTS, 0).await;
    let mut journeys = tokio::task::JoinSet::new();
    for n in 0..FIRST_WAVE {
        let (db, browser) = (cluster.db.clone(), cluster.browser(customer_ip(n)));
        journeys.spawn(journey(db, browser, n));
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let upload = tokio::spawn(slow_upload(
        cluster.db.clone(),
        format!("127.0.0.1:{}", cluster.ports[STOPPED]),
        token,
        started_tx,
    ));
    started_rx.await.unwrap();
    let stopped = cluster.stop(STOPPED).await;
    let upload_status = upload.await.unwrap();
    assert!(
        upload_status.starts_with("HTTP/1.1 200"),
        "the upload in flight on the stopped replica finished before it exited: {upload_status}"
    );
    assert!(
        stopped.exited_after > Duration::from_secs(cluster.options.drain_secs),
        "the replica drained before it stopped ({stopped:?})"
    );
    cluster.start_again(STOPPED).await;
    while let Some(done) = journeys.join_next().await {
        done.expect("a customer journey of the first wave");
    }
    let (stream_tally, stream_clients) = stream.stop().await;
    assert!(
        stream_tally.failures.is_empty(),
        "no request of the POST stream failed: {:?}\nwatcher: {:#?}",
        stream_tally.failures,
        cluster.watcher_events()
    );
    let applied = post_stream::assert_applied_once(&cluster, &stream_clients).await;

    // The second wave, on three replicas again.
    for n in FIRST_WAVE..FIRST_WAVE + SECOND_WAVE {
        let (db, browser) = (cluster.db.clone(), cluster.browser(customer_ip(n)));
        journeys.spawn(journey(db, browser, n));
    }
    while let Some(done) = journeys.join_next().await {
        done.expect("a customer journey of the second wave");
    }
    let customers = FIRST_WAVE + SECOND_WAVE;
    let checkouts = customers + usize::try_from(applied.orders).unwrap();

    // Stripe retries webhooks: every stored event, delivered again three times at once through
    // nginx (so to any replica), changes nothing.
    let settings = flashstudio::config::Settings::from_map(&cluster.env).unwrap();
    let secret = flashstudio::payments::from_settings(&settings)
        .unwrap()
        .webhook_secrets()
        .remove(0);
    let events: Vec<String> = sqlx::query_scalar("select payload from webhook_events")
        .fetch_all(cluster.db.pool())
        .await
        .unwrap();
    assert_eq!(events.len(), checkouts, "one payment event per checkout");
    let mut redeliveries = tokio::task::JoinSet::new();
    for payload in &events {
        for _ in 0..3 {
            let header = flashstudio::payments::webhook::sign(
                &secret,
                flashstudio::db::now(),
                payload.as_bytes(),
            );
            let request = reqwest::Client::new()
                .post(format!("{}/webhooks/stripe", cluster.base))
                .header("stripe-signature", header)
                .header("content-type", "application/json")
                .body(payload.clone())
                .send();
            redeliveries.spawn(async move {
                let resp = request.await.unwrap();
                (resp.status(), resp.text().await.unwrap())
            });
        }
    }
    while let Some(done) = redeliveries.join_next().await {
        let (status, body) = done.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("duplicate"), "{body}");
    }

    // Logins are limited per client (LOGIN_RATE_LIMIT_PER_MINUTE) across replicas.
    support::early_in_a_minute().await;
    let attacker = cluster.browser(Ipv4Addr::new(127, 0, 2, 99));
    let mut login_statuses = Vec::new();
    for _ in 0..LOGINS_PER_MINUTE + 3 {
        let resp = attacker.login(&customer_email(0), "not the password").await;
        login_statuses.push(resp.status());
    }
    let limited = login_statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        limited, 3,
        "{LOGINS_PER_MINUTE} failed logins a minute, whichever replica: {login_statuses:?}"
    );

    // Every email is sent exactly once: the customers' four each (welcome, the address's
    // confirmation link, the order's confirmation and its downloads), a confirmation for each
    // order of the stream, and the staff notices of contact messages.
    let expected_emails = i64::try_from(customers * 4).unwrap() + applied.orders;
    eventually("every email sent", Duration::from_secs(60), || {
        let db = cluster.db.clone();
        async move {
            let (sent, unsent): (i64, i64) = sqlx::query_as(
                "select count(case when status = 'sent' and kind in \
                 ('welcome', 'confirm_email', 'order_confirmation', 'downloads_ready') then 1 end), \
                 count(case when status <> 'sent' then 1 end) from emails",
            )
            .fetch_one(db.pool())
            .await
            .unwrap();
            (sent == expected_emails && unsent == 0).then_some(())
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = cluster.sink.received();
    // Each accepted contact message is acknowledged to its sender (issue 14, item 10).
    let acknowledgements = received
        .iter()
        .filter(|m| m.subject == "We received your message")
        .count();
    assert_eq!(
        i64::try_from(acknowledgements).unwrap(),
        applied.contacts,
        "one acknowledgement per accepted contact message"
    );
    for n in 0..customers {
        let email = customer_email(n);
        let mine: Vec<&str> = received
            .iter()
            .filter(|m| m.to.contains(&email) && m.subject != "We received your message")
            .map(|m| m.subject.as_str())
            .collect();
        assert_eq!(
            mine.iter().filter(|s| s.contains("confirmed")).count(),
            1,
            "{email}: one confirmation: {mine:?}"
        );
        assert_eq!(
            mine.len(),
            4,
            "{email}: welcome, confirm your address, confirmation, downloads: {mine:?}"
        );
    }

    // One order per checkout, each paid once.
    let orders = cluster.scalar("select count(*) from orders").await;
    let paid = cluster
        .scalar("select count(*) from orders where status = 'paid'")
        .await;
    let payments = cluster.scalar("select count(*) from payments").await;
    let n = i64::try_from(checkouts).unwrap();
    assert_eq!((orders, paid, payments), (n, n, n));
    let n = i64::try_from(customers).unwrap();
    let stock = cluster
        .scalar("select stock from products where slug = 'kampong-glam-morning'")
        .await;
    assert_eq!(stock, 12 - n, "one print held per order");

    // Jobs: each claimed once, none dead; one expiry job per minute across the replicas.
    let jobs = cluster.scalar("select count(*) from jobs").await;
    let rerun = cluster
        .scalar("select count(*) from jobs where attempts > 1 or status = 'dead'")
        .await;
    let email_jobs = cluster
        .scalar("select count(*) from jobs where kind = 'send_email' and status = 'done'")
        .await;
    let expiry_runs = cluster
        .scalar("select count(*) from jobs where kind = 'orders.expire'")
        .await;
    let expiry_minutes = cluster
        .scalar("select count(distinct dedupe_key) from jobs where kind = 'orders.expire'")
        .await;
    assert_eq!(rerun, 0, "no job ran twice");
    assert_eq!(email_jobs, i64::try_from(received.len()).unwrap());
    assert_eq!(expiry_runs, expiry_minutes, "one expiry run per minute");

    // nginx saw no 5xx, and every replica answered.
    let log = cluster.access_log();
    let mut per_replica: BTreeMap<String, usize> = BTreeMap::new();
    for access in &log {
        let name = access
            .replica
            .map_or("none".to_owned(), |n| format!("replica {n}"));
        *per_replica.entry(name).or_default() += 1;
    }
    let errors: Vec<_> = log.iter().filter(|a| a.status >= 500).collect();
    let retried = log.iter().filter(|a| a.passed_on).count();
    assert!(errors.is_empty(), "no 5xx through nginx: {errors:?}");
    for n in 0..cluster.ports.len() {
        assert!(
            per_replica
                .get(&format!("replica {n}"))
                .copied()
                .unwrap_or(0)
                > 10,
            "replica {n} took its share: {per_replica:?}"
        );
    }

    // Metrics on every replica cover HTTP, jobs, emails, webhooks, payments and uploads; logs
    // are JSON lines with request ids.
    let client = reqwest::Client::new();
    let mut captured = 0.0;
    let mut jobs_counted = false;
    for n in 0..cluster.ports.len() {
        let text = client
            .get(cluster.replica_url(n, "/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // Every family is declared, with samples once something happened (a restart starts
        // the counters again, as Prometheus expects).
        for family in [
            "flashstudio_http_requests",
            "flashstudio_jobs_finished",
            "flashstudio_emails",
            "flashstudio_webhook_events",
            "flashstudio_payments",
            "flashstudio_uploads",
        ] {
            assert!(
                text.contains(&format!("# HELP {family} ")),
                "replica {n} exports {family}"
            );
        }
        assert!(
            text.contains("flashstudio_http_requests_total{"),
            "replica {n} counted requests"
        );
        jobs_counted |= text.contains("flashstudio_jobs_finished_total{");
        captured += metric_sum(&text, "flashstudio_payments_total", "event=\"captured\"");
    }
    assert!(jobs_counted, "job runs are counted");
    // Replica 1's counters started again at its restart; the second wave ran after it.
    assert!(
        (SECOND_WAVE as f64..=checkouts as f64).contains(&captured),
        "captured payments counted: {captured}"
    );
    for n in 0..cluster.ports.len() {
        let log = std::fs::read_to_string(cluster.log_path(n)).unwrap();
        let lines: Vec<serde_json::Value> = log
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("JSON log line {l}: {e}")))
            .collect();
        assert!(
            lines.iter().any(|l| l["span"]["request_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty())),
            "replica {n} logs request ids"
        );
    }

    let status_counts = status_counts(&log);
    let report = [
        format!(
            "scale-out: {} requests through nginx, per replica {per_replica:?}, by status \
             {status_counts:?}, {retried} passed to another replica after a refused \
             connection, {} server errors",
            log.len(),
            errors.len()
        ),
        format!(
            "scale-out: replica {STOPPED} out of nginx's rotation {:.2} s after SIGTERM, \
             stopped in {:.1} s (drain {} s, exit 0) with its upload answered \
             {upload_status:?}, then restarted",
            stopped.out_of_rotation_after.as_secs_f64(),
            stopped.exited_after.as_secs_f64(),
            cluster.options.drain_secs,
        ),
        format!(
            "scale-out: POST stream of {} clients: {} requests ({} POSTs), by status {:?}, \
             {} failed; applied once each: {} cart adds in {} paid orders, {} contact messages \
             ({} rate-limited)",
            applied.clients,
            stream_tally.requests,
            stream_tally.posts,
            stream_tally.by_status,
            stream_tally.failures.len(),
            applied.adds,
            applied.orders,
            applied.contacts,
            applied.contacts_limited,
        ),
        format!(
            "scale-out: {customers} customers, {orders} orders ({paid} paid), {payments} \
             payments, {} emails received ({email_jobs} send jobs), {} webhook events (+{} \
             redeliveries, all duplicates), {jobs} jobs ({rerun} run twice, {expiry_runs} \
             expiry runs), login attempts {login_statuses:?}, captured payments counted by \
             metrics {captured} (replica {STOPPED}'s counters reset by its restart)",
            received.len(),
            events.len(),
            events.len() * 3,
        ),
    ]
    .join("\n");
    // Shown by scripts/test after the run (cargo test hides a passing test's output).
    println!("{report}");
    write_artifact("scale-out.txt", &report);

    cluster.shut_down().await;
}

/// How many answers nginx gave with each status.
fn status_counts(log: &[crate::cluster::Access]) -> BTreeMap<u16, usize> {
    log.iter().fold(BTreeMap::new(), |mut m, a| {
        *m.entry(a.status).or_insert(0usize) += 1;
        m
    })
}

/// Where a test writes what it prints (scripts/test shows it after the run).
fn write_artifact(name: &str, report: &str) {
    let artifacts = std::env::var("FLASHSTUDIO_TEST_ARTIFACTS").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join(name), format!("{report}\n")).unwrap();
}

/// Clients of the POST stream in the restart tests.
const RESTART_STREAM_CLIENTS: usize = 6;
/// How long a replica is frozen before its SIGTERM in the restart tests (see
/// `Cluster::stop_stalled`): it widens the window in which requests are on their way to a
/// replica that is about to stop, from microseconds to something a test can rely on.
const STALL: Duration = Duration::from_millis(300);

/// Restarts every replica in turn, as a rolling deploy does, with nginx keeping idle
/// connections to the replicas (as ingress controllers do) and the POST stream in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_restart_with_upstream_keepalive_drops_no_request() {
    let mut cluster = Cluster::start(Options {
        upstream_keepalive: true,
        ..Options::default()
    })
    .await;
    let stream = PostStream::start(&cluster, RESTART_STREAM_CLIENTS, 100).await;
    let mut restarts = Vec::new();
    for n in 0..cluster.ports.len() {
        // Traffic reaches every replica before it is stopped.
        tokio::time::sleep(Duration::from_millis(500)).await;
        restarts.push(cluster.restart(n, STALL).await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (tally, clients) = stream.stop().await;
    let log = cluster.access_log();
    let errors: Vec<_> = log.iter().filter(|a| a.status >= 500).collect();
    assert!(
        tally.failures.is_empty() && errors.is_empty(),
        "no request failed: {:?}, nginx 5xx: {errors:?}\nwatcher: {:#?}",
        tally.failures,
        cluster.watcher_events()
    );
    let applied = post_stream::assert_applied_once(&cluster, &clients).await;
    let report = format!(
        "rolling restart, upstream keep-alive: {} replicas restarted one by one (out of rotation \
         after {:?} s, exited after {:?} s, drain {} s); POST stream of {} clients: {} \
         requests ({} POSTs), by status {:?}, {} failed, nginx {:?}; applied once each: {} \
         cart adds in {} paid orders, {} contact messages ({} rate-limited)",
        restarts.len(),
        restarts
            .iter()
            .map(|r| (r.out_of_rotation_after.as_secs_f64() * 100.0).round() / 100.0)
            .collect::<Vec<_>>(),
        restarts
            .iter()
            .map(|r| (r.exited_after.as_secs_f64() * 10.0).round() / 10.0)
            .collect::<Vec<_>>(),
        cluster.options.drain_secs,
        applied.clients,
        tally.requests,
        tally.posts,
        tally.by_status,
        tally.failures.len(),
        status_counts(&log),
        applied.adds,
        applied.orders,
        applied.contacts,
        applied.contacts_limited,
    );
    println!("{report}");
    write_artifact("rolling-restart.txt", &report);
    cluster.shut_down().await;
}

/// Restarts attempted, at most, before the test below gives up on seeing the race.
const RACE_ATTEMPTS: usize = 12;

/// The same restart with the drain switched off (`SHUTDOWN_DRAIN_SECS=0`, the behaviour
/// before it existed): the replica closes its listener and its idle connections at SIGTERM,
/// while nginx still sends it requests until the watcher notices. POSTs that nginx had
/// already sent on such a connection come back as 502 (nginx never resends a POST): this
/// shows the race the drain closes is real, and that the stream sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_a_drain_a_restart_under_a_post_stream_loses_requests() {
    let mut cluster = Cluster::start(Options {
        drain_secs: 0,
        upstream_keepalive: true,
        ..Options::default()
    })
    .await;
    let stream = PostStream::start(&cluster, RESTART_STREAM_CLIENTS, 200).await;
    let mut attempts = 0;
    while attempts < RACE_ATTEMPTS {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let n = attempts % cluster.ports.len();
        attempts += 1;
        cluster.restart(n, STALL).await;
        let nginx_errors = cluster
            .access_log()
            .iter()
            .filter(|a| a.status >= 500)
            .count();
        if stream.failures() > 0 || nginx_errors > 0 {
            break;
        }
    }
    let (tally, _) = stream.stop().await;
    let log = cluster.access_log();
    let nginx_errors: Vec<_> = log.iter().filter(|a| a.status >= 500).collect();
    assert!(
        !tally.failures.is_empty() || !nginx_errors.is_empty(),
        "without a drain, {attempts} restarts under the POST stream lost no request"
    );
    let report = format!(
        "rolling restart without a drain: a request lost after {attempts} restart(s): {:?}; \
         nginx 5xx: {}; nginx said: {:?}",
        tally.failures,
        nginx_errors.len(),
        cluster.nginx_errors()
    );
    println!("{report}");
    write_artifact("restart-without-drain.txt", &report);
    cluster.shut_down().await;
}
