//! The analytics report (issue 17) on a known dataset, on both databases: two currencies,
//! refunds whole and partial (and one that failed), a booking deposit and a quote payment, an
//! abandoned checkout, a payment in the first hour of a summer-time day in London, and months
//! with nothing in them. Each figure is checked against its definition in `docs/analytics.md`.

use flashstudio::analytics::period::Period;
use flashstudio::analytics::report::sales;
use flashstudio::identity::model::Role;
use flashstudio::payments::store::Takings;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{Backend, TestApp};

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery";

/// An order with one line, and its payment when `paid_at` is given (captured in full).
struct Sale {
    n: u32,
    status: &'static str,
    currency: &'static str,
    slug: &'static str,
    quantity: i64,
    total: i64,
    placed: i64,
    paid_at: Option<i64>,
}

async fn exec(app: &TestApp, sql: String) {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(app.state.db.pool())
        .await
        .unwrap();
}

async fn insert_sale(app: &TestApp, s: &Sale) {
    let id = format!("00000000-0000-7000-8000-{:012}", s.n);
    exec(
        app,
        format!(
            "insert into orders (id, number, status, cart_key, fingerprint, email, name, currency, \
             subtotal_minor, total_minor, hold_expires_at, created_at, updated_at) values \
             ('{id}', 'FS-{n:06}', '{status}', 'c{n}', 'f{n}', 'b{n}@example.com', 'Buyer {n}', \
              '{cur}', {t}, {t}, {at}, {at}, {at})",
            n = s.n,
            status = s.status,
            cur = s.currency,
            t = s.total,
            at = s.placed
        ),
    )
    .await;
    exec(
        app,
        format!(
            "insert into order_lines (id, order_id, position, product_id, product_slug, kind, title, \
             unit_price_minor, quantity, total_minor) values \
             ('00000000-0000-7000-8001-{n:012}', '{id}', 0, null, '{slug}', 'print', '{title}', \
              {unit}, {q}, {t})",
            n = s.n,
            slug = s.slug,
            title = if s.slug == "print-a" { "Print A" } else { "Print B" },
            unit = s.total / s.quantity,
            q = s.quantity,
            t = s.total
        ),
    )
    .await;
    let (status, captured, paid) = match s.paid_at {
        Some(at) => ("paid", s.total, at.to_string()),
        None => ("unpaid", 0, "null".to_owned()),
    };
    insert_payment(
        app, s.n, "order", &id, s.currency, s.total, captured, status, s.placed, &paid,
    )
    .await;
}

#[allow(clippy::too_many_arguments)]
async fn insert_payment(
    app: &TestApp,
    n: u32,
    purpose: &str,
    for_id: &str,
    currency: &str,
    amount: i64,
    captured: i64,
    status: &str,
    created: i64,
    paid_at: &str,
) {
    exec(
        app,
        format!(
            "insert into payments (id, purpose, order_id, attempt, gateway, status, amount_minor, \
             currency, captured_minor, refunded_minor, created_at, updated_at, paid_at) values \
             ('00000000-0000-7000-8002-{n:012}', '{purpose}', '{for_id}', 1, 'dev', '{status}', \
              {amount}, '{currency}', {captured}, 0, {created}, {created}, {paid_at})"
        ),
    )
    .await;
}

async fn insert_refund(
    app: &TestApp,
    n: u32,
    of_sale: u32,
    amount: i64,
    currency: &str,
    status: &str,
    at: i64,
) {
    exec(
        app,
        format!(
            "insert into refunds (id, payment_id, order_id, seq, amount_minor, currency, status, \
             created_at, updated_at) values ('00000000-0000-7000-8003-{n:012}', \
             '00000000-0000-7000-8002-{of_sale:012}', '00000000-0000-7000-8000-{of_sale:012}', {n}, \
             {amount}, '{currency}', '{status}', {at}, {at})"
        ),
    )
    .await;
}

