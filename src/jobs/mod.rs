//! The database-backed job queue: email delivery, cleanup and (later) media processing,
//! reminders and reconciliation all run here. A job is claimed by exactly one worker at a
//! time across replicas; delivery is at-least-once (a worker that dies mid-job loses its
//! lease and the job runs again), so handlers are idempotent.
//!
//! See `docs/adr/0003-job-queue.md`.

#![warn(missing_docs)]

pub mod model;
pub mod store;
pub mod worker;

pub use model::{Job, JobSpec, JobStatus};
pub use store::EnqueueOptions;
pub use worker::{JobHandler, Periodic, Registry, Worker, WorkerConfig};
