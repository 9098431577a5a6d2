//! The services report: bookings (upcoming, by outcome, by weekday and hour, the resources'
//! utilisation against opening hours) and the quote funnel (received → quoted → accepted →
//! booked, with the median times between stages), for a period and the one before. The rows
//! come from `bookings::store` and `quotes::store`; the counting here is pure.

use jiff::tz::TimeZone;

use super::period::{Bucket, Period};
use crate::bookings::store::Scheduled;
use crate::error::AppResult;
use crate::quotes::store::FunnelRow;
use crate::state::AppState;

/// `part` of `whole` as a whole percentage, rounded half up; none when `whole` is not positive.
pub fn percent_of(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (200 * part + whole) / (2 * whole))
}

/// Bookings of a period by what became of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// Pending, confirmed or completed: going ahead, or done.
    pub going_ahead: i64,
    /// Completed.
    pub completed: i64,
    /// The customer did not come.
    pub no_shows: i64,
    /// Cancelled.
    pub cancelled: i64,
}

impl Outcomes {
    fn add(&mut self, status: &str) {
        match status {
            "no_show" => self.no_shows += 1,
            "cancelled" => self.cancelled += 1,
            "completed" => {
                self.completed += 1;
                self.going_ahead += 1;
            }
            _ => self.going_ahead += 1,
        }
    }

    /// Every booking counted (cancelled ones too).
    pub fn total(&self) -> i64 {
        self.going_ahead + self.no_shows + self.cancelled
    }

    /// No-shows over the bookings whose time came and went with an outcome recorded
    /// (completed or no-show), as a whole percentage; none when there were none.
    pub fn no_show_percent(&self) -> Option<i64> {
        let seen = self.completed + self.no_shows;
        percent_of(self.no_shows, seen)
    }
}

/// One resource's use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utilisation {
    /// Its name.
    pub name: String,
    /// How many bookings it can hold at once.
    pub capacity: i64,
    /// Seconds its claims occupy in the period (buffers included).
    pub occupied: i64,
    /// Seconds the studio is open in the period, times the capacity.
    pub available: i64,
}

impl Utilisation {
    /// Occupied over available, as a whole percentage; none when the studio was never open.
    pub fn percent(&self) -> Option<i64> {
        percent_of(self.occupied, self.available)
    }
}

/// The quote requests of a period, stage by stage (each stage within the one before).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Funnel {
    /// Requests received in the period.
    pub received: i64,
    /// Of those, sent at least one proposal.
    pub quoted: i64,
    /// Of those, accepted (signed, and the deposit paid when one was asked).
    pub accepted: i64,
    /// Of those, with the shoot booked.
    pub booked: i64,
    /// Median seconds from the request to its first proposal.
    pub median_to_quote: Option<i64>,
    /// Median seconds from the first proposal to the signature.
    pub median_to_accept: Option<i64>,
}

/// The services report.
#[derive(Debug, Clone)]
pub struct ServicesReport {
    /// Bookings to come (pending or confirmed, from now on), whatever the period.
    pub upcoming: i64,
    /// Bookings starting in the period.
    pub current: Outcomes,
    /// In the period before.
    pub previous: Outcomes,
    /// Per chart bucket.
    pub by_bucket: Vec<Outcomes>,
    /// Bookings going ahead or done, and no-shows, by weekday of their start (Monday first).
    pub by_weekday: [i64; 7],
    /// The same by hour of their start.
    pub by_hour: [i64; 24],
    /// Per resource.
    pub utilisation: Vec<Utilisation>,
    /// The quote funnel of the period.
    pub funnel: Funnel,
    /// And of the one before.
    pub previous_funnel: Funnel,
}

/// Counts `rows` per outcome, per bucket, by weekday and by hour (in `zone`).
fn count_bookings(
    rows: &[Scheduled],
    buckets: &[Bucket],
    zone: &TimeZone,
) -> (Outcomes, Vec<Outcomes>, [i64; 7], [i64; 24]) {
    let mut all = Outcomes::default();
    let mut by_bucket = vec![Outcomes::default(); buckets.len()];
    let (mut by_weekday, mut by_hour) = ([0; 7], [0; 24]);
    for b in rows {
        all.add(&b.status);
        let i = buckets.partition_point(|k| k.hi <= b.starts_at);
        if let Some(o) = by_bucket.get_mut(i) {
            o.add(&b.status);
        }
        if b.status == "cancelled" {
            continue;
        }
        if let Ok(at) = jiff::Timestamp::from_second(b.starts_at) {
            let local = at.to_zoned(zone.clone());
            let day = usize::try_from(local.weekday().to_monday_zero_offset()).unwrap_or(0);
            let hour = usize::try_from(local.hour()).unwrap_or(0);
            if let Some(n) = by_weekday.get_mut(day) {
                *n += 1;
            }
            if let Some(n) = by_hour.get_mut(hour) {
                *n += 1;
            }
        }
    }
    (all, by_bucket, by_weekday, by_hour)
}

