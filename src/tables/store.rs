//! The plain writes of an editable table, for the owners' [`super::Rules`]: one field (with
//! its optional timestamp and the row version) and one new row. SQL is assembled only from
//! names in the spec and the owner's table name, never from the request.

use sqlx::AnyConnection;

use super::{FieldChange, NewRow, Value};

fn bind_value<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    v: &Value,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    match v {
        Value::Text(t) => q.bind(t.clone()),
        Value::Int(i) => q.bind(*i),
    }
}

/// `update table set column = value` (and the column's stamp, the version, `updated_at`), at
/// the change's version when it names one; false when no row was at it.
pub async fn set_field(
    conn: &mut AnyConnection,
    table: &str,
    change: &FieldChange<'_>,
) -> Result<bool, sqlx::Error> {
    let col = change.column;
    // $1 value, $2 now, $3 id, then the version and the stamp when there are.
    let mut next = 3;
    let mut placeholder = || {
        next += 1;
        format!("${next}")
    };
    let at_version = change
        .version
        .map(|_| format!(" and version = {}", placeholder()))
        .unwrap_or_default();
    let stamp_sql = col
        .stamp
        .map(|stamp| format!("{stamp} = {}, ", placeholder()))
        .unwrap_or_default();
    let sql = format!(
        "update {table} set {} = $1, {stamp_sql}version = version + 1, updated_at = $2 \
         where id = $3{at_version}",
        col.key
    );
    let mut q = bind_value(sqlx::query(sqlx::AssertSqlSafe(sql)), change.value)
        .bind(change.now)
        .bind(change.id);
    if let Some(version) = change.version {
        q = q.bind(version);
    }
    if col.stamp.is_some() {
        let filled = match change.value {
            Value::Text(t) => t.as_deref().is_some_and(|t| !t.is_empty()),
            Value::Int(i) => i.is_some(),
        };
        q = q.bind(filled.then_some(change.now));
    }
    Ok(q.execute(conn).await?.rows_affected() == 1)
}

/// `insert into table (id, created_at, updated_at, …values)`.
pub async fn insert_row(
    conn: &mut AnyConnection,
    table: &str,
    row: &NewRow<'_>,
) -> Result<(), sqlx::Error> {
    let mut cols: Vec<&str> = vec!["id", "created_at", "updated_at"];
    cols.extend(row.values.iter().map(|(k, _)| *k));
    let placeholders: Vec<String> = (1..=cols.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "insert into {table} ({}) values ({})",
        cols.join(", "),
        placeholders.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(row.id)
        .bind(row.now)
        .bind(row.now);
    for (_, v) in row.values {
        q = bind_value(q, v);
    }
    q.execute(conn).await?;
    Ok(())
}

/// The plain writes under the spec's own table name: what most owners' [`super::Rules`] do.
pub struct PlainWrites;

#[async_trait::async_trait]
impl super::Rules for PlainWrites {
    async fn set(
        &self,
        conn: &mut AnyConnection,
        spec: &super::TableSpec,
        change: &FieldChange<'_>,
    ) -> Result<bool, sqlx::Error> {
        set_field(conn, spec.table, change).await
    }

    async fn insert(
        &self,
        conn: &mut AnyConnection,
        spec: &super::TableSpec,
        row: &NewRow<'_>,
    ) -> Result<(), sqlx::Error> {
        insert_row(conn, spec.table, row).await
    }
}
