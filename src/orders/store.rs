//! SQL for orders, their lines and downloads. Status changes go through
//! [`set_status`], a conditional update checked by the state machine.

use sqlx::{Any, AnyConnection, Executor, FromRow, Row as _};

use super::state::{IllegalTransition, OrderEvent, OrderStatus};
use crate::catalog::model::ProductKind;

pub const ORDER_COLUMNS: &str = "id, number, status, user_id, cart_key, fingerprint, email, name, \
     phone, ship_line1, ship_line2, ship_city, ship_postcode, ship_country, currency, \
     subtotal_minor, total_minor, has_prints, has_digital, hold_expires_at, tracking_note, \
     staff_note, attention, version, created_at, updated_at, paid_at, fulfilled_at, closed_at";

#[derive(Debug, Clone, FromRow)]
pub struct Order {
    pub id: String,
    /// `FS-000123`.
    pub number: String,
    /// Stored status (see [`Order::status`]).
    pub status: String,
    /// The account, if placed signed in.
    pub user_id: Option<String>,
    /// The cart it came from.
    pub cart_key: String,
    /// Hash of the cart's lines and prices when placed.
    pub fingerprint: String,
    pub email: String,
    /// Customer name.
    pub name: String,
    pub phone: String,
    /// Shipping address (prints only).
    pub ship_line1: Option<String>,
    /// Second address line.
    pub ship_line2: Option<String>,
    pub ship_city: Option<String>,
    pub ship_postcode: Option<String>,
    pub ship_country: Option<String>,
    /// ISO code.
    pub currency: String,
    /// Sum of lines.
    pub subtotal_minor: i64,
    /// What is charged.
    pub total_minor: i64,
    /// Has physical prints (1/0).
    #[sqlx(try_from = "crate::db::Flag")]
    pub has_prints: bool,
    /// Has digital files (1/0).
    #[sqlx(try_from = "crate::db::Flag")]
    pub has_digital: bool,
    /// Stock is held until then unless paid.
    pub hold_expires_at: i64,
    /// Shipping note from staff.
    pub tracking_note: Option<String>,
    /// Internal note.
    pub staff_note: String,
    /// Something for a person to look at.
    pub attention: Option<String>,
    pub version: i64,
    /// Placed at.
    pub created_at: i64,
    pub updated_at: i64,
    pub paid_at: Option<i64>,
    pub fulfilled_at: Option<i64>,
    /// Cancelled or expired at.
    pub closed_at: Option<i64>,
}

impl Order {
    /// The state-machine status (an unknown stored value reads as expired, the inert state).
    pub fn status(&self) -> OrderStatus {
        OrderStatus::parse(&self.status).unwrap_or(OrderStatus::Expired)
    }

    /// `minor` units of the order's currency.
    pub fn money(&self, minor: i64) -> crate::money::Money {
        crate::money::Money::of_code(minor, &self.currency)
    }

    /// Whether the order has prints to ship.
    pub fn ships(&self) -> bool {
        self.has_prints
    }

    /// Paid (or fulfilled after payment).
    pub fn is_paid(&self) -> bool {
        matches!(
            self.status(),
            super::state::OrderStatus::Paid | super::state::OrderStatus::Fulfilled
        )
    }
}

/// An order line (a snapshot of the cart line).
#[derive(Debug, Clone, FromRow)]
pub struct OrderLine {
    pub id: String,
    pub order_id: String,
    pub position: i64,
    /// The product (gone if deleted since).
    pub product_id: Option<String>,
    /// Slug when ordered.
    pub product_slug: String,
    /// `print` or `digital`.
    #[sqlx(try_from = "String")]
    pub kind: ProductKind,
    /// Title when ordered.
    pub title: String,
    /// `Size: A3 · Frame: Black`.
    pub options_label: String,
    /// Option value ids.
    pub option_key: String,
    /// Unit price when ordered.
    pub unit_price_minor: i64,
    pub quantity: i64,
    /// `unit × quantity`.
    pub total_minor: i64,
    /// Stock taken for this line.
    pub held: i64,
    /// The delivered file (digital).
    pub digital_media_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    pub id: &'a str,
    pub number: &'a str,
    pub user_id: Option<&'a str>,
    pub cart_key: &'a str,
    /// Cart hash.
    pub fingerprint: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub phone: &'a str,
    /// Address lines, city, postcode, country (prints only).
    pub ship: Option<[&'a str; 5]>,
    /// ISO code.
    pub currency: &'a str,
    /// Sum of lines.
    pub subtotal_minor: i64,
    pub has_prints: bool,
    pub has_digital: bool,
    pub hold_expires_at: i64,
    /// Hash of the placing client's rate-limit key.
    pub client_hash: &'a str,
    pub now: i64,
}

/// Takes the next order number (`FS-000001`, ...) inside the caller's transaction.
pub async fn next_number(conn: &mut AnyConnection) -> Result<String, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "update counters set value = value + 1 where name = 'order_number' returning value",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(format!("FS-{n:06}"))
}

