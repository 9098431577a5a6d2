//! The report's tables as CSV: the figures per bucket and currency, and the best sellers, for
//! the period the page shows. A few hundred rows at most (ten years by month, per currency),
//! written at once with the `csv` crate; text cells neutralised as the admin tables' exports
//! are (`tables::export::neutralise`).

use jiff::tz::TimeZone;

use super::period::Bucket;
use super::report::{SalesReport, SalesRow};
use super::services::ServicesReport;
use crate::money::Currency;
use crate::tables::export::{finish, neutralise, writer};

/// Which table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Net revenue, captured, refunded and orders per bucket and currency.
    Figures,
    /// The best sellers.
    BestSellers,
    /// The best-selling categories.
    Categories,
    /// Bookings per bucket by outcome.
    Bookings,
    /// The quote funnel.
    Quotes,
}

impl Table {
    /// From the `table` parameter.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "figures" => Some(Self::Figures),
            "best-sellers" => Some(Self::BestSellers),
            "categories" => Some(Self::Categories),
            "bookings" => Some(Self::Bookings),
            "quotes" => Some(Self::Quotes),
            _ => None,
        }
    }

    /// Its name in URLs and file names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Figures => "figures",
            Self::BestSellers => "best-sellers",
            Self::Categories => "categories",
            Self::Bookings => "bookings",
            Self::Quotes => "quotes",
        }
    }
}

fn amount(code: &str, minor: i64) -> String {
    Currency::parse(code).map_or_else(|| minor.to_string(), |c| c.plain(minor))
}

fn day_of(at: i64, zone: &TimeZone) -> String {
    jiff::Timestamp::from_second(at)
        .map(|t| t.to_zoned(zone.clone()).date().to_string())
        .unwrap_or_default()
}

/// The figures per bucket: one row per bucket and currency, empty buckets included.
pub fn figures_csv(
    report: &SalesReport,
    zone: &TimeZone,
    bom: bool,
) -> Result<Vec<u8>, csv::Error> {
    let mut out = writer(bom);
    out.write_record([
        "Period",
        "First day",
        "Last day",
        "Currency",
        "Net revenue",
        "Orders paid",
    ])?;
    for c in &report.currencies {
        for (i, Bucket { label, lo, hi }) in report.buckets.iter().enumerate() {
            let net = c.net_by_bucket.get(i).copied().unwrap_or(0);
            let orders = c.orders_by_bucket.get(i).copied().unwrap_or(0);
            out.write_record([
                neutralise(label.clone()),
                day_of(*lo, zone),
                day_of(hi - 1, zone),
                c.code.clone(),
                amount(&c.code, net),
                orders.to_string(),
            ])?;
        }
    }
    finish(out)
}

/// A best-sellers table (products or categories), `first` naming its first column.
pub fn sales_csv(first: &str, rows: &[SalesRow<'_>], bom: bool) -> Result<Vec<u8>, csv::Error> {
    let mut out = writer(bom);
    out.write_record([first, "Units", "Sold for", "Currency"])?;
    for (name, units, currency, total) in rows {
        out.write_record([
            neutralise((*name).to_owned()),
            units.to_string(),
            amount(currency, *total),
            (*currency).to_owned(),
        ])?;
    }
    finish(out)
}

/// Bookings starting in each bucket, by outcome; empty buckets included.
pub fn bookings_csv(
    buckets: &[Bucket],
    services: &ServicesReport,
    zone: &TimeZone,
    bom: bool,
) -> Result<Vec<u8>, csv::Error> {
    let mut out = writer(bom);
    out.write_record([
        "Period",
        "First day",
        "Last day",
        "Going ahead or done",
        "No-shows",
        "Cancelled",
    ])?;
    for (b, o) in buckets.iter().zip(&services.by_bucket) {
        out.write_record([
            neutralise(b.label.clone()),
            day_of(b.lo, zone),
            day_of(b.hi - 1, zone),
            o.going_ahead.to_string(),
            o.no_shows.to_string(),
            o.cancelled.to_string(),
        ])?;
    }
    finish(out)
}

/// The quote funnel: each stage, its count and its share of the requests received.
pub fn quotes_csv(services: &ServicesReport, bom: bool) -> Result<Vec<u8>, csv::Error> {
    let f = &services.funnel;
    let mut out = writer(bom);
    out.write_record(["Stage", "Requests", "Share of received (%)"])?;
    for (stage, n) in [
        ("Received", f.received),
        ("Quoted", f.quoted),
        ("Accepted", f.accepted),
        ("Booked", f.booked),
    ] {
        let share =
            super::services::percent_of(n, f.received).map_or_else(String::new, |p| p.to_string());
        out.write_record([stage.to_owned(), n.to_string(), share])?;
    }
    finish(out)
}
