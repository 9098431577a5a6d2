//! The ports: what the application needs from the outside world, as traits and plain types.
//! The adapters that implement them live with their domains (`payments::stripe`,
//! `payments::dev`, `notifications::mailer`); `AppState` holds them as trait objects, so every
//! module reaches them without depending on an adapter.

#![warn(missing_docs)]

pub mod mail;
pub mod payments;
