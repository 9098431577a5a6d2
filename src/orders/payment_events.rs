//! What a payment outcome means for an order: paid (stock kept, cart lines bought, emails
//! and download links), flagged for staff, a failure email, an expired checkout, a refund
//! email. `payments` reports outcomes through `state::PaymentEffects`; [`OrderPayments`]
//! applies them in the payment's transaction.

use sqlx::AnyConnection;

use super::close_unpaid;
use super::state::{OrderEvent, OrderStatus};
use super::store::{self, Order, OrderLine};
use super::{EXPIRY_GRACE_SECS, emails, order_path, transition_error};
use crate::catalog::model::ProductKind;
use crate::crypto::{random_token, sha256_hex};
use crate::error::{AppError, AppResult};
use crate::notifications::enqueue_email;
use crate::ports::payments::{CheckoutSummary, PaymentOutcome};
use crate::state::AppState;
use crate::state::PaymentEffects;

/// Everything that follows a captured payment, in the caller's (webhook) transaction:
/// the order moves to paid (once), the bought lines leave the cart, the confirmation and
/// download emails go to the outbox, and a digital-only order fulfils itself. A capture for
/// an order that is no longer pending is recorded for staff to resolve.
pub async fn on_captured(
    conn: &mut AnyConnection,
    state: &AppState,
    order_id: &str,
    attempt: i64,
    now: i64,
) -> AppResult<()> {
    let Some(order) = store::lock(conn, order_id).await? else {
        return Err(AppError::NotFound);
    };
    match order.status() {
        OrderStatus::PendingPayment => {}
        OrderStatus::Paid | OrderStatus::Fulfilled => {
            let note = format!(
                "Payment attempt {attempt} was captured for an order that was already paid: refund it."
            );
            flag(conn, state, &order, &note, now).await?;
            return Ok(());
        }
        closed @ (OrderStatus::Cancelled | OrderStatus::Expired) => {
            let note = format!(
                "Payment received after the order was {closed}; its stock was given back. \
                 Refund it, or fulfil it by hand if the stock allows."
            );
            flag(conn, state, &order, &note, now).await?;
            return Ok(());
        }
    }
    if store::set_status(
        conn,
        order_id,
        OrderStatus::PendingPayment,
        OrderEvent::PaymentSucceeded,
        now,
    )
    .await
    .map_err(transition_error)?
    .is_none()
    {
        return Ok(());
    }
    let bought = store::bought(conn, order_id).await?;
    crate::cart::store::remove_bought(conn, &order.cart_key, &bought).await?;
    let lines = store::lines(&mut *conn, order_id).await?;
    let link = state.url(&order_path(state, &order));
    let attempts = state.max_job_attempts();
    enqueue_email(
        conn,
        &order.email,
        &emails::confirmation(&order, &lines, &link),
        attempts,
    )
    .await?;
    if order.has_digital {
        send_download_links(conn, state, &order, &lines, now).await?;
        if !order.has_prints {
            store::set_status(conn, order_id, OrderStatus::Paid, OrderEvent::Fulfil, now)
                .await
                .map_err(transition_error)?;
        }
    }
    Ok(())
}

/// A capture whose amount or currency differs from the order's: recorded by payments (the
/// payment is captured, refunds bounded by what was really taken), but the order is not paid:
/// it stays pending (the expiry job leaves an order with captured money alone, see
/// `expiry::expire_due`), no confirmation or download links go out, and staff are flagged and
/// emailed to refund it or settle it by hand.
async fn on_mismatched_capture(
    conn: &mut AnyConnection,
    state: &AppState,
    order_id: &str,
    note: &str,
    now: i64,
) -> AppResult<()> {
    let Some(order) = store::lock(conn, order_id).await? else {
        return Err(AppError::NotFound);
    };
    let note = format!(
        "{note} The order was not marked paid: refund the payment, or settle the difference with the customer."
    );
    flag(conn, state, &order, &note, now).await
}

/// Flags an order for staff and emails them (through the outbox, in the caller's transaction).
pub async fn flag(
    conn: &mut AnyConnection,
    state: &AppState,
    order: &Order,
    note: &str,
    now: i64,
) -> AppResult<()> {
    store::set_attention(conn, &order.id, Some(note), now).await?;
    let recipients = match &state.settings.staff_email {
        Some(e) => vec![e.clone()],
        None => crate::identity::store::admin_emails(&mut *conn).await?,
    };
    let content = emails::staff_attention(
        order,
        note,
        &state.url(&format!("/admin/order/{}", order.id)),
    );
    for to in recipients {
        enqueue_email(conn, &to, &content, state.max_job_attempts()).await?;
    }
    Ok(())
}

