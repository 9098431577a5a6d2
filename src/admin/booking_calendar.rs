//! The admin's booking calendar: a week with a lane per resource, or a month, server-rendered
//! in the studio's zone; each booking a link to its page, today marked. It reads only the
//! bookings of the window shown, so its cost follows the window, not the diary.

use std::collections::BTreeMap;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use maud::{Markup, html};
use poem::web::Data;
use poem::{IntoResponse as _, Response, handler};

use crate::bookings::model::{DiaryEntry as Booking, ResourceRow};
use crate::bookings::store;
use crate::error::AppResult;
use crate::http::context::RequestContext;
use crate::http::extract::{AdminUser, Ctx};
use crate::http::form::FormPairs;
use crate::state::AppState;
use crate::views::admin::admin_page;

/// Most bookings one view lists (a month of a busy studio is far below it).
const MAX_SHOWN: i64 = 2_000;

/// Week or month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Week,
    Month,
}

impl View {
    fn as_str(self) -> &'static str {
        match self {
            Self::Week => "week",
            Self::Month => "month",
        }
    }
}

/// The first instant of `day` in the studio's zone, as epoch seconds.
fn day_start(zone: &TimeZone, day: Date) -> i64 {
    day.to_zoned(zone.clone())
        .map_or(0, |z| z.timestamp().as_second())
}

fn local(zone: &TimeZone, secs: i64) -> Option<jiff::Zoned> {
    Timestamp::from_second(secs)
        .ok()
        .map(|t| t.to_zoned(zone.clone()))
}

fn href(view: View, day: Date) -> String {
    format!("/admin/calendar?view={}&date={day}", view.as_str())
}

/// The bookings whose time touches `day`.
fn on_day<'b>(
    zone: &TimeZone,
    bookings: impl IntoIterator<Item = &'b Booking>,
    day: Date,
) -> Vec<&'b Booking> {
    let from = day_start(zone, day);
    let to = day
        .tomorrow()
        .map_or(from + 86_400, |next| day_start(zone, next));
    bookings
        .into_iter()
        .filter(|b| b.starts_at < to && b.ends_at > from)
        .collect()
}

fn chip(zone: &TimeZone, b: &Booking) -> Markup {
    let start = local(zone, b.starts_at).map(|z| z.strftime("%H:%M").to_string());
    html! {
        a class=(format!("cal-booking status-{}", b.status.as_str())) href=(format!("/admin/booking/{}", b.id))
            title=(format!("{} · {} · {}", b.reference, b.type_name, b.status.label())) {
            @if let Some(start) = start { span.cal-time { (start) } " " }
            (b.type_name) " · " (b.name)
        }
    }
}

/// `GET /admin/calendar?view=week|month&date=YYYY-MM-DD`.
#[handler]
pub async fn show(
    ctx: Ctx,
    _admin: AdminUser,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let zone = &state.settings.time_zone;
    let today = Timestamp::now().to_zoned(zone.clone()).date();
    let view = match form.get("view") {
        Some("month") => View::Month,
        _ => View::Week,
    };
    let date = form
        .get("date")
        .and_then(|d| d.parse::<Date>().ok())
        .unwrap_or(today);
    let (first, days) = match view {
        View::Week => {
            let monday = date
                .checked_sub(Span::new().days(i64::from(date.weekday().to_monday_zero_offset())))
                .unwrap_or(date);
            (monday, 7)
        }
        View::Month => (date.first_of_month(), i64::from(date.days_in_month())),
    };
    let last = first.checked_add(Span::new().days(days)).unwrap_or(first);
    let window = (day_start(zone, first), day_start(zone, last));
    let pool = state.db.pool();
    let bookings = store::in_window(pool, window, MAX_SHOWN).await?;
    let markup = match view {
        View::Week => {
            let resources = store::resources(pool).await?;
            let claims = store::claims_in_window(pool, window).await?;
            week(&ctx, zone, today, first, &bookings, &resources, &claims)
        }
        View::Month => month(&ctx, zone, today, first, &bookings),
    };
    Ok(markup.into_response())
}

fn header(view: View, first: Date, title: &str) -> Markup {
    let step = match view {
        View::Week => Span::new().weeks(1),
        View::Month => Span::new().months(1),
    };
    let previous = first.checked_sub(step).unwrap_or(first);
    let next = first.checked_add(step).unwrap_or(first);
    html! {
        div.page-header {
            h1 { "Calendar" }
            p.lead { (title) }
            div.form-actions {
                a.button.button-small.button-secondary href=(href(view, previous)) rel="prev" { "← Previous" }
                a.button.button-small.button-secondary href=(format!("/admin/calendar?view={}", view.as_str())) { "Today" }
                a.button.button-small.button-secondary href=(href(view, next)) rel="next" { "Next →" }
                @match view {
                    View::Week => a.button.button-small.button-ghost href=(href(View::Month, first)) { "Month view" },
                    View::Month => a.button.button-small.button-ghost href=(href(View::Week, first)) { "Week view" },
                }
                a.button.button-small.button-primary href="/admin/bookings/new" { "Book for a customer" }
            }
        }
    }
}

