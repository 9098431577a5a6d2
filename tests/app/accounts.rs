//! Register, log in and out, sessions, profile changes, admin access.

use std::time::Duration;

use flashstudio::identity::model::Role;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{Backend, TestApp, location, set_cookies};

const PASSWORD: &str = "correct horse battery";

async fn a_visitor_registers_and_lands_on_their_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let resp = app.register("Jane@Example.com", PASSWORD).await;

    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/account");
    let (status, body) = app.get_text("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("jane@example.com"), "email is normalised");
    assert!(body.contains("Your account is ready"), "flash shown once");
    let (_, again) = app.get_text("/account").await;
    assert!(!again.contains("Your account is ready"), "flash is gone");
}

async fn registration_errors_rerender_the_form_and_keep_the_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let resp = app
        .post_form(
            "/register",
            &[
                ("email", "jane@example.com"),
                ("password", "short"),
                ("password_confirm", "different"),
            ],
        )
        .await;

    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = resp.text().await.unwrap();
    assert!(body.contains("Use at least 10 characters."));
    assert!(body.contains("The two passwords are different."));
    assert!(body.contains(r#"value="jane@example.com""#));
    assert!(
        !body.contains("different\""),
        "passwords are never echoed back"
    );
}

async fn registering_a_taken_email_is_a_field_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;

    let resp = app.register("JANE@example.com", PASSWORD).await;

    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("An account with this email exists")
    );
}

async fn the_session_cookie_is_http_only_and_same_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;

    let resp = app.login("jane@example.com", PASSWORD).await;

    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookies(&resp)
        .into_iter()
        .find(|c| c.starts_with("fs_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
}

async fn wrong_passwords_and_unknown_emails_get_the_same_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;

    let wrong = app.login("jane@example.com", "not the password").await;
    let unknown = app.login("nobody@example.com", PASSWORD).await;

    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (wrong, unknown) = (wrong.text().await.unwrap(), unknown.text().await.unwrap());
    let message = "That email and password do not match an account.";
    assert!(wrong.contains(message) && unknown.contains(message));
}

async fn after_logout_the_old_session_cookie_no_longer_authenticates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    let resp = app.login("jane@example.com", PASSWORD).await;
    let session = set_cookies(&resp)
        .into_iter()
        .find(|c| c.starts_with("fs_session="))
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .expect("session cookie");
    assert_eq!(app.get("/account").await.status(), StatusCode::OK);

    let out = app.logout().await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);

    // Replay the old cookie from a client that kept it.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/account"))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert!(location(&replay).starts_with("/login"));
    let rows: i64 = sqlx::query_scalar("select count(*) from sessions")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0, "logout deletes the session row");
}

async fn logging_in_again_rotates_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    app.login("jane@example.com", PASSWORD).await;

    app.login("jane@example.com", PASSWORD).await;

    let rows: i64 = sqlx::query_scalar("select count(*) from sessions")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 1, "the previous session of this browser was replaced");
}

async fn an_idle_session_expires(backend: Backend) {
    let app = TestApp::builder(backend)
        .var("SESSION_IDLE_TIMEOUT_SECS", "1")
        .spawn()
        .await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    app.login("jane@example.com", PASSWORD).await;

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let resp = app.get("/account").await;

    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with("/login?next=%2Faccount"));
    let (_, login) = app.get_text(&location(&resp)).await;
    assert!(login.contains("Your session has ended"));
}

