//! The client's screening room: a project's deliverables, films playing in the browser and
//! stills in a grid, behind a link signed for that project.
//!
//! The link `/screening/{id}/{sig}` is signed (HMAC, the URL key) over the project's id and
//! its `link_generation`: nothing secret is stored, staff can show it again, and "New link"
//! raises the number, which ends the old one. A tampered or ended link is a plain 404. Films
//! and stills are served through the media library's signed playback paths (ranges locally,
//! a short SAS on Azure). Account holders also find their projects under *Your projects*.
//!
//! Under each newest version the client reads and writes comments (at a time of the film, or
//! on the whole of it) and answers it: approved, or changes requested (`feedback`). The forms
//! post to the room's own link, so they need nothing but it; a form with mistakes comes back
//! with them (422).

use std::collections::HashMap;

use maud::{Markup, html};
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{IntoResponse as _, Response, handler};

use super::downloads::{self, Gate};
use super::feedback::{self, Answered};
use super::model::{Comment, Decision, Deliverable, Kind, Project, Version};
use super::store;
use super::views::thread;
use crate::db::parse_id;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::context::{Flash, RequestContext};
use crate::http::extract::{Ctx, CurrentUser};
use crate::http::form::FormPairs;
use crate::http::redirect_with_flash;
use crate::media::links::{Variant, page_path};
use crate::media::model::Media;
use crate::state::AppState;
use crate::views::components::{csrf_field, error_summary, field_class, timestamp};
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

impl Shown<'_> {
    /// A still whose file is a picture.
    fn is_still(&self) -> bool {
        Kind::parse(&self.deliverable.kind) == Some(Kind::Still)
            && self.file.as_ref().map(Media::media_kind)
                == Some(crate::media::kinds::MediaKind::Image)
    }
}

/// A form of the room sent back with what was typed and what is wrong with it.
pub enum Typed<'a> {
    /// A comment on a version.
    Comment {
        /// The version.
        version_id: &'a str,
        /// The time as typed.
        at: &'a str,
        /// The comment as typed.
        body: &'a str,
        /// What to fix.
        errors: &'a FieldErrors,
    },
    /// The client's review.
    Review(super::reviews::Typed<'a>),
    /// An answer to a version.
    Decision {
        /// The version.
        version_id: &'a str,
        /// The message as typed.
        message: &'a str,
        /// What to fix.
        errors: &'a FieldErrors,
    },
}

