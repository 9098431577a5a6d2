//! Ending unpaid orders: the transition that gives their stock back once, and the job that
//! expires orders whose hold ran out.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::state::{OrderEvent, OrderStatus};
use super::store::{self, Order};
use super::{EXPIRY_GRACE_SECS, transition_error};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::jobs::JobSpec;
use crate::payments::state::PaymentStatus;
use crate::payments::store as payment_store;
use crate::state::AppState;

/// Ends an unpaid order (cancel or expire): the transition, its stock given back and its open
/// payment marked failed, once. False when the order was no longer pending.
pub async fn close_unpaid(
    conn: &mut AnyConnection,
    order: &Order,
    event: OrderEvent,
    why: &str,
    now: i64,
) -> AppResult<bool> {
    let moved = store::set_status(conn, &order.id, OrderStatus::PendingPayment, event, now)
        .await
        .map_err(transition_error)?;
    if moved.is_none() {
        return Ok(false);
    }
    // One product at a time in id order (see `store::held_stock`).
    for (product_id, quantity) in store::held_stock(conn, &order.id).await? {
        crate::catalog::store::return_stock(conn, &product_id, quantity).await?;
    }
    if let Some(p) = payment_store::latest_for(&mut *conn, &order.id).await?
        && p.status() == crate::payments::state::PaymentStatus::Unpaid
    {
        payment_store::transition(conn, &p, crate::payments::state::PaymentEvent::Failed, now)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
        payment_store::set_failure(conn, &p.id, why).await?;
    }
    Ok(true)
}

/// Expires unpaid orders whose hold ended more than [`EXPIRY_GRACE_SECS`] before `now`,
/// giving their stock back. Returns how many it expired. Safe on every replica at once: each
/// order moves in its own transaction with a conditional update.
pub async fn expire_due(state: &AppState, now: i64) -> AppResult<usize> {
    let ids = store::due_for_expiry(state.db.pool(), now - EXPIRY_GRACE_SECS, 200).await?;
    let mut expired = 0;
    for id in ids {
        let mut tx = state.db.begin().await?;
        let Some(order) = store::lock(&mut tx, &id).await? else {
            continue;
        };
        // A new attempt may have renewed the hold, or a delayed payment been started, since
        // the list was read.
        if order.hold_expires_at >= now - EXPIRY_GRACE_SECS {
            continue;
        }
        // A payment on its way (a delayed method) keeps the hold; so does money already
        // taken that did not pay the order (a mismatched capture, flagged for staff) until
        // staff refund it in full.
        if let Some(p) = payment_store::latest_for(&mut *tx, &id).await?
            && ((p.status() == PaymentStatus::Unpaid && p.payment_intent.is_some())
                || matches!(
                    p.status(),
                    PaymentStatus::Paid | PaymentStatus::PartiallyRefunded
                ))
        {
            continue;
        }
        if close_unpaid(
            &mut tx,
            &order,
            OrderEvent::Expire,
            "the order expired unpaid",
            now,
        )
        .await?
        {
            expired += 1;
        }
        tx.commit().await?;
    }
    if expired > 0 {
        state.content.invalidate();
        tracing::info!(expired, "expired unpaid orders");
    }
    Ok(expired)
}

/// The periodic job that expires unpaid orders.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ExpireOrdersJob {}

impl JobSpec for ExpireOrdersJob {
    const KIND: &'static str = "orders.expire";
}

/// Runs [`ExpireOrdersJob`].
pub struct ExpireOrdersHandler {
    pub state: AppState,
}

#[async_trait::async_trait]
impl crate::jobs::JobHandler for ExpireOrdersHandler {
    async fn run(&self, _job: &crate::jobs::model::Job) -> anyhow::Result<()> {
        expire_due(&self.state, now())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    }
}

/// How often the expiry job runs.
pub const EXPIRY_EVERY: Duration = Duration::from_secs(60);
