//! The job queue on a real database: exactly-once claiming across workers, retries, death.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flashstudio::db::{Db, now};
use flashstudio::jobs::store::{self, EnqueueOptions};
use flashstudio::jobs::{Job, JobHandler, JobSpec, JobStatus, Registry, Worker, WorkerConfig};
use flashstudio::metrics::Metrics;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::on_both_backends;
use crate::support::{Backend, eventually, fresh_database_url};

#[derive(Serialize, Deserialize)]
struct CountJob {
    n: u32,
}

impl JobSpec for CountJob {
    const KIND: &'static str = "test_count";
}

/// Records which worker ran which job.
#[derive(Clone, Default)]
struct Recorder {
    runs: Arc<Mutex<HashMap<String, Vec<&'static str>>>>,
}

struct Recording {
    worker: &'static str,
    recorder: Recorder,
}

#[async_trait::async_trait]
impl JobHandler for Recording {
    async fn run(&self, job: &Job) -> anyhow::Result<()> {
        // A little work, so both workers are busy at once.
        tokio::time::sleep(Duration::from_millis(2)).await;
        self.recorder
            .runs
            .lock()
            .unwrap()
            .entry(job.id.clone())
            .or_default()
            .push(self.worker);
        Ok(())
    }
}

struct AlwaysFails;

#[async_trait::async_trait]
impl JobHandler for AlwaysFails {
    async fn run(&self, _job: &Job) -> anyhow::Result<()> {
        anyhow::bail!("the thing is broken")
    }
}

async fn migrated_db(backend: Backend, dir: &std::path::Path) -> Db {
    flashstudio::telemetry::install_crypto_provider();
    let db = Db::connect(&fresh_database_url(backend, dir).await, 10)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    db
}

fn config() -> WorkerConfig {
    WorkerConfig {
        concurrency: 4,
        poll_interval: Duration::from_millis(20),
        retry_base: Duration::from_secs(1),
        lease: Duration::from_secs(300),
        drain: Duration::from_secs(5),
    }
}

async fn two_workers_never_run_the_same_job_twice(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = migrated_db(backend, dir.path()).await;
    const JOBS: u32 = 400;
    let mut conn = db.pool().acquire().await.unwrap();
    for n in 0..JOBS {
        let options = EnqueueOptions {
            max_attempts: 3,
            ..EnqueueOptions::default()
        };
        store::enqueue(&mut conn, &CountJob { n }, &options, now())
            .await
            .unwrap();
    }
    drop(conn);
    let recorder = Recorder::default();
    let shutdown = CancellationToken::new();
    let mut handles = Vec::new();
    for name in ["worker-a", "worker-b"] {
        let mut registry = Registry::new();
        registry.register::<CountJob>(Recording {
            worker: name,
            recorder: recorder.clone(),
        });
        let worker = Worker::new(db.clone(), registry, config(), Arc::new(Metrics::new()));
        handles.push(tokio::spawn(worker.run(shutdown.clone())));
    }

    let runs = recorder.runs.clone();
    eventually("every job to run", Duration::from_secs(60), || {
        let runs = runs.clone();
        async move { (runs.lock().unwrap().len() == JOBS as usize).then_some(()) }
    })
    .await;
    // Let any duplicate claim show itself before stopping.
    tokio::time::sleep(Duration::from_millis(200)).await;
    shutdown.cancel();
    for h in handles {
        h.await.unwrap();
    }

    let runs = recorder.runs.lock().unwrap().clone();
    let twice: Vec<_> = runs.iter().filter(|(_, w)| w.len() != 1).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
    let by_a = runs.values().filter(|w| w[0] == "worker-a").count();
    let by_b = runs.values().filter(|w| w[0] == "worker-b").count();
    println!("{backend:?}: worker-a ran {by_a}, worker-b ran {by_b} of {JOBS} jobs, none twice");
    assert!(
        by_a > 0 && by_b > 0,
        "both workers took part ({by_a} / {by_b})"
    );
    let counts = store::count_by_status(db.pool()).await.unwrap();
    assert_eq!(counts, vec![("done".to_owned(), i64::from(JOBS))]);
}

