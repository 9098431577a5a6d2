//! The booking pages' handlers.

use jiff::Timestamp;
use jiff::civil::Date;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{IntoResponse as _, Request, Response, handler};

use super::availability::{Slot, Unavailable};
use super::deposits::{self, DepositStart};
use super::model::{Booking, Status};
use super::reschedule::{self, Mover, NotMoved};
use super::service::{self, Bookable, Details, NotPlaced};
use super::{store, views};
use crate::db::now;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::context::Flash;
use crate::http::extract::{Ctx, CurrentUser};
use crate::http::form::{FormPairs, vary_on_htmx, wants_fragment};
use crate::http::{redirect_with_flash, with_status};
use crate::state::AppState;

/// `GET /book`.
#[handler]
pub async fn types(ctx: Ctx, Data(state): Data<&AppState>) -> AppResult<Response> {
    let types = store::active_types(state.db.pool()).await?;
    Ok(views::types_page(&ctx, &types).into_response())
}

/// The type `slug` as the pages show it (from this process's memo).
async fn bookable(state: &AppState, slug: &str) -> AppResult<Bookable> {
    service::bookable_cached(state, slug)
        .await?
        .ok_or(AppError::NotFound)
}

/// The type `slug` as it is now: placing a booking snapshots its price, deposit and policy.
async fn bookable_now(state: &AppState, slug: &str) -> AppResult<Bookable> {
    service::bookable(state, slug)
        .await?
        .ok_or(AppError::NotFound)
}

/// The first of the month in `?month=YYYY-MM`, this month when absent or malformed, clamped to
/// the months that can hold bookings.
fn chosen_month(raw: Option<&str>, today: Date, last: Date) -> Date {
    let this = today.first_of_month();
    let parsed = raw.and_then(|m| format!("{m}-01").parse::<Date>().ok());
    parsed.map_or(this, |m| m.clamp(this, last.first_of_month()))
}

/// `GET /book/{slug}?month=YYYY-MM&day=YYYY-MM-DD`: the calendar and the chosen day's times;
/// an htmx request for `#booking-picker` gets only that.
#[handler]
pub async fn picker(
    req: &Request,
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path(slug): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let b = bookable(state, &slug).await?;
    let route = views::PickerRoute::booking(&b.row.slug);
    let p = picker_parts(state, &b, &form, None).await?;
    Ok(picker_markup(
        req,
        &ctx,
        &p.view(&b, &route, state),
        StatusCode::OK,
        None,
    ))
}

/// What the picker shows, read for a request: the month, its free days, and the chosen
/// day's free times.
struct PickerParts {
    today: Date,
    month: Date,
    free_days: Vec<Date>,
    previous: Option<Date>,
    next: Option<Date>,
    day: Option<(Date, Vec<Slot>)>,
    notice: Option<String>,
}

impl PickerParts {
    fn view<'a>(
        &'a self,
        b: &'a Bookable,
        route: &'a views::PickerRoute,
        state: &'a AppState,
    ) -> views::Picker<'a> {
        views::Picker {
            kind: b,
            route,
            zone: &state.settings.time_zone,
            month: self.month,
            free_days: &self.free_days,
            today: self.today,
            previous: self.previous,
            next: self.next,
            day: self.day.as_ref().map(|(d, slots)| (*d, slots.as_slice())),
            notice: self.notice.as_deref(),
        }
    }
}

