//! Which resources a booking type needs, as staff set them.

use super::model::ResourceRow;
use super::store;
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::identity::model::User;
use crate::state::AppState;

/// A type's name, every resource, and the ids the type needs.
pub async fn of_type(
    state: &AppState,
    type_id: &str,
) -> AppResult<(String, Vec<ResourceRow>, Vec<String>)> {
    let name = store::type_name(state.db.pool(), type_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let all = store::resources(state.db.pool()).await?;
    let needed = store::type_resources(state.db.pool(), type_id).await?;
    Ok((name, all, needed))
}

/// Sets the resources a type needs (unknown ids refused), audited. Bookings already made keep
/// their claims.
pub async fn set_for_type(
    state: &AppState,
    admin: &User,
    type_id: &str,
    chosen: &[String],
) -> AppResult<()> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let name = store::type_name(&mut *tx, type_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let all = store::resources(&mut *tx).await?;
    let mut ids: Vec<&str> = Vec::new();
    for c in chosen {
        let r = all.iter().find(|r| &r.id == c).ok_or_else(|| {
            AppError::BadRequest("One of those resources no longer exists.".into())
        })?;
        if !ids.contains(&r.id.as_str()) {
            ids.push(&r.id);
        }
    }
    let names = |ids: &[String]| -> String {
        all.iter()
            .filter(|r| ids.contains(&r.id))
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let before = store::type_resources(&mut *tx, type_id).await?;
    let owned: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    store::replace_type_resources(&mut tx, type_id, &owned).await?;
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "booking_type.resources", "booking_type", type_id)
            .change(
                serde_json::json!({"name": name, "resources": names(&before)}),
                serde_json::json!({"name": name, "resources": names(&owned)}),
            ),
        now,
    )
    .await?;
    tx.commit().await?;
    super::service::rules_changed(state);
    Ok(())
}
