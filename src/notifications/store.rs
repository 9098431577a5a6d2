//! SQL for the email outbox.

use sqlx::{Any, AnyConnection, Executor, FromRow};

use crate::db::new_id;

/// Where an email's delivery stands (the `status` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailStatus {
    /// Waiting for its send job (first try or a retry).
    Queued,
    /// Accepted by the mail server.
    Sent,
    /// Every attempt failed; staff can resend it.
    Failed,
}

impl EmailStatus {
    /// Column value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

impl TryFrom<String> for EmailStatus {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        [Self::Queued, Self::Sent, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| format!("unknown email status {value:?}"))
    }
}

impl PartialEq<&str> for EmailStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// An outbox row.
#[derive(Debug, Clone, FromRow)]
pub struct EmailRow {
    /// Row id.
    pub id: String,
    /// Template name (`password_reset`, `welcome`, ...).
    pub kind: String,
    /// Recipient.
    pub to_address: String,
    /// `Reply-To`, when not the sender.
    pub reply_to: Option<String>,
    /// Subject.
    pub subject: String,
    /// Plain text body.
    pub text_body: String,
    /// HTML body.
    pub html_body: String,
    /// Where delivery stands.
    #[sqlx(try_from = "String")]
    pub status: EmailStatus,
    /// Delivery attempts.
    pub attempts: i64,
    /// Last delivery error.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: i64,
    /// Delivered.
    pub sent_at: Option<i64>,
    /// An iCalendar invite sent as an attachment, when any.
    pub calendar: Option<String>,
}

/// A queued email to insert.
#[derive(Debug)]
pub struct NewEmail<'a> {
    /// What it is (`order_confirmation`, ...).
    pub kind: &'a str,
    /// The recipient.
    pub to: &'a str,
    /// Where replies go, when not to the sender.
    pub reply_to: Option<&'a str>,
    /// Subject line.
    pub subject: &'a str,
    /// Plain-text body.
    pub text: &'a str,
    /// HTML body.
    pub html: &'a str,
    /// An iCalendar invite to attach.
    pub calendar: Option<&'a str>,
}

/// Inserts a queued email and returns its id.
pub async fn insert_email(
    conn: &mut AnyConnection,
    e: &NewEmail<'_>,
    now: i64,
) -> Result<String, sqlx::Error> {
    let id = new_id();
    sqlx::query(
        "insert into emails (id, kind, to_address, subject, text_body, html_body, status,
                             attempts, created_at, updated_at, reply_to, calendar)
         values ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $7, $8, $9)",
    )
    .bind(&id)
    .bind(e.kind)
    .bind(e.to)
    .bind(e.subject)
    .bind(e.text)
    .bind(e.html)
    .bind(now)
    .bind(e.reply_to)
    .bind(e.calendar)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

const COLUMNS: &str = "id, kind, to_address, reply_to, subject, text_body, html_body, status, attempts, \
                       last_error, created_at, sent_at, calendar";

/// One email by id.
pub async fn find_email<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<EmailRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from emails where id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// Newest emails first, keyset-paginated by (created_at, id) before the cursor.
pub async fn list_emails<'e>(
    ex: impl Executor<'e, Database = Any>,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<EmailRow>, sqlx::Error> {
    let (ts, id) = before.unwrap_or((i64::MAX, ""));
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from emails
         where created_at < $1 or (created_at = $1 and id < $2)
         order by created_at desc, id desc limit $3"
    )))
    .bind(ts)
    .bind(id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// The emails to `address`, newest first.
pub async fn emails_to<'e>(
    ex: impl Executor<'e, Database = Any>,
    address: &str,
    limit: i64,
) -> Result<Vec<EmailRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from emails where lower(to_address) = lower($1)
         order by created_at desc limit $2"
    )))
    .bind(address)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Takes the right to send this email now (until `until`); false when it was sent already or
/// another worker is sending it at this moment.
pub async fn claim_for_sending<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    now: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update emails set sending_until = $1
         where id = $2 and status <> 'sent' and (sending_until is null or sending_until < $3)",
    )
    .bind(until)
    .bind(id)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the stored bodies (to redact secrets after delivery).
pub async fn replace_bodies<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    text: &str,
    html: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update emails set text_body = $1, html_body = $2 where id = $3")
        .bind(text)
        .bind(html)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Records a successful delivery.
pub async fn mark_sent<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update emails set status = 'sent', attempts = attempts + 1, sent_at = $1,
                           last_error = null, sending_until = null, updated_at = $1
         where id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(())
}

/// Records a failed attempt; `give_up` marks the email failed (no more automatic retries).
pub async fn mark_attempt_failed<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    error: &str,
    give_up: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update emails set attempts = attempts + 1, last_error = $1, updated_at = $2,
                           sending_until = null,
                           status = case when $3 = 1 then 'failed' else status end
         where id = $4",
    )
    .bind(error)
    .bind(now)
    .bind(i64::from(give_up))
    .bind(id)
    .execute(ex)
    .await?;
    Ok(())
}

/// Marks an email failed for good (its job is dead), unless it was sent meanwhile.
pub async fn mark_failed<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    error: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update emails set status = 'failed', last_error = $1, updated_at = $2
         where id = $3 and status <> 'sent'",
    )
    .bind(error)
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(())
}

/// Puts a sent or failed email back in the queue for a resend. False when it is already
/// queued (or unknown): of two concurrent resends only one wins, so one more copy goes out.
pub async fn requeue<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update emails set status = 'queued', last_error = null, updated_at = $1
         where id = $2 and status <> 'queued'",
    )
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The dashboard's email figures: (queued, failed, sent since `since`), each read from the
/// status and creation-time index, so years of sent mail cost nothing.
pub async fn dashboard_counts<'e>(
    ex: impl Executor<'e, Database = Any>,
    since: i64,
) -> Result<(i64, i64, i64), sqlx::Error> {
    sqlx::query_as(
        "select (select count(*) from emails where status = 'queued'),
                (select count(*) from emails where status = 'failed'),
                (select count(*) from emails where status = 'sent' and created_at >= $1)",
    )
    .bind(since)
    .fetch_one(ex)
    .await
}
