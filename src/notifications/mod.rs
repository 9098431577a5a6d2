//! Email: templates, the outbox table, the `Mailer` adapter and the job that delivers mail.
//!
//! Every email is written to the outbox in the same transaction as the change that causes it,
//! together with a `send_email` job; the worker delivers it with retries. A failing mail server
//! therefore never fails (or slows) the request that caused the email.

#![warn(missing_docs)]

pub mod mailer;
pub mod store;
pub mod templates;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::config::Settings;
use crate::db::{Db, now};
use crate::jobs::{EnqueueOptions, Job, JobHandler, JobSpec, store as job_store};
use crate::metrics::Metrics;
pub use crate::ports::mail::{Email, MailError, Mailer, OutgoingEmail};
pub use templates::EmailContent;

/// Email kinds whose body carries a live secret (a single-use link): such a body is redacted
/// once sent, never shown to staff, and never resent.
pub const SECRET_BEARING_KINDS: &[&str] = &["password_reset", "downloads_ready", "confirm_email"];

/// Replaces the token of every password-reset, download and email-confirmation link in `body`
/// with `[redacted]`.
pub fn redact_secrets(body: &str) -> String {
    let mut out = body.to_owned();
    for (mark, segments) in [
        ("/password/reset/", false),
        ("/downloads/", false),
        ("/confirm-email/", true),
    ] {
        out = redact_after(&out, mark, segments);
    }
    out
}

/// Redacts the token after each `mark`; with `segments`, every path segment after it (the
/// confirmation link is `/confirm-email/{user}/{signature}`).
fn redact_after(body: &str, mark: &str, segments: bool) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find(mark) {
        out.push_str(&rest[..i + mark.len()]);
        rest = &rest[i + mark.len()..];
        let end = rest
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || (segments && c == '/'))
            })
            .unwrap_or(rest.len());
        out.push_str("[redacted]");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// How long one delivery attempt may hold an email (longer than the SMTP timeout).
const SENDING_LEASE_SECS: i64 = 120;

/// Delivers one outbox email.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendEmailJob {
    /// `emails.id`.
    pub email_id: String,
}

impl JobSpec for SendEmailJob {
    const KIND: &'static str = "send_email";
}

/// Writes `content` to the outbox for `to` and enqueues its delivery, in the caller's
/// transaction. Returns the email id.
pub async fn enqueue_email(
    conn: &mut AnyConnection,
    to: &str,
    content: &EmailContent,
    max_attempts: i64,
) -> anyhow::Result<String> {
    enqueue(conn, to, None, content, None, max_attempts).await
}

/// [`enqueue_email`] with an iCalendar invite (RFC 5545 text), sent as a `text/calendar`
/// attachment whose `method` parameter repeats the calendar's `METHOD`.
pub async fn enqueue_email_with_calendar(
    conn: &mut AnyConnection,
    to: &str,
    content: &EmailContent,
    calendar: &str,
    max_attempts: i64,
) -> anyhow::Result<String> {
    enqueue(conn, to, None, content, Some(calendar), max_attempts).await
}

/// [`enqueue_email`] with a `Reply-To` header: replies go to `reply_to`, not to the studio's
/// sender address. The address is a parsed [`Email`], never raw input.
pub async fn enqueue_email_replying_to(
    conn: &mut AnyConnection,
    to: &str,
    reply_to: &Email,
    content: &EmailContent,
    max_attempts: i64,
) -> anyhow::Result<String> {
    enqueue(conn, to, Some(reply_to), content, None, max_attempts).await
}

/// The studio's own mailbox, where replies to its emails to customers should go:
/// `STAFF_EMAIL`, or else the address of `MAIL_FROM`.
pub fn studio_mailbox(settings: &Settings) -> Option<Email> {
    if let Some(staff) = &settings.staff_email {
        return Email::parse(staff).ok();
    }
    let from: lettre::message::Mailbox = settings.mail_from.parse().ok()?;
    Email::parse(from.email.as_ref()).ok()
}

