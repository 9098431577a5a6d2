//! Scale-out, proven on one machine: three replicas of the release binary on one PostgreSQL
//! and one Azurite, behind nginx (round-robin), while customers register, log in, fill a cart,
//! check out through the dev gateway and get their emails — and one replica is stopped with
//! SIGTERM and started again in the middle, with an upload still streaming into it.
//!
//! `scripts/test` builds the release binary and installs nginx, and passes them in
//! `FLASHSTUDIO_TEST_RELEASE_BIN` and `FLASHSTUDIO_TEST_NGINX`. The test prints its counts.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use flashstudio::catalog::{pricing, store as catalog_store};
use flashstudio::db::Db;
use reqwest::StatusCode;
use tokio::process::{Child, Command};

use crate::support::{self, Browser, SmtpSink, eventually, free_port, location};

const REPLICAS: usize = 3;
/// Customers whose journeys run while replica 1 is stopped and restarted.
const FIRST_WAVE: usize = 6;
/// Customers after the restart.
const SECOND_WAVE: usize = 3;
const PASSWORD: &str = "correct horse battery";
const LOGINS_PER_MINUTE: usize = 5;
/// The replica that is stopped and restarted.
const STOPPED: usize = 1;

fn release_bin() -> PathBuf {
    std::env::var_os("FLASHSTUDIO_TEST_RELEASE_BIN")
        .map(PathBuf::from)
        .expect(
            "FLASHSTUDIO_TEST_RELEASE_BIN is not set: run the suite with scripts/test, which \
             builds the release binary for this test",
        )
}

fn nginx_bin() -> String {
    std::env::var("FLASHSTUDIO_TEST_NGINX").expect(
        "FLASHSTUDIO_TEST_NGINX is not set: run the suite with scripts/test, which installs nginx",
    )
}

/// One PostgreSQL database, one Azurite container, one SMTP sink, three replicas, one nginx.
struct Cluster {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
    ports: Vec<u16>,
    replicas: Vec<Option<Child>>,
    nginx: Child,
    base: String,
    db: Db,
    sink: SmtpSink,
}

impl Cluster {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let sink = SmtpSink::start().await;
        let database_url =
            support::fresh_database_url(support::Backend::Postgres, dir.path()).await;
        let nginx_port = free_port();
        let base = format!("http://127.0.0.1:{nginx_port}");
        let mut env: HashMap<String, String> = [
            ("DATABASE_URL", database_url.clone()),
            ("DATABASE_MAX_CONNECTIONS", "8".to_owned()),
            ("BASE_URL", base.clone()),
            ("SECRET_KEY", hex::encode(rand::random::<[u8; 32]>())),
            ("SMTP_URL", format!("smtp://127.0.0.1:{}", sink.port)),
            ("BOOTSTRAP_ADMIN", "false".to_owned()),
            ("DEMO_CONTENT", "false".to_owned()),
            ("AUTO_MIGRATE", "false".to_owned()),
            ("LOG_FORMAT", "json".to_owned()),
            ("LOG_LEVEL", "info".to_owned()),
            ("SHUTDOWN_GRACE_SECS", "15".to_owned()),
            ("JOB_POLL_INTERVAL_MS", "100".to_owned()),
            ("TRUST_PROXY_HEADERS", "true".to_owned()),
            ("TRUSTED_PROXY_HOPS", "1".to_owned()),
            ("LOGIN_RATE_LIMIT_PER_MINUTE", LOGINS_PER_MINUTE.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        env.extend(support::azurite_vars(&support::shared_azurite()));

        // Like the chart's migration job: migrate once, then start the replicas.
        let mut cluster = Self {
            ports: (0..REPLICAS).map(|_| free_port()).collect(),
            replicas: Vec::new(),
            nginx: Command::new("true").spawn().unwrap(),
            base,
            db: Db::connect(&database_url, 2).await.unwrap_or_else(|e| {
                panic!("connect to the test database: {e}");
            }),
            sink,
            env,
            dir,
        };
        cluster.cli(&["migrate"]).await;
        cluster.cli(&["seed-demo", "--no-clips"]).await;
        for n in 0..REPLICAS {
            let child = cluster.spawn_replica(n);
            cluster.replicas.push(Some(child));
        }
        for n in 0..REPLICAS {
            cluster.wait_ready(n).await;
        }
        cluster.nginx = cluster.spawn_nginx(nginx_port).await;
        cluster
    }

    /// Runs a command of the release binary with the cluster's settings; its stdout.
    async fn cli(&self, args: &[&str]) -> String {
        let data = self.dir.path().join("cli");
        std::fs::create_dir_all(&data).unwrap();
        let out = Command::new(release_bin())
            .args(args)
            .env_clear()
            .envs(&self.env)
            .env("FLASHSTUDIO_DATA_DIR", &data)
            .env("LOG_LEVEL", "warn")
            .current_dir(&data)
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "flashstudio {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn log_path(&self, n: usize) -> PathBuf {
        self.dir.path().join(format!("replica-{n}.log"))
    }

    fn spawn_replica(&self, n: usize) -> Child {
        let data = self.dir.path().join(format!("replica-{n}"));
        std::fs::create_dir_all(&data).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path(n))
            .unwrap();
        Command::new(release_bin())
            .args(["serve", "--addr", &format!("127.0.0.1:{}", self.ports[n])])
            .env_clear()
            .envs(&self.env)
            .env("FLASHSTUDIO_DATA_DIR", &data)
            .current_dir(&data)
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    }

