//! The contact form: every message is stored with its type, shown in the admin inbox, sent to
//! staff through the outbox and acknowledged to the sender, in one transaction. Nothing is
//! dropped.

use std::time::Duration;

use crate::db::{new_id, now};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::identity::model::Email;
use crate::notifications::{enqueue_email, enqueue_email_replying_to, studio_mailbox, templates};
use crate::rate_limit::Limit;
use crate::state::AppState;
use crate::views::components::timestamp;

/// Message types: (stored value, label).
pub const KINDS: &[(&str, &str)] = &[
    ("general", "A general question"),
    ("quote", "A quote for a project"),
    ("portfolio", "A film in the portfolio"),
    ("support", "An order or download"),
    ("partnership", "A partnership"),
];

/// Messages per client per hour: enough for a person, useless for a spammer.
pub const CONTACT_PER_CLIENT: Limit = Limit {
    name: "contact-client",
    max: 10,
    window: Duration::from_secs(60 * 60),
};

/// The form as typed.
#[derive(Debug, Clone, Default)]
pub struct ContactForm {
    /// Type.
    pub kind: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub company: String,
    /// Package or service.
    pub subject: String,
    pub message: String,
}

/// The label staff and emails use for a message type ("Quote request").
pub fn label_of(kind: &str) -> &'static str {
    match kind {
        "quote" => "Quote request",
        "portfolio" => "Portfolio question",
        "support" => "Support request",
        "partnership" => "Partnership enquiry",
        _ => "Contact message",
    }
}

/// Checks the form; the errors are sentences for each field.
pub fn validate(form: &ContactForm) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::new();
    if !KINDS.iter().any(|(k, _)| *k == form.kind) {
        errors.add("kind", "Choose what your message is about.");
    }
    let name_len = form.name.trim().chars().count();
    if name_len == 0 {
        errors.add("name", "Enter your name.");
    } else if name_len > 100 {
        errors.add("name", "Use at most 100 characters.");
    }
    let email = match Email::parse(&form.email) {
        Ok(e) => e.as_str().to_owned(),
        Err(m) => {
            errors.add("email", m);
            String::new()
        }
    };
    if form.phone.chars().count() > 40 {
        errors.add("phone", "Use at most 40 characters.");
    }
    if form.company.chars().count() > 120 {
        errors.add("company", "Use at most 120 characters.");
    }
    if form.subject.chars().count() > 160 {
        errors.add("subject", "Use at most 160 characters.");
    }
    let message_len = form.message.trim().chars().count();
    if message_len < 10 {
        errors.add("message", "Tell us a little more (at least 10 characters).");
    } else if message_len > 5000 {
        errors.add("message", "Use at most 5,000 characters.");
    }
    if errors.is_empty() {
        Ok(email)
    } else {
        Err(errors)
    }
}

/// Stores the message and queues the staff emails (`Reply-To` the sender, so staff answer
/// them from their mail client) and the sender's acknowledgement, together. Returns the
/// message id.
pub async fn submit(state: &AppState, form: &ContactForm, email: &str) -> AppResult<String> {
    let sender = Email::parse(email).map_err(|e| AppError::BadRequest(e.into()))?;
    let id = new_id();
    let now = now();
    let recipients: Vec<String> = match &state.settings.staff_email {
        Some(e) => vec![e.clone()],
        None => crate::identity::store::admin_emails(state.db.pool()).await?,
    };
    let inbox_url = state.url("/admin/contact-messages");
    let content = templates::contact_message(&templates::ContactNotice {
        kind_label: label_of(&form.kind),
        name: form.name.trim(),
        email,
        phone: form.phone.trim(),
        company: form.company.trim(),
        subject: form.subject.trim(),
        message: form.message.trim(),
        inbox_url: &inbox_url,
    });
    let mut tx = state.db.begin().await?;
    super::store::insert_contact_message(
        &mut *tx,
        &super::store::NewContactMessage {
            id: &id,
            kind: &form.kind,
            name: form.name.trim(),
            email,
            phone: form.phone.trim(),
            company: form.company.trim(),
            subject: form.subject.trim(),
            message: form.message.trim(),
        },
        now,
    )
    .await?;
    for to in &recipients {
        enqueue_email_replying_to(&mut tx, to, &sender, &content, state.max_job_attempts()).await?;
    }
    let ack = templates::contact_acknowledgement(label_of(&form.kind), &timestamp(now));
    match studio_mailbox(&state.settings) {
        Some(studio) => {
            enqueue_email_replying_to(&mut tx, email, &studio, &ack, state.max_job_attempts())
                .await?
        }
        None => enqueue_email(&mut tx, email, &ack, state.max_job_attempts()).await?,
    };
    tx.commit().await?;
    if recipients.is_empty() {
        tracing::warn!(message_id = %id, "contact message stored, but no staff address to notify (set STAFF_EMAIL)");
    }
    Ok(id)
}
