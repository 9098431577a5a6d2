//! Payment attempts: opening a gateway checkout for an order, at most
//! [`MAX_PAYMENT_ATTEMPTS`] of them, each with its own idempotency key and a planned expiry.

use sqlx::AnyConnection;

use super::close_unpaid;
use super::state::{OrderEvent, OrderStatus};
use super::store::{self, Order};
use super::{EXPIRY_GRACE_SECS, order_path};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::payments::state::{PaymentEvent, PaymentStatus};
use crate::payments::store::{self as payment_store, Payment};
use crate::ports::payments::{CheckoutLine, CheckoutRequest, GatewayError, PaymentPurpose};
use crate::state::AppState;

/// Most payment attempts one order gets (each opened attempt extends the stock hold, so this
/// bounds how long one order can keep stock off sale).
pub const MAX_PAYMENT_ATTEMPTS: i64 = 5;

/// What starting a payment did.
#[derive(Debug, Clone)]
pub enum PaymentStart {
    /// Send the customer here (the gateway's hosted checkout).
    Redirect(String),
    /// The gateway failed; the order is kept and the same attempt can be retried.
    GatewayFailed(GatewayError),
    /// The checkout was completed with a delayed payment method: the outcome is on its way.
    Processing,
    /// The order cannot be paid any more (paid, closed, or out of attempts).
    Closed,
}

enum Attempt {
    Open(Box<Payment>),
    Processing,
    Closed,
}

/// When a checkout opened now for `order` should stop taking payment: a full hold from now
/// (`ORDER_HOLD_MINUTES`; until now the order held its stock only briefly, see
/// `checkout::insert_order`), or the order's hold if it is later, but never sooner than the
/// gateway allows, and at most a day away.
fn session_expiry(state: &AppState, order: &Order, now: i64) -> i64 {
    let full = now + i64::try_from(state.settings.order_hold.as_secs()).unwrap_or(1800);
    order
        .hold_expires_at
        .max(full)
        .max(now + state.gateway.min_checkout_secs())
        .min(now + 24 * 3600 - 60)
}

/// The payment attempt to open a checkout for, under the order's lock:
/// - the latest attempt while it can still be opened or paid. Its checkout's expiry is planned
///   once and stored, so every retry sends the same request under the same idempotency key
///   (Stripe refuses a reused key with other parameters), and the hold is extended to it;
/// - after a failed attempt, one whose checkout expired, or one whose planned expiry is too
///   close to open a checkout now, a new attempt with its own key;
/// - at most [`MAX_PAYMENT_ATTEMPTS`]; then the order is cancelled and its stock given back.
async fn open_attempt(state: &AppState, order_id: &str) -> AppResult<Attempt> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let Some(order) = store::lock(&mut tx, order_id).await? else {
        return Err(AppError::NotFound);
    };
    if order.status() != OrderStatus::PendingPayment {
        return Ok(Attempt::Closed);
    }
    let min_life = state.gateway.min_checkout_secs();
    let latest = payment_store::latest_for(&mut *tx, order_id).await?;
    let mut attempt = 1;
    if let Some(p) = latest {
        attempt = p.attempt + 1;
        let reusable = match (p.status(), &p.session_id, p.session_expires_at) {
            (PaymentStatus::Unpaid, _, _) if p.payment_intent.is_some() => {
                return Ok(Attempt::Processing);
            }
            // An open checkout: until its expiry (plus the grace a late completion needs).
            (PaymentStatus::Unpaid, Some(_), Some(e)) => e + EXPIRY_GRACE_SECS > now,
            // Not opened yet: its planned expiry must still leave the gateway's minimum (the
            // plan asked a minute more than that, so a retry within the minute reuses it).
            (PaymentStatus::Unpaid, None, Some(e)) => e >= now + (min_life - 60).max(0),
            (PaymentStatus::Unpaid, _, None) => true,
            (PaymentStatus::Failed, _, _) => false,
            _ => return Ok(Attempt::Closed),
        };
        if reusable {
            let p = plan(&mut tx, state, &order, p, now).await?;
            tx.commit().await?;
            return Ok(Attempt::Open(Box::new(p)));
        }
        if p.status() == PaymentStatus::Unpaid {
            payment_store::transition(&mut tx, &p, PaymentEvent::Failed, now)
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
            payment_store::set_failure(&mut tx, &p.id, "the checkout expired").await?;
        }
    }
    // Attempts that never reached a checkout (the gateway was down) do not count.
    let opened: i64 = sqlx::query_scalar(
        "select count(*) from payments where order_id = $1 and session_id is not null",
    )
    .bind(order_id)
    .fetch_one(&mut *tx)
    .await?;
    if opened >= MAX_PAYMENT_ATTEMPTS || attempt > 3 * MAX_PAYMENT_ATTEMPTS {
        close_unpaid(
            &mut tx,
            &order,
            OrderEvent::Cancel,
            "not paid after five attempts",
            now,
        )
        .await?;
        tx.commit().await?;
        state.content.invalidate();
        return Ok(Attempt::Closed);
    }
    let id = payment_store::insert(
        &mut tx,
        payment_store::PaidFor::order(order_id),
        attempt,
        state.gateway.name(),
        order.total_minor,
        &order.currency,
        now,
    )
    .await?;
    let p = payment_store::find(&mut *tx, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    // A new attempt plans a full hold of its own (extended when its checkout opens).
    let p = plan(&mut tx, state, &order, p, now).await?;
    tx.commit().await?;
    Ok(Attempt::Open(Box::new(p)))
}