/// Inserts an order.
pub async fn insert(conn: &mut AnyConnection, o: &NewOrder<'_>) -> Result<(), sqlx::Error> {
    let ship = o.ship.map(|a| a.map(str::to_owned));
    let part = |i: usize| ship.as_ref().map(|a| a[i].clone());
    sqlx::query(
        "insert into orders (id, number, status, user_id, cart_key, fingerprint, email, name, \
         phone, ship_line1, ship_line2, ship_city, ship_postcode, ship_country, currency, \
         subtotal_minor, total_minor, has_prints, has_digital, hold_expires_at, \
         created_at, updated_at, client_hash) \
         values ($1, $2, 'pending_payment', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
         $15, $15, $16, $17, $18, $19, $19, $20)",
    )
    .bind(o.id)
    .bind(o.number)
    .bind(o.user_id)
    .bind(o.cart_key)
    .bind(o.fingerprint)
    .bind(o.email)
    .bind(o.name)
    .bind(o.phone)
    .bind(part(0))
    .bind(part(1))
    .bind(part(2))
    .bind(part(3))
    .bind(part(4))
    .bind(o.currency)
    .bind(o.subtotal_minor)
    .bind(i64::from(o.has_prints))
    .bind(i64::from(o.has_digital))
    .bind(o.hold_expires_at)
    .bind(o.now)
    .bind(o.client_hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Units of each product held by the unpaid orders of one email address (any case) or one
/// client, in the caller's transaction.
pub async fn unpaid_units_of(
    conn: &mut AnyConnection,
    email: &str,
    client_hash: &str,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select l.product_id, cast(sum(l.held) as bigint) from orders o \
         join order_lines l on l.order_id = o.id \
         where o.status = 'pending_payment' and l.held > 0 and l.product_id is not null \
         and (lower(o.email) = $1 or o.client_hash = $2) \
         group by l.product_id",
    )
    .bind(email.to_lowercase())
    .bind(client_hash)
    .fetch_all(&mut *conn)
    .await
}

/// Gives the orders placed as a guest with `email` (any case) to the account `user_id`, once
/// the account confirmed that address; how many moved.
pub async fn attach_guest_orders(
    conn: &mut AnyConnection,
    user_id: &str,
    email: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update orders set user_id = $1, updated_at = $3 \
         where user_id is null and lower(email) = $2",
    )
    .bind(user_id)
    .bind(email.to_lowercase())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Inserts an order line.
