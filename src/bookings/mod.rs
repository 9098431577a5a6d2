//! Bookings: shoots and consultations on the studio's calendar.
//!
//! - [`availability`]: the pure computation of free start times (opening hours, date
//!   overrides, buffers, resources with a capacity, minimum notice, horizon, time zones with
//!   their clock changes);
//! - [`model`]: the rules' rows, a booking, its state machine and cancellation policy;
//! - [`store`]: the SQL; [`service`]: reading availability (memoised per process) and placing a
//!   booking atomically; [`reschedule`]: moving one; [`deposits`]: the payments port's booking
//!   side (holds, their expiry, refunds under the policy snapshot);
//! - [`handlers`] and [`views`]: `/book` (type → calendar → time → details → review → booked)
//!   and a booking's own page behind its signed link (pay, move, cancel); [`emails`] and
//!   [`invite`]: what customers and staff get; [`reminders`]: the day-before email;
//! - [`staff`], [`hours`], [`resources`], [`tables`]: what the admin does with them.

pub use store::attach_guest as attach_guest_bookings;

pub mod availability;
pub mod deposits;
pub mod emails;
pub mod files;
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
