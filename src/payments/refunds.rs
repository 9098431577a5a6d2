//! Refunds from the admin: full or partial, several up to the captured amount.
//!
//! The refund row is written first (pending, with its sequence number) under the payment's
//! row lock, so two staff members refunding at once cannot exceed the captured amount; then
//! the gateway is called with `refund:{payment}:{seq}` as the idempotency key, identical on
//! every retry; its answer (or the gateway's later events) settles the row.

use super::state::RefundStatus;
use super::store::{self, NewRefund};
use super::webhook;
use crate::audit::{AuditEntry, insert_audit};
use crate::db::now;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::identity::model::User;
use crate::ports::payments::RefundRequest;
use crate::state::AppState;

/// What happened to a refund request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// The gateway refunded (or accepted the refund).
    Done(RefundStatus),
    /// The gateway refused; the row is marked failed with the reason.
    Refused(String),
    /// The gateway could not be reached; the row stays pending and can be retried.
    Unreachable(String),
    /// This form was already sent (a double click): nothing new was asked.
    AlreadyRequested,
}

/// Checks a refund's amount (above zero, at most `available`) and reason (required, at most
/// 500 characters); the errors are sentences for the form's fields. The staff confirmation page
/// asks the same before it shows the refund to confirm.
pub fn check(amount: i64, reason: &str, available: i64, currency: &str) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    if amount <= 0 {
        errors.add("amount", "Enter an amount above zero.");
    } else if amount > available {
        errors.add(
            "amount",
            format!(
                "At most {} can still be refunded.",
                crate::money::Money::of_code(available.max(0), currency)
            ),
        );
    }
    if reason.trim().is_empty() {
        errors.add("reason", "Say why: it is kept with the refund.");
    } else if reason.chars().count() > 500 {
        errors.add("reason", "Use at most 500 characters.");
    }
    errors.into_result()
}

