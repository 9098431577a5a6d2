//! The test harness: the real app on a random port, an isolated database per test on SQLite
//! or PostgreSQL, a real SMTP server on loopback, and helpers that act like a browser.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flashstudio::app::{self, AppState};
use flashstudio::config::Settings;
use flashstudio::identity::model::{NewPassword, Role};
use flashstudio::identity::{password, store as account_store};
use reqwest::StatusCode;
use sqlx::{Connection as _, Executor as _};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Runs an `async fn name(backend: Backend)` once on SQLite and once on PostgreSQL, as
/// `module::sqlite::name` and `module::postgres::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::Backend::Postgres).await
                }
            )*
        }
    };
}

/// Runs an `async fn name(stack: Stack)` on every database × storage pair, as
/// `module::sqlite_local::name`, `module::sqlite_azurite::name`, `module::postgres_local::name`
/// and `module::postgres_azurite::name`.
#[macro_export]
macro_rules! on_every_stack {
    ($($name:ident),* $(,)?) => {
        $crate::on_every_stack!(@one sqlite_local, Sqlite, Local, $($name),*);
        $crate::on_every_stack!(@one sqlite_azurite, Sqlite, Azurite, $($name),*);
        $crate::on_every_stack!(@one postgres_local, Postgres, Local, $($name),*);
        $crate::on_every_stack!(@one postgres_azurite, Postgres, Azurite, $($name),*);
    };
    (@one $module:ident, $db:ident, $storage:ident, $($name:ident),*) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::Stack {
                        db: $crate::support::Backend::$db,
                        storage: $crate::support::StorageKind::$storage,
                    })
                    .await
                }
            )*
        }
    };
}

/// Where a test's files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageKind {
    /// The local filesystem under the test's data dir.
    Local,
    /// A fresh container on the Azurite the test command started.
    Azurite,
}

/// A database and a storage backend.
#[derive(Debug, Clone, Copy)]
pub struct Stack {
    /// Database.
    pub db: Backend,
    /// Storage.
    pub storage: StorageKind,
}

