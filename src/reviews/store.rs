//! SQL for reviews. The caller owns the transaction.

use serde::Serialize;
use sqlx::{Any, Executor, FromRow};

/// A review as the product page shows it (approved ones, and the reader's own).
#[derive(Debug, Clone, FromRow)]
pub struct PublicReview {
    pub id: String,
    /// 1..5.
    pub rating: i64,
    /// Headline ('' for none).
    pub title: String,
    pub body: String,
    /// The reviewer had bought the product.
    #[sqlx(try_from = "crate::db::Flag")]
    pub verified: bool,
    /// `pending` / `approved` / `hidden`.
    pub status: String,
    /// The studio's answer ('' for none).
    pub reply: String,
    /// The reviewer's display name, if they set one (never their email).
    pub display_name: Option<String>,
    /// Written (or last edited by the reviewer).
    pub created_at: i64,
}

const PUBLIC_COLUMNS: &str = "r.id, r.rating, r.title, r.body, r.verified, r.status, r.reply, \
                              u.display_name, r.created_at";

/// A whole review row, for the admin's confirmation page and the audit log.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ReviewRow {
    pub id: String,
    pub product_id: String,
    pub user_id: String,
    /// 1..5.
    pub rating: i64,
    pub title: String,
    pub body: String,
    /// Bought the product.
    #[sqlx(try_from = "crate::db::Flag")]
    pub verified: bool,
    pub status: String,
    /// The studio's answer.
    pub reply: String,
    /// When the answer was saved.
    pub replied_at: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A review with what the admin needs to recognise it.
#[derive(Debug, Clone, FromRow)]
pub struct AdminReview {
    #[sqlx(flatten)]
    pub review: ReviewRow,
    pub product_title: String,
    pub product_slug: String,
    /// Reviewer's email.
    pub reviewer_email: String,
}

/// A review to insert, or to write over the reviewer's earlier review of the same product.
#[derive(Debug, Clone)]
pub struct UpsertReview<'a> {
    /// Id if this is a new row.
    pub id: &'a str,
    pub product_id: &'a str,
    pub user_id: &'a str,
    /// 1..5.
    pub rating: i64,
    pub title: &'a str,
    pub body: &'a str,
    /// Bought the product.
    pub verified: bool,
    /// Status after this submission.
    pub status: &'a str,
}

/// Inserts the review, or updates the reviewer's existing review of the product (one per
/// customer per product). Returns the row id.
#[tracing::instrument(skip_all, fields(product.id = %r.product_id))]
pub async fn upsert_review<'e>(
    ex: impl Executor<'e, Database = Any>,
    r: &UpsertReview<'_>,
    now: i64,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar(
        "insert into reviews (id, product_id, user_id, rating, title, body, verified, status,
                              created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         on conflict (product_id, user_id) do update set
             rating = excluded.rating, title = excluded.title, body = excluded.body,
             verified = excluded.verified, status = excluded.status,
             version = reviews.version + 1, updated_at = excluded.updated_at
         returning id",
    )
    .bind(r.id)
    .bind(r.product_id)
    .bind(r.user_id)
    .bind(r.rating)
    .bind(r.title)
    .bind(r.body)
    .bind(i64::from(r.verified))
    .bind(r.status)
    .bind(now)
    .fetch_one(ex)
    .await
}

/// The status of `user_id`'s review of `product_id`, if they wrote one.
pub async fn own_status<'e>(
    ex: impl Executor<'e, Database = Any>,
    product_id: &str,
    user_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select status from reviews where product_id = $1 and user_id = $2")
        .bind(product_id)
        .bind(user_id)
        .fetch_optional(ex)
        .await
}

/// `(rating, count)` of a product's approved reviews.
pub async fn approved_counts<'e>(
    ex: impl Executor<'e, Database = Any>,
    product_id: &str,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select rating, count(*) from reviews where product_id = $1 and status = 'approved'
         group by rating",
    )
    .bind(product_id)
    .fetch_all(ex)
    .await
}

/// A product's newest approved reviews, at most `limit`.
pub async fn approved_for_product<'e>(
    ex: impl Executor<'e, Database = Any>,
    product_id: &str,
    limit: i64,
) -> Result<Vec<PublicReview>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {PUBLIC_COLUMNS} from reviews r join users u on u.id = r.user_id
         where r.product_id = $1 and r.status = 'approved'
         order by r.created_at desc, r.id desc limit $2"
    )))
    .bind(product_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// The review `user_id` wrote of `product_id`, whatever its status.
pub async fn find_own<'e>(
    ex: impl Executor<'e, Database = Any>,
    product_id: &str,
    user_id: &str,
) -> Result<Option<PublicReview>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {PUBLIC_COLUMNS} from reviews r join users u on u.id = r.user_id
         where r.product_id = $1 and r.user_id = $2"
    )))
    .bind(product_id)
    .bind(user_id)
    .fetch_optional(ex)
    .await
}

const ADMIN_SELECT: &str = "select r.id, r.product_id, r.user_id, r.rating, r.title, r.body, \
     r.verified, r.status, r.reply, r.replied_at, r.version, r.created_at, r.updated_at, \
     p.title as product_title, p.slug as product_slug, u.email as reviewer_email \
     from reviews r join products p on p.id = r.product_id join users u on u.id = r.user_id";

/// A review with its product and reviewer, by id.
pub async fn find_for_admin<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<AdminReview>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ADMIN_SELECT} where r.id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// An account's reviews, newest first.
pub async fn of_user<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
    limit: i64,
) -> Result<Vec<AdminReview>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ADMIN_SELECT} where r.user_id = $1 order by r.created_at desc limit $2"
    )))
    .bind(user_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Deletes a review; the row as it was, or `None` when it was already gone.
#[tracing::instrument(skip_all, fields(review.id = %id))]
pub async fn delete_review<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<ReviewRow>, sqlx::Error> {
    sqlx::query_as(
        "delete from reviews where id = $1
         returning id, product_id, user_id, rating, title, body, verified, status, reply,
                   replied_at, version, created_at, updated_at",
    )
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// Reviews waiting for moderation.
pub async fn count_pending<'e>(ex: impl Executor<'e, Database = Any>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from reviews where status = 'pending'")
        .fetch_one(ex)
        .await
}
