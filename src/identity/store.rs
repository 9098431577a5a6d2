//! SQL for users, sessions and password-reset tokens.

use sqlx::{Any, AnyConnection, Executor, FromRow};

use super::model::{Role, User};
use crate::db::{DbError, new_id};

#[derive(FromRow)]
struct UserRow {
    id: String,
    email: String,
    display_name: Option<String>,
    role: String,
    created_at: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            role: Role::from_db(&r.role),
            created_at: r.created_at,
        }
    }
}

/// Fields of a new user.
pub struct NewUser<'a> {
    /// Normalised email.
    pub email: &'a str,
    /// Argon2id PHC string.
    pub password_hash: &'a str,
    /// Optional display name.
    pub display_name: Option<&'a str>,
    /// Role.
    pub role: Role,
}

/// Inserts a user; a taken email is `DbError::UniqueViolation`.
#[tracing::instrument(skip_all)]
pub async fn insert_user<'e>(
    ex: impl Executor<'e, Database = Any>,
    user: &NewUser<'_>,
    now: i64,
) -> Result<User, DbError> {
    let id = new_id();
    sqlx::query(
        "insert into users (id, email, password_hash, display_name, role, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(user.email)
    .bind(user.password_hash)
    .bind(user.display_name)
    .bind(user.role.as_str())
    .bind(now)
    .execute(ex)
    .await
    .map_err(DbError::classify)?;
    Ok(User {
        id,
        email: user.email.to_owned(),
        display_name: user.display_name.map(str::to_owned),
        role: user.role,
        created_at: now,
    })
}

/// A user who may sign in (not disabled) and their password hash, by email: for logging in
/// and for password resets.
pub async fn find_enabled_user_with_hash_by_email<'e>(
    ex: impl Executor<'e, Database = Any>,
    email: &str,
) -> Result<Option<(User, String)>, sqlx::Error> {
    user_with_hash_by_email(ex, email, true).await
}

async fn user_with_hash_by_email<'e>(
    ex: impl Executor<'e, Database = Any>,
    email: &str,
    enabled_only: bool,
) -> Result<Option<(User, String)>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        password_hash: String,
    }
    let sql = if enabled_only {
        "select id, email, display_name, role, created_at, password_hash from users \
         where email = $1 and disabled_at is null"
    } else {
        "select id, email, display_name, role, created_at, password_hash from users where email = $1"
    };
    let row: Option<Row> = sqlx::query_as(sql).bind(email).fetch_optional(ex).await?;
    Ok(row.map(|r| (r.user.into(), r.password_hash)))
}

/// A user, by id, and when the account was disabled (staff's customer page).
pub async fn find_user<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<(User, Option<i64>)>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        disabled_at: Option<i64>,
    }
    let row: Option<Row> = sqlx::query_as(
        "select id, email, display_name, role, created_at, disabled_at from users where id = $1",
    )
    .bind(id)
    .fetch_optional(ex)
    .await?;
    Ok(row.map(|r| (r.user.into(), r.disabled_at)))
}

/// Disables an account (`at` set) or enables it again (`None`); false when there is no such
/// user or it already was so.
pub async fn set_disabled<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
    at: Option<i64>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update users set disabled_at = $2, updated_at = $3 \
         where id = $1 and (disabled_at is null) = ($2 is not null)",
    )
    .bind(user_id)
    .bind(at)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A user and their password hash, by email, whether or not the account is disabled (making
/// an admin from the command line).
pub async fn find_user_with_hash_by_email<'e>(
    ex: impl Executor<'e, Database = Any>,
    email: &str,
) -> Result<Option<(User, String)>, sqlx::Error> {
    user_with_hash_by_email(ex, email, false).await
}

/// A user's current email address.
pub async fn find_email<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select email from users where id = $1")
        .bind(user_id)
        .fetch_optional(ex)
        .await
}

/// The password hash of a user, for checks that need the current password.
pub async fn find_password_hash<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select password_hash from users where id = $1")
        .bind(user_id)
        .fetch_optional(ex)
        .await
}

