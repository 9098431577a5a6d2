//! SQL for carts and their lines.

use sqlx::{Any, AnyConnection, Executor, FromRow};

use crate::db::new_id;

/// A stored line: product + option key + quantity. Prices are never stored.
#[derive(Debug, Clone, FromRow)]
pub struct LineRow {
    /// Line id (how the line is addressed).
    pub id: String,
    pub product_id: String,
    /// Canonical option value ids.
    pub option_key: String,
    pub quantity: i64,
}

/// The cart id of `owner_key`, if it has one.
pub async fn find_cart<'e>(
    ex: impl Executor<'e, Database = Any>,
    owner_key: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select id from carts where owner_key = $1")
        .bind(owner_key)
        .fetch_optional(ex)
        .await
}

/// The cart of `owner_key`, created if needed, and locked for the rest of the transaction
/// (two tabs changing one cart take turns).
pub async fn lock_or_create_cart(
    conn: &mut AnyConnection,
    owner_key: &str,
    user_id: Option<&str>,
    now: i64,
) -> Result<String, sqlx::Error> {
    sqlx::query(
        "insert into carts (id, owner_key, user_id, created_at, updated_at)
         values ($1, $2, $3, $4, $4) on conflict (owner_key) do nothing",
    )
    .bind(new_id())
    .bind(owner_key)
    .bind(user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    // The write takes the row lock on PostgreSQL (SQLite's write transaction is already
    // exclusive).
    sqlx::query_scalar("update carts set updated_at = $2 where owner_key = $1 returning id")
        .bind(owner_key)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
}

/// Locks `owner_key`'s cart for the rest of the transaction, if it has one.
pub async fn lock_cart(
    conn: &mut AnyConnection,
    owner_key: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("update carts set updated_at = $2 where owner_key = $1 returning id")
        .bind(owner_key)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await
}

/// Deletes guest carts (no account) untouched since `before`; returns how many.
pub async fn delete_stale_guest_carts<'e>(
    ex: impl Executor<'e, Database = Any>,
    before: i64,
) -> Result<u64, sqlx::Error> {
    // Lines go with their cart (on delete cascade).
    let done = sqlx::query("delete from carts where user_id is null and updated_at < $1")
        .bind(before)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// The lines of a cart, oldest first.
pub async fn lines<'e>(
    ex: impl Executor<'e, Database = Any>,
    cart_id: &str,
) -> Result<Vec<LineRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, product_id, option_key, quantity from cart_lines
         where cart_id = $1 order by created_at, id",
    )
    .bind(cart_id)
    .fetch_all(ex)
    .await
}

/// Units in `owner_key`'s cart (for the header badge).
pub async fn count_units<'e>(
    ex: impl Executor<'e, Database = Any>,
    owner_key: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select cast(coalesce(sum(l.quantity), 0) as bigint) from cart_lines l
         join carts c on c.id = l.cart_id where c.owner_key = $1",
    )
    .bind(owner_key)
    .fetch_one(ex)
    .await
}

/// Sets a line to exactly `quantity` (inserting it when new).
pub async fn put_line(
    conn: &mut AnyConnection,
    cart_id: &str,
    product_id: &str,
    option_key: &str,
    quantity: i64,
    now: i64,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar(
        "insert into cart_lines (id, cart_id, product_id, option_key, quantity, created_at,
                                 updated_at)
         values ($1, $2, $3, $4, $5, $6, $6)
         on conflict (cart_id, product_id, option_key)
         do update set quantity = excluded.quantity, updated_at = excluded.updated_at
         returning id",
    )
    .bind(new_id())
    .bind(cart_id)
    .bind(product_id)
    .bind(option_key)
    .bind(quantity)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
}

/// Changes the quantity of a line of this cart. False when the line is not in it.
pub async fn set_quantity(
    conn: &mut AnyConnection,
    cart_id: &str,
    line_id: &str,
    quantity: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update cart_lines set quantity = $3, updated_at = $4 where id = $1 and cart_id = $2",
    )
    .bind(line_id)
    .bind(cart_id)
    .bind(quantity)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a line of this cart. False when it was not there.
pub async fn delete_line(
    conn: &mut AnyConnection,
    cart_id: &str,
    line_id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from cart_lines where id = $1 and cart_id = $2")
        .bind(line_id)
        .bind(cart_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a cart and its lines.
pub async fn delete_cart(conn: &mut AnyConnection, cart_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from cart_lines where cart_id = $1")
        .bind(cart_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from carts where id = $1")
        .bind(cart_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Removes from `owner_key`'s cart the units an order bought, given per product and choice
/// of options: lines bought in full go, lines the customer raised since keep the difference.
pub async fn remove_bought(
    conn: &mut AnyConnection,
    owner_key: &str,
    bought: &[(String, String, i64)],
) -> Result<(), sqlx::Error> {
    let cart = "cart_id = (select id from carts where owner_key = $1) \
                and product_id = $2 and option_key = $3";
    for (product_id, option_key, units) in bought {
        for sql in [
            format!("delete from cart_lines where {cart} and quantity <= $4"),
            format!(
                "update cart_lines set quantity = quantity - $4 where {cart} and quantity > $4"
            ),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(owner_key)
                .bind(product_id)
                .bind(option_key)
                .bind(units)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}