async fn a_failing_job_is_retried_with_backoff_and_then_dead(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = migrated_db(backend, dir.path()).await;
    let mut conn = db.pool().acquire().await.unwrap();
    let options = EnqueueOptions {
        max_attempts: 2,
        ..EnqueueOptions::default()
    };
    store::enqueue(&mut conn, &CountJob { n: 1 }, &options, now())
        .await
        .unwrap();
    drop(conn);
    let mut registry = Registry::new();
    registry.register::<CountJob>(AlwaysFails);
    let worker = Worker::new(db.clone(), registry, config(), Arc::new(Metrics::new()));

    assert!(worker.run_one("test").await.unwrap(), "first attempt runs");
    let rows = store::list_open(db.pool(), None, 10).await.unwrap();
    assert_eq!(rows[0].status, "queued");
    assert!(
        rows[0].run_at > now() - 1,
        "retry is scheduled in the future"
    );
    assert!(!worker.run_one("test").await.unwrap(), "not due yet");

    let pool = db.pool().clone();
    eventually("the second attempt", Duration::from_secs(5), || {
        let worker = &worker;
        async move { worker.run_one("test").await.unwrap().then_some(()) }
    })
    .await;
    let rows = store::list_open(&pool, Some(JobStatus::Dead), 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].attempts, 2);
    assert_eq!(rows[0].last_error.as_deref(), Some("the thing is broken"));

    assert!(
        store::requeue_dead(&pool, &rows[0].id, now())
            .await
            .unwrap()
    );
    assert_eq!(
        store::list_open(&pool, Some(JobStatus::Queued), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn periodic_jobs_are_enqueued_once_per_period_whoever_asks(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = migrated_db(backend, dir.path()).await;
    let mut conn = db.pool().acquire().await.unwrap();
    let options = EnqueueOptions {
        dedupe_key: Some("test_count:42".into()),
        max_attempts: 3,
        ..EnqueueOptions::default()
    };

    let first = store::enqueue(&mut conn, &CountJob { n: 1 }, &options, now())
        .await
        .unwrap();
    let second = store::enqueue(&mut conn, &CountJob { n: 1 }, &options, now())
        .await
        .unwrap();

    assert!(first);
    assert!(!second, "a second replica's insert is a no-op");
}

async fn a_job_whose_worker_died_runs_again_after_its_lease(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = migrated_db(backend, dir.path()).await;
    let mut conn = db.pool().acquire().await.unwrap();
    let options = EnqueueOptions {
        max_attempts: 3,
        ..EnqueueOptions::default()
    };
    store::enqueue(&mut conn, &CountJob { n: 7 }, &options, now())
        .await
        .unwrap();
    drop(conn);
    // A worker claims it with a short lease and dies without finishing.
    let claimed = store::claim_next(db.pool(), db.backend(), "dead-worker", now(), now() + 1)
        .await
        .unwrap()
        .expect("claimed");
    assert!(
        store::claim_next(db.pool(), db.backend(), "other", now(), now() + 60)
            .await
            .unwrap()
            .is_none(),
        "nobody else gets it while the lease holds"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;

    let recorder = Recorder::default();
    let mut registry = Registry::new();
    registry.register::<CountJob>(Recording {
        worker: "survivor",
        recorder: recorder.clone(),
    });
    let worker = Worker::new(db.clone(), registry, config(), Arc::new(Metrics::new()));
    assert!(worker.run_one("survivor").await.unwrap());

    let runs = recorder.runs.lock().unwrap().clone();
    assert_eq!(runs.get(&claimed.id).map(Vec::len), Some(1));
    // The dead worker's late "done" is ignored: it no longer holds the job.
    store::complete(db.pool(), &claimed.id, "dead-worker", now())
        .await
        .unwrap();
    let counts = store::count_by_status(db.pool()).await.unwrap();
    assert_eq!(counts, vec![("done".to_owned(), 1)]);
}

struct Slow {
    millis: u64,
    recorder: Recorder,
}

#[async_trait::async_trait]
impl JobHandler for Slow {
    async fn run(&self, job: &Job) -> anyhow::Result<()> {
        tokio::time::sleep(Duration::from_millis(self.millis)).await;
        self.recorder
            .runs
            .lock()
            .unwrap()
            .entry(job.id.clone())
            .or_default()
            .push("slow");
        Ok(())
    }
}

async fn running_jobs(db: &Db) -> i64 {
    sqlx::query_scalar("select count(*) from jobs where status = 'running'")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

/// On shutdown a job in hand finishes when it can within the drain time, and is handed back
/// to the queue at once (its attempt not spent) when it cannot.
async fn shutdown_finishes_short_jobs_and_hands_long_ones_back(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = migrated_db(backend, dir.path()).await;
    let options = EnqueueOptions {
        max_attempts: 3,
        ..EnqueueOptions::default()
    };
    for (millis, drain) in [
        (300, Duration::from_secs(3)),
        (10_000, Duration::from_millis(300)),
    ] {
        sqlx::query("delete from jobs")
            .execute(db.pool())
            .await
            .unwrap();
        let mut conn = db.pool().acquire().await.unwrap();
        assert!(
            store::enqueue(&mut conn, &CountJob { n: 1 }, &options, now())
                .await
                .unwrap()
        );
        drop(conn);
        let id: String = sqlx::query_scalar("select id from jobs")
            .fetch_one(db.pool())
            .await
            .unwrap();
        let recorder = Recorder::default();
        let mut registry = Registry::new();
        registry.register::<CountJob>(Slow {
            millis,
            recorder: recorder.clone(),
        });
        let worker = Worker::new(
            db.clone(),
            registry,
            WorkerConfig { drain, ..config() },
            Arc::new(Metrics::new()),
        );
        let shutdown = CancellationToken::new();
        let running = tokio::spawn(worker.run(shutdown.clone()));
        eventually("the job to be running", Duration::from_secs(10), || async {
            (running_jobs(&db).await == 1).then_some(())
        })
        .await;
        let asked = tokio::time::Instant::now();
        shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(5), running)
            .await
            .expect("the worker stops within its drain time")
            .unwrap();
        let (status, attempts, run_at): (String, i64, i64) =
            sqlx::query_as("select status, attempts, run_at from jobs where id = $1")
                .bind(&id)
                .fetch_one(db.pool())
                .await
                .unwrap();
        let ran = recorder.runs.lock().unwrap().len();
        if millis < 1000 {
            assert_eq!((status.as_str(), attempts, ran), ("done", 1, 1), "finished");
        } else {
            assert_eq!(
                (status.as_str(), attempts, ran),
                ("queued", 0, 0),
                "handed back, its attempt not spent"
            );
            assert!(run_at <= now(), "due at once, not after the lease");
            assert!(asked.elapsed() < Duration::from_secs(2));
        }
    }
}

on_both_backends!(
    shutdown_finishes_short_jobs_and_hands_long_ones_back,
    a_job_whose_worker_died_runs_again_after_its_lease,
    two_workers_never_run_the_same_job_twice,
    a_failing_job_is_retried_with_backoff_and_then_dead,
    periodic_jobs_are_enqueued_once_per_period_whoever_asks,
);
