//! Deposits, through the payments port like orders: a booking of a type that takes one is
//! placed *held*; the slot is blocked while the gateway's checkout for the deposit is open
//! (until `hold_expires_at`, which is also when the checkout stops taking payment). The
//! capture, reported by the signed webhook, confirms it; the checkout's expiry, or the
//! [`ExpireHoldsJob`] once the hold is over, releases it. A customer's cancellation refunds
//! what the booking's own policy snapshot says.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::model::{Booking, Status};
use super::{emails, service, store};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::jobs::JobSpec;
use crate::notifications::enqueue_email;
use crate::payments::refunds::{self, RefundOutcome};
use crate::payments::state::{PaymentEvent, PaymentStatus};
use crate::payments::store::{self as payment_store, Payment};
use crate::ports::payments::{
    CheckoutLine, CheckoutRequest, CheckoutSummary, GatewayError, PaymentOutcome, PaymentPurpose,
};
use crate::state::{AppState, PaymentEffects};

/// How long a hold lasts when nothing else says: thirty minutes to pay.
pub const HOLD_SECS: i64 = 30 * 60;

/// How long after its end a hold is still honoured by a capture the gateway reports late (the
/// expiry job waits this long; the gateway's own expiry event ends it at once).
pub const GRACE_SECS: i64 = 120;

/// When a hold placed at `now` ends: [`HOLD_SECS`] away, or longer when the gateway needs its
/// checkouts to live longer (Stripe: 30 minutes and a margin).
pub fn hold_until(state: &AppState, now: i64) -> i64 {
    now + HOLD_SECS.max(state.gateway.min_checkout_secs() + 60)
}

/// What opening the deposit's checkout did.
#[derive(Debug, Clone)]
pub enum DepositStart {
    /// Send the customer here (the gateway's hosted checkout).
    Redirect(String),
    /// The gateway failed; the booking stays held and the same checkout can be retried.
    GatewayFailed(GatewayError),
    /// The booking no longer waits for its deposit (paid, released, cancelled).
    Closed,
}

/// The deposit's one payment, created once under the booking's lock; none when the booking
/// is no longer held or its hold is over.
async fn open_payment(state: &AppState, id: &str) -> AppResult<Option<(Booking, Payment)>> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let Some(booking) = store::lock(&mut tx, id).await? else {
        return Err(AppError::NotFound);
    };
    let hold = booking.hold_expires_at.unwrap_or(0);
    if booking.status != Status::Held || hold <= now {
        return Ok(None);
    }
    let payment = match payment_store::latest_for(&mut *tx, id).await? {
        Some(p) if p.status() == PaymentStatus::Unpaid => p,
        Some(_) => return Ok(None),
        None => {
            let pid = payment_store::insert(
                &mut tx,
                payment_store::PaidFor::booking(id),
                1,
                state.gateway.name(),
                booking.deposit_minor,
                &booking.currency,
                now,
            )
            .await?;
            // The checkout stops taking payment when the hold ends: planned once, so every
            // retry sends the same request under the same idempotency key.
            payment_store::plan_session_expiry(&mut tx, &pid, hold).await?;
            payment_store::find(&mut *tx, &pid)
                .await?
                .ok_or(AppError::NotFound)?
        }
    };
    tx.commit().await?;
    Ok(Some((booking, payment)))
}

