//! Client projects: what the studio delivers after a shoot.
//!
//! A project belongs to a customer (an account, or an email address until they have one),
//! may come from an accepted quote and the bookings of its shoots, and holds deliverables
//! (films, stills, archives, documents), each with numbered versions whose files are media
//! items. Staff start a project from a quote or a booking in one click (twice finds the
//! first), move it `in_production → in_review → approved → delivered → archived`, and add
//! deliverables and versions; every change is audited. Quotes, bookings and media are read
//! through their own functions; this module writes only its own tables
//! (`migrations/20261205000028_projects.sql`).
//!
//! The client watches the deliverables' newest versions in the screening room
//! (`screening`), behind a signed link or under *Your projects*, comments on them at a time of
//! the film and approves them or asks for changes (`feedback`); staff answer from the project
//! page. Still to come (issue 18): resumable uploads of large files, expiring downloads and
//! the project as one ZIP.

#![warn(missing_docs)]

pub mod downloads;
pub mod emails;
pub mod feedback;
pub mod handlers;
pub mod model;
pub mod reviews;
pub mod screening;
pub mod service;
pub mod store;
pub mod tables;
pub mod views;
