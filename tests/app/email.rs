//! Email through a real SMTP server: password reset, welcome, and delivery after an outage.

use std::time::Duration;

use flashstudio::identity::model::Role;
use flashstudio::notifications::store as email_store;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{Backend, SmtpSink, TestApp, eventually, free_port, location};

const PASSWORD: &str = "correct horse battery";

fn reset_path(text: &str) -> String {
    let start = text.find("/password/reset/").expect("a reset link");
    let end = start
        + text[start..]
            .find(|c: char| c.is_whitespace())
            .unwrap_or(text.len() - start);
    text[start..end].to_owned()
}

async fn a_password_reset_email_reaches_the_smtp_server_and_its_link_works_once(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::builder(backend).smtp(sink.port).spawn().await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    let phone = app.new_browser();
    phone.login("jane@example.com", PASSWORD).await;

    let resp = app
        .post_form("/password/forgot", &[("email", "jane@example.com")])
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("Check your email"));

    let mail = sink
        .wait_for(
            "jane@example.com",
            "Reset your FlashStudio password",
            Duration::from_secs(15),
        )
        .await;
    assert!(
        mail.html.contains("/password/reset/"),
        "HTML part has the link too"
    );
    let link = reset_path(&mail.text);
    assert_eq!(app.get(&link).await.status(), StatusCode::OK);

    // Issue 14, item 5: a common password is refused here too, and the link stays usable.
    let weak = app
        .post_form(
            &link,
            &[
                ("password", "password123"),
                ("password_confirm", "password123"),
            ],
        )
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        weak.text().await.unwrap().contains(
            r#"<p class="field-error" id="password-error">This is one of the most common passwords"#
        ),
        "the reason is shown next to the field"
    );

    let done = app
        .post_form(
            &link,
            &[
                ("password", "a whole new password"),
                ("password_confirm", "a whole new password"),
            ],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), "/login");
    assert_eq!(
        phone.get("/account").await.status(),
        StatusCode::SEE_OTHER,
        "old sessions end"
    );
    assert_eq!(
        app.login("jane@example.com", PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.login("jane@example.com", "a whole new password")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    let reuse = app.new_browser();
    assert_eq!(
        reuse.get(&link).await.status(),
        StatusCode::GONE,
        "single use"
    );
    let again = reuse
        .post_form(
            &link,
            &[
                ("password", "yet another password"),
                ("password_confirm", "yet another password"),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::GONE);
}

async fn a_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::builder(backend).smtp(sink.port).spawn().await;

    let resp = app
        .post_form("/password/forgot", &[("email", "nobody@example.com")])
        .await;

    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("If an account exists for")
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sink.received().is_empty());
    let queued = email_store::list_emails(app.state.db.pool(), None, 10)
        .await
        .unwrap();
    assert!(queued.is_empty());
}

async fn registering_sends_a_welcome_email(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::builder(backend).smtp(sink.port).spawn().await;

    app.register("new@example.com", PASSWORD).await;

    let mail = sink
        .wait_for(
            "new@example.com",
            "Welcome to FlashStudio",
            Duration::from_secs(15),
        )
        .await;
    assert!(mail.text.contains("/account"));
}

async fn with_the_smtp_server_down_the_request_succeeds_and_a_retry_delivers_later(
    backend: Backend,
) {
    let port = free_port();
    let app = TestApp::builder(backend).smtp(port).spawn().await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;

    let resp = app
        .post_form("/password/forgot", &[("email", "jane@example.com")])
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "the request does not wait for mail"
    );

    let pool = app.state.db.pool().clone();
    let failed = eventually("a failed delivery attempt", Duration::from_secs(15), || {
        let pool = pool.clone();
        async move {
            let rows = email_store::list_emails(&pool, None, 10).await.ok()?;
            rows.into_iter()
                .find(|e| e.attempts >= 1 && e.last_error.is_some())
        }
    })
    .await;
    assert_eq!(failed.status, "queued", "still queued for a retry");

    let sink = SmtpSink::start_on(port).await;
    sink.wait_for(
        "jane@example.com",
        "Reset your FlashStudio password",
        Duration::from_secs(20),
    )
    .await;
    let sent = eventually("the outbox row marked sent", Duration::from_secs(5), || {
        let pool = pool.clone();
        let id = failed.id.clone();
        async move {
            let row = email_store::find_email(&pool, &id).await.ok()??;
            (row.status == "sent").then_some(row)
        }
    })
    .await;
    assert!(sent.attempts >= 2);
    assert_eq!(sink.received().len(), 1, "delivered exactly once");
}

async fn an_admin_can_resend_an_email_and_the_change_is_audited(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::builder(backend).smtp(sink.port).spawn().await;
    app.create_user("boss@example.com", PASSWORD, Role::Admin)
        .await;
    app.new_browser()
        .register("jane@example.com", PASSWORD)
        .await;
    sink.wait_for("jane@example.com", "Welcome", Duration::from_secs(15))
        .await;
    app.login("boss@example.com", PASSWORD).await;
    // The welcome email (registering also sends the address's confirmation link, which is
    // never resent from the outbox).
    let email = email_store::list_emails(app.state.db.pool(), None, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.kind == "welcome")
        .unwrap();

    let resp = app
        .post_form(&format!("/admin/outbox/{}/resend", email.id), &[])
        .await;

    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    eventually("a second delivery", Duration::from_secs(15), || async {
        let welcomes = sink
            .received()
            .iter()
            .filter(|m| m.subject.contains("Welcome"))
            .count();
        (welcomes == 2).then_some(())
    })
    .await;
    let (_, audit) = app.get_text("/admin/audit").await;
    assert!(audit.contains("email.resend"));
    assert!(audit.contains("boss@example.com"));
}