/// Opens (or reopens) the hosted checkout of a held booking's deposit and says where to send
/// the customer. A retry sends the same request with the same idempotency key, so the gateway
/// answers with the same session.
pub async fn start_payment(state: &AppState, id: &str) -> AppResult<DepositStart> {
    let Some((booking, payment)) = open_payment(state, id).await? else {
        return Ok(DepositStart::Closed);
    };
    if let Some(url) = &payment.checkout_url {
        return Ok(DepositStart::Redirect(url.clone()));
    }
    let manage = state.url(&service::manage_path(state, &booking));
    let request = CheckoutRequest {
        purpose: PaymentPurpose::Booking,
        order_id: booking.id.clone(),
        order_number: booking.reference.clone(),
        payment_id: payment.id.clone(),
        attempt: payment.attempt,
        email: booking.email.clone(),
        currency: crate::money::Currency::parse(&booking.currency).unwrap_or_default(),
        lines: vec![CheckoutLine {
            name: line(state, &booking),
            unit_amount: booking.deposit_minor,
            quantity: 1,
        }],
        success_url: format!("{manage}?paid=1"),
        cancel_url: format!("{manage}?payment=cancelled"),
        expires_at: payment
            .session_expires_at
            .or(booking.hold_expires_at)
            .unwrap_or_else(|| hold_until(state, now())),
    };
    let session = match state.gateway.create_checkout(&request).await {
        Ok(session) => session,
        Err(e) => {
            state.metrics.payment("checkout_failed");
            return Ok(DepositStart::GatewayFailed(e));
        }
    };
    let mut conn = state.db.pool().acquire().await?;
    if payment_store::set_session(&mut conn, &payment.id, &session.id, &session.url, now()).await? {
        state.metrics.payment("checkout_created");
        return Ok(DepositStart::Redirect(session.url));
    }
    // Not stored: a concurrent retry stored the same session first, or the booking was
    // released or cancelled meanwhile and this checkout must not be paid.
    let stored = payment_store::find(&mut *conn, &payment.id).await?;
    if let Some(p) = stored
        && p.status() == PaymentStatus::Unpaid
        && p.session_id.as_deref() == Some(session.id.as_str())
        && let Some(url) = p.checkout_url
    {
        return Ok(DepositStart::Redirect(url));
    }
    // The connection goes back to the pool before the gateway is called.
    drop(conn);
    close_checkout(state, &session.id).await;
    Ok(DepositStart::Closed)
}

/// "Deposit: Half-day shoot, Monday 7 December 2026, 09:00–13:00 (Singapore time)".
fn line(state: &AppState, b: &Booking) -> String {
    format!(
        "Deposit: {}, {}",
        b.type_name,
        emails::span_label(&state.settings.time_zone, b.starts_at, b.ends_at)
    )
}

/// Asks the gateway to stop taking payment for a checkout nobody should pay any more (after
/// the transaction that ended its booking's hold committed).
pub(crate) async fn close_checkout(state: &AppState, session_id: &str) {
    if let Err(e) = state.gateway.expire_checkout(session_id).await {
        tracing::warn!(session = %session_id, error = %e, "could not close a deposit's checkout");
    }
}

/// Marks a held booking's open payment failed (in the caller's transaction), returning its
/// checkout session to close once the transaction commits.
pub(crate) async fn fail_open_payment(
    conn: &mut AnyConnection,
    booking_id: &str,
    why: &str,
    now: i64,
) -> AppResult<Option<String>> {
    let Some(p) = payment_store::latest_for(&mut *conn, booking_id).await? else {
        return Ok(None);
    };
    if p.status() != PaymentStatus::Unpaid || p.payment_intent.is_some() {
        return Ok(None);
    }
    payment_store::transition(conn, &p, PaymentEvent::Failed, now)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    payment_store::set_failure(conn, &p.id, why).await?;
    Ok(p.session_id)
}

/// Flags a booking for staff and emails them, in the caller's transaction.
pub(crate) async fn flag(
    conn: &mut AnyConnection,
    state: &AppState,
    b: &Booking,
    note: &str,
    now: i64,
) -> AppResult<()> {
    store::set_attention(conn, &b.id, Some(note), now).await?;
    let url = state.url(&format!("/admin/booking/{}", b.id));
    let content = emails::staff_attention(b, note, &url);
    for to in service::staff_recipients(conn, state).await? {
        enqueue_email(conn, &to, &content, state.max_job_attempts()).await?;
    }
    Ok(())
}

