//! The bookings domain's types: what can be booked (rows of the rules tables and their reading
//! as [`availability`] values), a booking, and its state machine.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use super::availability::{
    BookingLength, BookingType, Busy, DateOverride, DayHours, ResourceId, StudioRules, WeeklyHours,
};

/// The longest a booking may occupy a resource, buffers included (62 days): placing or moving
/// a longer one is refused, so every query of the bookings around a time can bound its
/// index scan on both sides (its cost follows the window, not the diary).
pub const MAX_OCCUPIED_SECS: i64 = 62 * 86_400;

/// Where a booking's life stands. Moves only through [`Status::can_move_to`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A deposit's checkout is open: the slot is blocked until the hold expires.
    Held,
    /// Waiting for staff to confirm.
    Pending,
    Confirmed,
    Completed,
    NoShow,
    Cancelled,
    /// A hold or a pending request that lapsed.
    Expired,
}

impl Status {
    /// Every status, in the order staff read them.
    pub const ALL: [Status; 7] = [
        Status::Held,
        Status::Pending,
        Status::Confirmed,
        Status::Completed,
        Status::NoShow,
        Status::Cancelled,
        Status::Expired,
    ];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Completed => "completed",
            Self::NoShow => "no_show",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }

    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Held => "Awaiting deposit",
            Self::Pending => "Awaiting confirmation",
            Self::Confirmed => "Confirmed",
            Self::Completed => "Completed",
            Self::NoShow => "No-show",
            Self::Cancelled => "Cancelled",
            Self::Expired => "Expired",
        }
    }

    /// Parses a stored status.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// A booking in this status keeps its time and resources from others.
    pub fn blocks_time(self) -> bool {
        matches!(self, Self::Held | Self::Pending | Self::Confirmed)
    }

    /// The state machine: `held → confirmed` (the deposit paid), `pending → confirmed` (staff),
    /// `confirmed → completed | no_show | cancelled`, `held | pending → expired | cancelled`.
    pub fn can_move_to(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Held, Confirmed)
                | (Pending, Confirmed)
                | (Confirmed, Completed | NoShow | Cancelled)
                | (Held | Pending, Expired | Cancelled)
        )
    }
}

impl TryFrom<String> for Status {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("unknown booking status {raw:?}"))
    }
}

/// Where a booking happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// At the studio.
    Studio,
    /// At the client's address (the form asks for it).
    Client,
    /// A video call (the link comes by email).
    Video,
}

impl Location {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Studio => "studio",
            Self::Client => "client",
            Self::Video => "video",
        }
    }

    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Studio => "At the studio",
            Self::Client => "At your location",
            Self::Video => "Video call",
        }
    }

    /// Parses a stored or submitted value.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Studio, Self::Client, Self::Video]
            .into_iter()
            .find(|l| l.as_str() == raw.trim())
    }
}

/// A booking type as stored.
#[derive(Debug, Clone, FromRow)]
pub struct BookingTypeRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// `minutes`, `half_day`, `full_day` or `days`.
    pub length_kind: String,
    /// Minutes (`minutes`) or working days (`days`).
    pub length_value: i64,
    #[sqlx(try_from = "crate::db::Flag")]
    pub skip_closed_days: bool,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub min_notice_minutes: i64,
    pub horizon_days: i64,
    pub slot_step_minutes: i64,
    /// Confirmed at once, or waits for staff.
    #[sqlx(try_from = "crate::db::Flag")]
    pub auto_confirm: bool,
    pub price_minor: i64,
    pub currency: String,
    /// `none`, `fixed` or `percent`.
    pub deposit_kind: String,
    pub deposit_value: i64,
    pub refund_full_days: i64,
    pub self_service_cutoff_hours: i64,
    /// Comma-separated [`Location`]s.
    pub locations: String,
    #[sqlx(try_from = "crate::db::Flag")]
    pub active: bool,
    pub sort_order: i64,
}

/// Columns of [`BookingTypeRow`].
pub const TYPE_COLUMNS: &str = "id, slug, name, description, length_kind, length_value, \
     skip_closed_days, buffer_before_minutes, buffer_after_minutes, min_notice_minutes, \
     horizon_days, slot_step_minutes, auto_confirm, price_minor, currency, deposit_kind, \
     deposit_value, refund_full_days, self_service_cutoff_hours, locations, active, sort_order";

fn minutes_u32(value: i64) -> u32 {
    u32::try_from(value.clamp(0, i64::from(u32::MAX))).unwrap_or(0)
}