/// The dataset (times in UTC; the studio is in London).
async fn known_dataset(app: &TestApp) {
    let sales = [
        // 28 March 23:30 GMT: the 28th in London.
        Sale {
            n: 1,
            status: "paid",
            currency: "SGD",
            slug: "print-a",
            quantity: 2,
            total: 10_000,
            placed: 1_774_740_000,
            paid_at: Some(1_774_740_600),
        },
        // 29 March 23:30 UTC is 00:30 BST on the 30th: the 30th in London.
        Sale {
            n: 2,
            status: "paid",
            currency: "SGD",
            slug: "print-b",
            quantity: 1,
            total: 5_000,
            placed: 1_774_826_000,
            paid_at: Some(1_774_827_000),
        },
        Sale {
            n: 3,
            status: "paid",
            currency: "EUR",
            slug: "print-a",
            quantity: 1,
            total: 3_000,
            placed: 1_775_822_000,
            paid_at: Some(1_775_822_400),
        },
        // Never paid: an abandoned checkout on 5 April.
        Sale {
            n: 4,
            status: "expired",
            currency: "SGD",
            slug: "print-b",
            quantity: 1,
            total: 7_000,
            placed: 1_775_390_400,
            paid_at: None,
        },
        // January, the period before.
        Sale {
            n: 5,
            status: "paid",
            currency: "SGD",
            slug: "print-b",
            quantity: 1,
            total: 1_000,
            placed: 1_768_478_000,
            paid_at: Some(1_768_478_400),
        },
    ];
    for s in &sales {
        insert_sale(app, s).await;
    }
    // Part of order 2 refunded on 2 April; a refund of it that failed on the 3rd; all of
    // order 3 refunded on 1 May.
    insert_refund(app, 1, 2, 2_000, "SGD", "succeeded", 1_775_124_000).await;
    insert_refund(app, 2, 2, 1_000, "SGD", "failed", 1_775_210_400).await;
    insert_refund(app, 3, 3, 3_000, "EUR", "succeeded", 1_777_626_000).await;
    // A booking's deposit (3 April) and a quote's payment (20 April).
    let booking = "00000000-0000-7000-8009-000000000001";
    insert_payment(
        app,
        11,
        "booking",
        booking,
        "SGD",
        20_000,
        20_000,
        "paid",
        1_775_203_000,
        "1775203200",
    )
    .await;
    let quote = "00000000-0000-7000-8009-000000000002";
    insert_payment(
        app,
        12,
        "quote",
        quote,
        "SGD",
        15_000,
        15_000,
        "paid",
        1_776_686_000,
        "1776686400",
    )
    .await;
}

fn period(from: &str, to: &str) -> Period {
    Period::custom(from, to).unwrap()
}

