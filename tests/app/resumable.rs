//! Resumable uploads (tus 1.0 at `/api/uploads`): cut connections resume where the stored
//! bytes end, one writer at a time, checksums, refusals, termination and expiry leave nothing
//! in storage or the database; on every database and storage. The official Python client
//! (tuspy) talks to it too.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt as _;

use crate::support::{Backend, Stack, StorageKind, TestApp, eventually};
use flashstudio::identity::model::Role;

const MIB: usize = 1024 * 1024;

/// A film: an MP4 head, then bytes that do not repeat.
fn film(size: usize) -> Vec<u8> {
    let mut bytes = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while bytes.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    bytes.truncate(size);
    bytes
}

fn b64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

struct Tus {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Tus {
    async fn new(app: &TestApp) -> Self {
        let token = flashstudio::api::tokens::create(app.state.db.pool(), "tus", None)
            .await
            .unwrap()
            .1;
        Self {
            client: reqwest::Client::new(),
            base: app.browser.base.clone(),
            token,
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("Tus-Resumable", "1.0.0")
    }

    /// `POST /api/uploads`: the upload's path.
    async fn create(&self, name: &str, length: usize) -> String {
        let resp = self
            .request(Method::POST, "/api/uploads")
            .header("Upload-Length", length.to_string())
            .header(
                "Upload-Metadata",
                format!("filename {},tag {}", b64(name), b64("project:tests")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::CREATED,
            "{}",
            resp.text().await.unwrap()
        );
        let location = resp.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/api/uploads/"), "{location}");
        location
    }

    /// `HEAD`: status and `Upload-Offset`.
    async fn offset(&self, path: &str) -> (StatusCode, Option<usize>) {
        let resp = self.request(Method::HEAD, path).send().await.unwrap();
        let offset = resp
            .headers()
            .get("upload-offset")
            .map(|v| v.to_str().unwrap().parse().unwrap());
        (resp.status(), offset)
    }

    async fn patch(&self, path: &str, offset: usize, body: &[u8]) -> reqwest::Response {
        self.request(Method::PATCH, path)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// Waits until the upload stands at `want` (a cut request's lease is given back).
    async fn settles_at(&self, path: &str, want: usize) {
        eventually("the upload settles", Duration::from_secs(10), || async {
            let (status, offset) = self.offset(path).await;
            (status == StatusCode::OK && offset == Some(want)).then_some(())
        })
        .await;
    }
}

/// A PATCH written by hand on a socket, so a test can keep it open or cut it.
async fn raw_patch(
    base: &str,
    token: &str,
    path: &str,
    offset: usize,
    total: usize,
) -> tokio::net::TcpStream {
    let addr = base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n\
         Upload-Offset: {offset}\r\nContent-Length: {total}\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket
}

async fn rows(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("select count(*) from {table}")))
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn blob_key(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("select blob_key from resumable_uploads where id = $1")
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn a_cut_upload_resumes_and_completes(stack: Stack) {
    let app = TestApp::on(stack)
        .var("UPLOAD_BLOCK_SIZE_MB", "1")
        .spawn()
        .await;
    let tus = Tus::new(&app).await;
    let source = film(5 * MIB + 12_345);
    let path = tus.create("Final cut.mp4", source.len()).await;
    let id = path.trim_start_matches("/api/uploads/").to_owned();
    assert_eq!(tus.offset(&path).await, (StatusCode::OK, Some(0)));

    // The first request is cut after 1.5 MiB: what arrived is kept (a whole block and a part).
    let cut = 3 * MIB / 2;
    let mut socket = raw_patch(&tus.base, &tus.token, &path, 0, source.len()).await;
    socket.write_all(&source[..cut]).await.unwrap();
    socket.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(socket);
    tus.settles_at(&path, cut).await;

    // A wrong offset is refused and changes nothing.
    let resp = tus.patch(&path, 0, &source[..1000]).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains(&format!("at byte {cut}"))
    );

    // One writer at a time: while a request is sending, a second one is told to wait.
    let next = cut + MIB;
    let mut open = raw_patch(&tus.base, &tus.token, &path, cut, next - cut).await;
    open.write_all(&source[cut..cut + 1000]).await.unwrap();
    open.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let resp = tus.patch(&path, cut, &source[cut..next]).await;
    assert_eq!(resp.status(), StatusCode::LOCKED);
    open.write_all(&source[cut + 1000..next]).await.unwrap();
    let answer = read_answer(&mut open).await;
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains(&format!("upload-offset: {next}")),
        "{answer}"
    );

    // A checksum that does not match keeps nothing; one that matches is accepted.
    let piece = &source[next..next + MIB];
    let wrong = tus
        .request(Method::PATCH, &path)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", next.to_string())
        .header(
            "Upload-Checksum",
            format!("sha1 {}", b64_bytes(&sha1::Sha1::digest(b"other"))),
        )
        .body(piece.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 460);
    tus.settles_at(&path, next).await;
    let right = tus
        .request(Method::PATCH, &path)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", next.to_string())
        .header(
            "Upload-Checksum",
            format!("sha256 {}", b64_bytes(&Sha256::digest(piece))),
        )
        .body(piece.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::NO_CONTENT);
    let next = next + MIB;

    // More than the length is refused; the rest completes the upload and names the file.
    let mut too_long = source[next..].to_vec();
    too_long.extend_from_slice(b"extra");
    let resp = tus.patch(&path, next, &too_long).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let (_, at) = tus.offset(&path).await;
    let at = at.unwrap();
    assert!(at >= next && at < source.len(), "{at}");
    let resp = tus.patch(&path, at, &source[at..]).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        resp.headers()["upload-offset"],
        source.len().to_string().as_str()
    );
    assert_eq!(resp.headers()["upload-media-id"], id.as_str());
    assert_eq!(
        tus.offset(&path).await,
        (StatusCode::OK, Some(source.len()))
    );

