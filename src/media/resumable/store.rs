//! SQL for resumable uploads: the row is the upload's whole state (see the migration).

use sqlx::{Any, AnyConnection, Executor, FromRow};

/// An upload in progress (or complete, until it expires).
#[derive(Debug, Clone, FromRow)]
pub struct Row {
    /// Also the media row's id once complete.
    pub id: String,
    /// Where the file will be.
    pub blob_key: String,
    /// `<uuid>-<slug>.<ext>`.
    pub name: String,
    /// Media library folder.
    pub folder: String,
    /// The uploader's file name.
    pub original_name: String,
    /// `video`, `image`, …
    pub kind: String,
    /// Extension.
    pub ext: String,
    /// Served content type.
    pub content_type: String,
    /// `Upload-Length`.
    pub length: i64,
    /// Bytes safely stored.
    pub received: i64,
    /// What it is for (`project:<id>`).
    pub tag: Option<String>,
    /// `receiving` or `complete`.
    pub state: String,
    /// Lease holder (one request at a time appends).
    pub lease_token: Option<String>,
    /// Lease end (epoch seconds).
    pub lease_until: Option<i64>,
    /// The signed-in admin who started it.
    pub uploaded_by_user_id: Option<String>,
    /// The API token that started it.
    pub uploaded_by_token_id: Option<String>,
    /// Email or token label.
    pub uploaded_by: String,
    /// Epoch seconds.
    pub created_at: i64,
    /// Last byte stored.
    pub updated_at: i64,
    /// Removed, unfinished, after this.
    pub expires_at: i64,
}

const COLUMNS: &str = "id, blob_key, name, folder, original_name, kind, ext, content_type, length, \
     received, tag, state, lease_token, lease_until, uploaded_by_user_id, uploaded_by_token_id, \
     uploaded_by, created_at, updated_at, expires_at";

/// Inserts a new upload (nothing received).
pub async fn insert<'e>(ex: impl Executor<'e, Database = Any>, r: &Row) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into resumable_uploads (id, blob_key, name, folder, original_name, kind, ext,
             content_type, length, received, tag, state, uploaded_by_user_id,
             uploaded_by_token_id, uploaded_by, created_at, updated_at, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, 'receiving', $11, $12, $13, $14, $14, $15)",
    )
    .bind(&r.id)
    .bind(&r.blob_key)
    .bind(&r.name)
    .bind(&r.folder)
    .bind(&r.original_name)
    .bind(&r.kind)
    .bind(&r.ext)
    .bind(&r.content_type)
    .bind(r.length)
    .bind(&r.tag)
    .bind(&r.uploaded_by_user_id)
    .bind(&r.uploaded_by_token_id)
    .bind(&r.uploaded_by)
    .bind(r.created_at)
    .bind(r.expires_at)
    .execute(ex)
    .await?;
    Ok(())
}

/// One upload by id.
pub async fn find<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<Row>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from resumable_uploads where id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// Takes the lease for an append at `offset`: only when the upload is receiving, has exactly
/// `offset` bytes, and nobody else holds an unexpired lease. False otherwise (the caller reads
/// the row to say why).
pub async fn take_lease<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    offset: i64,
    token: &str,
    now: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update resumable_uploads set lease_token = $3, lease_until = $5
         where id = $1 and received = $2 and state = 'receiving' and expires_at > $4
           and (lease_until is null or lease_until <= $4)",
    )
    .bind(id)
    .bind(offset)
    .bind(token)
    .bind(now)
    .bind(until)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the lease back (only the holder's).
pub async fn release_lease<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    token: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update resumable_uploads set lease_token = null, lease_until = null
         where id = $1 and lease_token = $2",
    )
    .bind(id)
    .bind(token)
    .execute(ex)
    .await?;
    Ok(())
}

/// A piece stored at `start`, `len` bytes long.
#[derive(Debug, Clone)]
pub struct Piece {
    /// Offset of its first byte.
    pub start: i64,
    /// Bytes.
    pub len: i64,
    /// Storage's name for it.
    pub block_id: String,
}

