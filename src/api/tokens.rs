//! API tokens: `fs_` + 43 random characters, shown once, stored as a SHA-256.

use sqlx::{Any, Executor, FromRow};

use crate::crypto::{random_token, sha256_hex};
use crate::db::{new_id, now};

/// A token as the admin lists it (never the secret).
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct ApiToken {
    pub id: String,
    /// What it is for ("editing suite", "backup script").
    pub name: String,
    /// The first characters, to recognise it.
    pub prefix: String,
    /// Who made it (admin user id), if made in the admin.
    pub created_by_user_id: Option<String>,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub last_used_at: Option<i64>,
    /// Epoch seconds; revoked tokens are refused.
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, name, prefix, created_by_user_id, created_at, last_used_at, revoked_at";

/// Why a token name is refused.
pub fn validate_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("Give the token a name that says what uses it.");
    }
    if name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err("A token name is at most 80 characters, without control characters.");
    }
    Ok(name.to_owned())
}

/// Creates a token; returns the row and the secret, which is never shown again.
pub async fn create<'e>(
    ex: impl Executor<'e, Database = Any>,
    name: &str,
    created_by: Option<&str>,
) -> Result<(ApiToken, String), sqlx::Error> {
    let secret = format!("fs_{}", random_token());
    let token = ApiToken {
        id: new_id(),
        name: name.to_owned(),
        prefix: secret.chars().take(10).collect(),
        created_by_user_id: created_by.map(str::to_owned),
        created_at: now(),
        last_used_at: None,
        revoked_at: None,
    };
    sqlx::query(
        "insert into api_tokens (id, name, token_hash, prefix, created_by_user_id, created_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&token.id)
    .bind(&token.name)
    .bind(sha256_hex(&secret))
    .bind(&token.prefix)
    .bind(token.created_by_user_id.as_deref())
    .bind(token.created_at)
    .execute(ex)
    .await?;
    Ok((token, secret))
}

/// The live token with this secret, if any; records its use (at most once a minute).
pub async fn authenticate<'e, E>(ex: E, secret: &str) -> Result<Option<ApiToken>, sqlx::Error>
where
    E: Executor<'e, Database = Any> + Copy,
{
    if !secret.starts_with("fs_") || secret.len() > 100 {
        return Ok(None);
    }
    let token: Option<ApiToken> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from api_tokens where token_hash = $1 and revoked_at is null"
    )))
    .bind(sha256_hex(secret))
    .fetch_optional(ex)
    .await?;
    if let Some(t) = &token {
        let now = now();
        if t.last_used_at.is_none_or(|at| at < now - 60) {
            sqlx::query("update api_tokens set last_used_at = $2 where id = $1")
                .bind(&t.id)
                .bind(now)
                .execute(ex)
                .await?;
        }
    }
    Ok(token)
}

/// Every token, newest first.
pub async fn list<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<ApiToken>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from api_tokens order by created_at desc, id desc"
    )))
    .fetch_all(ex)
    .await
}

/// Revokes a token (by id, or by its prefix from the CLI). Returns it when it was live.
pub async fn revoke(
    conn: &mut sqlx::AnyConnection,
    id_or_prefix: &str,
) -> Result<Option<ApiToken>, sqlx::Error> {
    let token: Option<ApiToken> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from api_tokens where (id = $1 or prefix = $1) and revoked_at is null"
    )))
    .bind(id_or_prefix)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(token) = token else {
        return Ok(None);
    };
    let done =
        sqlx::query("update api_tokens set revoked_at = $2 where id = $1 and revoked_at is null")
            .bind(&token.id)
            .bind(now())
            .execute(&mut *conn)
            .await?;
    Ok((done.rows_affected() == 1).then_some(token))
}
