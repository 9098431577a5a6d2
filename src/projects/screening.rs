//! The client's screening room: a project's deliverables, films playing in the browser and
//! stills in a grid, behind a link signed for that project.
//!
//! The link `/screening/{id}/{sig}` is signed (HMAC, the URL key) over the project's id and
//! its `link_generation`: nothing secret is stored, staff can show it again, and "New link"
//! raises the number, which ends the old one. A tampered or ended link is a plain 404. Films
//! and stills are served through the media library's signed playback paths (ranges locally,
//! a short SAS on Azure). Account holders also find their projects under *Your projects*.

use std::collections::HashMap;

use maud::{Markup, html};
use poem::http::header;
use poem::web::{Data, Path};
use poem::{IntoResponse as _, Response, handler};

use super::model::{Deliverable, Kind, Project};
use super::store;
use crate::db::parse_id;
use crate::error::{AppError, AppResult};
use crate::http::context::RequestContext;
use crate::http::extract::{Ctx, CurrentUser};
use crate::media::links::{Variant, page_path};
use crate::media::model::Media;
use crate::state::AppState;
use crate::views::components::timestamp;
use crate::views::layout::{PageMeta, page};

fn message(project: &Project) -> String {
    format!("screening:{}:{}", project.id, project.link_generation)
}

/// The client's link to `project`'s screening room (a path; `state.url` makes it absolute).
pub fn link_path(state: &AppState, project: &Project) -> String {
    let sig = state.keys.urls.sign(&message(project));
    format!("/screening/{}/{sig}", project.id)
}

/// A deliverable with its newest version's file, as the room shows it.
struct Shown<'a> {
    deliverable: &'a Deliverable,
    file: Option<Media>,
}

/// `GET /screening/{id}/{sig}`.
#[handler]
pub async fn show(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let pool = state.db.pool();
    let project = store::find(pool, &id).await?.ok_or(AppError::NotFound)?;
    if !state.keys.urls.verify(&message(&project), &sig) {
        return Err(AppError::NotFound);
    }
    let deliverables = {
        let mut conn = pool.acquire().await?;
        store::deliverables_of(&mut conn, &id).await?
    };
    let newest: Vec<String> = deliverables
        .iter()
        .filter_map(|d| d.versions.first().map(|v| v.media_id.clone()))
        .collect();
    let files: HashMap<String, Media> = crate::media::store::find_ready_many(pool, &newest)
        .await?
        .into_iter()
        .map(|m| (m.id.clone(), m))
        .collect();
    let shown: Vec<Shown<'_>> = deliverables
        .iter()
        .map(|d| Shown {
            deliverable: d,
            file: d
                .versions
                .first()
                .and_then(|v| files.get(&v.media_id).cloned()),
        })
        .collect();
    let markup = room(&ctx, state, &project, &shown);
    Ok(markup
        .with_header(header::CACHE_CONTROL, "private, no-store")
        .with_header(header::REFERRER_POLICY, "no-referrer")
        .with_header("x-robots-tag", "noindex")
        .into_response())
}

fn room(ctx: &RequestContext, state: &AppState, project: &Project, shown: &[Shown<'_>]) -> Markup {
    let body = html! {
        section.section.section-tight {
            div.container {
                p.muted { "Screening room" }
                h1 { (project.title) }
                p.lead { (project.state().label()) " · last change " (timestamp(project.updated_at)) }
                @if shown.is_empty() {
                    p { "Nothing to watch yet: the studio will add your films and stills here as they are ready." }
                }
                @for s in shown { (deliverable(state, s)) }
            }
        }
    };
    page(ctx, PageMeta::titled(&project.title), body)
}

fn deliverable(state: &AppState, s: &Shown<'_>) -> Markup {
    let d = s.deliverable;
    let kind = Kind::parse(&d.kind);
    let version = d.versions.first();
    html! {
        article.deliverable id={"deliverable-" (d.id)} {
            h2 { (d.title) }
            @match (version, &s.file) {
                (Some(v), Some(file)) => {
                    p.muted.small {
                        "v" (v.number) " · " (timestamp(v.created_at))
                        @if !v.note.is_empty() { " · " (v.note) }
                    }
                    @match (kind, file.media_kind()) {
                        (Some(Kind::Film), crate::media::kinds::MediaKind::Video) => {
                            video controls preload="metadata" width="960"
                                poster=[file.poster_key.as_ref().map(|_| page_path(state, &file.id, Variant::Poster))]
                                src=(page_path(state, &file.id, Variant::File)) {
                                a href=(page_path(state, &file.id, Variant::File)) { "Watch " (d.title) }
                            }
                        }
                        (_, crate::media::kinds::MediaKind::Image) => {
                            a href=(page_path(state, &file.id, Variant::Full)) {
                                img src=(page_path(state, &file.id, Variant::Thumb)) alt=(d.title) loading="lazy";
                            }
                        }
                        _ => {
                            a href=(page_path(state, &file.id, Variant::File)) { "Open " (file.original_name) }
                        }
                    }
                }
                (Some(_), None) => { p.muted { "This version is being replaced: look again soon." } }
                (None, _) => { p.muted { "Coming soon." } }
            }
        }
    }
}

/// `GET /account/projects`: the signed-in client's projects, each opening its room.
#[handler]
pub async fn account_projects(
    ctx: Ctx,
    CurrentUser(user): CurrentUser,
    Data(state): Data<&AppState>,
) -> AppResult<Response> {
    let projects = store::of_user(state.db.pool(), &user.id).await?;
    let body = html! {
        section.section.section-tight {
            div.container.narrow {
                h1 { "Your projects" }
                @if projects.is_empty() {
                    p { "No projects yet. When the studio starts delivering your films, they appear here." }
                } @else {
                    ul.booking-list {
                        @for p in &projects {
                            li {
                                a href=(link_path(state, p)) { strong { (p.title) } }
                                br;
                                (p.state().label()) " · last change " (timestamp(p.updated_at))
                            }
                        }
                    }
                }
                p { a href="/account" { "← Your account" } }
            }
        }
    };
    Ok(page(&ctx, PageMeta::titled("Your projects"), body).into_response())
}
