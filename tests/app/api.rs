//! The JSON API against its own spec: what schemathesis found (issue 14, item 8), each as a
//! plain HTTP test. `scripts/api-conformance` runs schemathesis itself on the real binary.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::on_both_backends;
use crate::support::{Backend, TestApp};

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

on_both_backends!(
    every_405_says_which_methods_are_allowed,
);
