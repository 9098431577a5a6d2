//! Reports for the studio: what was sold and taken over a period, compared with the period
//! before, in the studio's time zone, each currency apart. Every figure has one written
//! definition in `docs/analytics.md`; the numbers come from the domains' own read functions
//! (`payments::store::takings`, `orders::store::sales_by_product`,
//! `orders::store::abandoned_checkouts`, `bookings::store::scheduled_between`,
//! `quotes::store::funnel_between`, …), never from their tables directly.

#![warn(missing_docs)]

pub mod charts;
pub mod export;
pub mod handlers;
pub mod period;
pub mod report;
pub mod services;
pub mod views;
