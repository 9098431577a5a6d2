//! The admin's booking page: what was booked, by whom, the customer's notes apart from the
//! staff notes, and only the moves its state machine allows. The list is the inline table
//! `bookings::tables::BOOKINGS`.

use maud::html;
use poem::web::{Data, Path};
use poem::{IntoResponse as _, Response, handler};

use crate::bookings::emails::span_label;
use crate::bookings::model::{Booking, Status};
use crate::bookings::{staff, store};
use crate::db::parse_id;
use crate::error::{AppError, AppResult};
use crate::http::context::{Flash, RequestContext};
use crate::http::extract::{AdminUser, Ctx};
use crate::http::form::FormPairs;
use crate::http::redirect_with_flash;
use crate::money::{Currency, Money};
use crate::state::AppState;
use crate::views::admin::admin_page;
use crate::views::components::{csrf_field, timestamp};

fn page(ctx: &RequestContext, state: &AppState, b: &Booking) -> maud::Markup {
    let money = |minor: i64| match Currency::parse(&b.currency) {
        Some(c) => Money::new(minor, c).to_string(),
        None => minor.to_string(),
    };
    let moves = staff::moves(b.status);
    admin_page(
        ctx,
        &format!("Booking {}", b.reference),
        "/admin/bookings",
        html! {
            div.page-header {
                p { a href="/admin/bookings" { "← Bookings" } }
                h1 { "Booking " (b.reference) }
                p.lead {
                    span class=(format!("status-badge status-{}", b.status.as_str())) { (b.status.label()) }
                    " " (b.type_name) " · made " (timestamp(b.created_at))
                }
            }
            div.grid-2 {
                section.panel {
                    h2 { "When and where" }
                    dl.facts {
                        dt { "When" } dd { (span_label(&state.settings.time_zone, b.starts_at, b.ends_at)) }
                        @if b.buffer_before_minutes > 0 || b.buffer_after_minutes > 0 {
                            dt { "Buffers" } dd { (b.buffer_before_minutes) " min before, " (b.buffer_after_minutes) " min after" }
                        }
                        dt { "Where" } dd { (b.location().map_or("—", |l| l.label())) @if !b.address.is_empty() { ": " (b.address) } }
                        dt { "Price" } dd { (money(b.price_minor)) }
                        @if b.deposit_minor > 0 { dt { "Deposit" } dd { (money(b.deposit_minor)) " (not taken online yet)" } }
                        @if let Some(at) = b.cancelled_at {
                            dt { "Cancelled" } dd { (timestamp(at)) @if !b.cancel_reason.is_empty() { ": " (b.cancel_reason) } }
                        }
                    }
                }
                section.panel {
                    h2 { "Customer" }
                    dl.facts {
                        dt { "Name" } dd { (b.name) }
                        dt { "Email" } dd { a href=(format!("mailto:{}", b.email)) { (b.email) } }
                        @if !b.phone.is_empty() { dt { "Phone" } dd { a href=(format!("tel:{}", b.phone)) { (b.phone) } } }
                    }
                    h3 { "Their notes" }
                    @if b.customer_notes.is_empty() { p.muted { "None." } }
                    @else { p.prewrap { (b.customer_notes) } }
                    h3 { "Staff notes" }
                    @if b.staff_notes.is_empty() { p.muted { "None. Edit them in the bookings table." } }
                    @else { p.prewrap { (b.staff_notes) } }
                }
            }
            @if moves.is_empty() {
                p.muted { "This booking is " (b.status.label().to_lowercase()) "; nothing more can happen to it." }
            } @else {
                section.panel {
                    h2 { "Next steps" }
                    div.form-actions {
                        @for (to, label) in &moves {
                            @if *to != Status::Cancelled {
                                form.inline-form method="post" action=(format!("/admin/booking/{}/move", b.id)) {
                                    (csrf_field(ctx))
                                    input type="hidden" name="to" value=(to.as_str());
                                    button.button.button-primary type="submit" { (label) }
                                }
                            }
                        }
                    }
                    @if moves.iter().any(|(to, _)| *to == Status::Cancelled) {
                        form.stack method="post" action=(format!("/admin/booking/{}/move", b.id)) {
                            (csrf_field(ctx))
                            input type="hidden" name="to" value="cancelled";
                            div.field {
                                label for="reason" { "Reason for cancelling (the customer is emailed)" }
                                input #reason name="reason" type="text" maxlength="500" required;
                            }
                            button.button.button-danger type="submit" { "Cancel the booking" }
                        }
                    }
                }
            }
        },
    )
}

