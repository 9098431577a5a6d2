//! Times the month view and the day view on a busy month.
//!
//! Run with `cargo run --release --example availability_bench`. The studio is in
//! Singapore with five rooms and three crews, open Monday to Friday 09:00–12:00 and 13:00–18:00 and Saturday
//! 10:00–16:00, with a public holiday and one evening opening. 500 existing
//! bookings are spread over the month with a fixed pseudo-random sequence, so
//! every run measures the same work.

use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use flashstudio::bookings::availability::{
    BookingLength, BookingType, Busy, DateOverride, DayHours, ResourceId, StudioRules, WeeklyHours,
    day_slots, month_days,
};
use jiff::SignedDuration;
use jiff::civil::{Date, Weekday, date, time};
use jiff::tz::TimeZone;

/// Five studio rooms, one booking each at a time.
const ROOMS: [ResourceId; 5] = [
    ResourceId(1),
    ResourceId(2),
    ResourceId(3),
    ResourceId(4),
    ResourceId(5),
];
const ROOM_A: ResourceId = ROOMS[0];
const ROOM_B: ResourceId = ROOMS[1];
/// A pool of three camera crews.
const CREW: ResourceId = ResourceId(10);
const RUNS: u32 = 200;
const BOOKINGS: usize = 500;

/// A small linear congruential generator; good enough to scatter bookings.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rules = rules()?;
    let (year, month) = (2026, 6);
    let busy = bookings(&rules, year, month)?;
    let now = rules
        .time_zone
        .to_ambiguous_timestamp(date(2026, 5, 31).to_datetime(time(8, 0, 0, 0)))
        .compatible()?;

    let mut shoot = BookingType::new(BookingLength::Minutes(minutes(120)?));
    shoot.slot_step_minutes = minutes(30)?;
    shoot.buffer_before_minutes = 15;
    shoot.buffer_after_minutes = 30;
    shoot.minimum_notice = SignedDuration::from_hours(24);
    shoot.horizon_days = 90;
    shoot.resources = vec![ROOM_A, CREW];

    let mut consultation = BookingType::new(BookingLength::Minutes(minutes(30)?));
    consultation.slot_step_minutes = minutes(15)?;
    consultation.resources = vec![ROOM_B];

    let mut full_day = BookingType::new(BookingLength::FullDay);
    full_day.resources = vec![ROOM_A, CREW];

    let busiest = busiest_day(&rules, &busy, year, month);
    println!(
        "{BOOKINGS} existing bookings in {year}-{month:02}; {} days with free 2-hour shoot slots",
        month_days(&rules, &shoot, &busy, year, month, now).len()
    );

    let month_view = mean(|| {
        black_box(month_days(&rules, &shoot, &busy, year, month, now));
    });
    let month_consult = mean(|| {
        black_box(month_days(&rules, &consultation, &busy, year, month, now));
    });
    let month_full = mean(|| {
        black_box(month_days(&rules, &full_day, &busy, year, month, now));
    });
    let day_view = mean(|| {
        black_box(day_slots(&rules, &shoot, &busy, busiest, now));
    });
    println!(
        "month view: {} (mean of {RUNS}), 2-hour shoot",
        ms(month_view)
    );
    println!(
        "month view: {} (mean of {RUNS}), 30-minute consultation",
        ms(month_consult)
    );
    println!("month view: {} (mean of {RUNS}), full day", ms(month_full));
    println!(
        "day view:   {} (mean of {RUNS}), 2-hour shoot on {busiest}",
        ms(day_view)
    );
    Ok(())
}

fn minutes(count: u32) -> Result<NonZeroU32, &'static str> {
    NonZeroU32::new(count).ok_or("zero minutes")
}

fn rules() -> Result<StudioRules, Box<dyn std::error::Error>> {
    let hm = |hour, minute| time(hour, minute, 0, 0);
    let weekday = DayHours::new(&[(hm(9, 0), hm(12, 0)), (hm(13, 0), hm(18, 0))])?;
    let saturday = DayHours::new(&[(hm(10, 0), hm(16, 0))])?;
    let mut weekly = WeeklyHours::closed().with(Weekday::Saturday, saturday);
    for day in [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ] {
        weekly.set(day, weekday.clone());
    }
    let mut rules = StudioRules::new(TimeZone::get("Asia/Singapore")?, weekly);
    rules
        .overrides
        .insert(date(2026, 6, 1), DateOverride::Closed);
    rules.overrides.insert(
        date(2026, 6, 12),
        DateOverride::Hours(DayHours::new(&[(hm(9, 0), hm(21, 0))])?),
    );
    for room in ROOMS {
        rules.capacities.insert(room, 1);
    }
    rules.capacities.insert(CREW, 3);
    Ok(rules)
}

/// 500 bookings inside the opening hours of the month's open days, each in
/// one room, a third of them with a crew.
fn bookings(
    rules: &StudioRules,
    year: i16,
    month: i8,
) -> Result<Vec<Busy>, Box<dyn std::error::Error>> {
    let first = Date::new(year, month, 1)?;
    let days = i64::from(first.days_in_month());
    let mut random = Lcg(7);
    let mut busy = Vec::with_capacity(BOOKINGS);
    while busy.len() < BOOKINGS {
        let day = first.checked_add(jiff::Span::new().days(random_i64(&mut random, days)))?;
        let Some(interval) = rules.hours_on(day).intervals().first().copied() else {
            continue;
        };
        let opens = rules
            .time_zone
            .to_ambiguous_timestamp(day.to_datetime(interval.start()))
            .compatible()?;
        let start = opens + SignedDuration::from_mins(15 * random_i64(&mut random, 32));
        let length = SignedDuration::from_mins(30 * (1 + random_i64(&mut random, 6)));
        let room = ROOMS[usize::try_from(random.below(5))?];
        let resources = if random.below(3) == 0 {
            vec![room, CREW]
        } else {
            vec![room]
        };
        busy.push(Busy {
            start,
            end: start + length,
            buffer_before_minutes: 15,
            buffer_after_minutes: 15,
            resources,
        });
    }
    Ok(busy)
}

fn random_i64(random: &mut Lcg, bound: i64) -> i64 {
    let bound = u64::try_from(bound).unwrap_or(1).max(1);
    i64::try_from(random.below(bound)).unwrap_or(0)
}

/// The open date with the most existing bookings starting on it.
fn busiest_day(rules: &StudioRules, busy: &[Busy], year: i16, month: i8) -> Date {
    let mut counts = std::collections::BTreeMap::<Date, usize>::new();
    for booking in busy {
        let day = rules.time_zone.to_datetime(booking.start).date();
        if day.year() == year && day.month() == month {
            *counts.entry(day).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(_, count)| count)
        .map_or(date(year, month, 2), |(day, _)| day)
}

fn mean(mut work: impl FnMut()) -> Duration {
    work();
    let started = Instant::now();
    for _ in 0..RUNS {
        work();
    }
    started.elapsed() / RUNS
}

fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}
