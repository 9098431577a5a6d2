//! Grows a database that already holds the demo studio (`flashstudio seed-demo`) into a studio
//! that has traded for years: copies of the demo products (with their option values) up to
//! `PRODUCTS`, and `ORDERS` paid orders with their lines, payments, confirmation emails and
//! the customers' accounts. Deterministic: the same arguments give the same rows (ids, names,
//! amounts; times count back from the start of the current UTC day).
//!
//!   cargo run --release --example scale_data -- DATABASE_URL [PRODUCTS] [ORDERS]
//!
//! `scripts/bench-scale` runs it on SQLite and PostgreSQL. Orders are spread over three years,
//! newest last; the newest 40 with prints are still to ship, older ones are fulfilled; one in
//! four belongs to an account (one account per 8 orders), the others are guests. Every 97th
//! order is in a second currency (EUR), every 53rd was partly refunded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Instant;

use flashstudio::db::Db;
use sqlx::Row as _;

/// A deterministic UUID-shaped id: `kind` tells the table, `n` the row.
fn id(kind: u32, n: u64) -> String {
    format!("5ca1e{kind:03x}-0000-7000-8000-{n:012x}")
}

const BATCH: usize = 400;

struct Demo {
    id: String,
    slug: String,
    title: String,
    kind: String,
    price_minor: i64,
    currency: String,
}

async fn demo_products(db: &Db) -> Vec<Demo> {
    sqlx::query(
        "select id, slug, title, kind, price_minor, currency from products \
         where id not like '5ca1e%' order by created_at, id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| Demo {
        id: r.get(0),
        slug: r.get(1),
        title: r.get(2),
        kind: r.get(3),
        price_minor: r.get(4),
        currency: r.get(5),
    })
    .collect()
}

/// Copies of the demo products, with their option values, until there are `target`.
async fn grow_products(
    db: &Db,
    demo: &[Demo],
    target: usize,
) -> Vec<(String, String, String, String, i64)> {
    let mut out: Vec<(String, String, String, String, i64)> = demo
        .iter()
        .map(|d| {
            (
                d.id.clone(),
                d.slug.clone(),
                d.title.clone(),
                d.kind.clone(),
                d.price_minor,
            )
        })
        .collect();
    let mut n = 0u64;
    let mut tx = db.begin().await.unwrap();
    while out.len() < target {
        let d = &demo[(n as usize) % demo.len()];
        let copy = n / demo.len() as u64 + 1;
        let pid = id(1, n);
        let slug = format!("{}-{copy}", d.slug);
        let title = format!("{} No. {copy}", d.title);
        // Older than the demo's own products: the demo stays on the shop's first page.
        sqlx::query(
            "insert into products (id, slug, kind, title, summary, description, category_id, \
             price_minor, currency, stock, image_media_id, digital_media_id, active, featured, \
             version, created_at, updated_at) \
             select $1, $2, kind, $3, summary, description, category_id, price_minor + $4, \
             currency, stock, image_media_id, digital_media_id, 1, 0, 1, created_at - $5, updated_at \
             from products where id = $6",
        )
        .bind(&pid)
        .bind(&slug)
        .bind(&title)
        .bind((copy % 7) as i64 * 100)
        .bind(3_600 + n as i64)
        .bind(&d.id)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "insert into product_option_values (product_id, value_id) \
             select $1, value_id from product_option_values where product_id = $2",
        )
        .bind(&pid)
        .bind(&d.id)
        .execute(&mut *tx)
        .await
        .unwrap();
        out.push((
            pid,
            slug,
            title,
            d.kind.clone(),
            d.price_minor + (copy % 7) as i64 * 100,
        ));
        n += 1;
        if n.is_multiple_of(1000) {
            tx.commit().await.unwrap();
            tx = db.begin().await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    out
}

/// Inserts `rows` (each a list of text-or-int values) into `table (columns)`, `BATCH` rows a
/// statement.
async fn insert_rows(tx: &mut flashstudio::db::Tx, table: &str, columns: &str, rows: &[Vec<V>]) {
    for chunk in rows.chunks(BATCH) {
        let width = chunk[0].len();
        let mut sql = format!("insert into {table} ({columns}) values ");
        for (r, _) in chunk.iter().enumerate() {
            if r > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..width {
                if c > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("${}", r * width + c + 1));
            }
            sql.push(')');
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            for v in row {
                q = match v {
                    V::T(s) => q.bind(s.clone()),
                    V::I(i) => q.bind(*i),
                    V::N => q.bind(None::<String>),
                };
            }
        }
        q.execute(&mut **tx).await.unwrap();
    }
}

#[derive(Clone)]
enum V {
    T(String),
    I(i64),
    N,
}

