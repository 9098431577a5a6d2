//! The studio's back-office: dashboard, outbox, jobs, the audit log, the orders' pages, and the
//! inline-edit tables (the component is `crate::tables`; each domain declares its own tables,
//! listed in [`tables::ALL`]).

pub mod booking_calendar;
pub mod booking_hours;
pub mod booking_new;
pub mod bookings;
pub mod handlers;
pub mod orders;
pub mod quotes;
pub mod table_handlers;
pub mod tables;
pub mod views;
