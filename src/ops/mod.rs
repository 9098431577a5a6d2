//! Operations: probes, metrics and periodic maintenance.

pub mod handlers;
pub mod maintenance;
