//! Working out when something can be booked.
//!
//! This module answers three questions for the bookings domain:
//!
//! - which start times on one date are free ([`day_slots`]),
//! - which dates of a month have at least one free start ([`month_days`]),
//! - whether one exact start can be booked, and if not why ([`check`], and
//!   [`check_local`] for the older `?date=&time=&duration=` API).
//!
//! It is pure: it does no I/O and never reads the clock. The caller loads the
//! studio's rules ([`StudioRules`]), the booking type being asked about
//! ([`BookingType`]) and the bookings and holds that already exist ([`Busy`]),
//! and passes the current instant as `now`.
//!
//! # How time is handled
//!
//! Opening hours are civil (wall clock) times in the studio's time zone.
//! Everything that is stored or compared is an absolute instant
//! ([`jiff::Timestamp`]). The steps are:
//!
//! 1. Timed start times are laid out in civil time: the opening time of an
//!    interval, plus the slot step, plus the slot step again, and so on.
//! 2. Each civil start is turned into an instant in the studio's zone. A civil
//!    time that does not exist because the clocks jump forward gives no slot.
//!    A civil time that happens twice because the clocks go back is offered
//!    once, at the earlier of the two instants.
//! 3. The end of a booking is its start plus its length in real elapsed time,
//!    so a one-hour shoot across a clock change still lasts one hour.
//! 4. Opening and closing times are turned into instants the same way, except
//!    that a time inside a forward jump means the instant of the jump itself.
//!    A booking must end no later than the closing instant.
//!
//! Full-day and multi-day bookings run from an opening instant to a closing
//! instant. On the day the clocks change, a day open from midnight to
//! midnight is therefore 23 or 25 real hours long, which is intended.
//!
//! # How existing bookings block a start
//!
//! Every booking occupies its own time plus its own buffers:
//! `[start - buffer before, end + buffer after)`. A candidate is free when, for
//! each resource it needs, the largest number of existing bookings that use
//! that resource at the same moment, anywhere inside the candidate's occupied
//! interval, is below the resource's capacity. Buffers only matter against
//! other bookings: the booking itself, without buffers, has to fit the
//! opening hours.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU32;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Span, Timestamp};

/// The longest multi-day booking, counted in calendar days from its first
/// day to its last day (closed days that are skipped included).
///
/// A [`BookingLength::Days`] type that would need more calendar days than
/// this is never offered. The limit keeps every calculation short, whatever
/// the booking type says.
pub const MAX_SPAN_DAYS: u32 = 366;

/// The slot step [`BookingType::new`] starts with.
const DEFAULT_STEP_MINUTES: NonZeroU32 = match NonZeroU32::new(30) {
    Some(step) => step,
    None => NonZeroU32::MIN,
};

/// Identifies a bookable resource, such as a studio room or a camera crew.
///
/// A number the caller gives each resource when it builds the rules (the bookings store
/// numbers the resources it loads), so that the computation compares integers, not ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceId(pub i64);

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One stretch of opening time within a day, such as 09:00 to 12:00.
///
/// An interval is made through [`DayHours::new`], which checks it. The end is
/// always after the start. An end of 00:00 means midnight at the end of the
/// day, so 18:00–00:00 is open until midnight and 00:00–00:00 is the whole day.
/// An interval never runs past midnight into the next day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpeningInterval {
    start: Time,
    end: Time,
}

impl OpeningInterval {
    /// The opening time.
    pub fn start(self) -> Time {
        self.start
    }

    /// The closing time. 00:00 means midnight at the end of the day.
    pub fn end(self) -> Time {
        self.end
    }

    /// True when the interval closes at midnight at the end of the day.
    pub fn ends_at_midnight(self) -> bool {
        self.end == Time::midnight()
    }

    fn start_key(self) -> i64 {
        nanos_of_day(self.start)
    }

    fn end_key(self) -> i64 {
        if self.ends_at_midnight() {
            NANOS_PER_DAY
        } else {
            nanos_of_day(self.end)
        }
    }

    fn opens_on(self, date: Date) -> DateTime {
        date.to_datetime(self.start)
    }

    /// The civil closing date and time; `None` only past the end of the calendar.
    fn closes_on(self, date: Date) -> Option<DateTime> {
        if self.ends_at_midnight() {
            date.tomorrow()
                .ok()
                .map(|next| next.to_datetime(Time::midnight()))
        } else {
            Some(date.to_datetime(self.end))
        }
    }
}

const NANOS_PER_DAY: i64 = 86_400 * 1_000_000_000;

fn nanos_of_day(time: Time) -> i64 {
    i64::from(time.hour()) * 3_600_000_000_000
        + i64::from(time.minute()) * 60_000_000_000
        + i64::from(time.second()) * 1_000_000_000
        + i64::from(time.subsec_nanosecond())
}

/// The opening hours of one day: zero or more intervals that do not overlap.
///
/// No intervals means the studio is closed. The intervals are kept sorted by
/// opening time, and intervals that touch (12:00–13:00 and 13:00–14:00) are
/// joined into one, since the studio is open without a break.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayHours {
    intervals: Vec<OpeningInterval>,
}

/// The shared value behind every closed day, so lookups can hand out a reference.
static CLOSED_DAY: DayHours = DayHours {
    intervals: Vec::new(),
};

impl DayHours {
    /// Checks a list of `(opening, closing)` pairs and builds the day's hours.
    ///
    /// The pairs may come in any order. An error names the position of the
    /// offending pair in `intervals` (counting from zero), so a form can mark
    /// the right field.
    ///
    /// # Errors
    ///
    /// [`HoursError::EndNotAfterStart`] when a closing time is not after its
    /// opening time, and [`HoursError::Overlap`] when two intervals share
    /// some time.
    pub fn new(intervals: &[(Time, Time)]) -> Result<DayHours, HoursError> {
        let mut indexed = Vec::with_capacity(intervals.len());
        for (index, &(start, end)) in intervals.iter().enumerate() {
            let interval = OpeningInterval { start, end };
            if interval.end_key() <= interval.start_key() {
                return Err(HoursError::EndNotAfterStart { index });
            }
            indexed.push((index, interval));
        }
        indexed.sort_by_key(|&(index, interval)| (interval.start_key(), index));
        for pair in indexed.windows(2) {
            let (first_index, first) = pair[0];
            let (second_index, second) = pair[1];
            if second.start_key() < first.end_key() {
                return Err(HoursError::Overlap {
                    first: first_index.min(second_index),
                    second: first_index.max(second_index),
                });
            }
        }
        let mut merged: Vec<OpeningInterval> = Vec::with_capacity(indexed.len());
        for (_, interval) in indexed {
            match merged.last_mut() {
                Some(last) if last.end_key() == interval.start_key() => last.end = interval.end,
                _ => merged.push(interval),
            }
        }
        Ok(DayHours { intervals: merged })
    }

    /// A day on which the studio is closed.
    pub fn closed() -> DayHours {
        DayHours::default()
    }

    /// The intervals, sorted by opening time, touching ones joined.
    pub fn intervals(&self) -> &[OpeningInterval] {
        &self.intervals
    }

    /// True when the day has no opening time at all.
    pub fn is_closed(&self) -> bool {
        self.intervals.is_empty()
    }
}

/// Why a list of opening intervals was refused by [`DayHours::new`].
///
/// Positions count from zero in the list that was given. The
/// [`fmt::Display`] text counts from one, as a person would.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoursError {
    /// The interval at `index` closes at or before the time it opens.
    EndNotAfterStart {
        /// Position of the interval in the list.
        index: usize,
    },
    /// The intervals at `first` and `second` share some time.
    Overlap {
        /// Position of one of the two intervals (the smaller position).
        first: usize,
        /// Position of the other interval (the larger position).
        second: usize,
    },
}

impl fmt::Display for HoursError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            HoursError::EndNotAfterStart { index } => write!(
                f,
                "opening interval {} must close after it opens",
                index + 1
            ),
            HoursError::Overlap { first, second } => write!(
                f,
                "opening intervals {} and {} overlap",
                first + 1,
                second + 1
            ),
        }
    }
}

impl std::error::Error for HoursError {}

/// The usual opening hours for each day of the week.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WeeklyHours {
    days: [DayHours; 7],
}

impl WeeklyHours {
    /// A week in which every day is closed; add open days with [`WeeklyHours::with`].
    pub fn closed() -> WeeklyHours {
        WeeklyHours::default()
    }

    /// Returns the week with `weekday` set to `hours`.
    pub fn with(mut self, weekday: Weekday, hours: DayHours) -> WeeklyHours {
        self.set(weekday, hours);
        self
    }

    /// Sets the hours of `weekday`.
    pub fn set(&mut self, weekday: Weekday, hours: DayHours) {
        self.days[weekday_index(weekday)] = hours;
    }

    /// The hours of `weekday`.
    pub fn on(&self, weekday: Weekday) -> &DayHours {
        &self.days[weekday_index(weekday)]
    }
}

fn weekday_index(weekday: Weekday) -> usize {
    match weekday {
        Weekday::Monday => 0,
        Weekday::Tuesday => 1,
        Weekday::Wednesday => 2,
        Weekday::Thursday => 3,
        Weekday::Friday => 4,
        Weekday::Saturday => 5,
        Weekday::Sunday => 6,
    }
}

/// A change to the usual weekly hours for one date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateOverride {
    /// The studio is closed all day, for example on a public holiday.
    Closed,
    /// The studio keeps these hours instead of the weekday's usual hours.
    Hours(DayHours),
}

/// Everything about the studio that decides availability, apart from the
/// booking type and the existing bookings.
#[derive(Clone, Debug)]
pub struct StudioRules {
    /// The studio's time zone. Opening hours and dates are read in this zone.
    pub time_zone: TimeZone,
    /// The usual hours for each weekday.
    pub weekly: WeeklyHours,
    /// Dates whose hours differ from the weekday's usual hours.
    pub overrides: BTreeMap<Date, DateOverride>,
    /// How many bookings each resource can serve at the same time.
    ///
    /// A studio room usually has 1, a pool of two crews has 2. A capacity of
    /// 0 blocks every booking that needs the resource. A booking type that
    /// needs a resource missing from this map cannot be booked at all.
    pub capacities: BTreeMap<ResourceId, u32>,
}