impl BookingTypeRow {
    /// How long a booking lasts, or none when the row is inconsistent (a zero length).
    pub fn length(&self) -> Option<BookingLength> {
        let value = NonZeroU32::new(minutes_u32(self.length_value));
        match self.length_kind.as_str() {
            "minutes" => value.map(BookingLength::Minutes),
            "half_day" => Some(BookingLength::HalfDay),
            "full_day" => Some(BookingLength::FullDay),
            "days" => value.map(BookingLength::Days),
            _ => None,
        }
    }

    /// "30 minutes", "Half a day", "2 days".
    pub fn length_label(&self) -> String {
        match self.length() {
            Some(BookingLength::Minutes(m)) if m.get() % 60 == 0 => match m.get() / 60 {
                1 => "1 hour".to_owned(),
                h => format!("{h} hours"),
            },
            Some(BookingLength::Minutes(m)) => format!("{m} minutes"),
            Some(BookingLength::HalfDay) => "Half a day".to_owned(),
            Some(BookingLength::FullDay) => "A full day".to_owned(),
            Some(BookingLength::Days(d)) => format!("{d} days"),
            None => "—".to_owned(),
        }
    }

    /// How many days past a candidate's start the bookings that could meet it are looked for:
    /// two for types within a day (a day's span and buffers of at most a day), 62 for
    /// multi-day types (their days, with closed days possibly skipped between). Placement
    /// re-checks around the exact slot, so this only bounds what the calendar reads.
    pub fn reach_days(&self) -> i64 {
        match self.length() {
            Some(BookingLength::Days(_)) => MAX_OCCUPIED_SECS / 86_400,
            _ => 2,
        }
    }

    /// Where it may happen.
    pub fn location_list(&self) -> Vec<Location> {
        self.locations
            .split(',')
            .filter_map(Location::parse)
            .collect()
    }

    /// The deposit a booking of this type pays, in minor units.
    pub fn deposit_minor(&self) -> i64 {
        match self.deposit_kind.as_str() {
            "fixed" => self.deposit_value.min(self.price_minor),
            "percent" => self.price_minor * self.deposit_value.clamp(0, 100) / 100,
            _ => 0,
        }
    }

    /// The availability computation's view of this type, its resources numbered by `numbers`
    /// (none when the row is inconsistent).
    pub fn availability(
        &self,
        resources: &[String],
        numbers: &BTreeMap<String, ResourceId>,
    ) -> Option<BookingType> {
        let mut t = BookingType::new(self.length()?);
        t.skip_closed_days = self.skip_closed_days;
        t.buffer_before_minutes = minutes_u32(self.buffer_before_minutes);
        t.buffer_after_minutes = minutes_u32(self.buffer_after_minutes);
        t.minimum_notice = SignedDuration::from_mins(self.min_notice_minutes.max(0));
        t.horizon_days = minutes_u32(self.horizon_days);
        t.slot_step_minutes = NonZeroU32::new(minutes_u32(self.slot_step_minutes))?;
        t.resources = resources
            .iter()
            .map(|r| numbers.get(r).copied())
            .collect::<Option<Vec<_>>>()?;
        Some(t)
    }

    /// The cancellation policy a booking made now keeps.
    pub fn policy(&self) -> Policy {
        Policy {
            refund_full_days: self.refund_full_days,
            self_service_cutoff_hours: self.self_service_cutoff_hours,
        }
    }
}

/// The cancellation policy, snapshotted on each booking (JSON in `bookings.policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The deposit is refunded in full when cancelled at least this many days before.
    pub refund_full_days: i64,
    /// Customers manage the booking themselves until this many hours before it starts.
    pub self_service_cutoff_hours: i64,
}

impl Policy {
    /// The refund due on `deposit_minor` when cancelled at `now` before `starts_at` (seconds).
    pub fn refund_due(&self, deposit_minor: i64, starts_at: i64, now: i64) -> i64 {
        if starts_at - now >= self.refund_full_days * 86_400 {
            deposit_minor
        } else {
            0
        }
    }

    /// Whether the customer may still cancel or move the booking themselves.
    pub fn self_service_open(&self, starts_at: i64, now: i64) -> bool {
        starts_at - now >= self.self_service_cutoff_hours * 3600
    }

    /// In words, for the booking pages and emails (the deposit sentence only when there is one).
    pub fn describe(&self, deposit_minor: i64) -> String {
        let own = format!(
            "You can cancel the booking yourself until {} hours before it starts.",
            self.self_service_cutoff_hours
        );
        if deposit_minor > 0 {
            format!(
                "Cancel at least {} days before the start and the deposit is refunded in full; \
                 later, it is kept. {own}",
                self.refund_full_days
            )
        } else {
            own
        }
    }
}

