//! The database-backed job queue: email delivery, cleanup and (later) media processing,
//! reminders and reconciliation all run here, exactly once across replicas.
//!
//! See `docs/adr/0003-job-queue.md`.

pub mod model;
pub mod store;
pub mod worker;

pub use model::{Job, JobSpec};
pub use store::EnqueueOptions;
pub use worker::{JobHandler, Periodic, Registry, Worker, WorkerConfig};
