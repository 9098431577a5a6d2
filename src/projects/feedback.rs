//! The client's feedback in the screening room, and staff's answers.
//!
//! The client comments on a version, at a time of the film ("01:23 — the logo is too small") or
//! on the whole of it, and answers the newest version of a deliverable once: approved, or
//! changes requested with a message. Staff reply to comments and resolve them. A client comment
//! waits until staff reply to it or resolve it; the project keeps the count of those
//! (`projects.comments_waiting`, changed in the same transactions), which the projects table
//! sorts by and the dashboard sums.
//!
//! Staff replies reach the client by email, gathered: a reply queues the job of its ten-minute
//! window (one per project and window, deduplicated by the queue), which mails the replies
//! written since the last such email, once (a mark on the project moves in the same
//! transaction as the email is queued).
//!
//! An answer moves the project when it is in review: changes requested send it back to
//! production; the last deliverable approved makes it approved. Staff get an email for every
//! answer, with `Reply-To` the client; comments show on the dashboard instead (a client
//! watching a cut writes many).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::emails;
use super::model::{Decision, Project, State, parse_time};
use super::store::{self, NewComment};
use crate::audit::{AuditEntry, insert_audit};
use crate::db::{new_id, now, parse_id};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::identity::model::User;
use crate::jobs::model::Job;
use crate::jobs::store::{EnqueueOptions, enqueue};
use crate::jobs::{JobHandler, JobSpec};
use crate::state::AppState;

/// Most characters of a comment or a message.
pub const BODY_MAX: usize = 2_000;
/// Most comments a project holds: a link in the wrong hands cannot fill the database.
pub const COMMENTS_MAX: i64 = 2_000;

/// The text of a comment or a reply, trimmed; `field`'s error when it is empty or too long.
fn body<'a>(raw: &'a str, field: &'static str, errors: &mut FieldErrors) -> &'a str {
    let text = raw.trim();
    if text.is_empty() {
        errors.add(field, "Write your comment.");
    } else if text.chars().count() > BODY_MAX {
        errors.add(field, format!("At most {BODY_MAX} characters."));
    }
    text
}

