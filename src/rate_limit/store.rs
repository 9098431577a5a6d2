//! SQL for rate-limit windows.

use sqlx::{Any, Executor};

/// Adds one hit to `(bucket, window_start)` and returns the new count with the count of the
/// window before it (`previous_start`), in one statement.
pub async fn increment_with_previous<'e>(
    ex: impl Executor<'e, Database = Any>,
    bucket: &str,
    window_start: i64,
    previous_start: i64,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "insert into rate_limit_hits (bucket, window_start, hits) values ($1, $2, 1)
         on conflict (bucket, window_start) do update set hits = rate_limit_hits.hits + 1
         returning hits, coalesce((select p.hits from rate_limit_hits p
                                   where p.bucket = $1 and p.window_start = $3), 0)",
    )
    .bind(bucket)
    .bind(window_start)
    .bind(previous_start)
    .fetch_one(ex)
    .await
}

/// [`increment_with_previous`] for two buckets whose windows have the same length `len`, in
/// one statement (the buckets must differ): `(bucket, current, previous)` for each.
pub async fn increment_two<'e>(
    ex: impl Executor<'e, Database = Any>,
    (a, b): ((&str, i64), (&str, i64)),
    len: i64,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "insert into rate_limit_hits (bucket, window_start, hits) values ($1, $2, 1), ($3, $4, 1)
         on conflict (bucket, window_start) do update set hits = rate_limit_hits.hits + 1
         returning bucket, hits, coalesce((select p.hits from rate_limit_hits p
             where p.bucket = rate_limit_hits.bucket
               and p.window_start = rate_limit_hits.window_start - $5), 0)",
    )
    .bind(a.0)
    .bind(a.1)
    .bind(b.0)
    .bind(b.1)
    .bind(len)
    .fetch_all(ex)
    .await
}

/// Hits recorded in one window (0 when none).
pub async fn hits<'e>(
    ex: impl Executor<'e, Database = Any>,
    bucket: &str,
    window_start: i64,
) -> Result<i64, sqlx::Error> {
    let hits: Option<i64> = sqlx::query_scalar(
        "select hits from rate_limit_hits where bucket = $1 and window_start = $2",
    )
    .bind(bucket)
    .bind(window_start)
    .fetch_optional(ex)
    .await?;
    Ok(hits.unwrap_or(0))
}

/// Deletes windows that started before `before`.
pub async fn delete_before<'e>(
    ex: impl Executor<'e, Database = Any>,
    before: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from rate_limit_hits where window_start < $1")
        .bind(before)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}
