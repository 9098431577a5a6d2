//! The period a report covers and the buckets its charts count in: civil dates in the studio's
//! zone, turned into UTC instants by the time-zone database (a day is 23 or 25 hours on a DST
//! change; no offset arithmetic here). Pure: no I/O.

use jiff::ToSpan as _;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The longest period a report covers (ten years of months).
pub const MAX_DAYS: i32 = 3_660;

/// A period: from one day to another, both included, in the studio's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub from: Date,
    /// Last day (included).
    pub to: Date,
}

/// How a chart's buckets are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    /// One bar a day (periods up to 35 days).
    Day,
    /// One a week from Monday (up to 26 weeks).
    Week,
    /// One a calendar month.
    Month,
}

/// One bucket of a chart: its label and its instants `[lo, hi)` (epoch seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// "5 Dec", "w/c 30 Nov", "Dec 2026".
    pub label: String,
    /// First second.
    pub lo: i64,
    /// First second after.
    pub hi: i64,
}

/// The presets offered above the report: (value, label).
pub const PRESETS: &[(&str, &str)] = &[
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
    ("month", "This month"),
    ("last-month", "Last month"),
    ("12m", "Last 12 months"),
    ("year", "This year"),
];

impl Period {
    /// A preset's period ending today (`today` in the studio's zone).
    pub fn preset(name: &str, today: Date) -> Option<Self> {
        let back = |days: i32| Self {
            from: today.saturating_sub(days.days()),
            to: today,
        };
        Some(match name {
            "7d" => back(6),
            "30d" => back(29),
            "90d" => back(89),
            "month" => Self {
                from: today.first_of_month(),
                to: today,
            },
            "last-month" => {
                let last = today.first_of_month().saturating_sub(1.day());
                Self {
                    from: last.first_of_month(),
                    to: last,
                }
            }
            "12m" => Self {
                from: today.first_of_month().saturating_sub(11.months()),
                to: today,
            },
            "year" => Self {
                from: today.first_of_year(),
                to: today,
            },
            _ => return None,
        })
    }

    /// Today alone.
    pub fn day(today: Date) -> Self {
        Self {
            from: today,
            to: today,
        }
    }

    /// This week: from Monday to today.
    pub fn week_to(today: Date) -> Self {
        Self {
            from: today.saturating_sub(i32::from(today.weekday().to_monday_zero_offset()).days()),
            to: today,
        }
    }

    /// A custom period from two `YYYY-MM-DD` dates: a sentence when they do not make one.
    pub fn custom(from: &str, to: &str) -> Result<Self, &'static str> {
        let (Ok(from), Ok(to)) = (from.trim().parse::<Date>(), to.trim().parse::<Date>()) else {
            return Err("Give both dates as YYYY-MM-DD.");
        };
        if to < from {
            return Err("The last day comes before the first.");
        }
        let period = Self { from, to };
        if period.days() > MAX_DAYS {
            return Err("A report covers at most ten years.");
        }
        Ok(period)
    }

    /// How many days it covers.
    pub fn days(self) -> i32 {
        self.from.until(self.to).map_or(0, |s| s.get_days()) + 1
    }

    /// The period of the same length just before this one (for comparison).
    pub fn previous(self) -> Self {
        let to = self.from.saturating_sub(1.day());
        Self {
            from: to.saturating_sub((self.days() - 1).days()),
            to,
        }
    }

    /// Its instants `[lo, hi)`: from the first day's start to the day after the last's start,
    /// in `zone`.
    pub fn instants(self, zone: &TimeZone) -> (i64, i64) {
        (
            start_of(self.from, zone),
            start_of(self.to.saturating_add(1.day()), zone),
        )
    }

    /// The grain its charts use.
    pub fn grain(self) -> Grain {
        match self.days() {
            ..=35 => Grain::Day,
            36..=182 => Grain::Week,
            _ => Grain::Month,
        }
    }

    /// The buckets its charts count in, every one of them, empty or not; the first and last
    /// clipped to the period.
    pub fn buckets(self, zone: &TimeZone) -> Vec<Bucket> {
        let grain = self.grain();
        let end = self.to.saturating_add(1.day());
        let mut out = Vec::new();
        let mut day = self.from;
        while day < end {
            let next = match grain {
                Grain::Day => day.saturating_add(1.day()),
                Grain::Week => {
                    let ahead = 7 - i32::from(day.weekday().to_monday_zero_offset());
                    day.saturating_add(ahead.days())
                }
                Grain::Month => day.first_of_month().saturating_add(1.month()),
            }
            .min(end);
            let label = match grain {
                Grain::Day => day.strftime("%-d %b").to_string(),
                Grain::Week => {
                    let monday =
                        day.saturating_sub(i32::from(day.weekday().to_monday_zero_offset()).days());
                    format!("w/c {}", monday.strftime("%-d %b"))
                }
                Grain::Month => day.strftime("%b %Y").to_string(),
            };
            out.push(Bucket {
                label,
                lo: start_of(day, zone),
                hi: start_of(next, zone),
            });
            if next <= day {
                break;
            }
            day = next;
        }
        out
    }
}