/// A captured deposit: a held booking is confirmed (once: the conditional update is the
/// guard, so the same capture reported twenty times confirms and emails once). A deposit
/// paid for a booking that is no longer held (released, cancelled) is flagged for staff.
async fn on_captured(
    conn: &mut AnyConnection,
    state: &AppState,
    id: &str,
    mismatch: Option<&str>,
    now: i64,
) -> AppResult<()> {
    let Some(b) = store::lock(conn, id).await? else {
        return Err(AppError::NotFound);
    };
    if let Some(note) = mismatch {
        let note = format!(
            "{note} The booking was not confirmed: refund the deposit, or settle the difference with the customer."
        );
        return flag(conn, state, &b, &note, now).await;
    }
    if b.status != Status::Held {
        let note = format!(
            "A deposit was paid for a booking that is {}: refund it, or book the customer again by hand.",
            b.status.label().to_lowercase()
        );
        return flag(conn, state, &b, &note, now).await;
    }
    if !store::set_status(conn, id, Status::Held, Status::Confirmed, "", now).await? {
        return Ok(());
    }
    let confirmed = store::find(&mut *conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    service::announce_confirmed(conn, state, &confirmed).await?;
    state
        .booking_followers
        .confirmed(conn, state, id, now)
        .await
}

/// Confirms a held booking that takes nothing more (an accepted quote's shoot without a
/// deposit), like a captured deposit would; false when it is no longer held.
pub async fn confirm_held(state: &AppState, id: &str) -> AppResult<bool> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let Some(b) = store::lock(&mut tx, id).await? else {
        return Err(AppError::NotFound);
    };
    if b.status != Status::Held
        || !store::set_status(&mut tx, id, Status::Held, Status::Confirmed, "", now).await?
    {
        return Ok(false);
    }
    let confirmed = store::find(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    service::announce_confirmed(&mut tx, state, &confirmed).await?;
    state
        .booking_followers
        .confirmed(&mut tx, state, id, now)
        .await?;
    tx.commit().await?;
    service::bookings_changed(state);
    Ok(true)
}

/// Releases a held booking now (the quote that placed it could not be accepted after all);
/// false when it is no longer held.
pub async fn release_hold(state: &AppState, id: &str, why: &str) -> AppResult<bool> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let Some(b) = store::lock(&mut tx, id).await? else {
        return Ok(false);
    };
    if b.status != Status::Held || !release(&mut tx, state, &b, why, now).await? {
        return Ok(false);
    }
    tx.commit().await?;
    service::bookings_changed(state);
    Ok(true)
}

/// Releases a held booking whose deposit was not paid (the hold is over or the checkout
/// expired), in the caller's transaction: it becomes expired and its time is free again.
async fn release(
    conn: &mut AnyConnection,
    state: &AppState,
    b: &Booking,
    why: &str,
    now: i64,
) -> AppResult<bool> {
    if !store::set_status(conn, &b.id, Status::Held, Status::Expired, why, now).await? {
        return Ok(false);
    }
    fail_open_payment(conn, &b.id, why, now).await?;
    state
        .booking_followers
        .released(conn, state, &b.id, now)
        .await?;
    Ok(true)
}

/// Releases held bookings whose hold ended more than [`GRACE_SECS`] before `now`; how many.
/// Safe on every replica at once: each booking moves in its own transaction, under its lock,
/// with a conditional update. A deposit on its way (a delayed payment method) keeps the hold.
pub async fn expire_holds(state: &AppState, now: i64) -> AppResult<usize> {
    let ids = store::holds_ended(state.db.pool(), now - GRACE_SECS, 200).await?;
    let mut released = 0;
    for id in ids {
        let mut tx = state.db.begin().await?;
        let Some(b) = store::lock(&mut tx, &id).await? else {
            continue;
        };
        if b.status != Status::Held || b.hold_expires_at.unwrap_or(0) >= now - GRACE_SECS {
            continue;
        }
        if let Some(p) = payment_store::latest_for(&mut *tx, &id).await?
            && (p.payment_intent.is_some() || p.status().is_captured())
        {
            continue;
        }
        if release(&mut tx, state, &b, "the deposit was not paid in time", now).await? {
            released += 1;
        }
        tx.commit().await?;
    }
    if released > 0 {
        service::bookings_changed(state);
        tracing::info!(released, "released unpaid booking holds");
    }
    Ok(released)
}

