//! SQL for the audit log.

use sqlx::{Any, Executor, FromRow};

use crate::db::new_id;
use crate::identity::model::User;

/// One admin change.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// Who (user id; none for an API token).
    pub actor_user_id: Option<&'a str>,
    /// Who (email at the time).
    pub actor_email: &'a str,
    /// What, as `entity.verb` (`email.resend`, `job.retry`).
    pub action: &'a str,
    /// Table or domain object.
    pub entity: &'a str,
    /// Its id.
    pub entity_id: &'a str,
    /// The row before (JSON).
    pub before: Option<serde_json::Value>,
    /// The row after (JSON).
    pub after: Option<serde_json::Value>,
}

impl<'a> AuditEntry<'a> {
    /// `admin` did `action` (`entity.verb`) to the `entity` row `entity_id`.
    pub fn by(admin: &'a User, action: &'a str, entity: &'a str, entity_id: &'a str) -> Self {
        Self {
            actor_user_id: Some(&admin.id),
            actor_email: &admin.email,
            action,
            entity,
            entity_id,
            before: None,
            after: None,
        }
    }

    /// An actor that is not a signed-in person (an API token, by its label).
    pub fn by_actor(
        user_id: Option<&'a str>,
        label: &'a str,
        action: &'a str,
        entity: &'a str,
        entity_id: &'a str,
    ) -> Self {
        Self {
            actor_user_id: user_id,
            actor_email: label,
            action,
            entity,
            entity_id,
            before: None,
            after: None,
        }
    }

    /// With the row (or the fields that changed) before and after.
    pub fn change(mut self, before: serde_json::Value, after: serde_json::Value) -> Self {
        self.before = Some(before);
        self.after = Some(after);
        self
    }
}

/// Appends to the audit log (in the same transaction as the change).
pub async fn insert_audit<'e>(
    ex: impl Executor<'e, Database = Any>,
    entry: &AuditEntry<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into audit_log (id, actor_user_id, actor_email, action, entity, entity_id,
                                before_json, after_json, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(entry.actor_user_id)
    .bind(entry.actor_email)
    .bind(entry.action)
    .bind(entry.entity)
    .bind(entry.entity_id)
    .bind(entry.before.as_ref().map(serde_json::Value::to_string))
    .bind(entry.after.as_ref().map(serde_json::Value::to_string))
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

/// An audit row as listed.
#[derive(Debug, Clone, FromRow)]
pub struct AuditRow {
    /// Row id.
    pub id: String,
    /// Who.
    pub actor_email: String,
    /// What.
    pub action: String,
    /// Entity.
    pub entity: String,
    /// Entity id.
    pub entity_id: String,
    /// Before.
    pub before_json: Option<String>,
    /// After.
    pub after_json: Option<String>,
    /// When.
    pub created_at: i64,
}

/// Newest first; only `entity`'s rows (and only one row's, with `entity_id`) when given.
pub async fn list_audit<'e>(
    ex: impl Executor<'e, Database = Any>,
    entity: Option<&str>,
    entity_id: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, actor_email, action, entity, entity_id, before_json, after_json, created_at
         from audit_log
         where ($1 is null or entity = $1) and ($2 is null or entity_id = $2)
         order by created_at desc, id desc limit $3",
    )
    .bind(entity)
    .bind(entity_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// The entities that have audit rows, for the filter.
pub async fn audited_entities<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select distinct entity from audit_log order by entity")
        .fetch_all(ex)
        .await
}
