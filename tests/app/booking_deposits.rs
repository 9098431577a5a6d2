//! Deposits through the dev gateway and the real webhook path: the slot is held while the
//! checkout is open, the capture confirms the booking (once, however often it is delivered),
//! the checkout's expiry or the expiry job releases it, a cancellation refunds what the
//! booking's policy snapshot gives, and a deposit paid after the hold lapsed is flagged.

use flashstudio::bookings::availability::Unavailable;
use flashstudio::bookings::deposits;
use flashstudio::bookings::service::{self, Details, NotPlaced};
use flashstudio::payments::handlers::dev_event;
use flashstudio::payments::store as payment_store;
use reqwest::StatusCode;

use crate::bookings::{a_later_free_time, app, start_of};
use crate::on_both_backends;
use crate::support::{Backend, TestApp, location};

const SHOOT: &str = "full-day-shoot";

fn fields(start: &str, email: &str) -> Vec<(&'static str, String)> {
    vec![
        ("start", start.to_owned()),
        ("name", "Dev Ong".to_owned()),
        ("email", email.to_owned()),
        ("location", "studio".to_owned()),
    ]
}

/// Books `SHOOT` at `start` through the form; where it sent the customer.
async fn book(app: &TestApp, start: &str, email: &str) -> String {
    let f = fields(start, email);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resp = app.post_form(&format!("/book/{SHOOT}"), &f).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    location(&resp)
}

