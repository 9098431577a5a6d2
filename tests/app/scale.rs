//! Years of data (issue 17): the admin's searches through trigram indexes (FTS5 on SQLite,
//! pg_trgm on PostgreSQL) with the same substring matches as before, kept in step with the
//! rows by triggers; pages read by keyset and counts capped; the public snapshot reloaded
//! only when the content version moved, whoever changed the content.

use std::sync::Arc;
use std::time::Duration;

use flashstudio::catalog::shelf::Shelf;
use flashstudio::demo::{SeedOptions, seed};
use flashstudio::identity::model::Role;

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

/// `n` paid orders, `FS-100000` on, named `Buyer {i}` with `buyer{i}@example.com`, one
/// second apart (the newest last); ids are UUIDs ending in `i`.
async fn insert_orders(app: &TestApp, n: usize) {
    let base = flashstudio::db::now() - 100_000;
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut sql = String::from(
            "insert into orders (id, number, status, cart_key, fingerprint, email, name, currency, \
             subtotal_minor, total_minor, hold_expires_at, created_at, updated_at) values ",
        );
        for (k, i) in chunk.iter().enumerate() {
            if k > 0 {
                sql.push(',');
            }
            let at = base + *i as i64;
            sql.push_str(&format!(
                "('00000000-0000-7000-8000-{i:012}', 'FS-{n:06}', 'paid', 'c{i}', 'f{i}', \
                 'buyer{i}@example.com', 'Buyer {i}', 'SGD', 1000, 1000, {at}, {at}, {at})",
                n = 100_000 + i
            ));
        }
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(app.state.db.pool())
            .await
            .unwrap();
    }
}

/// The order numbers listed in an admin page's table, in order.
fn numbers(page: &str) -> Vec<String> {
    let table = page.split("<tbody").nth(1).unwrap_or("");
    table
        .match_indices("FS-1")
        .map(|(at, _)| table[at..at + 9].to_owned())
        .fold(Vec::new(), |mut out, n| {
            if out.last() != Some(&n) {
                out.push(n);
            }
            out
        })
}

/// What a substring search over number, name and email should find among the first `n`
/// inserted orders (but for `renamed`: (index, new name)), sorted.
fn expected(n: usize, q: &str, renamed: Option<(usize, &str)>, gone: &[usize]) -> Vec<String> {
    let q = q.to_lowercase();
    let mut out: Vec<String> = (0..n)
        .filter(|i| !gone.contains(i))
        .filter(|&i| {
            let name = match renamed {
                Some((r, name)) if r == i => name.to_owned(),
                _ => format!("Buyer {i}"),
            };
            [
                format!("FS-{}", 100_000 + i),
                name,
                format!("buyer{i}@example.com"),
            ]
            .iter()
            .any(|f| f.to_lowercase().contains(&q))
        })
        .map(|i| format!("FS-{}", 100_000 + i))
        .collect();
    out.sort();
    out
}

/// The `href` of the link with `rel`, unescaped.
fn link(page: &str, rel: &str) -> Option<String> {
    let tag = page
        .split('<')
        .find(|t| t.contains(&format!("rel=\"{rel}\"")))?;
    let start = tag.find("href=\"")? + 6;
    let end = tag[start..].find('"')?;
    Some(tag[start..start + end].replace("&amp;", "&"))
}

async fn searching(admin: &Browser, q: &str) -> Vec<String> {
    let (status, page) = admin
        .get_text(&format!("/admin/orders?q={}", urlencoding(q)))
        .await;
    assert_eq!(status, 200, "{q}");
    let mut found = numbers(&page);
    found.sort();
    found
}

