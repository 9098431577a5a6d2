//! Admin handlers: dashboard, outbox (with resend), jobs (with retry), audit log.

use poem::web::{Data, Path, Query};
use poem::{IntoResponse as _, Response, handler};
use serde::Deserialize;

use super::views::{self, DashboardFigures};
use crate::analytics::period::Period;
use crate::audit::{self as store, AuditEntry};
use crate::db::{now, parse_id};
use crate::error::{AppError, AppResult};
use crate::http::context::Flash;
use crate::http::extract::{AdminUser, Ctx};
use crate::http::redirect_with_flash;
use crate::http::session::secs;
use crate::identity::store as account_store;
use crate::jobs::{EnqueueOptions, JobStatus, store as job_store};
use crate::notifications::{
    SECRET_BEARING_KINDS, SendEmailJob, redact_secrets, store as email_store, store::EmailStatus,
};
use crate::state::AppState;

const PAGE_SIZE: i64 = 50;

/// `GET /admin`.
#[handler]
pub async fn dashboard(
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
) -> AppResult<Response> {
    let pool = state.db.pool();
    let now = now();
    // Figures over a period count only that period's rows; the rest is work waiting.
    let week_ago = now - 7 * 86_400;
    let (customers, admins) = account_store::count_accounts(pool, week_ago).await?;
    let idle_cutoff = now - secs(state.settings.session_idle_timeout);
    let sessions = account_store::count_live_sessions(pool, now, idle_cutoff).await?;
    let job_counts = job_store::count_by_status(pool).await?;
    let (emails_queued, emails_failed, emails_sent) =
        email_store::dashboard_counts(pool, week_ago).await?;
    let count = |rows: &[(String, i64)], status: &str| {
        rows.iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n)
    };
    let (quotes_new, quotes_awaiting) = crate::quotes::store::open_counts(pool).await?;
    let today = crate::analytics::period::today(&state.settings.time_zone);
    let sales =
        crate::analytics::report::figures(state, &[Period::day(today), Period::week_to(today)])
            .await?;
    let figures = DashboardFigures {
        customers,
        admins,
        sessions,
        jobs_queued: count(&job_counts, JobStatus::Queued.as_str()),
        jobs_dead: count(&job_counts, JobStatus::Dead.as_str()),
        emails_queued,
        emails_sent,
        emails_failed,
        reviews_pending: crate::reviews::store::count_pending(pool).await?,
        orders_to_ship: crate::orders::store::count_to_ship(pool).await?,
        orders_attention: crate::orders::store::count_needing_attention(pool).await?,
        webhook_errors: crate::payments::store::count_webhook_errors(pool).await?,
        quotes_new,
        quotes_awaiting,
        balances_due: crate::quotes::store::count_balances_due(pool, now).await?,
        bookings_pending: crate::bookings::store::count_pending(pool).await?,
        comments_waiting: crate::projects::store::comments_waiting(pool).await?,
        links_expiring: crate::projects::store::downloads_closing(pool, now, now + 7 * 86_400)
            .await?,
        sales,
    };
    Ok(views::dashboard(&ctx, &figures).into_response())
}

/// Query of `GET /admin/outbox`: a `created_at:id` cursor.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct OutboxQuery {
    before: Option<String>,
}

/// `GET /admin/outbox`.
#[handler]
pub async fn outbox(
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    Query(q): Query<OutboxQuery>,
) -> AppResult<Response> {
    let cursor = q.before.as_deref().and_then(|c| {
        let (ts, id) = c.split_once(':')?;
        Some((ts.parse::<i64>().ok()?, parse_id(id)?))
    });
    let cursor = cursor.as_ref().map(|(ts, id)| (*ts, id.as_str()));
    let emails = email_store::list_emails(state.db.pool(), cursor, PAGE_SIZE).await?;
    let next = (emails.len() == usize::try_from(PAGE_SIZE).unwrap_or(50))
        .then(|| emails.last().map(|e| format!("{}:{}", e.created_at, e.id)))
        .flatten();
    Ok(views::outbox(&ctx, &emails, next).into_response())
}

