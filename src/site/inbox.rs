//! `/admin/messages/{id}`: one contact message in full, the replies sent so far, and a reply
//! form. A reply goes to the sender through the outbox with `Reply-To` the studio's mailbox,
//! is recorded (`contact_replies`), marks the message answered and is audited, in one
//! transaction. Opening a new message marks it read.

use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{IntoResponse as _, Response, handler};
use serde_json::json;

use super::contact::label_of;
use super::store::{self, ContactMessage, ContactReply};
use crate::audit::{AuditEntry, insert_audit};
use crate::db::{new_id, now, parse_id};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::context::{Flash, RequestContext};
use crate::http::extract::{AdminUser, Ctx};
use crate::http::form::FormPairs;
use crate::http::{redirect_with_flash, with_status};
use crate::identity::model::{Email, User};
use crate::notifications::{enqueue_email_replying_to, studio_mailbox, templates};
use crate::state::AppState;
use crate::views::admin::admin_page;
use crate::views::components::{Field, csrf_field, error_summary, timestamp};

/// The page of message `id`.
pub fn message_path(id: &str) -> String {
    format!("/admin/messages/{id}")
}

/// A reply as typed.
#[derive(Debug, Clone, Default)]
pub struct ReplyForm {
    pub subject: String,
    pub body: String,
}

impl ReplyForm {
    fn from_pairs(form: &FormPairs) -> Self {
        Self {
            subject: form.get("subject").unwrap_or_default().to_owned(),
            body: form.get("body").unwrap_or_default().to_owned(),
        }
    }

    /// The form a message opens with: "Re: " its subject (or its type), and no text.
    fn for_message(m: &ContactMessage) -> Self {
        let about = if m.subject.trim().is_empty() {
            label_of(&m.kind)
        } else {
            m.subject.trim()
        };
        Self {
            subject: format!("Re: {about}"),
            body: String::new(),
        }
    }

    fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        let subject_len = self.subject.chars().count();
        if subject_len == 0 {
            errors.add("subject", "Enter a subject.");
        } else if subject_len > 200 {
            errors.add("subject", "Use at most 200 characters.");
        } else if self.subject.contains(['\r', '\n']) {
            errors.add("subject", "Keep the subject on one line.");
        }
        let body_len = self.body.chars().count();
        if body_len == 0 {
            errors.add("body", "Write your reply.");
        } else if body_len > 10_000 {
            errors.add("body", "Use at most 10,000 characters.");
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn page(
    ctx: &RequestContext,
    m: &ContactMessage,
    replies: &[ContactReply],
    form: &ReplyForm,
    errors: &FieldErrors,
) -> Markup {
    let title = format!("Message from {}", m.name);
    admin_page(
        ctx,
        &title,
        "/admin/contact-messages",
        html! {
            div.page-header {
                p { a href="/admin/contact-messages" { "← Contact inbox" } }
                h1 { (title) }
                p.lead { (label_of(&m.kind)) " · received " (timestamp(m.created_at)) " · " (m.status) }
            }
            section.panel aria-labelledby="message-heading" {
                h2 #message-heading { @if m.subject.is_empty() { "Message" } @else { (m.subject) } }
                dl.media-facts {
                    dt { "From" } dd { (m.name) }
                    dt { "Email" } dd { a href=(format!("mailto:{}", m.email)) { (m.email) } }
                    @if !m.phone.is_empty() { dt { "Phone" } dd { (m.phone) } }
                    @if !m.company.is_empty() { dt { "Company" } dd { (m.company) } }
                    dt { "Type" } dd { (label_of(&m.kind)) }
                    dt { "Received" } dd { (timestamp(m.created_at)) }
                }
                div.prewrap.contact-message-text { (m.message) }
            }
            section.panel aria-labelledby="replies-heading" {
                h2 #replies-heading { "Replies" }
                @if replies.is_empty() {
                    p.muted { "No reply yet." }
                }
                @for r in replies {
                    article.contact-reply {
                        p.muted {
                            (timestamp(r.created_at)) " · " (r.author_email) " to " (r.to_address)
                            " · " a href=(format!("/admin/outbox/{}", r.email_id)) { "in the outbox" }
                        }
                        h3 { (r.subject) }
                        div.prewrap { (r.body) }
                    }
                }
            }
            section.panel aria-labelledby="reply-heading" {
                h2 #reply-heading { "Reply to " (m.email) }
                p.hint { "Sent from the studio's address through the outbox; the customer's answer comes back to the studio's mailbox." }
                (error_summary(errors))
                form method="post" action=(format!("{}/reply", message_path(&m.id))) {
                    (csrf_field(ctx))
                    (Field::new("subject", "Subject", "text").value(Some(&form.subject)).render(errors))
                    div class=(if errors.get("body").is_some() { "field has-error" } else { "field" }) {
                        label for="body" { "Reply" }
                        textarea #body name="body" rows="10" required
                            aria-invalid=[errors.get("body").map(|_| "true")]
                            aria-describedby=[errors.get("body").map(|_| "body-error")] { (form.body) }
                        @if let Some(e) = errors.get("body") { p.field-error #body-error { (e) } }
                    }
                    button.button.button-primary type="submit" { "Send reply" }
                }
            }
        },
    )
}

async fn load(state: &AppState, id: &str) -> AppResult<ContactMessage> {
    let id = parse_id(id).ok_or(AppError::NotFound)?;
    store::find_contact_message(state.db.pool(), &id)
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /admin/messages/{id}`: the message in full; a new one becomes read.
#[handler]
pub async fn show(
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let mut message = load(state, &id).await?;
    if store::mark_contact_message_read(state.db.pool(), &message.id, now()).await? {
        message.status = "read".into();
    }
    let replies = store::contact_replies(state.db.pool(), &message.id).await?;
    let form = ReplyForm::for_message(&message);
    Ok(page(&ctx, &message, &replies, &form, &FieldErrors::new()).into_response())
}

/// `POST /admin/messages/{id}/reply`: `subject`, `body`. Errors re-render the page (422) and
/// send nothing.
#[handler]
pub async fn reply(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let message = load(state, &id).await?;
    let typed = ReplyForm::from_pairs(&form);
    if let Err(errors) = typed.validate() {
        let replies = store::contact_replies(state.db.pool(), &message.id).await?;
        return Ok(with_status(
            page(&ctx, &message, &replies, &typed, &errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let to = send_reply(state, &admin, &message, &typed).await?;
    Ok(redirect_with_flash(
        state,
        &message_path(&message.id),
        Flash::success(format!("Reply to {to} queued in the outbox.")),
    ))
}

/// Queues the reply to the sender (`Reply-To` the studio), records it, marks the message
/// answered and audits it, in one transaction. Returns the address it goes to.
async fn send_reply(
    state: &AppState,
    admin: &User,
    message: &ContactMessage,
    typed: &ReplyForm,
) -> AppResult<Email> {
    // Stored addresses were parsed when typed; parse again rather than trust the column.
    let to = Email::parse(&message.email).map_err(|e| AppError::BadRequest(e.into()))?;
    let studio = studio_mailbox(&state.settings)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no studio mailbox for Reply-To")))?;
    let content =
        templates::contact_reply(&typed.subject, &typed.body, &timestamp(message.created_at));
    let now = now();
    let reply_id = new_id();
    let mut tx = state.db.begin().await?;
    let email_id = enqueue_email_replying_to(
        &mut tx,
        to.as_str(),
        &studio,
        &content,
        state.max_job_attempts(),
    )
    .await?;
    store::insert_contact_reply(
        &mut *tx,
        &store::NewContactReply {
            id: &reply_id,
            message_id: &message.id,
            author_user_id: &admin.id,
            author_email: &admin.email,
            email_id: &email_id,
            to_address: to.as_str(),
            subject: &typed.subject,
            body: &typed.body,
        },
        now,
    )
    .await?;
    store::mark_contact_message_answered(&mut *tx, &message.id, now).await?;
    let entry = AuditEntry::by(
        admin,
        "contact_message.reply",
        "contact_message",
        &message.id,
    )
    .change(
        json!({ "status": message.status }),
        json!({ "reply_id": reply_id, "email_id": email_id, "to": to.as_str() }),
    );
    insert_audit(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(to)
}
