//! The client's review of a delivered project: asked for by email once, when the client's
//! approval makes the project approved; written (and edited) from the screening room, so only
//! the project's client can write it (a verified review by construction); moderated by staff
//! in the admin's *Client reviews* table like product reviews; shown on `/client-reviews` once
//! approved. An edit waits for moderation again.

use maud::html;
use poem::web::{Data, Path};
use poem::{IntoResponse as _, Response, handler};

use super::model::{Project, State};
use super::screening::{link_path, open};
use super::store::{self, Review};
use crate::db::{DbError, now};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::context::{Flash, RequestContext};
use crate::http::extract::Ctx;
use crate::http::form::FormPairs;
use crate::http::redirect_with_flash;
use crate::notifications::templates::{EmailContent, button, layout};
use crate::state::AppState;
use crate::tables::store::PlainWrites;
use crate::tables::{Column, Filter, Kind, TableSpec, long_text, text};
use crate::views::components::{csrf_field, error_summary, field_class, timestamp};
use crate::views::layout::{PageMeta, page};

/// Most characters of a review and of the name shown with it.
const BODY_MAX: usize = 2_000;
const NAME_MAX: usize = 80;
/// Reviews the public page lists.
const SHOWN: i64 = 50;

/// Whether the client may review the project: once they approved it.
pub fn open_for_review(project: &Project) -> bool {
    matches!(
        project.state(),
        State::Approved | State::Delivered | State::Archived
    )
}

/// Asks the client for a review, once per project, in the caller's transaction (the one that
/// made the project approved).
pub(super) async fn request(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    project: &Project,
    now: i64,
) -> AppResult<()> {
    if !store::mark_review_requested(conn, &project.id, now).await? {
        return Ok(());
    }
    let link = state.url(&format!("{}#review", link_path(state, project)));
    let mail = request_email(project, &link);
    crate::notifications::enqueue_email(conn, &project.email, &mail, state.max_job_attempts())
        .await
        .map_err(AppError::internal)?;
    Ok(())
}

fn request_email(project: &Project, link: &str) -> EmailContent {
    let html = layout(
        "How was working with us?",
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { (project.title) }
            p { "Thank you for approving your films. Would you tell others how working with us was? A few words and a rating are enough; we read every review before it is published." }
            (button(link, "Write a review"))
        },
    );
    let text = format!(
        "{}\n\nThank you for approving your films. Would you tell others how working with us was? \
         A few words and a rating are enough; we read every review before it is published.\n\n\
         Write a review: {link}\n",
        project.title
    );
    EmailContent {
        kind: "project_review_request",
        subject: format!("How was working with us? {}", project.title),
        html,
        text,
    }
}

/// The review form as typed, sent back with what to fix.
pub struct Typed<'a> {
    /// As chosen.
    pub rating: &'a str,
    /// As typed.
    pub body: &'a str,
    /// As typed.
    pub name: &'a str,
    /// What to fix.
    pub errors: &'a FieldErrors,
}

