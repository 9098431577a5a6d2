//! SQL for the job queue.
//!
//! Claiming is one statement that moves a row to `running` with a lease. On PostgreSQL the
//! inner select takes `FOR UPDATE SKIP LOCKED`, so concurrent workers skip each other's rows
//! instead of queueing on them; SQLite has a single writer, so the statement is atomic as is.

use sqlx::{Any, AnyConnection, Executor, FromRow};

use super::model::{Job, JobSpec, JobStatus};
use crate::db::{Backend, new_id};

/// Options for a new job.
#[derive(Debug, Clone, Default)]
pub struct EnqueueOptions {
    /// Earliest run time (epoch seconds); now when `None`.
    pub run_at: Option<i64>,
    /// A key that makes the insert a no-op if a job with it exists (periodic jobs).
    pub dedupe_key: Option<String>,
    /// Attempts before the job is dead.
    pub max_attempts: i64,
}

/// Inserts a job in the caller's transaction. Returns false when `dedupe_key` already existed.
pub async fn enqueue<J: JobSpec>(
    conn: &mut AnyConnection,
    job: &J,
    options: &EnqueueOptions,
    now: i64,
) -> anyhow::Result<bool> {
    let payload = serde_json::to_string(job)?;
    Ok(enqueue_raw(conn, J::KIND, &payload, options, now).await?)
}

/// Inserts a job row of `kind` with a JSON `payload`.
#[tracing::instrument(skip_all, fields(job.kind = kind))]
pub async fn enqueue_raw(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &str,
    options: &EnqueueOptions,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into jobs (id, kind, payload, status, attempts, max_attempts, run_at, dedupe_key,
                           created_at, updated_at)
         values ($1, $2, $3, 'queued', 0, $4, $5, $6, $7, $7)
         on conflict do nothing",
    )
    .bind(new_id())
    .bind(kind)
    .bind(payload)
    .bind(options.max_attempts.max(1))
    .bind(options.run_at.unwrap_or(now))
    .bind(options.dedupe_key.as_deref())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

const CLAIM_POSTGRES: &str = "update jobs
    set status = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2,
        updated_at = $3
    where id = (
        select id from jobs
        where (status = 'queued' and run_at <= $3) or (status = 'running' and locked_until < $3)
        order by run_at, id
        limit 1
        for update skip locked)
    returning id, kind, payload, attempts, max_attempts";

const CLAIM_SQLITE: &str = "update jobs
    set status = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2,
        updated_at = $3
    where id = (
        select id from jobs
        where (status = 'queued' and run_at <= $3) or (status = 'running' and locked_until < $3)
        order by run_at, id
        limit 1)
    returning id, kind, payload, attempts, max_attempts";

/// Claims the next due job for `worker_id` with a lease until `lease_until`.
pub async fn claim_next<'e>(
    ex: impl Executor<'e, Database = Any>,
    backend: Backend,
    worker_id: &str,
    now: i64,
    lease_until: i64,
) -> Result<Option<Job>, sqlx::Error> {
    let sql = match backend {
        Backend::Postgres => CLAIM_POSTGRES,
        Backend::Sqlite => CLAIM_SQLITE,
    };
    sqlx::query_as(sql)
        .bind(worker_id)
        .bind(lease_until)
        .bind(now)
        .fetch_optional(ex)
        .await
}

/// Whether any job is due (a read, so idle SQLite workers do not take the write lock).
pub async fn has_due_job<'e>(
    ex: impl Executor<'e, Database = Any>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "select 1 from jobs
         where (status = 'queued' and run_at <= $1) or (status = 'running' and locked_until < $1)
         limit 1",
    )
    .bind(now)
    .fetch_optional(ex)
    .await?;
    Ok(found.is_some())
}

