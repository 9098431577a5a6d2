//! Customers, for staff: everyone who dealt with the studio, with or without an account.
//!
//! A customer is an email address: an account's, or one a guest ordered, booked, asked for a
//! quote or wrote with. The list (`tables::CUSTOMERS`) reads `customers` and
//! `customer_spend`, which the database's triggers keep in step with orders, bookings,
//! quotes, messages, accounts and payments (`migrations/20261205000025_customers.sql`); the
//! customer page's timeline asks each domain for that customer's rows through its own read
//! functions. Staff disable an account or send it a reset link through `accounts::staff`.

#![warn(missing_docs)]

pub mod handlers;
pub mod store;
pub mod tables;
pub mod timeline;
pub mod views;
