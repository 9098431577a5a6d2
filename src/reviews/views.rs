//! Review screens: the reviews section of a product page (summary, distribution, reviews,
//! the reader's form) and the admin's delete confirmation.

use maud::{Markup, html};

use super::model::{Rating, ReviewForm, Status, Summary};
use super::store::{AdminReview, PublicReview};
use crate::error::FieldErrors;
use crate::http::context::RequestContext;
use crate::views::admin::admin_page;
use crate::views::components::{csrf_field, error_summary, paragraphs, timestamp};

/// Where the product page's reviews section starts (the anchor links and redirects use).
pub const SECTION_ID: &str = "reviews";

/// `/products/{slug}/reviews`, where the form posts.
pub fn submit_path(product_slug: &str) -> String {
    format!("/products/{product_slug}/reviews")
}

/// `/admin/review-delete/{id}`.
pub fn delete_path(id: &str) -> String {
    format!("/admin/review-delete/{id}")
}

/// `n` stars out of five as `★★★★☆`, with the figure for screen readers.
pub fn stars(n: u8) -> Markup {
    let n = usize::from(n.min(5));
    html! {
        span.stars role="img" aria-label=(format!("{n} out of 5 stars")) {
            span.stars-on aria-hidden="true" { ("★".repeat(n)) }
            span.stars-off aria-hidden="true" { ("☆".repeat(5 - n)) }
        }
    }
}

fn day(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%-d %B %Y").to_string())
        .unwrap_or_default()
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One review as customers see it, with the studio's reply under it.
pub fn review_card(r: &PublicReview) -> Markup {
    let rating = Rating::from_stored(r.rating).map_or(0, Rating::stars);
    html! {
        article.review {
            header.review-header {
                (stars(rating))
                @if !r.title.is_empty() { h3.review-title { (r.title) } }
            }
            p.review-meta {
                span.review-author { (r.display_name.as_deref().unwrap_or("A customer")) }
                " · " time { (day(r.created_at)) }
                @if r.verified { " " span.verified-badge { "Verified purchase" } }
            }
            div.review-body { (paragraphs(&r.body)) }
            @if !r.reply.is_empty() {
                div.review-reply {
                    p.review-reply-label { "Reply from FlashStudio" }
                    (paragraphs(&r.reply))
                }
            }
        }
    }
}

/// The approved reviews of a product: average, count, distribution and the newest reviews.
/// The same for every visitor (kept in the content snapshot's memo).
pub fn approved(summary: &Summary, reviews: &[PublicReview]) -> Markup {
    let total = summary.total();
    let shown = i64::try_from(reviews.len()).unwrap_or(i64::MAX);
    html! {
        div.reviews-public {
            h2 #reviews-title { "Customer reviews" }
            @if let Some(average) = summary.average_label() {
                div.reviews-summary {
                    p.reviews-average {
                        strong.reviews-average-value { (average) }
                        span.muted { " out of 5 · " (plural(total, "review", "reviews")) }
                    }
                    table.rating-bars {
                        caption.visually-hidden { "Reviews per rating" }
                        tbody {
                            @for rating in Rating::BEST_FIRST {
                                @let count = summary.count(rating);
                                tr {
                                    th scope="row" { (rating.stars()) "★" }
                                    td.rating-bar-cell {
                                        span.rating-bar aria-hidden="true" {
                                            span class=(format!("rating-bar-fill pct-{}", summary.bar_percent(rating))) {}
                                        }
                                    }
                                    td.rating-bar-count { (count) }
                                }
                            }
                        }
                    }
                }
                ol.review-list {
                    @for r in reviews { li { (review_card(r)) } }
                }
                @if total > shown {
                    p.muted { "Showing the " (shown) " newest of " (total) " reviews." }
                }
            } @else {
                p.muted.reviews-empty { "No reviews yet." }
            }
        }
    }
}

/// Everything the reviews section of a product page shows for one request.
#[derive(Debug)]
pub struct Section<'a> {
    /// The product's slug (links and the form's action).
    pub product_slug: &'a str,
    /// The approved reviews, rendered by [`approved`].
    pub approved: Markup,
    /// The reader's own review, whatever its status.
    pub own: Option<&'a PublicReview>,
    /// What the reader just sent and what is wrong with it.
    pub typed: Option<(&'a ReviewForm, &'a FieldErrors)>,
    /// New reviews are published without moderation.
    pub auto_approve: bool,
}

/// The reviews section under a product.
pub fn section(ctx: &RequestContext, s: &Section<'_>) -> Markup {
    html! {
        section.section.section-tight.reviews #(SECTION_ID) aria-labelledby="reviews-title" {
            div.container.reviews-layout {
                (s.approved)
                div.review-compose {
                    @if ctx.user().is_some() {
                        (own_status(s.own))
                        (form(ctx, s))
                    } @else {
                        @let next = format!("/products/{}#{SECTION_ID}", s.product_slug);
                        @let login = format!("/login?{}", form_urlencoded::Serializer::new(String::new()).append_pair("next", &next).finish());
                        div.panel {
                            h3 { "Bought something from us?" }
                            p { a.button.button-secondary href=(login) { "Log in to review" } }
                        }
                    }
                }
            }
        }
    }
}