    // The file is in the library, byte for byte, and no piece is left staged.
    let media = flashstudio::media::store::find_ready(app.state.db.pool(), &id)
        .await
        .unwrap()
        .expect("a media row under the upload's id");
    assert_eq!(media.size_bytes, source.len() as i64);
    assert_eq!(media.original_name, "Final cut.mp4");
    assert_eq!(media.folder, "deliveries");
    let stored = app.state.storage.get(&media.blob_key, None).await.unwrap();
    assert_eq!(
        stored
            .attributes
            .get(&object_store::Attribute::ContentType)
            .map(|v| v.as_ref()),
        (stack.storage == StorageKind::Azurite).then_some("video/mp4")
    );
    let stored = stored.bytes().await.unwrap();
    assert_eq!(Sha256::digest(&stored), Sha256::digest(&source));
    if stack.storage == StorageKind::Local {
        assert_eq!(
            app.state
                .storage
                .staged_pieces(&media.blob_key, &id)
                .await
                .unwrap(),
            0
        );
    }
    assert_eq!(
        tus.patch(&path, source.len(), b"").await.status(),
        StatusCode::CONFLICT,
        "a complete upload takes no more"
    );

    // A day later the sweep forgets the completed upload (its row and its pieces' rows); the
    // file stays.
    sqlx::query("update resumable_uploads set expires_at = $1 where id = $2")
        .bind(flashstudio::db::now() - 1)
        .bind(&id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    flashstudio::media::resumable::sweep_expired(&app.state)
        .await
        .unwrap();
    assert_eq!(rows(&app, "resumable_uploads").await, 0);
    assert_eq!(rows(&app, "resumable_upload_blocks").await, 0);
    assert!(
        flashstudio::media::store::find_ready(app.state.db.pool(), &id)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(tus.offset(&path).await.0, StatusCode::NOT_FOUND);
    app.stop().await;
}

fn b64_bytes(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn read_answer(socket: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt as _;
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(20), socket.read(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

async fn refused_terminated_and_expired_uploads_leave_nothing(stack: Stack) {
    let app = TestApp::on(stack)
        .var("UPLOAD_BLOCK_SIZE_MB", "1")
        .var("UPLOAD_MAX_RESUMABLE_MB", "64")
        .var("UPLOAD_MAX_VIDEO_MB", "16")
        .spawn()
        .await;
    let tus = Tus::new(&app).await;

    // Refused before anything is stored: the protocol version, the type, the size.
    let resp = tus
        .client
        .post(format!("{}/api/uploads", tus.base))
        .bearer_auth(&tus.token)
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
    for (name, length, status) in [
        ("setup.exe", 10, StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("huge.mp4", 65 * MIB, StatusCode::PAYLOAD_TOO_LARGE),
        ("empty.mp4", 0, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let resp = tus
            .request(Method::POST, "/api/uploads")
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", format!("filename {}", b64(name)))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{name}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(
            body["error"]["message"].as_str().unwrap().contains(name),
            "{body}"
        );
    }

    // Bytes that are not what the name says: refused on the first request, the upload gone.
    let path = tus.create("trailer.mp4", 10_000).await;
    let resp = tus.patch(&path, 0, &[b'<'; 10_000]).await;
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(tus.offset(&path).await.0, StatusCode::NOT_FOUND);

    // Requests so small that the rest, sent in requests of that size, would need more pieces
    // than an Azure blob may have: refused before anything is stored. Locally there is no
    // such limit (this first request is then refused for carrying less than the file's head).
    let path = tus.create("tiny-steps.mp4", 60 * MIB).await;
    let resp = tus.patch(&path, 0, &film(1_000)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = resp.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    let expected = match app.state.storage.max_staged_pieces() {
        Some(_) => "requests of at least 1 MiB",
        None => "first 4096 bytes",
    };
    assert!(message.contains(expected), "{message}");
    assert_eq!(tus.offset(&path).await.1, Some(0));
    let resp = tus.request(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    // Terminated half-way: its pieces and rows are gone.
    let source = film(3 * MIB);
    let path = tus.create("rushes.mp4", source.len()).await;
    let id = path.trim_start_matches("/api/uploads/").to_owned();
    let key = blob_key(&app, &id).await;
    assert_eq!(
        tus.patch(&path, 0, &source[..2 * MIB]).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(app.state.storage.staged_pieces(&key, &id).await.unwrap() > 0);
    let resp = tus.request(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(tus.offset(&path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.state.storage.staged_pieces(&key, &id).await.unwrap(), 0);

    // Past its expiry but being sent right now: the sweep leaves it to its request, which
    // completes it; and a DELETE while it is being sent is told to wait.
    let path = tus.create("live.mp4", source.len()).await;
    let id = path.trim_start_matches("/api/uploads/").to_owned();
    let mut open = raw_patch(&tus.base, &tus.token, &path, 0, source.len()).await;
    open.write_all(&source[..MIB]).await.unwrap();
    open.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    sqlx::query("update resumable_uploads set expires_at = $1 where id = $2")
        .bind(flashstudio::db::now() - 1)
        .bind(&id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let swept = flashstudio::media::resumable::sweep_expired(&app.state)
        .await
        .unwrap();
    assert_eq!(swept, 0, "a live upload is not swept");
    let resp = tus.request(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::LOCKED);
    open.write_all(&source[MIB..]).await.unwrap();
    let answer = read_answer(&mut open).await;
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    let key: String = sqlx::query_scalar("select blob_key from media where id = $1")
        .bind(&id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    flashstudio::media::delete_media(
        &app.state,
        &flashstudio::audit::AuditEntry::by_actor(None, "tests", "media.delete", "media", &id),
        &id,
    )
    .await
    .unwrap();
    assert!(app.state.storage.size(&key).await.unwrap().is_none());
    for table in ["resumable_upload_blocks", "resumable_uploads"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("delete from {table}")))
            .execute(app.state.db.pool())
            .await
            .unwrap();
    }

    // Expired, never finished: 404 on HEAD, 410 on PATCH, and the sweep leaves nothing.
    let path = tus.create("abandoned.mp4", source.len()).await;
    let id = path.trim_start_matches("/api/uploads/").to_owned();
    let key = blob_key(&app, &id).await;
    assert_eq!(
        tus.patch(&path, 0, &source[..MIB + 100]).await.status(),
        StatusCode::NO_CONTENT
    );
    let in_progress = flashstudio::media::resumable::in_progress(&app.state.db, "project:tests")
        .await
        .unwrap();
    assert_eq!(in_progress.len(), 1);
    assert_eq!(in_progress[0].received, (MIB + 100) as u64);
    sqlx::query("update resumable_uploads set expires_at = $1 where id = $2")
        .bind(flashstudio::db::now() - 1)
        .bind(&id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(tus.offset(&path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        tus.patch(&path, MIB + 100, &source[MIB + 100..])
            .await
            .status(),
        StatusCode::GONE
    );
    assert!(app.state.storage.staged_pieces(&key, &id).await.unwrap() > 0);
    let swept = flashstudio::media::resumable::sweep_expired(&app.state)
        .await
        .unwrap();
    assert_eq!(swept, 1);
    assert_eq!(app.state.storage.staged_pieces(&key, &id).await.unwrap(), 0);
    assert_eq!(rows(&app, "resumable_uploads").await, 0);
    assert_eq!(rows(&app, "resumable_upload_blocks").await, 0);
    assert_eq!(rows(&app, "media").await, 0);
    assert!(app.state.storage.list_keys(None).await.unwrap().is_empty());
    app.stop().await;
}

crate::on_every_stack!(
    a_cut_upload_resumes_and_completes,
    refused_terminated_and_expired_uploads_leave_nothing
);

/// Staff in the browser: the session works with its CSRF token; customers and strangers are
/// refused.
async fn only_staff_upload(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("staff@example.com", "a long staff password", Role::Admin)
        .await;
    app.create_user(
        "client@example.com",
        "a long client password",
        Role::Customer,
    )
    .await;
    let create = |b: &crate::support::Browser, csrf: Option<String>| {
        let mut req = b
            .client
            .post(b.url("/api/uploads"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", "100")
            .header("Upload-Metadata", format!("filename {}", b64("a.mp4")));
        if let Some(csrf) = csrf {
            req = req.header("X-CSRF-Token", csrf);
        }
        req.send()
    };
    let stranger = app.new_browser();
    assert_eq!(
        create(&stranger, None).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let client = app.new_browser();
    client
        .login("client@example.com", "a long client password")
        .await;
    let csrf = client.csrf().await;
    assert_eq!(
        create(&client, Some(csrf)).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let staff = app.new_browser();
    staff
        .login("staff@example.com", "a long staff password")
        .await;
    assert_eq!(
        create(&staff, None).await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "no CSRF token"
    );
    let csrf = staff.csrf().await;
    assert_eq!(
        create(&staff, Some(csrf)).await.unwrap().status(),
        StatusCode::CREATED
    );
    app.stop().await;
}

/// The official Python client uploads with checksums, and resumes an upload another client
/// process started.
async fn the_python_tus_client_uploads_and_resumes(backend: Backend) {
    let app = TestApp::builder(backend)
        .var("UPLOAD_BLOCK_SIZE_MB", "1")
        .spawn()
        .await;
    let tus = Tus::new(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("master.mp4");
    let source = film(4 * MIB + 777);
    std::fs::write(&file, &source).unwrap();
    let script = r#"
import sys
from tusclient import client
base, token, path, mode = sys.argv[1:5]
c = client.TusClient(base + "/api/uploads", headers={"Authorization": "Bearer " + token})
if mode == "start":
    u = c.uploader(path, chunk_size=1024 * 1024, upload_checksum=True,
                   metadata={"filename": "master.mp4"}, retries=5, retry_delay=1)
    u.upload_chunk()
    print(u.url)
else:
    u = c.uploader(path, url=mode, chunk_size=1024 * 1024, upload_checksum=True,
                   retries=5, retry_delay=1)
    print(u.offset)
    u.upload()
    print(u.offset)
"#;
    let run = |mode: String| {
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                script,
                &tus.base,
                &tus.token,
                file.to_str().unwrap(),
                &mode,
            ])
            .output()
            .expect("python3 with tuspy (scripts/test installs it)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let url = tokio::task::block_in_place(|| run("start".to_owned()));
    let url = url.trim().to_owned();
    let resumed = tokio::task::block_in_place(|| run(url.clone()));
    let offsets: Vec<&str> = resumed.lines().collect();
    assert_eq!(
        offsets,
        [&*MIB.to_string(), &*source.len().to_string()],
        "{resumed}"
    );
    let id = url.rsplit('/').next().unwrap();
    let media = flashstudio::media::store::find_ready(app.state.db.pool(), id)
        .await
        .unwrap()
        .expect("the file is in the library");
    let stored = app
        .state
        .storage
        .get(&media.blob_key, None)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(Sha256::digest(&stored), Sha256::digest(&source));
    app.stop().await;
}

crate::on_both_backends!(only_staff_upload, the_python_tus_client_uploads_and_resumes);