fn urlencoding(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn admin_search_matches_substrings_through_the_index(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    insert_orders(&app, 120).await;
    let admin = admin(&app).await;

    // Substrings from the middle of a name, in any case; order numbers whole or in part;
    // emails; two characters (too few for a trigram: the table is read instead); quotes,
    // percent signs and FTS syntax as plain text.
    for q in [
        "YER 7",
        "FS-100042",
        "0011",
        "buyer63@example",
        "99",
        "r 11",
        "\"",
        "a\"b",
        "100%",
        "NEAR(buyer)",
        "buyer*",
        "{name} : x",
        "_",
        "uyer 10",
    ] {
        assert_eq!(
            searching(&admin, q).await,
            expected(120, q, None, &[]),
            "{q}"
        );
    }
    assert_eq!(searching(&admin, "YER 7").await.len(), 11, "7 and 70..79");

    // The index follows a changed name, ignores other changes, and loses a deleted order.
    sqlx::query("update orders set name = 'Zelda Quinn' where number = 'FS-100005'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    sqlx::query("update orders set status = 'fulfilled' where number = 'FS-100006'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    sqlx::query("delete from orders where number = 'FS-100042'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    for q in ["zelda", "Buyer 5", "Buyer 6", "FS-100042", "uyer 4"] {
        let want = expected(120, q, Some((5, "Zelda Quinn")), &[42]);
        assert_eq!(searching(&admin, q).await, want, "{q}");
    }
    assert_eq!(searching(&admin, "zelda").await, ["FS-100005"]);
    app.stop().await;
}

async fn admin_pages_go_by_keyset_and_stop_counting_past_ten_thousand(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    insert_orders(&app, 10_030).await;
    let admin = admin(&app).await;

    let (_, first) = admin.get_text("/admin/orders").await;
    assert!(first.contains("More than 10000 rows"), "the count stops");
    assert!(first.contains("Page 1 of more than 400"));
    assert_eq!(
        numbers(&first).first().map(String::as_str),
        Some("FS-110029")
    );

    // Next from page to page: each page starts where the last ended, by cursor.
    let mut seen = numbers(&first);
    let mut page = first;
    for _ in 0..3 {
        let next = link(&page, "next").expect("a next link");
        assert!(next.contains("after="), "{next}");
        page = admin.get_text(&next).await.1;
        seen.extend(numbers(&page));
    }
    let expected: Vec<String> = (0..100).map(|k| format!("FS-{}", 110_029 - k)).collect();
    assert_eq!(seen, expected, "four pages, newest first, no gap or repeat");

    // Back by cursor too, to the same rows.
    let prev = link(&page, "prev").expect("a previous link");
    assert!(prev.contains("before="), "{prev}");
    let back = admin.get_text(&prev).await.1;
    assert_eq!(numbers(&back), expected[50..75]);
    assert!(back.contains("Page 3 of"));

    // A page asked for by number (a typed URL) is read by offset: the same rows.
    let by_offset = admin.get_text("/admin/orders?page=3").await.1;
    assert_eq!(numbers(&by_offset), expected[50..75]);
    // A cursor naming no row falls back to the page number.
    let stale = admin
        .get_text("/admin/orders?page=2&after=00000000-0000-7000-8000-999999999999")
        .await;
    assert_eq!(stale.0, 200);
    assert_eq!(numbers(&stale.1), expected[25..50]);
    // Rows tied on the sort column keep one order across pages (by id, same direction).
    sqlx::query(
        "update orders set created_at = 5 where number between 'FS-110000' and 'FS-110029'",
    )
    .execute(app.state.db.pool())
    .await
    .unwrap();
    let asc = admin.get_text("/admin/orders?sort=created_at").await.1;
    let next = admin.get_text(&link(&asc, "next").unwrap()).await.1;
    let mut both = numbers(&asc);
    both.extend(numbers(&next));
    let tied: Vec<String> = (0..30).map(|k| format!("FS-{}", 110_000 + k)).collect();
    assert_eq!(
        both[..30],
        tied[..],
        "ties ordered by id, across the page break"
    );
    // A search matching more than the cap: newest first, counted to the cap.
    let (_, dense) = admin.get_text("/admin/orders?q=buyer").await;
    assert!(dense.contains("More than 10000 rows"));
    assert_eq!(
        numbers(&dense)[..2],
        ["FS-109999", "FS-109998"],
        "the tied rows are now oldest"
    );
    // A filter still counts exactly below the cap.
    let (_, few) = admin.get_text("/admin/orders?q=Buyer+1002").await;
    assert!(few.contains("11 rows"), "1002, 10020..10029");
    app.stop().await;
}

async fn the_public_snapshot_reloads_only_when_the_content_changed(backend: Backend) {
    let app = TestApp::builder(backend)
        .var("CONTENT_CACHE_TTL_MS", "200")
        .spawn()
        .await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .unwrap();
    let version = || async {
        sqlx::query_scalar::<_, i64>("select version from content_version")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap()
    };
    // The demo's pictures are analysed by jobs, which write their media rows: let them end.
    crate::support::eventually(
        "the demo's jobs to finish",
        Duration::from_secs(60),
        || async {
            let pending: i64 = sqlx::query_scalar(
                "select count(*) from jobs where status in ('queued', 'running')",
            )
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
            (pending == 0).then_some(())
        },
    )
    .await;
    let before = app.state.content.get::<Shelf>(&app.state.db).await.unwrap();
    // Past the TTL with nothing changed: the same snapshot (and its rendered fragments).
    tokio::time::sleep(Duration::from_millis(450)).await;
    let again = app.state.content.get::<Shelf>(&app.state.db).await.unwrap();
    assert!(
        Arc::ptr_eq(&before, &again),
        "nothing changed, nothing reloaded"
    );
    // Orders and carts are not content: they move nothing.
    let v0 = version().await;
    insert_orders(&app, 3).await;
    assert_eq!(version().await, v0);

    // A product renamed by something that does not tell this process (another replica, the
    // API on another pod): the trigger bumps the version, the next check reloads.
    let slug = before.products[0].slug.clone();
    sqlx::query("update products set title = 'Renamed Elsewhere' where slug = $1")
        .bind(&slug)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    assert!(version().await > v0);
    // The first request past the TTL notices and starts a reload in the background, keeping
    // the old picture meanwhile; the reloaded one shows right after.
    let path = format!("/products/{slug}");
    let started = std::time::Instant::now();
    crate::support::eventually("the rename to show", Duration::from_secs(5), || async {
        let (_, page) = app.browser.get_text(&path).await;
        page.contains("Renamed Elsewhere").then_some(())
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_millis(2_000),
        "seen within the TTL and a reload: {:?}",
        started.elapsed()
    );
    let after = app.state.content.get::<Shelf>(&app.state.db).await.unwrap();
    assert!(!Arc::ptr_eq(&before, &after));

    // Every content table bumps it, reviews and media included.
    for sql in [
        "update categories set name = name || ' '",
        "update faqs set answer = answer || ' '",
        "update studio_details set value = value || ' '",
        "update media set updated_at = updated_at + 1",
        "update service_packages set name = name || ' '",
        "delete from product_option_values where product_id = (select id from products order by id limit 1)",
    ] {
        let v = version().await;
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(app.state.db.pool())
            .await
            .unwrap();
        assert!(version().await > v, "{sql}");
    }
    app.stop().await;
}

/// Every request needs one pooled connection at a time: the embedded database's pool is small
/// (four), and a request that waited for a second connection while it held one could wait on
/// itself until the acquire timeout. With a pool of one, the demo is seeded, a print is bought
/// through the dev gateway and its webhook, and staff read the dashboard, the best sellers and
/// an export of every order while the buyer browses, all at once.
async fn one_connection_serves_a_purchase_and_the_staff(backend: Backend) {
    let app =
        crate::orders::shop_with(TestApp::builder(backend).var("DATABASE_MAX_CONNECTIONS", "1"))
            .await;
    let buyer = app.new_browser();
    crate::orders::add(&app, &buyer, "marina-bay-blue-hour", 1).await;
    let gateway = crate::orders::checkout(&buyer, "bea@example.com").await;
    let back = crate::orders::dev_gateway(&buyer, &gateway, "pay").await;
    let (status, page) = buyer.get_text(&back).await;
    assert_eq!(status, 200);
    assert!(page.contains("Payment received"), "{page}");

    insert_orders(&app, 2_000).await;
    let staff = admin(&app).await;
    let (export, shop, best, dashboard, cart) = tokio::join!(
        staff.get_text("/admin/orders/export"),
        buyer.get_text("/shop"),
        staff.get_text("/admin/analytics/best-sellers?range=30d"),
        staff.get_text("/admin/"),
        buyer.get_text("/cart"),
    );
    assert_eq!(export.0, 200);
    assert_eq!(
        export.1.lines().count(),
        1 + 2_001,
        "the header and every order"
    );
    assert_eq!(shop.0, 200);
    assert_eq!(best.0, 200);
    assert!(best.1.contains("Marina Bay"), "{}", best.1);
    assert_eq!(dashboard.0, 200);
    assert_eq!(cart.0, 200);
}

on_both_backends!(
    admin_search_matches_substrings_through_the_index,
    admin_pages_go_by_keyset_and_stop_counting_past_ten_thousand,
    the_public_snapshot_reloads_only_when_the_content_changed,
    one_connection_serves_a_purchase_and_the_staff,
);
