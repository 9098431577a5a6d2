//! What staff do to an order: ship, cancel, resend its emails, clear its flag. Each change
//! is audited in its transaction.

use super::state::{OrderEvent, OrderStatus};
use super::store;
use super::{close_unpaid, send_download_links};
use super::{emails, order_path, transition_error};
use crate::db::now;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::notifications::enqueue_email;
use crate::payments::state::PaymentStatus;
use crate::payments::store as payment_store;
use crate::state::AppState;

/// Staff: marks a paid order with prints shipped, with a tracking note, and emails the customer.
pub async fn ship(
    state: &AppState,
    admin: &crate::identity::model::User,
    order_id: &str,
    tracking: &str,
) -> AppResult<()> {
    let tracking = tracking.trim();
    if tracking.chars().count() > 1000 {
        let mut errors = FieldErrors::new();
        errors.add("tracking", "Use at most 1000 characters.");
        return Err(AppError::Validation(errors));
    }
    let now = now();
    let mut tx = state.db.begin().await?;
    let order = store::lock(&mut tx, order_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !order.ships() {
        return Err(AppError::Conflict(
            "This order has no prints: it was fulfilled when its downloads were sent.".into(),
        ));
    }
    store::set_status(&mut tx, order_id, order.status(), OrderEvent::Fulfil, now)
        .await
        .map_err(transition_error)?
        .ok_or_else(|| AppError::Conflict("The order changed meanwhile; reload it.".into()))?;
    store::set_tracking(&mut tx, order_id, tracking, now).await?;
    let link = state.url(&order_path(state, &order));
    enqueue_email(
        &mut tx,
        &order.email,
        &emails::shipped(&order, tracking, &link),
        state.max_job_attempts(),
    )
    .await?;
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "order.ship", "order", order_id).change(
            serde_json::json!({"status": order.status, "tracking_note": order.tracking_note}),
            serde_json::json!({"status": "fulfilled", "tracking_note": tracking}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Staff: cancels an unpaid order (its stock goes back). Returns the checkout session to
/// close at the gateway, if any.
pub async fn cancel(
    state: &AppState,
    admin: &crate::identity::model::User,
    order_id: &str,
) -> AppResult<Option<String>> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let order = store::lock(&mut tx, order_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Refused with the state machine's words when the order is not pending.
    order
        .status()
        .next(OrderEvent::Cancel)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    if let Some(p) = payment_store::latest_for(&mut *tx, order_id).await?
        && p.status() == PaymentStatus::Unpaid
        && p.payment_intent.is_some()
    {
        return Err(AppError::Conflict(
            "A delayed payment (bank debit) for this order is on its way; wait for its outcome before cancelling.".into(),
        ));
    }
    if !close_unpaid(
        &mut tx,
        &order,
        OrderEvent::Cancel,
        "cancelled by the studio",
        now,
    )
    .await?
    {
        return Err(AppError::Conflict(
            "The order changed meanwhile; reload it.".into(),
        ));
    }
    let session = payment_store::latest_for(&mut *tx, order_id)
        .await?
        .and_then(|p| p.session_id);
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "order.cancel", "order", order_id).change(
            serde_json::json!({"status": order.status}),
            serde_json::json!({"status": "cancelled"}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    state.content.invalidate();
    Ok(session)
}

/// Staff: sends the order's emails again (the confirmation, and fresh download links for
/// digital lines, which start a new count).
pub async fn resend(
    state: &AppState,
    admin: &crate::identity::model::User,
    order_id: &str,
) -> AppResult<()> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let order = store::lock(&mut tx, order_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !matches!(order.status(), OrderStatus::Paid | OrderStatus::Fulfilled) {
        return Err(AppError::Conflict(
            "Only paid orders have a confirmation to resend.".into(),
        ));
    }
    let lines = store::lines(&mut *tx, order_id).await?;
    let link = state.url(&order_path(state, &order));
    enqueue_email(
        &mut tx,
        &order.email,
        &emails::confirmation(&order, &lines, &link),
        state.max_job_attempts(),
    )
    .await?;
    // Downloads only while the money that paid for them is kept (a refunded duplicate
    // payment does not count).
    let kept = payment_store::all_for(&mut *tx, order_id)
        .await?
        .iter()
        .any(|p| {
            matches!(
                p.status(),
                PaymentStatus::Paid | PaymentStatus::PartiallyRefunded
            )
        });
    if order.has_digital && kept {
        send_download_links(&mut tx, state, &order, &lines, now).await?;
    }
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "order.resend", "order", order_id),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Staff: clears the attention note once resolved.
pub async fn clear_attention(
    state: &AppState,
    admin: &crate::identity::model::User,
    order_id: &str,
) -> AppResult<()> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let order = store::lock(&mut tx, order_id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::set_attention(&mut tx, order_id, None, now).await?;
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "order.resolve", "order", order_id).change(
            serde_json::json!({"attention": order.attention}),
            serde_json::json!({"attention": null}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
