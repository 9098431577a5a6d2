//! The worker: claims due jobs, runs their handler, records the outcome; and the scheduler
//! that enqueues periodic jobs once per period across every replica.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt as _;
use tokio_util::sync::CancellationToken;

use super::model::{Job, JobSpec, backoff};
use super::store::{self, EnqueueOptions};
use crate::db::{Db, now};
use crate::metrics::Metrics;

/// Runs one kind of job.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync {
    /// Does the work. An error schedules a retry (or makes the job dead on its last attempt).
    /// Handlers must be idempotent: a job whose worker died mid-run is run again.
    async fn run(&self, job: &Job) -> anyhow::Result<()>;

    /// Called once when the job becomes dead, whatever the cause (its last failure, a panic,
    /// a lost lease), so the domain can record the failure (an email marked failed).
    async fn on_dead(&self, _job: &Job, _error: &str) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Handlers by job kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the handler for `J`.
    pub fn register<J: JobSpec>(&mut self, handler: impl JobHandler + 'static) -> &mut Self {
        self.handlers.insert(J::KIND, Arc::new(handler));
        self
    }

    fn get(&self, kind: &str) -> Option<&Arc<dyn JobHandler>> {
        self.handlers.get(kind)
    }
}

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Concurrent job loops in this process.
    pub concurrency: usize,
    /// Sleep between polls when the queue is empty.
    pub poll_interval: Duration,
    /// First retry delay.
    pub retry_base: Duration,
    /// A claimed job is given back to the queue if its worker has not finished by then.
    pub lease: Duration,
    /// After shutdown is asked for, how long a job in hand may still run; then it is handed
    /// back to the queue at once (not after its lease) and the loop stops.
    pub drain: Duration,
}

/// A periodic job: enqueued once per `every` by whichever replica gets there first.
#[derive(Debug, Clone)]
pub struct Periodic {
    /// The job kind (`JobSpec::KIND`).
    pub kind: &'static str,
    /// Its JSON payload.
    pub payload: String,
    /// Period.
    pub every: Duration,
}

impl Periodic {
    /// A periodic job of type `J`.
    pub fn of<J: JobSpec>(job: &J, every: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            kind: J::KIND,
            payload: serde_json::to_string(job)?,
            every,
        })
    }
}

/// A pool of job loops over one database.
pub struct Worker {
    db: Db,
    registry: Registry,
    config: WorkerConfig,
    metrics: Arc<Metrics>,
    id: String,
}

