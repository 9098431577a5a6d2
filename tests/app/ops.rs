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
    assert!(
        text.contains(
            r#"flashstudio_http_request_duration_seconds_bucket{method="GET",route="/login",le="#
        ),
        "{text}"
    );
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
    shutdown_finishes_cleanly_with_the_worker_running,
    health_and_ready_answer_200_on_a_migrated_database,
    ready_answers_503_when_the_database_is_unreachable,
    metrics_show_per_route_latency_histograms,
);
