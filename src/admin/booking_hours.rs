//! The admin's opening hours page (`/admin/booking-hours`): the week as one form (up to three
//! intervals a day) and the date overrides (closures, special hours). Validation is the
//! bookings domain's (`bookings::hours`); a form with errors comes back with them and with
//! what was typed, and nothing is saved.

use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Response, handler};

use crate::bookings::hours::{self, DAYS, SLOTS, TypedDay, TypedOverride};
use crate::bookings::model::OverrideRow;
use crate::bookings::store;
use crate::db::parse_id;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::context::{Flash, RequestContext};
use crate::http::extract::{AdminUser, Ctx};
use crate::http::form::FormPairs;
use crate::http::{redirect_with_flash, with_status};
use crate::state::AppState;
use crate::views::admin::admin_page;
use crate::views::components::{csrf_field, error_summary};

const PATH: &str = "/admin/booking-hours";

struct Forms<'a> {
    week: &'a [TypedDay],
    week_errors: &'a FieldErrors,
    new_override: &'a TypedOverride,
    override_errors: &'a FieldErrors,
}

fn page(ctx: &RequestContext, overrides: &[OverrideRow], f: &Forms<'_>) -> Markup {
    admin_page(
        ctx,
        "Opening hours",
        PATH,
        html! {
            div.page-header {
                h1 { "Opening hours" }
                p.lead { "When customers can book, in the studio's time zone. Up to three intervals a day (a lunch break is a gap between two); an empty day is closed. Changes apply to the calendar at once; bookings already made stay." }
            }
            form.panel.stack method="post" action=(PATH) novalidate {
                h2 { "The week" }
                (csrf_field(ctx))
                (error_summary(f.week_errors))
                @for (n, (key, label)) in DAYS.iter().enumerate() {
                    @let typed = f.week.get(n).cloned().unwrap_or_default();
                    @let error = f.week_errors.get(key);
                    fieldset class=(if error.is_some() { "field has-error hours-day" } else { "field hours-day" }) {
                        legend { (label) }
                        div.hours-intervals {
                            @for slot in 0..SLOTS {
                                @let (opens, closes) = typed.get(slot).cloned().unwrap_or_default();
                                span.hours-interval {
                                    label.visually-hidden for=(format!("{key}-{slot}-opens")) { (label) ", interval " (slot + 1) ", opens" }
                                    input id=(format!("{key}-{slot}-opens")) name=(format!("{key}-{slot}-opens")) type="time" value=(opens);
                                    " – "
                                    label.visually-hidden for=(format!("{key}-{slot}-closes")) { (label) ", interval " (slot + 1) ", closes" }
                                    input id=(format!("{key}-{slot}-closes")) name=(format!("{key}-{slot}-closes")) type="time" value=(closes);
                                }
                            }
                        }
                        @if let Some(e) = error { p.field-error { (e) } }
                    }
                }
                button.button.button-primary type="submit" { "Save the week" }
            }
            section.panel {
                h2 { "Closures and special hours" }
                @if overrides.is_empty() {
                    p.muted { "None coming up." }
                } @else {
                    div.table-wrap role="region" aria-label="Closures and special hours" tabindex="0" {
                        table.data-table {
                            thead { tr { th { "Date" } th { "Hours" } th { "Note" } th.actions { span.visually-hidden { "Actions" } } } }
                            tbody {
                                @for o in overrides {
                                    tr {
                                        td { (o.day) }
                                        td {
                                            @if o.closed { "Closed" }
                                            @else { (o.opens.as_deref().unwrap_or("")) "–" (o.closes.as_deref().unwrap_or("")) }
                                        }
                                        td { (o.note) }
                                        td.actions {
                                            form.inline-form method="post" action=(format!("{PATH}/overrides/{}/delete", o.id)) {
                                                (csrf_field(ctx))
                                                button.button.button-small.button-secondary type="submit" { "Remove" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                form.stack method="post" action=(format!("{PATH}/overrides")) novalidate {
                    h3 { "Add a date" }
                    (csrf_field(ctx))
                    (error_summary(f.override_errors))
                    div class=(if f.override_errors.get("day").is_some() { "field has-error" } else { "field" }) {
                        label for="day" { "Date" }
                        input #day name="day" type="date" value=(f.new_override.day);
                        @if let Some(e) = f.override_errors.get("day") { p.field-error { (e) } }
                    }
                    label.choice {
                        input type="checkbox" name="closed" value="1" checked[f.new_override.closed];
                        " Closed all day"
                    }
                    div class=(if f.override_errors.get("opens").is_some() { "field has-error" } else { "field" }) {
                        label for="opens" { "Or open from – until" }
                        span.hours-interval {
                            input #opens name="opens" type="time" value=(f.new_override.opens);
                            " – "
                            label.visually-hidden for="closes" { "until" }
                            input #closes name="closes" type="time" value=(f.new_override.closes);
                        }
                        @if let Some(e) = f.override_errors.get("opens") { p.field-error { (e) } }
                    }
                    div class=(if f.override_errors.get("note").is_some() { "field has-error" } else { "field" }) {
                        label for="note" { "Note " span.optional { "(optional)" } }
                        input #note name="note" type="text" maxlength="200" value=(f.new_override.note);
                        @if let Some(e) = f.override_errors.get("note") { p.field-error { (e) } }
                    }
                    button.button.button-primary type="submit" { "Add the date" }
                }
            }
        },
    )
}

async fn render(
    ctx: &RequestContext,
    state: &AppState,
    forms: &Forms<'_>,
    status: StatusCode,
) -> AppResult<Response> {
    let overrides = hours::upcoming_overrides(state).await?;
    Ok(with_status(page(ctx, &overrides, forms), status))
}

/// `GET /admin/booking-hours`.
#[handler]
pub async fn show(
    ctx: Ctx,
    _admin: AdminUser,
    Data(state): Data<&AppState>,
) -> AppResult<Response> {
    let week = hours::typed_week(&store::opening_hours(state.db.pool()).await?);
    let none = FieldErrors::new();
    let forms = Forms {
        week: &week,
        week_errors: &none,
        new_override: &TypedOverride::default(),
        override_errors: &none,
    };
    render(&ctx, state, &forms, StatusCode::OK).await
}

/// `POST /admin/booking-hours`: the whole week.
#[handler]
pub async fn save_week(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let week: Vec<TypedDay> = DAYS
        .iter()
        .map(|(key, _)| {
            (0..SLOTS)
                .map(|slot| {
                    let field = |end: &str| {
                        form.get(&format!("{key}-{slot}-{end}"))
                            .unwrap_or("")
                            .to_owned()
                    };
                    (field("opens"), field("closes"))
                })
                .collect()
        })
        .collect();
    match hours::save_week(state, &admin, &week).await {
        Ok(()) => Ok(redirect_with_flash(
            state,
            PATH,
            Flash::success("The week's hours are saved."),
        )),
        Err(AppError::Validation(errors)) => {
            let none = FieldErrors::new();
            let forms = Forms {
                week: &week,
                week_errors: &errors,
                new_override: &TypedOverride::default(),
                override_errors: &none,
            };
            render(&ctx, state, &forms, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

/// `POST /admin/booking-hours/overrides`: a closure or a day's own hours.
#[handler]
pub async fn add_override(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let typed = TypedOverride {
        day: form.get("day").unwrap_or("").to_owned(),
        closed: form.get("closed") == Some("1"),
        opens: form.get("opens").unwrap_or("").to_owned(),
        closes: form.get("closes").unwrap_or("").to_owned(),
        note: form.get("note").unwrap_or("").to_owned(),
    };
    match hours::add_override(state, &admin, &typed).await {
        Ok(()) => Ok(redirect_with_flash(
            state,
            PATH,
            Flash::success(format!("{} is set.", typed.day.trim())),
        )),
        Err(AppError::Validation(errors)) => {
            let week = hours::typed_week(&store::opening_hours(state.db.pool()).await?);
            let none = FieldErrors::new();
            let forms = Forms {
                week: &week,
                week_errors: &none,
                new_override: &typed,
                override_errors: &errors,
            };
            render(&ctx, state, &forms, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

/// `POST /admin/booking-hours/overrides/{id}/delete`.
#[handler]
pub async fn remove_override(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    hours::remove_override(state, &admin, &id).await?;
    Ok(redirect_with_flash(
        state,
        PATH,
        Flash::success("The date is back to its weekday's hours."),
    ))
}
