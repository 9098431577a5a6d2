//! The booking pages' handlers.

use jiff::Timestamp;
use jiff::civil::Date;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{IntoResponse as _, Request, Response, handler};

use super::availability::{Slot, Unavailable};
use super::deposits::{self, DepositStart};
use super::model::{Booking, Status};
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

async fn bookable(state: &AppState, slug: &str) -> AppResult<Bookable> {
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
    picker_response(req, &ctx, state, &b, &form, None, StatusCode::OK).await
}

async fn picker_response(
    req: &Request,
    ctx: &crate::http::context::RequestContext,
    state: &AppState,
    b: &Bookable,
    form: &FormPairs,
    notice: Option<&str>,
    status: StatusCode,
) -> AppResult<Response> {
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
    let slots: Vec<Slot> = match day {
        Some(d) => service::free_slots(state, b, d).await?,
        None => Vec::new(),
    };
    let previous = month
        .checked_sub(jiff::Span::new().months(1))
        .ok()
        .filter(|m| *m >= today.first_of_month());
    let next = month
        .checked_add(jiff::Span::new().months(1))
        .ok()
        .filter(|m| *m <= last.first_of_month());
    let p = views::Picker {
        kind: b,
        zone: &state.settings.time_zone,
        month,
        free_days: &free_days,
        today,
        previous,
        next,
        day: day.map(|d| (d, slots.as_slice())),
        notice: notice.as_deref(),
    };
    let markup = if wants_fragment(req, "booking-picker") {
        views::picker(&p)
    } else {
        views::picker_page(ctx, &p)
    };
    let mut resp = with_status(markup, status);
    vary_on_htmx(&mut resp);
    Ok(resp)
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

/// Back to the picker on the start's day, with a sentence, when a time cannot be booked.
async fn back_to_picker(
    req: &Request,
    ctx: &crate::http::context::RequestContext,
    state: &AppState,
    b: &Bookable,
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
    picker_response(req, ctx, state, b, &pairs, Some(why), status).await
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
            return back_to_picker(req, &ctx, state, &b, &form, &why, status).await;
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
            return back_to_picker(req, &ctx, state, &b, &form, &why, status).await;
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
    let b = bookable(state, &slug).await?;
    let d = details_of(&form);
    let Some(start) = form.get("start").and_then(|s| s.parse::<i64>().ok()) else {
        return back_to_picker(
            req,
            &ctx,
            state,
            &b,
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
                    return back_to_picker(req, &ctx, state, &b, &form, &why, status).await;
                }
            };
            let zone = &state.settings.time_zone;
            Ok(with_status(
                views::details_page(&ctx, &b, zone, &slot, &d, &errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(NotPlaced::Unavailable(why)) => {
            let (status, sentence) = match why {
                Unavailable::Taken { .. } => (
                    StatusCode::CONFLICT,
                    "Someone booked that time a moment ago. Here are the times still free."
                        .to_owned(),
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
            };
            back_to_picker(req, &ctx, state, &b, &form, &sentence, status).await
        }
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
    let mut resp =
        views::booking_page(&ctx, zone, &booking, &manage, open, arrival).into_response();
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
