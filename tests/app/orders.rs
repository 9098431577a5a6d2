//! Checkout, orders and the dev gateway, on SQLite and PostgreSQL: placing is idempotent and
//! holds stock, webhooks are verified and applied once, refunds and fulfilment follow the
//! state machines, and nobody sees another person's order.

use std::time::Duration;

use flashstudio::catalog::{pricing, store as catalog_store};
use flashstudio::demo::{SeedOptions, seed};
use flashstudio::identity::model::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, Browser, SmtpSink, TestApp, eventually, location};

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery";

pub async fn shop(backend: Backend) -> TestApp {
    shop_with(TestApp::builder(backend)).await
}

pub async fn shop_with(builder: crate::support::TestAppBuilder) -> TestApp {
    let app = builder.spawn().await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .expect("demo content");
    app
}

pub async fn product_id(app: &TestApp, slug: &str) -> String {
    sqlx::query_scalar("select id from products where slug = $1")
        .bind(slug)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// Adds `quantity` of `slug` with its default options to `browser`'s cart.
pub async fn add(app: &TestApp, browser: &Browser, slug: &str, quantity: i64) {
    let id = product_id(app, slug).await;
    let offered = catalog_store::offered_for(app.state.db.pool(), &id)
        .await
        .unwrap();
    let selection = pricing::select(&offered, &[], true).unwrap();
    let q = quantity.to_string();
    let mut fields: Vec<(&str, &str)> = vec![("product", &id), ("quantity", &q)];
    for v in &selection.values {
        fields.push(("options", &v.id));
    }
    let resp = browser.post_form("/cart/add", &fields).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "add {slug}");
}

pub fn details(email: &str) -> Vec<(&str, &str)> {
    vec![
        ("email", email),
        ("name", "Bea Buyer"),
        ("phone", "+65 6123 4567"),
        ("line1", "1 Marina Way"),
        ("city", "Singapore"),
        ("postcode", "018989"),
        ("country", "Singapore"),
    ]
}

/// Places the cart's order; returns the gateway location.
pub async fn checkout(browser: &Browser, email: &str) -> String {
    let resp = browser.post_form("/checkout", &details(email)).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "checkout");
    location(&resp)
}