/// `POST /screening/{id}/{sig}/review`: `rating` (1–5), `body` and `name`.
#[handler]
pub async fn save(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
    form: FormPairs,
) -> AppResult<Response> {
    let project = open(state, &id, &sig).await?;
    let room = link_path(state, &project);
    if !open_for_review(&project) {
        let flash = Flash::info("You can review the project once you have approved it.");
        return Ok(redirect_with_flash(state, &room, flash));
    }
    let rating = form.get("rating").unwrap_or("");
    let body = form.get("body").unwrap_or("");
    let name = form.get("name").unwrap_or("");
    let mut errors = FieldErrors::new();
    let stars = rating.parse::<i64>().ok().filter(|r| (1..=5).contains(r));
    if stars.is_none() {
        errors.add("rating", "Choose from one to five stars.");
    }
    let (text, shown) = (body.trim(), name.trim());
    if text.is_empty() {
        errors.add("body", "Write a few words about working with the studio.");
    } else if text.chars().count() > BODY_MAX {
        errors.add("body", format!("At most {BODY_MAX} characters."));
    }
    if shown.is_empty() || shown.chars().count() > NAME_MAX {
        errors.add(
            "name",
            format!("The name to show, up to {NAME_MAX} characters."),
        );
    }
    let Some(stars) = stars.filter(|_| errors.is_empty()) else {
        let typed = Typed {
            rating,
            body,
            name,
            errors: &errors,
        };
        let typed = super::screening::Typed::Review(typed);
        return super::screening::render(&ctx, state, &project, Some(typed)).await;
    };
    // Two first submissions at once: the second finds the first's row and edits it.
    for _ in 0..2 {
        let run = async {
            let mut tx = state.db.begin().await?;
            store::save_review(&mut tx, &project.id, stars, text, shown, now()).await?;
            tx.commit().await
        };
        match run.await.map_err(DbError::classify) {
            Ok(()) => {
                let flash = Flash::success(
                    "Thank you! The studio reads every review before it is published.",
                );
                return Ok(redirect_with_flash(state, &format!("{room}#review"), flash));
            }
            Err(DbError::UniqueViolation(_)) => {}
            Err(DbError::Other(e)) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict("Try again.".into()))
}

/// The room's review section: the form (with the client's review when they wrote one).
pub fn section(
    ctx: &RequestContext,
    base: &str,
    project: &Project,
    review: Option<&Review>,
    typed: Option<&Typed<'_>>,
) -> maud::Markup {
    let no_errors = FieldErrors::new();
    let errors = typed.map_or(&no_errors, |t| t.errors);
    let rating = typed.map_or_else(
        || review.map_or(String::new(), |r| r.rating.to_string()),
        |t| t.rating.to_owned(),
    );
    let body = typed.map_or_else(
        || review.map_or(String::new(), |r| r.body.clone()),
        |t| t.body.to_owned(),
    );
    let name = typed.map_or_else(
        || review.map_or_else(|| project.name.clone(), |r| r.name.clone()),
        |t| t.name.to_owned(),
    );
    html! {
        section.panel.stack #review aria-labelledby="review-title" {
            h2 #review-title { "Your review" }
            @match review.map(|r| r.status.as_str()) {
                Some("approved") => { p { "Published on our client reviews page. Thank you!" } }
                Some(_) => { p { "Thank you: the studio reads it before it is published. You can still change it." } }
                None => { p { "How was working with us? Your review helps other clients choose." } }
            }
            form.stack method="post" action={(base) "/review"} {
                (csrf_field(ctx))
                (error_summary(errors))
                div class=(field_class(errors, "rating")) {
                    label for="review-rating" { "Rating" }
                    select #review-rating name="rating" required {
                        option value="" { "Choose" }
                        @for n in (1..=5).rev() {
                            option value=(n) selected[rating == n.to_string()] { (n) @if n == 1 { " star" } @else { " stars" } }
                        }
                    }
                    @if let Some(e) = errors.get("rating") { p.field-error { (e) } }
                }
                div class=(field_class(errors, "body")) {
                    label for="review-body" { "Your review" }
                    textarea #review-body name="body" rows="4" maxlength="2000" required { (body) }
                    @if let Some(e) = errors.get("body") { p.field-error { (e) } }
                }
                div class=(field_class(errors, "name")) {
                    label for="review-name" { "Name to show with it" }
                    input #review-name name="name" type="text" maxlength="80" required value=(name);
                    @if let Some(e) = errors.get("name") { p.field-error { (e) } }
                }
                button.button.button-secondary type="submit" { "Send the review" }
            }
        }
    }
}

/// `GET /client-reviews`: the approved reviews of delivered projects.
#[handler]
pub async fn public(ctx: Ctx, Data(state): Data<&AppState>) -> AppResult<Response> {
    let reviews = store::approved_reviews(state.db.pool(), SHOWN).await?;
    let body = html! {
        section.section.section-tight {
            div.container.narrow {
                h1 { "What our clients say" }
                p.lead { "Reviews written by clients after we delivered their films, published once we have read them." }
                @if reviews.is_empty() {
                    p { "No reviews published yet." }
                }
                @for r in &reviews {
                    article.comment {
                        p.comment-meta {
                            span aria-label={(r.rating) " out of 5 stars"} { @for _ in 0..r.rating { "★" } }
                            " " strong { (r.name) } " · " (timestamp(r.updated_at))
                        }
                        p.comment-body { (r.body) }
                    }
                }
            }
        }
    };
    Ok(page(&ctx, PageMeta::titled("Client reviews"), body).into_response())
}

/// Client reviews of projects as staff moderate them.
pub static PROJECT_REVIEWS: TableSpec = TableSpec {
    name: "client-reviews",
    title: "Client reviews",
    help: "Reviews clients wrote in their screening room after approving their films. Only approved ones are shown on /client-reviews; an edit by the client waits for approval again.",
    entity: "project_review",
    table: "project_reviews",
    columns: &[
        Column::computed(
            "project",
            "Project",
            text(200),
            "select p.title from projects p where p.id = project_reviews.project_id",
        ),
        Column::show("name", "Shown as", text(80)),
        Column::show(
            "rating",
            "Rating",
            Kind::Int {
                min: 1,
                max: 5,
                nullable: false,
            },
        ),
        Column::show("body", "Review", long_text(2000)),
        Column::edit(
            "status",
            "Status",
            Kind::Choice(&[
                ("pending", "Pending"),
                ("approved", "Approved"),
                ("hidden", "Hidden"),
            ]),
        ),
        Column::show("updated_at", "Written", Kind::Timestamp),
    ],
    default_sort: ("updated_at", true),
    search: &["name", "body"],
    search_index: false,
    row_currency: None,
    filters: &[Filter::on("status", "Status")],
    bulk: &[],
    create: None,
    links: &[],
    rules: &PlainWrites,
};
