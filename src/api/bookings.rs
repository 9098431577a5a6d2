//! The public availability API: a day's free start times, a month's free days, and the old
//! application's `check-availability` (`{available, message}`). No credentials; rate-limited
//! per client. Every answer comes from `bookings::availability` through the same service the
//! booking pages use.

use std::sync::Arc;
use std::time::Duration;

use jiff::civil::{Date, Time};
use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, param::Query};

use super::formats::{Clock, Day, Formatted, Month, Slug};
use super::{ApiResult, state};
use crate::bookings::model::parse_hm;
use crate::bookings::service::{self, Bookable};
use crate::error::AppError;
use crate::http::context::RequestContext;
use crate::rate_limit::{self, Limit};
use crate::state::AppState;

/// Availability questions per client per minute (`AVAILABILITY_RATE_LIMIT_PER_MINUTE`).
fn per_client(state: &AppState) -> Limit {
    Limit {
        name: "availability-client",
        max: state.settings.availability_rate_limit_per_minute,
        window: Duration::from_secs(60),
    }
}

/// The public availability operations.
pub struct AvailabilityApi;

/// One free start.
#[derive(Debug, Object)]
pub struct FreeSlot {
    /// The start in the studio's time zone, `HH:MM` (for example `10:30`).
    pub local: String,
    /// The start as an RFC 3339 UTC instant.
    pub start_utc: String,
    /// The end as an RFC 3339 UTC instant.
    pub end_utc: String,
}

/// A day's free starts.
#[derive(Debug, Object)]
pub struct DayAvailability {
    /// The booking type (its slug).
    pub booking_type: String,
    /// The day, `YYYY-MM-DD`, in the studio's time zone.
    pub date: String,
    /// The studio's IANA time zone.
    pub time_zone: String,
    /// Free starts, earliest first.
    pub slots: Vec<FreeSlot>,
    /// Why there are none, when the day cannot have any (passed, beyond the horizon).
    pub message: Option<String>,
}

/// A month's days with at least one free start.
#[derive(Debug, Object)]
pub struct MonthAvailability {
    /// The booking type (its slug).
    pub booking_type: String,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// The studio's IANA time zone.
    pub time_zone: String,
    /// Days with a free start, `YYYY-MM-DD`.
    pub days: Vec<String>,
}

/// The old API's answer.
#[derive(Debug, Object)]
pub struct CheckAnswer {
    /// Whether the time can be booked now.
    pub available: bool,
    /// Why not, or that it can.
    pub message: String,
}

async fn limited(req: &Request, state: &AppState) -> Result<(), AppError> {
    let key = req
        .data::<Arc<RequestContext>>()
        .map_or_else(|| "unknown".to_owned(), |ctx| ctx.rate_key());
    rate_limit::hit_local(
        &state.locals.get::<rate_limit::LocalWindows>(),
        per_client(state),
        &key,
    )
}

async fn bookable(state: &AppState, slug: &str) -> Result<Bookable, AppError> {
    service::bookable_cached(state, slug)
        .await?
        .ok_or(AppError::NotFound)
}

fn parse_date(raw: &str) -> Result<Date, AppError> {
    raw.parse::<Date>()
        .map_err(|_| AppError::BadRequest(format!("{raw:?} is not a date; use YYYY-MM-DD.")))
}