/// Refunds `amount` of the captured payment for an order or a booking (`order_id`) for
/// `reason`, as `admin`, or with none as the customer's own cancellation under its policy.
/// `request_key` is the form's one-time key: the same request sent twice makes one refund.
pub async fn refund(
    state: &AppState,
    admin: Option<&User>,
    order_id: &str,
    amount: i64,
    reason: &str,
    request_key: Option<&str>,
) -> AppResult<RefundOutcome> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let payments = store::all_for(&mut *tx, order_id).await?;
    let Some(captured) = payments.iter().rev().find(|p| p.status().is_captured()) else {
        return Err(AppError::Conflict(
            "There is no captured payment to refund.".into(),
        ));
    };
    let payment = store::lock(&mut tx, &captured.id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Under the payment's lock: a second copy of the same form finds the first's row.
    if let Some(key) = request_key
        && store::find_refund_by_request(&mut *tx, key)
            .await?
            .is_some()
    {
        return Ok(RefundOutcome::AlreadyRequested);
    }
    let refunded = store::refunded_total(&mut tx, &payment.id).await?;
    let available = payment.captured_minor - refunded;
    check(amount, reason, available, &payment.currency)?;
    let Some(intent) = payment.payment_intent.clone() else {
        return Err(AppError::Conflict(
            "The gateway has not told us this payment's id yet; try again in a minute.".into(),
        ));
    };
    let inserted = store::insert_refund(
        &mut tx,
        &NewRefund {
            payment_id: &payment.id,
            order_id,
            amount_minor: amount,
            currency: &payment.currency,
            reason: reason.trim(),
            status: RefundStatus::Pending,
            gateway_refund_id: None,
            created_by: admin.map(|a| a.id.as_str()),
            request_key,
            now,
        },
    )
    .await
    .map_err(crate::db::DbError::classify);
    let (refund_id, seq) = match inserted {
        Ok(row) => row,
        // The same form against another captured payment of the order (a capture landed in
        // between): the unique key still says it was sent.
        Err(crate::db::DbError::UniqueViolation(_)) => return Ok(RefundOutcome::AlreadyRequested),
        Err(crate::db::DbError::Other(e)) => return Err(e.into()),
    };
    let (action, entity) = match payment.purpose() {
        crate::ports::payments::PaymentPurpose::Order => ("order.refund", "order"),
        crate::ports::payments::PaymentPurpose::Booking => ("booking.refund", "booking"),
        crate::ports::payments::PaymentPurpose::Quote => ("quote.refund", "quote"),
    };
    let entry = match admin {
        Some(admin) => AuditEntry::by(admin, action, entity, order_id),
        None => AuditEntry::by_actor(
            None,
            "the customer's cancellation",
            action,
            entity,
            order_id,
        ),
    };
    insert_audit(
        &mut *tx,
        &entry.change(
            serde_json::json!({"refunded_minor": refunded}),
            serde_json::json!({"refund_id": refund_id, "amount_minor": amount, "reason": reason.trim()}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    let request = RefundRequest {
        refund_id: refund_id.clone(),
        payment_id: payment.id.clone(),
        seq,
        order_id: order_id.to_owned(),
        payment_intent: intent,
        amount,
        reason: reason.trim().to_owned(),
    };
    send(state, &request).await
}

/// Sends (or re-sends, with the same idempotency key) a pending refund to the gateway.
pub async fn retry(state: &AppState, refund_id: &str) -> AppResult<RefundOutcome> {
    let refund = store::find_refund(state.db.pool(), refund_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if refund.status() != RefundStatus::Pending {
        return Err(AppError::Conflict("This refund is already settled.".into()));
    }
    let payment = store::find(state.db.pool(), &refund.payment_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let request = RefundRequest {
        refund_id: refund.id.clone(),
        payment_id: payment.id.clone(),
        seq: refund.seq,
        order_id: refund.order_id.clone(),
        payment_intent: payment.payment_intent.clone().unwrap_or_default(),
        amount: refund.amount_minor,
        reason: refund.reason.clone(),
    };
    send(state, &request).await
}

async fn send(state: &AppState, request: &RefundRequest) -> AppResult<RefundOutcome> {
    match state.gateway.refund(request).await {
        Ok(answer) => {
            let status = RefundStatus::parse(&answer.status).unwrap_or(RefundStatus::Pending);
            apply_answer(state, request, &answer.id, status).await?;
            state.metrics.payment(match status {
                RefundStatus::Succeeded => "refund_succeeded",
                RefundStatus::Pending => "refund_pending",
                RefundStatus::Failed | RefundStatus::Canceled => "refund_failed",
            });
            Ok(RefundOutcome::Done(status))
        }
        Err(e) if e.retryable => {
            tracing::warn!(refund.id = %request.refund_id, error = %e, "refund not sent; kept pending");
            state.metrics.payment("refund_unreachable");
            Ok(RefundOutcome::Unreachable(e.message))
        }
        Err(e) => {
            let now = now();
            let mut tx = state.db.begin().await?;
            store::settle_refund(
                &mut tx,
                &request.refund_id,
                RefundStatus::Failed,
                None,
                Some(&e.message),
                now,
            )
            .await?;
            tx.commit().await?;
            state.metrics.payment("refund_failed");
            Ok(RefundOutcome::Refused(e.message))
        }
    }
}

/// Records the gateway's answer: the refund row settles (emailing the customer once when it
/// succeeded) and the payment moves to partially refunded or refunded.
async fn apply_answer(
    state: &AppState,
    request: &RefundRequest,
    gateway_id: &str,
    status: RefundStatus,
) -> AppResult<()> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let payment = store::lock(&mut tx, &request.payment_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if store::settle_refund(
        &mut tx,
        &request.refund_id,
        status,
        Some(gateway_id),
        None,
        now,
    )
    .await?
        && status == RefundStatus::Succeeded
    {
        webhook::refunded(&mut tx, state, &request.refund_id, now).await?;
    }
    webhook::settle_payment(&mut tx, &payment, now).await?;
    tx.commit().await?;
    Ok(())
}
