//! The admin's booking page: what was booked, by whom, the customer's notes apart from the
//! staff notes, and only the moves its state machine allows. The list is the inline table
//! `bookings::tables::BOOKINGS`.

use maud::html;
use poem::web::{Data, Path};
use poem::{IntoResponse as _, Response, handler};

use crate::bookings::emails::span_label;
use crate::bookings::model::{Booking, Status};
use crate::bookings::reschedule::{self, Mover, NotMoved};
use crate::bookings::{staff, store};
use crate::db::parse_id;
use crate::error::{AppError, AppResult};
use crate::http::context::{Flash, RequestContext};
use crate::http::extract::{AdminUser, Ctx};
use crate::http::form::FormPairs;
use crate::http::redirect_with_flash;
use crate::money::{Currency, Money};
use crate::payments::refunds;
use crate::payments::store::{self as payment_store, Payment};
use crate::state::AppState;
use crate::views::admin::admin_page;
use crate::views::components::{csrf_field, timestamp};

fn page(
    ctx: &RequestContext,
    state: &AppState,
    b: &Booking,
    payments: &[Payment],
    files: &[store::BookingFile],
) -> maud::Markup {
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
            @if let Some(note) = &b.attention {
                div.alert.alert-error role="alert" {
                    p { strong { "Needs you: " } (note) }
                    form.inline-form method="post" action=(format!("/admin/booking/{}/resolved", b.id)) {
                        (csrf_field(ctx))
                        button.button.button-ghost type="submit" { "Mark resolved" }
                    }
                }
            }
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
                        @if b.deposit_minor > 0 { dt { "Deposit" } dd { (money(b.deposit_minor)) } }
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
                    @if !files.is_empty() {
                        h3 { "Their files" }
                        ul.plain-list {
                            @for f in files {
                                li { a href=(format!("/admin/media/{}", f.media_id)) { (f.file_name) } }
                            }
                        }
                    }
                    h3 { "Staff notes" }
                    @if b.staff_notes.is_empty() { p.muted { "None. Edit them in the bookings table." } }
                    @else { p.prewrap { (b.staff_notes) } }
                }
            }
            @if matches!(b.status, Status::Pending | Status::Confirmed) { (move_panel(ctx, state, b)) }
            @if matches!(b.status, Status::Confirmed | Status::Completed) {
                (crate::projects::views::start_panel(ctx, &format!("/admin/project-from-booking/{}", b.id)))
            }
            @if !payments.is_empty() { (deposit_panel(ctx, b, payments)) }
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

/// Moving the booking to another time: within the rules, or overriding them with a reason
/// (never a resource's capacity). The customer gets the new time and an updated invite.
fn move_panel(ctx: &RequestContext, state: &AppState, b: &Booking) -> maud::Markup {
    let zone = &state.settings.time_zone;
    let now = jiff::Timestamp::from_second(b.starts_at)
        .map(|t| t.to_zoned(zone.clone()))
        .ok();
    let (day, time) = now.map_or((String::new(), String::new()), |z| {
        (
            z.strftime("%Y-%m-%d").to_string(),
            z.strftime("%H:%M").to_string(),
        )
    });
    html! {
        section.panel {
            h2 { "Move to another time" }
            form.stack method="post" action=(format!("/admin/booking/{}/reschedule", b.id)) {
                (csrf_field(ctx))
                div.grid-2 {
                    div.field {
                        label for="move-day" { "Day" }
                        input #move-day name="day" type="date" required value=(day);
                    }
                    div.field {
                        label for="move-time" { "Start (" (crate::bookings::emails::zone_label(zone)) ")" }
                        input #move-time name="time" type="time" required value=(time);
                    }
                }
                div.field {
                    label for="override" { "Override the rules because… " span.optional { "(optional: hours, notice and the grid then do not apply; capacity always does)" } }
                    input #override name="override_reason" type="text" maxlength="500";
                }
                button.button.button-secondary type="submit" { "Move the booking" }
            }
        }
    }
}

/// `YYYY-MM-DD` and `HH:MM` in the studio's zone as epoch seconds (an hour the clocks repeat
/// means its first instant; one they skip, the instant after the jump).
pub(super) fn studio_instant(state: &AppState, day: &str, time: &str) -> Option<i64> {
    let day: jiff::civil::Date = day.trim().parse().ok()?;
    let time: jiff::civil::Time = time.trim().parse().ok()?;
    let zoned = day
        .to_datetime(time)
        .to_zoned(state.settings.time_zone.clone())
        .ok()?;
    Some(zoned.timestamp().as_second())
}

