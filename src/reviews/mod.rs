//! Product reviews.
//!
//! A signed-in customer rates and reviews a product, once: a second submission edits their
//! review (one row per customer per product). A review is *verified* when, at the moment it
//! is submitted, the reviewer has a paid or fulfilled order containing the product. New and
//! edited reviews wait for moderation (`pending`) unless `REVIEWS_AUTO_APPROVE` is on. Staff
//! approve, hide and reply in the admin table `reviews` (`admin::tables::REVIEWS`, audited
//! like every table) and delete on a confirmation page of its own.
//!
//! Product pages show the average, count and distribution of approved reviews and the newest
//! of them. That part is the same for every visitor, so it is rendered once per content
//! snapshot and kept in the snapshot's memo (`site::content`): browsing costs no query. Every
//! review write invalidates the snapshot on its replica (admin table saves already do); other
//! replicas follow within `CONTENT_CACHE_TTL_MS`. The reader's own review and the form are
//! per request.

pub mod handlers;
pub mod model;
pub mod store;
pub mod tables;
pub mod views;

use std::time::Duration;

use maud::Markup;

use crate::audit::{AuditEntry, insert_audit};
use crate::catalog::model::Product;
use crate::content::{Memo, Snapshot};
use crate::db::{Db, new_id, now};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::context::RequestContext;
use crate::identity::model::User;
use crate::rate_limit::Limit;
use crate::state::AppState;
use model::{NewReview, ReviewForm, Status, Summary};

/// Approved reviews listed on a product page, newest first (the summary counts them all).
pub const SHOWN_PER_PRODUCT: i64 = 20;

/// Review submissions per account per hour: plenty for editing a review a few times, useless
/// for flooding the moderation queue. Keyed by account, not address: reviewers are signed in,
/// and colleagues behind one office address should not share a limit.
pub const REVIEWS_PER_USER: Limit = Limit {
    name: "review-user",
    max: 10,
    window: Duration::from_secs(60 * 60),
};

/// The reviews section of a product page for this request: the approved reviews (from the
/// snapshot's memo when there), the reader's own review and the form, with what they typed
/// and its errors when `typed` is given.
pub async fn product_section(
    state: &AppState,
    ctx: &RequestContext,
    product: &Product,
    typed: Option<(&ReviewForm, &FieldErrors)>,
) -> AppResult<Markup> {
    let approved = approved_reviews(state, &product.id).await?;
    let own = match ctx.user() {
        Some(user) => store::find_own(state.db.pool(), &product.id, &user.id).await?,
        None => None,
    };
    Ok(views::section(
        ctx,
        &views::Section {
            product_slug: &product.slug,
            approved,
            own: own.as_ref(),
            typed,
            auto_approve: state.settings.reviews_auto_approve,
        },
    ))
}

/// The approved parts of product pages' reviews, kept by the content cache: rendered once,
/// dropped with every other snapshot when something changes.
#[derive(Debug, Default)]
pub struct ApprovedSections {
    memo: Memo,
}

#[async_trait::async_trait]
impl Snapshot for ApprovedSections {
    async fn load(_db: &Db) -> Result<Self, sqlx::Error> {
        // Filled one product at a time, as pages ask.
        Ok(Self::default())
    }
}

/// The approved part of a product's reviews, rendered once per snapshot.
async fn approved_reviews(state: &AppState, product_id: &str) -> AppResult<Markup> {
    let sections = state.content.get::<ApprovedSections>(&state.db).await?;
    let key = format!("reviews:{product_id}");
    if let Some(hit) = sections.memo.get(&key) {
        return Ok(hit);
    }
    let pool = state.db.pool();
    let summary = Summary::from_counts(&store::approved_counts(pool, product_id).await?);
    let reviews = store::approved_for_product(pool, product_id, SHOWN_PER_PRODUCT).await?;
    let fresh = views::approved(&summary, &reviews);
    sections.memo.put(&key, &fresh);
    Ok(fresh)
}

/// Stores `user`'s review of `product_id`, or rewrites their earlier one, and returns its
/// status. Whether they bought the product is decided now, from their orders.
#[tracing::instrument(skip_all, fields(product.id = %product_id))]
pub async fn submit(
    state: &AppState,
    user: &User,
    product_id: &str,
    review: &NewReview,
) -> AppResult<Status> {
    let id = new_id();
    let mut tx = state.db.begin().await?;
    let previous = store::own_status(&mut *tx, product_id, &user.id).await?;
    let status = Status::on_submit(
        previous.as_deref().and_then(Status::parse),
        state.settings.reviews_auto_approve,
    );
    let verified = crate::orders::store::has_bought(&mut *tx, &user.id, product_id).await?;
    store::upsert_review(
        &mut *tx,
        &store::UpsertReview {
            id: &id,
            product_id,
            user_id: &user.id,
            rating: review.rating.as_i64(),
            title: &review.title,
            body: &review.body,
            verified,
            status: status.as_str(),
        },
        now(),
    )
    .await?;
    tx.commit().await?;
    // An edit can withdraw an approved review, an auto-approved one appears: either way the
    // product page's memoised reviews are out of date.
    state.content.invalidate();
    tracing::info!(status = status.as_str(), verified, "review submitted");
    Ok(status)
}

/// Deletes a review, with an audit entry holding the row as it was.
#[tracing::instrument(skip_all, fields(review.id = %id))]
pub async fn delete(state: &AppState, admin: &User, id: &str) -> AppResult<store::ReviewRow> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let row = store::delete_review(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let entry = AuditEntry {
        before: Some(serde_json::to_value(&row).map_err(AppError::internal)?),
        ..AuditEntry::by(admin, "review.delete", "review", id)
    };
    insert_audit(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    state.content.invalidate();
    Ok(row)
}