impl StudioRules {
    /// Rules with the given zone and weekly hours, no overrides and no resources.
    pub fn new(time_zone: TimeZone, weekly: WeeklyHours) -> StudioRules {
        StudioRules {
            time_zone,
            weekly,
            overrides: BTreeMap::new(),
            capacities: BTreeMap::new(),
        }
    }

    /// The opening hours that apply on `date`: its override if there is one,
    /// otherwise the usual hours of its weekday.
    pub fn hours_on(&self, date: Date) -> &DayHours {
        match self.overrides.get(&date) {
            Some(DateOverride::Closed) => &CLOSED_DAY,
            Some(DateOverride::Hours(hours)) => hours,
            None => self.weekly.on(date.weekday()),
        }
    }
}

/// How long a booking of some type lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookingLength {
    /// A fixed number of minutes, such as a 30-minute consultation. Starts are
    /// laid out on the type's slot step.
    Minutes(NonZeroU32),
    /// Half a working day. Each open day offers a morning, from the day's first
    /// opening, and an afternoon, ending at the day's last closing. Each lasts
    /// half of the time from first opening to last closing, breaks included
    /// (like a full day).
    HalfDay,
    /// A whole working day, from the day's first opening to its last closing,
    /// breaks included.
    FullDay,
    /// Several whole working days, from the first day's opening to the last
    /// day's closing. See [`BookingType::skip_closed_days`] for closed days in
    /// between.
    Days(NonZeroU32),
}

/// What the studio offers for one kind of booking (a shoot, a consultation,
/// ...), as far as availability is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookingType {
    /// How long the booking lasts.
    pub length: BookingLength,
    /// For [`BookingLength::Days`]: when true, closed days in the middle are
    /// stepped over and not counted, so a two-day booking starting on Friday
    /// can end on Monday. When false, every calendar day of the booking must
    /// be open. Ignored for other lengths.
    pub skip_closed_days: bool,
    /// Minutes kept free before the booking (set-up). Only other bookings see it.
    pub buffer_before_minutes: u32,
    /// Minutes kept free after the booking (tear-down). Only other bookings see it.
    pub buffer_after_minutes: u32,
    /// The least time between now and the start of a booking. A negative
    /// value counts as zero.
    pub minimum_notice: SignedDuration,
    /// How many days ahead a booking may start: the last allowed date is
    /// today (in the studio's zone) plus this many days.
    pub horizon_days: u32,
    /// For [`BookingLength::Minutes`]: the distance in minutes between
    /// offered starts, counted in civil time from each interval's opening.
    /// Ignored for other lengths.
    pub slot_step_minutes: NonZeroU32,
    /// The resources a booking uses, one unit of each. Listing a resource
    /// twice still uses one unit.
    pub resources: Vec<ResourceId>,
}

impl BookingType {
    /// A booking type of the given length with no buffers, no minimum notice,
    /// a horizon of 365 days, starts every 30 minutes, and no resources.
    /// Change the public fields to adjust it.
    pub fn new(length: BookingLength) -> BookingType {
        BookingType {
            length,
            skip_closed_days: false,
            buffer_before_minutes: 0,
            buffer_after_minutes: 0,
            minimum_notice: SignedDuration::ZERO,
            horizon_days: 365,
            slot_step_minutes: DEFAULT_STEP_MINUTES,
            resources: Vec::new(),
        }
    }
}

/// A booking or a hold that already exists and takes up resources.
///
/// It keeps its resources busy from `start` minus its buffer before until
/// `end` plus its buffer after. A booking whose end is not after its start
/// and that has no buffers keeps nothing busy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Busy {
    /// When the booking starts.
    pub start: Timestamp,
    /// When the booking ends.
    pub end: Timestamp,
    /// The booking's own buffer before its start, in minutes.
    pub buffer_before_minutes: u32,
    /// The booking's own buffer after its end, in minutes.
    pub buffer_after_minutes: u32,
    /// The resources the booking uses, one unit of each.
    pub resources: Vec<ResourceId>,
}

impl Busy {
    /// The interval this booking keeps busy: its time plus its buffers. It can
    /// be empty when `end` is not after `start` and there are no buffers.
    fn occupied(&self) -> (Timestamp, Timestamp) {
        (
            minus_minutes(self.start, self.buffer_before_minutes),
            plus_minutes(self.end, self.buffer_after_minutes),
        )
    }
}

/// A start that can be booked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// When the booking would start.
    pub start: Timestamp,
    /// When the booking would end (buffers not included).
    pub end: Timestamp,
    /// The start as a wall clock date and time in the studio's zone, for display.
    pub local_start: DateTime,
}

/// Why a start cannot be booked.
///
/// [`check`] and [`check_local`] test the reasons in the order of the
/// variants below and report the first that applies, except that
/// [`Unavailable::OutOfRange`] is reported as soon as a date computation
/// leaves the range jiff supports. The [`fmt::Display`] text is a sentence
/// fit to show next to a form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// The duration given to [`check_local`] is zero, negative or too large
    /// to compute with.
    InvalidDuration,
    /// The date and time given to [`check_local`] does not exist in the
    /// studio's zone, because the clocks jump over it that day.
    NonexistentLocalTime,
    /// The booking type needs a resource that the studio's rules do not list.
    UnknownResource {
        /// The resource missing from [`StudioRules::capacities`].
        resource: ResourceId,
    },
    /// The start is before now.
    InThePast,
    /// The start is after now but sooner than the type's minimum notice allows.
    InsideMinimumNotice {
        /// The earliest instant a booking of this type may start.
        earliest: Timestamp,
    },
    /// The start is on a date after the last date that can be booked.
    BeyondHorizon {
        /// The last date on which a booking of this type may start.
        last_date: Date,
    },
    /// The studio is closed on the date of the start.
    Closed {
        /// The date, in the studio's zone.
        date: Date,
    },
    /// The studio is open that day, but this start is not one it offers for
    /// this type: it is off the slot grid, the booking would not fit the
    /// opening hours, or (for multi-day types) the following days are closed.
    NotOffered,
    /// Existing bookings already use all of a needed resource at some point
    /// during the booking or its buffers.
    Taken {
        /// The first needed resource that is fully used.
        resource: ResourceId,
    },
    /// The date lies at the edge of the calendar that can be computed with.
    OutOfRange,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::InvalidDuration => {
                f.write_str("The duration must be a positive number of minutes.")
            }
            Unavailable::NonexistentLocalTime => {
                f.write_str("This time does not exist on that day because the clocks go forward.")
            }
            Unavailable::UnknownResource { resource } => write!(
                f,
                "This booking type needs resource {resource}, which the studio does not have."
            ),
            Unavailable::InThePast => f.write_str("This time is in the past."),
            Unavailable::InsideMinimumNotice { earliest } => write!(
                f,
                "This time is too soon; the earliest possible start is {earliest}."
            ),
            Unavailable::BeyondHorizon { last_date } => {
                write!(f, "Bookings can only start on or before {last_date}.")
            }
            Unavailable::Closed { date } => write!(f, "The studio is closed on {date}."),
            Unavailable::NotOffered => {
                f.write_str("This start time is not offered for this kind of booking.")
            }
            Unavailable::Taken { .. } => f.write_str("This time is already taken."),
            Unavailable::OutOfRange => f.write_str("This date is too far in the future or past."),
        }
    }
}

impl std::error::Error for Unavailable {}

/// The free starts on `date` (a date in the studio's zone), sorted by start.
///
/// A start is free when it is offered for the type that day, is at least the
/// minimum notice after `now`, is on or before the horizon, and no needed
/// resource is full anywhere within its occupied interval. Returns an empty
/// list when nothing is free, including when the type needs a resource that
/// the rules do not list.
pub fn day_slots(
    rules: &StudioRules,
    booking_type: &BookingType,
    busy: &[Busy],
    date: Date,
    now: Timestamp,
) -> Vec<Slot> {
    let Ok(plan) = Plan::new(rules, booking_type, Shape::of(booking_type), busy, now) else {
        return Vec::new();
    };
    let mut offers = Vec::new();
    plan.free_offers(date, &mut offers)
        .map(|offer| plan.slot(offer))
        .collect()
}

/// The dates of a month that have at least one free start, in order.
///
/// `month` runs from 1 to 12. A date is listed exactly when [`day_slots`]
/// for it would not be empty. An invalid year or month gives an empty list.
/// Existing bookings are indexed once for the whole month, so the cost grows
/// with the number of offered starts, not with starts times bookings.
pub fn month_days(
    rules: &StudioRules,
    booking_type: &BookingType,
    busy: &[Busy],
    year: i16,
    month: i8,
    now: Timestamp,
) -> Vec<Date> {
    let Ok(first) = Date::new(year, month, 1) else {
        return Vec::new();
    };
    let Ok(plan) = Plan::new(rules, booking_type, Shape::of(booking_type), busy, now) else {
        return Vec::new();
    };
    let mut offers = Vec::new();
    let mut days = Vec::new();
    let mut date = first;
    loop {
        if plan.free_offers(date, &mut offers).next().is_some() {
            days.push(date);
        }
        match date.tomorrow() {
            Ok(next) if next.month() == month => date = next,
            _ => break,
        }
    }
    days
}

/// Checks whether a booking of `booking_type` can start exactly at `start`.
///
/// Returns the slot when it can, with the same values [`day_slots`] gives.
/// This is the check to repeat inside the transaction that writes a booking.
///
/// # Errors
///
/// The first [`Unavailable`] reason that applies.
pub fn check(
    rules: &StudioRules,
    booking_type: &BookingType,
    busy: &[Busy],
    start: Timestamp,
    now: Timestamp,
) -> Result<Slot, Unavailable> {
    Plan::new(rules, booking_type, Shape::of(booking_type), busy, now)?.check(start)
}