/// The deposit's payment, and a refund form while some of it can go back (prefilled with what
/// the booking's policy gives if it were cancelled now).
fn deposit_panel(ctx: &RequestContext, b: &Booking, payments: &[Payment]) -> maud::Markup {
    let money = |minor: i64| Money::of_code(minor, &b.currency).to_string();
    let left: i64 = payments
        .iter()
        .filter(|p| p.status().is_captured())
        .map(|p| p.captured_minor.max(p.amount_minor) - p.refunded_minor)
        .sum();
    let due = b.policy().refund_due(left, b.starts_at, crate::db::now());
    html! {
        section.panel {
            h2 { "Deposit" }
            table.table {
                thead { tr { th { "Attempt" } th { "Status" } th { "Amount" } th { "Refunded" } th { "Opened" } } }
                tbody {
                    @for p in payments {
                        tr {
                            td { (p.attempt) }
                            td { (p.status) @if let Some(f) = &p.failure { " (" (f) ")" } }
                            td { (money(p.amount_minor)) }
                            td { (money(p.refunded_minor)) }
                            td { (timestamp(p.created_at)) }
                        }
                    }
                }
            }
            @if left > 0 {
                form.stack method="post" action=(format!("/admin/booking/{}/refund", b.id)) {
                    (csrf_field(ctx))
                    input type="hidden" name="request_key" value=(crate::crypto::random_token());
                    p.hint { "Under the booking's own policy, " (money(due)) " of " (money(left)) " would go back if it were cancelled now." }
                    div.field {
                        label for="amount" { "Amount to refund" }
                        input #amount name="amount" type="text" inputmode="decimal" required value=(Currency::parse(&b.currency).unwrap_or_default().plain(due.max(0)));
                    }
                    div.field {
                        label for="refund-reason" { "Reason (kept with the refund)" }
                        input #refund-reason name="reason" type="text" maxlength="500" required;
                    }
                    label.choice {
                        input type="checkbox" name="confirm" value="1" required;
                        " Yes, send this refund to the customer"
                    }
                    button.button.button-danger type="submit" { "Refund" }
                }
            }
        }
    }
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
    let payments = payment_store::all_for(state.db.pool(), &id).await?;
    let files = store::files_of(state.db.pool(), &id).await?;
    Ok(page(&ctx, state, &b, &payments, &files).into_response())
}

/// The booking `raw_id` names, and its admin page's path (where its forms come back to).
async fn booking(state: &AppState, raw_id: &str) -> AppResult<(Booking, String)> {
    let id = parse_id(raw_id).ok_or(AppError::NotFound)?;
    let b = store::find(state.db.pool(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let back = format!("/admin/booking/{id}");
    Ok((b, back))
}

/// `POST /admin/booking/{id}/refund`: `amount` (major units), `reason`, `confirm=1`, and the
/// form's one-time `request_key` (a double click makes one refund).
#[handler]
pub async fn refund(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let (b, back) = booking(state, &id).await?;
    let id = b.id.clone();
    if form.get("confirm") != Some("1") {
        return Ok(redirect_with_flash(
            state,
            &back,
            Flash::error("Tick the box to confirm the refund."),
        ));
    }
    let currency = Currency::parse(&b.currency).unwrap_or_default();
    let amount = match currency.parse_amount(form.get("amount").unwrap_or_default().trim(), false) {
        Ok(amount) => amount,
        Err(message) => return Ok(redirect_with_flash(state, &back, Flash::error(message))),
    };
    let reason = form.get("reason").unwrap_or_default();
    let key = form
        .get("request_key")
        .filter(|k| !k.is_empty() && k.len() <= 64);
    let flash = match refunds::refund(state, Some(&admin), &id, amount, reason, key).await {
        Ok(outcome) => super::orders::refund_message(&outcome),
        Err(AppError::Validation(errors)) => {
            Flash::error(errors.iter().map(|(_, m)| m).collect::<Vec<_>>().join(" "))
        }
        Err(AppError::Conflict(message)) => Flash::error(message),
        Err(e) => return Err(e),
    };
    Ok(redirect_with_flash(state, &back, flash))
}

/// `POST /admin/booking/{id}/reschedule`: `day`, `time` (studio time), and an optional
/// `override_reason`.
#[handler]
pub async fn move_to_time(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let (b, back) = booking(state, &id).await?;
    let fail = |m: String| Ok(redirect_with_flash(state, &back, Flash::error(m)));
    let day = form.get("day").unwrap_or_default();
    let time = form.get("time").unwrap_or_default();
    let Some(start) = studio_instant(state, day, time) else {
        return fail("Enter the day as a date and the start as HH:MM.".into());
    };
    let reason: String = form
        .get("override_reason")
        .unwrap_or_default()
        .trim()
        .chars()
        .take(500)
        .collect();
    let mover = Mover::Staff {
        admin: &admin,
        override_reason: (!reason.is_empty()).then_some(reason.as_str()),
    };
    match reschedule::reschedule(state, &b, start, mover).await? {
        Ok(moved) => {
            let zone = &state.settings.time_zone;
            Ok(redirect_with_flash(
                state,
                &back,
                Flash::success(format!(
                    "Moved to {}. The customer is emailed the new time.",
                    span_label(zone, moved.starts_at, moved.ends_at)
                )),
            ))
        }
        Err(NotMoved::Unavailable(why)) => fail(format!(
            "{why} To book outside the rules, say why in “Override the rules”."
        )),
        Err(NotMoved::NotMovable) => fail("Only a pending or confirmed booking can move.".into()),
        Err(NotMoved::Changed) => fail("The booking changed meanwhile; here it is now.".into()),
    }
}

/// `POST /admin/booking/{id}/resolved`: clears what the booking needed staff for.
#[handler]
pub async fn resolved(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    staff::clear_attention(state, &admin, &id).await?;
    Ok(redirect_with_flash(
        state,
        &format!("/admin/booking/{id}"),
        Flash::success("Marked resolved."),
    ))
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