/// `GET /admin/booking/{id}`.
#[handler]
pub async fn show(
    ctx: Ctx,
    _admin: AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let b = store::find(state.db.pool(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(page(&ctx, state, &b).into_response())
}

/// `POST /admin/booking/{id}/move`: `to` (and `reason` when cancelling).
#[handler]
pub async fn move_booking(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let to = form
        .get("to")
        .and_then(Status::parse)
        .ok_or_else(|| AppError::BadRequest("Choose what happens to the booking.".into()))?;
    let reason = form.get("reason").unwrap_or("");
    let back = format!("/admin/booking/{id}");
    if to == Status::Cancelled && reason.trim().is_empty() {
        return Ok(redirect_with_flash(
            state,
            &back,
            Flash::error("Say why the booking is cancelled: the customer is told."),
        ));
    }
    let b = staff::move_to(state, &admin, &id, to, reason).await?;
    Ok(redirect_with_flash(
        state,
        &back,
        Flash::success(format!(
            "Booking {} is now “{}”.",
            b.reference,
            b.status.label()
        )),
    ))
}

/// `GET /admin/booking-type-resources/{id}`: which resources a booking type needs.
#[handler]
pub async fn type_resources(
    ctx: Ctx,
    _admin: AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let (name, all, needed) = crate::bookings::resources::of_type(state, &id).await?;
    Ok(type_resources_page(&ctx, &id, &name, &all, &needed).into_response())
}

fn type_resources_page(
    ctx: &RequestContext,
    id: &str,
    name: &str,
    all: &[crate::bookings::model::ResourceRow],
    needed: &[String],
) -> maud::Markup {
    admin_page(
        ctx,
        "Resources of a booking type",
        "/admin/booking-types",
        html! {
            div.page-header {
                h1 { "Resources of “" (name) "”" }
                p.lead { "Tick what a booking of this type needs, one unit of each. Two bookings can overlap only where every resource they share has capacity left. Bookings already made keep what they held." }
                p { a href="/admin/booking-types" { "← Booking types" } " · " a href="/admin/booking-resources" { "Edit resources" } }
            }
            form.panel method="post" action=(format!("/admin/booking-type-resources/{id}")) {
                (csrf_field(ctx))
                fieldset.field {
                    legend { "Needs" }
                    @if all.is_empty() { p.muted { "No resources yet." } }
                    @for r in all {
                        label.choice {
                            input type="checkbox" name="resources" value=(r.id) checked[needed.contains(&r.id)];
                            " " (r.name) " (" (r.kind) ", capacity " (r.capacity) @if !r.active { ", inactive" } ")"
                        }
                    }
                }
                button.button.button-primary type="submit" { "Save" }
            }
        },
    )
}

/// `POST /admin/booking-type-resources/{id}`: `resources` (ids).
#[handler]
pub async fn save_type_resources(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let chosen: Vec<String> = form
        .all("resources")
        .into_iter()
        .map(str::to_owned)
        .collect();
    crate::bookings::resources::set_for_type(state, &admin, &id, &chosen).await?;
    Ok(redirect_with_flash(
        state,
        &format!("/admin/booking-type-resources/{id}"),
        Flash::success("Saved. New bookings of this type need these resources."),
    ))
}
