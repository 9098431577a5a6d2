//! Staff booking on a customer's behalf (a phone booking): any active type, a day and a start
//! in the studio's zone, the customer's details; confirmed at once, the customer emailed with
//! the invite, the deposit settled by hand. The rules apply unless staff override them with a
//! reason (audited); a resource's capacity always applies.

use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse as _, Response, handler};

use crate::bookings::model::BookingTypeRow;
use crate::bookings::service::{self, Details, NotPlaced, PlacedBy};
use crate::bookings::store;
use crate::error::{AppResult, FieldErrors};
use crate::http::context::{Flash, RequestContext};
use crate::http::extract::{AdminUser, Ctx};
use crate::http::form::FormPairs;
use crate::http::{redirect_with_flash, with_status};
use crate::state::AppState;
use crate::views::admin::admin_page;
use crate::views::components::{Field, csrf_field, error_summary};

/// What the form holds.
#[derive(Debug, Default)]
struct Typed {
    kind: String,
    day: String,
    time: String,
    details: Details,
    override_reason: String,
}

impl Typed {
    fn of(form: &FormPairs) -> Self {
        let text = |name: &str| form.get(name).unwrap_or("").to_owned();
        Self {
            kind: text("type"),
            day: text("day"),
            time: text("time"),
            details: Details {
                name: text("name"),
                email: text("email"),
                phone: text("phone"),
                location: text("location"),
                address: text("address"),
                notes: text("notes"),
            },
            override_reason: text("override_reason").trim().chars().take(500).collect(),
        }
    }
}

fn page(
    ctx: &RequestContext,
    state: &AppState,
    types: &[BookingTypeRow],
    typed: &Typed,
    errors: &FieldErrors,
) -> Markup {
    let d = &typed.details;
    let zone = crate::bookings::emails::zone_label(&state.settings.time_zone);
    admin_page(
        ctx,
        "Book for a customer",
        "/admin/calendar",
        html! {
            div.page-header {
                p { a href="/admin/calendar" { "← Calendar" } }
                h1 { "Book for a customer" }
                p.lead { "A booking taken by phone or in person: confirmed at once, and the customer is emailed the confirmation with a calendar invite. Settle any deposit by hand." }
            }
            form.panel.stack method="post" action="/admin/bookings/new" novalidate {
                (csrf_field(ctx))
                (error_summary(errors))
                div.field class=[errors.get("type").map(|_| "has-error")] {
                    label for="type" { "Type" }
                    select #type name="type" required {
                        @for t in types {
                            option value=(t.slug) selected[t.slug == typed.kind] { (t.name) " (" (t.length_label()) ")" }
                        }
                    }
                    @if let Some(m) = errors.get("type") { p.field-error { (m) } }
                }
                div.grid-2 {
                    (Field::new("day", "Day", "date").value(Some(&typed.day)).render(errors))
                    (Field::new("time", &format!("Start ({zone})"), "time").value(Some(&typed.time))
                        .hint("Day-long types start when the studio opens.").render(errors))
                }
                div.grid-2 {
                    (Field::new("name", "Customer's name", "text").value(Some(&d.name)).render(errors))
                    (Field::new("email", "Customer's email", "email").value(Some(&d.email)).render(errors))
                }
                div.grid-2 {
                    (Field::new("phone", "Phone", "tel").value(Some(&d.phone)).optional().render(errors))
                    div.field class=[errors.get("location").map(|_| "has-error")] {
                        label for="location" { "Where" }
                        select #location name="location" {
                            @for (value, label) in [("studio", "At the studio"), ("client", "At the customer's place"), ("video", "Video call")] {
                                option value=(value) selected[d.location == value] { (label) }
                            }
                        }
                        @if let Some(m) = errors.get("location") { p.field-error { (m) } }
                    }
                }
                (Field::new("address", "Address (at the customer's place)", "text").value(Some(&d.address)).optional().render(errors))
                div.field {
                    label for="notes" { "Notes " span.optional { "(optional)" } }
                    textarea #notes name="notes" rows="3" maxlength="2000" { (d.notes) }
                }
                (Field::new("override_reason", "Override the rules because…", "text").value(Some(&typed.override_reason)).optional()
                    .hint("Only for a type measured in minutes: opening hours, notice, horizon and the slot grid then do not apply. A resource's capacity always does. The reason is kept in the audit log.")
                    .render(errors))
                div.form-actions {
                    button.button.button-primary type="submit" { "Book it" }
                }
            }
        },
    )
}

/// `GET /admin/bookings/new`.
#[handler]
pub async fn show(
    ctx: Ctx,
    _admin: AdminUser,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let types = store::active_types(state.db.pool()).await?;
    let typed = Typed::of(&form);
    Ok(page(&ctx, state, &types, &typed, &FieldErrors::new()).into_response())
}

/// `POST /admin/bookings/new`: places the booking as staff; the form comes back with what is
/// wrong.
#[handler]
pub async fn create(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let types = store::active_types(state.db.pool()).await?;
    let typed = Typed::of(&form);
    let mut errors = FieldErrors::new();
    let again = |errors: &FieldErrors, status: StatusCode| {
        Ok(with_status(
            page(&ctx, state, &types, &typed, errors),
            status,
        ))
    };
    let Some(b) = service::bookable(state, &typed.kind).await? else {
        errors.add("type", "Choose a booking type.");
        return again(&errors, StatusCode::UNPROCESSABLE_ENTITY);
    };
    // A day-long type starts when its day's first free span does (the rules lay it out).
    let start = if b.row.length_kind == "minutes" {
        super::bookings::studio_instant(state, &typed.day, &typed.time)
    } else {
        match typed.day.trim().parse::<jiff::civil::Date>() {
            Ok(day) => service::free_slots(state, &b, day)
                .await?
                .first()
                .map(|s| s.start.as_second()),
            Err(_) => None,
        }
    };
    let Some(start) = start else {
        errors.add(
            "day",
            "Enter the day as a date and the start as HH:MM (a day-long type needs a day with room for it).",
        );
        return again(&errors, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let override_reason =
        (!typed.override_reason.is_empty()).then_some(typed.override_reason.as_str());
    let by = PlacedBy::Staff {
        admin: &admin,
        override_reason,
    };
    match service::place_as(state, &b, start, &typed.details, by).await? {
        Ok(booking) => Ok(redirect_with_flash(
            state,
            &format!("/admin/booking/{}", booking.id),
            Flash::success(format!(
                "Booking {} made and confirmed; {} is emailed.",
                booking.reference, booking.email
            )),
        )),
        Err(NotPlaced::Invalid(field_errors)) => {
            again(&field_errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(NotPlaced::Unavailable(why)) => {
            let hint = if override_reason.is_some() {
                ""
            } else {
                " To book outside the rules, say why in “Override the rules”."
            };
            errors.add("form", format!("{why}{hint}"));
            let status = match why {
                crate::bookings::availability::Unavailable::Taken { .. } => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            again(&errors, status)
        }
    }
}
