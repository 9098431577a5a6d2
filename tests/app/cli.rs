//! The binary: production refuses to start without its settings; `create-admin`.

use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::AsyncWriteExt as _;

use crate::on_both_backends;
use crate::support::{Backend, TestApp, fresh_database_url};

const BIN: &str = env!("CARGO_BIN_EXE_flashstudio");

async fn run(args: &[&str], env: &[(&str, &str)], stdin: &str) -> (bool, String, String) {
    // An empty working directory: no developer's `.env` is picked up.
    let cwd = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(cwd.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn production_without_settings_refuses_to_start_and_names_the_variable() {
    let steps: &[(&[(&str, &str)], &str)] = &[
        (&[], "BASE_URL is required in production"),
        (
            &[("BASE_URL", "https://studio.example.com")],
            "DATABASE_URL is required",
        ),
        (
            &[
                ("BASE_URL", "https://studio.example.com"),
                ("DATABASE_URL", "postgres://db/x"),
            ],
            "SECRET_KEY is required",
        ),
        (
            &[
                ("BASE_URL", "https://studio.example.com"),
                ("DATABASE_URL", "postgres://db/x"),
                ("SECRET_KEY", "8f3a1c9e0b7d42f6a5c8e1d30b9f7a26c4e85d1b"),
            ],
            "SMTP_URL is required",
        ),
        (
            &[
                ("BASE_URL", "https://studio.example.com"),
                ("DATABASE_URL", "postgres://db/x"),
                ("SECRET_KEY", "8f3a1c9e0b7d42f6a5c8e1d30b9f7a26c4e85d1b"),
                ("SMTP_URL", "smtps://mail.example.com"),
            ],
            "STORAGE_BACKEND is local",
        ),
        (
            &[
                ("BASE_URL", "https://studio.example.com"),
                ("DATABASE_URL", "postgres://db/x"),
                ("SECRET_KEY", "8f3a1c9e0b7d42f6a5c8e1d30b9f7a26c4e85d1b"),
                ("SMTP_URL", "smtps://mail.example.com"),
                ("AZURE_STORAGE_ACCOUNT", "studiomedia"),
            ],
            "PAYMENT_GATEWAY must be \"stripe\" in production",
        ),
        (
            &[
                ("BASE_URL", "https://studio.example.com"),
                ("DATABASE_URL", "postgres://db/x"),
                ("SECRET_KEY", "8f3a1c9e0b7d42f6a5c8e1d30b9f7a26c4e85d1b"),
                ("SMTP_URL", "smtps://mail.example.com"),
                ("AZURE_STORAGE_ACCOUNT", "studiomedia"),
                ("PAYMENT_GATEWAY", "stripe"),
                (
                    "STRIPE_SECRET_KEY",
                    "sk_live_51HxQk2Lw9Xv4Nt6Bp1Mc7Hd3Jf5Gs0AyRt8Ue2Wq4Zo6Ic",
                ),
            ],
            "STRIPE_WEBHOOK_SECRET is required",
        ),
    ];
    for (extra, expected) in steps {
        let mut env = vec![("FLASHSTUDIO_ENV", "production")];
        env.extend_from_slice(extra);
        for args in [&["serve"][..], &["check-config"][..]] {
            let (ok, _, stderr) = run(args, &env, "").await;
            assert!(!ok, "{args:?} must fail with {env:?}");
            assert!(
                stderr.contains(expected),
                "{args:?}: expected {expected:?} in {stderr:?}"
            );
        }
    }
}

/// `n` random letters and digits, the alphabet of Stripe's keys and secrets.
fn alphanumeric(n: usize) -> String {
    use rand::Rng as _;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// Issue 14, item 5: production refuses a `SECRET_KEY` that can be guessed (a sequence, a
/// repeated pattern), Stripe test-mode keys unless `STRIPE_ALLOW_TEST_KEYS=true` (staging), and
/// Stripe secrets too short to be real, naming the variable and saying how to get a good value;
/// keys made the way the docs say (`openssl rand -hex 32`, the Stripe dashboard) pass.
#[tokio::test]
async fn production_refuses_guessable_secrets_and_test_mode_stripe_keys() {
    let database = std::env::var("FLASHSTUDIO_TEST_POSTGRES_URL")
        .expect("FLASHSTUDIO_TEST_POSTGRES_URL is set by scripts/test");
    let hex64 = hex::encode(rand::random::<[u8; 32]>()); // openssl rand -hex 32
    let hex32 = hex::encode(rand::random::<[u8; 16]>()); // openssl rand -hex 16
    let live_key = format!("sk_live_{}", alphanumeric(99));
    let restricted_live = format!("rk_live_{}", alphanumeric(99));
    let test_key = format!("sk_test_{}", alphanumeric(99));
    let restricted_test = format!("rk_test_{}", alphanumeric(99));
    let webhook = format!("whsec_{}", alphanumeric(32));
    let cli_webhook = format!("whsec_{hex64}"); // what `stripe listen` prints
    let rotation = format!("{webhook},whsec_x");
    let good: Vec<(&str, &str)> = vec![
        ("FLASHSTUDIO_ENV", "production"),
        ("BASE_URL", "https://studio.example.com"),
        ("DATABASE_URL", &database),
        ("SECRET_KEY", &hex64),
        ("SMTP_URL", "smtps://mail.example.com"),
        ("AZURE_STORAGE_ACCOUNT", "studiomedia"),
        ("PAYMENT_GATEWAY", "stripe"),
        ("STRIPE_SECRET_KEY", &live_key),
        ("STRIPE_WEBHOOK_SECRET", &webhook),
    ];
    let with = |changes: &[(&'static str, &str)]| {
        let mut env: Vec<(String, String)> = good
            .iter()
            .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env.extend(changes.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    };
    let check_config = |env: Vec<(String, String)>| async move {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run(&["check-config"], &env, "").await
    };

    // Changes to a good configuration (variable, value).
    type Changes<'a> = [(&'static str, &'a str)];
    // Each with the variable its error names and the advice it gives.
    let refused: &[(&Changes, &str, &str)] = &[
        (
            &[("SECRET_KEY", "0123456789abcdef0123456789abcdef")],
            "SECRET_KEY ",
            "openssl rand -hex 32",
        ),
        (
            &[("SECRET_KEY", &"abcdefgh".repeat(4))],
            "SECRET_KEY ",
            "openssl rand -hex 32",
        ),
        (
            &[("SECRET_KEY", "qwertyuiopasdfghjklzxcvbnm123456")],
            "SECRET_KEY ",
            "openssl rand -hex 32",
        ),
        (
            &[("STRIPE_SECRET_KEY", &test_key)],
            "STRIPE_SECRET_KEY ",
            "STRIPE_ALLOW_TEST_KEYS=true",
        ),
        (
            &[("STRIPE_SECRET_KEY", &restricted_test)],
            "STRIPE_SECRET_KEY ",
            "STRIPE_ALLOW_TEST_KEYS=true",
        ),
        (
            &[
                ("STRIPE_SECRET_KEY", &test_key),
                ("STRIPE_ALLOW_TEST_KEYS", "false"),
            ],
            "STRIPE_SECRET_KEY ",
            "STRIPE_ALLOW_TEST_KEYS=true",
        ),
        (
            &[("STRIPE_SECRET_KEY", "sk_live_x")],
            "STRIPE_SECRET_KEY ",
            "Stripe dashboard",
        ),
        (
            &[("STRIPE_WEBHOOK_SECRET", "whsec_x")],
            "STRIPE_WEBHOOK_SECRET ",
            "Stripe dashboard",
        ),
        (
            &[("STRIPE_WEBHOOK_SECRET", &rotation)],
            "STRIPE_WEBHOOK_SECRET ",
            "Stripe dashboard",
        ),
    ];
    for (changes, variable, advice) in refused {
        let (ok, stdout, stderr) = check_config(with(changes)).await;
        assert!(!ok, "{changes:?} must be refused: {stdout}");
        assert!(
            stderr.contains(&format!("error: {variable}")) && stderr.contains(advice),
            "{changes:?}: expected {variable:?} and {advice:?} in {stderr:?}"
        );
    }

    let accepted: &[&Changes] = &[
        &[],
        &[("SECRET_KEY", &hex32)],
        &[("STRIPE_SECRET_KEY", &restricted_live)],
        &[("STRIPE_WEBHOOK_SECRET", &cli_webhook)],
        &[
            ("STRIPE_SECRET_KEY", &test_key),
            ("STRIPE_ALLOW_TEST_KEYS", "true"),
        ],
    ];
    for changes in accepted {
        let (ok, stdout, stderr) = check_config(with(changes)).await;
        assert!(
            ok && stdout.contains("configuration OK"),
            "{changes:?} must be accepted: {stdout} {stderr}"
        );
    }
    let (_, stdout, _) = check_config(with(&[
        ("STRIPE_SECRET_KEY", &test_key),
        ("STRIPE_ALLOW_TEST_KEYS", "true"),
    ]))
    .await;
    assert!(
        stdout.contains("stripe (test mode: no real money)"),
        "check-config says when test keys are in use: {stdout}"
    );
}

/// Issue 14, item 7: on a fresh machine, in development, what the app writes into its data
/// directory (the database with its WAL files, the signing key, emails holding live reset and
/// download links, uploaded media) is private to the account that runs it, even under the
/// usual umask 022, which leaves files readable by everyone unless the program says otherwise.
#[tokio::test]
async fn a_fresh_data_directory_is_private_to_the_account_that_runs_the_app() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let dir = tempfile::tempdir().unwrap();

    // `migrate` on a machine where nothing exists yet.
    let migrated = dir.path().join("migrated");
    let url = format!("sqlite://{}/flashstudio.db", migrated.display());
    let (ok, stdout, stderr) = run(
        &["migrate"],
        &[
            ("FLASHSTUDIO_DATA_DIR", &migrated.display().to_string()),
            ("DATABASE_URL", &url),
        ],
        "",
    )
    .await;
    assert!(ok, "{stdout} {stderr}");
    assert_eq!(
        format!(
            "{:o} {:o}",
            mode(&migrated),
            mode(&migrated.join("flashstudio.db"))
        ),
        "700 600",
        "the data directory and database made by migrate"
    );

    // `serve` with zero configuration, under umask 022.
    let data = dir.path().join("data");
    let addr = format!("127.0.0.1:{}", crate::support::free_port());
    let mut child = tokio::process::Command::new("/bin/sh")
        .args([
            "-c",
            r#"umask 022 && exec "$0" serve --addr "$1""#,
            BIN,
            &addr,
        ])
        .current_dir(dir.path())
        .env_clear()
        .env("FLASHSTUDIO_DATA_DIR", &data)
        .env("DEMO_CONTENT", "false")
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let browser = crate::support::Browser::new(&format!("http://{addr}"));
    crate::support::wait_for_ok(
        "the server to be ready",
        &browser.url("/ready"),
        Duration::from_secs(60),
    )
    .await;
    // Registering queues a welcome email, which the development mailer writes as a file.
    let resp = browser
        .register("jane@example.com", "correct horse battery")
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let mail = data.join("mail");
    let emails = crate::support::eventually("an email file", Duration::from_secs(30), || {
        let mail = mail.clone();
        async move {
            let files: Vec<_> = std::fs::read_dir(&mail)
                .ok()?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect();
            (!files.is_empty()).then_some(files)
        }
    })
    .await;

    let mut modes = vec![
        ("data directory", mode(&data), 0o700),
        ("flashstudio.db", mode(&data.join("flashstudio.db")), 0o600),
        (
            "flashstudio.db-wal",
            mode(&data.join("flashstudio.db-wal")),
            0o600,
        ),
        (
            "flashstudio.db-shm",
            mode(&data.join("flashstudio.db-shm")),
            0o600,
        ),
        ("secret.key", mode(&data.join("secret.key")), 0o600),
        ("mail directory", mode(&mail), 0o700),
        ("media directory", mode(&data.join("media")), 0o700),
    ];
    for email in &emails {
        modes.push(("an .eml file", mode(email), 0o600));
    }
    let wrong: Vec<String> = modes
        .iter()
        .filter(|(_, got, want)| got != want)
        .map(|(what, got, want)| format!("{what}: {got:o}, expected {want:o}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("; "));

    crate::support::sigterm(&child).await;
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

async fn api_tokens_are_created_listed_and_revoked(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(backend, dir.path()).await;
    let data = dir.path().display().to_string();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("FLASHSTUDIO_DATA_DIR", data.as_str()),
    ];
    let (ok, stdout, stderr) = run(
        &["api-token", "create", "--name", "editing suite"],
        &env,
        "",
    )
    .await;
    assert!(ok, "{stdout} {stderr}");
    let token = stdout.trim();
    assert!(token.starts_with("fs_") && token.len() == 46, "{token}");
    assert!(stderr.contains("shown once"), "{stderr}");
    let (ok, listed, _) = run(&["api-token", "list"], &env, "").await;
    assert!(ok);
    assert!(
        listed.contains("editing suite")
            && listed.contains(&token[..10])
            && !listed.contains(token)
    );
    let (ok, revoked, _) = run(&["api-token", "revoke", &token[..10]], &env, "").await;
    assert!(ok, "{revoked}");
    let (ok, _, stderr) = run(&["api-token", "revoke", &token[..10]], &env, "").await;
    assert!(!ok && stderr.contains("no active token"), "{stderr}");
    let (_, listed, _) = run(&["api-token", "list"], &env, "").await;
    assert!(listed.contains("revoked"));
    let (ok, _, stderr) = run(&["api-token", "create", "--name", " "], &env, "").await;
    assert!(!ok && stderr.contains("--name"), "{stderr}");
}

async fn create_admin_reads_the_password_from_stdin(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(backend, dir.path()).await;
    let data = dir.path().display().to_string();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("FLASHSTUDIO_DATA_DIR", data.as_str()),
    ];

    let (ok, stdout, stderr) = run(&["migrate"], &env, "").await;
    assert!(ok, "{stdout} {stderr}");
    let (ok, _, stderr) = run(
        &[
            "create-admin",
            "--email",
            "boss@example.com",
            "--password-stdin",
        ],
        &env,
        "short\n",
    )
    .await;
    assert!(
        !ok && stderr.contains("at least 10"),
        "weak passwords refused: {stderr}"
    );
    let (ok, _, stderr) = run(
        &[
            "create-admin",
            "--email",
            "boss@example.com",
            "--password-stdin",
        ],
        &env,
        "password123\n",
    )
    .await;
    assert!(
        !ok && stderr.contains("password: This is one of the most common passwords"),
        "common passwords refused: {stderr}"
    );
    let (ok, stdout, stderr) = run(
        &[
            "create-admin",
            "--email",
            "boss@example.com",
            "--password-stdin",
        ],
        &env,
        "a long admin password\n",
    )
    .await;
    assert!(ok, "{stdout} {stderr}");
    assert!(stdout.contains("admin boss@example.com created"));

    let app = TestApp::builder(backend).database_url(&url).spawn().await;
    let resp = app.login("boss@example.com", "a long admin password").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/admin").await.status(), StatusCode::OK);
}

/// SIGTERM while an upload is half-way: the server stops taking new connections at once, the
/// upload in flight finishes (stored, 200), and only then does the process exit 0.
async fn sigterm_lets_an_upload_in_flight_finish(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(backend, dir.path()).await;
    let data = dir.path().display().to_string();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("FLASHSTUDIO_DATA_DIR", data.as_str()),
        ("BOOTSTRAP_ADMIN", "false"),
        ("DEMO_CONTENT", "false"),
        ("LOG_LEVEL", "warn"),
        ("SHUTDOWN_GRACE_SECS", "20"),
    ];
    let (ok, stdout, stderr) = run(&["api-token", "create", "--name", "slow"], &env, "").await;
    assert!(ok, "{stdout} {stderr}");
    let token = stdout.trim().to_owned();

    let port = crate::support::free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = tokio::process::Command::new(BIN)
        .args(["serve", "--addr", &addr])
        .current_dir(dir.path())
        .env_clear()
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    crate::support::wait_for_ok(
        "the server to be ready",
        &format!("http://{addr}/ready"),
        Duration::from_secs(60),
    )
    .await;

    // A 6 MiB video sent in 24 slices, 150 ms apart: about 3.5 s on the wire.
    let mut upload =
        crate::support::RawUpload::start(&addr, &token, "slow.mp4", 6 * 1024 * 1024, 24).await;
    let db = flashstudio::db::Db::connect(&url, 1).await.unwrap();
    crate::support::upload_under_way(&db).await;

    let signalled = tokio::time::Instant::now();
    crate::support::sigterm(&child).await;
    // New connections are refused soon after the signal …
    crate::support::eventually("the listener to close", Duration::from_secs(5), || {
        let addr = addr.clone();
        async move {
            tokio::net::TcpStream::connect(&addr)
                .await
                .is_err()
                .then_some(())
        }
    })
    .await;
    // … while the upload keeps going and the process keeps running.
    loop {
        tokio::time::sleep(Duration::from_millis(150)).await;
        if !upload.send_next().await {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the process waits for the upload in flight"
        );
    }
    let answer = upload.answer().await;
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the upload in flight finished: {answer}"
    );
    assert!(answer.contains("slow.mp4"), "{answer}");
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits within the grace period")
        .unwrap();
    assert!(
        status.success(),
        "exit code 0 after SIGTERM, got {status:?}"
    );
    assert!(
        signalled.elapsed() > Duration::from_secs(3),
        "the process outlived the upload"
    );

    let (stored, size): (i64, i64) = sqlx::query_as(
        "select count(*), cast(coalesce(sum(size_bytes), 0) as bigint) from media where state = 'ready'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(
        (stored, size),
        (1, 6 * 1024 * 1024),
        "the file is stored whole"
    );
    db.close().await;
}

/// The drain phase: after SIGTERM the server keeps accepting and serving for
/// `SHUTDOWN_DRAIN_SECS`, with `/ready` at 503 and `Connection: close` on every response (a
/// kept-alive connection included); then it refuses new connections and exits 0 within the
/// grace period.
async fn sigterm_drains_before_it_stops_accepting(backend: Backend) {
    const DRAIN: Duration = Duration::from_secs(5);
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(backend, dir.path()).await;
    let data = dir.path().display().to_string();
    let drain = DRAIN.as_secs().to_string();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("FLASHSTUDIO_DATA_DIR", data.as_str()),
        ("BOOTSTRAP_ADMIN", "false"),
        ("DEMO_CONTENT", "false"),
        ("LOG_LEVEL", "warn"),
        ("SHUTDOWN_DRAIN_SECS", drain.as_str()),
        ("SHUTDOWN_GRACE_SECS", "10"),
    ];
    let addr = format!("127.0.0.1:{}", crate::support::free_port());
    let mut child = tokio::process::Command::new(BIN)
        .args(["serve", "--addr", &addr])
        .current_dir(dir.path())
        .env_clear()
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let ready = format!("http://{addr}/ready");
    crate::support::wait_for_ok("the server to be ready", &ready, Duration::from_secs(60)).await;
    // A client that keeps its connection, like a proxy with upstream keep-alive.
    let kept = reqwest::Client::new();
    let before = kept.get(format!("http://{addr}/")).send().await.unwrap();
    assert_eq!(before.status(), StatusCode::OK);
    assert_eq!(before.headers().get("connection"), None, "kept alive");

    let signalled = tokio::time::Instant::now();
    crate::support::sigterm(&child).await;
    let fresh = || {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    };
    let draining = crate::support::eventually("/ready to answer 503", DRAIN, || {
        let request = fresh().get(&ready).send();
        async move {
            let resp = request.await.ok()?;
            (resp.status() == StatusCode::SERVICE_UNAVAILABLE).then_some(resp)
        }
    })
    .await;
    let body: serde_json::Value = draining.json().await.unwrap();
    assert_eq!(body["status"], "draining");
    // Still serving, on new and on kept connections, and telling both to close.
    for (client, what) in [(fresh(), "a new connection"), (kept, "a kept connection")] {
        let resp = client.get(format!("http://{addr}/")).send().await.unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "{what} is served while draining"
        );
        assert_eq!(
            resp.headers().get("connection").map(|v| v.as_bytes()),
            Some(&b"close"[..]),
            "{what} is asked to close"
        );
    }
    assert!(
        signalled.elapsed() < DRAIN,
        "the checks above ran within the drain phase"
    );

    // After the drain, new connections are refused and the process exits 0.
    crate::support::eventually("the listener to close", DRAIN * 3, || {
        let addr = addr.clone();
        async move {
            tokio::net::TcpStream::connect(&addr)
                .await
                .is_err()
                .then_some(())
        }
    })
    .await;
    assert!(
        signalled.elapsed() >= DRAIN,
        "accepting until the drain ended ({:?})",
        signalled.elapsed()
    );
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits within the grace period")
        .unwrap();
    assert!(
        status.success(),
        "exit code 0 after SIGTERM, got {status:?}"
    );
}

/// The migration job carries the database URL and nothing else, even in production; and an
/// older release's `migrate` (a rollback) accepts a schema with migrations it does not know.
async fn migrate_needs_only_the_database_and_tolerates_a_newer_schema(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(backend, dir.path()).await;
    let data = dir.path().display().to_string();
    let environment = match backend {
        Backend::Postgres => "production",
        Backend::Sqlite => "development",
    };
    let env = [
        ("FLASHSTUDIO_ENV", environment),
        ("DATABASE_URL", url.as_str()),
        ("FLASHSTUDIO_DATA_DIR", data.as_str()),
    ];
    let (ok, stdout, stderr) = run(&["migrate"], &env, "").await;
    assert!(
        ok && stdout.contains("migrations applied"),
        "{stdout} {stderr}"
    );

    let db = flashstudio::db::Db::connect(&url, 1).await.unwrap();
    sqlx::query(
        "insert into _sqlx_migrations (version, description, success, checksum, execution_time) \
         values ($1, 'from a newer release', $2, $3, 1)",
    )
    .bind(29_991_231_000_001_i64)
    .bind(true)
    .bind(vec![0_u8; 48])
    .execute(db.pool())
    .await
    .unwrap();
    assert!(db.is_migrated().await.unwrap());
    db.close().await;
    let (ok, stdout, stderr) = run(&["migrate"], &env, "").await;
    assert!(
        ok && stdout.contains("migrations applied"),
        "{stdout} {stderr}"
    );

    // Without a database URL, production says which variable is missing.
    let (ok, _, stderr) = run(&["migrate"], &[("FLASHSTUDIO_ENV", "production")], "").await;
    assert!(
        !ok && stderr.contains("DATABASE_URL is required"),
        "{stderr}"
    );
}

/// `worker --addr` (the chart's separate worker) answers probes and metrics, runs jobs, serves
/// no pages, and stops cleanly on SIGTERM.
async fn a_separate_worker_serves_probes_and_metrics(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(backend, dir.path()).await;
    let data = dir.path().display().to_string();
    let port = crate::support::free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = tokio::process::Command::new(BIN)
        .args(["worker", "--addr", &addr])
        .current_dir(dir.path())
        .env_clear()
        .env("DATABASE_URL", &url)
        .env("FLASHSTUDIO_DATA_DIR", &data)
        .env("BOOTSTRAP_ADMIN", "false")
        .env("DEMO_CONTENT", "false")
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let browser = crate::support::Browser::new(&format!("http://{addr}"));
    crate::support::wait_for_ok(
        "the worker to be ready",
        &browser.url("/ready"),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(browser.get("/health").await.status(), StatusCode::OK);
    assert_eq!(
        browser.get("/").await.status(),
        StatusCode::NOT_FOUND,
        "no pages here"
    );
    // The scheduler queues the periodic jobs at start and this worker runs them.
    crate::support::eventually("a job counted", Duration::from_secs(20), || {
        let b = browser.clone();
        async move {
            let (_, text) = b.get_text("/metrics").await;
            text.contains(
                r#"flashstudio_jobs_finished_total{kind="orders.expire",outcome="done"} 1"#,
            )
            .then_some(())
        }
    })
    .await;

    crate::support::sigterm(&child).await;
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits within the grace period")
        .unwrap();
    assert!(
        status.success(),
        "exit code 0 after SIGTERM, got {status:?}"
    );
}

on_both_backends!(
    a_separate_worker_serves_probes_and_metrics,
    migrate_needs_only_the_database_and_tolerates_a_newer_schema,
    create_admin_reads_the_password_from_stdin,
    api_tokens_are_created_listed_and_revoked,
    sigterm_lets_an_upload_in_flight_finish,
    sigterm_drains_before_it_stops_accepting
);

/// The zero-config start: an admin with a random password printed once, a working login, and
/// a clean exit on SIGTERM.
#[tokio::test]
async fn first_start_prints_a_one_time_admin_password_and_sigterm_stops_cleanly() {
    use tokio::io::AsyncBufReadExt as _;

    let dir = tempfile::tempdir().unwrap();
    let port = crate::support::free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = tokio::process::Command::new(BIN)
        .args(["serve", "--addr", &addr])
        .current_dir(dir.path())
        .env_clear()
        .env("FLASHSTUDIO_DATA_DIR", dir.path())
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut password = None;
    let read = async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(p) = line.trim().strip_prefix("password: ") {
                password = Some(p.trim().to_owned());
                break;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), read)
        .await
        .expect("the server prints its first-start message within 30 s");
    let password = password.expect("the first start prints an admin password");
    let browser = crate::support::Browser::new(&format!("http://{addr}"));
    // The first start also paints the demo catalog (and encodes clips when ffmpeg is found).
    crate::support::wait_for_ok(
        "the server to answer",
        &browser.url("/ready"),
        std::time::Duration::from_secs(120),
    )
    .await;

    let resp = browser.login("admin@flashstudio.test", &password).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.get("/admin").await.status(), StatusCode::OK);

    // Demo content: the shop, the portfolio and the packages are filled.
    let (_, shop) = browser.get_text("/shop").await;
    assert!(shop.contains("12 products"), "the demo catalog");
    let (_, portfolio) = browser.get_text("/portfolio").await;
    assert!(portfolio.contains("Harbourfront: A Brand Film"));
    let (_, packages) = browser.get_text("/packages").await;
    assert!(packages.contains("Corporate Story"));

    // The dev gateway end to end: add to cart → checkout → pay → paid → confirmation in the
    // outbox; and the decline and cancel paths.
    let db = flashstudio::db::Db::connect(
        &format!("sqlite://{}/flashstudio.db", dir.path().display()),
        1,
    )
    .await
    .unwrap();
    let buy = |slug: &'static str, action: &'static str| {
        let (db, base) = (db.clone(), browser.base.clone());
        async move {
            let guest = crate::support::Browser::new(&base);
            let id: String = sqlx::query_scalar("select id from products where slug = $1")
                .bind(slug)
                .fetch_one(db.pool())
                .await
                .unwrap();
            let offered = flashstudio::catalog::store::offered_for(db.pool(), &id)
                .await
                .unwrap();
            let chosen = flashstudio::catalog::pricing::select(&offered, &[], true).unwrap();
            let mut fields: Vec<(&str, &str)> = vec![("product", &id), ("quantity", "1")];
            for v in &chosen.values {
                fields.push(("options", &v.id));
            }
            let added = guest.post_form("/cart/add", &fields).await;
            assert_eq!(added.status(), StatusCode::SEE_OTHER);
            let placed = guest
                .post_form("/checkout", &crate::orders::details("guest@example.com"))
                .await;
            assert_eq!(placed.status(), StatusCode::SEE_OTHER);
            let gateway = crate::support::location(&placed);
            assert!(gateway.starts_with("/dev-gateway/"), "{gateway}");
            let back = crate::orders::dev_gateway(&guest, &gateway, action).await;
            let (_, page) = guest.get_text(&back).await;
            page
        }
    };
    let paid = buy("kampong-glam-morning", "pay").await;
    assert!(paid.contains("Payment received"), "{paid}");
    crate::support::eventually(
        "the confirmation in the outbox, sent",
        std::time::Duration::from_secs(20),
        || {
            let db = db.clone();
            async move {
                let sent: i64 = sqlx::query_scalar(
                    "select count(*) from emails where kind = 'order_confirmation' \
                     and to_address = 'guest@example.com' and status = 'sent'",
                )
                .fetch_one(db.pool())
                .await
                .unwrap();
                (sent == 1).then_some(())
            }
        },
    )
    .await;
    let (_, outbox) = browser.get_text("/admin/outbox").await;
    assert!(
        outbox.contains("Order FS-000001 confirmed"),
        "listed in the admin outbox"
    );
    let declined = buy("first-dance", "decline").await;
    assert!(declined.contains("did not go through"), "{declined}");
    let cancelled = buy("control-room", "cancel").await;
    assert!(cancelled.contains("Payment cancelled"), "{cancelled}");
    assert!(cancelled.contains("Control Room"), "the cart is intact");
    db.close().await;

    crate::support::sigterm(&child).await;
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("exits within the grace period")
        .unwrap();
    assert!(
        status.success(),
        "exit code 0 after SIGTERM, got {status:?}"
    );
}
