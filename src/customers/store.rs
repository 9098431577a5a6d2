//! Reading `customers` and `customer_spend` (written only by the database's triggers).

use sqlx::{Any, Executor, FromRow};

use crate::money::Money;

/// A customer as the list has it.
#[derive(Debug, Clone, FromRow)]
pub struct Customer {
    /// Row id.
    pub id: String,
    /// Lowercased.
    pub email: String,
    /// Name given (the account's first).
    pub name: String,
    /// The account with this email, if any.
    pub user_id: Option<String>,
    /// `none`, `active` or `disabled`.
    pub account: String,
    /// Orders paid (paid or fulfilled).
    pub orders: i64,
    /// Bookings made (pending, confirmed, completed or no-show).
    pub bookings: i64,
    /// Quote requests.
    pub quotes: i64,
    /// Contact messages.
    pub messages: i64,
    /// First account, order, booking, quote or message.
    pub first_seen_at: i64,
    /// The newest of those.
    pub last_activity_at: i64,
}

/// A customer by id.
pub async fn find<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<Customer>, sqlx::Error> {
    sqlx::query_as(
        "select id, email, name, user_id, account, orders, bookings, quotes, messages, \
         first_seen_at, last_activity_at from customers where id = $1",
    )
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// What a customer paid, per currency (captured minus refunded), largest first; currencies
/// that came to nothing are left out.
pub async fn spend<'e>(
    ex: impl Executor<'e, Database = Any>,
    email: &str,
) -> Result<Vec<Money>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "select currency, net_minor from customer_spend \
         where email = $1 and net_minor <> 0 order by net_minor desc, currency",
    )
    .bind(email)
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(code, minor)| Money::of_code(minor, &code))
        .collect())
}

/// The customer row of the account `user_id`.
pub async fn id_of_account<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select id from customers where user_id = $1")
        .bind(user_id)
        .fetch_optional(ex)
        .await
}
