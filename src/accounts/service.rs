//! Account operations: each runs in one transaction and returns domain results; handlers
//! turn those into pages.

use std::time::Duration;

use crate::crypto::{random_token, sha256_hex};
use crate::db::{DbError, now};
use crate::http::session::secs;
use crate::identity::model::{Email, NewPassword, Role, User};
use crate::identity::password;
use crate::identity::store::{self, NewSession, NewUser};
use crate::notifications::{enqueue_email, templates};
use crate::state::AppState;

/// How long a password-reset link works.
pub const RESET_TOKEN_TTL: Duration = Duration::from_secs(60 * 60);

/// Where a new session came from (stored for the user's own reference and abuse handling).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// Browser user agent (truncated).
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// A session that was just created; the token goes in the cookie and nowhere else.
pub struct NewSessionToken {
    pub token: String,
    /// Cookie lifetime.
    pub max_age: i64,
}

/// Creates a session for `user`, deleting `previous` (rotation at login: a session id an
/// attacker planted before login is worthless after it). Admin sessions end sooner. With
/// `verified_hash`, the session is only created if the password is still that one (`None`
/// is returned when it changed since it was checked).
pub async fn start_session(
    state: &AppState,
    user: &User,
    verified_hash: Option<&str>,
    previous: Option<&str>,
    client: &ClientInfo,
) -> anyhow::Result<Option<NewSessionToken>> {
    let token = random_token();
    let id_hash = sha256_hex(&token);
    let now = now();
    let max_age = secs(if user.is_admin() {
        state.settings.admin_session_absolute_timeout
    } else {
        state.settings.session_absolute_timeout
    });
    let mut tx = state.db.begin().await?;
    if let Some(hash) = verified_hash
        && !store::lock_user_if_password_is(&mut *tx, &user.id, hash).await?
    {
        return Ok(None);
    }
    if let Some(previous) = previous {
        store::delete_session(&mut *tx, previous).await?;
    }
    let ua = client.user_agent.as_deref().map(|ua| truncate(ua, 200));
    store::insert_session(
        &mut *tx,
        &NewSession {
            id_hash: &id_hash,
            user_id: &user.id,
            expires_at: now + max_age,
            user_agent: ua,
            ip: client.ip.as_deref(),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(NewSessionToken { token, max_age }))
}

/// Why registration failed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The email belongs to an account already.
    #[error("email taken")]
    EmailTaken,
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Creates a customer account and queues the welcome email, in one transaction.
pub async fn register(
    state: &AppState,
    email: &Email,
    password: &NewPassword,
    display_name: Option<&str>,
) -> Result<User, RegisterError> {
    let hash = password::hash(password).await?;
    let mut tx = state.db.begin().await.map_err(anyhow::Error::from)?;
    let user = store::insert_user(
        &mut *tx,
        &NewUser {
            email: email.as_str(),
            password_hash: &hash,
            display_name,
            role: Role::Customer,
        },
        now(),
    )
    .await
    .map_err(|e| match e {
        DbError::UniqueViolation(_) => RegisterError::EmailTaken,
        other => RegisterError::Other(other.into()),
    })?;
    let content = templates::welcome(&state.url("/account"));
    enqueue_email(&mut tx, email.as_str(), &content, state.max_job_attempts()).await?;
    let confirm = templates::confirm_email(&confirm_email_url(state, &user.id, email.as_str()));
    enqueue_email(&mut tx, email.as_str(), &confirm, state.max_job_attempts()).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    tracing::info!(user.id = %user.id, "account registered");
    Ok(user)
}

/// A user whose password was just checked, with the hash it was checked against.
pub struct Authenticated {
    pub user: User,
    /// The hash the password matched (a session is only started if it is still current).
    pub verified_hash: String,
}

/// Checks credentials; `None` for a wrong email or password (indistinguishably).
pub async fn authenticate(
    state: &AppState,
    email: &str,
    password: &str,
) -> anyhow::Result<Option<Authenticated>> {
    let found = store::find_enabled_user_with_hash_by_email(state.db.pool(), email).await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let ok = password::verify(password, hash.clone()).await?;
    Ok(match (ok, user, hash) {
        (true, Some(user), Some(verified_hash)) => Some(Authenticated {
            user,
            verified_hash,
        }),
        _ => None,
    })
}

/// Starts a password reset: for a known email, stores a token hash and queues the email in
/// one transaction. Unknown emails do nothing, and the caller answers the same either way.
pub async fn request_password_reset(state: &AppState, email: &Email) -> anyhow::Result<()> {
    let Some((user, _)) =
        store::find_enabled_user_with_hash_by_email(state.db.pool(), email.as_str()).await?
    else {
        tracing::info!("password reset asked for an unknown email");
        return Ok(());
    };
    let mut tx = state.db.begin().await?;
    issue_reset_link(state, &mut tx, &user, now()).await?;
    tx.commit().await?;
    tracing::info!(user.id = %user.id, "password reset email queued");
    Ok(())
}

/// Stores a reset token for `user` and queues the email with its link, in `tx`.
pub(crate) async fn issue_reset_link(
    state: &AppState,
    tx: &mut crate::db::Tx,
    user: &User,
    now: i64,
) -> anyhow::Result<()> {
    let token = random_token();
    let ttl = secs(RESET_TOKEN_TTL);
    store::insert_reset_token(&mut **tx, &sha256_hex(&token), &user.id, now, now + ttl).await?;
    let reset_url = state.url(&format!("/password/reset/{token}"));
    let content = templates::password_reset(&reset_url, ttl / 60);
    enqueue_email(tx, &user.email, &content, state.max_job_attempts()).await?;
    Ok(())
}

/// The account email of a reset link that can still be used.
pub async fn reset_token_email(state: &AppState, token: &str) -> anyhow::Result<Option<String>> {
    Ok(store::find_reset_token_email(state.db.pool(), &sha256_hex(token), now()).await?)
}

/// Sets a new password with a reset token: consumes the token, replaces the hash, voids the
/// user's other tokens and signs out every session, atomically. False when the token is
/// unknown, used or expired.
pub async fn reset_password(
    state: &AppState,
    token: &str,
    password: &NewPassword,
) -> anyhow::Result<bool> {
    let hash = password::hash(password).await?;
    let now = now();
    let mut tx = state.db.begin().await?;
    let Some(user_id) = store::consume_reset_token(&mut tx, &sha256_hex(token), now).await? else {
        return Ok(false);
    };
    store::update_password_hash(&mut *tx, &user_id, &hash, now).await?;
    store::expire_reset_tokens_of(&mut *tx, &user_id, now).await?;
    store::delete_user_sessions(&mut *tx, &user_id, None).await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, "password reset completed");
    Ok(true)
}

