//! What staff do to an account from the customer page: disable it (its sessions end at once
//! and its reset links stop working; it cannot sign in or ask for a reset), enable it again,
//! and send it a password-reset link. Each is audited in its transaction.

use serde_json::json;

use super::service::issue_reset_link;
use crate::audit::{AuditEntry, insert_audit};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::identity::model::User;
use crate::identity::store;
use crate::state::AppState;

/// Disables (`disabled`) or enables the account `user_id`; false when it already was so.
/// Staff cannot disable their own account.
pub async fn set_disabled(
    state: &AppState,
    admin: &User,
    user_id: &str,
    disabled: bool,
) -> AppResult<bool> {
    if disabled && user_id == admin.id {
        return Err(AppError::Conflict(
            "You cannot disable your own account.".into(),
        ));
    }
    let now = now();
    let mut tx = state.db.begin().await?;
    if store::find_user(&mut *tx, user_id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let at = disabled.then_some(now);
    if !store::set_disabled(&mut *tx, user_id, at, now).await? {
        return Ok(false);
    }
    if disabled {
        store::delete_user_sessions(&mut *tx, user_id, None).await?;
        store::expire_reset_tokens_of(&mut *tx, user_id, now).await?;
    }
    let action = if disabled {
        "account.disable"
    } else {
        "account.enable"
    };
    let entry = AuditEntry::by(admin, action, "user", user_id).change(
        json!({ "disabled": !disabled }),
        json!({ "disabled": disabled }),
    );
    insert_audit(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, disabled, "account access changed by staff");
    Ok(true)
}

/// Emails the account `user_id` a password-reset link (the one the customer would get by
/// asking). A disabled account gets none.
pub async fn send_password_reset(state: &AppState, admin: &User, user_id: &str) -> AppResult<()> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let (user, disabled_at) = store::find_user(&mut *tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if disabled_at.is_some() {
        return Err(AppError::Conflict(
            "This account is disabled: enable it before sending a reset link.".into(),
        ));
    }
    issue_reset_link(state, &mut tx, &user, now).await?;
    let entry = AuditEntry::by(admin, "account.password_reset", "user", user_id);
    insert_audit(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, "password reset link sent by staff");
    Ok(())
}