async fn every_figure_matches_its_definition(backend: Backend) {
    let app = TestApp::builder(backend)
        .var("STUDIO_TIME_ZONE", "Europe/London")
        .spawn()
        .await;
    known_dataset(&app).await;

    // March and April (61 days: by week), against the 61 days before.
    let r = sales(&app.state, period("2026-03-01", "2026-04-30"))
        .await
        .unwrap();
    let codes: Vec<&str> = r.currencies.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["SGD", "EUR"], "the shop's currency first");
    let sgd = &r.currencies[0];
    assert_eq!(
        sgd.current.captured_minor, 50_000,
        "orders 1 and 2, the deposit, the quote"
    );
    assert_eq!(
        (sgd.current.refunds, sgd.current.refunded_minor),
        (1, 2_000),
        "the failed refund does not count"
    );
    assert_eq!(sgd.current.net_minor(), 48_000);
    assert_eq!((sgd.current.orders, sgd.current.orders_minor), (2, 15_000));
    assert_eq!(sgd.current.average_order_minor(), Some(7_500));
    assert_eq!(sgd.current.deposits_minor, 20_000);
    assert_eq!(sgd.current.quote_payments_minor, 15_000);
    assert_eq!(
        (sgd.current.abandoned, sgd.current.abandoned_minor),
        (1, 7_000)
    );
    assert_eq!(
        (sgd.previous.captured_minor, sgd.previous.orders),
        (1_000, 1),
        "January's order"
    );
    assert_eq!(
        sgd.net_by_bucket.iter().sum::<i64>(),
        48_000,
        "the weeks add up to the period"
    );
    assert_eq!(sgd.orders_by_bucket.iter().sum::<i64>(), 2);
    assert_eq!(
        r.buckets.len(),
        10,
        "w/c 23 Feb … w/c 27 Apr, every week shown"
    );
    let eur = &r.currencies[1];
    assert_eq!(
        eur.current.net_minor(),
        3_000,
        "its refund is in May, outside the period"
    );
    assert_eq!(eur.current.average_order_minor(), Some(3_000));
    assert_eq!(eur.previous, Default::default());
    let best = flashstudio::analytics::report::best_sellers(
        &app.state,
        period("2026-03-01", "2026-04-30"),
    )
    .await
    .unwrap();
    let top: Vec<(&str, &str, i64, i64)> = best
        .iter()
        .map(|p| {
            (
                p.title.as_str(),
                p.currency.as_str(),
                p.units,
                p.total_minor,
            )
        })
        .collect();
    assert_eq!(
        top,
        [
            ("Print A", "SGD", 2, 10_000),
            ("Print B", "SGD", 1, 5_000),
            ("Print A", "EUR", 1, 3_000)
        ]
    );

    // Around the clocks going forward in London: the payment at 00:30 BST is the 30th's.
    let r = sales(&app.state, period("2026-03-28", "2026-03-30"))
        .await
        .unwrap();
    let labels: Vec<&str> = r.buckets.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["28 Mar", "29 Mar", "30 Mar"]);
    assert_eq!(r.buckets[1].hi - r.buckets[1].lo, 23 * 3600);
    assert_eq!(r.currencies[0].net_by_bucket, [10_000, 0, 5_000]);
    assert_eq!(r.currencies[0].orders_by_bucket, [1, 0, 1]);

    // A year by month: empty months are zeros, a refund lands in its own month.
    let r = sales(&app.state, period("2026-01-01", "2026-12-31"))
        .await
        .unwrap();
    assert_eq!(r.buckets.len(), 12);
    let mut sgd_months = vec![0; 12];
    sgd_months[0] = 1_000;
    sgd_months[2] = 15_000;
    sgd_months[3] = 33_000;
    assert_eq!(r.currencies[0].net_by_bucket, sgd_months);
    let mut eur_months = vec![0; 12];
    eur_months[3] = 3_000;
    eur_months[4] = -3_000;
    assert_eq!(r.currencies[1].net_by_bucket, eur_months);

    // A period with nothing in it or before it.
    let r = sales(&app.state, period("2030-01-01", "2030-01-31"))
        .await
        .unwrap();
    assert!(r.currencies.is_empty());
    assert_eq!(r.buckets.len(), 31);
    app.stop().await;
}

