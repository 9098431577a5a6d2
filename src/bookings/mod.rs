//! Bookings: shoots and consultations on the studio's calendar.
//!
//! Built so far: [`availability`], the pure computation of free start times (opening hours,
//! date overrides, buffers, resources with a capacity, minimum notice, horizon, time zones
//! with their clock changes). The store, the customer flow, deposits, emails and the admin
//! come next (issue 15).

pub mod availability;