/// Checks only that the resources of `booking_type` have room for a booking
/// from `start` to `end` (with the type's buffers), whatever the opening hours,
/// notice, horizon and slot grid say: what staff may book when they override
/// the rules with a reason. Capacity is never overridden.
///
/// # Errors
///
/// [`Unavailable::InvalidDuration`] when `end` is not after `start`,
/// [`Unavailable::UnknownResource`] for a resource the rules do not list, or
/// [`Unavailable::Taken`] for the first resource that is full.
pub fn check_capacity(
    rules: &StudioRules,
    booking_type: &BookingType,
    busy: &[Busy],
    start: Timestamp,
    end: Timestamp,
    now: Timestamp,
) -> Result<Slot, Unavailable> {
    if end <= start {
        return Err(Unavailable::InvalidDuration);
    }
    let plan = Plan::new(rules, booking_type, Shape::of(booking_type), busy, now)?;
    let offer = Offer { start, end };
    match plan.full_resource(offer) {
        Some(resource) => Err(Unavailable::Taken { resource }),
        None => Ok(plan.slot(offer)),
    }
}

/// Checks a booking given as a civil date and time in the studio's zone and a
/// length in minutes, as the older `?date=&time=&duration=` API does.
///
/// The booking type supplies everything except the length: buffers, notice,
/// horizon, slot step and resources. The length is `duration_minutes`
/// whatever the type's own length is, and the start must lie on the type's
/// slot grid like any timed start. A local time that happens twice that day
/// means its earlier instant. Any input is accepted without panicking;
/// values too large to compute with are reported as errors.
///
/// # Errors
///
/// The first [`Unavailable`] reason that applies, starting with
/// [`Unavailable::InvalidDuration`] and [`Unavailable::NonexistentLocalTime`].
pub fn check_local(
    rules: &StudioRules,
    booking_type: &BookingType,
    busy: &[Busy],
    date: Date,
    time: Time,
    duration_minutes: i64,
    now: Timestamp,
) -> Result<Slot, Unavailable> {
    let length = if duration_minutes > 0 {
        SignedDuration::try_from_mins(duration_minutes).ok_or(Unavailable::InvalidDuration)?
    } else {
        return Err(Unavailable::InvalidDuration);
    };
    let shape = Shape::Timed {
        length,
        step: minutes(booking_type.slot_step_minutes.get()),
    };
    let start = match slot_start_instant(&rules.time_zone, date.to_datetime(time)) {
        Ok(Some(start)) => start,
        Ok(None) => return Err(Unavailable::NonexistentLocalTime),
        Err(OutOfRange) => return Err(Unavailable::OutOfRange),
    };
    Plan::new(rules, booking_type, shape, busy, now)?.check(start)
}

/// The booking length resolved into what the offer generator needs.
#[derive(Clone, Copy, Debug)]
enum Shape {
    Timed {
        length: SignedDuration,
        step: SignedDuration,
    },
    HalfDay,
    FullDay,
    Days {
        count: u32,
        skip_closed_days: bool,
    },
}

impl Shape {
    fn of(booking_type: &BookingType) -> Shape {
        match booking_type.length {
            BookingLength::Minutes(length) => Shape::Timed {
                length: minutes(length.get()),
                step: minutes(booking_type.slot_step_minutes.get()),
            },
            BookingLength::HalfDay => Shape::HalfDay,
            BookingLength::FullDay => Shape::FullDay,
            BookingLength::Days(count) => Shape::Days {
                count: count.get(),
                skip_closed_days: booking_type.skip_closed_days,
            },
        }
    }
}

/// A start the studio offers that day, before notice, horizon and existing
/// bookings are considered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Offer {
    start: Timestamp,
    end: Timestamp,
}

/// Why a date has no offers at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DayProblem {
    Closed,
    OutOfRange,
}

/// A computation ran past the range of dates jiff supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct OutOfRange;

impl From<OutOfRange> for DayProblem {
    fn from(_: OutOfRange) -> DayProblem {
        DayProblem::OutOfRange
    }
}

/// One opening interval of a particular date, in civil time and as instants.
#[derive(Clone, Copy, Debug)]
struct Window {
    opens: DateTime,
    closes: DateTime,
    opens_at: Timestamp,
    closes_at: Timestamp,
}

/// Everything one request needs, worked out once: the shape, the buffers, the
/// time limits and the index of existing bookings.
struct Plan<'a> {
    rules: &'a StudioRules,
    shape: Shape,
    buffer_before_minutes: u32,
    buffer_after_minutes: u32,
    now: Timestamp,
    today: Date,
    earliest: Timestamp,
    last_date: Date,
    loads: Vec<ResourceLoad>,
}

impl<'a> Plan<'a> {
    fn new(
        rules: &'a StudioRules,
        booking_type: &BookingType,
        shape: Shape,
        busy: &[Busy],
        now: Timestamp,
    ) -> Result<Plan<'a>, Unavailable> {
        let mut needed = booking_type.resources.clone();
        needed.sort_unstable();
        needed.dedup();
        let mut loads = Vec::with_capacity(needed.len());
        for resource in needed {
            let capacity = *rules
                .capacities
                .get(&resource)
                .ok_or(Unavailable::UnknownResource { resource })?;
            loads.push(ResourceLoad::build(resource, capacity, busy));
        }
        let today = rules.time_zone.to_datetime(now).date();
        let last_date = Span::new()
            .try_days(i64::from(booking_type.horizon_days))
            .ok()
            .and_then(|span| today.checked_add(span).ok())
            .unwrap_or(Date::MAX);
        let notice = booking_type.minimum_notice.max(SignedDuration::ZERO);
        let earliest = now.checked_add(notice).unwrap_or(Timestamp::MAX);
        Ok(Plan {
            rules,
            shape,
            buffer_before_minutes: booking_type.buffer_before_minutes,
            buffer_after_minutes: booking_type.buffer_after_minutes,
            now,
            today,
            earliest,
            last_date,
            loads,
        })
    }

    fn check(&self, start: Timestamp) -> Result<Slot, Unavailable> {
        if start < self.now {
            return Err(Unavailable::InThePast);
        }
        if start < self.earliest {
            return Err(Unavailable::InsideMinimumNotice {
                earliest: self.earliest,
            });
        }
        let date = self.rules.time_zone.to_datetime(start).date();
        if date > self.last_date {
            return Err(Unavailable::BeyondHorizon {
                last_date: self.last_date,
            });
        }
        let mut offers = Vec::new();
        match self.offers_on(date, &mut offers) {
            Ok(()) => {}
            Err(DayProblem::Closed) => return Err(Unavailable::Closed { date }),
            Err(DayProblem::OutOfRange) => return Err(Unavailable::OutOfRange),
        }
        let offer = offers
            .iter()
            .find(|offer| offer.start == start)
            .copied()
            .ok_or(Unavailable::NotOffered)?;
        match self.full_resource(offer) {
            Some(resource) => Err(Unavailable::Taken { resource }),
            None => Ok(self.slot(offer)),
        }
    }

    /// The offers of `date` that pass every test, in order. `buffer` is
    /// scratch space, reused across dates.
    fn free_offers<'s>(
        &'s self,
        date: Date,
        buffer: &'s mut Vec<Offer>,
    ) -> impl Iterator<Item = Offer> + 's {
        buffer.clear();
        // Every offer of a date starts on that civil date, so a date before
        // today can only hold starts in the past.
        if date >= self.today && date <= self.last_date {
            // A closed or out-of-range day simply has no offers.
            let _ = self.offers_on(date, buffer);
        }
        buffer
            .iter()
            .copied()
            // `earliest` is never before `now`, so this also drops past starts.
            .filter(move |offer| offer.start >= self.earliest)
            .filter(move |offer| self.full_resource(*offer).is_none())
    }

    fn slot(&self, offer: Offer) -> Slot {
        Slot {
            start: offer.start,
            end: offer.end,
            local_start: self.rules.time_zone.to_datetime(offer.start),
        }
    }

    /// The first needed resource that existing bookings fill at some moment of
    /// the offer's occupied interval, if any.
    fn full_resource(&self, offer: Offer) -> Option<ResourceId> {
        let from = minus_minutes(offer.start, self.buffer_before_minutes);
        let to = plus_minutes(offer.end, self.buffer_after_minutes);
        self.loads
            .iter()
            .find(|load| load.peak(from, to) >= load.capacity)
            .map(|load| load.resource)
    }

    /// Writes the starts the studio offers on `date` for this shape into
    /// `out`, sorted, ignoring notice, horizon and existing bookings.
    fn offers_on(&self, date: Date, out: &mut Vec<Offer>) -> Result<(), DayProblem> {
        out.clear();
        let tz = &self.rules.time_zone;
        let hours = self.rules.hours_on(date);
        if hours.is_closed() {
            return Err(DayProblem::Closed);
        }
        let windows = windows_on(tz, hours, date)?;
        let (Some(first), Some(last)) = (windows.first(), windows.last()) else {
            return Err(DayProblem::Closed);
        };
        let (day_opens_at, day_closes_at) = (first.opens_at, last.closes_at);
        match self.shape {
            Shape::Timed { length, step } => {
                for window in &windows {
                    timed_offers(tz, window, length, step, out)?;
                }
            }
            Shape::HalfDay => {
                let half = day_closes_at
                    .duration_since(day_opens_at)
                    .checked_div(2)
                    .unwrap_or(SignedDuration::ZERO);
                if half.is_positive() {
                    let halves = [
                        day_opens_at.checked_add(half).ok().map(|end| Offer {
                            start: day_opens_at,
                            end,
                        }),
                        day_closes_at.checked_sub(half).ok().map(|start| Offer {
                            start,
                            end: day_closes_at,
                        }),
                    ];
                    // Like a full day, a half day spans a lunch gap: the crew is booked for
                    // the morning or the afternoon, whatever the opening hours say about lunch.
                    out.extend(halves.into_iter().flatten());
                }
            }
            Shape::FullDay => {
                if day_opens_at < day_closes_at {
                    out.push(Offer {
                        start: day_opens_at,
                        end: day_closes_at,
                    });
                }
            }
            Shape::Days {
                count,
                skip_closed_days,
            } => {
                if let Some(end) = self.multi_day_end(date, count, skip_closed_days)?
                    && day_opens_at < end
                {
                    out.push(Offer {
                        start: day_opens_at,
                        end,
                    });
                }
            }
        }
        Ok(())
    }

    /// The closing instant of the last day of a `count`-day booking starting
    /// on the open date `first`, or `None` when the days do not line up.
    fn multi_day_end(
        &self,
        first: Date,
        count: u32,
        skip_closed_days: bool,
    ) -> Result<Option<Timestamp>, OutOfRange> {
        let tz = &self.rules.time_zone;
        let mut last_open = first;
        let mut counted = 1;
        let mut day = first;
        let mut calendar_days = 1;
        while counted < count {
            if calendar_days >= MAX_SPAN_DAYS {
                return Ok(None);
            }
            day = day.tomorrow().map_err(|_| OutOfRange)?;
            calendar_days += 1;
            if self.rules.hours_on(day).is_closed() {
                if !skip_closed_days {
                    return Ok(None);
                }
            } else {
                counted += 1;
                last_open = day;
            }
        }
        let windows = windows_on(tz, self.rules.hours_on(last_open), last_open)?;
        Ok(windows.last().map(|window| window.closes_at))
    }
}

