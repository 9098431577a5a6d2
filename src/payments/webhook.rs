//! Gateway events: signature verification over the raw body, storage once per event id, and
//! their effects through the state machines, all in one transaction.
//!
//! - A bad or old signature is refused (400) before anything is stored.
//! - The event row is inserted first (`on conflict do nothing`): a duplicate delivery, even
//!   a concurrent one, finds the row and changes nothing.
//! - Effects only move state forward, so delivery order does not matter; an event about a
//!   payment we cannot place yet (a refund before the checkout completed) is stored as
//!   `deferred` and applied when the earlier event arrives.
//! - A business error (an unknown session) is stored as `error` for replay from the admin
//!   and answered 200 (retrying would not help); a database failure rolls everything back and
//!   answers 500, so Stripe retries.

use serde::Deserialize;
use serde_json::Value;
use sqlx::AnyConnection;

use super::state::{PaymentEvent, PaymentStatus, RefundStatus};
use super::store::{self, NewRefund, Payment};
use crate::crypto::constant_time_eq;
use crate::db::now;
use crate::error::AppError;
use crate::ports::payments::PaymentOutcome;
use crate::state::AppState;

/// Why a delivery was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Missing, malformed, wrong or old signature.
    #[error("{0}")]
    Signature(&'static str),
    /// Not an event we can read.
    #[error("{0}")]
    Malformed(String),
    /// Our side failed; nothing was stored, the gateway should retry.
    #[error("temporary failure: {0}")]
    Internal(String),
}

/// What applying a stored event came to (the `outcome` column of `webhook_events`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It changed what it was about.
    Applied,
    /// Nothing to do (an event we do not act on, or one about an object we do not know).
    Ignored,
    /// About a payment that has not been captured yet: applied once it is.
    Deferred,
    /// It could not apply (a refund larger than the payment…): staff can replay it.
    Error,
}

impl Outcome {
    /// Column value, metric label and the webhook's JSON answer.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Ignored => "ignored",
            Self::Deferred => "deferred",
            Self::Error => "error",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receipt {
    /// Stored and processed with this outcome.
    Processed(Outcome),
    /// Already stored: nothing changed.
    Duplicate,
}

/// `t=...,v1=...` for `body` at `timestamp` (the dev gateway, tests and benchmarks sign with it).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", signature(secret, timestamp, body))
}

fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    hex::encode(crate::crypto::hmac_bytes(secret.as_bytes(), &signed))
}

/// Checks a `Stripe-Signature` header: some `v1` must be the HMAC-SHA256 of `{t}.{body}` under
/// one of `secrets`, and `t` within `tolerance` seconds of `now`.
pub fn verify(
    secrets: &[String],
    header: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<(), WebhookError> {
    let header = header.ok_or(WebhookError::Signature("missing Stripe-Signature header"))?;
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => candidates.push(sig),
            _ => {}
        }
    }
    let timestamp =
        timestamp.ok_or(WebhookError::Signature("malformed Stripe-Signature header"))?;
    if candidates.is_empty() {
        return Err(WebhookError::Signature("no v1 signature"));
    }
    let valid = secrets.iter().any(|secret| {
        let expected = signature(secret, timestamp, body);
        candidates.iter().any(|c| constant_time_eq(c, &expected))
    });
    if !valid {
        return Err(WebhookError::Signature("signature does not match"));
    }
    if (now - timestamp).abs() > tolerance {
        return Err(WebhookError::Signature(
            "signature timestamp outside the tolerance",
        ));
    }
    Ok(())
}

/// The parts of an event we read.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    /// `evt_...`.
    pub id: String,
    /// `checkout.session.completed`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Epoch seconds at the gateway.
    #[serde(default)]
    pub created: i64,
    /// `data.object`.
    pub data: EventData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    /// The object the event is about.
    pub object: Value,
}

/// Parses an event body.
pub fn parse(body: &[u8]) -> Result<Event, WebhookError> {
    let event: Event = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Malformed(format!("not a Stripe event: {e}")))?;
    if event.id.is_empty() || event.id.len() > 255 || event.kind.len() > 255 {
        return Err(WebhookError::Malformed(
            "event id or type is invalid".into(),
        ));
    }
    Ok(event)
}