pub async fn insert_line(conn: &mut AnyConnection, l: &OrderLine) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into order_lines (id, order_id, position, product_id, product_slug, kind, title, \
         options_label, option_key, unit_price_minor, quantity, total_minor, held, \
         digital_media_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&l.id)
    .bind(&l.order_id)
    .bind(l.position)
    .bind(&l.product_id)
    .bind(&l.product_slug)
    .bind(l.kind.as_str())
    .bind(&l.title)
    .bind(&l.options_label)
    .bind(&l.option_key)
    .bind(l.unit_price_minor)
    .bind(l.quantity)
    .bind(l.total_minor)
    .bind(l.held)
    .bind(&l.digital_media_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The stock an order's lines hold, per product in id order (the order stock rows are
/// locked in, by checkouts and releases alike, so they never wait on each other in opposite
/// orders).
pub async fn held_stock(
    conn: &mut AnyConnection,
    order_id: &str,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select product_id, cast(sum(held) as bigint) from order_lines \
         where order_id = $1 and held > 0 and product_id is not null \
         group by product_id order by product_id",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await
}

/// What an order bought, per product and choice of options: (product id, option key,
/// units).
pub async fn bought(
    conn: &mut AnyConnection,
    order_id: &str,
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select product_id, option_key, cast(sum(quantity) as bigint) from order_lines \
         where order_id = $1 and product_id is not null \
         group by product_id, option_key order by product_id, option_key",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await
}

/// Moves an order from its current state by `event`, if the state machine allows it and no
/// one moved it first. Returns the new status, or `None` when the order was not in `from`
/// any more (someone else won the race); an illegal move is an error.
pub async fn set_status(
    conn: &mut AnyConnection,
    order_id: &str,
    from: OrderStatus,
    event: OrderEvent,
    now: i64,
) -> Result<Option<OrderStatus>, TransitionError> {
    let to = from.next(event)?;
    let stamp = match to {
        OrderStatus::Paid => "paid_at",
        OrderStatus::Fulfilled => "fulfilled_at",
        OrderStatus::Cancelled | OrderStatus::Expired => "closed_at",
        OrderStatus::PendingPayment => "updated_at",
    };
    let sql = format!(
        "update orders set status = $3, {stamp} = $4, updated_at = $4, version = version + 1 \
         where id = $1 and status = $2"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(order_id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok((done.rows_affected() == 1).then_some(to))
}

/// A refused or failed transition.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    /// The state machine said no.
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// An order by id.
pub async fn find<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<Order>, sqlx::Error> {
    let sql = format!("select {ORDER_COLUMNS} from orders where id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// An order by number.
pub async fn find_by_number<'e>(
    ex: impl Executor<'e, Database = Any>,
    number: &str,
) -> Result<Option<Order>, sqlx::Error> {
    let sql = format!("select {ORDER_COLUMNS} from orders where number = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(number)
        .fetch_optional(ex)
        .await
}

/// Locks an order row for the rest of the transaction (portable `update … returning`).
pub async fn lock(conn: &mut AnyConnection, id: &str) -> Result<Option<Order>, sqlx::Error> {
    let sql =
        format!("update orders set version = version where id = $1 returning {ORDER_COLUMNS}");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

/// The pending order placed from `cart_key`, newest first.
pub async fn pending_for_cart(
    conn: &mut AnyConnection,
    cart_key: &str,
) -> Result<Vec<Order>, sqlx::Error> {
    let sql = format!(
        "select {ORDER_COLUMNS} from orders where cart_key = $1 and status = 'pending_payment' \
         order by created_at desc"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(cart_key)
        .fetch_all(&mut *conn)
        .await
}

/// An order's lines.
pub async fn lines<'e>(
    ex: impl Executor<'e, Database = Any>,
    order_id: &str,
) -> Result<Vec<OrderLine>, sqlx::Error> {
    sqlx::query_as(
        "select id, order_id, position, product_id, product_slug, kind, title, options_label, \
         option_key, unit_price_minor, quantity, total_minor, held, digital_media_id \
         from order_lines where order_id = $1 order by position",
    )
    .bind(order_id)
    .fetch_all(ex)
    .await
}

/// The order an order line belongs to.
pub async fn order_of_line<'e>(
    ex: impl Executor<'e, Database = Any>,
    line_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select order_id from order_lines where id = $1")
        .bind(line_id)
        .fetch_optional(ex)
        .await
}

/// An account's orders, newest first.
pub async fn for_user<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
    limit: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    let sql = format!(
        "select {ORDER_COLUMNS} from orders where user_id = $1 order by created_at desc, number desc limit $2"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(limit)
        .fetch_all(ex)
        .await
}

/// A customer's orders, newest first: the account's, and the guest orders placed with its
/// email address (or, for a customer without an account, the orders placed with `email`).
pub async fn of_customer<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: Option<&str>,
    email: &str,
    limit: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    let sql = format!(
        "select {ORDER_COLUMNS} from orders \
         where user_id = $1 or (user_id is null and lower(email) = lower($2)) \
         order by created_at desc, number desc limit $3"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(email)
        .bind(limit)
        .fetch_all(ex)
        .await
}

/// Pending orders whose hold ended before `before`, whose payment is not in flight
/// (a completed checkout waiting for an asynchronous payment keeps its hold).
pub async fn due_for_expiry<'e>(
    ex: impl Executor<'e, Database = Any>,
    before: i64,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select o.id from orders o where o.status = 'pending_payment' and o.hold_expires_at < $1 \
         and not exists (select 1 from payments p where p.order_id = o.id \
           and p.status = 'unpaid' and p.payment_intent is not null) \
         order by o.hold_expires_at limit $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Paid orders with prints that have not shipped yet (the dashboard).
pub async fn count_to_ship<'e>(ex: impl Executor<'e, Database = Any>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from orders where status = 'paid' and has_prints = 1")
        .fetch_one(ex)
        .await
}

/// Orders flagged for a person to look at (the dashboard).
pub async fn count_needing_attention<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from orders where attention is not null")
        .fetch_one(ex)
        .await
}

/// Adds a sentence to the attention note (`None` clears it, once resolved).
pub async fn set_attention(
    conn: &mut AnyConnection,
    order_id: &str,
    note: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update orders set attention = case when cast($2 as text) is null then null \
           when attention is null then cast($2 as text) else attention || ' ' || cast($2 as text) end, \
         updated_at = $3, version = version + 1 where id = $1",
    )
    .bind(order_id)
    .bind(note)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records the shipping note.
pub async fn set_tracking(
    conn: &mut AnyConnection,
    order_id: &str,
    note: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update orders set tracking_note = $2, updated_at = $3, version = version + 1 where id = $1",
    )
    .bind(order_id)
    .bind(note)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Creates or renews the download link of a digital line.
pub async fn put_download(
    conn: &mut AnyConnection,
    order_id: &str,
    line_id: &str,
    token_hash: &str,
    expires_at: i64,
    max_uses: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into downloads (id, order_id, order_line_id, token_hash, expires_at, max_uses, \
         uses, created_at) values ($1, $2, $3, $4, $5, $6, 0, $7) \
         on conflict (order_line_id) do update set token_hash = excluded.token_hash, \
         expires_at = excluded.expires_at, max_uses = excluded.max_uses, uses = 0, \
         created_at = excluded.created_at",
    )
    .bind(crate::db::new_id())
    .bind(order_id)
    .bind(line_id)
    .bind(token_hash)
    .bind(expires_at)
    .bind(max_uses)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What a download link may still do.
#[derive(Debug, Clone, FromRow)]
pub struct Download {
    pub media_id: Option<String>,
    /// Title of the line.
    pub title: String,
    /// Uses so far (after this one).
    pub uses: i64,
    pub max_uses: i64,
    pub expires_at: i64,
}

/// The update that spends one use of a download, for a `where` clause naming it (`$1`, and
/// `$3` where needed; `$2` is now): only a paid order's, before it expires and while uses are
/// left, in one conditional statement.
macro_rules! spend_download {
    ($which:literal) => {
        concat!(
            "update downloads set uses = uses + 1, last_used_at = $2 where ",
            $which,
            " and expires_at > $2 and uses < max_uses \
             and exists (select 1 from orders o where o.id = downloads.order_id \
               and o.status in ('paid', 'fulfilled')) \
             and exists (select 1 from payments p where p.order_id = downloads.order_id \
               and p.status in ('paid', 'partially_refunded')) \
             returning (select digital_media_id from order_lines l where l.id = downloads.order_line_id) as media_id, \
               (select title from order_lines l where l.id = downloads.order_line_id) as title, \
               uses, max_uses, expires_at"
        )
    };
}

/// Spends one use of a download link; `None` when unknown, expired or used up.
pub async fn use_download<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
    now: i64,
) -> Result<Option<Download>, sqlx::Error> {
    sqlx::query_as(spend_download!("token_hash = $1"))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(ex)
        .await
}

/// Spends one use of the download of an order's line (the order page's button); `None` as
/// for [`use_download`].
pub async fn use_line_download<'e>(
    ex: impl Executor<'e, Database = Any>,
    order_id: &str,
    line_id: &str,
    now: i64,
) -> Result<Option<Download>, sqlx::Error> {
    sqlx::query_as(spend_download!("order_id = $1 and order_line_id = $3"))
        .bind(order_id)
        .bind(now)
        .bind(line_id)
        .fetch_optional(ex)
        .await
}

/// A download link's state without spending a use (the page before the button).
pub async fn peek_download<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
    now: i64,
) -> Result<Option<Download>, sqlx::Error> {
    sqlx::query_as(
        "select l.digital_media_id as media_id, l.title, d.uses, d.max_uses, d.expires_at \
         from downloads d join order_lines l on l.id = d.order_line_id \
         where d.token_hash = $1 and d.expires_at > $2 and d.uses < d.max_uses \
         and exists (select 1 from orders o where o.id = d.order_id \
           and o.status in ('paid', 'fulfilled')) \
         and exists (select 1 from payments p where p.order_id = d.order_id \
           and p.status in ('paid', 'partially_refunded'))",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(ex)
    .await
}

/// Download state per line of an order: (line id, uses, max uses, expires at).
pub async fn downloads_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    order_id: &str,
) -> Result<Vec<(String, i64, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select order_line_id, uses, max_uses, expires_at from downloads where order_id = $1",
    )
    .bind(order_id)
    .fetch_all(ex)
    .await
}