/// A bookable resource as stored.
#[derive(Debug, Clone, FromRow)]
pub struct ResourceRow {
    pub id: String,
    pub name: String,
    /// `room`, `crew` or `kit`.
    pub kind: String,
    pub capacity: i64,
    #[sqlx(try_from = "crate::db::Flag")]
    pub active: bool,
}

/// One interval of weekly hours as stored.
#[derive(Debug, Clone, FromRow)]
pub struct OpeningRow {
    pub id: String,
    /// 1 = Monday .. 7 = Sunday.
    pub weekday: i64,
    /// `HH:MM`.
    pub opens: String,
    /// `HH:MM` (`00:00`: midnight at the end of the day).
    pub closes: String,
}

/// One row of a date's override as stored.
#[derive(Debug, Clone, FromRow)]
pub struct OverrideRow {
    pub id: String,
    /// `YYYY-MM-DD`.
    pub day: String,
    #[sqlx(try_from = "crate::db::Flag")]
    pub closed: bool,
    pub opens: Option<String>,
    pub closes: Option<String>,
    pub note: String,
}

/// Parses `HH:MM`.
pub fn parse_hm(raw: &str) -> Option<Time> {
    let (h, m) = raw.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

fn weekday_of(n: i64) -> Option<Weekday> {
    Weekday::from_monday_one_offset(i8::try_from(n).ok()?).ok()
}

/// The studio's rules as read from the tables: hours, overrides and every resource, numbered.
#[derive(Debug, Clone)]
pub struct Rules {
    pub studio: StudioRules,
    /// Resource id → its number in [`StudioRules::capacities`].
    pub numbers: BTreeMap<String, ResourceId>,
}

impl Rules {
    /// Reads the rows. Rows that do not parse (which the admin's validation refuses) are
    /// skipped rather than failing every page.
    pub fn from_rows(
        zone: TimeZone,
        hours: &[OpeningRow],
        overrides: &[OverrideRow],
        resources: &[ResourceRow],
    ) -> Rules {
        let mut weekly = WeeklyHours::closed();
        for day in 1..=7 {
            let intervals: Vec<(Time, Time)> = hours
                .iter()
                .filter(|h| h.weekday == day)
                .filter_map(|h| Some((parse_hm(&h.opens)?, parse_hm(&h.closes)?)))
                .collect();
            if let (Some(weekday), Ok(hours)) = (weekday_of(day), DayHours::new(&intervals)) {
                weekly.set(weekday, hours);
            }
        }
        let mut studio = StudioRules::new(zone, weekly);
        let mut by_day: BTreeMap<Date, Vec<&OverrideRow>> = BTreeMap::new();
        for o in overrides {
            if let Ok(day) = o.day.parse::<Date>() {
                by_day.entry(day).or_default().push(o);
            }
        }
        for (day, rows) in by_day {
            let ov = if rows.iter().any(|r| r.closed) {
                DateOverride::Closed
            } else {
                let intervals: Vec<(Time, Time)> = rows
                    .iter()
                    .filter_map(|r| {
                        Some((
                            parse_hm(r.opens.as_deref()?)?,
                            parse_hm(r.closes.as_deref()?)?,
                        ))
                    })
                    .collect();
                match DayHours::new(&intervals) {
                    Ok(h) => DateOverride::Hours(h),
                    Err(_) => DateOverride::Closed,
                }
            };
            studio.overrides.insert(day, ov);
        }
        let mut numbers = BTreeMap::new();
        for (n, r) in resources.iter().enumerate() {
            let id = ResourceId(i64::try_from(n).unwrap_or(i64::MAX));
            numbers.insert(r.id.clone(), id);
            // An inactive resource has no capacity: types that need it offer nothing.
            let capacity = if r.active {
                u32::try_from(r.capacity.clamp(0, 100)).unwrap_or(0)
            } else {
                0
            };
            studio.capacities.insert(id, capacity);
        }
        Rules { studio, numbers }
    }
}

/// A booking's occupation of one resource, as the availability computation reads it.
#[derive(Debug, Clone, FromRow)]
pub struct ClaimRow {
    pub booking_id: String,
    pub resource_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
}

/// Groups claims by booking into [`Busy`] entries (resources numbered by `numbers`).
pub fn busy_from_claims(claims: &[ClaimRow], numbers: &BTreeMap<String, ResourceId>) -> Vec<Busy> {
    let mut by_booking: BTreeMap<&str, Busy> = BTreeMap::new();
    for c in claims {
        let Some(resource) = numbers.get(&c.resource_id).copied() else {
            continue;
        };
        let (Ok(start), Ok(end)) = (
            Timestamp::from_second(c.starts_at),
            Timestamp::from_second(c.ends_at),
        ) else {
            continue;
        };
        by_booking
            .entry(&c.booking_id)
            .or_insert_with(|| Busy {
                start,
                end,
                buffer_before_minutes: minutes_u32(c.buffer_before_minutes),
                buffer_after_minutes: minutes_u32(c.buffer_after_minutes),
                resources: Vec::new(),
            })
            .resources
            .push(resource);
    }
    by_booking.into_values().collect()
}

/// A booking as stored.
#[derive(Debug, Clone, FromRow)]
pub struct Booking {
    pub id: String,
    /// `BK-000123`.
    pub reference: String,
    pub booking_type_id: String,
    pub type_name: String,
    #[sqlx(try_from = "String")]
    pub status: Status,
    /// Epoch seconds.
    pub starts_at: i64,
    /// Epoch seconds.
    pub ends_at: i64,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub user_id: Option<String>,
    pub name: String,
    pub email: String,
    pub phone: String,
    /// A [`Location`].
    pub location: String,
    pub address: String,
    pub customer_notes: String,
    pub staff_notes: String,
    pub currency: String,
    pub price_minor: i64,
    pub deposit_minor: i64,
    /// JSON [`Policy`].
    pub policy: String,
    pub sequence: i64,
    pub hold_expires_at: Option<i64>,
    /// What staff must look at (a late or mismatched deposit, a failed refund).
    pub attention: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub cancelled_at: Option<i64>,
    pub cancel_reason: String,
}

/// A booking as the staff's calendar shows it.
#[derive(Debug, Clone, FromRow)]
pub struct DiaryEntry {
    pub id: String,
    pub reference: String,
    pub type_name: String,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub starts_at: i64,
    pub ends_at: i64,
    /// The customer's name.
    pub name: String,
}

/// Columns of [`Booking`].
pub const BOOKING_COLUMNS: &str = "id, reference, booking_type_id, type_name, status, starts_at, \
     ends_at, buffer_before_minutes, buffer_after_minutes, user_id, name, email, phone, location, \
     address, customer_notes, staff_notes, currency, price_minor, deposit_minor, policy, sequence, \
     hold_expires_at, attention, version, created_at, updated_at, cancelled_at, cancel_reason";

impl Booking {
    /// The policy it was made under (the type's defaults if the snapshot cannot be read).
    pub fn policy(&self) -> Policy {
        serde_json::from_str(&self.policy).unwrap_or(Policy {
            refund_full_days: 7,
            self_service_cutoff_hours: 24,
        })
    }

    /// Where it happens.
    pub fn location(&self) -> Option<Location> {
        Location::parse(&self.location)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_machine_allows_only_its_moves() {
        use Status::*;
        let allowed: Vec<(Status, Status)> = Status::ALL
            .into_iter()
            .flat_map(|a| Status::ALL.into_iter().map(move |b| (a, b)))
            .filter(|(a, b)| a.can_move_to(*b))
            .collect();
        assert_eq!(
            allowed,
            vec![
                (Held, Confirmed),
                (Held, Cancelled),
                (Held, Expired),
                (Pending, Confirmed),
                (Pending, Cancelled),
                (Pending, Expired),
                (Confirmed, Completed),
                (Confirmed, NoShow),
                (Confirmed, Cancelled),
            ]
        );
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn the_policy_refunds_in_full_only_early_enough() {
        let p = Policy {
            refund_full_days: 7,
            self_service_cutoff_hours: 24,
        };
        let start = 1_000_000_000;
        assert_eq!(p.refund_due(5000, start, start - 7 * 86_400), 5000);
        assert_eq!(p.refund_due(5000, start, start - 7 * 86_400 + 1), 0);
        assert!(p.self_service_open(start, start - 24 * 3600));
        assert!(!p.self_service_open(start, start - 24 * 3600 + 1));
    }

    #[test]
    fn hours_parse_strictly() {
        assert_eq!(parse_hm("09:30"), Some(jiff::civil::time(9, 30, 0, 0)));
        for bad in ["9:30", "24:00", "09:60", "0930", "", "ab:cd"] {
            assert_eq!(parse_hm(bad), None, "{bad}");
        }
    }
}
