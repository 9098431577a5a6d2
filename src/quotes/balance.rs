//! An accepted quote's balance (its total after the deposit): due `QUOTE_BALANCE_DUE_DAYS`
//! before the shoot, asked for by a durable job that emails the quote's link and reminds once
//! if unpaid, paid through the payments port (purpose `quote`) or marked paid by bank
//! transfer by staff.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::model::{Quote, State};
use super::{emails, service, store};
use crate::bookings::deposits::DepositStart;
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::identity::model::User;
use crate::jobs::JobSpec;
use crate::jobs::model::Job;
use crate::jobs::store::{EnqueueOptions, enqueue};
use crate::jobs::worker::JobHandler;
use crate::notifications::enqueue_email;
use crate::payments::state::PaymentStatus;
use crate::payments::store as payment_store;
use crate::ports::payments::{
    CheckoutLine, CheckoutRequest, CheckoutSummary, PaymentOutcome, PaymentPurpose,
};
use crate::state::{AppState, PaymentEffects};

/// How long after the balance's email the one reminder goes, if it is still unpaid.
pub const REMIND_AFTER_SECS: i64 = 3 * 86_400;
/// How long a balance's checkout stays open (the gateway allows a day at most).
const CHECKOUT_SECS: i64 = 23 * 3600;

/// Asks for an accepted quote's balance (or reminds of it).
#[derive(Debug, Serialize, Deserialize)]
pub struct BalanceJob {
    pub quote_id: String,
    /// The reminder, not the first request.
    pub reminder: bool,
}

impl JobSpec for BalanceJob {
    const KIND: &'static str = "quotes.balance";
}

/// The balance of an accepted quote: what is left after the deposit.
pub fn amount(q: &Quote) -> i64 {
    (q.accepted_total_minor.unwrap_or(0) - q.accepted_deposit_minor.unwrap_or(0)).max(0)
}

/// Whether an accepted quote still owes its balance.
pub fn owed(q: &Quote) -> bool {
    q.state == State::Accepted && q.balance_paid_at.is_none() && amount(q) > 0
}

/// Plans the balance of a quote just accepted, in the caller's transaction: due
/// `QUOTE_BALANCE_DUE_DAYS` before the shoot starting at `shoot_start` (or now, when that is
/// past or there is no shoot), asked for by a [`BalanceJob`] then.
pub async fn plan(
    conn: &mut AnyConnection,
    state: &AppState,
    q: &Quote,
    shoot_start: Option<i64>,
    now: i64,
) -> AppResult<()> {
    if amount(q) == 0 {
        return Ok(());
    }
    let before = state.settings.quotes.balance_due_days * 86_400;
    let due = shoot_start.map_or(now, |s| (s - before).max(now));
    store::set_balance_due(conn, &q.id, due).await?;
    let options = EnqueueOptions {
        run_at: Some(due),
        dedupe_key: Some(format!("quote-balance:{}", q.id)),
        max_attempts: state.max_job_attempts(),
    };
    let job = BalanceJob {
        quote_id: q.id.clone(),
        reminder: false,
    };
    enqueue(conn, &job, &options, now).await?;
    Ok(())
}

/// Runs [`BalanceJob`]s: emails the quote's link to pay the balance, once, and plans the one
/// reminder; nothing when it was paid (or the quote is no longer accepted).
pub struct BalanceHandler {
    pub state: AppState,
}

