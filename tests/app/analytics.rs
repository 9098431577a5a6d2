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
        .products
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
    let categories: Vec<(&str, &str, i64)> = best
        .categories
        .iter()
        .map(|c| (c.name.as_str(), c.currency.as_str(), c.total_minor))
        .collect();
    assert_eq!(
        categories,
        [
            ("Products since deleted", "SGD", 15_000),
            ("Products since deleted", "EUR", 3_000)
        ],
        "lines without a product are summed apart, per currency"
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

/// Epoch seconds of a London wall-clock time.
fn london(at: &str) -> i64 {
    let dt: jiff::civil::DateTime = at.parse().unwrap();
    dt.to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap())
        .unwrap()
        .timestamp()
        .as_second()
}

/// A booking `n` of one hour from `start` (London time) claiming Studio A unless it gave
/// its claim back (cancelled, expired).
async fn insert_booking(app: &TestApp, n: u32, start: &str, hours: i64, status: &str) {
    let id = format!("00000000-0000-7000-8005-{n:012}");
    let from = london(start);
    let to = from + hours * 3_600;
    exec(
        app,
        format!(
            "insert into bookings (id, reference, booking_type_id, type_name, status, starts_at, ends_at, \
             buffer_before_minutes, buffer_after_minutes, name, email, location, currency, policy, \
             created_at, updated_at) values ('{id}', 'BK-{n:06}', '00000000-0000-7000-8006-000000000001', \
             'Studio hire', '{status}', {from}, {to}, 0, 0, 'Client {n}', 'c{n}@example.com', 'studio', \
             'SGD', '{{}}', {from}, {from})"
        ),
    )
    .await;
    if !matches!(status, "cancelled" | "expired") {
        exec(
            app,
            format!(
                "insert into booking_claims (booking_id, resource_id, occupied_from, occupied_to) \
                 values ('{id}', '00000000-0000-7000-8007-000000000001', {from}, {to})"
            ),
        )
        .await;
    }
}

/// A quote request `n` received at `created` (London), first quoted `sent_after` days later,
/// signed `signed_after` days after that.
async fn insert_quote(
    app: &TestApp,
    n: u32,
    created: &str,
    state: &str,
    sent_after: Option<i64>,
    signed_after: Option<i64>,
    booked: bool,
) {
    let id = format!("00000000-0000-7000-8008-{n:012}");
    let at = london(created);
    let sent = sent_after.map(|d| at + d * 86_400);
    let signed = match (sent, signed_after) {
        (Some(s), Some(d)) => (s + d * 86_400).to_string(),
        _ => "null".to_owned(),
    };
    let booking = if booked {
        "'00000000-0000-7000-8005-000000000001'"
    } else {
        "null"
    };
    exec(
        app,
        format!(
            "insert into quotes (id, reference, state, name, email, description, accepted_at, booking_id, \
             created_at, updated_at) values ('{id}', 'Q-{n:06}', '{state}', 'Asker {n}', 'q{n}@example.com', \
             'A film', {signed}, {booking}, {at}, {at})"
        ),
    )
    .await;
    if let Some(sent) = sent {
        exec(
            app,
            format!(
                "insert into quote_revisions (quote_id, number, valid_until, currency, deposit_kind, sent_at) \
                 values ('{id}', 1, '2026-12-31', 'SGD', 'none', {sent})"
            ),
        )
        .await;
    }
}

async fn services_dataset(app: &TestApp) {
    let t = london("2026-01-01T00:00");
    exec(
        app,
        format!(
            "insert into booking_types (id, slug, name, length_kind, length_value, currency, created_at, updated_at) \
             values ('00000000-0000-7000-8006-000000000001', 'studio-hire', 'Studio hire', 'minutes', 60, 'SGD', {t}, {t})"
        ),
    )
    .await;
    exec(
        app,
        format!(
            "insert into booking_resources (id, name, kind, capacity, created_at, updated_at) \
             values ('00000000-0000-7000-8007-000000000001', 'Studio A', 'room', 1, {t}, {t})"
        ),
    )
    .await;
    for weekday in 1..=5 {
        exec(
            app,
            format!(
                "insert into opening_hours (id, weekday, opens, closes, created_at, updated_at) \
                 values ('00000000-0000-7000-8009-00000000000{weekday}', {weekday}, '09:00', '17:00', {t}, {t})"
            ),
        )
        .await;
    }
    // Closed on Monday 2 March; open 00:00–12:00 on Sunday 29 March, when the clocks go
    // forward at 01:00: eleven hours, not twelve.
    exec(
        app,
        format!(
            "insert into date_overrides (id, day, closed, created_at, updated_at) \
             values ('00000000-0000-7000-800a-000000000001', '2026-03-02', 1, {t}, {t})"
        ),
    )
    .await;
    exec(
        app,
        format!(
            "insert into date_overrides (id, day, closed, opens, closes, created_at, updated_at) \
             values ('00000000-0000-7000-800a-000000000002', '2026-03-29', 0, '00:00', '12:00', {t}, {t})"
        ),
    )
    .await;
    insert_booking(app, 1, "2026-03-10T10:00", 2, "completed").await; // Tue
    insert_booking(app, 2, "2026-03-31T09:00", 1, "confirmed").await; // Tue, summer time
    insert_booking(app, 3, "2026-03-31T23:00", 2, "pending").await; // runs into April
    insert_booking(app, 4, "2026-03-29T00:30", 1, "no_show").await; // Sun, before the change
    insert_booking(app, 5, "2026-03-29T02:30", 1, "no_show").await; // Sun, after it
    insert_booking(app, 6, "2026-03-15T10:00", 1, "cancelled").await;
    insert_booking(app, 7, "2026-03-16T10:00", 1, "expired").await;
    insert_booking(app, 8, "2026-02-28T23:30", 1, "confirmed").await; // the period before
    insert_booking(app, 9, "2030-01-10T10:00", 1, "confirmed").await; // to come
    insert_quote(app, 1, "2026-03-03T10:00", "new", None, None, false).await;
    insert_quote(app, 2, "2026-03-04T10:00", "quoted", Some(1), None, false).await;
    insert_quote(
        app,
        3,
        "2026-03-05T10:00",
        "accepted",
        Some(2),
        Some(1),
        true,
    )
    .await;
    // Signed, its deposit not paid yet: quoted, not accepted.
    insert_quote(
        app,
        4,
        "2026-03-06T10:00",
        "quoted",
        Some(3),
        Some(1),
        false,
    )
    .await;
    insert_quote(app, 5, "2026-02-20T10:00", "new", None, None, false).await;
}