/// Marks a job done, if this worker still holds it; false when it no longer did.
pub async fn complete<'e>(
    ex: impl Executor<'e, Database = Any>,
    job_id: &str,
    worker_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update jobs set status = 'done', locked_by = null, locked_until = null,
                         last_error = null, updated_at = $1
         where id = $2 and locked_by = $3 and status = 'running'",
    )
    .bind(now)
    .bind(job_id)
    .bind(worker_id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Extends a running job's lease to `lease_until` (a handler that works longer than the lease
/// calls it now and then); false when the job is no longer running or another claim (a later
/// `attempt`) took it since.
pub async fn extend_lease<'e>(
    ex: impl Executor<'e, Database = Any>,
    job_id: &str,
    attempt: i64,
    lease_until: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update jobs set locked_until = $3 where id = $1 and status = 'running' and attempts = $2",
    )
    .bind(job_id)
    .bind(attempt)
    .bind(lease_until)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failure: back to `queued` at `retry_at`, or `dead` when `dead` is true. False
/// when this worker no longer held the job (its lease ran out and another worker took it).
pub async fn fail<'e>(
    ex: impl Executor<'e, Database = Any>,
    job_id: &str,
    worker_id: &str,
    error: &str,
    retry_at: i64,
    dead: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let status = if dead {
        JobStatus::Dead
    } else {
        JobStatus::Queued
    }
    .as_str();
    let done = sqlx::query(
        "update jobs set status = $1, run_at = $2, last_error = $3, locked_by = null,
                         locked_until = null, updated_at = $4
         where id = $5 and locked_by = $6 and status = 'running'",
    )
    .bind(status)
    .bind(retry_at)
    .bind(truncate(error, 2000))
    .bind(now)
    .bind(job_id)
    .bind(worker_id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Returns a claimed job to the queue untouched (the attempt does not count), to run at
/// `run_at`.
pub async fn release<'e>(
    ex: impl Executor<'e, Database = Any>,
    job_id: &str,
    worker_id: &str,
    run_at: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update jobs set status = 'queued', attempts = attempts - 1, run_at = $1,
                         locked_by = null, locked_until = null, updated_at = $4
         where id = $2 and locked_by = $3 and status = 'running'",
    )
    .bind(run_at)
    .bind(job_id)
    .bind(worker_id)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

/// Puts a dead job back in the queue with a fresh set of attempts (admin "retry").
pub async fn requeue_dead<'e>(
    ex: impl Executor<'e, Database = Any>,
    job_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update jobs set status = 'queued', attempts = 0, run_at = $1, updated_at = $1
         where id = $2 and status = 'dead'",
    )
    .bind(now)
    .bind(job_id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Lets `dedupe_key` be used again when the job that holds it has ended (done or dead): the
/// row stays, without its key. A queued or running job keeps it.
pub async fn release_dedupe_key(
    conn: &mut AnyConnection,
    dedupe_key: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update jobs set dedupe_key = null, updated_at = $2
         where dedupe_key = $1 and status in ('done', 'dead')",
    )
    .bind(dedupe_key)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes finished jobs older than `before`.
pub async fn delete_done_before<'e>(
    ex: impl Executor<'e, Database = Any>,
    before: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from jobs where status = 'done' and updated_at < $1")
        .bind(before)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// Number of jobs per status, for metrics and the dashboard.
pub async fn count_by_status<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("select status, count(*) from jobs group by status")
        .fetch_all(ex)
        .await
}

/// A job as the admin lists it.
#[derive(Debug, Clone, FromRow)]
pub struct JobRow {
    /// Row id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Where it stands.
    #[sqlx(try_from = "String")]
    pub status: JobStatus,
    /// Attempts so far.
    pub attempts: i64,
    /// Allowed attempts.
    pub max_attempts: i64,
    /// Next run time.
    pub run_at: i64,
    /// Last failure.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: i64,
}

/// Jobs that are not done, newest first, optionally only one status.
pub async fn list_open<'e>(
    ex: impl Executor<'e, Database = Any>,
    status: Option<JobStatus>,
    limit: i64,
) -> Result<Vec<JobRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, kind, status, attempts, max_attempts, run_at, last_error, created_at
         from jobs
         where status <> 'done' and ($1 = '' or status = $1)
         order by created_at desc, id desc
         limit $2",
    )
    .bind(status.map_or("", JobStatus::as_str))
    .bind(limit)
    .fetch_all(ex)
    .await
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