/// Azurite's published development key (from its documentation).
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// Settings that put the app's files in a fresh container of the Azurite at `endpoint`.
pub fn azurite_vars(endpoint: &str) -> Vec<(String, String)> {
    let container = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
    [
        ("STORAGE_BACKEND", "azure".to_owned()),
        ("AZURE_STORAGE_ACCOUNT", "devstoreaccount1".to_owned()),
        ("AZURE_STORAGE_ACCESS_KEY", AZURITE_KEY.to_owned()),
        ("AZURE_STORAGE_ENDPOINT", endpoint.to_owned()),
        ("AZURE_STORAGE_CONTAINER", container),
        ("AZURE_STORAGE_CREATE_CONTAINER", "true".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The shared Azurite started by the test command.
pub fn shared_azurite() -> String {
    std::env::var("FLASHSTUDIO_TEST_AZURITE_URL").expect(
        "FLASHSTUDIO_TEST_AZURITE_URL is not set: run the suite with scripts/test, which starts Azurite",
    )
}

/// An Azurite of a test's own, which the test may stop and start again.
pub struct Azurite {
    /// `http://127.0.0.1:PORT/devstoreaccount1`.
    pub endpoint: String,
    port: u16,
    dir: tempfile::TempDir,
    child: Option<tokio::process::Child>,
}

impl Azurite {
    /// Starts one on a free port and waits until it answers.
    pub async fn start() -> Self {
        let port = free_port();
        let mut me = Self {
            endpoint: format!("http://127.0.0.1:{port}/devstoreaccount1"),
            port,
            dir: tempfile::tempdir().expect("azurite dir"),
            child: None,
        };
        me.restart().await;
        me
    }

    /// Starts it again on the same port and data.
    pub async fn restart(&mut self) {
        let bin = std::env::var("FLASHSTUDIO_TEST_AZURITE_BIN")
            .expect("FLASHSTUDIO_TEST_AZURITE_BIN is not set: run the suite with scripts/test");
        let child = tokio::process::Command::new(bin)
            .args([
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                &self.port.to_string(),
            ])
            .arg("--location")
            .arg(self.dir.path())
            .args([
                "--skipApiVersionCheck",
                "--loose",
                "--disableTelemetry",
                "--silent",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start azurite");
        self.child = Some(child);
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("Azurite did not start on port {}", self.port);
    }

    /// Kills it (as a crash would).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.ok();
            child.wait().await.ok();
        }
    }
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the test's temp dir.
    Sqlite,
    /// A fresh database on the PostgreSQL server the test command started.
    Postgres,
}

/// A URL for a brand-new, empty database.
pub async fn fresh_database_url(backend: Backend, dir: &Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("test.db").display()),
        Backend::Postgres => {
            let admin = std::env::var("FLASHSTUDIO_TEST_POSTGRES_URL").expect(
                "FLASHSTUDIO_TEST_POSTGRES_URL is not set: run the suite with scripts/test, \
                 which starts a throwaway PostgreSQL",
            );
            let name = format!("fs_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to the test PostgreSQL server");
            conn.execute(sqlx::AssertSqlSafe(format!("create database {name}")))
                .await
                .expect("create a test database");
            conn.close().await.ok();
            let mut url = url::Url::parse(&admin).expect("valid admin url");
            url.set_path(&format!("/{name}"));
            url.to_string()
        }
    }
}

/// A free TCP port on loopback (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A browser: a cookie jar and helpers for pages and forms.
#[derive(Clone)]
pub struct Browser {
    /// The HTTP client (cookies on, redirects off so tests can see them).
    pub client: reqwest::Client,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Browser {
    /// A browser with an empty cookie jar.
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Self {
            client,
            base: base.to_owned(),
        }
    }

    /// A browser of a client at `ip`, as a proxy of ours reports it (`X-Forwarded-For` on
    /// every request; the app must run with `TRUST_PROXY_HEADERS=true` to believe it).
    pub fn from_address(base: &str, ip: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            reqwest::header::HeaderValue::from_str(ip).expect("an address"),
        );
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .default_headers(headers)
            .build()
            .expect("http client");
        Self {
            client,
            base: base.to_owned(),
        }
    }

    /// The same browser (same cookies) talking to another replica. Cookies belong to the host,
    /// not the port, so this is what a load balancer in front of both would look like.
    pub fn at(&self, base: &str) -> Self {
        Self {
            client: self.client.clone(),
            base: base.to_owned(),
        }
    }

    /// Absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GET with extra headers (a `Range`).
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.send().await.expect("GET")
    }

    /// GET, returning status and body.
    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let resp = self.get(path).await;
        let status = resp.status();
        (status, resp.text().await.expect("body"))
    }

    /// This browser's current CSRF token, read from the page layout (`hx-headers`).
    pub async fn csrf(&self) -> String {
        let (_, body) = self.get_text("/").await;
        csrf_from_html(&body)
    }

    /// POSTs a form with this browser's CSRF token.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_form_raw(path, &all).await
    }

    /// POSTs a form exactly as given (no CSRF token added).
    pub async fn post_form_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// Registers through the form.
    pub async fn register(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form(
            "/register",
            &[
                ("email", email),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await
    }

    /// Logs in through the form.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }

    /// Logs out through the form.
    pub async fn logout(&self) -> reqwest::Response {
        self.post_form("/logout", &[]).await
    }
}

/// The CSRF token a page carries in its layout (`<body hx-headers=…>`).
pub fn csrf_from_html(body: &str) -> String {
    let marker = "X-CSRF-Token&quot;:&quot;";
    let start = body.find(marker).expect("csrf token in layout") + marker.len();
    let end = start + body[start..].find("&quot;").expect("end of token");
    body[start..end].to_owned()
}

/// The `Location` header of a redirect.
pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Every `Set-Cookie` header of a response.
pub fn set_cookies(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// Builds a [`TestApp`].
pub struct TestAppBuilder {
    backend: Backend,
    vars: HashMap<String, String>,
    database_url: Option<String>,
}

impl TestAppBuilder {
    /// Sends email to an SMTP server on `port` instead of files.
    pub fn smtp(self, port: u16) -> Self {
        self.var("SMTP_URL", &format!("smtp://127.0.0.1:{port}"))
    }

    /// Sets any setting.
    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Puts files on `storage` (a fresh Azurite container, or the data dir).
    pub fn storage(mut self, storage: StorageKind) -> Self {
        if storage == StorageKind::Azurite {
            self.vars.extend(azurite_vars(&shared_azurite()));
        }
        self
    }

    /// Uses an existing database instead of a fresh one.
    pub fn database_url(mut self, url: &str) -> Self {
        self.database_url = Some(url.to_owned());
        self
    }

    /// Starts the app.
    pub async fn spawn(self) -> TestApp {
        flashstudio::telemetry::install_crypto_provider();
        if std::env::var("FLASHSTUDIO_TEST_LOG").is_ok() {
            flashstudio::telemetry::init(flashstudio::config::LogFormat::Pretty, "info");
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = match self.database_url {
            Some(url) => url,
            None => fresh_database_url(self.backend, dir.path()).await,
        };
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let mut vars: HashMap<String, String> = [
            ("FLASHSTUDIO_DATA_DIR", dir.path().display().to_string()),
            ("DATABASE_URL", database_url),
            ("DATABASE_MAX_CONNECTIONS", "4".to_owned()),
            ("BASE_URL", base.clone()),
            ("SECRET_KEY", hex::encode(rand::random::<[u8; 32]>())),
            ("BOOTSTRAP_ADMIN", "false".to_owned()),
            ("JOB_POLL_INTERVAL_MS", "50".to_owned()),
            ("JOB_RETRY_BASE_MS", "1000".to_owned()),
            ("SHUTDOWN_GRACE_SECS", "5".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        vars.extend(self.vars);
        let settings = Settings::from_map(&vars).expect("test settings");
        let state = AppState::build(settings).await.expect("app state");
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(app::serve(state.clone(), listener, shutdown.clone()));
        TestApp {
            browser: Browser::new(&base),
            state,
            shutdown,
            server: Some(server),
            _dir: dir,
        }
    }
}

/// A running app.
pub struct TestApp {
    /// The default browser.
    pub browser: Browser,
    /// Its state (database, settings) for direct assertions.
    pub state: AppState,
    shutdown: CancellationToken,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    /// Its data directory (removed on drop).
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for TestApp {
    type Target = Browser;
    fn deref(&self) -> &Browser {
        &self.browser
    }
}

impl TestApp {
    /// A builder on `backend`.
    pub fn builder(backend: Backend) -> TestAppBuilder {
        TestAppBuilder {
            backend,
            vars: HashMap::new(),
            database_url: None,
        }
    }

    /// A builder for `stack`.
    pub fn on(stack: Stack) -> TestAppBuilder {
        Self::builder(stack.db).storage(stack.storage)
    }

    /// The app with default test settings.
    pub async fn spawn(backend: Backend) -> Self {
        Self::builder(backend).spawn().await
    }

    /// A second browser with its own cookies.
    pub fn new_browser(&self) -> Browser {
        Browser::new(&self.browser.base)
    }

    /// A browser of another client address (see [`Browser::from_address`]).
    pub fn browser_from(&self, ip: &str) -> Browser {
        Browser::from_address(&self.browser.base, ip)
    }

    /// Creates an account directly in the database (no welcome email).
    pub async fn create_user(&self, email: &str, password_text: &str, role: Role) {
        let pw = NewPassword::parse(password_text, None).expect("test password");
        let hash = password::hash(&pw).await.expect("hash");
        account_store::insert_user(
            self.state.db.pool(),
            &account_store::NewUser {
                email,
                password_hash: &hash,
                display_name: None,
                role,
            },
            flashstudio::db::now(),
        )
        .await
        .expect("insert user");
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.expect("join").expect("server result");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A parsed email that reached the SMTP sink.
#[derive(Debug, Clone)]
pub struct ReceivedEmail {
    /// Envelope recipients.
    pub to: String,
    /// Subject header.
    pub subject: String,
    /// Reply-To header (empty when absent).
    pub reply_to: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part.
    pub html: String,
    /// The text/calendar part (empty when absent) and its `method` parameter.
    pub calendar: String,
    /// The calendar part's `method` parameter.
    pub calendar_method: String,
}

/// A real SMTP server (aiosmtpd) on loopback that saves messages as files.
pub struct SmtpSink {
    /// Its port.
    pub port: u16,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
    child: Option<tokio::process::Child>,
}

impl SmtpSink {
    /// Starts a sink on a free port.
    pub async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    /// Starts a sink on `port`.
    pub async fn start_on(port: u16) -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("mail");
        let mut sink = Self {
            port,
            dir,
            _tmp: tmp,
            child: None,
        };
        sink.restart().await;
        sink
    }

    /// (Re)starts the server process on the same port and folder.
    pub async fn restart(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
        let mut child = tokio::process::Command::new("python3")
            .arg(script)
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(&self.dir)
            .kill_on_drop(true)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the SMTP sink (python3 with aiosmtpd; scripts/test installs it)");
        // Ready means the sink itself said so: a bare TCP connect could reach another
        // process that took the port meanwhile.
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
        let ready = tokio::time::timeout(Duration::from_secs(15), lines.next_line()).await;
        match ready {
            Ok(Ok(Some(line))) if line.trim() == "ready" => {}
            other => panic!(
                "SMTP sink did not start on port {} ({other:?}); is aiosmtpd installed?",
                self.port
            ),
        }
        self.child = Some(child);
    }

    /// Every message received so far.
    pub fn received(&self) -> Vec<ReceivedEmail> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .filter_map(|e| std::fs::read(e.path()).ok())
            .filter_map(|raw| parse_email(&raw))
            .collect()
    }

    /// Waits (up to `timeout`) for a message to `to` whose subject contains `subject`.
    pub async fn wait_for(&self, to: &str, subject: &str, timeout: Duration) -> ReceivedEmail {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(found) = self
                .received()
                .into_iter()
                .find(|m| m.to.contains(to) && m.subject.contains(subject))
            {
                return found;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "no email to {to} with subject containing {subject:?} within {timeout:?}; got {:?}",
                    self.received()
                        .iter()
                        .map(|m| (&m.to, &m.subject))
                        .collect::<Vec<_>>()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn parse_email(raw: &[u8]) -> Option<ReceivedEmail> {
    use mailparse::MailHeaderMap as _;
    let parsed = mailparse::parse_mail(raw).ok()?;
    let to = parsed
        .headers
        .get_first_value("X-Envelope-To")
        .unwrap_or_default();
    let subject = parsed
        .headers
        .get_first_value("Subject")
        .unwrap_or_default();
    let reply_to = parsed
        .headers
        .get_first_value("Reply-To")
        .unwrap_or_default();
    let mut text = String::new();
    let mut html = String::new();
    let mut calendar = String::new();
    let mut calendar_method = String::new();
    for part in parsed.parts() {
        match part.ctype.mimetype.as_str() {
            "text/plain" => text = part.get_body().unwrap_or_default(),
            "text/html" => html = part.get_body().unwrap_or_default(),
            "text/calendar" => {
                calendar = part.get_body().unwrap_or_default();
                calendar_method = part.ctype.params.get("method").cloned().unwrap_or_default();
            }
            _ => {}
        }
    }
    Some(ReceivedEmail {
        to,
        subject,
        reply_to,
        text,
        html,
        calendar,
        calendar_method,
    })
}

/// Waits, if needed, until the current minute has at least 20 seconds left, so that a burst of
/// rate-limited requests falls in one window (limits are per minute-aligned window).
pub async fn early_in_a_minute() {
    let into = flashstudio::db::now().rem_euclid(60);
    if into > 40 {
        let wait = u64::try_from(60 - into).unwrap_or(20);
        tokio::time::sleep(Duration::from_millis(wait * 1000 + 200)).await;
    }
}

/// Polls `check` every 50 ms until it returns `Some`, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// GETs `url` every 50 ms until it answers 2xx (a server's `/ready`, nginx's `/health`).
pub async fn wait_for_ok(what: &str, url: &str, timeout: Duration) {
    let client = reqwest::Client::new();
    eventually(what, timeout, || {
        let request = client.get(url).send();
        async move { request.await.ok().filter(|r| r.status().is_success()) }
    })
    .await;
}

/// Sends SIGTERM to a child process, as Kubernetes does to a pod.
pub async fn sigterm(child: &tokio::process::Child) {
    let pid = child.id().expect("the process is running").to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("run kill");
    assert!(killed.success(), "kill -TERM {pid}");
}

/// Waits until an upload is streaming into the app (its media row is `uploading`): the
/// server took the connection, rather than it waiting in the listen queue.
pub async fn upload_under_way(db: &flashstudio::db::Db) {
    eventually(
        "the upload to be under way",
        Duration::from_secs(20),
        || async {
            let n: i64 = sqlx::query_scalar("select count(*) from media where state = 'uploading'")
                .fetch_one(db.pool())
                .await
                .expect("count uploads");
            (n > 0).then_some(())
        },
    )
    .await;
}

/// A video upload to `POST /api/upload` written by hand on a socket, one slice at a time, so
/// a test can keep it in flight (while it stops the server, say).
pub struct RawUpload {
    socket: tokio::net::TcpStream,
    body: Vec<u8>,
    slice: usize,
    sent: usize,
}

impl RawUpload {
    /// Connects to `addr`, sends the request head and the first of `slices` slices of a
    /// `size`-byte MP4 named `file_name`.
    pub async fn start(
        addr: &str,
        token: &str,
        file_name: &str,
        size: usize,
        slices: usize,
    ) -> Self {
        use tokio::io::AsyncWriteExt as _;
        let mut body = format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: video/mp4\r\n\r\n"
        )
        .into_bytes();
        let mut video = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
        video.resize(size, 7);
        body.extend_from_slice(&video);
        body.extend_from_slice(b"\r\n--XyZ--\r\n");
        let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let head = format!(
            "POST /api/upload HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        socket
            .write_all(head.as_bytes())
            .await
            .expect("send the head");
        let slice = body.len().div_ceil(slices);
        let mut upload = Self {
            socket,
            body,
            slice,
            sent: 0,
        };
        upload.send_next().await;
        upload
    }

    /// Sends the next slice; false once the whole body has gone.
    pub async fn send_next(&mut self) -> bool {
        use tokio::io::AsyncWriteExt as _;
        if self.sent >= self.body.len() {
            return false;
        }
        let end = (self.sent + self.slice).min(self.body.len());
        self.socket
            .write_all(&self.body[self.sent..end])
            .await
            .expect("send a slice");
        self.sent = end;
        true
    }

    /// The whole answer (the server closes the connection after it).
    pub async fn answer(mut self) -> String {
        use tokio::io::AsyncReadExt as _;
        let mut answer = Vec::new();
        tokio::time::timeout(
            Duration::from_secs(30),
            self.socket.read_to_end(&mut answer),
        )
        .await
        .expect("the upload is answered")
        .expect("read the answer");
        String::from_utf8_lossy(&answer).into_owned()
    }
}

/// The confirmation link (a path) of `email`'s new account, as its email carries it. Made
/// from the account, not read from the outbox: the outbox redacts the link once the email is
/// sent, which may be before the test reads it.
pub async fn confirmation_path(app: &TestApp, email: &str) -> String {
    let user_id: String = sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(app.state.db.pool())
        .await
        .expect("the account");
    let url = flashstudio::accounts::service::confirm_email_url(&app.state, &user_id, email);
    let at = url.find("/confirm-email/").expect("a confirmation link");
    url[at..].to_owned()
}