async fn bookings_and_quotes_match_their_definitions(backend: Backend) {
    let app = TestApp::builder(backend)
        .var("STUDIO_TIME_ZONE", "Europe/London")
        .spawn()
        .await;
    services_dataset(&app).await;
    let march = period("2026-03-01", "2026-03-31");
    let s = flashstudio::analytics::services::report(&app.state, march)
        .await
        .unwrap();
    let o = s.current;
    assert_eq!(
        (o.going_ahead, o.completed, o.no_shows, o.cancelled),
        (3, 1, 2, 1),
        "held and expired bookings do not count; the one of 28 February is the period before's"
    );
    assert_eq!(o.no_show_percent(), Some(67), "2 of the 3 whose time came");
    assert_eq!(s.previous.going_ahead, 1);
    assert_eq!(s.upcoming, 1);
    assert_eq!(
        s.by_weekday,
        [0, 3, 0, 0, 0, 0, 2],
        "Tuesdays and the Sunday"
    );
    let hours: Vec<usize> = (0..24).filter(|h| s.by_hour[*h] > 0).collect();
    assert_eq!(
        hours,
        [0, 2, 9, 10, 23],
        "each in London's time of that day"
    );
    assert_eq!(s.by_bucket.len(), 31, "a bucket per day");
    assert_eq!(s.by_bucket[28].no_shows, 2, "29 March");
    assert_eq!(s.by_bucket[30].going_ahead, 2, "31 March");
    assert_eq!(s.by_bucket[1], Default::default(), "an empty day is zero");
    let studio = s.utilisation.iter().find(|u| u.name == "Studio A").unwrap();
    assert_eq!(
        studio.available,
        (21 * 8 + 11) * 3_600,
        "21 weekdays open (not the 2nd) and the short Sunday"
    );
    assert_eq!(
        studio.occupied,
        (2 + 1 + 1 + 1 + 1) * 3_600 + 1_800,
        "the bookings running into April and out of February count their March time; \
         cancelled and expired ones gave theirs back"
    );
    assert_eq!(studio.percent(), Some(4), "6.5 of 179 hours");
    let f = s.funnel;
    assert_eq!((f.received, f.quoted, f.accepted, f.booked), (4, 3, 1, 1));
    assert_eq!(
        f.median_to_quote,
        Some(2 * 86_400),
        "of one, two and three days"
    );
    assert_eq!(f.median_to_accept, Some(86_400));
    assert_eq!(s.previous_funnel.received, 1);

    // The page shows them, with and without htmx, and their CSVs.
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let staff = app.new_browser();
    staff.login(ADMIN, PASSWORD).await;
    let (status, page) = staff
        .get_text("/admin/analytics?from=2026-03-01&to=2026-03-31")
        .await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Bookings per day, by outcome",
        "Bookings by day of the week",
        "Utilisation against opening hours",
        "Quote requests of the period, stage by stage",
        "3 (75%)",
        "67% of those whose time came",
    ] {
        assert!(page.contains(text), "{text}");
    }
    let (_, csv) = staff
        .get_text("/admin/analytics/export?table=quotes&from=2026-03-01&to=2026-03-31")
        .await;
    assert!(
        csv.contains("Received,4,100") && csv.contains("Booked,1,25"),
        "{csv}"
    );
    let (_, csv) = staff
        .get_text("/admin/analytics/export?table=bookings&from=2026-03-01&to=2026-03-31")
        .await;
    assert!(csv.contains("2026-03-29,2026-03-29,0,2,0"), "{csv}");
    app.stop().await;
}

on_both_backends!(
    bookings_and_quotes_match_their_definitions,
    hourly_totals_follow_every_change_and_any_edges,
    every_figure_matches_its_definition,
    the_page_shows_the_report_and_refuses_bad_periods,
);
