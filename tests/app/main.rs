//! Integration tests: the real app over HTTP, on SQLite and on PostgreSQL.
//!
//! Modules mirror the routes. Database-backed tests run twice, as `<module>::sqlite::<name>`
//! and `<module>::postgres::<name>` (see `on_both_backends!`). Run everything with
//! `scripts/test`, which starts PostgreSQL and installs the SMTP sink.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test reports failure by panicking"
)]

mod support;

mod accounts;
mod analytics;
mod api;
mod architecture;
mod booking_changes;
mod booking_deposits;
mod bookings;
mod browser;
mod cli;
mod cluster;
mod customers;
mod email;
mod exports;
mod fake_stripe;
mod inbox;
mod jobs;
mod media;
mod ops;
mod orders;
mod payments;
mod post_stream;
mod projects;
mod quotes;
mod replicas;
mod resumable;
mod reviews;
mod scale;
mod scale_out;
mod security;
mod slow_clients;
mod storefront;