/// A week: a column per day, a lane per resource, and a lane for bookings that claim none.
fn week(
    ctx: &RequestContext,
    zone: &TimeZone,
    today: Date,
    monday: Date,
    bookings: &[Booking],
    resources: &[ResourceRow],
    claims: &[(String, String)],
) -> Markup {
    let days: Vec<Date> = (0..7)
        .filter_map(|i| monday.checked_add(Span::new().days(i)).ok())
        .collect();
    let mut lanes: BTreeMap<&str, Vec<&Booking>> = BTreeMap::new();
    let by_id: BTreeMap<&str, &Booking> = bookings.iter().map(|b| (b.id.as_str(), b)).collect();
    for (booking_id, resource_id) in claims {
        if let Some(b) = by_id.get(booking_id.as_str()) {
            lanes.entry(resource_id.as_str()).or_default().push(b);
        }
    }
    let claimed: std::collections::BTreeSet<&str> =
        claims.iter().map(|(b, _)| b.as_str()).collect();
    let unclaimed: Vec<&Booking> = bookings
        .iter()
        .filter(|b| !claimed.contains(b.id.as_str()))
        .collect();
    let title = format!(
        "Week of {} ({})",
        monday.strftime("%-d %B %Y"),
        crate::bookings::emails::zone_label(zone)
    );
    let lane = |list: &[&Booking], day: Date| -> Markup {
        html! { @for b in on_day(zone, list.iter().copied(), day) { (chip(zone, b)) } }
    };
    let none: Vec<&Booking> = Vec::new();
    admin_page(
        ctx,
        "Calendar",
        "/admin/calendar",
        html! {
            (header(View::Week, monday, &title))
            div.table-scroll tabindex="0" role="region" aria-label=(title) {
                table.table.cal-week {
                    caption.visually-hidden { (title) ", a row per resource" }
                    thead {
                        tr {
                            th scope="col" { "Resource" }
                            @for d in &days {
                                th scope="col" class=[(*d == today).then_some("is-today")] {
                                    (d.strftime("%a %-d %b"))
                                    @if *d == today { " " span.badge { "Today" } }
                                }
                            }
                        }
                    }
                    tbody {
                        @for r in resources {
                            @let list = lanes.get(r.id.as_str()).unwrap_or(&none);
                            tr {
                                th scope="row" { (r.name) span.muted { " · " (r.capacity) } }
                                @for d in &days {
                                    td class=[(*d == today).then_some("is-today")] { (lane(list, *d)) }
                                }
                            }
                        }
                        @if !unclaimed.is_empty() {
                            tr {
                                th scope="row" { "No resource" }
                                @for d in &days {
                                    td class=[(*d == today).then_some("is-today")] { (lane(&unclaimed, *d)) }
                                }
                            }
                        }
                    }
                }
            }
            p.hint { "Each booking links to its page. Cancelled and expired bookings are not shown." }
        },
    )
}

/// A month: a cell per day with its bookings.
fn month(
    ctx: &RequestContext,
    zone: &TimeZone,
    today: Date,
    first: Date,
    bookings: &[Booking],
) -> Markup {
    let offset = i64::from(first.weekday().to_monday_zero_offset());
    let days = i64::from(first.days_in_month());
    let weeks = (offset + days + 6) / 7;
    let title = format!(
        "{} ({})",
        first.strftime("%B %Y"),
        crate::bookings::emails::zone_label(zone)
    );
    admin_page(
        ctx,
        "Calendar",
        "/admin/calendar",
        html! {
            (header(View::Month, first, &title))
            div.table-scroll tabindex="0" role="region" aria-label=(title) {
                table.table.cal-month {
                    caption.visually-hidden { (title) }
                    thead { tr { @for w in [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday, Weekday::Saturday, Weekday::Sunday] {
                        th scope="col" { (format!("{w:?}").chars().take(3).collect::<String>()) }
                    } } }
                    tbody {
                        @for week in 0..weeks {
                            tr {
                                @for col in 0..7 {
                                    @let n = week * 7 + col - offset;
                                    @if n < 0 || n >= days {
                                        td.cal-pad {}
                                    } @else {
                                        @let day = first.checked_add(Span::new().days(n)).unwrap_or(first);
                                        td class=[(day == today).then_some("is-today")] {
                                            a.cal-day href=(href(View::Week, day)) aria-current=[(day == today).then_some("date")] { (day.day()) }
                                            @for b in on_day(zone, bookings, day) { (chip(zone, b)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.hint { "A day's number opens its week. Cancelled and expired bookings are not shown." }
        },
    )
}
