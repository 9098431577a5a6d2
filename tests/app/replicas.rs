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

/// An admin edit on one replica shows there at once and on the other within the content
/// cache's lifetime; the cart, which reads the database, agrees on both at once.
async fn catalog_edits_reach_every_replica(backend: Backend) {
    let key = hex::encode(rand::random::<[u8; 32]>());
    let a = TestApp::builder(backend)
        .var("SECRET_KEY", &key)
        .var("CONTENT_CACHE_TTL_MS", "300")
        .spawn()
        .await;
    let url = a.state.settings.database_url.expose().clone();
    let b = TestApp::builder(backend)
        .var("SECRET_KEY", &key)
        .var("CONTENT_CACHE_TTL_MS", "300")
        .database_url(&url)
        .spawn()
        .await;
    flashstudio::demo::seed(&a.state, flashstudio::demo::SeedOptions { clips: false })
        .await
        .unwrap();
    let (_, before) = b.get_text("/products/hawker-heroes").await;
    assert!(before.contains("S$42.00"));

    a.create_user("admin@example.com", PASSWORD, Role::Admin)
        .await;
    a.login("admin@example.com", PASSWORD).await;
    let (id, version): (String, i64) =
        sqlx::query_as("select id, version from products where slug = 'hawker-heroes'")
            .fetch_one(a.state.db.pool())
            .await
            .unwrap();
    let resp = a
        .post_form(
            &format!("/admin/products/{id}/price_minor"),
            &[("value", "44.00"), ("version", &version.to_string())],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, on_a) = a.get_text("/products/hawker-heroes").await;
    assert!(on_a.contains("S$44.00"), "at once where it was made");
    crate::support::eventually(
        "the other replica to show the new price",
        std::time::Duration::from_secs(5),
        || {
            let b = b.browser.clone();
            async move {
                let (_, page) = b.get_text("/products/hawker-heroes").await;
                page.contains("S$44.00").then_some(())
            }
        },
    )
    .await;
}

on_both_backends!(
    a_session_started_on_one_replica_works_on_another,
    the_login_rate_limit_holds_across_replicas,
    catalog_edits_reach_every_replica,
);