/// Plans (once) when the attempt's checkout expires. The order's hold is extended to it only
/// once the gateway opened the checkout ([`hold_until`]): until then the order holds its stock
/// briefly (`ORDER_HOLD_UNOPENED_MINUTES`).
async fn plan(
    conn: &mut AnyConnection,
    state: &AppState,
    order: &Order,
    payment: Payment,
    now: i64,
) -> AppResult<Payment> {
    let expires = match payment.session_expires_at {
        Some(e) => e,
        None => {
            let e = session_expiry(state, order, now);
            payment_store::plan_session_expiry(conn, &payment.id, e).await?;
            e
        }
    };
    Ok(Payment {
        session_expires_at: Some(expires),
        ..payment
    })
}

/// Extends a pending order's hold to `until` (its open checkout's expiry).
async fn hold_until(conn: &mut AnyConnection, order_id: &str, until: i64) -> AppResult<()> {
    sqlx::query(
        "update orders set hold_expires_at = $2, updated_at = $3 \
         where id = $1 and hold_expires_at < $2 and status = 'pending_payment'",
    )
    .bind(order_id)
    .bind(until)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Opens (or reopens) the hosted checkout of an order and says where to send the customer. A
/// retry of the same attempt sends the same request with the same idempotency key, so the
/// gateway answers with the same session instead of opening a second one.
pub async fn start_payment(state: &AppState, order: &Order) -> AppResult<PaymentStart> {
    let payment = match open_attempt(state, &order.id).await? {
        Attempt::Open(p) => p,
        Attempt::Processing => return Ok(PaymentStart::Processing),
        Attempt::Closed => return Ok(PaymentStart::Closed),
    };
    if let Some(url) = &payment.checkout_url {
        return Ok(PaymentStart::Redirect(url.clone()));
    }
    let expires_at = payment.session_expires_at.unwrap_or(order.hold_expires_at);
    let lines = store::lines(state.db.pool(), &order.id).await?;
    let link = state.url(&order_path(state, order));
    let request = CheckoutRequest {
        purpose: PaymentPurpose::Order,
        order_id: order.id.clone(),
        order_number: order.number.clone(),
        payment_id: payment.id.clone(),
        attempt: payment.attempt,
        email: order.email.clone(),
        currency: crate::money::Currency::parse(&order.currency).unwrap_or_default(),
        lines: lines
            .iter()
            .map(|l| CheckoutLine {
                name: if l.options_label.is_empty() {
                    l.title.clone()
                } else {
                    format!("{} ({})", l.title, l.options_label)
                },
                unit_amount: l.unit_price_minor,
                quantity: l.quantity,
            })
            .collect(),
        success_url: format!("{link}?paid=1"),
        cancel_url: state.url("/cart?payment=cancelled"),
        expires_at,
    };
    let session = match state.gateway.create_checkout(&request).await {
        Ok(session) => session,
        Err(e) => {
            state.metrics.payment("checkout_failed");
            return Ok(PaymentStart::GatewayFailed(e));
        }
    };
    let mut conn = state.db.pool().acquire().await?;
    if payment_store::set_session(&mut conn, &payment.id, &session.id, &session.url, now()).await? {
        // The customer is on the way to the payment page: the stock is theirs until the
        // checkout expires.
        hold_until(&mut conn, &order.id, expires_at).await?;
        state.metrics.payment("checkout_created");
        return Ok(PaymentStart::Redirect(session.url));
    }
    // Not stored: a concurrent retry stored the same session first, or the order was closed
    // meanwhile (replaced, cancelled) and this checkout must not be paid.
    let stored = payment_store::find(&mut *conn, &payment.id).await?;
    if let Some(p) = stored
        && p.status() == PaymentStatus::Unpaid
        && p.session_id.as_deref() == Some(session.id.as_str())
        && let Some(url) = p.checkout_url
    {
        return Ok(PaymentStart::Redirect(url));
    }
    if let Err(e) = state.gateway.expire_checkout(&session.id).await {
        tracing::warn!(session = %session.id, error = %e, "could not close the checkout of a closed order");
    }
    Ok(PaymentStart::Closed)
}
