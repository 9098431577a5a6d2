//! The project pages of the admin, and "Start the project" from a quote or a booking.

use poem::web::{Data, Path};
use poem::{IntoResponse as _, Response, handler};

use super::feedback;
use super::model::State;
use super::service::{self, Started};
use super::store;
use super::views::{self, Typed};
use crate::db::parse_id;
use crate::error::{AppError, AppResult};
use crate::http::context::{Flash, RequestContext};
use crate::http::extract::{AdminUser, Ctx};
use crate::http::form::FormPairs;
use crate::http::redirect_with_flash;
use crate::state::AppState;

/// Most files a new version's list offers (the newest of the library).
const CHOICES: i64 = 200;
/// Most downloads the project page lists (the newest).
const DOWNLOADS_SHOWN: i64 = 100;

/// Renders the project page, with a form sent back when `typed` says so.
async fn render(
    ctx: &RequestContext,
    state: &AppState,
    id: &str,
    typed: Option<Typed<'_>>,
) -> AppResult<maud::Markup> {
    let pool = state.db.pool();
    let project = store::find(pool, id).await?.ok_or(AppError::NotFound)?;
    let bookings = store::bookings_of(pool, id).await?;
    let deliverables = {
        let mut conn = pool.acquire().await?;
        store::deliverables_of(&mut conn, id).await?
    };
    let ids: Vec<String> = deliverables
        .iter()
        .flat_map(|d| d.versions.iter().map(|v| v.media_id.clone()))
        .collect();
    let files = crate::media::store::find_ready_many(pool, &ids)
        .await?
        .into_iter()
        .map(|m| (m.id, m.original_name))
        .collect();
    let choices = crate::media::store::newest_ready(pool, CHOICES).await?;
    let comments = store::comments_of(pool, id).await?;
    let downloads = store::downloads_of(pool, id, DOWNLOADS_SHOWN).await?;
    let uploads = crate::media::resumable::in_progress(&state.db, &format!("project:{id}")).await?;
    let client_link = state.url(&super::screening::link_path(state, &project));
    Ok(views::page(
        ctx,
        &views::Page {
            project: &project,
            bookings: &bookings,
            deliverables: &deliverables,
            files: &files,
            choices: &choices,
            client_link: &client_link,
            comments: &comments,
            downloads: &downloads,
            uploads: &uploads,
            upload_expiry_hours: state.settings.upload_resumable_expiry.as_secs() / 3600,
            typed,
        },
    ))
}

/// The project page with a form sent back (422).
async fn sent_back(
    ctx: &RequestContext,
    state: &AppState,
    id: &str,
    typed: Typed<'_>,
) -> AppResult<Response> {
    let page = render(ctx, state, id, Some(typed)).await?;
    Ok(page
        .with_status(poem::http::StatusCode::UNPROCESSABLE_ENTITY)
        .into_response())
}

/// `GET /admin/project/{id}`.
#[handler]
pub async fn show(
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    Ok(render(&ctx, state, &id, None).await?.into_response())
}

/// To the project, saying whether it is new; back to `from` with the reason when it could
/// not start.
fn opened(state: &AppState, started: AppResult<Started>, from: &str) -> AppResult<Response> {
    match started {
        Ok(started) => {
            let flash = if started.new {
                Flash::success("Project started. Add its deliverables below.")
            } else {
                Flash::info("This project already existed: here it is.")
            };
            let to = format!("/admin/project/{}", started.id);
            Ok(redirect_with_flash(state, &to, flash))
        }
        Err(AppError::Conflict(why)) => Ok(redirect_with_flash(state, from, Flash::error(why))),
        Err(e) => Err(e),
    }
}

/// `POST /admin/project-from-quote/{quote_id}`.
#[handler]
pub async fn from_quote(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(quote_id): Path<String>,
) -> AppResult<Response> {
    let quote_id = parse_id(&quote_id).ok_or(AppError::NotFound)?;
    let started = service::start_from_quote(state, &admin, &quote_id).await;
    opened(state, started, &format!("/admin/quote/{quote_id}"))
}

/// `POST /admin/project-from-booking/{booking_id}`.
#[handler]
pub async fn from_booking(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(booking_id): Path<String>,
) -> AppResult<Response> {
    let booking_id = parse_id(&booking_id).ok_or(AppError::NotFound)?;
    let started = service::start_from_booking(state, &admin, &booking_id).await;
    opened(state, started, &format!("/admin/booking/{booking_id}"))
}

