//! The JSON API against its own spec: what schemathesis found (issue 14, item 8), each as a
//! plain HTTP test. `scripts/api-conformance` runs schemathesis itself on the real binary.

use flashstudio::identity::model::Role;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::on_both_backends;
use crate::support::{Backend, TestApp};

const PASSWORD: &str = "correct horse battery staple";
/// A well-formed file name that no file has.
const UNKNOWN_NAME: &str = "0193a6f2-7c4e-7d3a-9b1e-2f6c8d9e0a1b-nothing.png";

async fn token(app: &TestApp) -> String {
    flashstudio::api::tokens::create(app.state.db.pool(), "tests", None)
        .await
        .unwrap()
        .1
}

/// Sends `method path` (with the bearer token when given); status, `Allow` and body.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, Option<String>, String) {
    let mut req = app.client.request(method, app.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    let allow = resp
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned());
    (resp.status(), allow, resp.text().await.unwrap())
}

async fn every_405_says_which_methods_are_allowed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = token(&app).await;
    let trace = Method::from_bytes(b"TRACE").unwrap();
    let cases = [
        // The API's operations (poem-openapi's router).
        (trace.clone(), "/api/files".to_owned(), "GET, HEAD"),
        (
            Method::DELETE,
            format!("/api/files/{UNKNOWN_NAME}/info"),
            "GET, HEAD",
        ),
        (Method::GET, format!("/api/files/{UNKNOWN_NAME}"), "DELETE"),
        (Method::PUT, "/api/upload".to_owned(), "POST"),
        (trace.clone(), "/api/openapi.json".to_owned(), "GET, HEAD"),
        // The site's routes, rendered as pages, and the stateless ones.
        (trace.clone(), "/contact".to_owned(), "GET, HEAD, POST"),
        (trace.clone(), "/health".to_owned(), "GET, HEAD"),
    ];
    for (method, path, expected) in cases {
        let (status, allow, body) = send(&app, method.clone(), &path, Some(&token)).await;
        assert_eq!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {body}"
        );
        assert_eq!(allow.as_deref(), Some(expected), "{method} {path}");
        if path.starts_with("/api/") {
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body["error"]["status"], 405, "{method} {path}");
        }
    }
}

async fn anonymous_unsafe_api_calls_are_told_to_authenticate(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    // No session and no token: 401 with the JSON error, as the spec says, not a CSRF 403.
    let delete = app
        .client
        .delete(app.url(&format!("/api/files/{UNKNOWN_NAME}")))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::UNAUTHORIZED);
    let body: Value = delete.json().await.unwrap();
    assert_eq!(body["error"]["status"], 401);
    let form = Form::new().part("file", Part::bytes(b"hello".to_vec()).file_name("a.txt"));
    let upload = app
        .client
        .post(app.url("/api/upload"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), StatusCode::UNAUTHORIZED);
    let body: Value = upload.json().await.unwrap();
    assert_eq!(body["error"]["status"], 401);

    // An `Authorization` header is the only credential looked at: a wrong scheme is the
    // API's 400, whatever the CSRF layer would have said.
    let basic = app
        .client
        .delete(app.url(&format!("/api/files/{UNKNOWN_NAME}")))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::BAD_REQUEST);
}

async fn api_calls_on_a_session_still_need_the_csrf_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("admin@studio.test", PASSWORD, Role::Admin)
        .await;
    app.create_user("client@example.com", PASSWORD, Role::Customer)
        .await;
    let path = format!("/api/files/{UNKNOWN_NAME}");

    for email in ["client@example.com", "admin@studio.test"] {
        let browser = app.new_browser();
        browser.login(email, PASSWORD).await;
        let forged = browser
            .client
            .delete(browser.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{email}");
        let body: Value = forged.json().await.unwrap();
        assert_eq!(body["error"]["status"], 403, "{email}");
    }

    let admin = app.new_browser();
    admin.login("admin@studio.test", PASSWORD).await;
    let csrf = admin.csrf().await;
    let resp = admin
        .client
        .delete(admin.url(&path))
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

async fn a_folder_after_the_file_is_refused_and_nothing_is_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = token(&app).await;
    let upload = |form: Form| {
        app.client
            .post(app.url("/api/upload"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
    };

    // The spec checks `folder`; after the file it comes too late to choose where the file
    // went, so it is refused, valid or not, rather than ignored.
    for folder in ["portfolio", "../etc"] {
        let form = Form::new()
            .part("file", Part::bytes(b"hello".to_vec()).file_name("a.txt"))
            .text("folder", folder);
        let resp = upload(form).await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{folder}");
        let body: Value = resp.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("before the file"),
            "{body}"
        );
    }
    let (kept,): (i64,) = sqlx::query_as("select count(*) from media")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(kept, 0);

    // Before the file it chooses the folder; other fields after the file are skipped.
    let form = Form::new()
        .text("folder", "portfolio")
        .part("file", Part::bytes(b"hello".to_vec()).file_name("a.txt"))
        .text("note", "ignored");
    let resp = upload(form).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["folder"], "portfolio");
}

async fn the_spec_states_nulls_and_the_bounds_the_server_enforces(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec: Value = app.get("/api/openapi.json").await.json().await.unwrap();

    let info = &spec["components"]["schemas"]["FileInfo"]["properties"];
    for field in ["width", "height", "duration_ms", "analysis_note", "sha256"] {
        assert_eq!(info[field]["nullable"], true, "{field}");
    }
    let param = |path: &str, method: &str, name: &str| -> Value {
        spec["paths"][path][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{method} {path} has no {name}"))["schema"]
            .clone()
    };
    for (name, max) in [("page", 100_000.0), ("per_page", 200.0), ("limit", 200.0)] {
        let schema = param("/api/files", "get", name);
        assert_eq!(schema["minimum"].as_f64(), Some(1.0), "{name}");
        assert_eq!(schema["maximum"].as_f64(), Some(max), "{name}");
    }
    let expires_in = param("/api/files/{name}/download-url", "get", "expires_in");
    assert_eq!(expires_in["minimum"].as_f64(), Some(1.0));
    assert_eq!(expires_in["maximum"].as_f64(), Some(604_800.0));
    for (path, method) in [
        ("/api/files/{name}", "delete"),
        ("/api/files/{name}/info", "get"),
        ("/api/files/{name}/download-url", "get"),
    ] {
        let name = param(path, method, "name");
        assert!(name["pattern"].is_string(), "{path}");
        assert_eq!(name["minLength"], 40, "{path}");
        assert_eq!(name["maxLength"], 120, "{path}");
    }
    assert!(param("/api/files", "get", "folder")["pattern"].is_string());
}

on_both_backends!(
    every_405_says_which_methods_are_allowed,
    anonymous_unsafe_api_calls_are_told_to_authenticate,
    api_calls_on_a_session_still_need_the_csrf_token,
    a_folder_after_the_file_is_refused_and_nothing_is_kept,
    the_spec_states_nulls_and_the_bounds_the_server_enforces,
);