/// Checks the current password of a signed-in user.
pub async fn current_password_matches(
    state: &AppState,
    user_id: &str,
    password: &str,
) -> anyhow::Result<bool> {
    let hash = store::find_password_hash(state.db.pool(), user_id).await?;
    password::verify(password, hash).await
}

/// Changes the email (the caller checked the current password), voids outstanding reset links
/// and tells the old address, in one transaction. False when the email is taken.
pub async fn change_email(state: &AppState, user: &User, email: &Email) -> anyhow::Result<bool> {
    let now = now();
    let mut tx = state.db.begin().await?;
    match store::update_email(&mut *tx, &user.id, email.as_str(), now).await {
        Ok(()) => {}
        Err(DbError::UniqueViolation(_)) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    store::expire_reset_tokens_of(&mut *tx, &user.id, now).await?;
    let notice = templates::email_changed(email.as_str());
    enqueue_email(&mut tx, &user.email, &notice, state.max_job_attempts()).await?;
    // The new address is unconfirmed until its own link is used.
    let confirm = templates::confirm_email(&confirm_email_url(state, &user.id, email.as_str()));
    enqueue_email(&mut tx, email.as_str(), &confirm, state.max_job_attempts()).await?;
    tx.commit().await?;
    tracing::info!(user.id = %user.id, "account email changed");
    Ok(true)
}

/// Changes the password and signs out every other session of the user.
pub async fn change_password(
    state: &AppState,
    user_id: &str,
    password: &NewPassword,
    keep_session: Option<&str>,
) -> anyhow::Result<()> {
    let hash = password::hash(password).await?;
    let now = now();
    let mut tx = state.db.begin().await?;
    store::update_password_hash(&mut *tx, user_id, &hash, now).await?;
    store::delete_user_sessions(&mut *tx, user_id, keep_session).await?;
    store::expire_reset_tokens_of(&mut *tx, user_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Creates an admin, or promotes an existing account and sets its password (`create-admin`).
/// Returns true when a new account was created.
pub async fn create_or_promote_admin(
    state: &AppState,
    email: &Email,
    password: &NewPassword,
) -> anyhow::Result<bool> {
    let hash = password::hash(password).await?;
    let now = now();
    let mut tx = state.db.begin().await?;
    let existing = store::find_user_with_hash_by_email(&mut *tx, email.as_str()).await?;
    let created = match existing {
        Some((user, _)) => {
            store::promote_to_admin(&mut *tx, &user.id, &hash, now).await?;
            // The operator's way back in: a disabled account is enabled again.
            store::set_disabled(&mut *tx, &user.id, None, now).await?;
            store::delete_user_sessions(&mut *tx, &user.id, None).await?;
            false
        }
        None => {
            store::insert_user(
                &mut *tx,
                &NewUser {
                    email: email.as_str(),
                    password_hash: &hash,
                    display_name: None,
                    role: Role::Admin,
                },
                now,
            )
            .await?;
            true
        }
    };
    tx.commit().await?;
    Ok(created)
}

/// Signs out one session.
pub async fn end_session(state: &AppState, id_hash: &str) -> anyhow::Result<()> {
    store::delete_session(state.db.pool(), id_hash).await?;
    Ok(())
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The link that confirms `email` belongs to the account: signed (the URL key from
/// `SECRET_KEY`) over the account and the address, so it stops working when the address
/// changes, and needs no storage.
pub fn confirm_email_url(state: &AppState, user_id: &str, email: &str) -> String {
    let sig = state.keys.urls.sign(&confirm_message(user_id, email));
    state.url(&format!("/confirm-email/{user_id}/{sig}"))
}

fn confirm_message(user_id: &str, email: &str) -> String {
    format!("confirm-email:{user_id}:{email}")
}

/// The address a confirmation link is for, if the link is valid for the account's current
/// address.
pub async fn confirmable_email(
    state: &AppState,
    user_id: &str,
    sig: &str,
) -> anyhow::Result<Option<String>> {
    if user_id.len() > 64 || sig.len() > 128 {
        return Ok(None);
    }
    let Some(email) = store::find_email(state.db.pool(), user_id).await? else {
        return Ok(None);
    };
    Ok(state
        .keys
        .urls
        .verify(&confirm_message(user_id, &email), sig)
        .then_some(email))
}

/// Confirms the account's address and, in the same transaction, gives it the orders placed as
/// a guest with that address (and the bookings, quotes and projects made for it). `None` when the link is not valid (any more); else how many
/// orders joined the account.
pub async fn confirm_email(
    state: &AppState,
    user_id: &str,
    sig: &str,
) -> anyhow::Result<Option<u64>> {
    let Some(email) = confirmable_email(state, user_id, sig).await? else {
        return Ok(None);
    };
    let now = now();
    let mut tx = state.db.begin().await?;
    if !store::mark_email_verified(&mut *tx, user_id, &email, now).await? {
        return Ok(None);
    }
    let joined = crate::orders::attach_guest_orders(&mut tx, user_id, &email, now).await?;
    let bookings = crate::bookings::attach_guest_bookings(&mut tx, user_id, &email, now).await?;
    let quotes = crate::quotes::store::attach_guest_quotes(&mut tx, user_id, &email).await?;
    let projects = crate::projects::store::attach_guest_projects(&mut tx, user_id, &email).await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, joined, bookings, quotes, projects, "email confirmed");
    Ok(Some(joined))
}

/// Sends the confirmation link again (the account page's button).
pub async fn resend_confirmation(state: &AppState, user: &User) -> anyhow::Result<()> {
    let content = templates::confirm_email(&confirm_email_url(state, &user.id, &user.email));
    let mut conn = state.db.pool().acquire().await?;
    enqueue_email(&mut conn, &user.email, &content, state.max_job_attempts()).await?;
    Ok(())
}
