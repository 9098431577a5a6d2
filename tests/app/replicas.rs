//! Several replicas on one database: sessions, CSRF tokens and rate limits are shared.

use flashstudio::accounts::model::Role;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{Backend, TestApp};

const PASSWORD: &str = "correct horse battery";

/// Two apps on one database with one secret, like two pods behind a load balancer.
async fn two_replicas(backend: Backend) -> (TestApp, TestApp) {
    let key = hex::encode(rand::random::<[u8; 32]>());
    let a = TestApp::builder(backend)
        .var("SECRET_KEY", &key)
        .spawn()
        .await;
    let url = a.state.settings.database_url.expose().clone();
    let b = TestApp::builder(backend)
        .var("SECRET_KEY", &key)
        .database_url(&url)
        .spawn()
        .await;
    (a, b)
}

async fn a_session_started_on_one_replica_works_on_another(backend: Backend) {
    let (a, b) = two_replicas(backend).await;
    a.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    assert_eq!(
        a.login("jane@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    let on_b = a.at(&b.base);

    let (status, body) = on_b.get_text("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("jane@example.com"));

    // A form rendered by B is accepted by A: the CSRF secret is derived, not stored.
    let token = on_b.csrf().await;
    let out = a.post_form_raw("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        on_b.get("/account").await.status(),
        StatusCode::SEE_OTHER,
        "logout on A ends the session on B"
    );
}

async fn the_login_rate_limit_holds_across_replicas(backend: Backend) {
    let (a, b) = two_replicas(backend).await;
    a.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    let on_a = a.new_browser();
    let on_b = on_a.at(&b.base);
    crate::support::early_in_a_minute().await;

    for attempt in 1..=10 {
        let replica = if attempt % 2 == 0 { &on_a } else { &on_b };
        let resp = replica.login("jane@example.com", "wrong password").await;
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
    }

    assert_eq!(
        on_a.login("jane@example.com", "wrong password")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        on_b.login("jane@example.com", "wrong password")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

on_both_backends!(
    a_session_started_on_one_replica_works_on_another,
    the_login_rate_limit_holds_across_replicas,
);
