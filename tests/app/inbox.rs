//! The contact inbox (issue 14, item 10): one message in full at `/admin/messages/{id}`, a
//! reply through the outbox with `Reply-To` the studio, staff notifications with `Reply-To`
//! the customer, and the customer's acknowledgement. Email through a real SMTP server.

use std::time::Duration;

use flashstudio::identity::model::Role;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{Backend, SmtpSink, TestApp};

const ADMIN: &str = "admin@example.com";
const STAFF: &str = "studio@flashstudio.test";
const CUSTOMER: &str = "ana@example.com";
const PASSWORD: &str = "correct horse battery";
const WAIT: Duration = Duration::from_secs(15);

async fn app_with_sink(backend: Backend) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let app = TestApp::builder(backend)
        .smtp(sink.port)
        .var("STAFF_EMAIL", STAFF)
        .spawn()
        .await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    (app, sink)
}

/// A long message, whose end the inbox's table cuts off.
fn long_message() -> String {
    let mut text = String::from("We are planning a launch film.\n\n");
    while text.chars().count() < 900 {
        text.push_str("Our team would like a two-minute cut and a vertical teaser. ");
    }
    text.push_str("\n\nTHE-VERY-END <b>bold?</b>");
    text
}

/// Sends a contact message from a fresh visitor; returns its id.
async fn send_contact(app: &TestApp, message: &str) -> String {
    let visitor = app.new_browser();
    let resp = visitor
        .post_form(
            "/contact",
            &[
                // A message about a quote is a quote request now (tests/app/quotes.rs); the
                // inbox takes every other kind.
                ("kind", "partnership"),
                ("name", "Ana Lima"),
                ("email", CUSTOMER),
                ("phone", "+65 5555 0101"),
                ("company", "Lima Films"),
                ("subject", "Corporate Story"),
                ("message", message),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    sqlx::query_scalar("select id from contact_messages where email = $1")
        .bind(CUSTOMER)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn count_replies(app: &TestApp) -> (i64, i64) {
    let emails: i64 =
        sqlx::query_scalar("select count(*) from emails where kind = 'contact_reply'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let replies: i64 = sqlx::query_scalar("select count(*) from contact_replies")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    (emails, replies)
}

async fn staff_are_notified_with_reply_to_the_customer_who_is_acknowledged(backend: Backend) {
    let (app, sink) = app_with_sink(backend).await;
    send_contact(&app, "We would like to partner on a wedding film.").await;

    let notice = sink.wait_for(STAFF, "Partnership enquiry", WAIT).await;
    assert_eq!(
        notice.reply_to, CUSTOMER,
        "staff answer the customer directly"
    );

    let ack = sink
        .wait_for(CUSTOMER, "We received your message", WAIT)
        .await;
    assert!(ack.text.contains("within one working day"), "{}", ack.text);
    assert!(ack.text.contains("Partnership enquiry"));
    assert_eq!(
        ack.reply_to, STAFF,
        "the customer's answer reaches the studio"
    );
    // The form takes any address: the acknowledgement relays nothing the sender typed.
    assert!(!ack.text.contains("wedding film") && !ack.html.contains("wedding film"));

    // The outbox says where a reply to each email goes.
    let notice_id: String = sqlx::query_scalar(
        "select id from emails where to_address = $1 and subject like 'Partnership enquiry%'",
    )
    .bind(STAFF)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    app.login(ADMIN, PASSWORD).await;
    let (status, detail) = app.get_text(&format!("/admin/outbox/{notice_id}")).await;
    assert_eq!(status, StatusCode::OK);
    let reply_to = detail
        .split("Reply-To</dt>")
        .nth(1)
        .and_then(|rest| rest.split("</dd>").next())
        .unwrap_or_default();
    assert!(
        reply_to.contains(CUSTOMER),
        "Reply-To on the outbox page: {reply_to:?}"
    );
}

async fn the_message_page_shows_the_full_text_and_a_reply_reaches_the_customer(backend: Backend) {
    let (app, sink) = app_with_sink(backend).await;
    let message = long_message();
    let id = send_contact(&app, &message).await;
    app.login(ADMIN, PASSWORD).await;

    let (status, inbox) = app.get_text("/admin/contact-messages").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !inbox.contains("THE-VERY-END"),
        "the inbox cuts messages short"
    );
    let page = format!("/admin/messages/{id}");
    assert!(
        inbox.contains(&format!("href=\"{page}\"")),
        "each row links to its page"
    );

    let (status, body) = app.get_text(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("THE-VERY-END &lt;b&gt;bold?&lt;/b&gt;"),
        "full and escaped"
    );
    for shown in [
        "Ana Lima",
        CUSTOMER,
        "+65 5555 0101",
        "Lima Films",
        "Corporate Story",
    ] {
        assert!(body.contains(shown), "{shown}");
    }
    assert!(
        body.contains("value=\"Re: Corporate Story\""),
        "subject prefilled"
    );
    let status_now: String =
        sqlx::query_scalar("select status from contact_messages where id = $1")
            .bind(&id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(status_now, "read", "opening a new message marks it read");

    let resp = app
        .post_form(
            &format!("{page}/reply"),
            &[
                ("subject", "Re: Corporate Story"),
                (
                    "body",
                    "Hello Ana,\n\nThank you! A two-minute cut is 2,400 SGD.",
                ),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);

    let (to, reply_to): (String, Option<String>) =
        sqlx::query_as("select to_address, reply_to from emails where kind = 'contact_reply'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!((to.as_str(), reply_to.as_deref()), (CUSTOMER, Some(STAFF)));
    let mail = sink.wait_for(CUSTOMER, "Re: Corporate Story", WAIT).await;
    assert_eq!(mail.reply_to, STAFF);
    assert!(mail.text.contains("A two-minute cut is 2,400 SGD."));

    let (_, body) = app.get_text(&page).await;
    assert!(
        body.contains("A two-minute cut is 2,400 SGD."),
        "the reply is listed"
    );
    let status_now: String =
        sqlx::query_scalar("select status from contact_messages where id = $1")
            .bind(&id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(status_now, "answered");
}

async fn bad_reply_input_re_renders_with_field_errors_and_sends_nothing(backend: Backend) {
    let (app, _sink) = app_with_sink(backend).await;
    let id = send_contact(&app, "Is the studio free next week?").await;
    app.login(ADMIN, PASSWORD).await;
    let reply = format!("/admin/messages/{id}/reply");
    let too_long = "x".repeat(201);
    for (fields, message) in [
        (
            vec![("subject", "Re: hi"), ("body", "  ")],
            "Write your reply.",
        ),
        (vec![("subject", ""), ("body", "Yes.")], "Enter a subject."),
        (
            vec![("subject", too_long.as_str()), ("body", "Yes.")],
            "Use at most 200 characters.",
        ),
        (
            vec![("subject", "Re: hi\r\nBcc: x@evil.test"), ("body", "Yes.")],
            "Keep the subject on one line.",
        ),
    ] {
        let resp = app.post_form(&reply, &fields).await;
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}"
        );
        let body = resp.text().await.unwrap();
        assert!(body.contains(message), "{message}");
        assert!(
            body.contains("Is the studio free next week?"),
            "the page re-renders"
        );
    }
    assert_eq!(count_replies(&app).await, (0, 0));
}

async fn only_admins_see_or_answer_a_message(backend: Backend) {
    let (app, _sink) = app_with_sink(backend).await;
    let id = send_contact(&app, "Is the studio free next week?").await;
    app.create_user("client@example.com", PASSWORD, Role::Customer)
        .await;
    let customer = app.new_browser();
    customer.login("client@example.com", PASSWORD).await;
    let page = format!("/admin/messages/{id}");
    assert_eq!(customer.get(&page).await.status(), StatusCode::FORBIDDEN);
    let resp = customer
        .post_form(
            &format!("{page}/reply"),
            &[("subject", "Re: hi"), ("body", "Gotcha")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let anonymous = app.new_browser();
    let status = anonymous.get(&page).await.status();
    assert!(
        status == StatusCode::SEE_OTHER || status == StatusCode::UNAUTHORIZED,
        "anonymous: {status}"
    );
    assert_eq!(count_replies(&app).await, (0, 0));
    // An admin sees it; one that does not exist is 404.
    app.login(ADMIN, PASSWORD).await;
    assert_eq!(app.get(&page).await.status(), StatusCode::OK);
    let missing = "/admin/messages/0190b5a0-0000-7000-8000-000000000000";
    assert_eq!(app.get(missing).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/admin/messages/nope").await.status(),
        StatusCode::NOT_FOUND
    );
}

on_both_backends!(
    staff_are_notified_with_reply_to_the_customer_who_is_acknowledged,
    the_message_page_shows_the_full_text_and_a_reply_reaches_the_customer,
    bad_reply_input_re_renders_with_field_errors_and_sends_nothing,
    only_admins_see_or_answer_a_message,
);