/// Lays out the timed starts of one opening window into `out`.
fn timed_offers(
    tz: &TimeZone,
    window: &Window,
    length: SignedDuration,
    step: SignedDuration,
    out: &mut Vec<Offer>,
) -> Result<(), OutOfRange> {
    let mut civil = window.opens;
    while civil < window.closes {
        // A start inside a forward jump gives no slot. The opening-instant
        // test is only a guard: civil times after the opening never map
        // before it.
        if let Some(start) = slot_start_instant(tz, civil)?
            && start >= window.opens_at
        {
            match start.checked_add(length) {
                Ok(end) if end <= window.closes_at => out.push(Offer { start, end }),
                // Later starts end later still, so none of them fit either.
                _ => break,
            }
        }
        match civil.checked_add(step) {
            Ok(next) => civil = next,
            Err(_) => break,
        }
    }
    Ok(())
}

/// The opening windows of `date`, with their instants.
fn windows_on(tz: &TimeZone, hours: &DayHours, date: Date) -> Result<Vec<Window>, OutOfRange> {
    hours
        .intervals()
        .iter()
        .map(|interval| {
            let opens = interval.opens_on(date);
            let closes = interval.closes_on(date).ok_or(OutOfRange)?;
            Ok(Window {
                opens,
                closes,
                opens_at: boundary_instant(tz, opens)?,
                closes_at: boundary_instant(tz, closes)?,
            })
        })
        .collect()
}

/// The instant of a civil start time: `None` when the clocks skip over it,
/// the earlier instant when it happens twice.
fn slot_start_instant(tz: &TimeZone, civil: DateTime) -> Result<Option<Timestamp>, OutOfRange> {
    let ambiguous = tz.to_ambiguous_timestamp(civil);
    match ambiguous.offset() {
        AmbiguousOffset::Gap { .. } => Ok(None),
        AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => {
            ambiguous.earlier().map(Some).map_err(|_| OutOfRange)
        }
    }
}

/// The instant of an opening or closing time: the earliest instant whose wall
/// clock reading is at or after `civil`. That is the earlier instant when the
/// time happens twice, and the instant the clocks jump when they skip over it.
fn boundary_instant(tz: &TimeZone, civil: DateTime) -> Result<Timestamp, OutOfRange> {
    let ambiguous = tz.to_ambiguous_timestamp(civil);
    match ambiguous.offset() {
        AmbiguousOffset::Gap { before, after } => {
            // Both readings of the skipped time straddle the jump; the jump is
            // the first transition after the smaller of them.
            let a = before.to_timestamp(civil).map_err(|_| OutOfRange)?;
            let b = after.to_timestamp(civil).map_err(|_| OutOfRange)?;
            tz.following(a.min(b))
                .next()
                .map(|transition| transition.timestamp())
                .ok_or(OutOfRange)
        }
        AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => {
            ambiguous.earlier().map_err(|_| OutOfRange)
        }
    }
}

fn minutes(count: u32) -> SignedDuration {
    SignedDuration::from_mins(i64::from(count))
}

/// `at` minus some minutes, stopping at the earliest instant jiff supports.
fn minus_minutes(at: Timestamp, count: u32) -> Timestamp {
    at.checked_sub(minutes(count)).unwrap_or(Timestamp::MIN)
}

/// `at` plus some minutes, stopping at the latest instant jiff supports.
fn plus_minutes(at: Timestamp, count: u32) -> Timestamp {
    at.checked_add(minutes(count)).unwrap_or(Timestamp::MAX)
}

/// How many existing bookings use one resource over time, as a step function.
struct ResourceLoad {
    resource: ResourceId,
    capacity: u32,
    /// `(instant, level)`: from `instant` until the next entry, `level`
    /// bookings use the resource. Before the first entry none do. Sorted by
    /// instant, each instant once.
    steps: Vec<(Timestamp, u32)>,
}

impl ResourceLoad {
    fn build(resource: ResourceId, capacity: u32, busy: &[Busy]) -> ResourceLoad {
        let mut events: Vec<(Timestamp, i64)> = busy
            .iter()
            .filter(|booking| booking.resources.contains(&resource))
            .map(Busy::occupied)
            .filter(|(from, to)| from < to)
            .flat_map(|(from, to)| [(from, 1), (to, -1)])
            .collect();
        events.sort_unstable_by_key(|&(at, _)| at);
        let mut steps: Vec<(Timestamp, u32)> = Vec::with_capacity(events.len());
        let mut level: i64 = 0;
        for (at, change) in events {
            level += change;
            let level = u32::try_from(level).unwrap_or(u32::MAX);
            match steps.last_mut() {
                Some(last) if last.0 == at => last.1 = level,
                _ => steps.push((at, level)),
            }
        }
        ResourceLoad {
            resource,
            capacity,
            steps,
        }
    }