/// Presses a button on the dev gateway page; returns where it sends the browser.
pub async fn dev_gateway(browser: &Browser, page: &str, action: &str) -> String {
    let (status, _) = browser.get_text(page).await;
    assert_eq!(status, StatusCode::OK);
    let resp = browser.post_form(page, &[("action", action)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{action}");
    location(&resp)
}

async fn scalar_i64(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn text(app: &TestApp, sql: &str) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn emails_of_kind(app: &TestApp, kind: &str) -> i64 {
    sqlx::query_scalar("select count(*) from emails where kind = $1")
        .bind(kind)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn stock(app: &TestApp, slug: &str) -> Option<i64> {
    sqlx::query_scalar("select stock from products where slug = $1")
        .bind(slug)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// Signs `body` like Stripe with the app's webhook secret at `timestamp`.
pub fn signature(app: &TestApp, body: &str, timestamp: i64) -> String {
    let secret = app.state.gateway.webhook_secrets().remove(0);
    flashstudio::payments::webhook::sign(&secret, timestamp, body.as_bytes())
}

pub async fn post_event(app: &TestApp, body: &str, header: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/webhooks/stripe"))
        .header("stripe-signature", header)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// (order id, payment id, session id, amount) of the only order.
async fn the_order(app: &TestApp) -> (String, String, String, i64) {
    sqlx::query_as(
        "select o.id, p.id, p.session_id, p.amount_minor from orders o \
         join payments p on p.order_id = o.id order by o.number desc, p.attempt desc limit 1",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

fn session_event(
    id: &str,
    kind: &str,
    order: &(String, String, String, i64),
    paid: bool,
) -> String {
    json!({
        "id": id, "object": "event", "type": kind, "created": flashstudio::db::now(),
        "data": {"object": {
            "id": order.2, "object": "checkout.session", "client_reference_id": order.0,
            "metadata": {"order_id": order.0, "payment_id": order.1},
            "payment_status": if paid { "paid" } else { "unpaid" },
            "payment_intent": "pi_test_1", "amount_total": order.3, "currency": "sgd"
        }}
    })
    .to_string()
}

/// Add to cart → checkout → dev gateway → pay: the order is paid, the confirmation is in the
/// outbox, the cart is empty; the same cart placed twice made one order.
async fn dev_gateway_pay_flow(backend: Backend) {
    let app = shop(backend).await;
    let buyer = app.new_browser();
    add(&app, &buyer, "marina-bay-blue-hour", 2).await;
    let before = stock(&app, "marina-bay-blue-hour").await.unwrap();

    let (status, page) = buyer.get_text("/checkout").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Shipping address"),
        "prints ask for an address"
    );

    let gateway = checkout(&buyer, "bea@example.com").await;
    assert!(gateway.starts_with("/dev-gateway/cs_dev_"), "{gateway}");
    // Double submit and back button: the same order and the same checkout.
    assert_eq!(checkout(&buyer, "bea@example.com").await, gateway);
    assert_eq!(scalar_i64(&app, "select count(*) from orders").await, 1);
    assert_eq!(
        stock(&app, "marina-bay-blue-hour").await.unwrap(),
        before - 2,
        "stock held once"
    );
    let number = text(&app, "select number from orders").await;
    assert_eq!(number, "FS-000001");

    let back = dev_gateway(&buyer, &gateway, "pay").await;
    assert!(back.starts_with(&format!("/orders/{number}/")), "{back}");
    let (status, page) = buyer.get_text(&back).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Payment received"), "{page}");
    assert_eq!(text(&app, "select status from orders").await, "paid");
    assert_eq!(text(&app, "select status from payments").await, "paid");
    assert_eq!(emails_of_kind(&app, "order_confirmation").await, 1);
    let (_, cart) = buyer.get_text("/cart").await;
    assert!(
        cart.contains("Your cart is empty"),
        "bought lines leave the cart"
    );
    // Stock stays taken once paid.
    assert_eq!(
        stock(&app, "marina-bay-blue-hour").await.unwrap(),
        before - 2
    );
    // The gateway page is closed now.
    let (_, closed) = buyer.get_text(&gateway).await;
    assert!(closed.contains("This checkout is closed"));
    // The event went through the real webhook path and is stored once.
    assert_eq!(
        text(&app, "select outcome from webhook_events").await,
        "applied"
    );
}

/// Decline: payment failed, the email says so, the order waits; "Try again" opens attempt 2
/// which pays. Cancel: back to the cart, nothing lost.
async fn dev_gateway_decline_retry_and_cancel(backend: Backend) {
    let app = shop(backend).await;
    let buyer = app.new_browser();
    add(&app, &buyer, "kampong-glam-morning", 1).await;
    let gateway = checkout(&buyer, "dee@example.com").await;
    let back = dev_gateway(&buyer, &gateway, "decline").await;
    assert!(
        !back.contains("paid=1"),
        "a declined payment is not “paid”: {back}"
    );
    let (_, page) = buyer.get_text(&back).await;
    assert!(page.contains("The payment did not go through"), "{page}");
    assert_eq!(
        text(&app, "select status from orders").await,
        "pending_payment"
    );
    assert_eq!(text(&app, "select status from payments").await, "failed");
    assert_eq!(emails_of_kind(&app, "payment_failed").await, 1);

    // Try again: a second attempt with its own checkout, then pay.
    let base = back.split('?').next().unwrap().to_owned();
    let resp = buyer.post_form(&format!("{base}/pay"), &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let second = location(&resp);
    assert_ne!(second, gateway, "a new attempt has a new checkout");
    dev_gateway(&buyer, &second, "pay").await;
    assert_eq!(text(&app, "select status from orders").await, "paid");
    assert_eq!(
        scalar_i64(&app, "select count(*) from payments").await,
        2,
        "two attempts"
    );

    // Five declined attempts: the order is cancelled and its stock given back (one order
    // cannot keep stock off sale for ever by retrying).
    let stubborn = app.new_browser();
    add(&app, &stubborn, "first-dance", 1).await;
    let before = stock(&app, "first-dance").await.unwrap();
    let mut gateway = checkout(&stubborn, "stubborn@example.com").await;
    for attempt in 1..=5 {
        let back = dev_gateway(&stubborn, &gateway, "decline").await;
        let base = back.split('?').next().unwrap().to_owned();
        let resp = stubborn.post_form(&format!("{base}/pay"), &[]).await;
        gateway = location(&resp);
        if attempt == 5 {
            assert_eq!(gateway, base, "no sixth attempt");
        }
    }
    assert_eq!(
        text(
            &app,
            "select status from orders where email = 'stubborn@example.com'"
        )
        .await,
        "cancelled"
    );
    assert_eq!(
        stock(&app, "first-dance").await.unwrap(),
        before,
        "the hold came back"
    );
    // The cart still has the print: checking out again makes a new order.
    let fresh = checkout(&stubborn, "stubborn@example.com").await;
    assert!(fresh.starts_with("/dev-gateway/"));

    // Cancel returns to the cart with the cart intact.
    let other = app.new_browser();
    add(&app, &other, "control-room", 3).await;
    let gateway = checkout(&other, "cat@example.com").await;
    let back = dev_gateway(&other, &gateway, "cancel").await;
    assert_eq!(back, "/cart?payment=cancelled");
    let (_, cart) = other.get_text(&back).await;
    assert!(cart.contains("Payment cancelled"));
    assert!(
        cart.contains("Control Room") || cart.contains("control-room"),
        "{cart}"
    );
    // Checking out again reuses the pending order.
    assert_eq!(checkout(&other, "cat@example.com").await, gateway);
}

/// Bad and old signatures are refused with 400 and store nothing.
async fn webhook_signatures(backend: Backend) {
    let app = shop(backend).await;
    let body =
        r#"{"id":"evt_1","type":"checkout.session.completed","created":1,"data":{"object":{}}}"#;
    let now = flashstudio::db::now();
    for header in [
        "t=1,v1=00".to_owned(),
        signature(&app, &body.replace("evt_1", "evt_2"), now),
        signature(&app, body, now - 3600),
        signature(&app, body, now + 3600),
        String::new(),
    ] {
        let resp = post_event(&app, body, &header).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{header}");
        let json: serde_json::Value = resp.json().await.unwrap();
        assert!(json["error"].is_string());
    }
    assert_eq!(
        scalar_i64(&app, "select count(*) from webhook_events").await,
        0
    );
    // A valid signature on a body that is not an event: 400 too.
    let resp = post_event(&app, "[]", &signature(&app, "[]", now)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // Webhooks need no CSRF token; everything else does.
    let resp = app
        .post_form_raw("/checkout", &details("x@example.com"))
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

/// The same event 50 times, concurrently: the order moves once and one email is sent.
async fn duplicate_events_apply_once(backend: Backend) {
    let app = shop(backend).await;
    let buyer = app.new_browser();
    add(&app, &buyer, "first-dance", 1).await;
    checkout(&buyer, "dup@example.com").await;
    let order = the_order(&app).await;
    let body = session_event("evt_dup", "checkout.session.completed", &order, true);
    let header = signature(&app, &body, flashstudio::db::now());
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (url, body, header) = (app.url("/webhooks/stripe"), body.clone(), header.clone());
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .header("stripe-signature", header)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(
        scalar_i64(&app, "select count(*) from webhook_events").await,
        1
    );
    assert_eq!(text(&app, "select status from orders").await, "paid");
    assert_eq!(emails_of_kind(&app, "order_confirmation").await, 1);
    // And once more, later.
    let resp = post_event(&app, &body, &header).await;
    let json: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(json["duplicate"], true);
    assert_eq!(emails_of_kind(&app, "order_confirmation").await, 1);
}

/// `charge.refunded` before `checkout.session.completed`: deferred, then applied when the
/// payment is known; the end state is right.
async fn refund_before_completion(backend: Backend) {
    let app = shop(backend).await;
    let buyer = app.new_browser();
    add(&app, &buyer, "first-dance", 1).await;
    checkout(&buyer, "early@example.com").await;
    let order = the_order(&app).await;
    let now = flashstudio::db::now();
    let refunded = json!({
        "id": "evt_refund", "type": "charge.refunded", "created": now,
        "data": {"object": {
            "id": "ch_1", "object": "charge", "payment_intent": "pi_test_1",
            "amount": order.3, "amount_captured": order.3, "amount_refunded": order.3, "refunded": true,
            "refunds": {"object": "list", "data": [
                {"id": "re_1", "object": "refund", "amount": order.3, "status": "succeeded", "payment_intent": "pi_test_1"}
            ]}
        }}
    })
    .to_string();
    let resp = post_event(&app, &refunded, &signature(&app, &refunded, now)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        text(
            &app,
            "select outcome from webhook_events where id = 'evt_refund'"
        )
        .await,
        "deferred"
    );
    let completed = session_event("evt_done", "checkout.session.completed", &order, true);
    let resp = post_event(&app, &completed, &signature(&app, &completed, now)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(text(&app, "select status from orders").await, "paid");
    assert_eq!(text(&app, "select status from payments").await, "refunded");
    assert_eq!(
        text(
            &app,
            "select outcome from webhook_events where id = 'evt_refund'"
        )
        .await,
        "applied"
    );
    assert_eq!(text(&app, "select status from refunds").await, "succeeded");
    assert_eq!(emails_of_kind(&app, "refund_issued").await, 1);
    // A late, stale "unpaid" completion or failure changes nothing now.
    let failed = session_event(
        "evt_late",
        "checkout.session.async_payment_failed",
        &order,
        false,
    );
    post_event(&app, &failed, &signature(&app, &failed, now)).await;
    assert_eq!(text(&app, "select status from payments").await, "refunded");
}

/// 200 concurrent checkouts of a print with 5 in stock: 5 orders hold stock, 195 hear
/// "sold out"; expired orders give the stock back.
async fn two_hundred_checkouts_for_five_prints(backend: Backend) {
    // Two hundred customers, each from an address of its own (a proxy of ours reports it).
    let app = shop_with(TestApp::builder(backend).var("TRUST_PROXY_HEADERS", "true")).await;
    sqlx::query("update products set stock = 200 where slug = 'launch-night-confetti'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let mut browsers = Vec::new();
    for i in 0..200 {
        let b = app.browser_from(&format!("198.51.100.{}", i + 1));
        add(&app, &b, "launch-night-confetti", 1).await;
        browsers.push(b);
    }
    sqlx::query("update products set stock = 5 where slug = 'launch-night-confetti'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for (i, b) in browsers.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let email = format!("buyer{i}@example.com");
            let token = b.csrf().await;
            let mut fields = details(&email);
            fields.push(("csrf_token", &token));
            let resp = b.post_form_raw("/checkout", &fields).await;
            let status = resp.status();
            (status, resp.text().await.unwrap())
        }));
    }
    let (mut placed, mut sold_out) = (0, 0);
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            StatusCode::SEE_OTHER => placed += 1,
            StatusCode::CONFLICT => {
                assert!(body.contains("sold out"), "clear message: {body}");
                sold_out += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((placed, sold_out), (5, 195));
    assert_eq!(stock(&app, "launch-night-confetti").await, Some(0));
    assert_eq!(scalar_i64(&app, "select count(*) from orders").await, 5);
    assert_eq!(
        scalar_i64(
            &app,
            "select cast(coalesce(sum(held), 0) as bigint) from order_lines"
        )
        .await,
        5
    );

    // Nothing expires before its hold ends; afterwards every hold comes back, once.
    let now = flashstudio::db::now();
    assert_eq!(
        flashstudio::orders::expire_due(&app.state, now)
            .await
            .unwrap(),
        0
    );
    let later = now + 31 * 60 + flashstudio::orders::EXPIRY_GRACE_SECS;
    assert_eq!(
        flashstudio::orders::expire_due(&app.state, later)
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        flashstudio::orders::expire_due(&app.state, later)
            .await
            .unwrap(),
        0
    );
    assert_eq!(stock(&app, "launch-night-confetti").await, Some(5));
    assert_eq!(
        scalar_i64(&app, "select count(*) from orders where status = 'expired'").await,
        5
    );
    assert_eq!(
        scalar_i64(
            &app,
            "select count(*) from payments where status = 'failed'"
        )
        .await,
        5
    );
}

/// Two tabs submit the same cart at once: one order.
async fn two_tabs_make_one_order(backend: Backend) {
    let app = shop(backend).await;
    let buyer = app.new_browser();
    add(&app, &buyer, "hawker-heroes", 2).await;
    let token = buyer.csrf().await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let b = buyer.at(&buyer.base);
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let mut fields = details("tabs@example.com");
            fields.push(("csrf_token", &token));
            let resp = b.post_form_raw("/checkout", &fields).await;
            (resp.status(), location(&resp))
        }));
    }
    let mut locations = Vec::new();
    for t in tasks {
        let (status, loc) = t.await.unwrap();
        assert_eq!(status, StatusCode::SEE_OTHER);
        locations.push(loc);
    }
    locations.dedup();
    assert_eq!(locations.len(), 1, "{locations:?}");
    assert_eq!(scalar_i64(&app, "select count(*) from orders").await, 1);
    assert_eq!(scalar_i64(&app, "select count(*) from payments").await, 1);
    // A changed cart replaces the pending order and gives its hold back.
    let before = stock(&app, "hawker-heroes").await.unwrap();
    add(&app, &buyer, "hawker-heroes", 1).await;
    checkout(&buyer, "tabs@example.com").await;
    assert_eq!(
        scalar_i64(
            &app,
            "select count(*) from orders where status = 'pending_payment'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(
            &app,
            "select count(*) from orders where status = 'cancelled'"
        )
        .await,
        1
    );
    assert_eq!(stock(&app, "hawker-heroes").await.unwrap(), before + 2 - 3);
}

/// Nobody sees or pays another person's order; the link needs its key; accounts list only
/// their own orders.
async fn orders_are_private(backend: Backend) {
    let app = shop(backend).await;
    let alice = app.new_browser();
    alice.register("alice@example.com", PASSWORD).await;
    add(&app, &alice, "studio-cove", 1).await;
    let (_, page) = alice.get_text("/checkout").await;
    assert!(page.contains("alice@example.com"), "email prefilled");
    let gateway = checkout(&alice, "alice@example.com").await;
    let link = dev_gateway(&alice, &gateway, "pay").await;
    let link = link.split('?').next().unwrap().to_owned();
    let number = text(&app, "select number from orders").await;

    // Her own pages.
    let (status, list) = alice.get_text("/account/orders").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&number));
    assert_eq!(
        alice.get(&format!("/orders/{number}")).await.status(),
        StatusCode::OK
    );

    // Bob (signed in) and a guest.
    let bob = app.new_browser();
    bob.register("bob@example.com", PASSWORD).await;
    assert_eq!(
        bob.get(&format!("/orders/{number}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let (_, bobs) = bob.get_text("/account/orders").await;
    assert!(!bobs.contains(&number));
    let guest = app.new_browser();
    let resp = guest.get(&format!("/orders/{number}")).await;
    assert!(
        matches!(
            resp.status(),
            StatusCode::SEE_OTHER | StatusCode::UNAUTHORIZED
        ),
        "{}",
        resp.status()
    );
    for path in [
        format!("/orders/{number}/not-the-key"),
        format!("/orders/{number}/{}", "A".repeat(43)),
        format!("/orders/FS-999999/{}", link.rsplit('/').next().unwrap()),
        format!("/orders/{number}/not-the-key/status"),
    ] {
        assert_eq!(
            guest.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let resp = guest
        .post_form(&format!("/orders/{number}/wrong/pay"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // The link itself works for anyone holding it (it is in the confirmation email).
    assert_eq!(guest.get(&link).await.status(), StatusCode::OK);
    // Customers cannot reach the admin's order pages.
    let order_id = text(&app, "select id from orders").await;
    assert_eq!(
        alice
            .get(&format!("/admin/order/{order_id}"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let resp = alice
        .post_form(
            &format!("/admin/order/{order_id}/refund"),
            &[("amount", "1"), ("reason", "x")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

/// A digital order fulfils itself and emails expiring, count-limited download links.
async fn digital_delivery(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let app = shop_with(
        TestApp::builder(backend)
            .smtp(smtp.port)
            .var("DOWNLOAD_LINK_MAX_USES", "2"),
    )
    .await;
    let buyer = app.new_browser();
    add(&app, &buyer, "cinematic-luts", 1).await;
    let (_, page) = buyer.get_text("/checkout").await;
    assert!(!page.contains("Shipping address"), "nothing ships");
    let resp = buyer
        .post_form(
            "/checkout",
            &[("email", "dl@example.com"), ("name", "Dee Ell")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    dev_gateway(&buyer, &location(&resp), "pay").await;
    assert_eq!(text(&app, "select status from orders").await, "fulfilled");
    assert_eq!(emails_of_kind(&app, "downloads_ready").await, 1);
    let mail = smtp
        .wait_for("dl@example.com", "downloads", Duration::from_secs(15))
        .await;
    let start = mail.text.find("/downloads/").expect("a download link");
    let path: String = mail.text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    // The page's URL is the secret: it must not leak to the sites it links to.
    let resp = buyer.get(&path).await;
    assert_eq!(
        resp.headers()["referrer-policy"],
        "no-referrer",
        "the route's own policy wins over the site-wide default"
    );
    // Looking at the link (a mail scanner, a preview) spends nothing.
    for _ in 0..3 {
        let (status, page) = buyer.get_text(&path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("Cinematic LUT Pack") && page.contains("2 more times"),
            "{page}"
        );
    }
    for _ in 0..2 {
        let resp = buyer.post_form(&path, &[]).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "a use");
        let file = buyer.get(&location(&resp).replace(&app.base, "")).await;
        assert_eq!(file.status(), StatusCode::OK);
        assert!(file.bytes().await.unwrap().starts_with(b"%PDF"));
    }
    assert_eq!(
        buyer.post_form(&path, &[]).await.status(),
        StatusCode::GONE,
        "used up"
    );
    assert_eq!(buyer.get(&path).await.status(), StatusCode::GONE);
    assert_eq!(
        buyer.get("/downloads/nonsense").await.status(),
        StatusCode::GONE
    );
    // A refunded order's links stop working, fresh ones included.
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let admin = app.new_browser();
    admin.login(ADMIN, PASSWORD).await;
    let order_id = text(&app, "select id from orders").await;
    let resp = admin
        .post_form(&format!("/admin/order/{order_id}/resend"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let fresh = eventually("fresh links", Duration::from_secs(15), || async {
        let mails = smtp.received();
        let links: Vec<String> = mails
            .iter()
            .filter(|m| m.to.contains("dl@example.com") && m.subject.contains("downloads"))
            .filter_map(|m| {
                let start = m.text.find("/downloads/")?;
                Some(
                    m.text[start..]
                        .chars()
                        .take_while(|c| !c.is_whitespace())
                        .collect(),
                )
            })
            .filter(|p: &String| *p != path)
            .collect();
        links.into_iter().next()
    })
    .await;
    assert_eq!(
        buyer.get(&fresh).await.status(),
        StatusCode::OK,
        "resent links work"
    );
    let total = scalar_i64(&app, "select total_minor from orders").await;
    let amount = format!("{}.{:02}", total / 100, total % 100);
    let resp = admin
        .post_form(
            &format!("/admin/order/{order_id}/refund"),
            &[
                ("amount", &amount),
                ("reason", "Wrong pack"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(text(&app, "select status from payments").await, "refunded");
    assert_eq!(buyer.get(&fresh).await.status(), StatusCode::GONE);
    assert_eq!(
        buyer.post_form(&fresh, &[]).await.status(),
        StatusCode::GONE
    );
    // The outbox keeps no working link once sent.
    eventually("the body is redacted", Duration::from_secs(10), || async {
        let body = text(
            &app,
            "select text_body from emails where kind = 'downloads_ready'",
        )
        .await;
        body.contains("/downloads/[redacted]").then_some(())
    })
    .await;
    // The confirmation went through the real SMTP server too, and its link opens the order
    // for a guest in any browser (no account, no cookie).
    let confirmation = smtp
        .wait_for("dl@example.com", "confirmed", Duration::from_secs(15))
        .await;
    let start = confirmation.text.find(&app.base).expect("an absolute link");
    let link: String = confirmation.text[start + app.base.len()..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(link.starts_with("/orders/FS-"), "{link}");
    let stranger = app.new_browser();
    let (status, page) = stranger.get_text(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Cinematic LUT Pack"));
}

/// Admin: only allowed moves; ship with a tracking note; refunds partial then the rest;
/// over-refunds refused; webhook events listed and an error replayed.
async fn admin_fulfils_and_refunds(backend: Backend) {
    let app = shop(backend).await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let admin = app.new_browser();
    admin.login(ADMIN, PASSWORD).await;

    let buyer = app.new_browser();
    add(&app, &buyer, "marina-bay-blue-hour", 1).await;
    let gateway = checkout(&buyer, "ship@example.com").await;
    let order_id = text(&app, "select id from orders").await;
    let path = format!("/admin/order/{order_id}");

    // Pending: shipping is refused by the state machine; no refund form.
    let resp = admin
        .post_form(&format!("{path}/ship"), &[("tracking", "x")])
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let (_, page) = admin.get_text(&path).await;
    assert!(page.contains("Cancel order"));
    assert!(!page.contains("Mark shipped"));

    dev_gateway(&buyer, &gateway, "pay").await;
    let (_, page) = admin.get_text(&path).await;
    assert!(page.contains("Mark shipped") && !page.contains("Cancel order"));
    let (status, list) = admin.get_text("/admin/orders?f.status=paid").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("FS-000001"));
    let (_, list) = admin.get_text("/admin/orders?f.status=fulfilled").await;
    assert!(!list.contains("FS-000001"), "filtered by status");
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let (_, list) = admin
        .get_text(&format!(
            "/admin/orders?f.created_at.from={today}&f.created_at.to={today}"
        ))
        .await;
    assert!(list.contains("FS-000001"), "placed today");
    assert!(
        list.contains(&format!("value=\"{today}\"")),
        "the range is kept in the form"
    );
    let (_, list) = admin
        .get_text("/admin/orders?f.created_at.to=2020-01-31")
        .await;
    assert!(!list.contains("FS-000001"), "filtered by date");
    let (status, _) = admin
        .get_text("/admin/orders?f.created_at.from=yesterday")
        .await;
    assert_eq!(status, StatusCode::OK, "a bad date is ignored");
    let (_, list) = admin.get_text("/admin/orders?q=ship%40example").await;
    assert!(list.contains("FS-000001"), "search by customer");

    let total = scalar_i64(&app, "select total_minor from orders").await;
    let part = format!("{}.00", total / 100 / 2);
    // One click is not a refund: the form leads to a confirmation with the amount, the
    // customer and the reason, and only its button refunds.
    let resp = admin
        .post_form(
            &format!("{path}/refund"),
            &[("amount", &part), ("reason", "Damaged corner")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains(&format!("Refund S${part}?"))
            && page.contains("Damaged corner")
            && page.contains("ship@example.com")
            && page.contains(r#"name="confirm" value="1""#),
        "{page}"
    );
    assert_eq!(scalar_i64(&app, "select count(*) from refunds").await, 0);
    let resp = admin
        .post_form(
            &format!("{path}/refund"),
            &[
                ("amount", &part),
                ("reason", "Damaged corner"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        text(&app, "select status from payments").await,
        "partially_refunded"
    );
    // More than what is left: refused, nothing written.
    let resp = admin
        .post_form(
            &format!("{path}/refund"),
            &[("amount", "100000"), ("reason", "Too much")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("can still be refunded"));
    let resp = admin
        .post_form(
            &format!("{path}/refund"),
            &[("amount", "abc"), ("reason", "")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(scalar_i64(&app, "select count(*) from refunds").await, 1);
    // The rest.
    let left = total - total / 100 / 2 * 100;
    let rest = format!("{}.{:02}", left / 100, left % 100);
    let resp = admin
        .post_form(
            &format!("{path}/refund"),
            &[
                ("amount", &rest),
                ("reason", "Order cancelled"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(text(&app, "select status from payments").await, "refunded");
    assert_eq!(
        scalar_i64(
            &app,
            "select count(*) from refunds where status = 'succeeded'"
        )
        .await,
        2
    );
    assert_eq!(
        scalar_i64(&app, "select refunded_minor from payments").await,
        total
    );
    assert_eq!(emails_of_kind(&app, "refund_issued").await, 2);
    let keys: Vec<(i64,)> = sqlx::query_as("select seq from refunds order by seq")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(keys, vec![(1,), (2,)]);

    // Ship with a tracking note: fulfilled, emailed, audited.
    let resp = admin
        .post_form(
            &format!("{path}/ship"),
            &[("tracking", "SingPost RR123456789SG")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(text(&app, "select status from orders").await, "fulfilled");
    assert_eq!(emails_of_kind(&app, "order_shipped").await, 1);
    let resp = admin
        .post_form(&format!("{path}/ship"), &[("tracking", "again")])
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT, "fulfilled is terminal");
    assert!(
        scalar_i64(
            &app,
            "select count(*) from audit_log where entity = 'order'"
        )
        .await
            >= 3
    );
    // The staff note is edited inline (version-checked); the status is not editable there.
    let version = scalar_i64(&app, "select version from orders")
        .await
        .to_string();
    let resp = admin
        .post_form(
            &format!("/admin/orders/{order_id}/staff_note"),
            &[
                ("value", "Gift wrap, handle with care"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        text(&app, "select staff_note from orders").await,
        "Gift wrap, handle with care"
    );
    let resp = admin
        .post_form(
            &format!("/admin/orders/{order_id}/status"),
            &[("value", "paid"), ("version", "1")],
        )
        .await;
    assert!(
        resp.status().is_client_error(),
        "status is not an inline field: {}",
        resp.status()
    );
    assert_eq!(text(&app, "select status from orders").await, "fulfilled");
    // Resend the confirmation.
    let resp = admin.post_form(&format!("{path}/resend"), &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(emails_of_kind(&app, "order_confirmation").await, 2);

    // An event about an unknown session is stored as an error, listed, and replayable.
    let now = flashstudio::db::now();
    let stray = json!({"id": "evt_stray", "type": "checkout.session.completed", "created": now,
        "data": {"object": {"id": "cs_unknown", "payment_status": "paid"}}})
    .to_string();
    let resp = post_event(&app, &stray, &signature(&app, &stray, now)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (status, events) = admin.get_text("/admin/webhooks?outcome=error").await;
    assert_eq!(status, StatusCode::OK);
    assert!(events.contains("evt_stray"));
    let resp = admin
        .post_form("/admin/webhooks/evt_stray/replay", &[])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        scalar_i64(
            &app,
            "select attempts from webhook_events where id = 'evt_stray'"
        )
        .await,
        2
    );
    let (status, _) = admin.get_text("/admin/webhooks/evt_stray").await;
    assert_eq!(status, StatusCode::OK);
}

/// The success page polls the payment status until it settles; the fragment asks htmx to
/// reload once it has.
async fn success_page_polls_until_paid(backend: Backend) {
    let app = shop(backend).await;
    let buyer = app.new_browser();
    add(&app, &buyer, "studio-cove", 1).await;
    checkout(&buyer, "poll@example.com").await;
    let order = the_order(&app).await;
    let number = text(&app, "select number from orders").await;
    let key = flashstudio::orders::access_key(&app.state, &order.0);
    let link = format!("/orders/{number}/{key}");
    let (_, page) = buyer.get_text(&format!("{link}?paid=1")).await;
    assert!(
        page.contains("hx-trigger=\"every 2s\""),
        "polls while waiting"
    );
    let resp = buyer
        .client
        .get(buyer.url(&format!("{link}/status")))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("hx-refresh").is_none());
    let body = session_event("evt_paid", "checkout.session.completed", &order, true);
    post_event(&app, &body, &signature(&app, &body, flashstudio::db::now())).await;
    eventually("status settles", Duration::from_secs(5), || async {
        let resp = buyer
            .client
            .get(buyer.url(&format!("{link}/status")))
            .header("hx-request", "true")
            .send()
            .await
            .unwrap();
        resp.headers().get("hx-refresh").map(|_| ())
    })
    .await;
    let (_, page) = buyer.get_text(&format!("{link}?paid=1")).await;
    assert!(!page.contains("every 2s"), "no polling once paid");
}

on_both_backends!(
    dev_gateway_pay_flow,
    dev_gateway_decline_retry_and_cancel,
    webhook_signatures,
    duplicate_events_apply_once,
    refund_before_completion,
    two_hundred_checkouts_for_five_prints,
    two_tabs_make_one_order,
    orders_are_private,
    digital_delivery,
    admin_fulfils_and_refunds,
    success_page_polls_until_paid,
    login_between_placing_and_paying,
    expiry_and_payment_race,
    concurrent_refunds_stay_within_the_capture,
    delayed_payment_keeps_its_hold,
    checkout_spam_is_rate_limited,
    unpaid_orders_cannot_hoard_stock,
    checkout_refuses_addresses_the_mailer_cannot_send_to,
    underpaid_capture_neither_pays_nor_fulfils,
    the_order_page_says_what_happened,
);

/// A guest who logs in between placing and paying keeps one order, and paying empties the
/// account's cart; checking out again after a decline opens a new attempt.
async fn login_between_placing_and_paying(backend: Backend) {
    let app = shop(backend).await;
    app.create_user("lia@example.com", PASSWORD, Role::Customer)
        .await;
    let buyer = app.new_browser();
    add(&app, &buyer, "studio-cove", 1).await;
    let first = checkout(&buyer, "lia@example.com").await;
    buyer.login("lia@example.com", PASSWORD).await;
    let again = checkout(&buyer, "lia@example.com").await;
    assert_eq!(again, first, "the same order and checkout after login");
    assert_eq!(scalar_i64(&app, "select count(*) from orders").await, 1);
    let back = dev_gateway(&buyer, &again, "decline").await;
    assert!(back.contains("/orders/"));
    // Checking out again: the declined attempt is followed by a new one.
    let retry = checkout(&buyer, "lia@example.com").await;
    assert_ne!(retry, first);
    dev_gateway(&buyer, &retry, "pay").await;
    assert_eq!(text(&app, "select status from orders").await, "paid");
    let (_, cart) = buyer.get_text("/cart").await;
    assert!(
        cart.contains("Your cart is empty"),
        "the account's cart was emptied"
    );
    let (_, orders) = buyer.get_text("/account/orders").await;
    assert!(
        orders.contains("FS-000001"),
        "the order belongs to the account now"
    );
}

/// The expiry job and a late payment race for one order, many times: every run ends in one
/// consistent state. Either the payment won (order paid, stock kept) or the expiry did (order
/// expired, stock back once, the payment still recorded and the order flagged for staff).
async fn expiry_and_payment_race(backend: Backend) {
    // No in-process worker: its scheduler looks every 30 s and enqueues the expiry job once
    // a minute, so a test still running half a minute after start (under load) had that job
    // expire an order before the test's own expiry did (seen once in 20 loops).
    let app = shop_with(TestApp::builder(backend).var("RUN_WORKER", "false")).await;
    for round in 0..8 {
        let buyer = app.new_browser();
        add(&app, &buyer, "hawker-heroes", 1).await;
        let before = stock(&app, "hawker-heroes").await.unwrap();
        checkout(&buyer, &format!("race{round}@example.com")).await;
        let order = the_order(&app).await;
        // The hold ended long ago.
        sqlx::query("update orders set hold_expires_at = 1 where id = $1")
            .bind(&order.0)
            .execute(app.state.db.pool())
            .await
            .unwrap();
        let body = session_event(
            &format!("evt_race_{round}"),
            "checkout.session.completed",
            &order,
            true,
        );
        let header = signature(&app, &body, flashstudio::db::now());
        let state = app.state.clone();
        let expire = tokio::spawn(async move {
            flashstudio::orders::expire_due(&state, flashstudio::db::now())
                .await
                .unwrap()
        });
        let deliver = post_event(&app, &body, &header);
        let (expired, resp) = tokio::join!(expire, deliver);
        assert_eq!(resp.status(), StatusCode::OK);
        let expired = expired.unwrap();
        let (status, attention): (String, Option<String>) =
            sqlx::query_as("select status, attention from orders where id = $1")
                .bind(&order.0)
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        let payment: String = sqlx::query_scalar("select status from payments where order_id = $1")
            .bind(&order.0)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        assert_eq!(payment, "paid", "the money is recorded either way");
        let left = stock(&app, "hawker-heroes").await.unwrap();
        match status.as_str() {
            "paid" => {
                assert_eq!(expired, 0);
                assert!(attention.is_none());
                assert_eq!(left, before - 1, "stock kept for the paid order");
            }
            "expired" => {
                assert_eq!(expired, 1);
                assert!(attention.unwrap().contains("after the order was expired"));
                assert_eq!(left, before, "stock back once");
            }
            other => panic!("unexpected order status {other}"),
        }
        // Clear the cart for the next round.
        sqlx::query("delete from cart_lines")
            .execute(app.state.db.pool())
            .await
            .unwrap();
    }
}

/// Two staff members refund at once, more than was captured between them: one refund goes
/// through, the other is refused; nothing is refunded twice.
async fn concurrent_refunds_stay_within_the_capture(backend: Backend) {
    let app = shop(backend).await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    app.create_user("second@example.com", PASSWORD, Role::Admin)
        .await;
    let (one, two) = (app.new_browser(), app.new_browser());
    one.login(ADMIN, PASSWORD).await;
    two.login("second@example.com", PASSWORD).await;
    let buyer = app.new_browser();
    add(&app, &buyer, "marina-bay-blue-hour", 1).await;
    let gateway = checkout(&buyer, "refund-race@example.com").await;
    dev_gateway(&buyer, &gateway, "pay").await;
    let order_id = text(&app, "select id from orders").await;
    let total = scalar_i64(&app, "select total_minor from orders").await;
    let most = format!("{}.00", total / 100 - 1);
    let path = format!("/admin/order/{order_id}/refund");
    let (t1, t2) = (one.csrf().await, two.csrf().await);
    let form_a = [
        ("amount", most.as_str()),
        ("reason", "A"),
        ("confirm", "1"),
        ("csrf_token", &t1),
    ];
    let form_b = [
        ("amount", most.as_str()),
        ("reason", "B"),
        ("confirm", "1"),
        ("csrf_token", &t2),
    ];
    let (a, b) = tokio::join!(
        one.post_form_raw(&path, &form_a),
        two.post_form_raw(&path, &form_b),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY]
    );
    assert_eq!(scalar_i64(&app, "select count(*) from refunds").await, 1);
    assert_eq!(
        text(&app, "select status from payments").await,
        "partially_refunded"
    );
}

/// A checkout completed with a delayed method (a bank debit) keeps its hold while the money is
/// on its way: the expiry job skips it, staff cannot cancel it, and the success event pays it.
async fn delayed_payment_keeps_its_hold(backend: Backend) {
    let app = shop(backend).await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let admin = app.new_browser();
    admin.login(ADMIN, PASSWORD).await;
    let buyer = app.new_browser();
    add(&app, &buyer, "studio-cove", 1).await;
    checkout(&buyer, "debit@example.com").await;
    let order = the_order(&app).await;
    let held = stock(&app, "studio-cove").await.unwrap();
    let completed = session_event("evt_debit_1", "checkout.session.completed", &order, false);
    post_event(
        &app,
        &completed,
        &signature(&app, &completed, flashstudio::db::now()),
    )
    .await;
    assert_eq!(text(&app, "select status from payments").await, "unpaid");
    sqlx::query("update orders set hold_expires_at = 1")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let now = flashstudio::db::now();
    assert_eq!(
        flashstudio::orders::expire_due(&app.state, now)
            .await
            .unwrap(),
        0
    );
    let resp = admin
        .post_form(&format!("/admin/order/{}/cancel", order.0), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(
        stock(&app, "studio-cove").await.unwrap(),
        held,
        "still held"
    );
    let succeeded = session_event(
        "evt_debit_2",
        "checkout.session.async_payment_succeeded",
        &order,
        true,
    );
    post_event(&app, &succeeded, &signature(&app, &succeeded, now)).await;
    assert_eq!(text(&app, "select status from orders").await, "paid");
    assert_eq!(emails_of_kind(&app, "order_confirmation").await, 1);
    // Operators count one capture, when the money came, not when the checkout completed.
    let (_, metrics) = app.get_text("/metrics").await;
    assert!(
        metrics.contains(r#"flashstudio_payments_total{event="captured"} 1"#),
        "{metrics}"
    );
}

/// One client placing orders as fast as it can: the first `CHECKOUT_LIMIT_PER_CLIENT` (20 an
/// hour) go through, the rest get 429 with a `Retry-After`; one email address from many
/// clients is stopped at `CHECKOUT_LIMIT_PER_EMAIL` (10 an hour).
async fn checkout_spam_is_rate_limited(backend: Backend) {
    let app = shop_with(TestApp::builder(backend).var("TRUST_PROXY_HEADERS", "true")).await;
    let (mut placed, mut limited) = (0, 0);
    for i in 0..50 {
        let spammer = app.browser_from("203.0.113.66");
        add(&app, &spammer, "cinematic-luts", 1).await;
        let email = format!("spam{i}@example.com");
        let resp = spammer.post_form("/checkout", &details(&email)).await;
        match resp.status() {
            StatusCode::SEE_OTHER => placed += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(resp.headers().contains_key("retry-after"));
                limited += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((placed, limited), (20, 30), "per client");
    assert_eq!(scalar_i64(&app, "select count(*) from orders").await, 20);

    // One address, many clients.
    let (mut placed, mut limited) = (0, 0);
    for i in 0..15 {
        let b = app.browser_from(&format!("198.51.100.{}", i + 1));
        add(&app, &b, "cinematic-luts", 1).await;
        let resp = b.post_form("/checkout", &details("Same@Example.com")).await;
        match resp.status() {
            StatusCode::SEE_OTHER => placed += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((placed, limited), (10, 5), "per email, whatever its case");
    // A real customer elsewhere is not affected.
    let buyer = app.browser_from("192.0.2.10");
    add(&app, &buyer, "cinematic-luts", 1).await;
    checkout(&buyer, "real@example.com").await;
}

/// Unpaid orders of one client, or of one email address, hold at most
/// `UNPAID_UNITS_PER_PRODUCT` (5) units of a product: a guest cannot keep a print off sale by
/// ordering all of it and never paying.
async fn unpaid_orders_cannot_hoard_stock(backend: Backend) {
    let app = shop_with(TestApp::builder(backend).var("TRUST_PROXY_HEADERS", "true")).await;
    sqlx::query("update products set stock = 8 where slug = 'launch-night-confetti'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let hoarder = app.browser_from("203.0.113.7");
    add(&app, &hoarder, "launch-night-confetti", 8).await;
    let resp = hoarder
        .post_form("/checkout", &details("hoard@example.com"))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let page = resp.text().await.unwrap();
    assert!(page.contains("at most 5"), "{page}");
    assert_eq!(stock(&app, "launch-night-confetti").await, Some(8));

    // Five is allowed, unpaid.
    let hoarder = app.browser_from("203.0.113.7");
    add(&app, &hoarder, "launch-night-confetti", 5).await;
    checkout(&hoarder, "hoard@example.com").await;
    assert_eq!(stock(&app, "launch-night-confetti").await, Some(3));
    // One more from the same client under another email, or from elsewhere under the same
    // email: refused while the first is unpaid.
    for (ip, email) in [
        ("203.0.113.7", "other@example.com"),
        ("198.51.100.99", "HOARD@example.com"),
    ] {
        let b = app.browser_from(ip);
        add(&app, &b, "launch-night-confetti", 1).await;
        let resp = b.post_form("/checkout", &details(email)).await;
        assert_eq!(resp.status(), StatusCode::CONFLICT, "{ip} {email}");
        let page = resp.text().await.unwrap();
        assert!(page.contains("You already have 5"), "{page}");
    }
    // A real buyer still finds the rest on sale.
    let buyer = app.browser_from("192.0.2.20");
    add(&app, &buyer, "launch-night-confetti", 2).await;
    checkout(&buyer, "buyer@example.com").await;
    assert_eq!(stock(&app, "launch-night-confetti").await, Some(1));
}

/// An address the mailer cannot send to is refused at checkout with the mailer's own parser
/// (the confirmation would otherwise fail), and nothing is placed.
async fn checkout_refuses_addresses_the_mailer_cannot_send_to(backend: Backend) {
    let app = shop(backend).await;
    let buyer = app.new_browser();
    add(&app, &buyer, "cinematic-luts", 1).await;
    for bad in [
        "\"john smith\"@example.com",
        "john@[127.0.0.1]",
        "a,b@example.com",
    ] {
        let resp = buyer.post_form("/checkout", &details(bad)).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let page = resp.text().await.unwrap();
        assert!(page.contains("Enter a valid email address"), "{page}");
    }
    assert_eq!(scalar_i64(&app, "select count(*) from orders").await, 0);
    // The same parser lets a real address through.
    checkout(&buyer, "O'Brien+films@Example.co.uk").await;
}

/// A signed `checkout.session.completed` for S$0.01 (or in another currency) on a digital
/// order: the payment is recorded, but the order is not paid, nothing is delivered, staff are
/// flagged and emailed, the expiry job keeps the order for them, and they can refund it.
async fn underpaid_capture_neither_pays_nor_fulfils(backend: Backend) {
    let app = shop_with(TestApp::builder(backend).var("STAFF_EMAIL", "staff@example.com")).await;
    for (n, (amount, currency)) in [(1, "sgd"), (0, "usd")].into_iter().enumerate() {
        let buyer = app.new_browser();
        add(&app, &buyer, "cinematic-luts", 1).await;
        let gateway = checkout(&buyer, &format!("under{n}@example.com")).await;
        let mut order = the_order(&app).await;
        let expected = order.3;
        if amount > 0 {
            order.3 = amount;
        }
        let body = session_event(
            &format!("evt_under{n}"),
            "checkout.session.completed",
            &order,
            true,
        )
        .replace("\"sgd\"", &format!("\"{currency}\""));
        let resp = post_event(&app, &body, &signature(&app, &body, flashstudio::db::now())).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let (status, attention): (String, Option<String>) =
            sqlx::query_as("select status, attention from orders where id = $1")
                .bind(&order.0)
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        assert_eq!(status, "pending_payment", "not paid by {amount} {currency}");
        let note = attention.expect("flagged for staff");
        assert!(note.contains("not marked paid"), "{note}");
        let (payment_status, captured): (String, i64) =
            sqlx::query_as("select status, captured_minor from payments where id = $1")
                .bind(&order.1)
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        assert_eq!(payment_status, "paid", "the money that came in is recorded");
        let expect_captured = if amount > 0 { amount } else { expected };
        assert_eq!(captured, expect_captured);
        assert!(gateway.starts_with("/dev-gateway/"));
    }
    assert_eq!(emails_of_kind(&app, "order_confirmation").await, 0);
    assert_eq!(emails_of_kind(&app, "downloads_ready").await, 0);
    assert_eq!(scalar_i64(&app, "select count(*) from downloads").await, 0);
    assert_eq!(emails_of_kind(&app, "order_attention").await, 2);

    // The expiry job keeps them for staff.
    let later = flashstudio::db::now() + 2 * 3600;
    assert_eq!(
        flashstudio::orders::expire_due(&app.state, later)
            .await
            .unwrap(),
        0
    );
    // The customer's page says what happened and offers no second payment.
    let order_id = text(
        &app,
        "select id from orders where email = 'under0@example.com'",
    )
    .await;
    let order = flashstudio::orders::store::find(app.state.db.pool(), &order_id)
        .await
        .unwrap()
        .unwrap();
    let link = flashstudio::orders::order_path(&app.state, &order);
    let buyer = app.new_browser();
    let (status, page) = buyer.get_text(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("does not match this order"), "{page}");
    assert!(!page.contains("Pay now") && !page.contains("Payment received"));

    // Staff refund it; then it may expire and give its stock back.
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let admin = app.new_browser();
    admin.login(ADMIN, PASSWORD).await;
    let resp = admin
        .post_form(
            &format!("/admin/order/{order_id}/refund"),
            &[
                ("amount", "0.01"),
                ("reason", "Underpaid"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        text(
            &app,
            &format!("select status from payments where order_id = '{order_id}'")
        )
        .await,
        "refunded"
    );
    assert_eq!(
        flashstudio::orders::expire_due(&app.state, later)
            .await
            .unwrap(),
        1
    );
}

/// The order page after payment: one status badge, times in the studio's zone (Singapore by
/// default), the sums that were charged, "on its way" only right after paying, and a Download
/// button on a paid digital line that spends a use like the emailed link.
async fn the_order_page_says_what_happened(backend: Backend) {
    let app = shop_with(TestApp::builder(backend).var("DOWNLOAD_LINK_MAX_USES", "2")).await;
    let buyer = app.new_browser();
    add(&app, &buyer, "cinematic-luts", 1).await;
    let gateway = checkout(&buyer, "page@example.com").await;
    let back = dev_gateway(&buyer, &gateway, "pay").await;
    assert!(back.ends_with("?paid=1"));
    let (_, page) = buyer.get_text(&back).await;
    assert!(page.contains("A confirmation is on its way"), "{page}");
    let base = back.trim_end_matches("?paid=1").to_owned();
    let (_, page) = buyer.get_text(&base).await;
    assert!(!page.contains("on its way"), "a later visit: {page}");
    assert!(page.contains("Paid</strong> on "), "{page}");
    assert_eq!(page.matches("status-badge").count(), 1, "one status badge");
    assert!(
        !page.contains("Payment: "),
        "no second badge for the payment"
    );
    // Times in Asia/Singapore (UTC+8), said so.
    let created: i64 = scalar_i64(&app, "select created_at from orders").await;
    let local = jiff::Timestamp::from_second(created)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Singapore").unwrap())
        .strftime("%H:%M Singapore time")
        .to_string();
    assert!(page.contains(&local), "{local} in {page}");
    assert!(page.contains("Subtotal") && page.contains("Total"));
    // The Download button: a POST that spends a use and leads to the file.
    let line = text(&app, "select id from order_lines").await;
    let action = format!("{base}/downloads/{line}");
    assert!(page.contains(&format!("action=\"{action}\"")), "{page}");
    assert!(page.contains("2 of 2 downloads left"), "{page}");
    let resp = buyer.post_form(&action, &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let file = buyer.get(&location(&resp).replace(&app.base, "")).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(scalar_i64(&app, "select uses from downloads").await, 1);
    let (_, page) = buyer.get_text(&base).await;
    assert!(page.contains("1 of 2 downloads left"), "{page}");
    // Someone else's line, or a wrong key: nothing.
    let wrong = action.replace(&line, "00000000-0000-0000-0000-000000000000");
    assert_eq!(
        buyer.post_form(&wrong, &[]).await.status(),
        StatusCode::GONE
    );
}