/// Records stored pieces, in order, and moves `received` past them — only while `token`
/// holds the lease and `received` is where the first piece starts. False (and nothing
/// written) otherwise. Renews the lease and the expiry.
pub async fn record_pieces(
    conn: &mut AnyConnection,
    id: &str,
    token: &str,
    pieces: &[Piece],
    times: (i64, i64, i64),
) -> Result<bool, sqlx::Error> {
    let (now, lease_until, expires_at) = times;
    let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else {
        return Ok(true);
    };
    let end = last.start + last.len;
    let moved = sqlx::query(
        "update resumable_uploads
         set received = $4, updated_at = $5, lease_until = $6, expires_at = $7
         where id = $1 and lease_token = $2 and received = $3 and state = 'receiving'",
    )
    .bind(id)
    .bind(token)
    .bind(first.start)
    .bind(end)
    .bind(now)
    .bind(lease_until)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    if moved.rows_affected() != 1 {
        return Ok(false);
    }
    for piece in pieces {
        sqlx::query(
            "insert into resumable_upload_blocks (upload_id, start_at, len, block_id)
             values ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(piece.start)
        .bind(piece.len)
        .bind(&piece.block_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
}

/// The pieces of an upload, in order: (length, storage's name).
pub async fn pieces<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "select len, block_id from resumable_upload_blocks where upload_id = $1 order by start_at",
    )
    .bind(id)
    .fetch_all(ex)
    .await
}

/// How many pieces an upload has.
pub async fn piece_count<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from resumable_upload_blocks where upload_id = $1")
        .bind(id)
        .fetch_one(ex)
        .await
}

/// Renews the lease and the expiry while `token` holds the lease; false when it does not.
pub async fn renew_lease<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    token: &str,
    lease_until: i64,
    expires_at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update resumable_uploads set lease_until = $3, expires_at = $4
         where id = $1 and lease_token = $2 and state = 'receiving'",
    )
    .bind(id)
    .bind(token)
    .bind(lease_until)
    .bind(expires_at)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Claims an unfinished upload for removal (`ending`): only while nobody appends to it and it
/// is not fully received (that one is being completed). With `expired_only`, only past its
/// expiry. True when this call claimed it; from then on nothing appends to it.
pub async fn claim_for_removal<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    now: i64,
    expired_only: bool,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update resumable_uploads set state = 'ending', expires_at = $2
         where id = $1 and state = 'receiving' and received < length
           and (lease_until is null or lease_until <= $2)
           and ($3 = 0 or expires_at <= $2)",
    )
    .bind(id)
    .bind(now)
    .bind(i64::from(expired_only))
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a fully received upload complete; false when it already was (or is gone).
pub async fn mark_complete(
    conn: &mut AnyConnection,
    id: &str,
    now: i64,
    keep_until: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update resumable_uploads
         set state = 'complete', lease_token = null, lease_until = null, updated_at = $2,
             expires_at = $3
         where id = $1 and state = 'receiving' and received = length",
    )
    .bind(id)
    .bind(now)
    .bind(keep_until)
    .execute(&mut *conn)
    .await?;
    // The pieces' rows stay until the upload's row goes: a late second completion commits
    // the same list again instead of an empty one.
    Ok(done.rows_affected() == 1)
}

/// Deletes an upload and its pieces' rows; true when this call deleted it.
pub async fn delete(conn: &mut AnyConnection, id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query("delete from resumable_upload_blocks where upload_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("delete from resumable_uploads where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Uploads past their expiry, oldest first.
pub async fn expired<'e>(
    ex: impl Executor<'e, Database = Any>,
    now: i64,
    limit: i64,
) -> Result<Vec<Row>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from resumable_uploads where expires_at <= $1
         order by expires_at limit $2"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Unfinished uploads for `tag`, newest first.
pub async fn receiving_for<'e>(
    ex: impl Executor<'e, Database = Any>,
    tag: &str,
    limit: i64,
) -> Result<Vec<Row>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from resumable_uploads where tag = $1 and state = 'receiving'
         order by created_at desc limit $2"
    )))
    .bind(tag)
    .bind(limit)
    .fetch_all(ex)
    .await
}