    /// The largest number of bookings using the resource at one moment of
    /// `[from, to)`.
    fn peak(&self, from: Timestamp, to: Timestamp) -> u32 {
        let after = self.steps.partition_point(|&(at, _)| at <= from);
        let at_from = after
            .checked_sub(1)
            .and_then(|index| self.steps.get(index))
            .map_or(0, |&(_, level)| level);
        self.steps[after..]
            .iter()
            .take_while(|&&(at, _)| at < to)
            .map(|&(_, level)| level)
            .fold(at_from, u32::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::ToSpan;
    use jiff::civil::{date, time};

    fn tz(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    fn hours(intervals: &[(Time, Time)]) -> DayHours {
        DayHours::new(intervals).unwrap()
    }

    fn hm(hour: i8, minute: i8) -> Time {
        time(hour, minute, 0, 0)
    }

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    /// The instant of a local time in `zone` (earlier instant in a fold).
    fn at(zone: &TimeZone, day: Date, clock: Time) -> Timestamp {
        zone.to_ambiguous_timestamp(day.to_datetime(clock))
            .earlier()
            .unwrap()
    }

    const ROOM: ResourceId = ResourceId(1);
    const CREW: ResourceId = ResourceId(2);

    /// Monday to Friday 09:00–12:00 and 13:00–18:00 in Singapore; room
    /// capacity 1, crew capacity 2.
    fn singapore_rules() -> StudioRules {
        let day = hours(&[(hm(9, 0), hm(12, 0)), (hm(13, 0), hm(18, 0))]);
        let mut weekly = WeeklyHours::closed();
        for weekday in [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
        ] {
            weekly.set(weekday, day.clone());
        }
        let mut rules = StudioRules::new(tz("Asia/Singapore"), weekly);
        rules.capacities.insert(ROOM, 1);
        rules.capacities.insert(CREW, 2);
        rules
    }

    /// Sunday 2026-05-31 08:00 in Singapore; the next day is Monday 2026-06-01.
    fn sg_now() -> Timestamp {
        at(&tz("Asia/Singapore"), date(2026, 5, 31), hm(8, 0))
    }

    const MONDAY: Date = date(2026, 6, 1);

    fn timed(length: u32, step: u32) -> BookingType {
        let mut booking_type = BookingType::new(BookingLength::Minutes(nz(length)));
        booking_type.slot_step_minutes = nz(step);
        booking_type
    }

    fn busy(start: Timestamp, end: Timestamp, resources: &[ResourceId]) -> Busy {
        Busy {
            start,
            end,
            buffer_before_minutes: 0,
            buffer_after_minutes: 0,
            resources: resources.to_vec(),
        }
    }

    fn local_times(slots: &[Slot]) -> Vec<Time> {
        slots.iter().map(|slot| slot.local_start.time()).collect()
    }

    #[test]
    fn hours_refuse_an_end_not_after_its_start() {
        assert_eq!(
            DayHours::new(&[(hm(9, 0), hm(12, 0)), (hm(14, 0), hm(14, 0))]),
            Err(HoursError::EndNotAfterStart { index: 1 })
        );
        assert_eq!(
            DayHours::new(&[(hm(18, 0), hm(9, 0))]),
            Err(HoursError::EndNotAfterStart { index: 0 })
        );
    }

    #[test]
    fn hours_refuse_overlapping_intervals_and_name_both() {
        let error = DayHours::new(&[
            (hm(13, 0), hm(18, 0)),
            (hm(8, 0), hm(9, 0)),
            (hm(9, 0), hm(13, 30)),
        ])
        .unwrap_err();
        assert_eq!(
            error,
            HoursError::Overlap {
                first: 0,
                second: 2
            }
        );
        assert_eq!(error.to_string(), "opening intervals 1 and 3 overlap");
    }

    #[test]
    fn hours_sort_and_join_touching_intervals_and_accept_midnight_close() {
        let day = hours(&[
            (hm(13, 0), hm(0, 0)),
            (hm(9, 0), hm(12, 0)),
            (hm(12, 0), hm(13, 0)),
        ]);
        assert_eq!(day.intervals().len(), 1);
        assert_eq!(day.intervals()[0].start(), hm(9, 0));
        assert!(day.intervals()[0].ends_at_midnight());
        assert!(hours(&[(hm(0, 0), hm(0, 0))]).intervals()[0].ends_at_midnight());
    }

    #[test]
    fn singapore_weekday_offers_a_grid_in_both_intervals() {
        let rules = singapore_rules();
        let slots = day_slots(&rules, &timed(60, 30), &[], MONDAY, sg_now());
        let expected: Vec<Time> = [(9, 0), (9, 30), (10, 0), (10, 30), (11, 0)]
            .into_iter()
            .chain([
                (13, 0),
                (13, 30),
                (14, 0),
                (14, 30),
                (15, 0),
                (15, 30),
                (16, 0),
                (16, 30),
                (17, 0),
            ])
            .map(|(h, m)| hm(h, m))
            .collect();
        assert_eq!(local_times(&slots), expected);
        let first = slots[0];
        // Singapore is UTC+8 all year.
        assert_eq!(first.start, "2026-06-01T01:00:00Z".parse().unwrap());
        assert_eq!(
            first.end.duration_since(first.start),
            SignedDuration::from_hours(1)
        );
        assert_eq!(first.local_start, MONDAY.to_datetime(hm(9, 0)));
        // Sunday is closed.
        assert!(day_slots(&rules, &timed(60, 30), &[], date(2026, 5, 31), sg_now()).is_empty());
    }

    #[test]
    fn no_slot_crosses_the_lunch_gap() {
        let rules = singapore_rules();
        let zone = &rules.time_zone;
        let slots = day_slots(&rules, &timed(90, 30), &[], MONDAY, sg_now());
        let lunch_start = at(zone, MONDAY, hm(12, 0));
        let lunch_end = at(zone, MONDAY, hm(13, 0));
        assert!(!slots.is_empty());
        assert!(
            slots
                .iter()
                .all(|s| s.end <= lunch_start || s.start >= lunch_end)
        );
        assert_eq!(local_times(&slots)[..2], [hm(9, 0), hm(9, 30)]);
        assert!(!local_times(&slots).contains(&hm(11, 0)));
        assert_eq!(
            check(
                &rules,
                &timed(90, 30),
                &[],
                at(zone, MONDAY, hm(11, 0)),
                sg_now()
            ),
            Err(Unavailable::NotOffered)
        );
    }

    #[test]
    fn a_closure_override_closes_the_day() {
        let mut rules = singapore_rules();
        rules.overrides.insert(MONDAY, DateOverride::Closed);
        let booking_type = timed(60, 30);
        assert!(day_slots(&rules, &booking_type, &[], MONDAY, sg_now()).is_empty());
        let start = at(&rules.time_zone, MONDAY, hm(9, 0));
        assert_eq!(
            check(&rules, &booking_type, &[], start, sg_now()),
            Err(Unavailable::Closed { date: MONDAY })
        );
        assert!(!month_days(&rules, &booking_type, &[], 2026, 6, sg_now()).contains(&MONDAY));
    }

    #[test]
    fn special_hours_replace_the_weekday_hours() {
        let mut rules = singapore_rules();
        rules.overrides.insert(
            MONDAY,
            DateOverride::Hours(hours(&[(hm(19, 0), hm(21, 0))])),
        );
        let saturday = date(2026, 6, 6);
        rules.overrides.insert(
            saturday,
            DateOverride::Hours(hours(&[(hm(10, 0), hm(11, 0))])),
        );
        let booking_type = timed(60, 30);
        let slots = day_slots(&rules, &booking_type, &[], MONDAY, sg_now());
        assert_eq!(local_times(&slots), [hm(19, 0), hm(19, 30), hm(20, 0)]);
        let saturday_slots = day_slots(&rules, &booking_type, &[], saturday, sg_now());
        assert_eq!(local_times(&saturday_slots), [hm(10, 0)]);
    }

    #[test]
    fn buffers_of_both_bookings_keep_the_gap() {
        let rules = singapore_rules();
        let zone = &rules.time_zone;
        let mut existing = busy(
            at(zone, MONDAY, hm(14, 0)),
            at(zone, MONDAY, hm(15, 0)),
            &[ROOM],
        );
        existing.buffer_after_minutes = 30;
        let mut booking_type = timed(30, 15);
        booking_type.resources = vec![ROOM];
        booking_type.buffer_before_minutes = 15;
        let slots = day_slots(&rules, &booking_type, &[existing.clone()], MONDAY, sg_now());
        let afternoon: Vec<Time> = local_times(&slots)
            .into_iter()
            .filter(|&t| t >= hm(13, 0))
            .collect();
        // 13:30 ends at 14:00 and has no after-buffer, so it still fits.
        assert_eq!(afternoon[..3], [hm(13, 0), hm(13, 15), hm(13, 30)]);
        // 15:00 end + 30 after-buffer + 15 before-buffer = 15:45.
        assert_eq!(afternoon[3], hm(15, 45));
        assert_eq!(
            check(
                &rules,
                &booking_type,
                &[existing],
                at(zone, MONDAY, hm(15, 30)),
                sg_now()
            ),
            Err(Unavailable::Taken { resource: ROOM })
        );

        // The candidate's after-buffer meets the existing booking's before-buffer.
        let mut existing = busy(
            at(zone, MONDAY, hm(11, 0)),
            at(zone, MONDAY, hm(11, 30)),
            &[ROOM],
        );
        existing.buffer_before_minutes = 30;
        let mut booking_type = timed(30, 15);
        booking_type.resources = vec![ROOM];
        booking_type.buffer_after_minutes = 15;
        let slots = day_slots(&rules, &booking_type, &[existing], MONDAY, sg_now());
        let times = local_times(&slots);
        // The candidate must end by 10:15 so that its buffer ends by 10:30.
        assert!(times.contains(&hm(9, 45)));
        assert!(!times.contains(&hm(10, 0)));
    }

    #[test]
    fn minimum_notice_hides_early_starts() {
        let rules = singapore_rules();
        let zone = &rules.time_zone;
        let mut booking_type = timed(60, 30);
        booking_type.minimum_notice = SignedDuration::from_hours(2);
        let now = at(zone, MONDAY, hm(8, 15));
        let slots = day_slots(&rules, &booking_type, &[], MONDAY, now);
        assert_eq!(slots[0].local_start.time(), hm(10, 30));
        assert_eq!(
            check(&rules, &booking_type, &[], at(zone, MONDAY, hm(10, 0)), now),
            Err(Unavailable::InsideMinimumNotice {
                earliest: at(zone, MONDAY, hm(10, 15))
            })
        );
    }

    #[test]
    fn horizon_allows_the_last_date_and_refuses_the_next() {
        let rules = singapore_rules();
        let mut booking_type = timed(60, 30);
        booking_type.horizon_days = 8;
        // Today is Sunday 2026-05-31; the last date is Monday 2026-06-08.
        let last = date(2026, 6, 8);
        let beyond = date(2026, 6, 9);
        assert!(!day_slots(&rules, &booking_type, &[], last, sg_now()).is_empty());
        assert!(day_slots(&rules, &booking_type, &[], beyond, sg_now()).is_empty());
        let start = at(&rules.time_zone, beyond, hm(9, 0));
        assert_eq!(
            check(&rules, &booking_type, &[], start, sg_now()),
            Err(Unavailable::BeyondHorizon { last_date: last })
        );
        let days = month_days(&rules, &booking_type, &[], 2026, 6, sg_now());
        assert_eq!(days.last(), Some(&last));
    }

    #[test]
    fn half_day_offers_a_morning_and_an_afternoon() {
        let mut rules = singapore_rules();
        let zone = rules.time_zone.clone();
        rules
            .overrides
            .insert(MONDAY, DateOverride::Hours(hours(&[(hm(9, 0), hm(18, 0))])));
        let booking_type = BookingType::new(BookingLength::HalfDay);
        let slots = day_slots(&rules, &booking_type, &[], MONDAY, sg_now());
        assert_eq!(slots.len(), 2);
        assert_eq!(
            (slots[0].start, slots[0].end),
            (at(&zone, MONDAY, hm(9, 0)), at(&zone, MONDAY, hm(13, 30)))
        );
        assert_eq!(
            (slots[1].start, slots[1].end),
            (at(&zone, MONDAY, hm(13, 30)), at(&zone, MONDAY, hm(18, 0)))
        );
        // A lunch gap (12:00–13:00) does not split the halves: like a full day, each
        // spans it, so the morning is 09:00–13:30 and the afternoon 13:30–18:00.
        let tuesday = date(2026, 6, 2);
        let tuesday_slots = day_slots(&rules, &booking_type, &[], tuesday, sg_now());
        assert_eq!(local_times(&tuesday_slots), [hm(9, 0), hm(13, 30)]);
        assert_eq!(
            check(
                &rules,
                &booking_type,
                &[],
                at(&zone, tuesday, hm(9, 30)),
                sg_now()
            ),
            Err(Unavailable::NotOffered)
        );
    }

    #[test]
    fn full_day_runs_from_first_opening_to_last_closing() {
        let rules = singapore_rules();
        let zone = &rules.time_zone;
        let booking_type = BookingType::new(BookingLength::FullDay);
        let slots = day_slots(&rules, &booking_type, &[], MONDAY, sg_now());
        assert_eq!(slots.len(), 1);
        assert_eq!(slots[0].start, at(zone, MONDAY, hm(9, 0)));
        assert_eq!(slots[0].end, at(zone, MONDAY, hm(18, 0)));
        // A booking during lunch still blocks the room for the whole day.
        let mut booking_type = booking_type;
        booking_type.resources = vec![ROOM];
        let lunch = busy(
            at(zone, MONDAY, hm(12, 15)),
            at(zone, MONDAY, hm(12, 45)),
            &[ROOM],
        );
        assert!(day_slots(&rules, &booking_type, &[lunch], MONDAY, sg_now()).is_empty());
    }

    #[test]
    fn two_days_over_a_closed_day() {
        let mut rules = singapore_rules();
        let zone = rules.time_zone.clone();
        let wednesday = date(2026, 6, 3);
        rules.overrides.insert(wednesday, DateOverride::Closed);
        let tuesday = date(2026, 6, 2);
        let thursday = date(2026, 6, 4);
        let mut booking_type = BookingType::new(BookingLength::Days(nz(2)));

        booking_type.skip_closed_days = true;
        let slots = day_slots(&rules, &booking_type, &[], tuesday, sg_now());
        assert_eq!(slots.len(), 1);
        assert_eq!(slots[0].start, at(&zone, tuesday, hm(9, 0)));
        assert_eq!(slots[0].end, at(&zone, thursday, hm(18, 0)));
        // Friday spans the weekend, which is closed too.
        let friday = date(2026, 6, 5);
        let friday_slots = day_slots(&rules, &booking_type, &[], friday, sg_now());
        assert_eq!(friday_slots[0].end, at(&zone, date(2026, 6, 8), hm(18, 0)));

        booking_type.skip_closed_days = false;
        assert!(day_slots(&rules, &booking_type, &[], tuesday, sg_now()).is_empty());
        assert_eq!(
            check(
                &rules,
                &booking_type,
                &[],
                at(&zone, tuesday, hm(9, 0)),
                sg_now()
            ),
            Err(Unavailable::NotOffered)
        );
        let monday_slots = day_slots(&rules, &booking_type, &[], MONDAY, sg_now());
        assert_eq!(monday_slots[0].end, at(&zone, tuesday, hm(18, 0)));
        assert!(day_slots(&rules, &booking_type, &[], friday, sg_now()).is_empty());
    }

    #[test]
    fn an_override_checks_capacity_only() {
        let rules = singapore_rules();
        let zone = &rules.time_zone;
        let mut booking_type = timed(60, 60);
        booking_type.resources = vec![ROOM];
        // Sunday at 07:00 is closed and off the grid: an override may still book it...
        let sunday_seven = at(zone, date(2026, 6, 7), hm(7, 0));
        let end = sunday_seven + SignedDuration::from_hours(1);
        assert!(check(&rules, &booking_type, &[], sunday_seven, sg_now()).is_err());
        assert!(check_capacity(&rules, &booking_type, &[], sunday_seven, end, sg_now()).is_ok());
        // ...but never into a full resource, and never backwards.
        let taken = [busy(sunday_seven, end, &[ROOM])];
        assert_eq!(
            check_capacity(&rules, &booking_type, &taken, sunday_seven, end, sg_now()),
            Err(Unavailable::Taken { resource: ROOM })
        );
        assert_eq!(
            check_capacity(&rules, &booking_type, &[], end, sunday_seven, sg_now()),
            Err(Unavailable::InvalidDuration)
        );
    }

    #[test]
    fn capacity_two_is_filled_by_two_overlapping_bookings_only() {
        let rules = singapore_rules();
        let zone = &rules.time_zone;
        let mut booking_type = timed(60, 60);
        booking_type.resources = vec![CREW];
        let nine = at(zone, MONDAY, hm(9, 0));
        let ten = at(zone, MONDAY, hm(10, 0));
        let one = [busy(nine, ten, &[CREW])];
        assert!(check(&rules, &booking_type, &one, nine, sg_now()).is_ok());
        let two = [busy(nine, ten, &[CREW]), busy(nine, ten, &[CREW])];
        assert_eq!(
            check(&rules, &booking_type, &two, nine, sg_now()),
            Err(Unavailable::Taken { resource: CREW })
        );
        // Two bookings that do not overlap each other use one crew at a time.
        let mut long = timed(120, 60);
        long.resources = vec![CREW];
        let nine_thirty = at(zone, MONDAY, hm(9, 30));
        let ten_thirty = at(zone, MONDAY, hm(10, 30));
        let apart = [
            busy(nine, nine_thirty, &[CREW]),
            busy(ten, ten_thirty, &[CREW]),
        ];
        assert!(check(&rules, &long, &apart, nine, sg_now()).is_ok());
    }

    #[test]
    fn a_type_needing_two_resources_is_blocked_only_by_a_full_one() {
        let rules = singapore_rules();
        let zone = &rules.time_zone;
        let mut booking_type = timed(60, 60);
        booking_type.resources = vec![ROOM, CREW];
        let nine = at(zone, MONDAY, hm(9, 0));
        let ten = at(zone, MONDAY, hm(10, 0));
        let crew_busy = [busy(nine, ten, &[CREW])];
        assert!(check(&rules, &booking_type, &crew_busy, nine, sg_now()).is_ok());
        let room_busy = [busy(nine, ten, &[ROOM])];
        assert_eq!(
            check(&rules, &booking_type, &room_busy, nine, sg_now()),
            Err(Unavailable::Taken { resource: ROOM })
        );
    }

    #[test]
    fn a_type_without_resources_is_never_blocked() {
        let rules = singapore_rules();
        let zone = &rules.time_zone;
        let everything: Vec<Busy> = (0..5)
            .map(|_| {
                busy(
                    at(zone, MONDAY, hm(0, 0)),
                    at(zone, date(2026, 6, 2), hm(0, 0)),
                    &[ROOM, CREW],
                )
            })
            .collect();
        let free = day_slots(&rules, &timed(60, 30), &[], MONDAY, sg_now());
        assert_eq!(
            day_slots(&rules, &timed(60, 30), &everything, MONDAY, sg_now()),
            free
        );
    }

    #[test]
    fn an_unknown_resource_is_reported() {
        let rules = singapore_rules();
        let mut booking_type = timed(60, 30);
        booking_type.resources = vec![ResourceId(99)];
        let start = at(&rules.time_zone, MONDAY, hm(9, 0));
        assert_eq!(
            check(&rules, &booking_type, &[], start, sg_now()),
            Err(Unavailable::UnknownResource {
                resource: ResourceId(99)
            })
        );
        assert!(day_slots(&rules, &booking_type, &[], MONDAY, sg_now()).is_empty());
    }

    #[test]
    fn check_returns_each_reason() {
        let mut rules = singapore_rules();
        let zone = rules.time_zone.clone();
        rules
            .overrides
            .insert(date(2026, 6, 2), DateOverride::Closed);
        let mut booking_type = timed(60, 30);
        booking_type.resources = vec![ROOM];
        booking_type.minimum_notice = SignedDuration::from_hours(24);
        booking_type.horizon_days = 30;
        let now = sg_now();
        let taken = [busy(
            at(&zone, date(2026, 6, 3), hm(9, 0)),
            at(&zone, date(2026, 6, 3), hm(10, 0)),
            &[ROOM],
        )];
        let ask = |start: Timestamp| check(&rules, &booking_type, &taken, start, now);

        assert_eq!(ask(now - 1.minute()), Err(Unavailable::InThePast));
        assert_eq!(
            ask(now + 1.hour()),
            Err(Unavailable::InsideMinimumNotice {
                earliest: now + 24.hours()
            })
        );
        assert_eq!(
            ask(at(&zone, date(2026, 7, 1), hm(9, 0))),
            Err(Unavailable::BeyondHorizon {
                last_date: date(2026, 6, 30)
            })
        );
        assert_eq!(
            ask(at(&zone, date(2026, 6, 2), hm(9, 0))),
            Err(Unavailable::Closed {
                date: date(2026, 6, 2)
            })
        );
        assert_eq!(
            ask(at(&zone, MONDAY, hm(9, 10))),
            Err(Unavailable::NotOffered)
        );
        assert_eq!(
            ask(at(&zone, MONDAY, hm(17, 30))),
            Err(Unavailable::NotOffered)
        );
        assert_eq!(
            ask(at(&zone, date(2026, 6, 3), hm(9, 30))),
            Err(Unavailable::Taken { resource: ROOM })
        );
        let slot = ask(at(&zone, MONDAY, hm(9, 0))).unwrap();
        assert_eq!(slot.local_start, MONDAY.to_datetime(hm(9, 0)));
        assert_eq!(slot.end, at(&zone, MONDAY, hm(10, 0)));
        // Every reason reads as a sentence.
        assert_eq!(
            Unavailable::InThePast.to_string(),
            "This time is in the past."
        );
    }

    #[test]
    fn check_local_matches_check_and_reports_bad_input() {
        let rules = singapore_rules();
        let booking_type = timed(60, 30);
        let now = sg_now();
        let ask = |day: Date, clock: Time, duration: i64| {
            check_local(&rules, &booking_type, &[], day, clock, duration, now)
        };
        let slot = ask(MONDAY, hm(9, 30), 45).unwrap();
        assert_eq!(
            slot.end.duration_since(slot.start),
            SignedDuration::from_mins(45)
        );
        assert_eq!(ask(MONDAY, hm(9, 31), 45), Err(Unavailable::NotOffered));
        assert_eq!(ask(MONDAY, hm(11, 30), 45), Err(Unavailable::NotOffered));
        assert_eq!(ask(MONDAY, hm(9, 0), 0), Err(Unavailable::InvalidDuration));
        assert_eq!(
            ask(MONDAY, hm(9, 0), -30),
            Err(Unavailable::InvalidDuration)
        );
        assert_eq!(
            ask(MONDAY, hm(9, 0), i64::MAX),
            Err(Unavailable::InvalidDuration)
        );
        assert_eq!(
            ask(MONDAY, hm(9, 0), 1_000_000_000),
            Err(Unavailable::NotOffered)
        );
        assert_eq!(
            ask(date(2026, 5, 1), hm(9, 0), 30),
            Err(Unavailable::InThePast)
        );
        assert!(ask(date(9999, 12, 31), hm(9, 0), 30).is_err());
        assert!(ask(date(9999, 12, 31), hm(23, 59), 1_000_000_000).is_err());
        assert!(ask(Date::MIN, hm(0, 0), 30).is_err());

        let london = StudioRules::new(tz("Europe/London"), WeeklyHours::closed());
        assert_eq!(
            check_local(
                &london,
                &booking_type,
                &[],
                date(2026, 3, 29),
                hm(1, 30),
                30,
                now
            ),
            Err(Unavailable::NonexistentLocalTime)
        );
    }

    /// Inputs at the edges of jiff's range: nothing may panic.
    #[test]
    fn extreme_inputs_do_not_panic() {
        let mut rules = singapore_rules();
        let all_days = hours(&[(hm(0, 0), hm(0, 0))]);
        for weekday in [Weekday::Saturday, Weekday::Sunday] {
            rules.weekly.set(weekday, all_days.clone());
        }
        rules
            .overrides
            .insert(Date::MAX, DateOverride::Hours(all_days.clone()));
        let far_now = at(&rules.time_zone, date(9999, 12, 29), hm(0, 0));
        let huge = u32::MAX;
        let lengths = [
            BookingLength::Minutes(nz(huge)),
            BookingLength::Minutes(nz(30)),
            BookingLength::HalfDay,
            BookingLength::FullDay,
            BookingLength::Days(nz(huge)),
            BookingLength::Days(nz(3)),
        ];
        for length in lengths {
            for skip_closed_days in [false, true] {
                let booking_type = BookingType {
                    length,
                    skip_closed_days,
                    buffer_before_minutes: huge,
                    buffer_after_minutes: huge,
                    minimum_notice: SignedDuration::MAX,
                    horizon_days: huge,
                    slot_step_minutes: nz(huge),
                    resources: vec![ROOM],
                };
                let mut relaxed = booking_type.clone();
                relaxed.minimum_notice = SignedDuration::MIN;
                relaxed.slot_step_minutes = nz(1);
                let busy_edges = [
                    busy(Timestamp::MIN, Timestamp::MAX, &[ROOM]),
                    busy(Timestamp::MAX, Timestamp::MIN, &[ROOM, CREW]),
                ];
                for bt in [&booking_type, &relaxed] {
                    for now in [Timestamp::MIN, Timestamp::MAX, far_now, sg_now()] {
                        for busy_list in [&busy_edges[..], &[]] {
                            for day in [Date::MAX, Date::MIN, date(9999, 12, 30), MONDAY] {
                                let _ = day_slots(&rules, bt, busy_list, day, now);
                                let _ = check_local(
                                    &rules,
                                    bt,
                                    busy_list,
                                    day,
                                    hm(23, 59),
                                    1_000_000_000,
                                    now,
                                );
                                let _ = check_local(
                                    &rules,
                                    bt,
                                    busy_list,
                                    day,
                                    hm(0, 0),
                                    i64::MIN,
                                    now,
                                );
                            }
                            for (year, month) in [(9999, 12), (-9999, 1), (2026, 13), (2026, 0)] {
                                let _ = month_days(&rules, bt, busy_list, year, month, now);
                            }
                            for start in [Timestamp::MIN, Timestamp::MAX, far_now] {
                                let _ = check(&rules, bt, busy_list, start, now);
                            }
                        }
                    }
                }
            }
        }
        // A plain request at the end of the calendar is refused, not computed.
        let booking_type = timed(30, 30);
        let end_of_time = date(9999, 12, 31);
        let result = check_local(
            &rules,
            &booking_type,
            &[],
            end_of_time,
            hm(23, 0),
            30,
            far_now,
        );
        assert!(result.is_err());
    }

    /// A zone, a day with hours covering its clock change, and a type.
    fn dst_rules(zone: &str, day: Date, open: Time, close: Time) -> StudioRules {
        let mut rules = StudioRules::new(tz(zone), WeeklyHours::closed());
        rules
            .overrides
            .insert(day, DateOverride::Hours(hours(&[(open, close)])));
        rules
    }

    fn now_before(rules: &StudioRules, day: Date) -> Timestamp {
        at(
            &rules.time_zone,
            day.yesterday().unwrap().yesterday().unwrap(),
            hm(12, 0),
        )
    }

    fn assert_unique_civil_starts(slots: &[Slot]) {
        let mut starts: Vec<DateTime> = slots.iter().map(|slot| slot.local_start).collect();
        let count = starts.len();
        starts.dedup();
        assert_eq!(starts.len(), count, "a civil start is offered twice");
    }

    fn assert_real_length(slots: &[Slot], minutes: i64) {
        for slot in slots {
            assert_eq!(
                slot.end.duration_since(slot.start),
                SignedDuration::from_mins(minutes)
            );
        }
    }

    /// Spring forward: a civil hour is skipped.
    fn check_spring_forward(zone: &str, day: Date, skipped_hour: i8) {
        let rules = dst_rules(zone, day, hm(0, 0), hm(6, 0));
        let now = now_before(&rules, day);
        let slots = day_slots(&rules, &timed(60, 30), &[], day, now);
        assert!(slots.iter().all(|s| s.local_start.hour() != skipped_hour));
        assert_unique_civil_starts(&slots);
        assert_real_length(&slots, 60);
        // The slot starting half an hour before the jump ends 1.5 civil hours later.
        let before_jump = slots
            .iter()
            .find(|s| s.local_start.time() == hm(skipped_hour - 1, 30))
            .unwrap();
        let end_civil = rules.time_zone.to_datetime(before_jump.end).time();
        assert_eq!(end_civil, hm(skipped_hour + 1, 30));
        // Starts every 30 minutes from 00:00 to 05:00, less the two skipped ones.
        assert_eq!(slots.len(), 11 - 2);
        // Six civil hours from 00:00 to 06:00 are five real hours.
        let last = slots.last().unwrap();
        assert_eq!(last.local_start.time(), hm(5, 0));
        let full = dst_rules(zone, day, hm(0, 0), hm(0, 0));
        let whole = day_slots(
            &full,
            &BookingType::new(BookingLength::FullDay),
            &[],
            day,
            now,
        );
        assert_eq!(
            whole[0].end.duration_since(whole[0].start),
            SignedDuration::from_hours(23)
        );
    }

    /// Fall back: a civil hour happens twice.
    fn check_fall_back(zone: &str, day: Date, repeated_hour: i8) {
        let rules = dst_rules(zone, day, hm(0, 0), hm(6, 0));
        let now = now_before(&rules, day);
        let booking_type = timed(60, 30);
        let slots = day_slots(&rules, &booking_type, &[], day, now);
        assert_unique_civil_starts(&slots);
        assert_real_length(&slots, 60);
        // 00:00 to 05:00 every 30 minutes, each civil time once.
        assert_eq!(slots.len(), 11);
        let repeated = slots
            .iter()
            .find(|s| s.local_start.time() == hm(repeated_hour, 30))
            .unwrap();
        // The earlier of the two instants is the one offered...
        let later = rules
            .time_zone
            .to_ambiguous_timestamp(day.to_datetime(hm(repeated_hour, 30)))
            .later()
            .unwrap();
        assert_eq!(
            later.duration_since(repeated.start),
            SignedDuration::from_hours(1)
        );
        // ...and the later one is not an offered start.
        assert_eq!(
            check(&rules, &booking_type, &[], later, now),
            Err(Unavailable::NotOffered)
        );
        // A shoot across the change lasts its real length: civil 01:30 → 01:30.
        let end_civil = rules.time_zone.to_datetime(repeated.end).time();
        assert_eq!(end_civil, hm(repeated_hour, 30));
        let full = dst_rules(zone, day, hm(0, 0), hm(0, 0));
        let whole = day_slots(
            &full,
            &BookingType::new(BookingLength::FullDay),
            &[],
            day,
            now,
        );
        assert_eq!(
            whole[0].end.duration_since(whole[0].start),
            SignedDuration::from_hours(25)
        );
    }

    #[test]
    fn london_spring_forward_skips_the_missing_hour() {
        check_spring_forward("Europe/London", date(2026, 3, 29), 1);
    }

    #[test]
    fn london_fall_back_offers_the_repeated_hour_once() {
        check_fall_back("Europe/London", date(2026, 10, 25), 1);
    }

    #[test]
    fn new_york_spring_forward_skips_the_missing_hour() {
        check_spring_forward("America/New_York", date(2026, 3, 8), 2);
    }

    #[test]
    fn new_york_fall_back_offers_the_repeated_hour_once() {
        check_fall_back("America/New_York", date(2026, 11, 1), 1);
    }

    #[test]
    fn an_opening_time_inside_the_gap_opens_at_the_jump() {
        let day = date(2026, 3, 29);
        let rules = dst_rules("Europe/London", day, hm(1, 30), hm(4, 0));
        let now = now_before(&rules, day);
        let slots = day_slots(&rules, &timed(60, 30), &[], day, now);
        // 01:30 does not exist; the grid continues at 02:00, the moment of the jump.
        assert_eq!(local_times(&slots), [hm(2, 0), hm(2, 30), hm(3, 0)]);
        let full = day_slots(
            &rules,
            &BookingType::new(BookingLength::FullDay),
            &[],
            day,
            now,
        );
        assert_eq!(full[0].local_start.time(), hm(2, 0));
        assert_eq!(
            full[0].end.duration_since(full[0].start),
            SignedDuration::from_hours(2)
        );
    }

    #[test]
    fn month_days_lists_open_days_with_free_slots() {
        let mut rules = singapore_rules();
        rules
            .overrides
            .insert(date(2026, 6, 10), DateOverride::Closed);
        let mut booking_type = timed(60, 30);
        booking_type.resources = vec![ROOM];
        let zone = rules.time_zone.clone();
        let full_day = date(2026, 6, 11);
        let blocked = [busy(
            at(&zone, full_day, hm(0, 0)),
            at(&zone, full_day, hm(23, 0)),
            &[ROOM],
        )];
        let days = month_days(&rules, &booking_type, &blocked, 2026, 6, sg_now());
        assert_eq!(days.len(), 22 - 2);
        assert!(
            days.iter()
                .all(|d| d.weekday() != Weekday::Saturday && d.weekday() != Weekday::Sunday)
        );
        assert!(!days.contains(&date(2026, 6, 10)));
        assert!(!days.contains(&full_day));
        assert_eq!(days[0], MONDAY);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const RESOURCES: [ResourceId; 3] = [ResourceId(1), ResourceId(2), ResourceId(3)];
        const ZONES: [&str; 3] = ["Asia/Singapore", "Europe/London", "America/New_York"];
        /// Months of the tests: spring and autumn clock changes in both zones.
        const MONTHS: [(i16, i8); 3] = [(2026, 3), (2026, 10), (2026, 11)];

        /// Up to three intervals on a 15-minute grid, possibly ending at midnight.
        fn day_hours() -> impl Strategy<Value = DayHours> {
            proptest::collection::vec(0u32..=96, 0..=6).prop_map(|mut marks| {
                marks.sort_unstable();
                marks.dedup();
                let pairs: Vec<(Time, Time)> = marks
                    .chunks_exact(2)
                    .map(|pair| (quarter(pair[0]), quarter(pair[1])))
                    .collect();
                DayHours::new(&pairs).unwrap()
            })
        }

        fn quarter(mark: u32) -> Time {
            let minutes = (mark * 15) % (24 * 60);
            time(
                i8::try_from(minutes / 60).unwrap(),
                i8::try_from(minutes % 60).unwrap(),
                0,
                0,
            )
        }

        fn resource_set() -> impl Strategy<Value = Vec<ResourceId>> {
            proptest::sample::subsequence(RESOURCES.to_vec(), 0..=3)
        }

        fn length() -> impl Strategy<Value = BookingLength> {
            prop_oneof![
                4 => (1u32..=240).prop_map(|m| BookingLength::Minutes(nz(m))),
                1 => Just(BookingLength::HalfDay),
                1 => Just(BookingLength::FullDay),
                1 => (1u32..=3).prop_map(|n| BookingLength::Days(nz(n))),
            ]
        }

        fn booking_type() -> impl Strategy<Value = BookingType> {
            (
                length(),
                any::<bool>(),
                0u32..=60,
                0u32..=60,
                0i64..=48 * 60,
                0u32..=40,
                proptest::sample::select(vec![5u32, 10, 15, 20, 25, 30, 45, 60, 90]),
                resource_set(),
            )
                .prop_map(
                    |(length, skip, before, after, notice, horizon, step, resources)| BookingType {
                        length,
                        skip_closed_days: skip,
                        buffer_before_minutes: before,
                        buffer_after_minutes: after,
                        minimum_notice: SignedDuration::from_mins(notice),
                        horizon_days: horizon,
                        slot_step_minutes: nz(step),
                        resources,
                    },
                )
        }

        #[derive(Debug, Clone)]
        struct Scenario {
            rules: StudioRules,
            booking_type: BookingType,
            busy: Vec<Busy>,
            now: Timestamp,
            year: i16,
            month: i8,
        }

        fn scenario() -> impl Strategy<Value = Scenario> {
            (
                0..ZONES.len(),
                0..MONTHS.len(),
                proptest::array::uniform7(day_hours()),
                proptest::collection::vec(
                    (
                        0u32..31,
                        prop_oneof![Just(None), day_hours().prop_map(Some)],
                    ),
                    0..4,
                ),
                proptest::array::uniform3(1u32..=2),
                booking_type(),
                proptest::collection::vec(
                    (
                        0i64..40 * 24 * 60,
                        1i64..=600,
                        0u32..=60,
                        0u32..=60,
                        proptest::sample::subsequence(RESOURCES.to_vec(), 1..=3),
                    ),
                    0..120,
                ),
                0i64..20 * 24 * 60,
            )
                .prop_map(
                    |(zone, month, week, overrides, capacities, booking_type, busy, now)| {
                        let zone = tz(ZONES[zone]);
                        let (year, month) = MONTHS[month];
                        let mut weekly = WeeklyHours::closed();
                        for (day, hours) in ALL_WEEKDAYS.into_iter().zip(week) {
                            weekly.set(day, hours);
                        }
                        let mut rules = StudioRules::new(zone.clone(), weekly);
                        let first = date(year, month, 1);
                        for (offset, hours) in overrides {
                            let day = first.checked_add(i64::from(offset).days()).unwrap();
                            let change = hours.map_or(DateOverride::Closed, DateOverride::Hours);
                            rules.overrides.insert(day, change);
                        }
                        for (resource, capacity) in RESOURCES.into_iter().zip(capacities) {
                            rules.capacities.insert(resource, capacity);
                        }
                        // The month starts a few days after "origin" so now can fall before it.
                        let origin =
                            at(&zone, first, hm(0, 0)) - SignedDuration::from_hours(5 * 24);
                        let busy = busy
                            .into_iter()
                            .map(|(start, length, before, after, resources)| {
                                let start = origin + SignedDuration::from_mins(start);
                                Busy {
                                    start,
                                    end: start + SignedDuration::from_mins(length),
                                    buffer_before_minutes: before,
                                    buffer_after_minutes: after,
                                    resources,
                                }
                            })
                            .collect();
                        Scenario {
                            rules,
                            booking_type,
                            busy,
                            now: origin + SignedDuration::from_mins(now),
                            year,
                            month,
                        }
                    },
                )
        }

        const ALL_WEEKDAYS: [Weekday; 7] = [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ];

        /// Brute force: the most bookings using `resource` at one instant of
        /// `[from, to)`, looking at every instant where the count can change.
        fn brute_peak(busy: &[Busy], resource: ResourceId, from: Timestamp, to: Timestamp) -> u32 {
            let occupied = |b: &Busy| {
                (
                    b.start - SignedDuration::from_mins(i64::from(b.buffer_before_minutes)),
                    b.end + SignedDuration::from_mins(i64::from(b.buffer_after_minutes)),
                )
            };
            let mut probes = vec![from];
            probes.extend(
                busy.iter()
                    .map(|b| occupied(b).0)
                    .filter(|&s| from <= s && s < to),
            );
            probes
                .into_iter()
                .map(|probe| {
                    let count = busy
                        .iter()
                        .filter(|b| b.resources.contains(&resource))
                        .filter(|b| {
                            let (s, e) = occupied(b);
                            s <= probe && probe < e
                        })
                        .count();
                    u32::try_from(count).unwrap()
                })
                .max()
                .unwrap_or(0)
        }

        /// True when a booking of `booking_type` at `slot` fits next to `busy`
        /// by the brute-force count.
        fn brute_fits(s: &Scenario, slot: &Slot) -> bool {
            let bt = &s.booking_type;
            let from = slot.start - SignedDuration::from_mins(i64::from(bt.buffer_before_minutes));
            let to = slot.end + SignedDuration::from_mins(i64::from(bt.buffer_after_minutes));
            bt.resources
                .iter()
                .all(|r| brute_peak(&s.busy, *r, from, to) < s.rules.capacities[r])
        }

        fn month_dates(year: i16, month: i8) -> Vec<Date> {
            let first = date(year, month, 1);
            (0..first.days_in_month())
                .map(|offset| first.checked_add(i64::from(offset).days()).unwrap())
                .collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

            /// (a) no slot overlaps existing bookings beyond a capacity, and
            /// (d) every offered start that the brute force finds free is returned.
            #[test]
            fn slots_respect_capacity_and_miss_nothing(s in scenario()) {
                let no_resources = BookingType { resources: Vec::new(), ..s.booking_type.clone() };
                for day in month_dates(s.year, s.month) {
                    let slots = day_slots(&s.rules, &s.booking_type, &s.busy, day, s.now);
                    for slot in &slots {
                        prop_assert!(brute_fits(&s, slot), "slot {slot:?} overbooks");
                    }
                    // Without resources nothing blocks, so this is every offered start.
                    let offered = day_slots(&s.rules, &no_resources, &[], day, s.now);
                    let expected: Vec<Slot> = offered.into_iter().filter(|slot| brute_fits(&s, slot)).collect();
                    prop_assert_eq!(&slots, &expected);
                }
            }

            /// (b) every slot passes `check`, and a slot's start is on its date.
            #[test]
            fn every_slot_passes_check(s in scenario()) {
                for day in month_dates(s.year, s.month) {
                    for slot in day_slots(&s.rules, &s.booking_type, &s.busy, day, s.now) {
                        prop_assert_eq!(slot.local_start.date(), day);
                        prop_assert_eq!(check(&s.rules, &s.booking_type, &s.busy, slot.start, s.now), Ok(slot));
                        if let BookingLength::Minutes(minutes) = s.booking_type.length {
                            let local = slot.local_start;
                            let legacy = check_local(
                                &s.rules, &s.booking_type, &s.busy, local.date(), local.time(),
                                i64::from(minutes.get()), s.now,
                            );
                            prop_assert_eq!(legacy, Ok(slot));
                        }
                    }
                }
            }

            /// (c) `month_days` lists a date exactly when `day_slots` is not empty.
            #[test]
            fn month_days_agrees_with_day_slots(s in scenario()) {
                let listed = month_days(&s.rules, &s.booking_type, &s.busy, s.year, s.month, s.now);
                let expected: Vec<Date> = month_dates(s.year, s.month)
                    .into_iter()
                    .filter(|&day| !day_slots(&s.rules, &s.booking_type, &s.busy, day, s.now).is_empty())
                    .collect();
                prop_assert_eq!(listed, expected);
            }

            /// A start `check` refuses as taken really is over capacity.
            #[test]
            fn taken_means_over_capacity(s in scenario()) {
                let no_resources = BookingType { resources: Vec::new(), ..s.booking_type.clone() };
                for day in month_dates(s.year, s.month) {
                    for slot in day_slots(&s.rules, &no_resources, &[], day, s.now) {
                        let verdict = check(&s.rules, &s.booking_type, &s.busy, slot.start, s.now);
                        match verdict {
                            Ok(found) => prop_assert!(brute_fits(&s, &found)),
                            Err(Unavailable::Taken { .. }) => prop_assert!(!brute_fits(&s, &slot)),
                            Err(other) => prop_assert!(false, "unexpected {other:?}"),
                        }
                    }
                }
            }
        }
    }
}
