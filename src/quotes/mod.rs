//! Quotes (issue 16): a customer's project request, the studio's itemised proposals (each
//! sent one a revision; the customer always sees the latest), the customer's answer (accept
//! with a typed signature, decline, or ask on the quote's thread), and expiry. See
//! `docs/quotes.md`.

pub mod acceptance;
pub mod balance;
pub mod emails;
pub mod files;
pub mod handlers;
pub mod jobs;
pub mod model;
pub mod proposal_form;
pub mod service;
pub mod store;
pub mod tables;
pub mod views;