/// Verifies, stores and applies one delivery (the endpoint and the dev gateway both call this).
pub async fn receive(
    state: &AppState,
    signature_header: Option<&str>,
    body: &[u8],
    source: &str,
) -> Result<Receipt, WebhookError> {
    let now = now();
    let tolerance = i64::try_from(state.settings.webhook_tolerance.as_secs()).unwrap_or(300);
    verify(
        &state.gateway.webhook_secrets(),
        signature_header,
        body,
        now,
        tolerance,
    )?;
    let event = parse(body)?;
    let payload = String::from_utf8_lossy(body);
    store_and_apply(state, &event, &payload, source, now).await
}

/// Stores an event once and applies it (reconciliation calls this for events fetched from the
/// API, which need no signature).
pub async fn store_and_apply(
    state: &AppState,
    event: &Event,
    payload: &str,
    source: &str,
    now: i64,
) -> Result<Receipt, WebhookError> {
    let internal = |e: sqlx::Error| WebhookError::Internal(e.to_string());
    let mut tx = state.db.begin().await.map_err(internal)?;
    if !store::insert_event(
        &mut tx,
        &event.id,
        &event.kind,
        source,
        payload,
        event.created,
        now,
    )
    .await
    .map_err(internal)?
    {
        tx.commit().await.map_err(internal)?;
        state.metrics.webhook(metric_kind(&event.kind), "duplicate");
        return Ok(Receipt::Duplicate);
    }
    let (outcome, moved) = run(&mut tx, state, event, now).await?;
    tx.commit().await.map_err(internal)?;
    if let Some(step) = moved {
        state.metrics.payment(step);
    }
    if event.kind == "checkout.session.expired" && outcome == Outcome::Applied {
        // An expired order may have given stock back.
        state.content.invalidate();
    }
    state
        .metrics
        .webhook(metric_kind(&event.kind), outcome.as_str());
    Ok(Receipt::Processed(outcome))
}

/// Applies a stored event and records the outcome, in the caller's transaction; the outcome
/// and the payment step it made, if any (for the metrics, after commit).
async fn run(
    conn: &mut AnyConnection,
    state: &AppState,
    event: &Event,
    now: i64,
) -> Result<(Outcome, Option<&'static str>), WebhookError> {
    let mut moved = None;
    let (outcome, reference, error) = match apply(conn, state, event, now).await {
        Ok(Effect::Applied(r)) => (Outcome::Applied, r, None),
        Ok(Effect::Moved(step, r)) => {
            moved = Some(step);
            (Outcome::Applied, r, None)
        }
        Ok(Effect::Ignored(why)) => (Outcome::Ignored, None, Some(why.to_owned())),
        Ok(Effect::Deferred(r)) => (Outcome::Deferred, Some(r), None),
        Err(AppError::Internal(e)) => return Err(WebhookError::Internal(e.to_string())),
        Err(other) => (Outcome::Error, None, Some(other.to_string())),
    };
    store::set_event_outcome(
        conn,
        &event.id,
        outcome.as_str(),
        reference.as_deref(),
        error.as_deref(),
        now,
    )
    .await
    .map_err(|e| WebhookError::Internal(e.to_string()))?;
    Ok((outcome, moved))
}

/// Re-applies a stored event that ended in `error` (the admin's replay button).
pub async fn replay(state: &AppState, id: &str) -> Result<Option<Outcome>, WebhookError> {
    let internal = |e: sqlx::Error| WebhookError::Internal(e.to_string());
    let now = now();
    let mut tx = state.db.begin().await.map_err(internal)?;
    let replayable = [Outcome::Error.as_str(), Outcome::Deferred.as_str()];
    let Some(stored) = store::claim_event(&mut tx, id, &replayable)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    let event = parse(stored.payload.as_bytes())?;
    let (outcome, moved) = run(&mut tx, state, &event, now).await?;
    tx.commit().await.map_err(internal)?;
    if let Some(step) = moved {
        state.metrics.payment(step);
    }
    Ok(Some(outcome))
}