/// The project behind a room's link: not found when the link is tampered or ended.
pub(super) async fn open(state: &AppState, id: &str, sig: &str) -> AppResult<Project> {
    let id = parse_id(id).ok_or(AppError::NotFound)?;
    let project = store::find(state.db.pool(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !state.keys.urls.verify(&message(&project), sig) {
        return Err(AppError::NotFound);
    }
    Ok(project)
}

/// `GET /screening/{id}/{sig}`.
#[handler]
pub async fn show(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
) -> AppResult<Response> {
    let project = open(state, &id, &sig).await?;
    render(&ctx, state, &project, None).await
}

/// The room, with a form sent back when `typed` says so (then answered 422).
pub(super) async fn render(
    ctx: &RequestContext,
    state: &AppState,
    project: &Project,
    typed: Option<Typed<'_>>,
) -> AppResult<Response> {
    let pool = state.db.pool();
    let deliverables = {
        let mut conn = pool.acquire().await?;
        store::deliverables_of(&mut conn, &project.id).await?
    };
    let comments = store::comments_of(pool, &project.id).await?;
    let owed = downloads::balance_owed(state, project).await?;
    let review = store::review_of(pool, &project.id).await?;
    let completed: HashMap<String, i64> = store::completed_downloads(pool, &project.id)
        .await?
        .into_iter()
        .collect();
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
    let status = if typed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let room = Room {
        state,
        project,
        base: link_path(state, project),
        comments: &comments,
        completed,
        owed,
        review,
        typed,
    };
    let markup = room.page(ctx, &shown);
    Ok(markup
        .with_status(status)
        .with_header(header::CACHE_CONTROL, "private, no-store")
        .with_header(header::REFERRER_POLICY, "no-referrer")
        .with_header("x-robots-tag", "noindex")
        .into_response())
}

/// `POST /screening/{id}/{sig}/comment`: `version`, `at` (optional) and `body`.
#[handler]
pub async fn comment(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
    form: FormPairs,
) -> AppResult<Response> {
    let project = open(state, &id, &sig).await?;
    let version = form.get("version").unwrap_or("");
    let at = form.get("at").unwrap_or("");
    let body = form.get("body").unwrap_or("");
    match feedback::comment(state, &project, version, at, body).await? {
        Ok(()) => Ok(redirect_with_flash(
            state,
            &format!(
                "{}#comments-{}",
                link_path(state, &project),
                parse_id(version).unwrap_or_default()
            ),
            Flash::success("Comment added. The studio answers here."),
        )),
        Err(errors) => {
            let typed = Typed::Comment {
                version_id: version,
                at,
                body,
                errors: &errors,
            };
            render(&ctx, state, &project, Some(typed)).await
        }
    }
}

/// `POST /screening/{id}/{sig}/decision`: `version`, `decision` (`approved` or
/// `changes_requested`) and `message`.
#[handler]
pub async fn decide(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
    form: FormPairs,
) -> AppResult<Response> {
    let project = open(state, &id, &sig).await?;
    let version = form.get("version").unwrap_or("");
    let decision = form.get("decision").unwrap_or("");
    let message = form.get("message").unwrap_or("");
    let flash = match feedback::decide(state, &project.id, version, decision, message).await? {
        Ok(Answered::Recorded(Decision::Approved)) => {
            Flash::success("Thank you: you approved this version, and the studio has been told.")
        }
        Ok(Answered::Recorded(Decision::ChangesRequested)) => {
            Flash::success("Thank you: the studio has your notes and will make the next version.")
        }
        Ok(Answered::Already) => {
            Flash::info("This version was answered already: that answer stands.")
        }
        Ok(Answered::Superseded) => {
            Flash::info("A newer version arrived meanwhile: have a look at it first.")
        }
        Err(errors) => {
            let typed = Typed::Decision {
                version_id: version,
                message,
                errors: &errors,
            };
            return render(&ctx, state, &project, Some(typed)).await;
        }
    };
    Ok(redirect_with_flash(
        state,
        &link_path(state, &project),
        flash,
    ))
}

/// What every part of the room needs.
struct Room<'a> {
    state: &'a AppState,
    project: &'a Project,
    /// The room's own path: its forms post under it.
    base: String,
    comments: &'a [Comment],
    /// Completed downloads per version.
    completed: HashMap<String, i64>,
    /// Where to pay the quote's balance, when downloads wait for it.
    owed: Option<String>,
    /// The client's review, when they wrote one.
    review: Option<store::Review>,
    typed: Option<Typed<'a>>,
}

impl Room<'_> {
    fn page(&self, ctx: &RequestContext, shown: &[Shown<'_>]) -> Markup {
        let project = self.project;
        let body = html! {
            section.section.section-tight {
                div.container {
                    p.muted { "Screening room" }
                    h1 { (project.title) }
                    p.lead { (project.state().label()) " · last change " (timestamp(project.updated_at)) }
                    @if shown.is_empty() {
                        p { "Nothing to watch yet: the studio will add your films and stills here as they are ready." }
                    } @else if self.owed.is_none() && project.downloads_until.is_some_and(|until| until > crate::db::now()) {
                        p.download {
                            a.button.button-primary href={(self.base) "/zip"} download { "Download everything (ZIP)" }
                        }
                    }
                    // Stills side by side in a grid; films and files one under the other.
                    @for run in shown.chunk_by(|a, b| a.is_still() == b.is_still()) {
                        @if run.len() > 1 && run[0].is_still() {
                            div.stills-grid { @for s in run { (self.deliverable(ctx, s)) } }
                        } @else {
                            @for s in run { (self.deliverable(ctx, s)) }
                        }
                    }
                    @if super::reviews::open_for_review(project) {
                        @let typed = match &self.typed { Some(Typed::Review(t)) => Some(t), _ => None };
                        (super::reviews::section(ctx, &self.base, project, self.review.as_ref(), typed))
                    }
                }
            }
        };
        page(ctx, PageMeta::titled(&project.title), body)
    }

    fn deliverable(&self, ctx: &RequestContext, s: &Shown<'_>) -> Markup {
        let d = s.deliverable;
        let kind = Kind::parse(&d.kind);
        let version = d.versions.first();
        let player = format!("player-{}", d.id);
        let is_film = kind == Some(Kind::Film)
            && s.file.as_ref().map(Media::media_kind)
                == Some(crate::media::kinds::MediaKind::Video);
        html! {
            article.deliverable id={"deliverable-" (d.id)} {
                h2 { (d.title) }
                @match (version, &s.file) {
                    (Some(v), Some(file)) => {
                        p.muted.small {
                            "v" (v.number) " · " (timestamp(v.created_at))
                            @if !v.note.is_empty() { " · " (v.note) }
                        }
                        (self.viewer(d, file, is_film, &player))
                        (self.download(v))
                        (self.feedback(ctx, v, kind == Some(Kind::Film), is_film.then_some(player.as_str())))
                        (self.answer(ctx, v))
                    }
                    (Some(_), None) => { p.muted { "This version is being replaced: look again soon." } }
                    (None, _) => { p.muted { "Coming soon." } }
                }
            }
        }
    }

    /// How the client sees the file. While the quote's balance is owed nothing of the
    /// original is handed out: a film plays its watermarked preview (or shows its poster until
    /// the preview is made), a still shows its small rendition, other files only their name.
    fn viewer(&self, d: &Deliverable, file: &Media, is_film: bool, player: &str) -> Markup {
        let state = self.state;
        let owed = self.owed.is_some();
        let poster = file
            .poster_key
            .as_ref()
            .map(|_| page_path(state, &file.id, Variant::Poster));
        let is_image = file.media_kind() == crate::media::kinds::MediaKind::Image;
        html! {
            @if is_film && owed && file.preview_key.is_none() {
                @if let Some(poster) = &poster { img.poster src=(poster) alt=(d.title) width="960"; }
                p.muted.small { "A watermarked preview is being prepared. The film itself plays here once the balance is paid." }
            } @else if is_film {
                @let variant = if owed { Variant::Preview } else { Variant::Web };
                video id=(player) controls preload="metadata" width="960" poster=[poster] src=(page_path(state, &file.id, variant)) {
                    a href=(page_path(state, &file.id, variant)) { "Watch " (d.title) }
                }
                @if owed { p.muted.small { "A watermarked preview: the film itself plays here once the balance is paid." } }
            } @else if is_image && owed {
                // The small rendition only: before it exists (or if it cannot be made) the
                // picture waits, rather than the original standing in for it.
                @if file.thumb_key.is_some() {
                    img src=(page_path(state, &file.id, Variant::Thumb)) alt=(d.title) loading="lazy";
                } @else {
                    p.muted.small { (d.title) ": shown here once the balance is paid." }
                }
            } @else if is_image {
                a href=(page_path(state, &file.id, Variant::Full)) {
                    img src=(page_path(state, &file.id, Variant::Thumb)) alt=(d.title) loading="lazy";
                }
            } @else if owed {
                p { (file.original_name) }
            } @else {
                a href=(page_path(state, &file.id, Variant::File)) { "Open " (file.original_name) }
            }
        }
    }

    /// The version's download link, or why there is none.
    fn download(&self, v: &Version) -> Markup {
        let completed = self.completed.get(&v.id).copied().unwrap_or(0);
        let href = format!("{}/download/{}", self.base, v.id);
        match downloads::gate(
            self.project,
            completed,
            crate::db::now(),
            self.owed.is_some(),
        ) {
            Gate::NotYet => html! {
                p.muted.small { "Downloads open when the studio delivers the project." }
            },
            Gate::Unpaid => html! {
                p.muted.small {
                    "The files download once the balance of your quote is paid. "
                    @if let Some(pay) = &self.owed { a href=(pay) { "Pay the balance" } }
                }
            },
            Gate::Open { until, left } => html! {
                p.download {
                    a.button.button-secondary href=(href) download { "Download v" (v.number) }
                    " " span.muted.small { (left) " of " (self.project.download_cap) " downloads left, until " (timestamp(until)) }
                }
            },
            Gate::Ended { until } => html! {
                p.muted.small { "Downloads closed on " (timestamp(until)) ". " a href=(href) { "Ask for more time" } }
            },
            Gate::Spent => html! {
                p.muted.small { "Downloaded " (self.project.download_cap) " times, the most this project allows." }
            },
        }
    }

    /// The client's answer to the version, or the form that gives it.
    fn answer(&self, ctx: &RequestContext, v: &Version) -> Markup {
        if let Some(decision) = v.decision() {
            let when = v.decided_at.map(timestamp);
            return html! {
                div.decision {
                    p {
                        strong {
                            @match decision {
                                Decision::Approved => { "You approved v" (v.number) }
                                Decision::ChangesRequested => { "You asked for changes to v" (v.number) }
                            }
                        }
                        @if let Some(when) = when { " · " (when) }
                    }
                    @if !v.decision_message.is_empty() { p.small { (v.decision_message) } }
                }
            };
        }
        let (message, errors) = match &self.typed {
            Some(Typed::Decision {
                version_id,
                message,
                errors,
            }) if *version_id == v.id => (*message, Some(*errors)),
            _ => ("", None),
        };
        let no_errors = FieldErrors::new();
        let errors = errors.unwrap_or(&no_errors);
        let id = format!("message-{}", v.id);
        html! {
            form.panel.stack.decision method="post" action={(self.base) "/decision"} {
                h3 { "Your answer to v" (v.number) }
                (csrf_field(ctx))
                (error_summary(errors))
                input type="hidden" name="version" value=(v.id);
                div class=(field_class(errors, "message")) {
                    label for=(id) { "Message to the studio " span.optional { "(needed when you ask for changes)" } }
                    textarea id=(id) name="message" rows="3" maxlength="2000" { (message) }
                    @if let Some(e) = errors.get("message") { p.field-error { (e) } }
                }
                div.actions {
                    button.button.button-primary type="submit" name="decision" value=(Decision::Approved.as_str()) { "Approve v" (v.number) }
                    button.button.button-secondary type="submit" name="decision" value=(Decision::ChangesRequested.as_str()) { "Request changes" }
                }
            }
        }
    }

    /// The version's comments and the form for a new one: with a time for a film (`timed`),
    /// taken from its player with JS when it plays here (`player`).
    fn feedback(
        &self,
        ctx: &RequestContext,
        v: &Version,
        timed: bool,
        player: Option<&str>,
    ) -> Markup {
        let mine: Vec<&Comment> = self
            .comments
            .iter()
            .filter(|c| c.version_id == v.id)
            .collect();
        let (at, body, errors) = match &self.typed {
            Some(Typed::Comment {
                version_id,
                at,
                body,
                errors,
            }) if *version_id == v.id => (*at, *body, Some(*errors)),
            _ => ("", "", None),
        };
        let no_errors = FieldErrors::new();
        let errors = errors.unwrap_or(&no_errors);
        let at_id = format!("at-{}", v.id);
        let body_id = format!("body-{}", v.id);
        html! {
            section.comments-panel id={"comments-" (v.id)} aria-label={"Comments on v" (v.number)} {
                h3 { "Comments on v" (v.number) }
                @if mine.is_empty() {
                    p.muted.small { "No comments yet." }
                }
                (thread(&mine, player, false, |_| html! {}))
                form.stack method="post" action={(self.base) "/comment"} {
                    (csrf_field(ctx))
                    (error_summary(errors))
                    input type="hidden" name="version" value=(v.id);
                    @if timed {
                        div class=(field_class(errors, "at")) {
                            label for=(at_id) { "At " span.optional { "(minutes:seconds, empty for the whole film)" } }
                            div.time-field {
                                input id=(at_id) name="at" type="text" inputmode="numeric" size="8" maxlength="12" placeholder="1:23" value=(at);
                                @if player.is_some() {
                                    button.button.button-ghost type="button" hidden data-current-time=(at_id) { "Use the current time" }
                                }
                            }
                            @if let Some(e) = errors.get("at") { p.field-error { (e) } }
                        }
                    }
                    div class=(field_class(errors, "body")) {
                        label for=(body_id) { "Your comment" }
                        textarea id=(body_id) name="body" rows="2" maxlength="2000" required { (body) }
                        @if let Some(e) = errors.get("body") { p.field-error { (e) } }
                    }
                    button.button.button-secondary type="submit" { "Add the comment" }
                }
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