async fn the_page_shows_the_report_and_refuses_bad_periods(backend: Backend) {
    let app = TestApp::builder(backend)
        .var("STUDIO_TIME_ZONE", "Europe/London")
        .spawn()
        .await;
    known_dataset(&app).await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let b = app.new_browser();
    b.login(ADMIN, PASSWORD).await;

    let (status, page) = b
        .get_text("/admin/analytics?from=2026-03-01&to=2026-04-30")
        .await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Sales in SGD",
        "S$480.00",
        "Sales in EUR",
        "€30.00",
        "S$75.00",
        "Best sellers",
        "<svg",
        "aria-labelledby=\"net-SGD-title net-SGD-desc\"",
    ] {
        assert!(page.contains(text), "{text}");
    }
    // The best sellers come after the rest: with htmx as a section, without it on a page.
    let href = "/admin/analytics/best-sellers?from=2026-03-01&to=2026-04-30";
    assert!(page.contains(&href.replace('&', "&amp;")));
    let (status, best) = b.get_text(href).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        best.contains("admin-sidebar") && best.contains("Print A") && best.contains("S$100.00")
    );
    let section = b
        .client
        .get(b.url(href))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        section.starts_with("<section id=\"best-sellers\""),
        "{section}"
    );
    assert!(section.contains("Print B") && section.contains("€30.00"));
    // A preset, and the fragment htmx swaps.
    let (status, page) = b.get_text("/admin/analytics?range=7d").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("aria-current=\"true\">Last 7 days"));
    let fragment = b
        .client
        .get(b.url("/admin/analytics?range=90d"))
        .header("hx-request", "true")
        .header("hx-target", "analytics-report")
        .send()
        .await
        .unwrap();
    assert_eq!(fragment.status(), StatusCode::OK);
    let fragment = fragment.text().await.unwrap();
    assert!(
        fragment.starts_with("<div class=\"analytics-report\" id=\"analytics-report\">"),
        "only the report"
    );
    assert!(!fragment.contains("admin-sidebar"));

    // The report's tables as CSV, for the period shown.
    assert!(page.contains("/admin/analytics/export?table=figures&amp;range=7d"));
    let resp = b
        .get("/admin/analytics/export?table=figures&from=2026-03-28&to=2026-03-30")
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let body = resp.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines,
        [
            "Period,First day,Last day,Currency,Net revenue,Orders paid",
            "28 Mar,2026-03-28,2026-03-28,SGD,100.00,1",
            "29 Mar,2026-03-29,2026-03-29,SGD,0.00,0",
            "30 Mar,2026-03-30,2026-03-30,SGD,50.00,1",
        ]
    );
    let resp = b
        .get("/admin/analytics/export?table=best-sellers&from=2026-03-01&to=2026-04-30&bom=1")
        .await;
    let body = resp.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(body[3..].to_vec()).unwrap();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "Product,Units,Sold for,Currency",
            "Print A,2,100.00,SGD",
            "Print B,1,50.00,SGD",
            "Print A,1,30.00,EUR",
        ]
    );
    assert_eq!(
        b.get("/admin/analytics/export?table=passwords")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // Dates that make no period: a sentence, never a 500.
    for (query, sentence) in [
        (
            "from=2026-05-01&to=2026-04-01",
            "The last day comes before the first.",
        ),
        (
            "from=yesterday&to=2026-04-01",
            "Give both dates as YYYY-MM-DD.",
        ),
        ("from=2026-04-01", "Give both dates as YYYY-MM-DD."),
        (
            "from=1990-01-01&to=2026-04-01",
            "A report covers at most ten years.",
        ),
        (
            "from=%00%3Cscript%3E&to=x",
            "Give both dates as YYYY-MM-DD.",
        ),
    ] {
        let (status, page) = b.get_text(&format!("/admin/analytics?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(page.contains(sentence), "{query}");
        assert!(!page.contains("<script>"), "{query}");
    }
    let (status, _) = b.get_text("/admin/analytics?range=forever").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an unknown preset is the default one"
    );

    // The dashboard: today's and this week's figures, by the same definitions.
    let now = flashstudio::db::now();
    let today = Sale {
        n: 6,
        status: "paid",
        currency: "SGD",
        slug: "print-a",
        quantity: 1,
        total: 4_321,
        placed: now - 1,
        paid_at: Some(now),
    };
    insert_sale(&app, &today).await;
    let (status, dashboard) = b.get_text("/admin/").await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Net revenue today",
        "Net revenue this week",
        "S$43.21",
        "1 order paid",
        "Bookings to confirm",
    ] {
        assert!(dashboard.contains(text), "{text}");
    }

    // Staff only.
    app.create_user("customer@example.com", PASSWORD, Role::Customer)
        .await;
    let customer = app.new_browser();
    customer.login("customer@example.com", PASSWORD).await;
    assert_eq!(
        customer.get("/admin/analytics").await.status(),
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}

/// What `takings` should say for `periods`, from the payments and refunds themselves:
/// (paid_at, currency, purpose, captured) and (created_at, currency, purpose, refunded).
fn expected_takings(
    payments: &[(i64, &str, &str, i64)],
    refunds: &[(i64, &str, &str, i64)],
    periods: &[(i64, i64)],
) -> Vec<Takings> {
    let mut out: Vec<Takings> = Vec::new();
    for (n, &(lo, hi)) in periods.iter().enumerate() {
        let mut keys: Vec<(&str, &str)> = payments
            .iter()
            .map(|p| (p.1, p.2))
            .chain(refunds.iter().map(|r| (r.1, r.2)))
            .collect();
        keys.sort();
        keys.dedup();
        for (currency, purpose) in keys {
            let paid: Vec<i64> = payments
                .iter()
                .filter(|p| p.1 == currency && p.2 == purpose && p.0 >= lo && p.0 < hi)
                .map(|p| p.3)
                .collect();
            let back: Vec<i64> = refunds
                .iter()
                .filter(|r| r.1 == currency && r.2 == purpose && r.0 >= lo && r.0 < hi)
                .map(|r| r.3)
                .collect();
            if paid.is_empty() && back.is_empty() {
                continue;
            }
            out.push(Takings {
                period: n,
                currency: currency.to_owned(),
                purpose: purpose.to_owned(),
                paid: paid.len() as i64,
                captured_minor: paid.iter().sum(),
                refunds: back.len() as i64,
                refunded_minor: back.iter().sum(),
            });
        }
    }
    out
}

async fn hourly_totals_follow_every_change_and_any_edges(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    known_dataset(&app).await;
    let mut payments = vec![
        (1_774_740_600, "SGD", "order", 10_000),
        (1_774_827_000, "SGD", "order", 5_000),
        (1_775_822_400, "EUR", "order", 3_000),
        (1_768_478_400, "SGD", "order", 1_000),
        (1_775_203_200, "SGD", "booking", 20_000),
        (1_776_686_400, "SGD", "quote", 15_000),
    ];
    let mut refunds = vec![
        (1_775_124_000, "SGD", "order", 2_000),
        (1_777_626_000, "EUR", "order", 3_000),
    ];
    // Edges on the hour, at half past (India), at a quarter to (Nepal), a period inside one
    // hour, one with nothing, and everything.
    let periods = [
        (1_768_000_000, 1_778_000_000),
        (1_774_738_800, 1_774_827_600),
        (1_774_740_600, 1_774_827_000),
        (1_774_740_601, 1_774_827_001),
        (1_774_739_400, 1_774_740_660),
        (1_775_122_200, 1_775_126_700),
        (0, 1),
        (0, 1_900_000_000),
    ];
    let takings = || async {
        flashstudio::payments::store::takings(app.state.db.pool(), &periods)
            .await
            .unwrap()
    };
    assert_eq!(
        takings().await,
        expected_takings(&payments, &refunds, &periods)
    );

    // The unpaid checkout is paid after all, a week later; a refund pending is settled; the
    // failed one stays failed; a payment's capture time is corrected by an hour.
    exec(
        &app,
        "update payments set status = 'paid', captured_minor = 7000, paid_at = 1775995200 \
                where id = '00000000-0000-7000-8002-000000000004'"
            .to_owned(),
    )
    .await;
    payments.push((1_775_995_200, "SGD", "order", 7_000));
    insert_refund(&app, 4, 1, 500, "SGD", "pending", 1_774_741_000).await;
    exec(
        &app,
        "update refunds set status = 'succeeded' where seq = 4".to_owned(),
    )
    .await;
    refunds.push((1_774_741_000, "SGD", "order", 500));
    exec(
        &app,
        "update refunds set reason = 'noted' where seq = 2".to_owned(),
    )
    .await;
    exec(
        &app,
        "update payments set paid_at = paid_at + 3600 \
                where id = '00000000-0000-7000-8002-000000000002'"
            .to_owned(),
    )
    .await;
    payments[1].0 += 3_600;
    assert_eq!(
        takings().await,
        expected_takings(&payments, &refunds, &periods)
    );
    app.stop().await;
}

on_both_backends!(
    hourly_totals_follow_every_change_and_any_edges,
    every_figure_matches_its_definition,
    the_page_shows_the_report_and_refuses_bad_periods,
);