enum Effect {
    /// Changed something; the reference (payment intent) if any.
    Applied(Option<String>),
    /// Moved a payment (captured, failed, checkout expired): counted in the metrics once the
    /// transaction commits.
    Moved(&'static str, Option<String>),
    /// Nothing to do (a late or repeated event).
    Ignored(&'static str),
    /// Waits for an earlier event about this reference.
    Deferred(String),
}

/// The event type as a metric label: only the types we handle become labels (unsigned
/// deliveries never get here anyway).
fn metric_kind(kind: &str) -> &str {
    if super::stripe::HANDLED_EVENTS.contains(&kind) {
        kind
    } else {
        "other"
    }
}

fn text<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn int(v: &Value, name: &str) -> Option<i64> {
    v.get(name).and_then(Value::as_i64)
}

fn meta<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get("metadata").and_then(|m| text(m, name))
}

async fn apply(
    conn: &mut AnyConnection,
    state: &AppState,
    event: &Event,
    now: i64,
) -> Result<Effect, AppError> {
    let object = &event.data.object;
    match event.kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            session_completed(conn, state, object, now).await
        }
        "checkout.session.async_payment_failed" => {
            session_failed(conn, state, object, "the payment was declined", now).await
        }
        "checkout.session.expired" => session_expired(conn, state, object, now).await,
        "charge.refunded" => charge_refunded(conn, state, object, now).await,
        "refund.updated" | "refund.created" | "charge.refund.updated" => {
            refund_updated(conn, state, object, now).await
        }
        _ => Ok(Effect::Ignored("event type not handled")),
    }
}

/// The payment a checkout session object is about: by session id, else by our metadata (a
/// session whose creation answer we never stored).
async fn session_payment(
    conn: &mut AnyConnection,
    state: &AppState,
    session: &Value,
    now: i64,
) -> Result<Payment, AppError> {
    let session_id = text(session, "id").unwrap_or_default();
    if let Some(p) = store::find_by_session(&mut *conn, session_id).await? {
        return Ok(p);
    }
    if let Some(payment_id) = meta(session, "payment_id")
        && let Some(p) = store::find(&mut *conn, payment_id).await?
        && p.session_id.is_none()
        && meta(session, "order_id") == Some(p.order_id.as_str())
    {
        let url = text(session, "url").unwrap_or_default();
        // The order first, then the payment (see `lock_order_then_payment`).
        state
            .payment_effects
            .of(p.purpose())
            .lock(conn, &p.order_id)
            .await?;
        // Stored when the order still waits (a closed order's capture is handled all the same).
        store::set_session(conn, &p.id, session_id, url, now).await?;
        return Ok(p);
    }
    Err(AppError::Conflict(format!(
        "No payment of ours has checkout session {session_id:?}."
    )))
}

/// Locks the payment's order, then the payment: the same order as the orders' own changes
/// (expiry, cancel), so two transactions never wait on each other in opposite orders.
async fn lock_order_then_payment(
    conn: &mut AnyConnection,
    state: &AppState,
    payment: &Payment,
) -> Result<Option<Payment>, AppError> {
    state
        .payment_effects
        .of(payment.purpose())
        .lock(conn, &payment.order_id)
        .await?;
    Ok(store::lock(conn, &payment.id).await?)
}