/// Whether `user_id` has a paid or fulfilled order containing `product_id` (a verified
/// review).
#[tracing::instrument(skip_all, fields(product.id = %product_id))]
pub async fn has_bought<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
    product_id: &str,
) -> Result<bool, sqlx::Error> {
    // A count rather than `exists`: PostgreSQL answers `exists` with a boolean, SQLite with
    // an integer, and the `Any` driver decodes neither as the other.
    let lines: i64 = sqlx::query_scalar(
        "select count(*) from order_lines ol join orders o on o.id = ol.order_id
         where o.user_id = $1 and ol.product_id = $2 and o.status in ('paid', 'fulfilled')",
    )
    .bind(user_id)
    .bind(product_id)
    .fetch_one(ex)
    .await?;
    Ok(lines > 0)
}

/// At login: the guest cart's pending orders follow it into the account (checking out again
/// finds them, and their payment empties the right cart).
pub async fn follow_cart(
    conn: &mut AnyConnection,
    guest_key: &str,
    account_key: &str,
    user_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update orders set cart_key = $2, user_id = coalesce(user_id, $3), updated_at = $4 \
         where cart_key = $1 and status = 'pending_payment'",
    )
    .bind(guest_key)
    .bind(account_key)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// One product's sales in a report's period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSales {
    /// The product, when it still exists.
    pub product_id: Option<String>,
    /// The title it was last sold under.
    pub title: String,
    /// ISO code of the orders.
    pub currency: String,
    /// Units sold.
    pub units: i64,
    /// The lines' total (before refunds).
    pub total_minor: i64,
    /// The newest order it was sold in (its title is read from there).
    pub latest_order: String,
}

