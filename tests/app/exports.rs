//! CSV exports of the admin's tables (issue 17): every row the list's search and filters
//! select, not only a page, streamed in chunks; amounts as decimals beside their currency;
//! times in the studio's zone; a cell a spreadsheet would run as a formula comes out inert.

use flashstudio::identity::model::Role;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{Backend, Browser, TestApp};

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery";

async fn admin(app: &TestApp) -> Browser {
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let b = app.new_browser();
    b.login(ADMIN, PASSWORD).await;
    b
}

/// One order row: (index, status, name, currency, total in minor units, created_at).
async fn insert_orders(app: &TestApp, rows: &[(usize, &str, &str, &str, i64, i64)]) {
    for chunk in rows.chunks(400) {
        let mut sql = String::from(
            "insert into orders (id, number, status, cart_key, fingerprint, email, name, currency, \
             subtotal_minor, total_minor, hold_expires_at, created_at, updated_at) values ",
        );
        for (k, (i, status, name, currency, total, at)) in chunk.iter().enumerate() {
            if k > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('00000000-0000-7000-8000-{i:012}', 'FS-{n:06}', '{status}', 'c{i}', 'f{i}', \
                 'buyer{i}@example.com', '{name}', '{currency}', {total}, {total}, {at}, {at}, {at})",
                n = 100_000 + i,
                name = name.replace('\'', "''"),
            ));
        }
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(app.state.db.pool())
            .await
            .unwrap();
    }
}

/// The export's records (the header first), read back with the `csv` crate.
fn records(body: &[u8]) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn export(b: &Browser, path: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let resp = b.get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    let headers = resp.headers().clone();
    (headers, resp.bytes().await.unwrap().to_vec())
}

async fn orders_export_follows_the_list_and_writes_inert_cells(backend: Backend) {
    let app = TestApp::builder(backend)
        .var("STUDIO_TIME_ZONE", "Europe/London")
        .spawn()
        .await;
    let b = admin(&app).await;
    // 1 July 2026 12:00 UTC is 13:00 in London (summer time); 15 January 12:00 UTC is 12:00.
    let (summer, winter) = (1_782_907_200, 1_768_478_400);
    insert_orders(
        &app,
        &[
            (
                1,
                "paid",
                "=HYPERLINK(\"http://x\")",
                "SGD",
                123_456,
                summer,
            ),
            (2, "paid", "Ana, \"the\" buyer", "EUR", 1_234, winter),
            (
                3,
                "cancelled",
                "+cmd|' /C calc'!A0",
                "SGD",
                500,
                winter - 60,
            ),
            (4, "paid", "@SUM(1+1)", "JPY", 9_800, winter - 120),
        ],
    )
    .await;

    let (headers, body) = export(&b, "/admin/orders/export?f.status=paid").await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"orders-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert!(!body.starts_with(b"\xEF\xBB\xBF"), "no BOM unless asked");
    let raw = String::from_utf8(body.clone()).unwrap();
    assert!(
        raw.contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
        "the formula is quoted and inert: {raw}"
    );
    let rows = records(&body);
    assert_eq!(
        rows[0],
        [
            "Order",
            "Placed (Europe/London)",
            "Status",
            "Customer",
            "Email",
            "Total",
            "Flagged",
            "Staff note",
            "Currency"
        ]
    );
    // Newest first, as the list; the cancelled order is filtered out.
    let numbers: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(numbers, ["FS-100001", "FS-100002", "FS-100004"]);
    assert_eq!(rows[1][1], "2026-07-01 13:00:00");
    assert_eq!(rows[1][2], "Paid");
    assert_eq!(rows[1][3], "'=HYPERLINK(\"http://x\")");
    assert_eq!(
        (rows[1][5].as_str(), rows[1][8].as_str()),
        ("1234.56", "SGD")
    );
    assert_eq!(rows[2][1], "2026-01-15 12:00:00");
    assert_eq!(rows[2][3], "Ana, \"the\" buyer");
    assert_eq!((rows[2][5].as_str(), rows[2][8].as_str()), ("12.34", "EUR"));
    assert_eq!(rows[3][3], "'@SUM(1+1)");
    assert_eq!((rows[3][5].as_str(), rows[3][8].as_str()), ("9800", "JPY"));
    assert_eq!(rows[3][6], "no");

    // Without the filter the cancelled one is there, its name inert too; a search narrows.
    let (_, body) = export(&b, "/admin/orders/export").await;
    let rows = records(&body);
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().any(|r| r[3] == "'+cmd|' /C calc'!A0"));
    let (_, body) = export(&b, "/admin/orders/export?q=hyperlink").await;
    let rows = records(&body);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], "FS-100001");

    // For Excel: a byte order mark first.
    let (_, body) = export(&b, "/admin/orders/export?bom=1&f.status=paid").await;
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    assert_eq!(records(&body[3..]).len(), 4);

    // The export is audited: who took which rows.
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'order.export' and actor_email = $1",
    )
    .bind(ADMIN)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(audited, 4);

    // Staff only; an unknown table is not found.
    let visitor = app.new_browser();
    let resp = visitor.get("/admin/orders/export").await;
    assert_ne!(resp.status(), StatusCode::OK);
    assert!(!resp.text().await.unwrap().contains("FS-100001"));
    app.create_user("customer@example.com", PASSWORD, Role::Customer)
        .await;
    let customer = app.new_browser();
    customer.login("customer@example.com", PASSWORD).await;
    assert_eq!(
        customer.get("/admin/orders/export").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        b.get("/admin/nothing/export").await.status(),
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

async fn an_export_carries_every_matching_row_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let b = admin(&app).await;
    let base = flashstudio::db::now() - 100_000;
    let rows: Vec<(usize, &str, &str, &str, i64, i64)> = (0..3_000)
        .map(|i| (i, "paid", "Buyer", "SGD", 1_000 + i as i64, base + i as i64))
        .collect();
    insert_orders(&app, &rows).await;
    // Many 64 KiB chunks' worth, far past a page and in the list's order (oldest first here).
    let (_, body) = export(&b, "/admin/orders/export?sort=created_at").await;
    assert!(body.len() > 3 * 64 * 1024, "{} bytes", body.len());
    let rows = records(&body);
    assert_eq!(rows.len(), 3_001);
    for (i, r) in rows[1..].iter().enumerate() {
        assert_eq!(r[0], format!("FS-{}", 100_000 + i));
        assert_eq!(
            r[5],
            flashstudio::money::Currency::default().plain(1_000 + i as i64)
        );
    }
    // The other tables export the same way: bookings and quotes, with their own columns.
    for (table, first) in [
        ("bookings", "Booking"),
        ("quotes", "Quote"),
        ("products", "Title"),
    ] {
        let (_, body) = export(&b, &format!("/admin/{table}/export")).await;
        assert_eq!(records(&body)[0][0], first, "{table}");
    }
    app.stop().await;
}