/// Today in `zone` (the studio's: reports and file names count days there).
pub fn today(zone: &TimeZone) -> Date {
    jiff::Timestamp::now().to_zoned(zone.clone()).date()
}

/// The first instant of `day` in `zone` (where midnight does not exist, the first that does).
pub fn start_of(day: Date, zone: &TimeZone) -> i64 {
    day.to_zoned(zone.clone())
        .map(|z| z.timestamp().as_second())
        .unwrap_or_else(|_| {
            day.to_zoned(TimeZone::UTC)
                .map_or(0, |z| z.timestamp().as_second())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn presets_end_today_and_compare_with_the_same_length_before() {
        let today = date("2026-03-15");
        let p = Period::preset("7d", today).unwrap();
        assert_eq!((p.from, p.to, p.days()), (date("2026-03-09"), today, 7));
        assert_eq!(
            p.previous(),
            Period {
                from: date("2026-03-02"),
                to: date("2026-03-08")
            }
        );
        let last = Period::preset("last-month", today).unwrap();
        assert_eq!(
            (last.from, last.to),
            (date("2026-02-01"), date("2026-02-28"))
        );
        let year = Period::preset("12m", today).unwrap();
        assert_eq!(year.from, date("2025-04-01"));
        assert!(Period::preset("forever", today).is_none());
    }

    #[test]
    fn custom_periods_are_checked() {
        assert!(Period::custom("2026-01-01", "2026-01-31").is_ok());
        assert!(Period::custom("2026-02-01", "2026-01-31").is_err());
        assert!(Period::custom("yesterday", "2026-01-31").is_err());
        assert!(Period::custom("2000-01-01", "2026-01-31").is_err());
    }

    #[test]
    fn days_follow_the_zone_through_a_dst_change() {
        let london: TimeZone = TimeZone::get("Europe/London").unwrap();
        // Clocks go forward on 29 March 2026: that day has 23 hours, 25 October's 25.
        let p = Period::custom("2026-03-28", "2026-03-30").unwrap();
        let b = p.buckets(&london);
        let hours: Vec<i64> = b.iter().map(|b| (b.hi - b.lo) / 3600).collect();
        assert_eq!(hours, [24, 23, 24]);
        assert_eq!(b[0].lo, 1_774_656_000, "midnight GMT is midnight UTC");
        assert_eq!(
            b[2].lo, 1_774_825_200,
            "midnight BST is 23:00 UTC the day before"
        );
        let autumn = Period::custom("2026-10-25", "2026-10-25").unwrap();
        let b = autumn.buckets(&london);
        assert_eq!((b[0].hi - b[0].lo) / 3600, 25);
        assert_eq!(p.instants(&london), (1_774_656_000, 1_774_911_600));
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first_empty_ones_included() {
        let utc = TimeZone::UTC;
        // Wednesday 4 March to Sunday 19 April 2026: 47 days, by week.
        let p = Period::custom("2026-03-04", "2026-04-19").unwrap();
        assert_eq!(p.grain(), Grain::Week);
        let b = p.buckets(&utc);
        assert_eq!(b[0].label, "w/c 2 Mar");
        assert_eq!((b[0].hi - b[0].lo) / 86_400, 5, "clipped to the period");
        assert_eq!(b.len(), 7);
        assert_eq!(b[6].label, "w/c 13 Apr");
        let year = Period::custom("2026-01-01", "2026-12-31").unwrap();
        let b = year.buckets(&utc);
        assert_eq!(b.len(), 12);
        assert_eq!(b[1].label, "Feb 2026");
        assert_eq!((b[1].hi - b[1].lo) / 86_400, 28);
        let days = Period::custom("2026-01-30", "2026-02-02").unwrap();
        let labels: Vec<String> = days.buckets(&utc).into_iter().map(|b| b.label).collect();
        assert_eq!(labels, ["30 Jan", "31 Jan", "1 Feb", "2 Feb"]);
    }
}
