//! Probes and metrics.

use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{Backend, TestApp};

async fn health_and_ready_answer_200_on_a_migrated_database(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    assert_eq!(app.get("/health").await.status(), StatusCode::OK);
    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), StatusCode::OK);
    let v: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(v["checks"]["database"], "ok");
}

async fn ready_answers_503_when_the_database_is_unreachable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.get("/ready").await.status(), StatusCode::OK);

    app.state.db.close().await;
    let ready = app.get("/ready").await;

    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(v["checks"]["database"], "unreachable");
    assert_eq!(
        app.get("/health").await.status(),
        StatusCode::OK,
        "alive, just not ready"
    );
}

async fn metrics_show_per_route_latency_histograms(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.get("/login").await;
    app.get("/no-such-page").await;

    let (status, text) = app.get_text("/metrics").await;

    assert_eq!(status, StatusCode::OK);
    let login_buckets = text
        .lines()
        .filter(|l| l.starts_with("flashstudio_http_request_duration_seconds_bucket{"))
        .filter(|l| l.contains(r#"method="GET""#) && l.contains(r#"route="/login""#))
        .count();
    assert!(login_buckets > 10, "a latency histogram for /login: {text}");
    assert!(
        text.contains(
            r#"flashstudio_http_requests_total{method="GET",route="/login",status="200"}"#
        )
    );
    assert!(
        text.contains(r#"route="unmatched",status="404""#),
        "unknown paths share one label"
    );
    assert!(text.contains("flashstudio_job_queue_depth"));
}

async fn shutdown_finishes_cleanly_with_the_worker_running(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.get("/").await.status(), StatusCode::OK);

    // Panics if the server task failed; returns once requests and jobs are done.
    app.stop().await;
}

on_both_backends!(
    an_internal_error_shows_the_500_page_with_the_request_id,
    shutdown_finishes_cleanly_with_the_worker_running,
    health_and_ready_answer_200_on_a_migrated_database,
    ready_answers_503_when_the_database_is_unreachable,
    metrics_show_per_route_latency_histograms,
);

async fn an_internal_error_shows_the_500_page_with_the_request_id(backend: Backend) {
    use flashstudio::accounts::model::Role;
    let app = TestApp::spawn(backend).await;
    app.create_user("jane@example.com", "correct horse battery", Role::Customer)
        .await;
    app.login("jane@example.com", "correct horse battery").await;

    app.state.db.close().await;
    let resp = app.get("/account").await;

    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = resp.text().await.unwrap();
    assert!(body.contains("Something went wrong on our side"));
    assert!(body.contains(&request_id));
    assert!(
        !body.to_lowercase().contains("pool"),
        "no internals leak: {body}"
    );
}