async fn order_lines_export_with_their_orders_filters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let b = admin(&app).await;
    let day = 1_780_000_000;
    insert_orders(
        &app,
        &[
            (1, "paid", "Ana", "SGD", 5_500, day),
            (2, "expired", "Bea", "EUR", 1_200, day + 60),
        ],
    )
    .await;
    for (n, order, title, qty, unit) in [
        (1, 1, "Harbour print", 2, 2_000),
        (2, 1, "=HYPERLINK(\"http://x\")", 1, 1_500),
        (3, 2, "Film download", 1, 1_200),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "insert into order_lines (id, order_id, position, product_slug, kind, title, \
             unit_price_minor, quantity, total_minor) values ('00000000-0000-7000-8001-{n:012}', \
             '00000000-0000-7000-8000-{order:012}', {n}, 'p{n}', 'print', '{title}', {unit}, {qty}, {t})",
            t = qty * unit
        )))
        .execute(app.state.db.pool())
        .await
        .unwrap();
    }
    let (status, page) = b.get_text("/admin/order-lines").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Harbour print") && page.contains("€12.00"),
        "each in its order's currency"
    );
    let (_, body) = export(&b, "/admin/order-lines/export?f.status=paid").await;
    let rows = records(&body);
    assert_eq!(
        rows.len(),
        3,
        "the header and the paid order's two lines: {rows:?}"
    );
    let header = &rows[0];
    assert_eq!(header.last().map(String::as_str), Some("Currency"));
    let harbour = rows.iter().find(|r| r[4] == "Harbour print").unwrap();
    assert_eq!(harbour[0], "FS-100001");
    assert!(harbour.contains(&"40.00".to_owned()) && harbour.contains(&"SGD".to_owned()));
    assert!(
        rows.iter().any(|r| r[4] == "'=HYPERLINK(\"http://x\")"),
        "inert"
    );
    // The link of a line opens its order.
    let resp = b
        .client
        .get(b.url("/admin/order-line/00000000-0000-7000-8001-000000000003"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        crate::support::location(&resp),
        "/admin/order/00000000-0000-7000-8000-000000000002"
    );
    app.stop().await;
}

on_both_backends!(
    order_lines_export_with_their_orders_filters,
    orders_export_follows_the_list_and_writes_inert_cells,
    an_export_carries_every_matching_row_in_order,
);