    fn replica_url(&self, n: usize, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.ports[n])
    }

    async fn wait_ready(&self, n: usize) {
        support::wait_for_ok(
            &format!("replica {n} to be ready"),
            &self.replica_url(n, "/ready"),
            Duration::from_secs(60),
        )
        .await;
    }

    async fn spawn_nginx(&self, port: u16) -> Child {
        let root = self.dir.path().join("nginx");
        std::fs::create_dir_all(&root).unwrap();
        let upstreams: String = self
            .ports
            .iter()
            .map(|p| format!("    server 127.0.0.1:{p} max_fails=1 fail_timeout=1s;\n"))
            .collect();
        let r = root.display();
        let conf = format!(
            "worker_processes 1;
daemon off;
# One process, which the test can stop with a single signal; it keeps the test's user, so it
# can write its temp files in the test's private directory.
master_process off;
pid {r}/nginx.pid;
error_log {r}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format replicas '$upstream_addr|$status|$request_method|$uri|$upstream_status';
  access_log {r}/access.log replicas;
  client_body_temp_path {r}/body;
  proxy_temp_path {r}/proxy;
  fastcgi_temp_path {r}/fastcgi;
  uwsgi_temp_path {r}/uwsgi;
  scgi_temp_path {r}/scgi;
  client_max_body_size 64m;
  upstream flashstudio {{
{upstreams}  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://flashstudio;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # A refused connection (a replica that stopped accepting) goes to the next replica;
      # a request already sent is never sent twice.
      proxy_next_upstream error timeout;
      proxy_read_timeout 60s;
    }}
  }}
}}
"
        );
        let conf_path = root.join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new(nginx_bin())
            .arg("-e")
            .arg(root.join("error.log"))
            .arg("-p")
            .arg(&root)
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        support::wait_for_ok(
            "nginx to answer",
            &format!("http://127.0.0.1:{port}/health"),
            Duration::from_secs(20),
        )
        .await;
        child
    }

    /// A customer's browser through nginx, from its own loopback address (so per-client
    /// limits see distinct clients, as they would on the internet).
    fn browser(&self, client_ip: Ipv4Addr) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .local_address(IpAddr::V4(client_ip))
            .build()
            .unwrap();
        Browser {
            client,
            base: self.base.clone(),
        }
    }

    /// nginx's access log: (replica that answered, status, method, path, retried elsewhere).
    fn access_log(&self) -> Vec<(Option<usize>, u16, String, String, bool)> {
        let text =
            std::fs::read_to_string(self.dir.path().join("nginx/access.log")).unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                let parts: Vec<&str> = line.split('|').collect();
                let [upstream, status, method, path, _] = parts[..] else {
                    return None;
                };
                let answered = upstream.rsplit(", ").next().unwrap_or_default();
                let replica = self
                    .ports
                    .iter()
                    .position(|p| answered == format!("127.0.0.1:{p}"));
                Some((
                    replica,
                    status.parse().unwrap_or(0),
                    method.to_owned(),
                    path.to_owned(),
                    upstream.contains(", "),
                ))
            })
            .collect()
    }

    async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }
}

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