async fn login_returns_to_a_local_next_page_but_never_off_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;

    let local = app
        .post_form(
            "/login",
            &[
                ("email", "jane@example.com"),
                ("password", PASSWORD),
                ("next", "/account?tab=x"),
            ],
        )
        .await;
    assert_eq!(location(&local), "/account?tab=x");

    let other = app.new_browser();
    let evil = other
        .post_form(
            "/login",
            &[
                ("email", "jane@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(location(&evil), "/account");
}

async fn a_customer_gets_403_on_admin_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    app.login("jane@example.com", PASSWORD).await;

    for path in ["/admin", "/admin/outbox", "/admin/jobs", "/admin/audit"] {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let resp = app.post_form("/admin/jobs/x/retry", &[]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

async fn anonymous_visitors_are_sent_to_login_from_private_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    for path in ["/admin", "/account"] {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&resp).starts_with("/login?next="), "{path}");
    }
}

async fn an_admin_sees_the_dashboard_outbox_jobs_and_audit_log(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("boss@example.com", PASSWORD, Role::Admin)
        .await;

    let resp = app.login("boss@example.com", PASSWORD).await;
    assert_eq!(location(&resp), "/admin");

    for (path, text) in [
        ("/admin", "Studio admin"),
        ("/admin/outbox", "Outbox"),
        ("/admin/jobs", "Background jobs"),
        ("/admin/audit", "Audit log"),
    ] {
        let (status, body) = app.get_text(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(body.contains(text), "{path}");
    }
}

async fn changing_email_or_password_needs_the_current_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    app.login("jane@example.com", PASSWORD).await;
    let other_device = app.new_browser();
    other_device.login("jane@example.com", PASSWORD).await;

    let refused = app
        .post_form(
            "/account/email",
            &[
                ("email", "new@example.com"),
                ("current_password", "wrong one!!"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("That is not your current password.")
    );

    let changed = app
        .post_form(
            "/account/email",
            &[("email", "new@example.com"), ("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);

    let refused = app
        .post_form(
            "/account/password",
            &[
                ("current_password", "wrong one!!"),
                ("password", "a brand new secret"),
                ("password_confirm", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let changed = app
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("password", "a brand new secret"),
                ("password_confirm", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/account").await.status(),
        StatusCode::OK,
        "this device stays in"
    );
    assert_eq!(
        other_device.get("/account").await.status(),
        StatusCode::SEE_OTHER,
        "other devices are signed out"
    );
    let fresh = app.new_browser();
    assert_eq!(
        fresh
            .login("new@example.com", "a brand new secret")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

/// The text of the error shown next to `field` (`<p class="field-error" id="{field}-error">`).
fn field_error(body: &str, field: &str) -> Option<String> {
    let open = format!(r#"<p class="field-error" id="{field}-error">"#);
    let start = body.find(&open)? + open.len();
    let len = body[start..].find("</p>")?;
    Some(body[start..start + len].to_owned())
}

/// Issue 14, item 5: the passwords everyone tries first are refused when registering and when
/// changing a password, with a sentence next to the password field that says what to do.
async fn common_and_patterned_passwords_are_refused_next_to_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    for weak in ["password123", "1234567890", "qwertyuiop", "Password2024"] {
        let resp = app
            .post_form(
                "/register",
                &[
                    ("email", "jane@example.com"),
                    ("password", weak),
                    ("password_confirm", weak),
                ],
            )
            .await;

        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
        let body = resp.text().await.unwrap();
        let message = field_error(&body, "password")
            .unwrap_or_else(|| panic!("{weak}: no error next to the password field"));
        assert!(
            message.contains("guess") && message.ends_with('.'),
            "{weak}: a sentence that says why: {message:?}"
        );
        assert!(
            !body.contains(weak),
            "{weak}: passwords are never echoed back"
        );
    }
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(users, 0, "no account was made with a weak password");

    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    app.login("jane@example.com", PASSWORD).await;
    let refused = app
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("password", "qwertyuiop"),
                ("password_confirm", "qwertyuiop"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.text().await.unwrap();
    assert!(
        field_error(&body, "password").is_some_and(|m| m.contains("guess")),
        "{body}"
    );
    let fresh = app.new_browser();
    assert_eq!(
        fresh.login("jane@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "the old password still works"
    );
}

async fn two_tabs_registering_the_same_email_make_one_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tab_a, tab_b) = (app.new_browser(), app.new_browser());

    let (a, b) = tokio::join!(
        tab_a.register("jane@example.com", PASSWORD),
        tab_b.register("jane@example.com", PASSWORD)
    );

    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY],
        "one account, one field error, no 500"
    );
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(users, 1);
}

on_both_backends!(
    guest_orders_join_the_account_once_its_email_is_confirmed,
    two_tabs_registering_the_same_email_make_one_account,
    a_visitor_registers_and_lands_on_their_account,
    registration_errors_rerender_the_form_and_keep_the_email,
    registering_a_taken_email_is_a_field_error,
    the_session_cookie_is_http_only_and_same_site,
    wrong_passwords_and_unknown_emails_get_the_same_answer,
    after_logout_the_old_session_cookie_no_longer_authenticates,
    logging_in_again_rotates_the_session,
    an_idle_session_expires,
    login_returns_to_a_local_next_page_but_never_off_site,
    a_customer_gets_403_on_admin_pages,
    anonymous_visitors_are_sent_to_login_from_private_pages,
    an_admin_sees_the_dashboard_outbox_jobs_and_audit_log,
    changing_email_or_password_needs_the_current_password,
    common_and_patterned_passwords_are_refused_next_to_the_field,
);

/// Orders placed as a guest join the account that registers with their email only once the
/// account confirms the address by the emailed link (a button behind it, so link scanners
/// confirm nothing); a forged or outdated link confirms nothing.
async fn guest_orders_join_the_account_once_its_email_is_confirmed(backend: Backend) {
    let sink = crate::support::SmtpSink::start().await;
    let app = crate::orders::shop_with(TestApp::builder(backend).smtp(sink.port)).await;
    let guest = app.new_browser();
    crate::orders::add(&app, &guest, "cinematic-luts", 1).await;
    let gateway = crate::orders::checkout(&guest, "Guest@Example.com").await;
    crate::orders::dev_gateway(&guest, &gateway, "pay").await;

    let me = app.new_browser();
    let resp = me
        .register("guest@example.com", "sunlit kettle orbit 42")
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, orders) = me.get_text("/account/orders").await;
    assert!(
        !orders.contains("FS-000001"),
        "not before confirming: {orders}"
    );
    let (_, account) = me.get_text("/account").await;
    assert!(account.contains("Confirm your email address"), "{account}");

    let mail = sink
        .wait_for(
            "guest@example.com",
            "Confirm your email address",
            Duration::from_secs(15),
        )
        .await;
    let start = mail
        .text
        .find("/confirm-email/")
        .expect("a confirmation link");
    let path: String = mail.text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    // A forged signature, or someone else's account: nothing.
    let forged = format!("{}x", path.trim_end_matches(|c: char| c != '/'));
    assert_eq!(me.get(&forged).await.status(), StatusCode::GONE);
    assert_eq!(me.post_form(&forged, &[]).await.status(), StatusCode::GONE);
    // Opening the link confirms nothing by itself.
    let (status, page) = me.get_text(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("guest@example.com"), "{page}");
    let (_, orders) = me.get_text("/account/orders").await;
    assert!(!orders.contains("FS-000001"));
    let resp = me.post_form(&path, &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/account/orders");
    let (_, orders) = me.get_text("/account/orders").await;
    assert!(orders.contains("FS-000001"), "joined: {orders}");
    assert!(orders.contains("is now in your account"), "{orders}");
    let (_, account) = me.get_text("/account").await;
    assert!(!account.contains("Send the link again"));

    // A changed address voids the old link.
    let resp = me
        .post_form(
            "/account/email",
            &[
                ("email", "new-address@example.com"),
                ("current_password", "sunlit kettle orbit 42"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(me.get(&path).await.status(), StatusCode::GONE);
    let (_, account) = me.get_text("/account").await;
    assert!(
        account.contains("Send the link again"),
        "the new address is unconfirmed"
    );
}