#[OpenApi]
impl AvailabilityApi {
    /// Free start times of a day
    ///
    /// The free starts of `date` for the booking type `type`, in the studio's time zone and as
    /// UTC instants. A day that has passed or is beyond the type's horizon has none, and says
    /// why.
    #[oai(path = "/availability", method = "get")]
    async fn day(
        &self,
        req: &Request,
        /// The booking type's slug, as on /book.
        #[oai(name = "type")]
        booking_type: Query<Formatted<Slug>>,
        /// The day, `YYYY-MM-DD`.
        date: Query<Formatted<Day>>,
    ) -> ApiResult<Json<DayAvailability>> {
        let state = state(req)?;
        limited(req, state).await?;
        let b = bookable(state, booking_type.0.as_str()).await?;
        let day = parse_date(date.0.as_str())?;
        let today = service::studio_today(state);
        let last = today
            .checked_add(jiff::Span::new().days(b.row.horizon_days.clamp(1, 730)))
            .unwrap_or(today);
        let (slots, message) = if day < today {
            (Vec::new(), Some("That day has passed.".to_owned()))
        } else if day > last {
            let why = format!("Bookings open {} days ahead.", b.row.horizon_days);
            (Vec::new(), Some(why))
        } else {
            (service::free_slots(state, &b, day).await?, None)
        };
        Ok(Json(DayAvailability {
            booking_type: b.row.slug.clone(),
            date: day.to_string(),
            time_zone: zone_name(state),
            slots: slots
                .iter()
                .map(|s| FreeSlot {
                    local: format!("{:02}:{:02}", s.local_start.hour(), s.local_start.minute()),
                    start_utc: s.start.to_string(),
                    end_utc: s.end.to_string(),
                })
                .collect(),
            message,
        }))
    }

    /// Days of a month with a free start
    #[oai(path = "/availability/month", method = "get")]
    async fn month(
        &self,
        req: &Request,
        /// The booking type's slug, as on /book.
        #[oai(name = "type")]
        booking_type: Query<Formatted<Slug>>,
        /// The month, `YYYY-MM`.
        month: Query<Formatted<Month>>,
    ) -> ApiResult<Json<MonthAvailability>> {
        let state = state(req)?;
        limited(req, state).await?;
        let b = bookable(state, booking_type.0.as_str()).await?;
        let first = parse_date(&format!("{}-01", month.0.as_str())).map_err(|_| {
            AppError::BadRequest(format!(
                "{:?} is not a month; use YYYY-MM.",
                month.0.as_str()
            ))
        })?;
        let days = service::free_days(state, &b, first.year(), first.month()).await?;
        Ok(Json(MonthAvailability {
            booking_type: b.row.slug.clone(),
            month: first.strftime("%Y-%m").to_string(),
            time_zone: zone_name(state),
            days: days.iter().map(Date::to_string).collect(),
        }))
    }

    /// Is this time free? (the old application's check)
    ///
    /// Whether a booking of `duration` hours starting at `time` on `date` (studio time) can be
    /// made now, as the old application's booking form asked. `type` defaults to the first
    /// bookable type measured in minutes (the consultation).
    #[oai(path = "/check-availability", method = "get")]
    async fn check(
        &self,
        req: &Request,
        /// The day, `YYYY-MM-DD`.
        date: Query<Formatted<Day>>,
        /// The start, `HH:MM`, studio time.
        time: Query<Formatted<Clock>>,
        /// Hours (1 to 24).
        #[oai(validator(minimum(value = "1"), maximum(value = "24")))]
        duration: Query<i64>,
        /// A booking type's slug.
        #[oai(name = "type")]
        booking_type: Query<Option<Formatted<Slug>>>,
    ) -> ApiResult<Json<CheckAnswer>> {
        let state = state(req)?;
        limited(req, state).await?;
        let slug = match booking_type.0 {
            Some(slug) => slug.0,
            None => crate::bookings::store::active_types(state.db.pool())
                .await
                .map_err(AppError::from)?
                .into_iter()
                .find(|t| t.length_kind == "minutes")
                .map(|t| t.slug)
                .ok_or(AppError::NotFound)?,
        };
        let b = bookable(state, &slug).await?;
        let day = parse_date(date.0.as_str())?;
        let at: Time = parse_hm(time.0.as_str()).ok_or_else(|| {
            AppError::BadRequest(format!("{:?} is not a time; use HH:MM.", time.0.as_str()))
        })?;
        let verdict = service::check_local(state, &b, day, at, duration.0 * 60).await?;
        Ok(Json(match verdict {
            Ok(_) => CheckAnswer {
                available: true,
                message: "This time is available.".into(),
            },
            Err(why) => CheckAnswer {
                available: false,
                message: why.to_string(),
            },
        }))
    }
}

fn zone_name(state: &AppState) -> String {
    state
        .settings
        .time_zone
        .iana_name()
        .unwrap_or("UTC")
        .to_owned()
}
