//! Several replicas on one database: sessions, CSRF tokens and rate limits are shared.

use flashstudio::identity::model::Role;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::csrf_from_html;
use crate::support::{Backend, TestApp};

const PASSWORD: &str = "correct horse battery";

/// Two apps on one database with one secret, like two pods behind a load balancer.
async fn two_replicas(backend: Backend) -> (TestApp, TestApp) {
    two_replicas_with(backend, &[]).await
}

async fn two_replicas_with(backend: Backend, vars: &[(&str, &str)]) -> (TestApp, TestApp) {
    let key = hex::encode(rand::random::<[u8; 32]>());
    let mut a = TestApp::builder(backend).var("SECRET_KEY", &key);
    for (k, v) in vars {
        a = a.var(k, v);
    }
    let a = a.spawn().await;
    let url = a.state.settings.database_url.expose().clone();
    let mut b = TestApp::builder(backend)
        .var("SECRET_KEY", &key)
        .database_url(&url);
    for (k, v) in vars {
        b = b.var(k, v);
    }
    (a, b.spawn().await)
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

/// Rotating `SECRET_KEY` with `SECRET_KEY_PREVIOUS`: while both are set, a guest's cart, a
/// form rendered before the rotation and an emailed order link keep working, and the visitor
/// cookie is sealed again with the new key; once the old key is dropped, the re-sealed cookie
/// still works and links signed with the old key do not.
async fn a_key_rotation_keeps_carts_forms_and_order_links(backend: Backend) {
    let old = hex::encode(rand::random::<[u8; 32]>());
    let new = hex::encode(rand::random::<[u8; 32]>());
    let before = crate::orders::shop_with(TestApp::builder(backend).var("SECRET_KEY", &old)).await;
    let url = before.state.settings.database_url.expose().clone();
    let guest = before.new_browser();
    crate::orders::add(&before, &guest, "hawker-heroes", 1).await;
    let gateway = crate::orders::checkout(&guest, "bea@example.com").await;
    let order_link = crate::orders::dev_gateway(&guest, &gateway, "pay").await;
    assert!(order_link.starts_with("/orders/FS-"), "{order_link}");
    crate::orders::add(&before, &guest, "control-room", 1).await;
    let (_, cart) = guest.get_text("/cart").await;
    let old_form_token = crate::support::csrf_from_html(&cart);
    let product = crate::orders::product_id(&before, "hawker-heroes").await;

    let during = TestApp::builder(backend)
        .var("SECRET_KEY", &new)
        .var("SECRET_KEY_PREVIOUS", &old)
        .database_url(&url)
        .spawn()
        .await;
    let on_during = guest.at(&during.base);
    let resp = on_during.get("/cart").await;
    assert!(
        crate::support::set_cookies(&resp)
            .iter()
            .any(|c| c.contains("visitor")),
        "the visitor cookie is sealed again with the new key"
    );
    assert!(
        resp.text().await.unwrap().contains("Control Room"),
        "the cart is kept"
    );
    let (status, page) = on_during.get_text(&order_link).await;
    assert_eq!(status, StatusCode::OK, "the emailed order link still opens");
    assert!(page.contains("Payment received"));
    let offered = flashstudio::catalog::store::offered_for(before.state.db.pool(), &product)
        .await
        .unwrap();
    let selection = flashstudio::catalog::pricing::select(&offered, &[], true).unwrap();
    let mut fields: Vec<(&str, &str)> = vec![
        ("product", &product),
        ("quantity", "1"),
        ("csrf_token", &old_form_token),
    ];
    for v in &selection.values {
        fields.push(("options", &v.id));
    }
    let posted = on_during.post_form_raw("/cart/add", &fields).await;
    assert_eq!(
        posted.status(),
        StatusCode::SEE_OTHER,
        "a form rendered before the rotation is accepted"
    );

    let after = TestApp::builder(backend)
        .var("SECRET_KEY", &new)
        .database_url(&url)
        .spawn()
        .await;
    let on_after = guest.at(&after.base);
    let (_, cart) = on_after.get_text("/cart").await;
    assert!(
        cart.contains("Control Room") && cart.contains("Hawker Heroes"),
        "the re-sealed cookie outlives the old key"
    );
    assert_eq!(
        on_after.get(&order_link).await.status(),
        StatusCode::NOT_FOUND,
        "links signed with the old key end with the rotation"
    );
}

/// Fifty customers, each from their own address, book the same consultation through the
/// booking form at once, half on each replica: exactly one booking, the others told it was
/// taken (409) with the day's fresh times. The lock is the database's (the resource's row on
/// PostgreSQL, the write transaction on SQLite), so replicas share it.
async fn fifty_customers_on_two_replicas_make_one_booking(backend: Backend) {
    let (a, b) = two_replicas_with(backend, &[("TRUST_PROXY_HEADERS", "true")]).await;
    flashstudio::demo::seed(&a.state, flashstudio::demo::SeedOptions { clips: false })
        .await
        .unwrap();
    let (_, details) = crate::bookings::a_later_free_time(&a, "consultation").await;
    let start = crate::bookings::start_of(&details);
    let attempts = (0..50).map(|i| {
        let base = if i % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        let details = details.clone();
        let start = start.clone();
        tokio::spawn(async move {
            let browser = crate::support::Browser::from_address(
                &base,
                &format!("10.50.{}.{}", i / 100, i % 100 + 1),
            );
            let (_, form) = browser.get_text(&details).await;
            let token = csrf_from_html(&form);
            let email = format!("racer{i}@example.com");
            let resp = browser
                .post_form_raw(
                    "/book/consultation",
                    &[
                        ("csrf_token", token.as_str()),
                        ("start", start.as_str()),
                        ("name", "Racer"),
                        ("email", email.as_str()),
                        ("location", "video"),
                    ],
                )
                .await;
            resp.status()
        })
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let won = statuses
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    let taken = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((won, taken), (1, 49), "{statuses:?}");
    let (bookings, claims): (i64, i64) = sqlx::query_as(
        "select (select count(*) from bookings), (select count(*) from booking_claims)",
    )
    .fetch_one(a.state.db.pool())
    .await
    .unwrap();
    assert_eq!((bookings, claims), (1, 1));
}

on_both_backends!(
    fifty_customers_on_two_replicas_make_one_booking,
    a_key_rotation_keeps_carts_forms_and_order_links,
    a_session_started_on_one_replica_works_on_another,
    the_login_rate_limit_holds_across_replicas,
    catalog_edits_reach_every_replica,
);
