//! The project as one ZIP, measured (never asserted): a project of one large film and many
//! stills, downloaded as a ZIP by `curl` (another process, so the server's memory is its own),
//! with the server's resident memory sampled every 50 ms; then every entry of the archive is
//! read back by Python's `zipfile` (CRC checked) and its SHA-256 compared with the source's.
//!
//!   cargo run --release --example bench_zip -- [FILM_MIB] [STILLS]
//!
//! Defaults: a 2,048 MiB film and 200 stills of 256 KiB, on the local file storage under a
//! temporary directory (about twice the film's size on disk while it runs).
//! `scripts/bench-zip` runs it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use flashstudio::app::{self, AppState};
use flashstudio::config::Settings;
use flashstudio::storage::BlobHeaders;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Stores `size` bytes of a deterministic pattern at `key`; returns its SHA-256.
async fn store_blob(state: &AppState, key: &str, size: u64, seed: u64, mime: &str) -> String {
    let headers = BlobHeaders {
        content_type: mime.to_owned(),
        content_disposition: "attachment".to_owned(),
    };
    let mut upload = state.storage.start_upload(key, &headers).await.unwrap();
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; 1 << 20];
    let mut x = seed | 1;
    let mut left = size;
    while left > 0 {
        for chunk in block.chunks_mut(8) {
            // xorshift: bytes that do not compress, made fast.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        let n = usize::try_from(left.min(block.len() as u64)).unwrap();
        hasher.update(&block[..n]);
        upload.write(&block[..n]).await.unwrap();
        left -= n as u64;
    }
    upload.finish().await.unwrap();
    hex::encode(hasher.finalize())
}