/// The lines of the order payments captured in `$1..$2`, per product (or a deleted
/// product's slug) and currency, best first; at most `$3`.
const SALES_BY_PRODUCT: &str = "select min(l.product_id), min(l.product_slug), p.currency, \
        cast(sum(l.quantity) as bigint), cast(sum(l.total_minor) as bigint), \
        max(l.order_id) \
     from payments p join order_lines l on l.order_id = p.order_id \
     where p.paid_at >= $1 and p.paid_at < $2 and p.purpose = 'order' \
       and p.captured_minor > 0 \
     group by coalesce(l.product_id, l.product_slug), p.currency \
     order by 5 desc, 4 desc limit $3";

/// Every product's sales of the order payments captured in `[from, to)`, per product (a
/// deleted product's lines under its slug) and currency, best first (by the lines' total, then
/// units); the slug stands in for the title (see [`name_sales`]). An order paid twice by
/// mistake counts twice, as it does among the orders paid. One query, read from the indexes
/// of payments by capture time and of lines by order.
pub async fn sales_by_product(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> Result<Vec<ProductSales>, sqlx::Error> {
    let rows = sqlx::query(SALES_BY_PRODUCT)
        .bind(from)
        .bind(to)
        .bind(i64::MAX)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ProductSales {
                product_id: r.try_get(0)?,
                title: r.try_get(1)?,
                currency: r.try_get(2)?,
                units: r.try_get(3)?,
                total_minor: r.try_get(4)?,
                latest_order: r.try_get(5)?,
            })
        })
        .collect()
}

/// Gives each of `sales` the title its product was sold under in the newest of those orders
/// (one primary-key read each: call it for the few shown).
pub async fn name_sales(
    conn: &mut AnyConnection,
    sales: &mut [ProductSales],
) -> Result<(), sqlx::Error> {
    for p in sales {
        let title: Option<String> = sqlx::query_scalar(
            "select title from order_lines where order_id = $1 \
             and (product_id = $2 or product_slug = $3) limit 1",
        )
        .bind(&p.latest_order)
        .bind(&p.product_id)
        .bind(&p.title)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(title) = title {
            p.title = title;
        }
    }
    Ok(())
}

/// Checkouts abandoned in `[from, to)` (by when the order was placed), per currency: orders
/// that were never paid and no longer wait for payment (expired, or cancelled unpaid), how
/// many and what they were worth.
pub async fn abandoned_checkouts<'e>(
    ex: impl Executor<'e, Database = Any>,
    from: i64,
    to: i64,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select currency, cast(count(*) as bigint), cast(sum(total_minor) as bigint) from orders \
         where created_at >= $1 and created_at < $2 and status in ('expired', 'cancelled') \
           and not exists (select 1 from payments p where p.order_id = orders.id \
                           and p.purpose = 'order' and p.captured_minor > 0) \
         group by currency order by currency",
    )
    .bind(from)
    .bind(to)
    .fetch_all(ex)
    .await
}