/// `GET /admin/outbox/:id`.
#[handler]
pub async fn show_email(
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let mut email = email_store::find_email(state.db.pool(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Staff never see a live reset link (it would let them take over the account).
    email.text_body = redact_secrets(&email.text_body);
    Ok(views::email_detail(&ctx, &email).into_response())
}

/// `POST /admin/outbox/:id/resend`: queues the email again (new job, audit entry).
#[handler]
pub async fn resend_email(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let now = now();
    let mut tx = state.db.begin().await?;
    let before = email_store::find_email(&mut *tx, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    if SECRET_BEARING_KINDS.contains(&before.kind.as_str()) {
        return Ok(redirect_with_flash(
            state,
            "/admin/outbox",
            Flash::error(if before.kind == "password_reset" {
                "Password-reset links work once and expire, so they are not resent. \
                 Ask the customer to request a new link."
            } else if before.kind == "confirm_email" {
                "Confirmation links are not resent from the outbox: the customer asks for a \
                 new one on their account page (“Send the link again”)."
            } else {
                "Download links are limited in uses and time, so this email is not resent. \
                 Use “Resend confirmation and new download links” on the order instead."
            }),
        ));
    }
    if !email_store::requeue(&mut *tx, &id, now).await? {
        return Ok(redirect_with_flash(
            state,
            "/admin/outbox",
            Flash::info(format!(
                "“{}” is already queued to be sent.",
                before.subject
            )),
        ));
    }
    let options = EnqueueOptions {
        max_attempts: state.max_job_attempts(),
        ..EnqueueOptions::default()
    };
    job_store::enqueue(
        &mut tx,
        &SendEmailJob {
            email_id: id.clone(),
        },
        &options,
        now,
    )
    .await?;
    let entry = AuditEntry::by(&admin, "email.resend", "email", &id).change(
        serde_json::json!({ "status": before.status.as_str(), "attempts": before.attempts }),
        serde_json::json!({ "status": EmailStatus::Queued.as_str() }),
    );
    store::insert_audit(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        state,
        "/admin/outbox",
        Flash::success(format!("“{}” is queued to be sent again.", before.subject)),
    ))
}

/// Query of `GET /admin/jobs`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct JobsQuery {
    status: Option<String>,
}

/// `GET /admin/jobs`.
#[handler]
pub async fn jobs(
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    Query(q): Query<JobsQuery>,
) -> AppResult<Response> {
    let filter = q
        .status
        .as_deref()
        .and_then(JobStatus::parse)
        .filter(|s| *s != JobStatus::Done);
    let rows = job_store::list_open(state.db.pool(), filter, 200).await?;
    Ok(views::jobs(&ctx, &rows, filter).into_response())
}

/// `POST /admin/jobs/:id/retry`: a dead job gets a fresh set of attempts.
#[handler]
pub async fn retry_job(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let now = now();
    let mut tx = state.db.begin().await?;
    if !job_store::requeue_dead(&mut *tx, &id, now).await? {
        return Err(AppError::Conflict(
            "That job is not dead (any more), so there is nothing to retry.".into(),
        ));
    }
    let entry = AuditEntry::by(&admin, "job.retry", "job", &id).change(
        serde_json::json!({ "status": JobStatus::Dead.as_str() }),
        serde_json::json!({ "status": JobStatus::Queued.as_str(), "attempts": 0 }),
    );
    store::insert_audit(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        state,
        "/admin/jobs",
        Flash::success("The job is queued again."),
    ))
}

/// Query of `GET /admin/audit`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    entity: Option<String>,
    id: Option<String>,
}

/// `GET /admin/audit?entity=product&id=…`: the newest 200 changes, optionally of one kind of
/// row or one row.
#[handler]
pub async fn audit(
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    let pool = state.db.pool();
    let entities = store::audited_entities(pool).await?;
    let entity = q.entity.filter(|e| entities.contains(e));
    let id = q.id.as_deref().and_then(parse_id);
    let rows = store::list_audit(pool, entity.as_deref(), id.as_deref(), 200).await?;
    Ok(views::audit(&ctx, &rows, &entities, entity.as_deref()).into_response())
}