async fn a_reset_link_submitted_twice_at_once_changes_the_password_once(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::builder(backend).smtp(sink.port).spawn().await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    app.post_form("/password/forgot", &[("email", "jane@example.com")])
        .await;
    let mail = sink
        .wait_for("jane@example.com", "Reset", Duration::from_secs(15))
        .await;
    let link = reset_path(&mail.text);
    let (tab_a, tab_b) = (app.new_browser(), app.new_browser());
    let (token_a, token_b) = (tab_a.csrf().await, tab_b.csrf().await);

    let form_a = [
        ("password", "first new password"),
        ("password_confirm", "first new password"),
        ("csrf_token", token_a.as_str()),
    ];
    let form_b = [
        ("password", "second new password"),
        ("password_confirm", "second new password"),
        ("csrf_token", token_b.as_str()),
    ];

    let (a, b) = tokio::join!(
        tab_a.post_form_raw(&link, &form_a),
        tab_b.post_form_raw(&link, &form_b)
    );

    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::GONE]);
    let first = app
        .new_browser()
        .login("jane@example.com", "first new password")
        .await;
    let second = app
        .new_browser()
        .login("jane@example.com", "second new password")
        .await;
    assert!(
        (first.status() == StatusCode::SEE_OTHER) != (second.status() == StatusCode::SEE_OTHER),
        "exactly one of the two passwords took"
    );
}

async fn only_one_job_at_a_time_may_send_an_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let content = flashstudio::notifications::templates::welcome("https://x.test/account");
    let mut conn = app.state.db.pool().acquire().await.unwrap();
    let id = flashstudio::notifications::enqueue_email(&mut conn, "jane@example.com", &content, 3)
        .await
        .unwrap();
    drop(conn);
    let pool = app.state.db.pool();
    let now = flashstudio::db::now();

    // The app's own worker may already hold it; either way, a second claimant must wait.
    let first = email_store::claim_for_sending(pool, &id, now, now + 120)
        .await
        .unwrap();
    let second = email_store::claim_for_sending(pool, &id, now, now + 120)
        .await
        .unwrap();
    assert!(
        !second,
        "a second sender is refused while the first holds the email"
    );
    if first {
        email_store::mark_sent(pool, &id, now).await.unwrap();
    }
    eventually("the email to be sent", Duration::from_secs(10), || async {
        let row = email_store::find_email(pool, &id).await.ok()??;
        (row.status == "sent").then_some(())
    })
    .await;
    assert!(
        !email_store::claim_for_sending(pool, &id, now + 1000, now + 1120)
            .await
            .unwrap(),
        "a sent email is never claimed again"
    );
}

async fn staff_never_see_a_live_reset_link_and_it_is_not_resent(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::builder(backend).smtp(sink.port).spawn().await;
    app.create_user("boss@example.com", PASSWORD, Role::Admin)
        .await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    app.new_browser()
        .post_form("/password/forgot", &[("email", "jane@example.com")])
        .await;
    let mail = sink
        .wait_for("jane@example.com", "Reset", Duration::from_secs(15))
        .await;
    let link = reset_path(&mail.text);
    let token = link.trim_start_matches("/password/reset/").to_owned();
    let pool = app.state.db.pool().clone();
    let stored = eventually(
        "the stored body to be redacted",
        Duration::from_secs(5),
        || {
            let pool = pool.clone();
            async move {
                let row = email_store::list_emails(&pool, None, 1).await.ok()?.pop()?;
                row.text_body.contains("[redacted]").then_some(row)
            }
        },
    )
    .await;
    assert!(!stored.text_body.contains(&token) && !stored.html_body.contains(&token));

    app.login("boss@example.com", PASSWORD).await;
    let (_, detail) = app.get_text(&format!("/admin/outbox/{}", stored.id)).await;
    assert!(!detail.contains(&token));
    let resend = app
        .post_form(&format!("/admin/outbox/{}/resend", stored.id), &[])
        .await;
    assert_eq!(resend.status(), StatusCode::SEE_OTHER);
    let (_, outbox) = app.get_text("/admin/outbox").await;
    assert!(outbox.contains("are not resent"));
    assert_eq!(
        app.get(&link).await.status(),
        StatusCode::OK,
        "the customer's link still works"
    );
}

on_both_backends!(
    staff_never_see_a_live_reset_link_and_it_is_not_resent,
    only_one_job_at_a_time_may_send_an_email,
    a_reset_link_submitted_twice_at_once_changes_the_password_once,
    a_password_reset_email_reaches_the_smtp_server_and_its_link_works_once,
    a_reset_for_an_unknown_email_looks_the_same_and_sends_nothing,
    registering_sends_a_welcome_email,
    with_the_smtp_server_down_the_request_succeeds_and_a_retry_delivers_later,
    an_admin_can_resend_an_email_and_the_change_is_audited,
);