async fn session_completed(
    conn: &mut AnyConnection,
    state: &AppState,
    session: &Value,
    now: i64,
) -> Result<Effect, AppError> {
    let payment = session_payment(conn, state, session, now).await?;
    let Some(payment) = lock_order_then_payment(conn, state, &payment).await? else {
        return Err(AppError::NotFound);
    };
    let intent = text(session, "payment_intent").map(str::to_owned);
    if let Some(pi) = &intent {
        store::set_intent(conn, &payment.id, pi, now).await?;
    }
    if text(session, "payment_status") != Some("paid") {
        // An asynchronous method (bank debit): the money comes later, the hold stays.
        return Ok(Effect::Applied(intent));
    }
    let amount = int(session, "amount_total").unwrap_or(payment.amount_minor);
    let currency = text(session, "currency").unwrap_or_default();
    match store::transition(conn, &payment, PaymentEvent::Captured, now).await {
        Ok(Some(_)) => {}
        Ok(None) | Err(store::PaymentTransitionError::Illegal(_)) => {
            return Ok(Effect::Ignored("payment already recorded"));
        }
        Err(store::PaymentTransitionError::Db(e)) => return Err(e.into()),
    }
    if amount != payment.amount_minor {
        // Refunds are bounded by what was really captured.
        store::set_captured(conn, &payment.id, amount.max(0)).await?;
    }
    let mismatch = (amount != payment.amount_minor
        || !currency.eq_ignore_ascii_case(&payment.currency))
    .then(|| {
        format!(
            "The gateway captured {amount} {currency} for a payment of {} {}: check it.",
            payment.amount_minor, payment.currency
        )
    });
    let captured = PaymentOutcome::Captured {
        order_id: payment.order_id.clone(),
        attempt: payment.attempt,
        mismatch,
    };
    state
        .payment_effects
        .of(payment.purpose())
        .apply(conn, state, &captured, now)
        .await?;
    // Events about this payment that arrived first (a refund) can apply now.
    if let Some(pi) = &intent {
        for id in store::deferred_for(conn, pi).await? {
            if let Some(stored) =
                store::claim_event(conn, &id, &[Outcome::Deferred.as_str()]).await?
            {
                let Ok(deferred) = parse(stored.payload.as_bytes()) else {
                    continue;
                };
                let (outcome, error) = match Box::pin(apply(conn, state, &deferred, now)).await {
                    Ok(Effect::Applied(_) | Effect::Moved(..)) => (Outcome::Applied, None),
                    Ok(Effect::Ignored(why)) => (Outcome::Ignored, Some(why.to_owned())),
                    Ok(Effect::Deferred(_)) => (Outcome::Deferred, None),
                    Err(e @ AppError::Internal(_)) => return Err(e),
                    Err(e) => (Outcome::Error, Some(e.to_string())),
                };
                let outcome = outcome.as_str();
                store::set_event_outcome(conn, &id, outcome, None, error.as_deref(), now).await?;
            }
        }
    }
    Ok(Effect::Moved("captured", intent))
}

async fn session_failed(
    conn: &mut AnyConnection,
    state: &AppState,
    session: &Value,
    why: &str,
    now: i64,
) -> Result<Effect, AppError> {
    let payment = session_payment(conn, state, session, now).await?;
    let Some(payment) = lock_order_then_payment(conn, state, &payment).await? else {
        return Err(AppError::NotFound);
    };
    match store::transition(conn, &payment, PaymentEvent::Failed, now).await {
        Ok(Some(_)) => {}
        Ok(None) | Err(store::PaymentTransitionError::Illegal(_)) => {
            return Ok(Effect::Ignored("payment no longer open"));
        }
        Err(store::PaymentTransitionError::Db(e)) => return Err(e.into()),
    }
    store::set_failure(conn, &payment.id, why).await?;
    let failed = PaymentOutcome::Failed {
        order_id: payment.order_id.clone(),
        reason: why.to_owned(),
    };
    state
        .payment_effects
        .of(payment.purpose())
        .apply(conn, state, &failed, now)
        .await?;
    Ok(Effect::Moved(
        "failed",
        text(session, "payment_intent").map(str::to_owned),
    ))
}

async fn session_expired(
    conn: &mut AnyConnection,
    state: &AppState,
    session: &Value,
    now: i64,
) -> Result<Effect, AppError> {
    let payment = session_payment(conn, state, session, now).await?;
    let Some(payment) = lock_order_then_payment(conn, state, &payment).await? else {
        return Err(AppError::NotFound);
    };
    if payment.status() != PaymentStatus::Unpaid {
        return Ok(Effect::Ignored("payment no longer open"));
    }
    store::transition(conn, &payment, PaymentEvent::Failed, now)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    store::set_failure(conn, &payment.id, "the checkout expired").await?;
    let latest = store::latest_for(&mut *conn, &payment.order_id).await?;
    let expired = PaymentOutcome::Expired {
        order_id: payment.order_id.clone(),
        latest: latest.is_some_and(|l| l.id == payment.id),
    };
    state
        .payment_effects
        .of(payment.purpose())
        .apply(conn, state, &expired, now)
        .await?;
    Ok(Effect::Moved("checkout_expired", None))
}