/// The client's comment on a version of `project` (`at` as typed: empty, or a time code).
/// Field errors `at` and `body`; not found when the version is not the project's.
pub async fn comment(
    state: &AppState,
    project: &Project,
    version_id: &str,
    at: &str,
    text: &str,
) -> AppResult<Result<(), FieldErrors>> {
    let version_id = parse_id(version_id).ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let at_ms = parse_time(at).unwrap_or_else(|why| {
        errors.add("at", why);
        None
    });
    let text = body(text, "body", &mut errors);
    let now = now();
    let mut tx = state.db.begin().await?;
    store::version_in_project(&mut tx, &project.id, &version_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if errors.is_empty() && store::comment_count(&mut tx, &project.id).await? >= COMMENTS_MAX {
        errors.add(
            "body",
            "This project has all the comments it can hold: write to the studio instead.",
        );
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let author = if project.name.is_empty() {
        "Client"
    } else {
        &project.name
    };
    store::insert_comment(
        &mut tx,
        &NewComment {
            id: &new_id(),
            project_id: &project.id,
            version_id: &version_id,
            at_ms,
            body: text,
            by_staff: false,
            author,
            reply_to: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// What became of the client's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// Recorded (and, where it applies, the project moved).
    Recorded(Decision),
    /// The version was answered already (a second click, a second tab): that answer stands.
    Already,
    /// A newer version came meanwhile: the client should look at it first.
    Superseded,
}

/// The client's answer to the newest version of a deliverable of `project_id`: `decision`
/// as posted (`approved`, `changes_requested`), with a message (needed for changes).
pub async fn decide(
    state: &AppState,
    project_id: &str,
    version_id: &str,
    decision: &str,
    message: &str,
) -> AppResult<Result<Answered, FieldErrors>> {
    let version_id = parse_id(version_id).ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let decision = Decision::parse(decision);
    let message = message.trim();
    match decision {
        None => errors.add("decision", "Choose one of the two buttons."),
        Some(Decision::ChangesRequested) if message.is_empty() => errors.add(
            "message",
            "Say what to change, so that the studio can make the next version.",
        ),
        _ => {}
    }
    if message.chars().count() > BODY_MAX {
        errors.add("message", format!("At most {BODY_MAX} characters."));
    }
    let Some(decision) = decision.filter(|_| errors.is_empty()) else {
        return Ok(Err(errors));
    };
    let now = now();
    let mut tx = state.db.begin().await?;
    let placed = store::version_in_project(&mut tx, project_id, &version_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if placed.version.number != placed.newest {
        return Ok(Ok(Answered::Superseded));
    }
    if !store::decide(&mut tx, &version_id, decision, message, now).await? {
        return Ok(Ok(Answered::Already));
    }
    let project = store::find(&mut *tx, project_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let to = match decision {
        Decision::ChangesRequested => Some(State::InProduction),
        Decision::Approved if store::all_approved(&mut tx, project_id).await? => {
            Some(State::Approved)
        }
        Decision::Approved => None,
    };
    if let Some(to) = to.filter(|_| project.state() == State::InReview) {
        store::set_state(
            &mut tx,
            project_id,
            project.version,
            State::InReview,
            to,
            now,
        )
        .await?;
        if to == State::Approved {
            super::reviews::request(&mut tx, state, &project, now).await?;
        }
    }
    let action = match decision {
        Decision::Approved => "project.version_approved",
        Decision::ChangesRequested => "project.changes_requested",
    };
    let entry = AuditEntry::by_actor(
        project.user_id.as_deref(),
        &project.email,
        action,
        "project",
        project_id,
    );
    let entry = AuditEntry {
        after: Some(json!({
            "deliverable": placed.version.deliverable_id,
            "version": placed.version.number,
            "message": message,
        })),
        ..entry
    };
    insert_audit(&mut *tx, &entry, now).await?;
    let admin_url = state.url(&format!(
        "/admin/project/{project_id}#deliverable-{}",
        placed.version.deliverable_id
    ));
    let notice = emails::staff_decision(&project, &placed, decision, message, &admin_url);
    crate::bookings::service::notify_staff_about(&mut tx, state, &project.email, &notice).await?;
    tx.commit().await?;
    Ok(Ok(Answered::Recorded(decision)))
}

/// A staff member's reply to a client comment (to the comment a reply answers, when it is
/// itself a reply): the comment no longer waits. Returns the project's id, or the field error
/// `body`.
pub async fn reply(
    state: &AppState,
    admin: &User,
    comment_id: &str,
    text: &str,
) -> AppResult<Result<String, FieldErrors>> {
    let mut errors = FieldErrors::new();
    let text = body(text, "body", &mut errors);
    let now = now();
    let mut tx = state.db.begin().await?;
    let comment = store::find_comment(&mut tx, comment_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let answers = comment.reply_to.as_deref().unwrap_or(&comment.id);
    let id = new_id();
    store::insert_comment(
        &mut tx,
        &NewComment {
            id: &id,
            project_id: &comment.project_id,
            version_id: &comment.version_id,
            at_ms: None,
            body: text,
            by_staff: true,
            author: &admin.email,
            reply_to: Some(answers),
        },
        now,
    )
    .await?;
    store::answer(&mut tx, answers, &comment.project_id, now).await?;
    plan_reply_mail(&mut tx, state, &comment.project_id, now).await?;
    let entry = AuditEntry {
        after: Some(json!({ "comment": answers, "reply": id })),
        ..AuditEntry::by(
            admin,
            "project.comment_reply",
            "project",
            &comment.project_id,
        )
    };
    insert_audit(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Ok(comment.project_id))
}

/// Marks a client comment resolved (once; a second click changes nothing). Returns the
/// project's id.
pub async fn resolve(state: &AppState, admin: &User, comment_id: &str) -> AppResult<String> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let comment = store::find_comment(&mut tx, comment_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if store::resolve(&mut tx, &comment.id, &comment.project_id, now).await? {
        let entry = AuditEntry {
            after: Some(json!({ "comment": comment.id })),
            ..AuditEntry::by(
                admin,
                "project.comment_resolve",
                "project",
                &comment.project_id,
            )
        };
        insert_audit(&mut *tx, &entry, now).await?;
    }
    tx.commit().await?;
    Ok(comment.project_id)
}

/// Replies written within this many seconds go to the client in one email.
pub const REPLY_WINDOW_SECS: i64 = 600;

/// Mails the client the studio's replies written up to `upto`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReplyMailJob {
    /// The project.
    pub project_id: String,
    /// The end of the window: replies up to this instant.
    pub upto: i64,
}

impl JobSpec for ReplyMailJob {
    const KIND: &'static str = "projects.reply_mail";
}

/// Queues the email of the window `now` falls in (once per project and window).
async fn plan_reply_mail(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    project_id: &str,
    now: i64,
) -> AppResult<()> {
    let upto = (now / REPLY_WINDOW_SECS + 1) * REPLY_WINDOW_SECS;
    let job = ReplyMailJob {
        project_id: project_id.to_owned(),
        upto,
    };
    let options = EnqueueOptions {
        run_at: Some(upto),
        dedupe_key: Some(format!("project-replies:{project_id}:{upto}")),
        max_attempts: state.max_job_attempts(),
    };
    enqueue(conn, &job, &options, now)
        .await
        .map_err(AppError::internal)?;
    Ok(())
}

/// Runs [`ReplyMailJob`]s.
pub struct ReplyMailHandler {
    /// The application.
    pub state: AppState,
}

#[async_trait::async_trait]
impl JobHandler for ReplyMailHandler {
    async fn run(&self, job: &Job) -> anyhow::Result<()> {
        let spec: ReplyMailJob = job.payload()?;
        let state = &self.state;
        let mut tx = state.db.begin().await?;
        let Some(after) = store::mark_replies_mailed(&mut tx, &spec.project_id, spec.upto).await?
        else {
            return Ok(());
        };
        let answers = store::replies_between(&mut *tx, &spec.project_id, after, spec.upto).await?;
        let Some(project) = store::find(&mut *tx, &spec.project_id).await? else {
            return Ok(());
        };
        if answers.is_empty() {
            tx.commit().await?;
            return Ok(());
        }
        let link = state.url(&super::screening::link_path(state, &project));
        let mail = emails::client_replies(&project, &answers, &link);
        crate::notifications::enqueue_email(
            &mut tx,
            &project.email,
            &mail,
            state.max_job_attempts(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
