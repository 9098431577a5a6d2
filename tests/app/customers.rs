//! Customers (issue 17): the list kept by the database's triggers (counts and spending by
//! email address, whoever writes the rows), the customer page's timeline, and staff
//! disabling an account (its sessions end, it cannot sign in or ask for a reset) and sending
//! it a reset link. On both databases.

use std::time::Duration;

use flashstudio::identity::model::Role;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{Backend, SmtpSink, TestApp, location};

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery";
const DAY: i64 = 86_400;
const T0: i64 = 1_780_000_000;

async fn exec(app: &TestApp, sql: String) {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(app.state.db.pool())
        .await
        .unwrap();
}

/// An order `n` by `email` in `currency`, and its payment captured in full when paid.
async fn order(
    app: &TestApp,
    n: u32,
    email: &str,
    name: &str,
    status: &str,
    cur: &str,
    total: i64,
) {
    let id = format!("00000000-0000-7000-8000-{n:012}");
    let at = T0 + i64::from(n) * DAY;
    exec(
        app,
        format!(
            "insert into orders (id, number, status, cart_key, fingerprint, email, name, currency, \
             subtotal_minor, total_minor, hold_expires_at, created_at, updated_at) values \
             ('{id}', 'FS-{n:06}', '{status}', 'c{n}', 'f{n}', '{email}', '{name}', '{cur}', \
              {total}, {total}, {at}, {at}, {at})"
        ),
    )
    .await;
    let (pay_status, captured, paid) = if status == "paid" {
        ("paid", total, at.to_string())
    } else {
        ("unpaid", 0, "null".to_owned())
    };
    exec(
        app,
        format!(
            "insert into payments (id, purpose, order_id, attempt, gateway, status, amount_minor, \
             currency, captured_minor, refunded_minor, created_at, updated_at, paid_at) values \
             ('00000000-0000-7000-8002-{n:012}', 'order', '{id}', 1, 'dev', '{pay_status}', \
              {total}, '{cur}', {captured}, 0, {at}, {at}, {paid})"
        ),
    )
    .await;
}