/// Creates (or renews) the download links of an order's digital lines and emails them.
pub async fn send_download_links(
    conn: &mut AnyConnection,
    state: &AppState,
    order: &Order,
    lines: &[OrderLine],
    now: i64,
) -> AppResult<()> {
    let ttl = state.settings.download_link_ttl;
    let max_uses = state.settings.download_link_max_uses;
    let expires_at = now + i64::try_from(ttl.as_secs()).unwrap_or(86_400);
    let mut links = Vec::new();
    for line in lines.iter().filter(|l| l.kind == ProductKind::Digital) {
        let token = random_token();
        store::put_download(
            conn,
            &order.id,
            &line.id,
            &sha256_hex(&token),
            expires_at,
            max_uses,
            now,
        )
        .await?;
        links.push(emails::DownloadLinkText {
            title: line.title.clone(),
            url: state.url(&format!("/downloads/{token}")),
        });
    }
    if links.is_empty() {
        return Ok(());
    }
    let days = ttl.as_secs() / 86_400;
    enqueue_email(
        conn,
        &order.email,
        &emails::downloads_ready(order, &links, days.max(1), max_uses),
        state.max_job_attempts(),
    )
    .await?;
    Ok(())
}

/// The orders' side of the payments port (see `state::PaymentEffects`).
#[derive(Debug, Default)]
pub struct OrderPayments;

#[async_trait::async_trait]
impl PaymentEffects for OrderPayments {
    async fn lock(&self, conn: &mut AnyConnection, order_id: &str) -> Result<(), AppError> {
        store::lock(conn, order_id).await?;
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
                order_id,
                attempt,
                mismatch,
            } => {
                match mismatch {
                    // Money that does not match the order (an amount or currency the checkout
                    // did not ask for) neither pays nor fulfils it: the order keeps waiting,
                    // holding its stock, until staff refund it or settle it by hand.
                    Some(note) => on_mismatched_capture(conn, state, order_id, note, now).await,
                    None => on_captured(conn, state, order_id, *attempt, now).await,
                }
            }
            PaymentOutcome::Failed { order_id, reason } => {
                payment_failed(conn, state, order_id, reason).await
            }
            PaymentOutcome::Expired { order_id, latest } => {
                // The order ends only if this was its latest attempt (a newer one may be
                // under way) and its hold is over.
                if *latest
                    && let Some(order) = store::lock(conn, order_id).await?
                    && order.hold_expires_at <= now + EXPIRY_GRACE_SECS
                {
                    close_unpaid(
                        conn,
                        &order,
                        OrderEvent::Expire,
                        "the checkout expired",
                        now,
                    )
                    .await?;
                }
                Ok(())
            }
            PaymentOutcome::Refunded {
                order_id,
                amount_minor,
            } => refund_issued(conn, state, order_id, *amount_minor).await,
        }
    }

    async fn summary(
        &self,
        state: &AppState,
        order_id: &str,
    ) -> Result<Option<CheckoutSummary>, AppError> {
        let pool = state.db.pool();
        let Some(order) = store::find(pool, order_id).await? else {
            return Ok(None);
        };
        let lines = store::lines(pool, order_id)
            .await?
            .iter()
            .map(|l| {
                if l.options_label.is_empty() {
                    format!("{} × {}", l.quantity, l.title)
                } else {
                    format!("{} × {} ({})", l.quantity, l.title, l.options_label)
                }
            })
            .collect();
        Ok(Some(CheckoutSummary {
            return_path: order_path(state, &order),
            reference: order.number,
            email: order.email,
            lines,
        }))
    }
}

/// A declined payment: the customer hears of it while the order still waits.
async fn payment_failed(
    conn: &mut AnyConnection,
    state: &AppState,
    order_id: &str,
    why: &str,
) -> Result<(), AppError> {
    if let Some(order) = store::find(&mut *conn, order_id).await?
        && order.status() == OrderStatus::PendingPayment
    {
        let link = state.url(&order_path(state, &order));
        enqueue_email(
            conn,
            &order.email,
            &emails::payment_failed(&order, why, &link),
            state.max_job_attempts(),
        )
        .await?;
    }
    Ok(())
}

/// Emails "refund issued" for a refund that just succeeded.
async fn refund_issued(
    conn: &mut AnyConnection,
    state: &AppState,
    order_id: &str,
    amount_minor: i64,
) -> Result<(), AppError> {
    let Some(order) = store::find(&mut *conn, order_id).await? else {
        return Ok(());
    };
    let link = state.url(&order_path(state, &order));
    enqueue_email(
        conn,
        &order.email,
        &emails::refund_issued(&order, amount_minor, &link),
        state.max_job_attempts(),
    )
    .await?;
    Ok(())
}