/// Reads the picker for `?month=` and `?day=`: a day that has passed, is beyond the horizon
/// or is not a date gets a sentence instead of times.
async fn picker_parts(
    state: &AppState,
    b: &Bookable,
    form: &FormPairs,
    notice: Option<&str>,
) -> AppResult<PickerParts> {
    let today = service::studio_today(state);
    let last = today
        .checked_add(jiff::Span::new().days(b.row.horizon_days.clamp(1, 730)))
        .unwrap_or(today);
    let mut notice = notice.map(str::to_owned);
    let day = match form.get("day") {
        None => None,
        Some(raw) => match raw.parse::<Date>() {
            Ok(d) if d < today => {
                notice.get_or_insert_with(|| "That day has passed. Choose another.".into());
                None
            }
            Ok(d) if d > last => {
                notice.get_or_insert_with(|| {
                    format!(
                        "Bookings open {} days ahead. Choose an earlier day.",
                        b.row.horizon_days
                    )
                });
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                notice.get_or_insert_with(|| {
                    "That is not a date. Choose a day on the calendar.".into()
                });
                None
            }
        },
    };
    let month = match day {
        Some(d) => d.first_of_month(),
        None => chosen_month(form.get("month"), today, last),
    };
    let free_days = service::free_days(state, b, month.year(), month.month()).await?;
    let day = match day {
        Some(d) => Some((d, service::free_slots(state, b, d).await?)),
        None => None,
    };
    Ok(PickerParts {
        today,
        month,
        free_days,
        previous: month
            .checked_sub(jiff::Span::new().months(1))
            .ok()
            .filter(|m| *m >= today.first_of_month()),
        next: month
            .checked_add(jiff::Span::new().months(1))
            .ok()
            .filter(|m| *m <= last.first_of_month()),
        day,
        notice,
    })
}

/// The picker as htmx asked (`#booking-picker` alone) or as a page: the type's booking page,
/// or the page for moving `moving`.
fn picker_markup(
    req: &Request,
    ctx: &crate::http::context::RequestContext,
    p: &views::Picker<'_>,
    status: StatusCode,
    moving: Option<&Booking>,
) -> Response {
    let markup = if wants_fragment(req, "booking-picker") {
        views::picker(p)
    } else if let Some(booking) = moving {
        views::reschedule_page(ctx, booking, p)
    } else {
        views::picker_page(ctx, p)
    };
    let mut resp = with_status(markup, status);
    vary_on_htmx(&mut resp);
    resp
}

fn details_of(form: &FormPairs) -> Details {
    let text = |name: &str| form.get(name).unwrap_or("").to_owned();
    Details {
        name: text("name"),
        email: text("email"),
        phone: text("phone"),
        location: text("location"),
        address: text("address"),
        notes: form
            .0
            .iter()
            .find(|(k, _)| k == "notes")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
    }
}

/// The slot at `?start=` (epoch seconds) as the rules offer it now, ignoring other bookings
/// (the placement checks those); or the sentence that says why not.
async fn offered(
    state: &AppState,
    b: &Bookable,
    form: &FormPairs,
) -> AppResult<Result<Slot, (StatusCode, String)>> {
    let at = form
        .get("start")
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| Timestamp::from_second(s).ok());
    let Some(at) = at else {
        let why = "Choose a time on the calendar.".to_owned();
        return Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, why)));
    };
    let day = at.to_zoned(state.settings.time_zone.clone()).date();
    let slots = service::free_slots(state, b, day).await?;
    Ok(slots.into_iter().find(|s| s.start == at).ok_or_else(|| {
        let why = "That time is not free any more. Choose another.".to_owned();
        (StatusCode::CONFLICT, why)
    }))
}

/// Where a picker is for: booking `b`, or moving `moving`.
struct Target<'a> {
    b: &'a Bookable,
    route: views::PickerRoute,
    moving: Option<&'a Booking>,
}

/// Back to the picker on the start's day, with a sentence, when a time cannot be booked.
async fn back_to_picker(
    req: &Request,
    ctx: &crate::http::context::RequestContext,
    state: &AppState,
    target: &Target<'_>,
    form: &FormPairs,
    why: &str,
    status: StatusCode,
) -> AppResult<Response> {
    let day = form
        .get("start")
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| Timestamp::from_second(s).ok())
        .map(|t| {
            t.to_zoned(state.settings.time_zone.clone())
                .date()
                .to_string()
        });
    let pairs = FormPairs(day.map(|d| vec![("day".to_owned(), d)]).unwrap_or_default());
    let p = picker_parts(state, target.b, &pairs, Some(why)).await?;
    let view = p.view(target.b, &target.route, state);
    Ok(picker_markup(req, ctx, &view, status, target.moving))
}

/// Booking `b` afresh.
fn booking_target(b: &Bookable) -> Target<'_> {
    Target {
        b,
        route: views::PickerRoute::booking(&b.row.slug),
        moving: None,
    }
}