impl Worker {
    /// A worker with a unique id (process id and a random suffix).
    pub fn new(db: Db, registry: Registry, config: WorkerConfig, metrics: Arc<Metrics>) -> Self {
        let id = format!(
            "{}-{}-w",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8],
        );
        Self {
            db,
            registry,
            config,
            metrics,
            id,
        }
    }

    /// Runs until `shutdown` is cancelled; each loop finishes the job in hand first.
    pub async fn run(self, shutdown: CancellationToken) {
        let worker = Arc::new(self);
        let mut loops = tokio::task::JoinSet::new();
        for n in 0..worker.config.concurrency.max(1) {
            let worker = Arc::clone(&worker);
            let shutdown = shutdown.clone();
            loops.spawn(async move { worker.job_loop(n, shutdown).await });
        }
        while loops.join_next().await.is_some() {}
        tracing::info!(worker.id = %worker.id, "worker stopped");
    }

    async fn job_loop(&self, n: usize, shutdown: CancellationToken) {
        let loop_id = format!("{}{n}", self.id);
        while !shutdown.is_cancelled() {
            match self.run_one_draining(&loop_id, &shutdown).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "job queue unavailable"),
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
    }

    /// Claims and runs at most one job; true when a job was run.
    pub async fn run_one(&self, loop_id: &str) -> anyhow::Result<bool> {
        self.run_one_draining(loop_id, &CancellationToken::new())
            .await
    }

    /// [`Worker::run_one`], giving the job back to the queue when it is still running
    /// `drain` after `shutdown`.
    async fn run_one_draining(
        &self,
        loop_id: &str,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<bool> {
        let now = now();
        if !store::has_due_job(self.db.pool(), now).await? {
            return Ok(false);
        }
        let lease_until = now + i64::try_from(self.config.lease.as_secs()).unwrap_or(300);
        let Some(job) =
            store::claim_next(self.db.pool(), self.db.backend(), loop_id, now, lease_until).await?
        else {
            return Ok(false);
        };
        self.execute(loop_id, job, shutdown).await?;
        Ok(true)
    }

    #[tracing::instrument(skip_all, fields(job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempts))]
    async fn execute(
        &self,
        loop_id: &str,
        job: Job,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        if self.registry.get(&job.kind).is_none() {
            // A newer replica enqueued a kind this (older) binary does not know, during a
            // rolling deploy: hand it back without spending an attempt.
            let now = now();
            store::release(self.db.pool(), &job.id, loop_id, now + 60, now).await?;
            tracing::warn!("no handler for this job kind here; returned it to the queue");
            return Ok(());
        }
        let outcome = if job.attempts > job.max_attempts {
            // A lease ran out on the last attempt (the worker died): do not run it again.
            Err(anyhow::anyhow!("worker lost the job on its last attempt"))
        } else {
            match self.registry.get(&job.kind) {
                Some(handler) => {
                    let run = std::panic::AssertUnwindSafe(handler.run(&job)).catch_unwind();
                    let drained = async {
                        shutdown.cancelled().await;
                        tokio::time::sleep(self.config.drain).await;
                    };
                    // Only the handler is cut short at the drain deadline; recording its
                    // outcome below always runs to the end.
                    tokio::select! {
                        result = run => result
                            .unwrap_or_else(|_| Err(anyhow::anyhow!("job handler panicked"))),
                        () = drained => {
                            let at = now();
                            store::release(self.db.pool(), &job.id, loop_id, at, at).await?;
                            tracing::warn!("shutting down: the job in hand goes back to the queue");
                            return Ok(());
                        }
                    }
                }
                None => Err(anyhow::anyhow!("no handler for job kind {:?}", job.kind)),
            }
        };
        let now = now();
        match outcome {
            Ok(()) => {
                if store::complete(self.db.pool(), &job.id, loop_id, now).await? {
                    self.metrics
                        .job_finished(&job.kind, "done", started.elapsed());
                    tracing::info!(elapsed_ms = started.elapsed().as_millis(), "job done");
                } else {
                    tracing::warn!("job finished after its lease ran out; another worker has it");
                }
            }
            Err(e) => {
                let dead = job.is_last_attempt() || job.attempts > job.max_attempts;
                let delay = backoff(self.config.retry_base, job.attempts);
                let retry_at = now + i64::try_from(delay.as_secs()).unwrap_or(3600);
                let message = format!("{e:#}");
                let pool = self.db.pool();
                if !store::fail(pool, &job.id, loop_id, &message, retry_at, dead, now).await? {
                    tracing::warn!(error = %message, "job failed after its lease ran out; another worker has it");
                    return Ok(());
                }
                let outcome = if dead { "dead" } else { "retry" };
                self.metrics
                    .job_finished(&job.kind, outcome, started.elapsed());
                if dead {
                    tracing::error!(error = %message, "job failed for the last time; it is dead");
                    if let Some(handler) = self.registry.get(&job.kind)
                        && let Err(e) = handler.on_dead(&job, &message).await
                    {
                        tracing::error!(error = %e, "job's dead-letter hook failed");
                    }
                } else {
                    tracing::warn!(error = %message, retry_in_secs = delay.as_secs(), "job failed; will retry");
                }
            }
        }
        Ok(())
    }
}

/// Enqueues each periodic job once per period until `shutdown`.
pub async fn run_scheduler(
    db: Db,
    periodic: Vec<Periodic>,
    max_attempts: i64,
    shutdown: CancellationToken,
) {
    let tick = Duration::from_secs(30);
    loop {
        for p in &periodic {
            let now = now();
            let period = i64::try_from(p.every.as_secs()).unwrap_or(3600).max(1);
            let options = EnqueueOptions {
                run_at: None,
                dedupe_key: Some(format!("{}:{}", p.kind, now / period)),
                max_attempts,
            };
            let result = async {
                let mut conn = db.pool().acquire().await?;
                store::enqueue_raw(&mut conn, p.kind, &p.payload, &options, now).await
            }
            .await;
            if let Err(e) = result {
                tracing::warn!(job.kind = p.kind, error = %e, "could not schedule periodic job");
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(tick) => {}
        }
    }
}