/// Locks the user's row for the rest of the transaction if their password hash is still
/// `hash`; false when it changed meanwhile. A session inserted after this cannot slip past
/// the "sign out everywhere" of a concurrent password change: that change waits for the lock
/// and then deletes the new session too.
pub async fn lock_user_if_password_is<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
    hash: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update users set updated_at = updated_at where id = $1 and password_hash = $2",
    )
    .bind(user_id)
    .bind(hash)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether any admin exists (for the first-start bootstrap).
pub async fn admin_exists<'e>(ex: impl Executor<'e, Database = Any>) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("select count(*) from users where role = 'admin'")
        .fetch_one(ex)
        .await?;
    Ok(n > 0)
}

/// Marks `email` confirmed for the user, if it is still the account's address; false when the
/// account is gone or its address changed since the link was sent.
pub async fn mark_email_verified<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
    email: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update users set email_verified_at = coalesce(email_verified_at, $3) \
         where id = $1 and email = $2",
    )
    .bind(user_id)
    .bind(email)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether the user's current address was confirmed.
pub async fn email_verified<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let at: Option<Option<i64>> =
        sqlx::query_scalar("select email_verified_at from users where id = $1")
            .bind(user_id)
            .fetch_optional(ex)
            .await?;
    Ok(at.flatten().is_some())
}

/// Changes a user's email; a taken email is `DbError::UniqueViolation`.
pub async fn update_email<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
    email: &str,
    now: i64,
) -> Result<(), DbError> {
    // A new address is unconfirmed until its own link is used.
    sqlx::query(
        "update users set email = $1, updated_at = $2, email_verified_at = null where id = $3",
    )
    .bind(email)
    .bind(now)
    .bind(user_id)
    .execute(ex)
    .await
    .map_err(DbError::classify)?;
    Ok(())
}

/// Replaces a user's password hash.
pub async fn update_password_hash<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
    password_hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update users set password_hash = $1, updated_at = $2 where id = $3")
        .bind(password_hash)
        .bind(now)
        .bind(user_id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Makes a user an admin (and sets their password), for `create-admin` on an existing account.
pub async fn promote_to_admin<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
    password_hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update users set role = 'admin', password_hash = $1, updated_at = $2 where id = $3",
    )
    .bind(password_hash)
    .bind(now)
    .bind(user_id)
    .execute(ex)
    .await?;
    Ok(())
}

/// Counts for the admin dashboard: (customer accounts opened since `joined_since`, admins),
/// each read from the role and creation-time index (only the rows counted).
pub async fn count_accounts<'e>(
    ex: impl Executor<'e, Database = Any>,
    joined_since: i64,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "select (select count(*) from users where role = 'customer' and created_at >= $1),
                (select count(*) from users where role = 'admin')",
    )
    .bind(joined_since)
    .fetch_one(ex)
    .await
}

/// A new session row.
pub struct NewSession<'a> {
    /// SHA-256 of the cookie token.
    pub id_hash: &'a str,
    /// Owner.
    pub user_id: &'a str,
    /// Absolute expiry (epoch seconds).
    pub expires_at: i64,
    /// Browser user agent, truncated.
    pub user_agent: Option<&'a str>,
    /// Client address.
    pub ip: Option<&'a str>,
}

/// Stores a session.
#[tracing::instrument(skip_all)]
pub async fn insert_session<'e>(
    ex: impl Executor<'e, Database = Any>,
    s: &NewSession<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into sessions (id_hash, user_id, created_at, last_seen_at, expires_at, user_agent, ip)
         values ($1, $2, $3, $3, $4, $5, $6)",
    )
    .bind(s.id_hash)
    .bind(s.user_id)
    .bind(now)
    .bind(s.expires_at)
    .bind(s.user_agent)
    .bind(s.ip)
    .execute(ex)
    .await?;
    Ok(())
}