/// A ready media item at `key`.
async fn media(
    state: &AppState,
    key: &str,
    name: &str,
    kind: &str,
    mime: &str,
    size: u64,
    sha: &str,
) -> String {
    use flashstudio::media::store as media_store;
    let id = flashstudio::db::new_id();
    let ext = name.rsplit('.').next().unwrap();
    let new = media_store::NewMedia {
        id: &id,
        name: &format!("{id}-{name}"),
        folder: "",
        original_name: name,
        blob_key: key,
        kind,
        ext,
        content_type: mime,
        user_id: None,
        token_id: None,
        uploaded_by: "bench",
    };
    let now = flashstudio::db::now();
    media_store::insert_uploading(state.db.pool(), &new, now)
        .await
        .unwrap();
    let mut conn = state.db.pool().acquire().await.unwrap();
    media_store::mark_ready(&mut conn, &id, i64::try_from(size).unwrap(), Some(sha), now)
        .await
        .unwrap();
    id
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    flashstudio::telemetry::install_crypto_provider();
    let args: Vec<String> = std::env::args().collect();
    let film_mib: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2048);
    let stills: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200);
    let dir =
        tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| "/tmp".into())).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let vars: HashMap<String, String> = [
        ("FLASHSTUDIO_DATA_DIR", dir.path().display().to_string()),
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

    // The project: one film, then the stills, each its own deliverable.
    let t0 = Instant::now();
    let mut expected: Vec<(String, String)> = Vec::new();
    let project = flashstudio::db::new_id();
    let now = flashstudio::db::now();
    {
        use flashstudio::projects::store as projects;
        let mut conn = state.db.pool().acquire().await.unwrap();
        let new = projects::NewProject {
            id: &project,
            title: "Bench wedding",
            name: "Bench",
            email: "bench@example.com",
            user_id: None,
            quote_id: None,
        };
        projects::insert(&mut conn, &new, now).await.unwrap();
        projects::open_downloads(&mut conn, &project, now + 86_400)
            .await
            .unwrap();
    }
    let mut files: Vec<(String, String, String, String, u64, String)> = Vec::new();
    let film_size = film_mib << 20;
    let sha = store_blob(&state, "bench/film.mp4", film_size, 7, "video/mp4").await;
    files.push((
        "Wedding film".into(),
        "film".into(),
        "film.mp4".into(),
        "bench/film.mp4".into(),
        film_size,
        sha,
    ));
    for i in 0..stills {
        let key = format!("bench/still-{i:03}.jpg");
        let sha = store_blob(&state, &key, 256 << 10, 100 + i as u64, "image/jpeg").await;
        files.push((
            format!("Still {i:03}"),
            "still".into(),
            format!("still-{i:03}.jpg"),
            key,
            256 << 10,
            sha,
        ));
    }
    for (title, kind, name, key, size, sha) in &files {
        let (media_kind, mime) = if kind == "film" {
            ("video", "video/mp4")
        } else {
            ("image", "image/jpeg")
        };
        let media_id = media(&state, key, name, media_kind, mime, *size, sha).await;
        use flashstudio::projects::store as projects;
        let mut conn = state.db.pool().acquire().await.unwrap();
        let deliverable = flashstudio::db::new_id();
        projects::insert_deliverable(&mut conn, &deliverable, &project, title, kind, now)
            .await
            .unwrap();
        let number = projects::next_version_number(&mut conn, &deliverable, now)
            .await
            .unwrap()
            .unwrap();
        let version = flashstudio::db::new_id();
        let new = projects::NewVersion {
            id: &version,
            deliverable_id: &deliverable,
            number,
            media_id: &media_id,
            note: "",
            created_by: "bench",
        };
        projects::insert_version(&mut conn, &new, now)
            .await
            .unwrap();
        expected.push((name.clone(), sha.clone()));
    }
    println!(
        "project: a {film_mib} MiB film and {stills} stills of 256 KiB, stored in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let link = {
        let p = flashstudio::projects::store::find(state.db.pool(), &project)
            .await
            .unwrap()
            .unwrap();
        flashstudio::projects::screening::link_path(&state, &p)
    };

    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app::serve(state.clone(), listener, shutdown.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Idle: after start and a request of the room.
    let _ = reqwest::get(format!("{base}{link}"))
        .await
        .unwrap()
        .text()
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib();
    let peak = Arc::new(AtomicU64::new(idle));
    let sampling = CancellationToken::new();
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        tokio::spawn(async move {
            while !sampling.is_cancelled() {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let out = dir.path().join("project.zip");
    let t1 = Instant::now();
    let status = tokio::process::Command::new("curl")
        .args(["-s", "-f", "-o"])
        .arg(&out)
        .arg(format!("{base}{link}/zip"))
        .status()
        .await
        .unwrap();
    let secs = t1.elapsed().as_secs_f64();
    sampling.cancel();
    sampler.await.unwrap();
    assert!(status.success(), "curl failed");
    let size = std::fs::metadata(&out).unwrap().len();
    let peak = peak.load(Ordering::Relaxed);
    println!(
        "zip: {:.1} MiB in {secs:.1} s ({:.0} MiB/s)",
        size as f64 / 1048576.0,
        size as f64 / 1048576.0 / secs
    );
    println!(
        "server RSS: idle {:.1} MiB, peak {:.1} MiB while streaming, growth {:.1} MiB",
        idle as f64 / 1024.0,
        peak as f64 / 1024.0,
        (peak.saturating_sub(idle)) as f64 / 1024.0
    );

    // Every entry read back (Python checks each CRC) and hashed.
    let check = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import hashlib, sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             for i in z.infolist():\n\
             \x20   h = hashlib.sha256()\n\
             \x20   with z.open(i) as f:\n\
             \x20       for b in iter(lambda: f.read(1 << 20), b''): h.update(b)\n\
             \x20   print(i.filename.rsplit('/', 1)[-1], h.hexdigest())\n",
        )
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let got: HashMap<String, String> = String::from_utf8(check.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(n, s)| (n.to_owned(), s.to_owned())))
        .collect();
    let same = expected
        .iter()
        .filter(|(n, s)| got.get(n) == Some(s))
        .count();
    println!(
        "unzipped: {} entries, {same} of {} identical to their sources (SHA-256)",
        got.len(),
        expected.len()
    );
    let recorded: i64 =
        sqlx::query_scalar("select count(*) from project_downloads where completed = 1")
            .fetch_one(state.db.pool())
            .await
            .unwrap();
    println!("downloads recorded as completed: {recorded} (one per file)");
    shutdown.cancel();
    let _ = server.await;
}
