//! The studio's back-office: dashboard, outbox, jobs, the audit log, and the inline-edit
//! tables (one component, declared per table in `tables`).

pub mod handlers;
pub mod orders;
pub mod table;
pub mod tables;
pub mod views;
