//! Bookings: shoots and consultations on the studio's calendar.
//!
//! - [`availability`]: the pure computation of free start times (opening hours, date
//!   overrides, buffers, resources with a capacity, minimum notice, horizon, time zones with
//!   their clock changes);
//! - [`model`]: the rules' rows, a booking, its state machine and cancellation policy;
//! - [`store`]: the SQL; [`service`]: reading availability and placing a booking atomically;
//! - [`handlers`] and [`views`]: `/book` (type → calendar → time → details → review → booked)
//!   and a booking's own page behind its signed link; [`emails`]: what customers and staff get.
//!
//! Still to come (issue 15): deposits through the payments port and holds, `.ics` invites,
//! reminders, rescheduling, the admin (tables, calendar, state moves), the availability API.

pub use store::attach_guest as attach_guest_bookings;

pub mod availability;
pub mod deposits;
pub mod emails;
pub mod handlers;
pub mod hours;
pub mod invite;
pub mod model;
pub mod reminders;
pub mod reschedule;
pub mod resources;
pub mod service;
pub mod staff;
pub mod store;
pub mod tables;
pub mod views;
