//! CSRF, rate limits, security headers and the three error renderings.

use flashstudio::identity::model::Role;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{Backend, TestApp};

const PASSWORD: &str = "correct horse battery";

async fn a_post_without_the_csrf_token_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;

    let resp = app
        .post_form_raw(
            "/login",
            &[("email", "jane@example.com"), ("password", PASSWORD)],
        )
        .await;

    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body = resp.text().await.unwrap();
    assert!(body.contains("This form has expired or was sent from another site"));
    assert!(body.contains("Request id"));
}

async fn a_token_from_another_browser_or_a_forged_one_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    let attacker = app.new_browser();
    let their_token = attacker.csrf().await;

    for token in [their_token.as_str(), "forged", ""] {
        let resp = app
            .post_form_raw(
                "/login",
                &[
                    ("email", "jane@example.com"),
                    ("password", PASSWORD),
                    ("csrf_token", token),
                ],
            )
            .await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "token {token:?}");
    }
}

async fn htmx_sends_the_token_as_a_header(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    app.login("jane@example.com", PASSWORD).await;
    let token = app.csrf().await;

    let resp = app
        .client
        .post(app.url("/logout"))
        .header("hx-request", "true")
        .header("x-csrf-token", token)
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/account").await.status(), StatusCode::SEE_OTHER);
}

async fn cross_site_requests_are_refused_even_with_a_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.csrf().await;

    let resp = app
        .client
        .post(app.url("/logout"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

async fn the_eleventh_bad_login_in_a_minute_gets_429(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    crate::support::early_in_a_minute().await;

    for attempt in 1..=10 {
        let resp = app.login("jane@example.com", "wrong password").await;
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
    }
    let resp = app.login("jane@example.com", "wrong password").await;

    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // The sliding window keeps the burst weighing on the next minute too: at most two windows.
    assert!((1..=120).contains(&retry_after), "{retry_after}");
    let body = resp.text().await.unwrap();
    assert!(body.contains("Too many attempts"), "a friendly page");
    // Even the right password waits: the limit is on the address, not the outcome.
    let resp = app.login("jane@example.com", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn errors_render_as_a_page_a_toast_or_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let page = app.get("/no-such-page").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let request_id = page.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = page.text().await.unwrap();
    assert!(body.contains("Page not found"));
    assert!(body.contains(&request_id), "the page shows the request id");
    assert!(body.contains("site-header"), "inside the layout");

    let toast = app
        .client
        .get(app.url("/no-such-page"))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(toast.status(), StatusCode::NOT_FOUND);
    assert_eq!(toast.headers()["hx-retarget"], "#toasts");
    assert!(toast.text().await.unwrap().contains("toast"));

    let json = app
        .client
        .get(app.url("/no-such-page"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::NOT_FOUND);
    let v: serde_json::Value = json.json().await.unwrap();
    assert_eq!(v["error"]["status"], 404);
}

async fn htmx_requests_that_need_a_login_get_hx_redirect(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let resp = app
        .client
        .get(app.url("/account"))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["hx-redirect"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
}

async fn every_page_carries_the_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    for path in ["/", "/login", "/no-such-page", "/health"] {
        let resp = app.get(path).await;
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
        assert!(
            !h.contains_key("strict-transport-security"),
            "no HSTS over plain http"
        );
    }
}

async fn assets_are_content_hashed_and_cached_forever(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, home) = app.get_text("/").await;
    let start = home.find("/assets/app.").unwrap();
    let end = start + home[start..].find('"').unwrap();
    let css_url = &home[start..end];

    let resp = app
        .client
        .get(app.url(css_url))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(
        resp.headers()["content-encoding"],
        "gzip",
        "responses are compressed"
    );
    assert_eq!(
        app.get("/assets/app.css").await.status(),
        StatusCode::NOT_FOUND
    );
}

on_both_backends!(
    a_post_without_the_csrf_token_is_refused,
    a_token_from_another_browser_or_a_forged_one_is_refused,
    htmx_sends_the_token_as_a_header,
    cross_site_requests_are_refused_even_with_a_token,
    the_eleventh_bad_login_in_a_minute_gets_429,
    errors_render_as_a_page_a_toast_or_json,
    htmx_requests_that_need_a_login_get_hx_redirect,
    every_page_carries_the_security_headers,
    assets_are_content_hashed_and_cached_forever,
);

/// Production mode (PostgreSQL only: production refuses SQLite): `__Host-` cookies that are
/// `Secure`, and HSTS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_cookies_are_secure_and_host_prefixed_and_hsts_is_sent() {
    use crate::support::{SmtpSink, location, set_cookies};

    let sink = SmtpSink::start().await;
    // Stripe is never called: test-mode values shaped like real ones, as on a staging release.
    let stripe_key = format!("sk_test_{}", hex::encode(rand::random::<[u8; 24]>()));
    let webhook_secret = format!("whsec_{}", hex::encode(rand::random::<[u8; 24]>()));
    let app = TestApp::builder(Backend::Postgres)
        .var("FLASHSTUDIO_ENV", "production")
        .var("BASE_URL", "https://studio.example.com")
        .var("AUTO_MIGRATE", "true")
        .var("STORAGE_BACKEND", "local")
        .var("PAYMENT_GATEWAY", "stripe")
        .var("STRIPE_SECRET_KEY", &stripe_key)
        .var("STRIPE_ALLOW_TEST_KEYS", "true")
        .var("STRIPE_WEBHOOK_SECRET", &webhook_secret)
        .var(
            "MEDIA_DIR",
            &std::env::temp_dir()
                .join(format!("fs-media-{}", uuid::Uuid::new_v4().simple()))
                .display()
                .to_string(),
        )
        .smtp(sink.port)
        .spawn()
        .await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;

    // Secure cookies never travel back over plain http, so play the browser by hand.
    let home = app.get("/").await;
    assert!(
        home.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let visitor = set_cookies(&home)
        .into_iter()
        .find(|c| c.starts_with("__Host-fs_visitor="))
        .expect("a host-prefixed visitor cookie");
    assert!(
        visitor.contains("Secure") && visitor.contains("HttpOnly"),
        "{visitor}"
    );
    let body = home.text().await.unwrap();
    let token = crate::support::csrf_from_html(&body);
    let token = token.as_str();
    let pair = visitor.split(';').next().unwrap();

    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/login"))
        .header("cookie", pair)
        .form(&[
            ("email", "jane@example.com"),
            ("password", PASSWORD),
            ("csrf_token", token),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        location(&resp)
    );
    let session = set_cookies(&resp)
        .into_iter()
        .find(|c| c.starts_with("__Host-fs_session="))
        .expect("a host-prefixed session cookie");
    for attr in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attr), "{session} lacks {attr}");
    }
    assert!(!session.contains("Domain="), "{session}");
}