/// `GET /book/{slug}/details?start=EPOCH`: the details form for a chosen time.
#[handler]
pub async fn details(
    req: &Request,
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path(slug): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let b = bookable(state, &slug).await?;
    let slot = match offered(state, &b, &form).await? {
        Ok(slot) => slot,
        Err((status, why)) => {
            return back_to_picker(req, &ctx, state, &booking_target(&b), &form, &why, status)
                .await;
        }
    };
    let mut d = Details::default();
    if let Some(user) = ctx.user() {
        d.email = user.email.clone();
    }
    if let Some(l) = b.row.location_list().first() {
        d.location = l.as_str().to_owned();
    }
    let zone = &state.settings.time_zone;
    Ok(views::details_page(&ctx, &b, zone, &slot, &d, &FieldErrors::new()).into_response())
}

/// `POST /book/{slug}/review`: the details checked, and the page that books.
#[handler]
pub async fn review(
    req: &Request,
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path(slug): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let b = bookable(state, &slug).await?;
    let slot = match offered(state, &b, &form).await? {
        Ok(slot) => slot,
        Err((status, why)) => {
            return back_to_picker(req, &ctx, state, &booking_target(&b), &form, &why, status)
                .await;
        }
    };
    let d = details_of(&form);
    let zone = &state.settings.time_zone;
    match service::validate(&b, &d) {
        Err(errors) => Ok(with_status(
            views::details_page(&ctx, &b, zone, &slot, &d, &errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Ok(_) => Ok(views::review_page(&ctx, &b, zone, &slot, &d).into_response()),
    }
}

/// `POST /book/{slug}`: books it. The loser of a race gets the day's fresh times and a
/// sentence; bad details re-render the form.
#[handler]
pub async fn place(
    req: &Request,
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path(slug): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let b = bookable_now(state, &slug).await?;
    let d = details_of(&form);
    let Some(start) = form.get("start").and_then(|s| s.parse::<i64>().ok()) else {
        return back_to_picker(
            req,
            &ctx,
            state,
            &booking_target(&b),
            &form,
            "Choose a time on the calendar.",
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let user_id = ctx.user().map(|u| u.id.clone());
    match service::place(state, &b, start, &d, user_id.as_deref(), &ctx.rate_key()).await? {
        Ok(booking) if booking.status == Status::Held => pay(state, &booking).await,
        Ok(booking) => {
            let path = format!("{}?booked=1", service::manage_path(state, &booking));
            Ok(redirect_with_flash(
                state,
                &path,
                Flash::success(format!("Booking {} made.", booking.reference)),
            ))
        }
        Err(NotPlaced::Invalid(errors)) => {
            let slot = match offered(state, &b, &form).await? {
                Ok(slot) => slot,
                Err((status, why)) => {
                    return back_to_picker(
                        req,
                        &ctx,
                        state,
                        &booking_target(&b),
                        &form,
                        &why,
                        status,
                    )
                    .await;
                }
            };
            let zone = &state.settings.time_zone;
            Ok(with_status(
                views::details_page(&ctx, &b, zone, &slot, &d, &errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(NotPlaced::Unavailable(why)) => {
            let (status, sentence) = unavailable(state, why);
            back_to_picker(
                req,
                &ctx,
                state,
                &booking_target(&b),
                &form,
                &sentence,
                status,
            )
            .await
        }
    }
}

/// The status and sentence for a time that cannot be booked: the loser of a race gets 409
/// and the day's fresh times.
fn unavailable(state: &AppState, why: Unavailable) -> (StatusCode, String) {
    match why {
        Unavailable::Taken { .. } => (
            StatusCode::CONFLICT,
            "Someone booked that time a moment ago. Here are the times still free.".to_owned(),
        ),
        Unavailable::InsideMinimumNotice { earliest } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "That time is too soon: the earliest start is {}. Choose another time.",
                earliest
                    .to_zoned(state.settings.time_zone.clone())
                    .strftime("%A %-d %B, %H:%M")
            ),
        ),
        other => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{other} Choose another time."),
        ),
    }
}

/// `GET /bookings/{id}/{sig}`: the booking's own page.
#[handler]
pub async fn show(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
    form: FormPairs,
) -> AppResult<Response> {
    let booking = service::by_link(state, &id, &sig).await?;
    let manage = service::manage_path(state, &booking);
    let open = booking.status.blocks_time()
        && booking.policy().self_service_open(booking.starts_at, now());
    let arrival = if form.get("booked") == Some("1") {
        views::Arrival::Booked
    } else if form.get("paid") == Some("1") {
        views::Arrival::Paid
    } else if form.get("payment") == Some("cancelled") {
        views::Arrival::PaymentCancelled
    } else {
        views::Arrival::Link
    };
    let zone = &state.settings.time_zone;
    let files = store::files_of(state.db.pool(), &booking.id).await?;
    let page = views::BookingPage {
        booking: &booking,
        manage_path: &manage,
        self_service: open,
        arrival,
        files: &files,
    };
    let mut resp = views::booking_page(&ctx, zone, &page).into_response();
    // The link is the key to the booking: keep it out of Referer headers.
    resp.headers_mut().insert(
        poem::http::header::REFERRER_POLICY,
        poem::http::HeaderValue::from_static("no-referrer"),
    );
    Ok(resp)
}

/// Sends the customer to the deposit's checkout, or back to the booking's page with a
/// sentence when it cannot open.
async fn pay(state: &AppState, booking: &Booking) -> AppResult<Response> {
    let back = service::manage_path(state, booking);
    Ok(match deposits::start_payment(state, &booking.id).await? {
        DepositStart::Redirect(url) => crate::http::redirect(&url),
        DepositStart::GatewayFailed(e) => {
            tracing::warn!(booking = %booking.id, error = %e, "the deposit's checkout did not open");
            redirect_with_flash(
                state,
                &back,
                Flash::error(
                    "The payment page could not open just now. Your time is held: try again in a moment.",
                ),
            )
        }
        DepositStart::Closed => redirect_with_flash(
            state,
            &back,
            Flash::error("This booking no longer waits for a deposit."),
        ),
    })
}

/// `POST /bookings/{id}/{sig}/pay`: (re)opens the deposit's checkout of a held booking.
#[handler]
pub async fn pay_deposit(
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
) -> AppResult<Response> {
    let booking = service::by_link(state, &id, &sig).await?;
    pay(state, &booking).await
}

/// `POST /bookings/{id}/{sig}/cancel` (with `confirm=yes`): cancels it if the policy allows.
#[handler]
pub async fn cancel(
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
    form: FormPairs,
) -> AppResult<Response> {
    let booking = service::by_link(state, &id, &sig).await?;
    let back = service::manage_path(state, &booking);
    if form.get("confirm") != Some("yes") {
        return Ok(redirect_with_flash(
            state,
            &back,
            Flash::error("Tick “Yes, cancel my booking” to cancel it."),
        ));
    }
    let reason = form.get("reason").unwrap_or("");
    let flash = match service::cancel_by_customer(state, &booking, reason).await? {
        Some(refund) if refund > 0 => Flash::success(format!(
            "Your booking is cancelled and {} of the deposit is on its way back to you. An email confirms it.",
            crate::money::Money::of_code(refund, &booking.currency)
        )),
        Some(_) => Flash::success("Your booking is cancelled. An email confirms it."),
        None => Flash::error("This booking can no longer be cancelled online. Contact the studio."),
    };
    Ok(redirect_with_flash(state, &back, flash))
}

/// `GET /account/bookings`: the signed-in customer's bookings, upcoming first.
#[handler]
pub async fn account_bookings(
    ctx: Ctx,
    CurrentUser(user): CurrentUser,
    Data(state): Data<&AppState>,
) -> AppResult<Response> {
    let mut bookings = store::of_user(state.db.pool(), &user.id).await?;
    let now = now();
    let (mut upcoming, past): (Vec<_>, Vec<_>) = bookings.drain(..).partition(|b| b.ends_at > now);
    upcoming.reverse();
    let links = |list: &[super::model::Booking]| -> Vec<(super::model::Booking, String)> {
        list.iter()
            .map(|b| (b.clone(), service::manage_path(state, b)))
            .collect()
    };
    let zone = &state.settings.time_zone;
    Ok(views::account_bookings(&ctx, zone, &links(&upcoming), &links(&past)).into_response())
}

/// The booking behind a link, its type, and whether its customer may move it now.
async fn movable(state: &AppState, id: &str, sig: &str) -> AppResult<(Booking, Option<Bookable>)> {
    let booking = service::by_link(state, id, sig).await?;
    if !reschedule::customer_may_move(&booking, now()) {
        return Ok((booking, None));
    }
    let b = service::bookable_of(state, &booking).await?;
    Ok((booking, b))
}

fn not_movable(state: &AppState, booking: &Booking) -> Response {
    redirect_with_flash(
        state,
        &service::manage_path(state, booking),
        Flash::error("This booking can no longer be moved online. Contact the studio."),
    )
}

/// `GET /bookings/{id}/{sig}/reschedule?month=&day=`: the calendar for a new time (its own
/// time is free to it); with `?start=`, the new time to confirm.
#[handler]
pub async fn reschedule_picker(
    req: &Request,
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
    form: FormPairs,
) -> AppResult<Response> {
    let (booking, b) = movable(state, &id, &sig).await?;
    let Some(b) = b else {
        return Ok(not_movable(state, &booking));
    };
    let manage = service::manage_path(state, &booking);
    let target = Target {
        b: &b,
        route: views::PickerRoute::moving(&manage),
        moving: Some(&booking),
    };
    if form.get("start").is_some() {
        return match offered(state, &b, &form).await? {
            Ok(slot) => {
                let zone = &state.settings.time_zone;
                Ok(views::reschedule_confirm(&ctx, zone, &booking, &manage, &slot).into_response())
            }
            Err((status, why)) => {
                back_to_picker(req, &ctx, state, &target, &form, &why, status).await
            }
        };
    }
    let p = picker_parts(state, &b, &form, None).await?;
    let view = p.view(&b, &target.route, state);
    Ok(picker_markup(
        req,
        &ctx,
        &view,
        StatusCode::OK,
        Some(&booking),
    ))
}

/// `POST /bookings/{id}/{sig}/reschedule` (`start`, `confirm=yes`): moves the booking. The
/// loser of a race gets the day's fresh times and a sentence.
#[handler]
pub async fn move_booking(
    req: &Request,
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
    form: FormPairs,
) -> AppResult<Response> {
    let (booking, b) = movable(state, &id, &sig).await?;
    let Some(b) = b else {
        return Ok(not_movable(state, &booking));
    };
    let manage = service::manage_path(state, &booking);
    let target = Target {
        b: &b,
        route: views::PickerRoute::moving(&manage),
        moving: Some(&booking),
    };
    let start = form.get("start").and_then(|s| s.parse::<i64>().ok());
    let (Some(start), Some("yes")) = (start, form.get("confirm")) else {
        let why = "Choose a new time, then confirm it.";
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return back_to_picker(req, &ctx, state, &target, &form, why, status).await;
    };
    match reschedule::reschedule(state, &booking, start, Mover::Customer).await? {
        Ok(moved) => {
            let zone = &state.settings.time_zone;
            let when = super::emails::span_label(zone, moved.starts_at, moved.ends_at);
            Ok(redirect_with_flash(
                state,
                &manage,
                Flash::success(format!(
                    "Moved to {when}. An email with the new time is on its way."
                )),
            ))
        }
        Err(NotMoved::Unavailable(why)) => {
            let (status, sentence) = unavailable(state, why);
            back_to_picker(req, &ctx, state, &target, &form, &sentence, status).await
        }
        Err(NotMoved::NotMovable) => Ok(not_movable(state, &booking)),
        Err(NotMoved::Changed) => Ok(redirect_with_flash(
            state,
            &manage,
            Flash::error("The booking changed meanwhile. Here it is as it stands."),
        )),
    }
}

/// `POST /bookings/{id}/{sig}/files?csrf_token=…` (multipart, one `file`): attaches a reference
/// file to the booking; back to its page with a sentence either way.
#[handler]
pub async fn add_file(
    req: &Request,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
    multipart: poem::web::Multipart,
) -> AppResult<Response> {
    let booking = service::by_link(state, &id, &sig).await?;
    let back = service::manage_path(state, &booking);
    let flash = match super::files::receive(state, req, &booking, multipart).await? {
        Ok(file) => Flash::success(format!("{} is with the studio now.", file.file_name)),
        Err(super::files::Refused(why)) => Flash::error(why),
    };
    Ok(redirect_with_flash(state, &back, flash))
}
