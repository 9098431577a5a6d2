//! SQL for media rows.

use sqlx::{Any, AnyConnection, Executor};

use super::model::{AnalysisState, MEDIA_COLUMNS, Media};

/// A new row, written before the first byte goes to storage (state `uploading`).
#[derive(Debug)]
pub struct NewMedia<'a> {
    pub id: &'a str,
    /// `<uuid>-<slug>.<ext>`.
    pub name: &'a str,
    pub folder: &'a str,
    /// Uploader's file name.
    pub original_name: &'a str,
    pub blob_key: &'a str,
    pub kind: &'a str,
    /// Extension.
    pub ext: &'a str,
    /// Served content type.
    pub content_type: &'a str,
    /// Person uploading.
    pub user_id: Option<&'a str>,
    pub token_id: Option<&'a str>,
    /// Their email or the token's name.
    pub uploaded_by: &'a str,
}

pub async fn insert_uploading<'e>(
    ex: impl Executor<'e, Database = Any>,
    m: &NewMedia<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into media (id, name, folder, original_name, blob_key, kind, ext, content_type,
                            size_bytes, state, uploaded_by_user_id, uploaded_by_token_id,
                            uploaded_by, analysis, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, 0, 'uploading', $9, $10, $11, 'pending', $12, $12)",
    )
    .bind(m.id)
    .bind(m.name)
    .bind(m.folder)
    .bind(m.original_name)
    .bind(m.blob_key)
    .bind(m.kind)
    .bind(m.ext)
    .bind(m.content_type)
    .bind(m.user_id)
    .bind(m.token_id)
    .bind(m.uploaded_by)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

/// Marks an upload complete. False when the row is gone (swept or deleted meanwhile).
pub async fn mark_ready(
    conn: &mut AnyConnection,
    id: &str,
    size: i64,
    sha256: Option<&str>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update media set state = 'ready', size_bytes = $2, sha256 = $3, updated_at = $4
         where id = $1 and state = 'uploading'",
    )
    .bind(id)
    .bind(size)
    .bind(sha256)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a row whatever its state; returns it if this call deleted it. (Two concurrent
/// deletes both read the row; only the one whose `delete` removed it gets it back.)
pub async fn delete(conn: &mut AnyConnection, id: &str) -> Result<Option<Media>, sqlx::Error> {
    let Some(row) = find_any(&mut *conn, id).await? else {
        return Ok(None);
    };
    let done = sqlx::query("delete from media where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok((done.rows_affected() == 1).then_some(row))
}

/// A ready file by id.
pub async fn find_ready<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<Media>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {MEDIA_COLUMNS} from media where id = $1 and state = 'ready'"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// A ready file by its API name.
pub async fn find_ready_by_name<'e>(
    ex: impl Executor<'e, Database = Any>,
    name: &str,
) -> Result<Option<Media>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {MEDIA_COLUMNS} from media where name = $1 and state = 'ready'"
    )))
    .bind(name)
    .fetch_optional(ex)
    .await
}

/// Any row by id, whatever its state (jobs and tests).
pub async fn find_any<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<Media>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {MEDIA_COLUMNS} from media where id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// Filters of a listing.
#[derive(Debug, Default, Clone)]
pub struct MediaFilter {
    /// Exact folder, or the folder and everything under it.
    pub folder: Option<String>,
    /// Case-insensitive part of the original name.
    pub search: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
}

fn like_pattern(raw: &str) -> String {
    let escaped = raw
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of ready files, newest first, and the total matching.
pub async fn list_ready(
    conn: &mut AnyConnection,
    filter: &MediaFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Media>, i64), sqlx::Error> {
    let folder = filter.folder.clone();
    let folder_prefix = folder.as_deref().map(|f| {
        format!(
            "{}/%",
            f.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    let search = filter.search.as_deref().map(like_pattern);
    let condition = "state = 'ready'
         and ($1 is null or folder = $1 or folder like $2 escape '\\')
         and ($3 is null or lower(original_name) like $3 escape '\\')
         and ($4 is null or kind = $4)";
    let total: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select count(*) from media where {condition}"
    )))
    .bind(folder.as_deref())
    .bind(folder_prefix.as_deref())
    .bind(search.as_deref())
    .bind(filter.kind.as_deref())
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {MEDIA_COLUMNS} from media where {condition}
         order by created_at desc, id desc limit $5 offset $6"
    )))
    .bind(folder.as_deref())
    .bind(folder_prefix.as_deref())
    .bind(search.as_deref())
    .bind(filter.kind.as_deref())
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    Ok((rows, total.0))
}