/// A customer's cancellation of a booking whose deposit was paid: the refund its policy
/// snapshot gives, through the payments port (one refund however often it is asked: the
/// request key is the booking's). A refund that cannot be made is flagged for staff.
pub async fn refund_on_cancel(state: &AppState, b: &Booking, now: i64) -> AppResult<i64> {
    let paid = payment_store::all_for(state.db.pool(), &b.id)
        .await?
        .into_iter()
        .filter(|p| p.status().is_captured())
        .map(|p| p.captured_minor.max(p.amount_minor) - p.refunded_minor)
        .sum::<i64>();
    let due = b.policy().refund_due(paid, b.starts_at, now);
    if due <= 0 {
        return Ok(0);
    }
    let reason = format!(
        "Cancelled by the customer at least {} days before the start: the deposit is refunded under the booking's policy.",
        b.policy().refund_full_days
    );
    let key = format!("booking-cancel:{}", b.id);
    let outcome = refunds::refund(state, None, &b.id, due, &reason, Some(&key)).await;
    let problem = match outcome {
        Ok(RefundOutcome::Done(_) | RefundOutcome::AlreadyRequested) => None,
        Ok(RefundOutcome::Refused(why) | RefundOutcome::Unreachable(why)) => Some(why),
        Err(e) => Some(e.to_string()),
    };
    if let Some(why) = problem {
        let mut tx = state.db.begin().await?;
        let note = format!(
            "The customer cancelled and is owed a refund of the deposit, which did not go through ({why}): retry it from the payments."
        );
        flag(&mut tx, state, b, &note, now).await?;
        tx.commit().await?;
    }
    Ok(due)
}

/// The bookings' side of the payments port (see `state::PaymentEffects`).
#[derive(Debug, Default)]
pub struct BookingPayments;

#[async_trait::async_trait]
impl PaymentEffects for BookingPayments {
    async fn lock(&self, conn: &mut AnyConnection, id: &str) -> Result<(), AppError> {
        store::lock(conn, id).await?;
        Ok(())
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        state: &AppState,
        outcome: &PaymentOutcome,
        now: i64,
    ) -> Result<(), AppError> {
        match outcome {
            PaymentOutcome::Captured {
                order_id, mismatch, ..
            } => on_captured(conn, state, order_id, mismatch.as_deref(), now).await,
            // A declined payment leaves the hold: the customer may try another card until it
            // ends.
            PaymentOutcome::Failed { .. } => Ok(()),
            PaymentOutcome::Expired { order_id, latest } => {
                if *latest
                    && let Some(b) = store::lock(conn, order_id).await?
                    && b.status == Status::Held
                {
                    release(conn, state, &b, "the deposit's checkout expired", now).await?;
                    // In the webhook's transaction: another request may still cache the
                    // held time until the TTL ends; placing checks afresh anyway.
                    service::bookings_changed(state);
                }
                Ok(())
            }
            PaymentOutcome::Refunded {
                order_id,
                amount_minor,
            } => {
                let Some(b) = store::find(&mut *conn, order_id).await? else {
                    return Ok(());
                };
                let mail = emails::refund_issued(&b, *amount_minor);
                enqueue_email(conn, &b.email, &mail, state.max_job_attempts()).await?;
                Ok(())
            }
        }
    }

    async fn summary(
        &self,
        state: &AppState,
        id: &str,
    ) -> Result<Option<CheckoutSummary>, AppError> {
        let Some(b) = store::find(state.db.pool(), id).await? else {
            return Ok(None);
        };
        Ok(Some(CheckoutSummary {
            return_path: service::manage_path(state, &b),
            lines: vec![line(state, &b)],
            reference: b.reference,
            email: b.email,
        }))
    }
}

/// The periodic job that releases unpaid holds.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ExpireHoldsJob {}

impl JobSpec for ExpireHoldsJob {
    const KIND: &'static str = "bookings.expire_holds";
}

/// Runs [`ExpireHoldsJob`].
pub struct ExpireHoldsHandler {
    pub state: AppState,
}

#[async_trait::async_trait]
impl crate::jobs::JobHandler for ExpireHoldsHandler {
    async fn run(&self, _job: &crate::jobs::model::Job) -> anyhow::Result<()> {
        expire_holds(&self.state, now())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    }
}

/// How often the hold expiry job runs.
pub const EXPIRE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);