/// One customer's row as the list reads it: (orders, bookings, quotes, messages, account).
async fn counts(app: &TestApp, email: &str) -> (i64, i64, i64, i64, String) {
    sqlx::query_as(
        "select orders, bookings, quotes, messages, account from customers where email = $1",
    )
    .bind(email)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

async fn spend(app: &TestApp, email: &str) -> Vec<(String, i64)> {
    sqlx::query_as(
        "select currency, net_minor from customer_spend where email = $1 and net_minor <> 0 \
         order by currency",
    )
    .bind(email)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap()
}

async fn customer_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("select id from customers where email = $1")
        .bind(email)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn the_list_counts_every_address_whoever_writes_the_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let jane = app.new_browser();
    assert!(
        jane.register("jane@example.com", PASSWORD)
            .await
            .status()
            .is_redirection()
    );

    // A guest, written with capitals and spaces: one address all the same.
    order(
        &app,
        1,
        " Guest@Example.com",
        "Gus <b>Guest</b>",
        "paid",
        "GBP",
        5_000,
    )
    .await;
    order(
        &app,
        2,
        "guest@example.com",
        "Gus",
        "pending_payment",
        "GBP",
        2_500,
    )
    .await;
    order(&app, 3, "guest@example.com", "Gus", "paid", "EUR", 1_200).await;
    order(&app, 4, "jane@example.com", "Jane", "paid", "GBP", 9_900).await;
    assert_eq!(counts(&app, "guest@example.com").await.0, 2);
    assert_eq!(
        spend(&app, "guest@example.com").await,
        vec![("EUR".to_owned(), 1_200), ("GBP".to_owned(), 5_000)]
    );

    // The pending order is paid; a partial refund of the first; the EUR one refunded whole.
    exec(
        &app,
        "update orders set status = 'paid' where number = 'FS-000002'".into(),
    )
    .await;
    exec(
        &app,
        format!(
            "update payments set status = 'paid', captured_minor = 2500, paid_at = {T0} \
             where order_id = '00000000-0000-7000-8000-000000000002'"
        ),
    )
    .await;
    exec(
        &app,
        "update payments set refunded_minor = 1000, status = 'partially_refunded' \
         where order_id = '00000000-0000-7000-8000-000000000001'"
            .into(),
    )
    .await;
    exec(
        &app,
        "update payments set refunded_minor = 1200, status = 'refunded' \
         where order_id = '00000000-0000-7000-8000-000000000003'"
            .into(),
    )
    .await;
    exec(
        &app,
        "update orders set status = 'cancelled' where number = 'FS-000003'".into(),
    )
    .await;
    assert_eq!(
        counts(&app, "guest@example.com").await.0,
        2,
        "1 and 2 stand; 3 was cancelled"
    );
    assert_eq!(
        spend(&app, "guest@example.com").await,
        vec![("GBP".to_owned(), 6_500)],
        "50.00 - 10.00 + 25.00; the euros came back in full"
    );

    // A message and a quote request count under their address too.
    exec(
        &app,
        format!(
            "insert into contact_messages (id, kind, name, email, message, created_at, updated_at) values \
             ('00000000-0000-7000-8004-000000000001', 'general', 'Gus', 'GUEST@example.com', 'Hello', {at}, {at})",
            at = T0 + 30 * DAY
        ),
    )
    .await;
    let (orders, bookings, quotes, messages, account) = counts(&app, "guest@example.com").await;
    assert_eq!((orders, bookings, quotes, messages), (2, 0, 0, 1));
    assert_eq!(account, "none");
    assert_eq!(counts(&app, "jane@example.com").await.4, "active");

    // The list, its search and its CSV.
    let staff = app.new_browser();
    staff.login(ADMIN, PASSWORD).await;
    let (status, page) = staff.get_text("/admin/customers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("guest@example.com") && page.contains("jane@example.com"));
    assert!(page.contains("£65.00"), "spending in its currency");
    assert!(
        page.contains("Gus &lt;b&gt;Guest&lt;/b&gt;"),
        "names are escaped"
    );
    let (_, found) = staff.get_text("/admin/customers?q=guest%40exa").await;
    assert!(found.contains("guest@example.com") && !found.contains("jane@example.com"));
    let (_, none) = staff.get_text("/admin/customers?q=nobody-like-this").await;
    assert!(!none.contains("guest@example.com"));
    let (status, csv) = staff.get_text("/admin/customers/export").await;
    assert_eq!(status, StatusCode::OK);
    let line = csv
        .lines()
        .find(|l| l.starts_with("guest@example.com"))
        .unwrap();
    assert!(line.contains("GBP 65.00"), "{line}");
    app.stop().await;
}

async fn the_customer_page_shows_one_timeline(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    order(
        &app,
        1,
        "guest@example.com",
        "<script>x</script>",
        "paid",
        "GBP",
        5_000,
    )
    .await;
    exec(
        &app,
        format!(
            "insert into refunds (id, payment_id, order_id, seq, amount_minor, currency, status, \
             created_at, updated_at) values ('00000000-0000-7000-8003-000000000001', \
             '00000000-0000-7000-8002-000000000001', '00000000-0000-7000-8000-000000000001', 1, \
             1000, 'GBP', 'succeeded', {at}, {at})",
            at = T0 + 3 * DAY
        ),
    )
    .await;
    exec(
        &app,
        format!(
            "insert into contact_messages (id, kind, name, email, subject, message, created_at, updated_at) values \
             ('00000000-0000-7000-8004-000000000001', 'general', 'Gus', 'guest@example.com', \
              'About my print', 'Hello', {at}, {at})",
            at = T0 + 5 * DAY
        ),
    )
    .await;
    let id = customer_id(&app, "guest@example.com").await;
    let staff = app.new_browser();
    staff.login(ADMIN, PASSWORD).await;
    let (status, page) = staff.get_text(&format!("/admin/customer/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("<script>x"), "escaped");
    assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"));
    let message = page.find("Message: About my print").unwrap();
    let refund = page.find("Refund").unwrap();
    let placed = page.find("Order FS-000001 placed").unwrap();
    assert!(message < refund && refund < placed, "newest first");
    assert!(page.contains("Paid for an order"));
    assert!(
        page.contains("None: a guest"),
        "no account, no account actions"
    );
    assert!(!page.contains("Disable the account"));

    // Unknown and malformed ids are a plain 404.
    let (status, _) = staff
        .get_text("/admin/customer/00000000-0000-7000-8000-999999999999")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = staff.get_text("/admin/customer/%00';drop").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Customers are staff-only.
    let (status, _) = app
        .new_browser()
        .get_text(&format!("/admin/customer/{id}"))
        .await;
    assert_ne!(status, StatusCode::OK);
    app.stop().await;
}

async fn staff_disable_an_account_and_send_it_a_reset_link(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::builder(backend).smtp(sink.port).spawn().await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    app.create_user("jane@example.com", PASSWORD, Role::Customer)
        .await;
    let jane = app.new_browser();
    jane.login("jane@example.com", PASSWORD).await;
    assert_eq!(jane.get("/account").await.status(), StatusCode::OK);

    let staff = app.new_browser();
    staff.login(ADMIN, PASSWORD).await;
    let id = customer_id(&app, "jane@example.com").await;
    let user_id: String = sqlx::query_scalar("select id from users where email = $1")
        .bind("jane@example.com")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let admin_id: String = sqlx::query_scalar("select id from users where email = $1")
        .bind(ADMIN)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();

    // Without the form's token, nothing happens.
    let forged = staff
        .post_form_raw(&format!("/admin/customer-account/{user_id}/disable"), &[])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let resp = staff
        .post_form(&format!("/admin/customer-account/{user_id}/disable"), &[])
        .await;
    assert_eq!(location(&resp), format!("/admin/customer/{id}"));
    let (_, page) = staff.get_text(&format!("/admin/customer/{id}")).await;
    assert!(
        page.contains("Account disabled"),
        "the flash says so: {page}"
    );
    assert!(page.contains("Enable the account"));
    assert_eq!(counts(&app, "jane@example.com").await.4, "disabled");

    // Her session ended; she cannot sign in again, nor get a reset link.
    assert_ne!(jane.get("/account").await.status(), StatusCode::OK);
    let again = app.new_browser();
    let login = again.login("jane@example.com", PASSWORD).await;
    assert!(
        !login.status().is_redirection(),
        "refused like a wrong password"
    );
    again
        .post_form("/password/forgot", &[("email", "jane@example.com")])
        .await;
    let refused = staff
        .post_form(
            &format!("/admin/customer-account/{user_id}/password-reset"),
            &[],
        )
        .await;
    assert!(refused.status().is_redirection());
    let (_, page) = staff.get_text(&format!("/admin/customer/{id}")).await;
    assert!(page.contains("enable it before sending a reset link"));
    let sent: i64 = sqlx::query_scalar(
        "select count(*) from emails where to_address = $1 and kind = 'password_reset'",
    )
    .bind("jane@example.com")
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(sent, 0, "a disabled account gets no reset email");

    // Staff cannot lock themselves out.
    let own = staff
        .post_form(&format!("/admin/customer-account/{admin_id}/disable"), &[])
        .await;
    assert!(own.status().is_redirection());
    assert_eq!(staff.get("/admin/customers").await.status(), StatusCode::OK);

    // Enabled again, she signs in; staff send her a reset link and it works.
    staff
        .post_form(&format!("/admin/customer-account/{user_id}/enable"), &[])
        .await;
    assert!(
        again
            .login("jane@example.com", PASSWORD)
            .await
            .status()
            .is_redirection()
    );
    staff
        .post_form(
            &format!("/admin/customer-account/{user_id}/password-reset"),
            &[],
        )
        .await;
    let mail = sink
        .wait_for(
            "jane@example.com",
            "Reset your FlashStudio password",
            Duration::from_secs(15),
        )
        .await;
    let start = mail.text.find("/password/reset/").unwrap();
    let link: String = mail.text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert_eq!(app.get(&link).await.status(), StatusCode::OK);

    // Every change is in the audit log, by whom.
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where entity = 'user' and entity_id = $1 order by created_at, action",
    )
    .bind(&user_id)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    for expected in [
        "account.disable",
        "account.enable",
        "account.password_reset",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
    app.stop().await;
}

on_both_backends!(
    the_list_counts_every_address_whoever_writes_the_rows,
    the_customer_page_shows_one_timeline,
    staff_disable_an_account_and_send_it_a_reset_link,
);