/// Folders in use, with their file counts.
pub async fn folders<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select folder, count(*) from media where state = 'ready' group by folder order by folder",
    )
    .fetch_all(ex)
    .await
}

/// What the metadata job learnt.
#[derive(Debug, Default, Clone)]
pub struct Analysis {
    /// Where it stands after this run.
    pub outcome: AnalysisState,
    /// Why, when not done.
    pub note: Option<String>,
    /// Pixels.
    pub width: Option<i64>,
    /// Pixels.
    pub height: Option<i64>,
    /// Video length.
    pub duration_ms: Option<i64>,
    pub poster_key: Option<String>,
    pub thumb_key: Option<String>,
    pub reel_key: Option<String>,
    pub full_key: Option<String>,
}

/// Which of `ids` have a showreel clip.
pub async fn with_reel<'e>(
    ex: impl Executor<'e, Database = Any>,
    ids: &[&str],
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "select id from media where reel_key is not null and id in ({})",
        placeholders.join(", ")
    );
    let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(ex).await?.into_iter().collect())
}

/// Records the analysis. False when the row was deleted meanwhile.
pub async fn save_analysis<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    a: &Analysis,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update media set analysis = $2, analysis_note = $3, width = $4, height = $5,
                          duration_ms = $6, poster_key = $7, thumb_key = $8, reel_key = $9,
                          full_key = $10, updated_at = $11
         where id = $1",
    )
    .bind(id)
    .bind(a.outcome.as_str())
    .bind(a.note.as_deref())
    .bind(a.width)
    .bind(a.height)
    .bind(a.duration_ms)
    .bind(a.poster_key.as_deref())
    .bind(a.thumb_key.as_deref())
    .bind(a.reel_key.as_deref())
    .bind(a.full_key.as_deref())
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `uploading` rows untouched since `before`: uploads whose process died.
pub async fn stale_uploads<'e>(
    ex: impl Executor<'e, Database = Any>,
    before: i64,
    limit: i64,
) -> Result<Vec<Media>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {MEDIA_COLUMNS} from media where state = 'uploading' and updated_at < $1
         order by updated_at limit $2"
    )))
    .bind(before)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Counts by state and kind, for the dashboard and tests.
pub async fn count_ready<'e>(ex: impl Executor<'e, Database = Any>) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("select count(*) from media where state = 'ready'")
        .fetch_one(ex)
        .await?;
    Ok(n)
}

/// Ready files of `kind` as (id, original name), newest first (at most 500): what a column
/// pointing at a file offers.
pub async fn ready_choices<'e>(
    ex: impl sqlx::Executor<'e, Database = sqlx::Any>,
    kind: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select id, original_name from media where state = 'ready' and kind = $1
         order by created_at desc limit 500",
    )
    .bind(kind)
    .fetch_all(ex)
    .await
}

/// The ready files among `ids`, in no particular order (ids not in the library are left out):
/// one statement for a page that shows several files.
pub async fn find_ready_many<'e>(
    ex: impl Executor<'e, Database = Any>,
    ids: &[String],
) -> Result<Vec<Media>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "select {MEDIA_COLUMNS} from media where state = 'ready' and id in ({})",
        placeholders.join(", ")
    );
    let mut q = sqlx::query_as::<_, Media>(sqlx::AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(ex).await
}

/// The newest `limit` ready files of every kind, as (id, original name).
pub async fn newest_ready<'e>(
    ex: impl Executor<'e, Database = Any>,
    limit: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select id, original_name from media where state = 'ready' \
         order by created_at desc, id desc limit $1",
    )
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Records a film's renditions; false when the row is gone or has renditions already.
pub async fn save_renditions<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    web_key: &str,
    preview_key: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update media set web_key = $2, preview_key = $3, updated_at = $4
         where id = $1 and state = 'ready' and web_key is null",
    )
    .bind(id)
    .bind(web_key)
    .bind(preview_key)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}