fn t(s: impl Into<String>) -> V {
    V::T(s.into())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).expect("DATABASE_URL");
    let products: usize = args.get(2).map_or(5_000, |a| a.parse().unwrap());
    let orders: u64 = args.get(3).map_or(200_000, |a| a.parse().unwrap());
    let db = Db::connect(url, 4).await.unwrap();
    db.migrate().await.unwrap();
    let demo = demo_products(&db).await;
    assert!(
        !demo.is_empty(),
        "seed the demo studio first (flashstudio seed-demo)"
    );

    let t0 = Instant::now();
    let shelf = grow_products(&db, &demo, products).await;
    let shop_currency = demo[0].currency.clone();
    println!(
        "products: {} in {:.1} s",
        shelf.len(),
        t0.elapsed().as_secs_f64()
    );

    let t1 = Instant::now();
    let day = jiff::Timestamp::now().as_second() / 86_400 * 86_400;
    let span = 3 * 365 * 86_400;
    let start: i64 = sqlx::query_scalar("select value from counters where name = 'order_number'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let accounts = orders / 8;
    let mut tx = db.begin().await.unwrap();
    let mut users = Vec::new();
    for u in 0..accounts {
        // The password hash is not a valid hash: these accounts cannot sign in.
        users.push(vec![
            t(id(6, u)),
            t(format!("customer{u}@example.com")),
            t("!"),
            t(format!("Customer {u}")),
            t("customer"),
            V::I(day - span + (u as i64 * span / accounts.max(1) as i64)),
            V::I(day - span),
        ]);
        if users.len() == 4_000 {
            insert_rows(
                &mut tx,
                "users",
                "id, email, password_hash, display_name, role, created_at, updated_at",
                &users,
            )
            .await;
            users.clear();
        }
    }
    insert_rows(
        &mut tx,
        "users",
        "id, email, password_hash, display_name, role, created_at, updated_at",
        &users,
    )
    .await;
    tx.commit().await.unwrap();

    let (mut o_rows, mut l_rows, mut p_rows, mut e_rows) = (vec![], vec![], vec![], vec![]);
    let mut tx = db.begin().await.unwrap();
    for i in 0..orders {
        let n = start as u64 + i + 1;
        let oid = id(2, i);
        let at = day - span + (i as i64 * span / orders as i64);
        let currency = if i % 97 == 96 {
            "EUR".to_owned()
        } else {
            shop_currency.clone()
        };
        let mut total = 0i64;
        let mut prints = 0i64;
        let mut digital = 0i64;
        for pos in 0..(1 + i % 3) {
            let (pid, slug, title, kind, price) =
                &shelf[((i * 7_919 + pos * 104_729) % shelf.len() as u64) as usize];
            let qty = 1 + (i + pos) % 2;
            let line_total = price * qty as i64;
            total += line_total;
            if kind == "print" {
                prints = 1
            } else {
                digital = 1
            }
            l_rows.push(vec![
                t(id(3, i * 3 + pos)),
                t(&oid),
                V::I(pos as i64),
                t(pid),
                t(slug),
                t(kind),
                t(title),
                V::I(*price),
                V::I(qty as i64),
                V::I(line_total),
            ]);
        }
        let status = if prints == 1 && i + 40 < orders {
            "fulfilled"
        } else {
            "paid"
        };
        let (email, user) = if i % 4 == 0 {
            let u = (i / 4) % accounts.max(1);
            (format!("customer{u}@example.com"), t(id(6, u)))
        } else {
            (format!("buyer{i}@example.com"), V::N)
        };
        o_rows.push(vec![
            t(&oid),
            t(format!("FS-{n:06}")),
            t(status),
            user,
            t(format!("scale-{i}")),
            t(format!("fp-{i}")),
            t(&email),
            t(format!("Buyer {i}")),
            t(&currency),
            V::I(total),
            V::I(total),
            V::I(prints),
            V::I(digital),
            V::I(at + 1_800),
            V::I(at),
            V::I(at + 60),
        ]);
        let refunded = if i % 53 == 52 { total / 2 } else { 0 };
        p_rows.push(vec![
            t(id(4, i)),
            t("order"),
            t(&oid),
            V::I(1),
            t("dev"),
            t(if refunded > 0 {
                "partially_refunded"
            } else {
                "paid"
            }),
            V::I(total),
            t(&currency),
            V::I(total),
            V::I(refunded),
            V::I(at),
            V::I(at + 60),
            V::I(at + 60),
        ]);
        e_rows.push(vec![
            t(id(5, i)),
            t("order_confirmed"),
            t(&email),
            t(format!("Order FS-{n:06} confirmed")),
            t("Thank you for your order."),
            t("<p>Thank you for your order.</p>"),
            t("sent"),
            V::I(1),
            V::I(at + 60),
            V::I(at + 65),
            V::I(at + 65),
        ]);
        if o_rows.len() == 2_000 || i + 1 == orders {
            insert_rows(&mut tx, "orders", "id, number, status, user_id, cart_key, fingerprint, email, name, currency, subtotal_minor, total_minor, has_prints, has_digital, hold_expires_at, created_at, updated_at", &o_rows).await;
            insert_rows(&mut tx, "order_lines", "id, order_id, position, product_id, product_slug, kind, title, unit_price_minor, quantity, total_minor", &l_rows).await;
            insert_rows(&mut tx, "payments", "id, purpose, order_id, attempt, gateway, status, amount_minor, currency, captured_minor, refunded_minor, created_at, updated_at, paid_at", &p_rows).await;
            insert_rows(&mut tx, "emails", "id, kind, to_address, subject, text_body, html_body, status, attempts, created_at, updated_at, sent_at", &e_rows).await;
            o_rows.clear();
            l_rows.clear();
            p_rows.clear();
            e_rows.clear();
            if i % 20_000 < 2_000 {
                tx.commit().await.unwrap();
                tx = db.begin().await.unwrap();
            }
        }
    }
    sqlx::query("update counters set value = $1 where name = 'order_number'")
        .bind(start + orders as i64)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    println!(
        "orders: {orders} with lines, payments and emails, {accounts} accounts, in {:.1} s",
        t1.elapsed().as_secs_f64()
    );
    // PostgreSQL's autovacuum would have gathered planner statistics by now; SQLite has only
    // what the application itself runs.
    if db.backend() == flashstudio::db::Backend::Postgres {
        sqlx::query("analyze").execute(db.pool()).await.unwrap();
    }
    db.close().await;
}