/// The payment of a charge or refund object, if its capture is already recorded.
async fn captured_payment(
    conn: &mut AnyConnection,
    intent: &str,
) -> Result<Option<Payment>, AppError> {
    let Some(p) = store::find_by_intent(&mut *conn, intent).await? else {
        return Ok(None);
    };
    let Some(p) = store::lock(conn, &p.id).await? else {
        return Ok(None);
    };
    Ok(p.status().is_captured().then_some(p))
}

async fn charge_refunded(
    conn: &mut AnyConnection,
    state: &AppState,
    charge: &Value,
    now: i64,
) -> Result<Effect, AppError> {
    let Some(intent) = text(charge, "payment_intent").map(str::to_owned) else {
        return Ok(Effect::Ignored("charge has no payment intent"));
    };
    let Some(payment) = captured_payment(conn, &intent).await? else {
        return Ok(Effect::Deferred(intent));
    };
    let refunds = charge
        .get("refunds")
        .and_then(|r| r.get("data"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for refund in &refunds {
        record_refund(conn, state, &payment, refund, now).await?;
    }
    settle_payment(conn, &payment, now).await?;
    Ok(Effect::Applied(Some(intent)))
}

async fn refund_updated(
    conn: &mut AnyConnection,
    state: &AppState,
    refund: &Value,
    now: i64,
) -> Result<Effect, AppError> {
    let Some(intent) = text(refund, "payment_intent").map(str::to_owned) else {
        return Ok(Effect::Ignored("refund has no payment intent"));
    };
    let Some(payment) = captured_payment(conn, &intent).await? else {
        return Ok(Effect::Deferred(intent));
    };
    record_refund(conn, state, &payment, refund, now).await?;
    settle_payment(conn, &payment, now).await?;
    Ok(Effect::Applied(Some(intent)))
}

/// Creates or advances our row of a gateway refund (ours by id or metadata, or one made in
/// the gateway's dashboard), emailing the customer when it succeeds.
async fn record_refund(
    conn: &mut AnyConnection,
    state: &AppState,
    payment: &Payment,
    refund: &Value,
    now: i64,
) -> Result<(), AppError> {
    let Some(gateway_id) = text(refund, "id") else {
        return Ok(());
    };
    let status = text(refund, "status")
        .and_then(RefundStatus::parse)
        .unwrap_or(RefundStatus::Pending);
    let amount = int(refund, "amount").unwrap_or(0);
    let mut row = store::find_refund_by_gateway_id(&mut *conn, gateway_id).await?;
    if row.is_none()
        && let Some(ours) = meta(refund, "refund_id")
    {
        row = store::find_refund(&mut *conn, ours)
            .await?
            .filter(|r| r.payment_id == payment.id);
    }
    let (refund_id, was) = match row {
        Some(r) => {
            let was = r.status();
            (r.id, was)
        }
        None => {
            if amount <= 0 {
                return Ok(());
            }
            let (id, _) = store::insert_refund(
                conn,
                &NewRefund {
                    payment_id: &payment.id,
                    order_id: &payment.order_id,
                    amount_minor: amount,
                    currency: &payment.currency,
                    reason: "Refunded at the payment gateway",
                    status: RefundStatus::Pending,
                    gateway_refund_id: Some(gateway_id),
                    created_by: None,
                    request_key: None,
                    now,
                },
            )
            .await?;
            (id, RefundStatus::Pending)
        }
    };
    if !was.can_become(status) {
        return Ok(());
    }
    let failure = text(refund, "failure_reason");
    if store::settle_refund(conn, &refund_id, status, Some(gateway_id), failure, now).await?
        && status == RefundStatus::Succeeded
    {
        refunded(conn, state, &refund_id, now).await?;
    }
    Ok(())
}

/// Reports a refund that just succeeded (the customer is told).
pub async fn refunded(
    conn: &mut AnyConnection,
    state: &AppState,
    refund_id: &str,
    now: i64,
) -> Result<(), AppError> {
    let Some(refund) = store::find_refund(&mut *conn, refund_id).await? else {
        return Ok(());
    };
    let purpose = store::find(&mut *conn, &refund.payment_id)
        .await?
        .map_or(crate::ports::payments::PaymentPurpose::Order, |p| {
            p.purpose()
        });
    let outcome = PaymentOutcome::Refunded {
        order_id: refund.order_id,
        amount_minor: refund.amount_minor,
    };
    state
        .payment_effects
        .of(purpose)
        .apply(conn, state, &outcome, now)
        .await
}

/// Moves the payment to (partially) refunded from the money that went back: our succeeded
/// refunds (a pending refund may still fail, so it only counts against what may still be
/// refunded). The gateway's `amount_refunded` is not used: it counts pending refunds too, and
/// every refund it lists is recorded as a row with its own status first. Forward only.
pub async fn settle_payment(
    conn: &mut AnyConnection,
    payment: &Payment,
    now: i64,
) -> Result<(), AppError> {
    let ours = store::succeeded_total(conn, &payment.id).await?;
    let refunded = ours.min(payment.captured_minor.max(payment.amount_minor));
    if refunded <= payment.refunded_minor {
        return Ok(());
    }
    let captured = if payment.captured_minor > 0 {
        payment.captured_minor
    } else {
        payment.amount_minor
    };
    match store::transition(
        conn,
        payment,
        PaymentEvent::Refunded { refunded, captured },
        now,
    )
    .await
    {
        Ok(_) | Err(store::PaymentTransitionError::Illegal(_)) => Ok(()),
        Err(store::PaymentTransitionError::Db(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";

    #[test]
    fn a_signed_body_verifies_and_tampering_does_not() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(SECRET, 1000, body);
        assert!(verify(&[SECRET.into()], Some(&header), body, 1000, 300).is_ok());
        assert!(
            verify(
                &[SECRET.into()],
                Some(&header),
                br#"{"id":"evt_2"}"#,
                1000,
                300
            )
            .is_err()
        );
        assert!(verify(&["whsec_other".into()], Some(&header), body, 1000, 300).is_err());
        // Rotation: any of several secrets.
        assert!(
            verify(
                &["whsec_old".into(), SECRET.into()],
                Some(&header),
                body,
                1000,
                300
            )
            .is_ok()
        );
        // Several v1 values: one matching is enough.
        let two = format!("t=1000,v1=deadbeef,{}", header.split(',').nth(1).unwrap());
        assert!(verify(&[SECRET.into()], Some(&two), body, 1000, 300).is_ok());
    }

    #[test]
    fn old_missing_and_malformed_signatures_are_refused() {
        let body = b"{}";
        let header = sign(SECRET, 1000, body);
        assert!(matches!(
            verify(&[SECRET.into()], Some(&header), body, 1301, 300),
            Err(WebhookError::Signature(m)) if m.contains("tolerance")
        ));
        assert!(verify(&[SECRET.into()], None, body, 1000, 300).is_err());
        assert!(verify(&[SECRET.into()], Some("garbage"), body, 1000, 300).is_err());
        assert!(verify(&[SECRET.into()], Some("t=1000"), body, 1000, 300).is_err());
        assert!(verify(&[SECRET.into()], Some("t=x,v1=00"), body, 1000, 300).is_err());
    }

    #[test]
    fn events_parse_leniently() {
        let e = parse(br#"{"id":"evt_1","type":"charge.refunded","created":5,"data":{"object":{"a":1}},"extra":true}"#).unwrap();
        assert_eq!(e.kind, "charge.refunded");
        assert!(parse(b"not json").is_err());
        assert!(parse(br#"{"id":"","type":"x","data":{"object":{}}}"#).is_err());
    }
}
