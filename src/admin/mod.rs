//! The studio's back-office: dashboard, outbox, jobs and the audit log. Later domains add
//! their inline-editable tables here.

pub mod handlers;
pub mod store;
pub mod views;