/// A 4 MiB video streamed straight into a replica in 16 slices while it is being stopped;
/// returns the status line of the answer.
async fn slow_upload(
    db: Db,
    addr: String,
    token: String,
    started: tokio::sync::oneshot::Sender<()>,
) -> String {
    let mut upload =
        support::RawUpload::start(&addr, &token, "inflight.mp4", 4 * 1024 * 1024, 16).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_behind_nginx_survive_a_rolling_restart() {
    let mut cluster = Cluster::start().await;
    let token = cluster
        .cli(&["api-token", "create", "--name", "scale-out"])
        .await
        .trim()
        .to_owned();

    // The first wave of customers, with replica 1 stopped and restarted in its middle.
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
    let mut child = cluster.replicas[STOPPED].take().unwrap();
    let signalled = tokio::time::Instant::now();
    support::sigterm(&child).await;
    let exit = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the stopped replica exits within its grace period")
        .unwrap();
    let stop_took = signalled.elapsed();
    assert!(exit.success(), "exit code 0 after SIGTERM, got {exit:?}");
    let upload_status = upload.await.unwrap();
    assert!(
        upload_status.starts_with("HTTP/1.1 200"),
        "the upload in flight on the stopped replica finished before it exited: {upload_status}"
    );
    assert!(
        stop_took > Duration::from_secs(1),
        "the replica waited for the upload ({stop_took:?})"
    );
    cluster.replicas[STOPPED] = Some(cluster.spawn_replica(STOPPED));
    cluster.wait_ready(STOPPED).await;
    while let Some(done) = journeys.join_next().await {
        done.expect("a customer journey of the first wave");
    }

    // The second wave, on three replicas again.
    for n in FIRST_WAVE..FIRST_WAVE + SECOND_WAVE {
        let (db, browser) = (cluster.db.clone(), cluster.browser(customer_ip(n)));
        journeys.spawn(journey(db, browser, n));
    }
    while let Some(done) = journeys.join_next().await {
        done.expect("a customer journey of the second wave");
    }
    let customers = FIRST_WAVE + SECOND_WAVE;

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
    assert_eq!(events.len(), customers, "one payment event per checkout");
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

    // Every email is sent exactly once.
    let expected_emails = i64::try_from(customers * 3).unwrap();
    eventually("every email sent", Duration::from_secs(60), || {
        let db = cluster.db.clone();
        async move {
            let sent: i64 = sqlx::query_scalar(
                "select count(*) from emails where status = 'sent' \
                 and kind in ('welcome', 'order_confirmation', 'downloads_ready')",
            )
            .fetch_one(db.pool())
            .await
            .unwrap();
            (sent == expected_emails).then_some(())
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = cluster.sink.received();
    for n in 0..customers {
        let email = customer_email(n);
        let mine: Vec<&str> = received
            .iter()
            .filter(|m| m.to.contains(&email))
            .map(|m| m.subject.as_str())
            .collect();
        assert_eq!(
            mine.iter().filter(|s| s.contains("confirmed")).count(),
            1,
            "{email}: one confirmation: {mine:?}"
        );
        assert_eq!(
            mine.len(),
            3,
            "{email}: welcome, confirmation, downloads: {mine:?}"
        );
    }

    // One order per checkout, each paid once.
    let orders = cluster.scalar("select count(*) from orders").await;
    let paid = cluster
        .scalar("select count(*) from orders where status = 'paid'")
        .await;
    let payments = cluster.scalar("select count(*) from payments").await;
    let n = i64::try_from(customers).unwrap();
    assert_eq!((orders, paid, payments), (n, n, n));
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
    for (replica, ..) in &log {
        let name = replica.map_or("none".to_owned(), |n| format!("replica {n}"));
        *per_replica.entry(name).or_default() += 1;
    }
    let errors: Vec<_> = log
        .iter()
        .filter(|(_, status, ..)| *status >= 500)
        .collect();
    let retried = log.iter().filter(|(.., retried)| *retried).count();
    assert!(errors.is_empty(), "no 5xx through nginx: {errors:?}");
    for n in 0..REPLICAS {
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
    for n in 0..REPLICAS {
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
        (SECOND_WAVE as f64..=customers as f64).contains(&captured),
        "captured payments counted: {captured}"
    );
    for n in 0..REPLICAS {
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

    let status_counts = log.iter().fold(BTreeMap::new(), |mut m, (_, status, ..)| {
        *m.entry(*status).or_insert(0usize) += 1;
        m
    });
    let report = [
        format!(
            "scale-out: {} requests through nginx, per replica {per_replica:?}, by status \
             {status_counts:?}, {retried} passed to another replica after a refused \
             connection, {} server errors",
            log.len(),
            errors.len()
        ),
        format!(
            "scale-out: replica {STOPPED} stopped in {:.1} s after SIGTERM (exit 0) with its \
             upload answered {upload_status:?}, then restarted",
            stop_took.as_secs_f64()
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
    let artifacts = std::env::var("FLASHSTUDIO_TEST_ARTIFACTS").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join("scale-out.txt"), format!("{report}\n")).unwrap();

    for child in cluster.replicas.iter_mut().flatten() {
        child.start_kill().ok();
    }
    cluster.nginx.start_kill().ok();
    cluster.db.close().await;
}
