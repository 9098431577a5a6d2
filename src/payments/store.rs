//! SQL for payments, refunds and webhook events.

use sqlx::{Any, AnyConnection, Executor, FromRow, Row as _};

use crate::ports::payments::PaymentPurpose;

use super::state::{IllegalPaymentTransition, PaymentEvent, PaymentStatus, RefundStatus};

pub const PAYMENT_COLUMNS: &str = "id, purpose, order_id, attempt, gateway, status, amount_minor, currency, \
     captured_minor, refunded_minor, session_id, checkout_url, session_expires_at, payment_intent, \
     failure, version, created_at, updated_at, paid_at";

/// One payment attempt.
#[derive(Debug, Clone, FromRow)]
pub struct Payment {
    pub id: String,
    /// What it pays for ([`PaymentPurpose`]).
    pub purpose: String,
    /// The id of what it pays for: an order, or a booking.
    pub order_id: String,
    /// 1, 2, ...
    pub attempt: i64,
    /// `stripe` or `dev`.
    pub gateway: String,
    pub status: String,
    /// What the order asked for.
    pub amount_minor: i64,
    /// ISO code.
    pub currency: String,
    /// What the gateway captured.
    pub captured_minor: i64,
    /// Refunded so far.
    pub refunded_minor: i64,
    /// Hosted checkout session.
    pub session_id: Option<String>,
    /// Where the customer pays.
    pub checkout_url: Option<String>,
    /// When the session closes.
    pub session_expires_at: Option<i64>,
    /// The captured payment (`pi_...`).
    pub payment_intent: Option<String>,
    /// Why it failed.
    pub failure: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub paid_at: Option<i64>,
}

impl Payment {
    /// What it pays for (an unknown stored value reads as an order, which every row written
    /// before bookings took deposits is).
    pub fn purpose(&self) -> PaymentPurpose {
        PaymentPurpose::parse(&self.purpose).unwrap_or(PaymentPurpose::Order)
    }

    /// The state-machine status.
    pub fn status(&self) -> PaymentStatus {
        PaymentStatus::parse(&self.status).unwrap_or(PaymentStatus::Failed)
    }
}

/// What a payment pays for: an order or a booking, by id.
#[derive(Debug, Clone, Copy)]
pub struct PaidFor<'a> {
    pub purpose: PaymentPurpose,
    pub id: &'a str,
}

impl<'a> PaidFor<'a> {
    /// The order `id`.
    pub fn order(id: &'a str) -> Self {
        Self {
            purpose: PaymentPurpose::Order,
            id,
        }
    }

    /// The booking `id`'s deposit.
    pub fn booking(id: &'a str) -> Self {
        Self {
            purpose: PaymentPurpose::Booking,
            id,
        }
    }

    /// The balance of the quote `id`.
    pub fn quote(id: &'a str) -> Self {
        Self {
            purpose: PaymentPurpose::Quote,
            id,
        }
    }
}

/// Inserts attempt `attempt` of the payment for `paid_for`.
pub async fn insert(
    conn: &mut AnyConnection,
    paid_for: PaidFor<'_>,
    attempt: i64,
    gateway: &str,
    amount_minor: i64,
    currency: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    let id = crate::db::new_id();
    sqlx::query(
        "insert into payments (id, purpose, order_id, attempt, gateway, status, amount_minor, \
         currency, created_at, updated_at) values ($1, $8, $2, $3, $4, 'unpaid', $5, $6, $7, $7)",
    )
    .bind(&id)
    .bind(paid_for.id)
    .bind(attempt)
    .bind(gateway)
    .bind(amount_minor)
    .bind(currency)
    .bind(now)
    .bind(paid_for.purpose.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// The latest attempt of the payment for an order or a booking.
pub async fn latest_for<'e>(
    ex: impl Executor<'e, Database = Any>,
    order_id: &str,
) -> Result<Option<Payment>, sqlx::Error> {
    let sql = format!(
        "select {PAYMENT_COLUMNS} from payments where order_id = $1 order by attempt desc limit 1"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(order_id)
        .fetch_optional(ex)
        .await
}

/// Every attempt of the payment for an order or a booking, first first.
pub async fn all_for<'e>(
    ex: impl Executor<'e, Database = Any>,
    order_id: &str,
) -> Result<Vec<Payment>, sqlx::Error> {
    let sql =
        format!("select {PAYMENT_COLUMNS} from payments where order_id = $1 order by attempt");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(order_id)
        .fetch_all(ex)
        .await
}

/// The payments made for any of `subjects` (orders, bookings or quotes), oldest first.
pub async fn of_subjects<'e>(
    ex: impl Executor<'e, Database = Any>,
    subjects: &[String],
) -> Result<Vec<Payment>, sqlx::Error> {
    if subjects.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=subjects.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "select {PAYMENT_COLUMNS} from payments where order_id in ({}) order by created_at",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for id in subjects {
        query = query.bind(id);
    }
    query.fetch_all(ex).await
}