/// A live session's user and when it was last seen; `None` when unknown, idle too long
/// (admins have a shorter idle limit) or past its absolute expiry.
pub async fn find_live_session<'e>(
    ex: impl Executor<'e, Database = Any>,
    id_hash: &str,
    now: i64,
    idle_cutoff: i64,
    admin_idle_cutoff: i64,
) -> Result<Option<(User, i64)>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        last_seen_at: i64,
    }
    let row: Option<Row> = sqlx::query_as(
        "select u.id, u.email, u.display_name, u.role, u.created_at, s.last_seen_at
         from sessions s join users u on u.id = s.user_id
         where s.id_hash = $1 and s.expires_at > $2 and s.last_seen_at > $3
           and (u.role <> 'admin' or s.last_seen_at > $4) and u.disabled_at is null",
    )
    .bind(id_hash)
    .bind(now)
    .bind(idle_cutoff)
    .bind(admin_idle_cutoff)
    .fetch_optional(ex)
    .await?;
    Ok(row.map(|r| (r.user.into(), r.last_seen_at)))
}

/// Records activity on a session (for the idle timeout).
pub async fn touch_session<'e>(
    ex: impl Executor<'e, Database = Any>,
    id_hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update sessions set last_seen_at = $1 where id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(ex)
        .await?;
    Ok(())
}

/// Deletes one session (logout, rotation).
pub async fn delete_session<'e>(
    ex: impl Executor<'e, Database = Any>,
    id_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from sessions where id_hash = $1")
        .bind(id_hash)
        .execute(ex)
        .await?;
    Ok(())
}

/// Deletes every session of a user except `keep` (after a password change or reset).
pub async fn delete_user_sessions<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
    keep: Option<&str>,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from sessions where user_id = $1 and id_hash <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes sessions past their absolute expiry or idle too long.
pub async fn delete_expired_sessions<'e>(
    ex: impl Executor<'e, Database = Any>,
    now: i64,
    idle_cutoff: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from sessions where expires_at <= $1 or last_seen_at <= $2")
        .bind(now)
        .bind(idle_cutoff)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// Counts sessions that are still live (dashboard).
pub async fn count_live_sessions<'e>(
    ex: impl Executor<'e, Database = Any>,
    now: i64,
    idle_cutoff: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from sessions where expires_at > $1 and last_seen_at > $2")
        .bind(now)
        .bind(idle_cutoff)
        .fetch_one(ex)
        .await
}

/// Stores a reset token's hash.
pub async fn insert_reset_token<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
    user_id: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into password_reset_tokens (token_hash, user_id, created_at, expires_at)
         values ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(ex)
    .await?;
    Ok(())
}

/// The email of the account an unused, unexpired reset token belongs to.
pub async fn find_reset_token_email<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select u.email from password_reset_tokens t join users u on u.id = t.user_id
         where t.token_hash = $1 and t.used_at is null and t.expires_at > $2 and u.disabled_at is null",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(ex)
    .await
}

/// Marks a token used and returns its user, atomically: of two concurrent submissions of the
/// same link only one gets the user id.
pub async fn consume_reset_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "update password_reset_tokens set used_at = $1
         where token_hash = $2 and used_at is null and expires_at > $1
         returning user_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await
}

/// Invalidates every outstanding reset token of a user.
pub async fn expire_reset_tokens_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update password_reset_tokens set used_at = $1 where user_id = $2 and used_at is null",
    )
    .bind(now)
    .bind(user_id)
    .execute(ex)
    .await?;
    Ok(())
}

/// Deletes reset tokens that can no longer be used.
pub async fn delete_dead_reset_tokens<'e>(
    ex: impl Executor<'e, Database = Any>,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "delete from password_reset_tokens where expires_at <= $1 or used_at is not null",
    )
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}

/// Email addresses of every admin account (staff notifications when `STAFF_EMAIL` is unset).
pub async fn admin_emails<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select email from users where role = 'admin' order by created_at")
        .fetch_all(ex)
        .await
}