fn own_status(own: Option<&PublicReview>) -> Markup {
    let Some(own) = own else {
        return html! {};
    };
    html! {
        @match Status::parse(&own.status) {
            Some(Status::Pending) => {
                p.alert.alert-info.review-own-status role="status" {
                    "Your review is awaiting moderation. It will appear here once the studio has checked it."
                }
                (review_card(own))
            }
            Some(Status::Hidden) => {
                p.alert.alert-info.review-own-status role="status" {
                    "Your review is not shown on this page. Edit it below to send it for moderation again."
                }
            }
            _ => {
                p.muted.review-own-status { "Your review is published. You can edit it below." }
            }
        }
    }
}

fn form(ctx: &RequestContext, s: &Section<'_>) -> Markup {
    let empty = FieldErrors::new();
    let from_own;
    let (typed, errors) = match (s.typed, s.own) {
        (Some((typed, errors)), _) => (typed, errors),
        (None, Some(own)) => {
            from_own = ReviewForm {
                rating: own.rating.to_string(),
                title: own.title.clone(),
                body: own.body.clone(),
            };
            (&from_own, &empty)
        }
        (None, None) => {
            from_own = ReviewForm::default();
            (&from_own, &empty)
        }
    };
    let class = |field: &str| {
        if errors.get(field).is_some() {
            "field has-error"
        } else {
            "field"
        }
    };
    html! {
        form.panel.stack.review-form method="post" action=(submit_path(s.product_slug)) novalidate {
            (csrf_field(ctx))
            h3 { @if s.own.is_some() { "Edit your review" } @else { "Write a review" } }
            (error_summary(errors))
            fieldset class=(class("rating")) {
                legend { "Your rating" }
                div.rating-choices {
                    @for rating in Rating::BEST_FIRST {
                        @let value = rating.stars().to_string();
                        label.rating-choice {
                            input type="radio" name="rating" value=(value) checked[typed.rating == value] required
                                aria-invalid=[errors.get("rating").map(|_| "true")];
                            " " (stars(rating.stars()))
                        }
                    }
                }
                @if let Some(e) = errors.get("rating") { p.field-error #review-rating-error { (e) } }
            }
            div class=(class("title")) {
                label for="review-title" { "Title" span.optional { " (optional)" } }
                input #review-title type="text" name="title" value=(typed.title) maxlength="120"
                    aria-invalid=[errors.get("title").map(|_| "true")];
                @if let Some(e) = errors.get("title") { p.field-error { (e) } }
            }
            div class=(class("body")) {
                label for="review-body" { "Your review" }
                textarea #review-body name="body" rows="5" maxlength="4000" required
                    aria-invalid=[errors.get("body").map(|_| "true")] { (typed.body) }
                @if let Some(e) = errors.get("body") { p.field-error { (e) } }
                @if !s.auto_approve {
                    p.hint { "Reviews appear once the studio has checked them." }
                }
            }
            button.button.button-primary type="submit" {
                @if s.own.is_some() { "Update review" } @else { "Submit review" }
            }
        }
    }
}

/// `GET /admin/review-delete/{id}`: the whole review and a confirmation.
pub fn confirm_delete(ctx: &RequestContext, r: &AdminReview) -> Markup {
    let review = &r.review;
    let rating = Rating::from_stored(review.rating).map_or(0, Rating::stars);
    admin_page(
        ctx,
        "Delete a review",
        "/admin/reviews",
        html! {
            div.page-header {
                p { a href="/admin/reviews" { "← Reviews" } }
                h1 { "Delete this review?" }
                p.lead {
                    "Of " a href=(format!("/products/{}", r.product_slug)) { (r.product_title) }
                    " by " (r.reviewer_email) " · " (timestamp(review.created_at))
                    " · " (review.status)
                    @if review.verified { " · verified purchase" }
                }
            }
            section.panel {
                p { (stars(rating)) }
                @if !review.title.is_empty() { h2 { (review.title) } }
                div.review-body { (paragraphs(&review.body)) }
                @if !review.reply.is_empty() {
                    div.review-reply {
                        p.review-reply-label { "Your reply" }
                        (paragraphs(&review.reply))
                    }
                }
            }
            div.panel {
                p { "Deleting removes the review for good; its text stays in the audit log. To take it off the product page but keep it, hide it instead." }
                form method="post" action=(delete_path(&review.id)) {
                    (csrf_field(ctx))
                    div.form-actions {
                        button.button.button-danger type="submit" { "Delete" }
                        a.button.button-ghost href="/admin/reviews" { "Keep it" }
                    }
                }
            }
        },
    )
}