/// `POST /admin/project/{id}/state`: `to` and the `version` the page showed.
#[handler]
pub async fn move_to(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let back = format!("/admin/project/{id}");
    let to = form.get("to").and_then(State::parse);
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    let (Some(to), Some(version)) = (to, version) else {
        return Ok(redirect_with_flash(
            state,
            &back,
            Flash::error("Choose one of the buttons on the page."),
        ));
    };
    let flash = match service::move_to(state, &admin, &id, to, version).await {
        Ok(()) => Flash::success(format!("The project is now “{}”.", to.label())),
        Err(AppError::Conflict(why)) => Flash::error(why),
        Err(e) => return Err(e),
    };
    Ok(redirect_with_flash(state, &back, flash))
}

/// `POST /admin/project/{id}/deliverables`: `title` and `kind`.
#[handler]
pub async fn add_deliverable(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let title = form.get("title").unwrap_or("");
    let kind = form.get("kind").unwrap_or("");
    match service::add_deliverable(state, &admin, &id, title, kind).await? {
        Ok(()) => Ok(redirect_with_flash(
            state,
            &format!("/admin/project/{id}#deliverables"),
            Flash::success("Deliverable added."),
        )),
        Err(errors) => {
            let typed = Typed::Deliverable {
                title,
                kind,
                errors: &errors,
            };
            sent_back(&ctx, state, &id, typed).await
        }
    }
}

/// `POST /admin/deliverable/{id}/versions`: `media` (a library file's id) and `note`.
#[handler]
pub async fn add_version(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let project_id = store::project_of_deliverable(state.db.pool(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let media = form.get("media").unwrap_or("");
    let note = form.get("note").unwrap_or("");
    match service::add_version(state, &admin, &id, media, note).await? {
        Ok(number) => Ok(redirect_with_flash(
            state,
            &format!("/admin/project/{project_id}#deliverable-{id}"),
            Flash::success(format!("Version v{number} added.")),
        )),
        Err(errors) => {
            let typed = Typed::Version {
                deliverable_id: &id,
                media,
                note,
                errors: &errors,
            };
            sent_back(&ctx, state, &project_id, typed).await
        }
    }
}

/// `POST /admin/project/{id}/new-link`: the client's link changes; the old one is a 404 from
/// now on.
#[handler]
pub async fn new_link(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    service::new_link(state, &admin, &id).await?;
    Ok(redirect_with_flash(
        state,
        &format!("/admin/project/{id}#client-link"),
        Flash::success("A new link: send it to the client. The old one no longer opens the room."),
    ))
}

/// `POST /admin/comment/{id}/reply`: `body`. The client reads it under their comment.
#[handler]
pub async fn reply(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let body = form.get("body").unwrap_or("");
    match feedback::reply(state, &admin, &id, body).await? {
        Ok(project_id) => Ok(redirect_with_flash(
            state,
            &format!("/admin/project/{project_id}#comment-{id}"),
            Flash::success("Reply sent: the client reads it in the screening room."),
        )),
        Err(errors) => {
            let project_id = {
                let mut conn = state.db.pool().acquire().await?;
                store::find_comment(&mut conn, &id)
                    .await?
                    .ok_or(AppError::NotFound)?
                    .project_id
            };
            let typed = Typed::Reply {
                comment_id: &id,
                body,
                errors: &errors,
            };
            sent_back(&ctx, state, &project_id, typed).await
        }
    }
}

/// `POST /admin/comment/{id}/resolve`.
#[handler]
pub async fn resolve(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let project_id = feedback::resolve(state, &admin, &id).await?;
    Ok(redirect_with_flash(
        state,
        &format!("/admin/project/{project_id}#comment-{id}"),
        Flash::success("Comment resolved."),
    ))
}

/// `POST /admin/project/{id}/downloads`: `days` and `cap`.
#[handler]
pub async fn download_rules(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let days = form.get("days").unwrap_or("");
    let cap = form.get("cap").unwrap_or("");
    let balance_first = form.get("balance_first") == Some("1");
    match super::downloads::set_rules(state, &admin, &id, days, cap, balance_first).await? {
        Ok(()) => Ok(redirect_with_flash(
            state,
            &format!("/admin/project/{id}#downloads"),
            Flash::success("Download settings saved."),
        )),
        Err(errors) => {
            let typed = Typed::Downloads {
                days,
                cap,
                errors: &errors,
            };
            sent_back(&ctx, state, &id, typed).await
        }
    }
}

/// `POST /admin/project/{id}/extend`: downloads stay open another period.
#[handler]
pub async fn extend(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let until = super::downloads::extend(state, &admin, &id).await?;
    Ok(redirect_with_flash(
        state,
        &format!("/admin/project/{id}#downloads"),
        Flash::success(format!(
            "Downloads open until {}. The client's link is the same.",
            crate::views::components::timestamp(until)
        )),
    ))
}