async fn status_of(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("select status from bookings where email = $1")
        .bind(email)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(bind)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// Posts a signed gateway event for the deposit's checkout session, as the gateway would.
pub(crate) async fn deliver(
    app: &TestApp,
    session: &str,
    kind: &str,
    event_id: &str,
) -> StatusCode {
    let payment = payment_store::find_by_session(app.state.db.pool(), session)
        .await
        .unwrap()
        .expect("the deposit's payment");
    let summary = app
        .state
        .payment_effects
        .of(payment.purpose())
        .summary(&app.state, &payment.order_id)
        .await
        .unwrap()
        .unwrap();
    let mut event = dev_event(
        &payment,
        &summary,
        kind,
        kind == "checkout.session.completed",
    );
    event["id"] = event_id.into();
    let body = event.to_string();
    let secret = app.state.gateway.webhook_secrets().remove(0);
    let now = flashstudio::db::now();
    let header = flashstudio::payments::webhook::sign(&secret, now, body.as_bytes());
    crate::orders::post_event(app, &body, &header)
        .await
        .status()
}

pub(crate) fn session_of(gateway_path: &str) -> String {
    gateway_path.trim_start_matches("/dev-gateway/").to_owned()
}

async fn a_deposit_holds_the_slot_and_its_capture_confirms_once(backend: Backend) {
    let app = app(backend).await;
    let (_, details) = a_later_free_time(&app, SHOOT).await;
    let start = start_of(&details);

    // The review says what comes next; booking goes to the deposit's checkout.
    let f = fields(&start, "dev@example.com");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, review) = {
        let resp = app.post_form(&format!("/book/{SHOOT}/review"), &f).await;
        (resp.status(), resp.text().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    assert!(review.contains("Book and pay the deposit"), "{review}");
    let gateway = book(&app, &start, "dev@example.com").await;
    assert!(gateway.starts_with("/dev-gateway/cs_dev_"), "{gateway}");
    assert_eq!(status_of(&app, "dev@example.com").await, "held");
    let (held_until, created): (i64, i64) =
        sqlx::query_as("select hold_expires_at, created_at from bookings")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(held_until - created, deposits::HOLD_SECS);
    let (amount, purpose): (i64, String) =
        sqlx::query_as("select amount_minor, purpose from payments")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(
        (amount, purpose.as_str()),
        (96_000, "booking"),
        "30% of 3,200.00"
    );
    // Nobody is told anything yet: the customer is paying.
    assert_eq!(
        count(&app, "select count(*) from emails where kind <> $1", "").await,
        0
    );

    // The held slot blocks everyone else (Studio A has room for one).
    let b = service::bookable(&app.state, SHOOT).await.unwrap().unwrap();
    let other = Details {
        name: "Other".into(),
        email: "other@example.com".into(),
        location: "studio".into(),
        ..Details::default()
    };
    let taken = service::place(
        &app.state,
        &b,
        start.parse().unwrap(),
        &other,
        None,
        "10.7.0.1",
    )
    .await
    .unwrap();
    assert!(matches!(
        taken,
        Err(NotPlaced::Unavailable(Unavailable::Taken { .. }))
    ));

    // "Pay the deposit" from the booking's page reopens the same checkout.
    let (_, gateway_page) = app.get_text(&gateway).await;
    assert!(
        gateway_page.contains("BK-000001"),
        "the dev gateway names the booking"
    );
    let manage: String = {
        let resp = app.post_form(&gateway, &[("action", "cancel")]).await;
        location(&resp)
    };
    assert!(manage.contains("?payment=cancelled"), "{manage}");
    let (_, page) = app.get_text(&manage).await;
    assert!(page.contains("Awaiting deposit") && page.contains("Pay the deposit"));
    let manage = manage.split('?').next().unwrap().to_owned();
    let again = app.post_form(&format!("{manage}/pay"), &[]).await;
    assert_eq!(
        location(&again),
        gateway,
        "the same checkout, not a second one"
    );

    // The capture, delivered twenty times at once (a gateway retrying), and then three more
    // times under other event ids: one confirmation, one customer email, one staff notice.
    let session = session_of(&gateway);
    let deliveries = (0..20).map(|_| {
        deliver(
            &app,
            &session,
            "checkout.session.completed",
            "evt_deposit_1",
        )
    });
    for status in futures_util::future::join_all(deliveries).await {
        assert_eq!(status, StatusCode::OK);
    }
    for i in 2..5 {
        let id = format!("evt_deposit_{i}");
        assert_eq!(
            deliver(&app, &session, "checkout.session.completed", &id).await,
            StatusCode::OK
        );
    }
    assert_eq!(status_of(&app, "dev@example.com").await, "confirmed");
    let q = "select count(*) from emails where kind = $1";
    assert_eq!(count(&app, q, "booking_confirmed").await, 1);
    assert_eq!(count(&app, q, "booking_staff_notice").await, 1);
    assert_eq!(
        count(
            &app,
            "select count(*) from jobs where kind = $1",
            "bookings.remind"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from webhook_events where type <> $1",
            ""
        )
        .await,
        4,
        "each event stored once"
    );
    let (_, page) = app.get_text(&format!("{manage}?paid=1")).await;
    assert!(page.contains("Deposit received") && page.contains("Confirmed"));

    // Cancelled well before the policy's 14 days: the whole deposit goes back, once, however
    // often the form is sent.
    for _ in 0..2 {
        let resp = app
            .post_form(&format!("{manage}/cancel"), &[("confirm", "yes")])
            .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(status_of(&app, "dev@example.com").await, "cancelled");
    let (refunds, refunded, payment_status): (i64, i64, String) = sqlx::query_as(
        "select (select count(*) from refunds), (select cast(coalesce(sum(amount_minor), 0) as bigint) from refunds \
         where status = 'succeeded'), (select status from payments)",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(
        (refunds, refunded, payment_status.as_str()),
        (1, 96_000, "refunded")
    );
    assert_eq!(count(&app, q, "booking_refund").await, 1);
    assert_eq!(count(&app, q, "booking_cancelled").await, 1);
    let audited = count(
        &app,
        "select count(*) from audit_log where action = $1",
        "booking.refund",
    )
    .await;
    assert_eq!(audited, 1);
}

async fn an_unpaid_hold_is_released_and_a_late_deposit_is_flagged(backend: Backend) {
    let app = app(backend).await;
    let (day, details) = a_later_free_time(&app, SHOOT).await;
    let start = start_of(&details);

    // 1. The expiry job releases a hold once it (and the grace) is over, not before.
    let gateway = book(&app, &start, "late@example.com").await;
    let held_until: i64 = sqlx::query_scalar("select hold_expires_at from bookings")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(
        deposits::expire_holds(&app.state, held_until)
            .await
            .unwrap(),
        0
    );
    let (_, times) = app.get_text(&day).await;
    assert!(!times.contains(&format!("start={start}\"")), "held");
    let later = held_until + deposits::GRACE_SECS + 1;
    assert_eq!(deposits::expire_holds(&app.state, later).await.unwrap(), 1);
    assert_eq!(deposits::expire_holds(&app.state, later).await.unwrap(), 0);
    assert_eq!(status_of(&app, "late@example.com").await, "expired");
    let (_, times) = app.get_text(&day).await;
    assert!(times.contains(&format!("start={start}\"")), "free again");
    let payment: String = sqlx::query_scalar("select status from payments")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(payment, "failed");

    // 2. Paid after all (the gateway's late word): not confirmed, flagged for staff, who are
    //    emailed; the customer is not told it is booked.
    let late = deliver(
        &app,
        &session_of(&gateway),
        "checkout.session.completed",
        "evt_late",
    )
    .await;
    assert_eq!(late, StatusCode::OK);
    assert_eq!(status_of(&app, "late@example.com").await, "expired");
    let attention: Option<String> = sqlx::query_scalar("select attention from bookings")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert!(attention.unwrap().contains("refund it"));
    let q = "select count(*) from emails where kind = $1";
    assert_eq!(count(&app, q, "booking_attention").await, 1);
    assert_eq!(count(&app, q, "booking_confirmed").await, 0);

    // 3. The gateway's own expiry event releases a hold at once.
    let gateway = book(&app, &start, "second@example.com").await;
    assert_eq!(status_of(&app, "second@example.com").await, "held");
    let expired = deliver(
        &app,
        &session_of(&gateway),
        "checkout.session.expired",
        "evt_expired",
    )
    .await;
    assert_eq!(expired, StatusCode::OK);
    assert_eq!(status_of(&app, "second@example.com").await, "expired");

    // 4. A customer who cancels a held booking closes its checkout: the time is free.
    let _ = book(&app, &start, "third@example.com").await;
    let id: String =
        sqlx::query_scalar("select id from bookings where email = 'third@example.com'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let booking = flashstudio::bookings::store::find(app.state.db.pool(), &id)
        .await
        .unwrap()
        .unwrap();
    let manage = service::manage_path(&app.state, &booking);
    let resp = app
        .post_form(&format!("{manage}/cancel"), &[("confirm", "yes")])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, "third@example.com").await, "cancelled");
    let third_payment: String =
        sqlx::query_scalar("select status from payments where order_id = $1")
            .bind(&id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(third_payment, "failed");
    let (_, times) = app.get_text(&day).await;
    assert!(times.contains(&format!("start={start}\"")), "free again");

    // 5. Staff cancelling a held booking close its checkout too; the customer, never told it
    //    was booked, gets no cancellation.
    let _ = book(&app, &start, "fourth@example.com").await;
    let id: String =
        sqlx::query_scalar("select id from bookings where email = 'fourth@example.com'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    app.create_user(
        "admin@example.com",
        "correct horse battery",
        flashstudio::identity::model::Role::Admin,
    )
    .await;
    app.login("admin@example.com", "correct horse battery")
        .await;
    let page = format!("/admin/booking/{id}");
    let (_, detail) = app.get_text(&page).await;
    assert!(
        !detail.contains(">Confirm<"),
        "a hold is confirmed by its deposit"
    );
    let resp = app
        .post_form(
            &format!("{page}/move"),
            &[("to", "cancelled"), ("reason", "Client rang to cancel")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, "fourth@example.com").await, "cancelled");
    let payment: String = sqlx::query_scalar("select status from payments where order_id = $1")
        .bind(&id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(payment, "failed");
    let told = count(
        &app,
        "select count(*) from emails where kind = 'booking_cancelled' and to_address = $1",
        "fourth@example.com",
    )
    .await;
    assert_eq!(told, 0);
}

on_both_backends!(
    a_deposit_holds_the_slot_and_its_capture_confirms_once,
    an_unpaid_hold_is_released_and_a_late_deposit_is_flagged,
);