async fn enqueue(
    conn: &mut AnyConnection,
    to: &str,
    reply_to: Option<&Email>,
    content: &EmailContent,
    calendar: Option<&str>,
    max_attempts: i64,
) -> anyhow::Result<String> {
    let now = now();
    let email = store::NewEmail {
        kind: content.kind,
        to,
        reply_to: reply_to.map(Email::as_str),
        subject: &content.subject,
        text: &content.text,
        html: &content.html,
        calendar,
    };
    let id = store::insert_email(conn, &email, now).await?;
    let job = SendEmailJob {
        email_id: id.clone(),
    };
    let options = EnqueueOptions {
        max_attempts,
        ..EnqueueOptions::default()
    };
    job_store::enqueue(conn, &job, &options, now).await?;
    Ok(id)
}

/// Runs `SendEmailJob`s.
pub struct SendEmailHandler {
    /// Database.
    pub db: Db,
    /// Transport.
    pub mailer: Arc<dyn Mailer>,
    /// Counters.
    pub metrics: Arc<Metrics>,
}

#[async_trait::async_trait]
impl JobHandler for SendEmailHandler {
    async fn run(&self, job: &Job) -> anyhow::Result<()> {
        let SendEmailJob { email_id } = job.payload()?;
        let Some(email) = store::find_email(self.db.pool(), &email_id).await? else {
            tracing::warn!(email.id = %email_id, "email vanished before delivery");
            return Ok(());
        };
        if email.status == store::EmailStatus::Sent {
            // Already delivered (a retried job after a crash between send and commit).
            return Ok(());
        }
        let claimed_at = now();
        let lease_until = claimed_at + SENDING_LEASE_SECS;
        if !store::claim_for_sending(self.db.pool(), &email.id, claimed_at, lease_until).await? {
            // Another attempt holds the email (a resend next to a retried job, or this job's
            // own earlier attempt that died mid-send). Retry later: by then it is sent, or the
            // hold has lapsed and this job sends it.
            anyhow::bail!("another delivery attempt holds this email; retrying later");
        }
        let outgoing = OutgoingEmail {
            id: email.id.clone(),
            to: email.to_address,
            reply_to: email.reply_to,
            subject: email.subject,
            text: email.text_body,
            html: email.html_body,
            calendar: email.calendar,
        };
        let sent = self.mailer.send(&outgoing).await;
        match sent {
            Ok(()) => {
                store::mark_sent(self.db.pool(), &email.id, now()).await?;
                if SECRET_BEARING_KINDS.contains(&email.kind.as_str()) {
                    // The database (and its backups) must not keep a working reset link.
                    store::replace_bodies(
                        self.db.pool(),
                        &email.id,
                        &redact_secrets(&outgoing.text),
                        &redact_secrets(&outgoing.html),
                    )
                    .await?;
                }
                self.metrics.email("sent");
                tracing::info!(email.id = %email.id, email.kind = %email.kind, transport = self.mailer.name(), "email sent");
                Ok(())
            }
            Err(e) => {
                // The worker's dead-letter hook marks the row failed on the last attempt.
                let give_up = matches!(e, MailError::Invalid(_));
                store::mark_attempt_failed(
                    self.db.pool(),
                    &email.id,
                    &e.to_string(),
                    give_up,
                    now(),
                )
                .await?;
                self.metrics.email("failed");
                if matches!(e, MailError::Invalid(_)) {
                    // Retrying cannot fix a malformed message; the admin outbox shows it.
                    tracing::error!(email.id = %email.id, error = %e, "email cannot be sent");
                    return Ok(());
                }
                Err(e.into())
            }
        }
    }

    async fn on_dead(&self, job: &Job, error: &str) -> anyhow::Result<()> {
        let SendEmailJob { email_id } = job.payload()?;
        store::mark_failed(self.db.pool(), &email_id, error, now()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_tokens_are_redacted_everywhere_in_a_body() {
        let body = "Go to https://x.test/password/reset/AbC-12_x now.\n<a href=\"https://x.test/password/reset/zz9\">";
        let redacted = redact_secrets(body);
        assert!(!redacted.contains("AbC-12_x") && !redacted.contains("zz9"));
        assert_eq!(redacted.matches("/password/reset/[redacted]").count(), 2);
        assert!(redacted.ends_with("now.\n<a href=\"https://x.test/password/reset/[redacted]\">"));
        let download = redact_secrets("Get it: https://x.test/downloads/tok_EN-1 (twice)");
        assert_eq!(
            download,
            "Get it: https://x.test/downloads/[redacted] (twice)"
        );
    }
}
