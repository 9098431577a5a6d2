//! Media: uploads, storage, signed links, the file API and the admin library — every test on
//! both databases and both storage backends (local files and Azurite).

use std::io::Cursor;
use std::time::Duration;

use flashstudio::identity::model::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::{Azurite, Stack, StorageKind, TestApp, azurite_vars, eventually};

const ADMIN: &str = "admin@studio.test";
const PASSWORD: &str = "correct horse battery staple";

pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) async fn token(app: &TestApp) -> String {
    flashstudio::api::tokens::create(app.state.db.pool(), "tests", None)
        .await
        .unwrap()
        .1
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    file_name: &str,
    bytes: Vec<u8>,
    folder: Option<&str>,
) -> reqwest::Response {
    let mut form = Form::new();
    if let Some(folder) = folder {
        form = form.text("folder", folder.to_owned());
    }
    form = form.part("file", Part::bytes(bytes).file_name(file_name.to_owned()));
    app.client
        .post(app.url("/api/upload"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// GET an API path with a bearer token; the JSON body.
async fn api_json(app: &TestApp, token: &str, path: &str) -> Value {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn rows(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("select count(*) from media")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    n
}

/// Committed blobs, and (locally) any file at all under the media dir, staged parts included.
async fn blobs(app: &TestApp) -> Vec<String> {
    let mut keys = app.state.storage.list_keys(None).await.unwrap();
    if let flashstudio::config::StorageSettings::Local { root } = &app.state.settings.storage {
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    keys.push(path.display().to_string());
                }
            }
        }
        keys.sort();
        keys.dedup_by(|a, b| a.ends_with(b.as_str()) || b.ends_with(a.as_str()));
    }
    keys
}

async fn nothing_left(app: &TestApp) {
    eventually(
        "no media rows and no blobs",
        Duration::from_secs(20),
        || async { (rows(app).await == 0 && blobs(app).await.is_empty()).then_some(()) },
    )
    .await;
}

async fn get_following(url: &str) -> reqwest::Response {
    reqwest::Client::new().get(url).send().await.unwrap()
}

async fn upload_round_trip(stack: Stack) {
    let app = TestApp::on(stack).spawn().await;
    let token = token(&app).await;
    let image = png(640, 360);

    let resp = upload(
        &app,
        &token,
        "Studio Shot.PNG",
        image.clone(),
        Some("portfolio/stills"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let info: Value = resp.json().await.unwrap();
    assert_eq!(info["folder"], "portfolio/stills");
    assert_eq!(info["kind"], "image");
    assert_eq!(info["content_type"], "image/png");
    assert_eq!(info["size"], image.len());
    assert_eq!(info["sha256"], sha256(&image));
    assert_eq!(info["original_name"], "Studio Shot.PNG");
    let name = info["name"].as_str().unwrap().to_owned();
    assert!(name.ends_with("-studio-shot.png"), "{name}");
    let key = info["key"].as_str().unwrap().to_owned();
    assert!(
        key.starts_with("portfolio/stills/20") && key.ends_with(&name),
        "{key}"
    );
    assert!(
        app.state
            .storage
            .list_keys(None)
            .await
            .unwrap()
            .contains(&key)
    );

    // The analysis job fills in the size and a thumbnail.
    let analysed: Value = eventually("analysis", Duration::from_secs(20), || async {
        let v: Value = api_json(&app, &token, &format!("/api/files/{name}/info")).await;
        (v["analysis"] == "done").then_some(v)
    })
    .await;
    assert_eq!(analysed["width"], 640);
    assert_eq!(analysed["height"], 360);

    // Listing with the folder filter (and its parent).
    for folder in ["portfolio/stills", "portfolio"] {
        let list: Value = api_json(&app, &token, &format!("/api/files?folder={folder}")).await;
        assert_eq!(list["total"], 1, "{folder}");
        assert_eq!(list["files"][0]["name"], name.as_str());
    }
    let other: Value = api_json(&app, &token, "/api/files?folder=products").await;
    assert_eq!(other["total"], 0);

    // A signed link downloads the exact bytes.
    let link: Value = api_json(
        &app,
        &token,
        &format!("/api/files/{name}/download-url?expires_in=120"),
    )
    .await;
    assert_eq!(link["expires_in"], 120);
    let url = link["url"].as_str().unwrap();
    match stack.storage {
        StorageKind::Local => assert!(url.starts_with(&app.base), "{url}"),
        StorageKind::Azurite => assert!(url.contains("sig=") && url.contains("se="), "{url}"),
    }
    let download = get_following(url).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "image/png");
    assert_eq!(sha256(&download.bytes().await.unwrap()), sha256(&image));

    // Delete takes the row and the blobs (thumbnail included).
    let resp = app
        .client
        .delete(app.url(&format!("/api/files/{name}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let again = app
        .client
        .delete(app.url(&format!("/api/files/{name}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"]["status"], 404);
    nothing_left(&app).await;
    assert_eq!(get_following(url).await.status(), StatusCode::NOT_FOUND);
}

async fn bad_content_is_refused(stack: Stack) {
    let app = TestApp::on(stack).spawn().await;
    let token = token(&app).await;

    let cases: [(&str, Vec<u8>, u16, &str); 5] = [
        ("photo.jpg", png(8, 8), 415, "not a .jpg file"),
        ("film.mp4", png(8, 8), 415, "not a .mp4 file"),
        (
            "page.html",
            b"<script>alert(1)</script>".to_vec(),
            415,
            "not accepted",
        ),
        (
            "logo.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
            415,
            "not accepted",
        ),
        ("empty.png", Vec::new(), 422, "empty"),
    ];
    for (name, bytes, status, message) in cases {
        let resp = upload(&app, &token, name, bytes, None).await;
        assert_eq!(resp.status().as_u16(), status, "{name}");
        let body: Value = resp.json().await.unwrap();
        let text = body["error"]["message"].as_str().unwrap();
        assert!(text.contains(message), "{name}: {text}");
    }
    // Folders and names that try to escape.
    for folder in ["../etc", "/abs/../x", "a//b", "ok/../../x"] {
        let resp = upload(&app, &token, "a.png", png(4, 4), Some(folder)).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{folder}");
    }
    for path in [
        "/api/files/..%2F..%2Fetc%2Fpasswd/info",
        "/api/files/%2Fetc%2Fpasswd/info",
        "/api/files/0193a6f2-7c4e-7d3a-9b1e-2f6c8d9e0a1b-x%00.png/info",
        "/api/files/0193a6f2-7c4e-7d3a-9b1e-2f6c8d9e0a1b-..png/download-url",
    ] {
        let resp = app
            .client
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert!(
            resp.status() == StatusCode::BAD_REQUEST || resp.status() == StatusCode::NOT_FOUND,
            "{path}: {}",
            resp.status()
        );
        let body: Value = resp.json().await.unwrap();
        assert!(body["error"]["message"].is_string(), "{path}");
    }
    let resp = app
        .client
        .delete(app.url("/api/files/..%2F..%2Fdata%2Fflashstudio.db"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    nothing_left(&app).await;
}

/// Sends the request head (and `body_part`) on a raw socket; returns the socket.
async fn raw_upload(
    app: &TestApp,
    token: &str,
    content_length: u64,
    body_part: &[u8],
) -> tokio::net::TcpStream {
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(addr.as_str()).await.unwrap();
    let head = format!(
        "POST /api/upload HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {content_length}\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(body_part).await.unwrap();
    socket
}

fn multipart_head(file_name: &str) -> Vec<u8> {
    format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes()
}

fn mp4_bytes(len: usize) -> Vec<u8> {
    let mut bytes = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
    bytes.resize(len, 7);
    bytes
}

async fn read_status(socket: &mut tokio::net::TcpStream) -> String {
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn oversize_is_refused_unread(stack: Stack) {
    let app = TestApp::on(stack)
        .var("UPLOAD_MAX_IMAGE_MB", "1")
        .spawn()
        .await;
    let token = token(&app).await;

    // A declared length over every limit: 413 before a byte of the body is sent.
    let mut socket = raw_upload(&app, &token, 50 * 1024 * 1024 * 1024, b"").await;
    assert_eq!(
        read_status(&mut socket).await,
        "HTTP/1.1 413 Payload Too Large"
    );

    // A declared length over the image limit, with the part head only: 413 before the file.
    let head = multipart_head("big.png");
    let mut socket = raw_upload(&app, &token, 5 * 1024 * 1024, &head).await;
    assert_eq!(
        read_status(&mut socket).await,
        "HTTP/1.1 413 Payload Too Large"
    );

    // No length declared (chunked): counted on the way and refused at the limit. Sent on a raw
    // socket: the server answers while the client may still be writing, and then closes, so a
    // client that only reads after writing everything may see a broken pipe instead.
    let mut big = png(16, 16);
    big.resize(3 * 1024 * 1024, 0);
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(addr.as_str()).await.unwrap();
    let head = format!(
        "POST /api/upload HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut body = multipart_head("big.png");
    body.extend_from_slice(&big);
    for chunk in body.chunks(64 * 1024) {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        if socket.write_all(&framed).await.is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 413 Payload Too Large"),
        "{answer}"
    );
    assert!(answer.contains("1 MiB"), "{answer}");
    nothing_left(&app).await;
    assert_eq!(app.get("/health").await.status(), StatusCode::OK);
}

async fn client_killed_mid_upload_leaves_nothing(stack: Stack) {
    let app = TestApp::on(stack)
        .var("UPLOAD_BLOCK_SIZE_MB", "1")
        .spawn()
        .await;
    let token = token(&app).await;
    let mut part = multipart_head("master.mp4");
    part.extend(mp4_bytes(6 * 1024 * 1024));
    let socket = raw_upload(&app, &token, 64 * 1024 * 1024, &part).await;
    // Blocks have gone to storage by now.
    eventually(
        "the upload to be under way",
        Duration::from_secs(10),
        || async {
            let (n,): (i64,) =
                sqlx::query_as("select count(*) from media where state = 'uploading'")
                    .fetch_one(app.state.db.pool())
                    .await
                    .unwrap();
            (n == 1).then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(socket);
    nothing_left(&app).await;
    assert_eq!(app.get("/health").await.status(), StatusCode::OK);
    // And the next upload works.
    let resp = upload(&app, &token, "after.png", png(4, 4), None).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

async fn signed_links_expire_and_resist_tampering(stack: Stack) {
    let app = TestApp::on(stack).spawn().await;
    let token = token(&app).await;
    let text = "Shot list\n1. Wide\n2. Close\n<script>alert(1)</script>\n"
        .as_bytes()
        .to_vec();
    let info: Value = upload(&app, &token, "notes.txt", text.clone(), Some("docs"))
        .await
        .json()
        .await
        .unwrap();
    let name = info["name"].as_str().unwrap();
    let link: Value = api_json(
        &app,
        &token,
        &format!("/api/files/{name}/download-url?expires_in=2"),
    )
    .await;
    let url = link["url"].as_str().unwrap().to_owned();
    let resp = get_following(&url).await;
    assert_eq!(resp.status(), StatusCode::OK);
    // A document is never shown inline, and never sniffed.
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    if stack.storage == StorageKind::Local {
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
        assert!(
            resp.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("sandbox")
        );
    }
    assert_eq!(resp.bytes().await.unwrap().as_ref(), text.as_slice());

    let tampered = if url.contains("sig=") {
        url.replacen("sig=", "sig=A", 1)
    } else {
        format!("{url}x")
    };
    assert!(get_following(&tampered).await.status().is_client_error());

    tokio::time::sleep(Duration::from_millis(3500)).await;
    let expired = get_following(&url).await.status();
    assert!(
        expired == StatusCode::GONE || expired == StatusCode::FORBIDDEN,
        "{expired}"
    );

    // Out-of-range lifetimes are refused with a reason.
    for bad in ["0", "604801", "abc"] {
        let resp = app
            .client
            .get(app.url(&format!("/api/files/{name}/download-url?expires_in={bad}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = resp.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("expires_in"),
            "{bad}: {body}"
        );
    }
}

async fn api_wants_a_token_or_an_admin(stack: Stack) {
    let app = TestApp::on(stack).spawn().await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    app.create_user("client@example.com", PASSWORD, Role::Customer)
        .await;

    let anonymous = app.client.get(app.url("/api/files")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"]["status"], 401);
    let anonymous_upload = upload(&app, "fs_not-a-real-token", "a.png", png(4, 4), None).await;
    assert_eq!(anonymous_upload.status(), StatusCode::UNAUTHORIZED);

    let customer = app.new_browser();
    customer.login("client@example.com", PASSWORD).await;
    assert_eq!(
        customer.get("/api/files").await.status(),
        StatusCode::FORBIDDEN
    );

    let token = token(&app).await;
    let resp = upload(&app, &token, "a.png", png(4, 4), None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let name = resp.json::<Value>().await.unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();

    // An admin's session works; its unsafe calls need the CSRF token like any form.
    let admin = app.new_browser();
    admin.login(ADMIN, PASSWORD).await;
    assert_eq!(admin.get("/api/files").await.status(), StatusCode::OK);
    let forged = admin
        .client
        .delete(admin.url(&format!("/api/files/{name}")))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let csrf = admin.csrf().await;
    let deleted = admin
        .client
        .delete(admin.url(&format!("/api/files/{name}")))
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);

    // A bad bearer token is not rescued by the admin's cookie.
    let resp = admin
        .client
        .get(admin.url("/api/files"))
        .bearer_auth("fs_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Revoked tokens stop working.
    {
        let mut conn = app.state.db.pool().acquire().await.unwrap();
        let tokens = flashstudio::api::tokens::list(&mut *conn).await.unwrap();
        flashstudio::api::tokens::revoke(&mut conn, &tokens[0].id)
            .await
            .unwrap();
    }
    let resp = app
        .client
        .get(app.url("/api/files"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // The spec and the docs are public and the docs run under a CSP.
    let spec: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/upload",
        "/api/files",
        "/api/files/{name}",
        "/api/files/{name}/info",
        "/api/files/{name}/download-url",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the spec"
        );
    }
    let docs = app.get("/api/docs").await;
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(
        docs.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("'sha256-")
    );
}

async fn concurrent_deletes_delete_once(stack: Stack) {
    let app = TestApp::on(stack).spawn().await;
    let token = token(&app).await;
    let info: Value = upload(&app, &token, "a.png", png(4, 4), None)
        .await
        .json()
        .await
        .unwrap();
    let name = info["name"].as_str().unwrap().to_owned();
    let attempts = (0..4).map(|_| {
        app.client
            .delete(app.url(&format!("/api/files/{name}")))
            .bearer_auth(&token)
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 404),
        "{statuses:?}"
    );
    let (audits,): (i64,) =
        sqlx::query_as("select count(*) from audit_log where action = 'media.delete'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(audits, 1);
    nothing_left(&app).await;
}

async fn admin_library_uploads_lists_links_and_deletes(stack: Stack) {
    let app = TestApp::on(stack).spawn().await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    app.create_user("client@example.com", PASSWORD, Role::Customer)
        .await;
    let customer = app.new_browser();
    customer.login("client@example.com", PASSWORD).await;
    assert_eq!(
        customer.get("/admin/media").await.status(),
        StatusCode::FORBIDDEN
    );

    let admin = app.new_browser();
    admin.login(ADMIN, PASSWORD).await;
    let (status, page) = admin.get_text("/admin/media").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Upload files") && page.contains("No files match"));

    // Two files at once, one of them bad: the good one is stored, the bad one explained.
    let csrf = admin.csrf().await;
    let form = Form::new()
        .text("folder", "Products/Prints")
        .part("files", Part::bytes(png(32, 32)).file_name("print.png"))
        .part(
            "files",
            Part::bytes(b"MZ\x90\0".to_vec()).file_name("setup.exe"),
        );
    let resp = admin
        .client
        .post(admin.url(&format!("/admin/media/upload?csrf_token={csrf}")))
        .header("hx-request", "true")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["hx-trigger"], "media-changed");
    let results = resp.text().await.unwrap();
    assert!(
        results.contains("print.png</strong> stored in products/prints"),
        "{results}"
    );
    assert!(
        results.contains("setup.exe</strong> — setup.exe: this type of file is not accepted"),
        "{results}"
    );

    // Without the CSRF token the upload is refused before anything is stored.
    let form = Form::new().part("files", Part::bytes(png(8, 8)).file_name("x.png"));
    let forged = admin
        .client
        .post(admin.url("/admin/media/upload"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(rows(&app).await, 1);

    // Filter fragment, search and the info panel.
    let fragment = admin
        .client
        .get(admin.url("/admin/media?folder=products&q=PRINT"))
        .header("hx-request", "true")
        .header("hx-target", "media-table")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        fragment.contains("print.png") && !fragment.contains("<html"),
        "{fragment}"
    );
    let (_, none) = admin.get_text("/admin/media?q=nothing-like-this").await;
    assert!(none.contains("No files match"));
    let (id,): (String,) = sqlx::query_as("select id from media")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let (status, info) = admin.get_text(&format!("/admin/media/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(info.contains("SHA-256") && info.contains(&sha256(&png(32, 32))));

    // "Copy a signed link" with a chosen lifetime.
    let resp = admin
        .post_form(&format!("/admin/media/{id}/link"), &[("ttl", "86400")])
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = resp.text().await.unwrap();
    let start = page.find("id=\"signed-link\"").expect("link input");
    let value = &page[start..];
    let value = &value[value.find("value=\"").unwrap() + 7..];
    let url = value[..value.find('"').unwrap()].replace("&amp;", "&");
    assert_eq!(
        get_following(&url).await.bytes().await.unwrap().as_ref(),
        png(32, 32).as_slice()
    );

    // Delete (no-JS confirmation page, then the POST).
    let (status, confirm) = admin.get_text(&format!("/admin/media/{id}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Delete print.png?"));
    let resp = admin
        .post_form(&format!("/admin/media/{id}/delete"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    nothing_left(&app).await;
    let (_, audit) = admin.get_text("/admin/audit").await;
    assert!(
        audit.contains("media.upload")
            && audit.contains("media.delete")
            && audit.contains("media.link")
    );
}

async fn video_gets_a_poster_or_a_clear_note(stack: Stack) {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=2:size=320x240:rate=10",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&clip)
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        made,
        "ffmpeg is needed to make a test clip (scripts/test installs it)"
    );
    let bytes = std::fs::read(&clip).unwrap();

    let app = TestApp::on(stack).spawn().await;
    let token = token(&app).await;
    let info: Value = upload(&app, &token, "Clip.mp4", bytes.clone(), Some("portfolio"))
        .await
        .json()
        .await
        .unwrap();
    let id = info["id"].as_str().unwrap().to_owned();
    let row = eventually("video analysis", Duration::from_secs(30), || async {
        let m = flashstudio::media::store::find_ready(app.state.db.pool(), &id)
            .await
            .unwrap()
            .unwrap();
        (m.analysis != "pending").then_some(m)
    })
    .await;
    assert_eq!(row.analysis, "done", "{:?}", row.analysis_note);
    assert_eq!((row.width, row.height), (Some(320), Some(240)));
    assert!(
        (1900..=2100).contains(&row.duration_ms.unwrap()),
        "{:?}",
        row.duration_ms
    );
    assert!(row.poster_key.is_some() && row.thumb_key.is_some());
    let poster = flashstudio::media::links::page_path(
        &app.state,
        &id,
        flashstudio::media::links::Variant::Poster,
    );
    let resp = get_following(&app.url(&poster)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(&resp.bytes().await.unwrap()[..3], &[0xFF, 0xD8, 0xFF]);

    // The showreel clip the home page's hero loops: an MP4 (`ftyp` box), silent, small.
    assert!(row.reel_key.is_some(), "no showreel clip");
    let reel = flashstudio::media::links::page_path(
        &app.state,
        &id,
        flashstudio::media::links::Variant::Reel,
    );
    let resp = get_following(&app.url(&reel)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "video/mp4");
    let reel = resp.bytes().await.unwrap();
    assert_eq!(&reel[4..8], b"ftyp", "not an MP4");
    assert!(reel.len() < bytes.len() * 4, "{} bytes", reel.len());

    // Playback: ranges locally, a short SAS redirect on Azure.
    let play = flashstudio::media::links::page_path(
        &app.state,
        &id,
        flashstudio::media::links::Variant::File,
    );
    let resp = app
        .client
        .get(app.url(&play))
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    match stack.storage {
        StorageKind::Local => {
            assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
            assert_eq!(
                resp.headers()["content-range"],
                format!("bytes 0-99/{}", bytes.len())
            );
            assert_eq!(resp.bytes().await.unwrap().as_ref(), &bytes[..100]);
        }
        StorageKind::Azurite => {
            assert_eq!(resp.status(), StatusCode::FOUND);
            let sas = resp.headers()["location"].to_str().unwrap().to_owned();
            let part = reqwest::Client::new()
                .get(&sas)
                .header("range", "bytes=0-99")
                .send()
                .await
                .unwrap();
            assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
            assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[..100]);
        }
    }

    // Without the tools, the row says so in words.
    let without = TestApp::on(stack)
        .var("FFPROBE_PATH", "/nonexistent/ffprobe")
        .var("FFMPEG_PATH", "/nonexistent/ffmpeg")
        .spawn()
        .await;
    let token = self::token(&without).await;
    let info: Value = upload(&without, &token, "clip.mp4", bytes, None)
        .await
        .json()
        .await
        .unwrap();
    let name = info["name"].as_str().unwrap().to_owned();
    let described: Value = eventually("the tool_missing note", Duration::from_secs(30), || async {
        let v: Value = api_json(&without, &token, &format!("/api/files/{name}/info")).await;
        (v["analysis"] != "pending").then_some(v)
    })
    .await;
    assert_eq!(described["analysis"], "tool_missing");
    assert!(
        described["analysis_note"]
            .as_str()
            .unwrap()
            .contains("ffprobe is not installed")
    );
}

/// Issue 14, item 14: a picture wider than 1280 px gets a 1280 px JPEG rendition, which pages
/// serve in its place; a narrower one is its own full rendition. Both get a card rendition.
async fn wide_pictures_get_a_full_rendition(stack: Stack) {
    let app = TestApp::on(stack).spawn().await;
    let token = token(&app).await;
    let (mut ids, mut names) = (Vec::new(), Vec::new());
    for (name, width, height) in [("wide.png", 2400, 1200), ("small.png", 800, 400)] {
        let info: Value = upload(&app, &token, name, png(width, height), None)
            .await
            .json()
            .await
            .unwrap();
        ids.push(info["id"].as_str().unwrap().to_owned());
        names.push(info["name"].as_str().unwrap().to_owned());
    }
    for (id, wide) in ids.iter().zip([true, false]) {
        let row = eventually("image analysis", Duration::from_secs(30), || async {
            let m = flashstudio::media::store::find_ready(app.state.db.pool(), id)
                .await
                .unwrap()
                .unwrap();
            (m.analysis != "pending").then_some(m)
        })
        .await;
        assert_eq!(row.analysis, "done");
        assert!(row.thumb_key.is_some());
        assert_eq!(row.full_key.is_some(), wide);
        let full = flashstudio::media::links::page_path(
            &app.state,
            id,
            flashstudio::media::links::Variant::Full,
        );
        let resp = get_following(&app.url(&full)).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let bytes = resp.bytes().await.unwrap();
        let picture = image::load_from_memory(&bytes).unwrap();
        if wide {
            assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF], "a JPEG");
            assert_eq!((picture.width(), picture.height()), (1280, 640));
        } else {
            assert_eq!(
                (picture.width(), picture.height()),
                (800, 400),
                "the original"
            );
        }
    }
    // Deleting the file takes its renditions with it.
    let resp = app
        .client
        .delete(app.url(&format!("/api/files/{}", names[0])))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let left = blobs(&app).await;
    assert!(
        !left.iter().any(|k| k.contains(&ids[0])),
        "renditions left behind: {left:?}"
    );
}

crate::on_every_stack!(
    upload_round_trip,
    bad_content_is_refused,
    oversize_is_refused_unread,
    client_killed_mid_upload_leaves_nothing,
    signed_links_expire_and_resist_tampering,
    api_wants_a_token_or_an_admin,
    concurrent_deletes_delete_once,
    admin_library_uploads_lists_links_and_deletes,
    video_gets_a_poster_or_a_clear_note,
    wide_pictures_get_a_full_rendition,
);

/// Issue 14, item 10: a file's details open where the user is looking. With htmx the panel is
/// a side panel (a dialog with a close button) rather than a block under the list; without
/// JavaScript the row's link is a page of its own in the admin frame.
async fn a_files_details_open_beside_the_list_or_as_a_page(backend: crate::support::Backend) {
    let app = TestApp::builder(backend).spawn().await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let token = token(&app).await;
    let resp = upload(&app, &token, "still.png", png(16, 16), None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (id,): (String,) = sqlx::query_as("select id from media")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    app.login(ADMIN, PASSWORD).await;
    let (_, library) = app.get_text("/admin/media").await;
    let href = format!("href=\"/admin/media/{id}\"");
    assert!(library.contains(&href), "the row links to the file's page");

    // Without JS: a whole page, with the way back, and no side panel.
    let (status, page) = app.get_text(&format!("/admin/media/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<html") && page.contains("← Media library"));
    assert!(page.contains(&sha256(&png(16, 16))));
    assert!(!page.contains("media-drawer"));

    // With htmx: the side panel, labelled by the file's name, with a close button.
    let fragment = app
        .client
        .get(app.url(&format!("/admin/media/{id}")))
        .header("hx-request", "true")
        .header("hx-target", "media-info")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!fragment.contains("<html"), "{fragment}");
    assert!(
        fragment.contains("class=\"media-drawer\" role=\"dialog\"")
            && fragment.contains("aria-labelledby=\"media-info-title\""),
        "{fragment}"
    );
    assert!(fragment.contains("data-close-media-info"), "a close button");
    assert!(fragment.contains(&sha256(&png(16, 16))));
}

/// Azurite dies half-way through an upload: the uploader gets a clear error, nothing is left
/// behind once storage is back, and the app keeps serving meanwhile.
async fn storage_stopped_mid_upload(db: crate::support::Backend) {
    let mut azurite = Azurite::start().await;
    let mut builder = TestApp::builder(db).var("UPLOAD_BLOCK_SIZE_MB", "1");
    for (k, v) in azurite_vars(&azurite.endpoint) {
        builder = builder.var(&k, &v);
    }
    let app = builder.spawn().await;
    let token = token(&app).await;

    let mut part = multipart_head("master.mp4");
    part.extend(mp4_bytes(4 * 1024 * 1024));
    let total = 32 * 1024 * 1024_u64;
    let mut socket = raw_upload(&app, &token, total, &part).await;
    eventually(
        "the upload to be under way",
        Duration::from_secs(10),
        || async {
            let (n,): (i64,) =
                sqlx::query_as("select count(*) from media where state = 'uploading'")
                    .fetch_one(app.state.db.pool())
                    .await
                    .unwrap();
            (n == 1).then_some(())
        },
    )
    .await;
    azurite.stop().await;

    // Keep sending until the app answers (or closes the connection).
    let chunk = vec![7u8; 256 * 1024];
    let mut sent = part.len() as u64;
    while sent + (chunk.len() as u64) < total {
        if socket.write_all(&chunk).await.is_err() {
            break;
        }
        sent += chunk.len() as u64;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let status = read_status(&mut socket).await;
    eprintln!("after storage stopped, at {sent} bytes sent, the app answered {status:?}");
    assert!(status.is_empty() || status.contains(" 503 "), "{status}");
    assert_eq!(app.get("/health").await.status(), StatusCode::OK);
    assert_eq!(app.get("/").await.status(), StatusCode::OK);

    azurite.restart().await;
    // A killed Azurite may lose its in-memory container list; make sure the container exists
    // (with its blobs, if any survived) the way the app does at startup.
    flashstudio::storage::Storage::from_settings(&app.state.settings.storage, 1024 * 1024)
        .await
        .unwrap();
    nothing_left(&app).await;
    let resp = upload(&app, &token, "after.png", png(4, 4), None).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

crate::on_both_backends!(
    storage_stopped_mid_upload,
    a_files_details_open_beside_the_list_or_as_a_page,
);