#[async_trait::async_trait]
impl JobHandler for BalanceHandler {
    async fn run(&self, job: &Job) -> anyhow::Result<()> {
        let spec: BalanceJob = job.payload()?;
        let state = &self.state;
        let now = now();
        let mut tx = state.db.begin().await?;
        let Some(q) = store::lock(&mut tx, &spec.quote_id).await? else {
            return Ok(());
        };
        if !owed(&q) {
            return Ok(());
        }
        let link = state.url(&service::link_path(state, &q));
        let due = crate::money::Money::of_code(amount(&q), state.settings.currency.code());
        let (title, line) = if spec.reminder {
            (
                "A reminder: your balance is due",
                format!(
                    "The balance of {due} for {} is still due before the shoot. Pay it from your quote's page.",
                    q.reference
                ),
            )
        } else {
            (
                "Your balance is due",
                format!(
                    "The balance of {due} for {} is due now, before the shoot. Pay it from your quote's page.",
                    q.reference
                ),
            )
        };
        let mail = emails::notice(&q, title, &line, &link);
        enqueue_email(&mut tx, &q.email, &mail, state.max_job_attempts()).await?;
        if !spec.reminder {
            let options = EnqueueOptions {
                run_at: Some(now + REMIND_AFTER_SECS),
                dedupe_key: Some(format!("quote-balance-reminder:{}", q.id)),
                max_attempts: state.max_job_attempts(),
            };
            let reminder = BalanceJob {
                quote_id: q.id.clone(),
                reminder: true,
            };
            enqueue(&mut tx, &reminder, &options, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The balance's payment to open: the latest attempt while it can still be paid, or a new
/// attempt, created under the quote's lock; none when nothing is owed.
async fn open_payment(
    state: &AppState,
    id: &str,
) -> AppResult<Option<(Quote, payment_store::Payment)>> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let Some(q) = store::lock(&mut tx, id).await? else {
        return Err(AppError::NotFound);
    };
    if !owed(&q) {
        return Ok(None);
    }
    let latest = payment_store::latest_for(&mut *tx, id).await?;
    let open = latest.as_ref().filter(|p| {
        p.status() == PaymentStatus::Unpaid && p.session_expires_at.is_none_or(|t| t > now + 60)
    });
    let payment = match open {
        Some(p) => p.clone(),
        None => {
            let attempt = latest.map_or(1, |p| p.attempt + 1);
            let pid = payment_store::insert(
                &mut tx,
                payment_store::PaidFor::quote(id),
                attempt,
                state.gateway.name(),
                amount(&q),
                state.settings.currency.code(),
                now,
            )
            .await?;
            payment_store::plan_session_expiry(&mut tx, &pid, now + CHECKOUT_SECS).await?;
            payment_store::find(&mut *tx, &pid)
                .await?
                .ok_or(AppError::NotFound)?
        }
    };
    tx.commit().await?;
    Ok(Some((q, payment)))
}

/// Opens (or reopens) the balance's checkout; where to send the customer.
pub async fn start_payment(state: &AppState, id: &str) -> AppResult<DepositStart> {
    let Some((q, payment)) = open_payment(state, id).await? else {
        return Ok(DepositStart::Closed);
    };
    if let Some(url) = &payment.checkout_url {
        return Ok(DepositStart::Redirect(url.clone()));
    }
    let link = state.url(&service::link_path(state, &q));
    let request = CheckoutRequest {
        purpose: PaymentPurpose::Quote,
        order_id: q.id.clone(),
        order_number: q.reference.clone(),
        payment_id: payment.id.clone(),
        attempt: payment.attempt,
        email: q.email.clone(),
        currency: state.settings.currency,
        lines: vec![CheckoutLine {
            name: format!("Balance of quote {}", q.reference),
            unit_amount: payment.amount_minor,
            quantity: 1,
        }],
        success_url: format!("{link}?paid=1"),
        cancel_url: link.clone(),
        expires_at: payment.session_expires_at.unwrap_or(now() + CHECKOUT_SECS),
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
    let stored = payment_store::find(&mut *conn, &payment.id).await?;
    match stored {
        Some(p)
            if p.status() == PaymentStatus::Unpaid
                && p.session_id.as_deref() == Some(session.id.as_str()) =>
        {
            Ok(p.checkout_url
                .map_or(DepositStart::Closed, DepositStart::Redirect))
        }
        _ => {
            // Not stored: nothing is owed any more (paid meanwhile): this checkout must not be
            // paid. The connection goes back to the pool before the gateway is called.
            drop(conn);
            crate::bookings::deposits::close_checkout(state, &session.id).await;
            Ok(DepositStart::Closed)
        }
    }
}

/// Staff mark the balance paid by bank transfer (audited); false when nothing is owed.
pub async fn mark_paid_by_transfer(state: &AppState, admin: &User, id: &str) -> AppResult<bool> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let Some(q) = store::lock(&mut tx, id).await? else {
        return Err(AppError::NotFound);
    };
    if !owed(&q) || !store::set_balance_paid(&mut tx, id, "transfer", now).await? {
        return Ok(false);
    }
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "quote.balance_paid", "quote", id).change(
            serde_json::json!({"reference": q.reference, "balance_paid_by": null}),
            serde_json::json!({"reference": q.reference, "balance_paid_by": "transfer", "amount_minor": amount(&q)}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The quotes' side of the payments port: a captured balance marks the quote fully paid
/// (once: the update is conditional); an amount that differs is left for staff.
#[derive(Debug, Default)]
pub struct QuotePayments;

#[async_trait::async_trait]
impl PaymentEffects for QuotePayments {
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
        let PaymentOutcome::Captured {
            order_id, mismatch, ..
        } = outcome
        else {
            // A declined or expired checkout leaves the balance owed: the customer may open
            // another from the quote's page.
            return Ok(());
        };
        let Some(q) = store::find(&mut *conn, order_id).await? else {
            return Err(AppError::NotFound);
        };
        let admin_url = state.url(&format!("/admin/quote/{}", q.id));
        if let Some(note) = mismatch {
            let what = format!(
                "paid a balance that differs ({note}): check it and mark the balance paid by hand"
            );
            return service::notify_staff(
                conn,
                state,
                &q,
                &emails::staff_update(&q, &what, "", &admin_url),
            )
            .await;
        }
        if !owed(&q) || !store::set_balance_paid(conn, &q.id, "gateway", now).await? {
            return Ok(());
        }
        let link = state.url(&service::link_path(state, &q));
        let line = format!(
            "Thank you: the balance of {} is paid, and the quote with it.",
            q.reference
        );
        let mail = emails::notice(&q, "Your balance is paid", &line, &link);
        enqueue_email(conn, &q.email, &mail, state.max_job_attempts()).await?;
        service::notify_staff(
            conn,
            state,
            &q,
            &emails::staff_update(&q, "paid the balance", "", &admin_url),
        )
        .await
    }

    async fn summary(
        &self,
        state: &AppState,
        id: &str,
    ) -> Result<Option<CheckoutSummary>, AppError> {
        let Some(q) = store::find(state.db.pool(), id).await? else {
            return Ok(None);
        };
        Ok(Some(CheckoutSummary {
            return_path: service::link_path(state, &q),
            lines: vec![format!("Balance of quote {}", q.reference)],
            reference: q.reference,
            email: q.email,
        }))
    }
}
