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
    assert_eq!(v["checks"]["storage"], "ok");
    assert_eq!(v["checks"]["payments"], "dev");
}

/// A missing media directory (an unmounted volume) is not ready either.
async fn ready_answers_503_when_the_media_directory_is_missing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let flashstudio::config::StorageSettings::Local { root } = &app.state.settings.storage else {
        panic!("the test app stores files locally");
    };
    let moved = root.with_extension("moved");
    std::fs::rename(root, &moved).unwrap();
    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(v["checks"]["storage"], "missing", "{v}");
    std::fs::rename(&moved, root).unwrap();
    assert_eq!(app.get("/ready").await.status(), StatusCode::OK);
}

/// Readiness covers the file store: a stopped Azurite makes the replica unready (alive all the
/// same), and it is ready again once the store answers.
async fn ready_answers_503_while_the_file_store_is_down(backend: Backend) {
    let mut azurite = crate::support::Azurite::start().await;
    let mut builder = TestApp::builder(backend);
    for (name, value) in crate::support::azurite_vars(&azurite.endpoint) {
        builder = builder.var(&name, &value);
    }
    let app = builder.spawn().await;
    assert_eq!(app.get("/ready").await.status(), StatusCode::OK);

    azurite.stop().await;
    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(v["checks"]["database"], "ok");
    assert_ne!(v["checks"]["storage"], "ok", "{v}");
    assert_eq!(app.get("/health").await.status(), StatusCode::OK);

    azurite.restart().await;
    // A killed emulator may lose the container it made moments before (a crash before its
    // save): then readiness says the container is missing until it exists again, which the
    // app's own start-up step provides here.
    flashstudio::storage::Storage::from_settings(&app.state.settings.storage, 1 << 20)
        .await
        .unwrap();
    crate::support::eventually(
        "ready again",
        std::time::Duration::from_secs(20),
        || async { (app.get("/ready").await.status() == StatusCode::OK).then_some(()) },
    )
    .await;
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

/// One paid checkout, its emails and one upload, as operators see them in `/metrics`.
async fn metrics_count_payments_webhooks_emails_and_uploads(backend: Backend) {
    let app = crate::orders::shop(backend).await;
    let buyer = app.new_browser();
    crate::orders::add(&app, &buyer, "cinematic-luts", 1).await;
    let gateway = crate::orders::checkout(&buyer, "bea@example.com").await;
    crate::orders::dev_gateway(&buyer, &gateway, "pay").await;
    let token = flashstudio::api::tokens::create(app.state.db.pool(), "metrics", None)
        .await
        .unwrap()
        .1;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"shot list".to_vec()).file_name("notes.txt"),
    );
    let uploaded = app
        .client
        .post(app.url("/api/upload"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::OK);

    // The confirmation and the downloads email, sent by the worker. A job's run is counted
    // after its email is: wait for both counts.
    let text = crate::support::eventually(
        "two emails counted as sent and their two jobs as done",
        std::time::Duration::from_secs(20),
        || async {
            let (_, text) = app.get_text("/metrics").await;
            (text.contains(r#"flashstudio_emails_total{outcome="sent"} 2"#)
                && text.contains(
                    r#"flashstudio_jobs_finished_total{kind="send_email",outcome="done"} 2"#,
                ))
            .then_some(text)
        },
    )
    .await;
    for line in [
        r#"flashstudio_payments_total{event="checkout_created"} 1"#,
        r#"flashstudio_payments_total{event="captured"} 1"#,
        r#"flashstudio_webhook_events_total{kind="checkout.session.completed",outcome="applied"} 1"#,
        r#"flashstudio_uploads_total{outcome="stored"} 1"#,
        r#"flashstudio_upload_bytes_total 9"#,
        r#"flashstudio_jobs_finished_total{kind="send_email",outcome="done"} 2"#,
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
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
    ready_answers_503_while_the_file_store_is_down,
    ready_answers_503_when_the_media_directory_is_missing,
    metrics_count_payments_webhooks_emails_and_uploads,
);

async fn an_internal_error_shows_the_500_page_with_the_request_id(backend: Backend) {
    use flashstudio::identity::model::Role;
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