/// The median of `values` (the lower middle one of an even number); none when empty.
fn median(mut values: Vec<i64>) -> Option<i64> {
    values.sort_unstable();
    let n = values.len();
    (n > 0).then(|| values[(n - 1) / 2])
}

/// The funnel of `rows`.
pub fn funnel(rows: &[FunnelRow]) -> Funnel {
    let mut f = Funnel::default();
    let (mut to_quote, mut to_accept) = (Vec::new(), Vec::new());
    for q in rows {
        f.received += 1;
        let Some(sent) = q.first_sent_at else {
            continue;
        };
        f.quoted += 1;
        to_quote.push(sent - q.created_at);
        if q.state != "accepted" {
            continue;
        }
        f.accepted += 1;
        if let Some(signed) = q.accepted_at {
            to_accept.push(signed - sent);
        }
        if q.booking_id.is_some() {
            f.booked += 1;
        }
    }
    f.median_to_quote = median(to_quote);
    f.median_to_accept = median(to_accept);
    f
}

/// Builds the services report for `period` in the studio's zone.
pub async fn report(state: &AppState, period: Period) -> AppResult<ServicesReport> {
    let zone = &state.settings.time_zone;
    let pool = state.db.pool();
    let previous = period.previous();
    let buckets = period.buckets(zone);
    let (from, to) = period.instants(zone);
    let (prev_from, prev_to) = previous.instants(zone);
    let rows = crate::bookings::store::scheduled_between(pool, from, to).await?;
    let (current, by_bucket, by_weekday, by_hour) = count_bookings(&rows, &buckets, zone);
    let before = crate::bookings::store::scheduled_between(pool, prev_from, prev_to).await?;
    let (previous_outcomes, ..) = count_bookings(&before, &[], zone);
    let open = crate::bookings::service::open_seconds(state, period.from, period.to).await?;
    let utilisation = crate::bookings::store::occupied_between(pool, from, to)
        .await?
        .into_iter()
        .filter(|(r, occupied)| r.active || *occupied > 0)
        .map(|(r, occupied)| Utilisation {
            available: open * r.capacity.max(1),
            capacity: r.capacity,
            name: r.name,
            occupied,
        })
        .collect();
    Ok(ServicesReport {
        upcoming: crate::bookings::store::count_upcoming(pool, crate::db::now()).await?,
        current,
        previous: previous_outcomes,
        by_bucket,
        by_weekday,
        by_hour,
        utilisation,
        funnel: funnel(&crate::quotes::store::funnel_between(pool, from, to).await?),
        previous_funnel: funnel(
            &crate::quotes::store::funnel_between(pool, prev_from, prev_to).await?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote(
        created: i64,
        sent: Option<i64>,
        signed: Option<i64>,
        state: &str,
        booked: bool,
    ) -> FunnelRow {
        FunnelRow {
            created_at: created,
            first_sent_at: sent,
            accepted_at: signed,
            state: state.to_owned(),
            booking_id: booked.then(|| "b".to_owned()),
        }
    }

    #[test]
    fn the_funnel_counts_each_stage_within_the_one_before_with_median_times() {
        let rows = [
            quote(0, None, None, "new", false),
            quote(0, Some(100), None, "quoted", false),
            quote(0, Some(300), Some(400), "quoted", true), // signed, deposit not paid yet
            quote(0, Some(200), Some(1_200), "accepted", true),
            quote(0, Some(500), Some(600), "accepted", false),
        ];
        let f = funnel(&rows);
        assert_eq!((f.received, f.quoted, f.accepted, f.booked), (5, 4, 2, 1));
        assert_eq!(
            f.median_to_quote,
            Some(200),
            "of 100, 200, 300, 500: the lower middle"
        );
        assert_eq!(f.median_to_accept, Some(100), "of 1000 and 100");
        assert_eq!(funnel(&[]).median_to_quote, None);
    }

    #[test]
    fn outcomes_and_the_no_show_rate() {
        let mut o = Outcomes::default();
        for s in [
            "completed",
            "completed",
            "no_show",
            "cancelled",
            "confirmed",
        ] {
            o.add(s);
        }
        assert_eq!(
            (o.going_ahead, o.no_shows, o.cancelled, o.total()),
            (3, 1, 1, 5)
        );
        assert_eq!(o.no_show_percent(), Some(33), "1 of the 3 whose time came");
        assert_eq!(Outcomes::default().no_show_percent(), None);
    }
}