/// The refunds of payments made for any of `subjects`, oldest first.
pub async fn refunds_of_subjects<'e>(
    ex: impl Executor<'e, Database = Any>,
    subjects: &[String],
) -> Result<Vec<Refund>, sqlx::Error> {
    if subjects.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=subjects.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "select {REFUND_COLUMNS} from refunds where order_id in ({}) order by created_at, seq",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for id in subjects {
        query = query.bind(id);
    }
    query.fetch_all(ex).await
}

/// A payment by id.
pub async fn find<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<Payment>, sqlx::Error> {
    let sql = format!("select {PAYMENT_COLUMNS} from payments where id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// A payment by its checkout session.
pub async fn find_by_session<'e>(
    ex: impl Executor<'e, Database = Any>,
    session_id: &str,
) -> Result<Option<Payment>, sqlx::Error> {
    let sql = format!("select {PAYMENT_COLUMNS} from payments where session_id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(session_id)
        .fetch_optional(ex)
        .await
}

/// A payment by its payment intent.
pub async fn find_by_intent<'e>(
    ex: impl Executor<'e, Database = Any>,
    intent: &str,
) -> Result<Option<Payment>, sqlx::Error> {
    let sql = format!("select {PAYMENT_COLUMNS} from payments where payment_intent = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(intent)
        .fetch_optional(ex)
        .await
}

/// Locks a payment row for the rest of the transaction.
pub async fn lock(conn: &mut AnyConnection, id: &str) -> Result<Option<Payment>, sqlx::Error> {
    let sql =
        format!("update payments set version = version where id = $1 returning {PAYMENT_COLUMNS}");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

/// Records the opened checkout: only the first answer, only while the payment is unpaid and
/// what it pays for still waits for it (an order pending payment, a booking held). False when nothing was stored.
pub async fn set_session(
    conn: &mut AnyConnection,
    id: &str,
    session_id: &str,
    url: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update payments set session_id = $2, checkout_url = $3, updated_at = $4 \
         where id = $1 and session_id is null and status = 'unpaid' \
         and ((purpose = 'order' and exists (select 1 from orders o \
                where o.id = payments.order_id and o.status = 'pending_payment')) \
           or (purpose = 'booking' and exists (select 1 from bookings b \
                where b.id = payments.order_id and b.status = 'held')) \
           or (purpose = 'quote' and exists (select 1 from quotes q \
                where q.id = payments.order_id and q.state = 'accepted' \
                  and q.balance_paid_at is null)))",
    )
    .bind(id)
    .bind(session_id)
    .bind(url)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Plans when the attempt's checkout stops taking payment (once, before it is opened).
pub async fn plan_session_expiry(
    conn: &mut AnyConnection,
    id: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update payments set session_expires_at = $2 where id = $1 and session_expires_at is null",
    )
    .bind(id)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records the payment intent (known once the customer completed the checkout).
pub async fn set_intent(
    conn: &mut AnyConnection,
    id: &str,
    intent: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update payments set payment_intent = $2, updated_at = $3 \
         where id = $1 and payment_intent is null",
    )
    .bind(id)
    .bind(intent)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A refused or failed payment transition.
#[derive(Debug, thiserror::Error)]
pub enum PaymentTransitionError {
    /// The state machine said no.
    #[error(transparent)]
    Illegal(#[from] IllegalPaymentTransition),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Applies `event` to a payment last seen in `from`; `None` when it was no longer in `from`.
pub async fn transition(
    conn: &mut AnyConnection,
    payment: &Payment,
    event: PaymentEvent,
    now: i64,
) -> Result<Option<PaymentStatus>, PaymentTransitionError> {
    let from = payment.status();
    let to = from.next(event)?;
    let (captured, refunded, failure, paid_at) = match event {
        PaymentEvent::Captured => (
            payment.amount_minor,
            payment.refunded_minor,
            None,
            Some(now),
        ),
        PaymentEvent::Refunded { refunded, captured } => {
            (captured, refunded, payment.failure.clone(), payment.paid_at)
        }
        PaymentEvent::Failed => (
            payment.captured_minor,
            payment.refunded_minor,
            payment.failure.clone(),
            payment.paid_at,
        ),
    };
    let done = sqlx::query(
        "update payments set status = $3, captured_minor = $4, refunded_minor = $5, failure = $6, \
         paid_at = $7, updated_at = $8, version = version + 1 \
         where id = $1 and status = $2 and refunded_minor <= $5",
    )
    .bind(&payment.id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(captured)
    .bind(refunded)
    .bind(failure)
    .bind(paid_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok((done.rows_affected() == 1).then_some(to))
}

/// Records the amount the gateway says it captured.
pub async fn set_captured(
    conn: &mut AnyConnection,
    id: &str,
    captured: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update payments set captured_minor = $2 where id = $1")
        .bind(id)
        .bind(captured)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records why a payment failed.
pub async fn set_failure(
    conn: &mut AnyConnection,
    id: &str,
    failure: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update payments set failure = $2 where id = $1")
        .bind(id)
        .bind(failure)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub const REFUND_COLUMNS: &str = "id, payment_id, order_id, seq, amount_minor, currency, reason, \
     status, gateway_refund_id, failure, created_by, created_at, updated_at";

#[derive(Debug, Clone, FromRow)]
pub struct Refund {
    pub id: String,
    pub payment_id: String,
    pub order_id: String,
    /// 1, 2, ... per payment.
    pub seq: i64,
    /// Minor units.
    pub amount_minor: i64,
    /// ISO code.
    pub currency: String,
    /// Staff's reason.
    pub reason: String,
    pub status: String,
    /// The gateway's id.
    pub gateway_refund_id: Option<String>,
    /// Why it failed.
    pub failure: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Refund {
    /// The state-machine status.
    pub fn status(&self) -> RefundStatus {
        RefundStatus::parse(&self.status).unwrap_or(RefundStatus::Failed)
    }
}

/// An order's refunds, first first.
pub async fn refunds_of_order<'e>(
    ex: impl Executor<'e, Database = Any>,
    order_id: &str,
) -> Result<Vec<Refund>, sqlx::Error> {
    let sql = format!(
        "select {REFUND_COLUMNS} from refunds where order_id = $1 order by created_at, seq"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(order_id)
        .fetch_all(ex)
        .await
}

/// A refund by id.
pub async fn find_refund<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<Refund>, sqlx::Error> {
    let sql = format!("select {REFUND_COLUMNS} from refunds where id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// A refund by the form's one-time key.
pub async fn find_refund_by_request<'e>(
    ex: impl Executor<'e, Database = Any>,
    request_key: &str,
) -> Result<Option<Refund>, sqlx::Error> {
    let sql = format!("select {REFUND_COLUMNS} from refunds where request_key = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(request_key)
        .fetch_optional(ex)
        .await
}

/// A refund by the gateway's id.
pub async fn find_refund_by_gateway_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    gateway_id: &str,
) -> Result<Option<Refund>, sqlx::Error> {
    let sql = format!("select {REFUND_COLUMNS} from refunds where gateway_refund_id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(gateway_id)
        .fetch_optional(ex)
        .await
}

#[derive(Debug)]
pub struct NewRefund<'a> {
    pub payment_id: &'a str,
    pub order_id: &'a str,
    /// Minor units.
    pub amount_minor: i64,
    /// ISO code.
    pub currency: &'a str,
    pub reason: &'a str,
    pub status: RefundStatus,
    /// The gateway's id, when known.
    pub gateway_refund_id: Option<&'a str>,
    pub created_by: Option<&'a str>,
    /// The refund form's one-time key (none for refunds made at the gateway).
    pub request_key: Option<&'a str>,
    pub now: i64,
}

/// Inserts a refund with the payment's next sequence number; returns (id, seq).
pub async fn insert_refund(
    conn: &mut AnyConnection,
    r: &NewRefund<'_>,
) -> Result<(String, i64), sqlx::Error> {
    let id = crate::db::new_id();
    let seq: i64 = sqlx::query_scalar(
        "insert into refunds (id, payment_id, order_id, seq, amount_minor, currency, reason, \
         status, gateway_refund_id, created_by, request_key, created_at, updated_at) \
         values ($1, $2, $3, (select coalesce(max(seq), 0) + 1 from refunds where payment_id = $2), \
         $4, $5, $6, $7, $8, $9, $11, $10, $10) returning seq",
    )
    .bind(&id)
    .bind(r.payment_id)
    .bind(r.order_id)
    .bind(r.amount_minor)
    .bind(r.currency)
    .bind(r.reason)
    .bind(r.status.as_str())
    .bind(r.gateway_refund_id)
    .bind(r.created_by)
    .bind(r.now)
    .bind(r.request_key)
    .fetch_one(&mut *conn)
    .await?;
    Ok((id, seq))
}

/// Moves a refund out of `pending` (forward only); true when this call moved it.
pub async fn settle_refund(
    conn: &mut AnyConnection,
    id: &str,
    to: RefundStatus,
    gateway_refund_id: Option<&str>,
    failure: Option<&str>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    if to == RefundStatus::Pending {
        // Still pending: only learn the gateway's id.
        sqlx::query(
            "update refunds set gateway_refund_id = coalesce(gateway_refund_id, $2), updated_at = $3 \
             where id = $1",
        )
        .bind(id)
        .bind(gateway_refund_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        return Ok(false);
    }
    let done = sqlx::query(
        "update refunds set status = $2, gateway_refund_id = coalesce(gateway_refund_id, $3), \
         failure = $4, updated_at = $5 where id = $1 and status = 'pending'",
    )
    .bind(id)
    .bind(to.as_str())
    .bind(gateway_refund_id)
    .bind(failure)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The sum of a payment's refunds that count (pending or succeeded).
pub async fn refunded_total(
    conn: &mut AnyConnection,
    payment_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select cast(coalesce(sum(amount_minor), 0) as bigint) from refunds \
         where payment_id = $1 and status in ('pending', 'succeeded')",
    )
    .bind(payment_id)
    .fetch_one(&mut *conn)
    .await
}

/// The sum of a payment's succeeded refunds.
pub async fn succeeded_total(
    conn: &mut AnyConnection,
    payment_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select cast(coalesce(sum(amount_minor), 0) as bigint) from refunds \
         where payment_id = $1 and status = 'succeeded'",
    )
    .bind(payment_id)
    .fetch_one(&mut *conn)
    .await
}

/// A stored webhook event.
#[derive(Debug, Clone, FromRow)]
pub struct StoredEvent {
    /// The gateway's event id.
    pub id: String,
    /// `checkout.session.completed`, ...
    pub r#type: String,
    /// `stripe`, `dev` or `reconcile`.
    pub source: String,
    /// The payment intent it is about, when known.
    pub r#ref: Option<String>,
    /// Raw JSON.
    pub payload: String,
    /// `applied`, `ignored`, `deferred` or `error`.
    pub outcome: String,
    /// Why it failed.
    pub error: Option<String>,
    pub attempts: i64,
    /// The gateway's creation time.
    pub created_at: i64,
    /// When we received it.
    pub received_at: i64,
    /// When it was last processed.
    pub processed_at: Option<i64>,
}

const EVENT_COLUMNS: &str = "id, type, source, ref, payload, outcome, error, attempts, created_at, received_at, processed_at";

/// Stores an event once; false when its id was already stored (a duplicate delivery).
#[allow(clippy::too_many_arguments)]
pub async fn insert_event(
    conn: &mut AnyConnection,
    id: &str,
    kind: &str,
    source: &str,
    payload: &str,
    created_at: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into webhook_events (id, type, source, payload, outcome, created_at, received_at) \
         values ($1, $2, $3, $4, 'received', $5, $6) on conflict (id) do nothing",
    )
    .bind(id)
    .bind(kind)
    .bind(source)
    .bind(payload)
    .bind(created_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records what processing an event did.
pub async fn set_event_outcome(
    conn: &mut AnyConnection,
    id: &str,
    outcome: &str,
    reference: Option<&str>,
    error: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update webhook_events set outcome = $2, ref = coalesce($3, ref), error = $4, \
         processed_at = $5 where id = $1",
    )
    .bind(id)
    .bind(outcome)
    .bind(reference)
    .bind(error)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Claims a stored event for reprocessing (replay or a deferred event whose cause arrived).
pub async fn claim_event(
    conn: &mut AnyConnection,
    id: &str,
    outcomes: &[&str],
) -> Result<Option<StoredEvent>, sqlx::Error> {
    let placeholders: Vec<String> = (0..outcomes.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "update webhook_events set attempts = attempts + 1 where id = $1 and outcome in ({}) \
         returning {EVENT_COLUMNS}",
        placeholders.join(", ")
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id);
    for o in outcomes {
        q = q.bind(*o);
    }
    q.fetch_optional(&mut *conn).await
}

/// Deferred events about `reference`, oldest first.
pub async fn deferred_for(
    conn: &mut AnyConnection,
    reference: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from webhook_events where ref = $1 and outcome = 'deferred' \
         order by created_at, received_at",
    )
    .bind(reference)
    .fetch_all(&mut *conn)
    .await
}

/// An event by id.
pub async fn find_event<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<StoredEvent>, sqlx::Error> {
    let sql = format!("select {EVENT_COLUMNS} from webhook_events where id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// Events, newest first, optionally only one outcome.
pub async fn list_events<'e>(
    ex: impl Executor<'e, Database = Any>,
    outcome: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let sql = format!(
        "select {EVENT_COLUMNS} from webhook_events where (cast($1 as text) is null or outcome = $1) \
         order by received_at desc, id limit $2 offset $3"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(outcome)
        .bind(limit)
        .bind(offset)
        .fetch_all(ex)
        .await
}

/// Stored webhook events that ended in an error (the dashboard).
pub async fn count_webhook_errors<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from webhook_events where outcome = 'error'")
        .fetch_one(ex)
        .await
}

/// Money taken in one period of a report, in one currency, for one purpose (`order`,
/// `booking`, `quote`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Takings {
    /// The period's index in the caller's list.
    pub period: usize,
    /// ISO code.
    pub currency: String,
    /// What the payments paid for.
    pub purpose: String,
    /// How many payments were captured in the period (by `paid_at`).
    pub paid: i64,
    /// The money they captured.
    pub captured_minor: i64,
    /// How many refunds succeeded that were issued in the period (by their `created_at`).
    pub refunds: i64,
    /// Their sum.
    pub refunded_minor: i64,
}

/// What was captured and refunded in each of `periods` (`[lo, hi)`, epoch seconds), per
/// currency and purpose, in one query. Whole hours come from `sales_hours`, which triggers
/// keep in the transactions that move money; only the minutes at a period's edges (a zone
/// half an hour off UTC) are read from the payments and refunds themselves. The cost grows
/// with the hours a period spans, not with the payments in it. Periods with nothing have no
/// rows.
pub async fn takings<'e>(
    ex: impl Executor<'e, Database = Any>,
    periods: &[(i64, i64)],
) -> Result<Vec<Takings>, sqlx::Error> {
    // One part per period and source, each a range on an index with bounds we computed
    // (integers, never the request's text): a join against a list of periods was planned as
    // a scan of the whole table.
    let mut parts: Vec<String> = Vec::new();
    let mut edge = |n: usize, lo: i64, hi: i64| {
        parts.push(format!(
            "select {n} as n, currency, purpose, 1 as payments, captured_minor as captured, \
                    0 as refunds, 0 as refunded \
             from payments where paid_at >= {lo} and paid_at < {hi} and captured_minor > 0"
        ));
        parts.push(format!(
            "select {n} as n, r.currency, p.purpose, 0 as payments, 0 as captured, \
                    1 as refunds, r.amount_minor as refunded \
             from refunds r join payments p on p.id = r.payment_id \
             where r.created_at >= {lo} and r.created_at < {hi} and r.status = 'succeeded'"
        ));
    };
    let mut hours: Vec<String> = Vec::new();
    for (n, &(lo, hi)) in periods.iter().enumerate() {
        let first = lo.div_euclid(3600) + i64::from(lo.rem_euclid(3600) != 0);
        let end = hi.div_euclid(3600);
        if first < end {
            hours.push(format!(
                "select {n} as n, currency, purpose, payments, captured_minor as captured, \
                        refunds, refunded_minor as refunded \
                 from sales_hours where hour >= {first} and hour < {end}"
            ));
            if lo < first * 3600 {
                edge(n, lo, first * 3600);
            }
            if end * 3600 < hi {
                edge(n, end * 3600, hi);
            }
        } else if lo < hi {
            edge(n, lo, hi);
        }
    }
    let all: Vec<String> = parts.into_iter().chain(hours).collect();
    if all.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select cast(n as bigint), currency, purpose, cast(sum(payments) as bigint), \
                cast(sum(captured) as bigint), cast(sum(refunds) as bigint), \
                cast(sum(refunded) as bigint) \
         from ({}) moved group by n, currency, purpose \
         having sum(payments) <> 0 or sum(refunds) <> 0 order by n, currency, purpose",
        all.join(" union all ")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(ex).await?;
    rows.iter()
        .map(|r| {
            Ok(Takings {
                period: usize::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0),
                currency: r.try_get(1)?,
                purpose: r.try_get(2)?,
                paid: r.try_get(3)?,
                captured_minor: r.try_get(4)?,
                refunds: r.try_get(5)?,
                refunded_minor: r.try_get(6)?,
            })
        })
        .collect()
}
