//! The admin's inline-edit table: one component for every editable table.
//!
//! A [`TableSpec`] declares a database table's columns (type, validation, editability),
//! search, filters, bulk actions and the quick-create form. From it the component lists rows
//! (filter, sort, paginate), renders a cell for display or editing, and saves one field:
//!
//! * click a cell → its input (htmx fragment; without JS a small page) → Enter saves, Escape
//!   cancels → the display cell comes back;
//! * every save names the row version it was made against: if someone changed the row
//!   meanwhile, the save is refused with the current value instead of overwriting it;
//! * every change (edit, bulk action, create) writes an audit entry with before and after, in
//!   the same transaction.
//!
//! SQL is assembled only from names in the spec (never from the request): a field in a URL is
//! looked up in the spec's columns and refused when absent.

pub mod handlers;
pub mod views;

use std::collections::HashMap;

use serde_json::json;
use sqlx::Row as _;

use crate::audit::{AuditEntry, insert_audit};
use crate::db::{DbError, new_id, now};
use crate::error::{AppError, AppResult};
use crate::money::Currency;
use crate::state::AppState;

/// Rows per page.
pub const PAGE_SIZE: i64 = 25;

/// A column's type, which decides its input, validation and display.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Text up to `max` characters; `multiline` edits in a textarea.
    Text {
        /// Longest value.
        max: usize,
        /// Textarea.
        multiline: bool,
        /// May be empty.
        optional: bool,
    },
    /// A URL slug: lowercase letters, digits and dashes; unique.
    Slug,
    /// Money in the shop's currency (minor units in the database).
    Money {
        /// Allows negatives (price deltas).
        signed: bool,
    },
    /// A whole number in a range; `nullable` allows empty (stored as NULL).
    Int {
        /// Lowest.
        min: i64,
        /// Highest.
        max: i64,
        /// Empty allowed.
        nullable: bool,
    },
    /// Yes/no, stored as 0/1.
    Bool,
    /// One of fixed values: (stored, label).
    Choice(&'static [(&'static str, &'static str)]),
    /// A row of another table.
    Ref {
        /// Where the choices come from.
        source: RefSource,
        /// Empty allowed.
        nullable: bool,
    },
    /// Epoch seconds, read-only.
    Timestamp,
}

/// Tables a [`Kind::Ref`] column can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefSource {
    /// Categories.
    Category,
    /// Option groups.
    OptionGroup,
    /// Ready image files.
    Image,
    /// Ready video files.
    Video,
}

impl RefSource {
    fn sql(self) -> &'static str {
        match self {
            RefSource::Category => "select id, name from categories order by sort_order, name",
            RefSource::OptionGroup => {
                "select id, name from option_groups order by sort_order, name"
            }
            RefSource::Image => {
                "select id, original_name from media where state = 'ready' and kind = 'image'
                 order by created_at desc limit 500"
            }
            RefSource::Video => {
                "select id, original_name from media where state = 'ready' and kind = 'video'
                 order by created_at desc limit 500"
            }
        }
    }
}

/// One column.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// SQL column name (also the field name in URLs and forms).
    pub key: &'static str,
    /// Header.
    pub label: &'static str,
    /// Type.
    pub kind: Kind,
    /// Editable inline.
    pub editable: bool,
    /// Sortable by its header.
    pub sortable: bool,
    /// For a read-only value from elsewhere (a reviewed product's title): the SQL expression
    /// selected as `key`, usually a subquery. The table's own columns in it are qualified with
    /// the table's name. Searches and filters on the column use the expression.
    pub expr: Option<&'static str>,
    /// A timestamp column set to now whenever this column is saved non-empty, and to NULL when
    /// it is saved empty (a review reply's `replied_at`).
    pub stamp: Option<&'static str>,
}

impl Column {
    /// An editable, sortable column.
    pub const fn edit(key: &'static str, label: &'static str, kind: Kind) -> Self {
        Self {
            key,
            label,
            kind,
            editable: true,
            sortable: true,
            expr: None,
            stamp: None,
        }
    }
    /// A read-only, sortable column.
    pub const fn show(key: &'static str, label: &'static str, kind: Kind) -> Self {
        Self {
            key,
            label,
            kind,
            editable: false,
            sortable: true,
            expr: None,
            stamp: None,
        }
    }
    /// A read-only, sortable value computed by `expr` (see [`Column::expr`]).
    pub const fn computed(
        key: &'static str,
        label: &'static str,
        kind: Kind,
        expr: &'static str,
    ) -> Self {
        Self {
            key,
            label,
            kind,
            editable: false,
            sortable: true,
            expr: Some(expr),
            stamp: None,
        }
    }
    /// Also sets the timestamp column `stamp` when this column is saved (see [`Column::stamp`]).
    pub const fn stamping(mut self, stamp: &'static str) -> Self {
        self.stamp = Some(stamp);
        self
    }

    /// The SQL that reads this column in a `where` clause.
    fn sql(&self) -> &'static str {
        match self.expr {
            Some(expr) => expr,
            None => self.key,
        }
    }
}

/// A select filter above the table.
#[derive(Debug, Clone, Copy)]
pub struct Filter {
    /// Column it filters (must be a column of the spec).
    pub key: &'static str,
    /// Label.
    pub label: &'static str,
}

/// A bulk action: set `key` to `value` on every selected row.
#[derive(Debug, Clone, Copy)]
pub struct Bulk {
    /// Form value and audit verb.
    pub name: &'static str,
    /// Button label.
    pub label: &'static str,
    /// Column.
    pub key: &'static str,
    /// New value (text, or an integer as text for numeric columns).
    pub value: &'static str,
}

/// The quick-create form.
#[derive(Debug, Clone, Copy)]
pub struct Create {
    /// Columns asked for.
    pub fields: &'static [&'static str],
    /// Make the slug from this field.
    pub slug_from: Option<&'static str>,
    /// Fill `currency` with the shop's currency.
    pub currency: bool,
}

/// A link per row to a page of its own (the product's option values).
#[derive(Debug, Clone, Copy)]
pub struct RowLink {
    /// Link text.
    pub label: &'static str,
    /// Path with `{id}`.
    pub path: &'static str,
}

/// An editable table.
#[derive(Debug)]
pub struct TableSpec {
    /// URL segment (`/admin/{name}`).
    pub name: &'static str,
    /// Page title.
    pub title: &'static str,
    /// One-line help under the title.
    pub help: &'static str,
    /// Audit entity name.
    pub entity: &'static str,
    /// SQL table.
    pub table: &'static str,
    /// Columns shown, in order.
    pub columns: &'static [Column],
    /// Default order: (column, descending).
    pub default_sort: (&'static str, bool),
    /// Columns the search box looks in.
    pub search: &'static [&'static str],
    /// Select filters.
    pub filters: &'static [Filter],
    /// Bulk actions.
    pub bulk: &'static [Bulk],
    /// Quick-create form.
    pub create: Option<Create>,
    /// Per-row links.
    pub links: &'static [RowLink],
}

impl TableSpec {
    /// The column named `key`.
    pub fn column(&self, key: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.key == key)
    }
}

/// A cell's value as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text columns.
    Text(Option<String>),
    /// Numeric and flag columns.
    Int(Option<i64>),
}

impl Value {
    fn json(&self) -> serde_json::Value {
        match self {
            Value::Text(v) => json!(v),
            Value::Int(v) => json!(v),
        }
    }

    /// The value as an input shows it.
    pub fn input_text(&self, kind: Kind, currency: Currency) -> String {
        match (self, kind) {
            (Value::Int(Some(v)), Kind::Money { .. }) => currency.plain(*v),
            (Value::Int(Some(v)), _) => v.to_string(),
            (Value::Text(Some(t)), _) => t.clone(),
            _ => String::new(),
        }
    }
}

fn is_numeric(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Money { .. } | Kind::Int { .. } | Kind::Bool | Kind::Timestamp
    )
}

/// A row as listed.
#[derive(Debug, Clone)]
pub struct Row {
    /// Id.
    pub id: String,
    /// Version (for stale-edit detection).
    pub version: i64,
    /// Values, aligned with the spec's columns.
    pub values: Vec<Value>,
}

impl Row {
    /// Column `col`'s value as its input shows it.
    pub fn input_text(&self, spec: &TableSpec, col: &Column, currency: Currency) -> String {
        self.get(spec, col.key)
            .map(|v| v.input_text(col.kind, currency))
            .unwrap_or_default()
    }

    /// The value of column `key`.
    pub fn get(&self, spec: &TableSpec, key: &str) -> Option<&Value> {
        spec.columns
            .iter()
            .position(|c| c.key == key)
            .and_then(|i| self.values.get(i))
    }
}

/// What the list asks for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Search words.
    pub q: String,
    /// Filter values by column.
    pub filters: Vec<(&'static str, String)>,
    /// Sort column.
    pub sort: Option<&'static str>,
    /// Descending.
    pub desc: bool,
    /// Page from 1.
    pub page: i64,
}

fn select_list(spec: &TableSpec) -> String {
    let cols: Vec<String> = spec
        .columns
        .iter()
        .map(|c| match c.expr {
            Some(expr) => format!("({expr}) as {}", c.key),
            None => c.key.to_owned(),
        })
        .collect();
    format!("id, version, {}", cols.join(", "))
}

fn decode(spec: &TableSpec, row: &sqlx::any::AnyRow) -> Result<Row, sqlx::Error> {
    let mut values = Vec::with_capacity(spec.columns.len());
    for (i, c) in spec.columns.iter().enumerate() {
        let idx = i + 2;
        values.push(if is_numeric(c.kind) {
            Value::Int(row.try_get::<Option<i64>, _>(idx)?)
        } else {
            Value::Text(row.try_get::<Option<String>, _>(idx)?)
        });
    }
    Ok(Row {
        id: row.try_get(0)?,
        version: row.try_get(1)?,
        values,
    })
}

/// The epoch second at which `day` (`YYYY-MM-DD`) starts in UTC.
pub fn parse_day(day: &str) -> Option<i64> {
    let date: jiff::civil::Date = day.trim().parse().ok()?;
    let zoned = date.to_zoned(jiff::tz::TimeZone::UTC).ok()?;
    Some(zoned.timestamp().as_second())
}

/// One page of rows and the number matching.
pub async fn list(state: &AppState, spec: &TableSpec, q: &ListQuery) -> AppResult<(Vec<Row>, i64)> {
    let mut conditions: Vec<String> = Vec::new();
    let mut binds: Vec<Value> = Vec::new();
    if !q.q.trim().is_empty() && !spec.search.is_empty() {
        binds.push(Value::Text(Some(crate::catalog::store::like_pattern(&q.q))));
        let n = binds.len();
        let ors: Vec<String> = spec
            .search
            .iter()
            .map(|c| {
                let sql = spec.column(c).map_or(*c, Column::sql);
                format!("lower(({sql})) like ${n} escape '\\'")
            })
            .collect();
        conditions.push(format!("({})", ors.join(" or ")));
    }
    for (key, raw) in &q.filters {
        let Some(col) = spec.column(key) else {
            continue;
        };
        if matches!(col.kind, Kind::Timestamp) {
            // `from:YYYY-MM-DD` (that day on) and `to:YYYY-MM-DD` (up to that day's end), UTC.
            let range = raw
                .split_once(':')
                .and_then(|(end, day)| parse_day(day).map(|start| (end, start)));
            let Some((end, start)) = range else {
                continue;
            };
            let (op, bound) = if end == "from" {
                (">=", start)
            } else {
                ("<", start + 86_400)
            };
            binds.push(Value::Int(Some(bound)));
            conditions.push(format!("({}) {op} ${}", col.sql(), binds.len()));
            continue;
        }
        binds.push(if is_numeric(col.kind) {
            match raw.parse::<i64>() {
                Ok(v) => Value::Int(Some(v)),
                Err(_) => continue,
            }
        } else {
            Value::Text(Some(raw.clone()))
        });
        conditions.push(format!("({}) = ${}", col.sql(), binds.len()));
    }
    let where_sql = if conditions.is_empty() {
        String::new()
    } else {
        format!("where {}", conditions.join(" and "))
    };
    let sort = q
        .sort
        .and_then(|s| spec.column(s))
        .filter(|c| c.sortable)
        .map_or(spec.default_sort.0, |c| c.key);
    let desc = if q.sort.is_some() {
        q.desc
    } else {
        spec.default_sort.1
    };
    let offset = (q.page.max(1) - 1) * PAGE_SIZE;
    let list_sql = format!(
        "select {} from {} {where_sql} order by {sort} {}, id limit {PAGE_SIZE} offset {offset}",
        select_list(spec),
        spec.table,
        if desc { "desc" } else { "asc" },
    );
    let count_sql = format!("select count(*) from {} {where_sql}", spec.table);
    let mut list = sqlx::query(sqlx::AssertSqlSafe(list_sql));
    let mut count = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql));
    for b in &binds {
        match b {
            Value::Text(v) => {
                list = list.bind(v.clone());
                count = count.bind(v.clone());
            }
            Value::Int(v) => {
                list = list.bind(*v);
                count = count.bind(*v);
            }
        }
    }
    let pool = state.db.pool();
    let rows = list
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| decode(spec, r))
        .collect::<Result<Vec<_>, _>>()?;
    let total = count.fetch_one(pool).await?;
    Ok((rows, total))
}

/// One row by id.
pub async fn find<'e>(
    ex: impl sqlx::Executor<'e, Database = sqlx::Any>,
    spec: &TableSpec,
    id: &str,
) -> AppResult<Option<Row>> {
    let sql = format!(
        "select {} from {} where id = $1",
        select_list(spec),
        spec.table
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(ex)
        .await?;
    Ok(row.map(|r| decode(spec, &r)).transpose()?)
}

/// Reference choices by source: [(id, label)].
pub type Refs = HashMap<RefSource, Vec<(String, String)>>;

/// The choices of every reference column of `spec`.
pub async fn ref_options(state: &AppState, spec: &TableSpec) -> AppResult<Refs> {
    let mut out = HashMap::new();
    for c in spec.columns {
        if let Kind::Ref { source, .. } = c.kind
            && !out.contains_key(&source)
        {
            let rows: Vec<(String, String)> = sqlx::query_as(source.sql())
                .fetch_all(state.db.pool())
                .await?;
            out.insert(source, rows);
        }
    }
    Ok(out)
}

/// Makes a slug from a title.
pub fn slugify(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    // Room for a `-xxxxxx` suffix within the 80 characters a slug may have.
    let out: String = out.chars().take(73).collect();
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "item".to_owned()
    } else {
        out
    }
}

/// Checks and converts what was typed for a column (a reference against `refs`, the choices
/// the editor offered). The error is a sentence for the cell.
pub fn parse_value(
    currency: Currency,
    col: &Column,
    raw: &str,
    refs: &Refs,
) -> Result<Value, String> {
    let trimmed = raw.trim();
    match col.kind {
        Kind::Text { max, optional, .. } => {
            let n = trimmed.chars().count();
            if n == 0 && !optional {
                return Err(format!("{} cannot be empty.", col.label));
            }
            if n > max {
                return Err(format!("Use at most {max} characters."));
            }
            Ok(Value::Text(Some(trimmed.replace("\r\n", "\n"))))
        }
        Kind::Slug => {
            if trimmed.is_empty()
                || trimmed.len() > 80
                || !trimmed
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                || trimmed.starts_with('-')
                || trimmed.ends_with('-')
            {
                return Err(
                    "Use lowercase letters, digits and dashes, for example “blue-hour-print”."
                        .into(),
                );
            }
            Ok(Value::Text(Some(trimmed.to_owned())))
        }
        Kind::Money { signed } => currency
            .parse_amount(trimmed, signed)
            .map(|v| Value::Int(Some(v)))
            .map_err(str::to_owned),
        Kind::Int { min, max, nullable } => {
            if trimmed.is_empty() {
                return if nullable {
                    Ok(Value::Int(None))
                } else {
                    Err("Enter a number.".into())
                };
            }
            match trimmed.parse::<i64>() {
                Ok(v) if (min..=max).contains(&v) => Ok(Value::Int(Some(v))),
                _ => Err(format!("Enter a whole number from {min} to {max}.")),
            }
        }
        Kind::Bool => match trimmed {
            "1" | "true" | "on" | "yes" => Ok(Value::Int(Some(1))),
            "0" | "false" | "off" | "no" | "" => Ok(Value::Int(Some(0))),
            _ => Err("Choose yes or no.".into()),
        },
        Kind::Choice(options) => options
            .iter()
            .find(|(v, _)| *v == trimmed)
            .map(|(v, _)| Value::Text(Some((*v).to_owned())))
            .ok_or_else(|| "Choose one of the listed values.".to_owned()),
        Kind::Ref { source, nullable } => {
            if trimmed.is_empty() {
                return if nullable {
                    Ok(Value::Text(None))
                } else {
                    Err("Choose one.".into())
                };
            }
            refs.get(&source)
                .into_iter()
                .flatten()
                .find(|(id, _)| id == trimmed)
                .map(|(id, _)| Value::Text(Some(id.clone())))
                .ok_or_else(|| "Choose one of the listed values.".to_owned())
        }
        Kind::Timestamp => Err("This field cannot be edited.".into()),
    }
}

/// Why a save did not happen.
#[derive(Debug)]
pub enum SaveError {
    /// The value is not acceptable: a sentence for the cell.
    Invalid(String),
    /// Someone changed the row since the editor opened: the row as it is now.
    Stale(Box<Row>),
    /// Anything else (not found, database).
    App(AppError),
}

impl From<AppError> for SaveError {
    fn from(e: AppError) -> Self {
        SaveError::App(e)
    }
}

impl From<sqlx::Error> for SaveError {
    fn from(e: sqlx::Error) -> Self {
        SaveError::App(e.into())
    }
}

fn bind_value<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    v: &Value,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    match v {
        Value::Text(t) => q.bind(t.clone()),
        Value::Int(i) => q.bind(*i),
    }
}

/// Saves one field of one row, made against `version`. Writes the audit entry in the same
/// transaction. Returns the row as saved.
pub async fn save(
    state: &AppState,
    spec: &TableSpec,
    actor: &AuditEntry<'_>,
    id: &str,
    col: &Column,
    value: Value,
    version: i64,
) -> Result<Row, SaveError> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let Some(before) = find(&mut *tx, spec, id).await? else {
        return Err(AppError::NotFound.into());
    };
    if before.version != version {
        return Err(SaveError::Stale(Box::new(before)));
    }
    let stamp_sql = col
        .stamp
        .map(|stamp| format!("{stamp} = $5, "))
        .unwrap_or_default();
    let sql = format!(
        "update {} set {} = $1, {stamp_sql}version = version + 1, updated_at = $2 where id = $3 and version = $4",
        spec.table, col.key
    );
    let mut q = bind_value(sqlx::query(sqlx::AssertSqlSafe(sql)), &value)
        .bind(now)
        .bind(id)
        .bind(version);
    if col.stamp.is_some() {
        let filled = match &value {
            Value::Text(t) => t.as_deref().is_some_and(|t| !t.is_empty()),
            Value::Int(i) => i.is_some(),
        };
        q = q.bind(filled.then_some(now));
    }
    let done = match q.execute(&mut *tx).await {
        Ok(d) => d,
        Err(e) => {
            return Err(match DbError::classify(e) {
                DbError::UniqueViolation(_) => SaveError::Invalid(format!(
                    "Another row already has this {}.",
                    col.label.to_lowercase()
                )),
                DbError::Other(e) => e.into(),
            });
        }
    };
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        let current = find(state.db.pool(), spec, id)
            .await?
            .ok_or(AppError::NotFound)?;
        return Err(SaveError::Stale(Box::new(current)));
    }
    let old = before
        .get(spec, col.key)
        .map_or(serde_json::Value::Null, Value::json);
    let action = format!("{}.update", spec.entity);
    let entry = AuditEntry {
        action: &action,
        entity: spec.entity,
        entity_id: id,
        ..actor.clone()
    }
    .change(
        json!({ col.key: old, "version": version }),
        json!({ col.key: value.json(), "version": version + 1 }),
    );
    insert_audit(&mut *tx, &entry, now).await?;
    let after = find(&mut *tx, spec, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(after)
}

/// Applies a bulk action to the rows `ids`, auditing each changed row. Returns how many changed.
pub async fn bulk(
    state: &AppState,
    spec: &TableSpec,
    actor: &AuditEntry<'_>,
    action: &Bulk,
    ids: &[String],
) -> AppResult<usize> {
    let col = spec.column(action.key).ok_or(AppError::NotFound)?;
    let value = if is_numeric(col.kind) {
        Value::Int(action.value.parse().ok())
    } else {
        Value::Text(Some(action.value.to_owned()))
    };
    let now = now();
    let verb = format!("{}.{}", spec.entity, action.name);
    let mut changed = 0;
    let mut tx = state.db.begin().await?;
    for id in ids.iter().take(PAGE_SIZE as usize * 4) {
        let Some(before) = find(&mut *tx, spec, id).await? else {
            continue;
        };
        if before.get(spec, col.key) == Some(&value) {
            continue;
        }
        let sql = format!(
            "update {} set {} = $1, version = version + 1, updated_at = $2 where id = $3",
            spec.table, col.key
        );
        bind_value(sqlx::query(sqlx::AssertSqlSafe(sql)), &value)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let old = before
            .get(spec, col.key)
            .map_or(serde_json::Value::Null, Value::json);
        let entry = AuditEntry {
            action: &verb,
            entity: spec.entity,
            entity_id: id,
            ..actor.clone()
        }
        .change(json!({ col.key: old }), json!({ col.key: value.json() }));
        insert_audit(&mut *tx, &entry, now).await?;
        changed += 1;
    }
    tx.commit().await?;
    Ok(changed)
}

/// Creates a row from the quick-create form's values. Field errors come back by column.
pub async fn create(
    state: &AppState,
    spec: &TableSpec,
    actor: &AuditEntry<'_>,
    form: &crate::http::form::FormPairs,
) -> AppResult<Result<String, Vec<(&'static str, String)>>> {
    let Some(create) = spec.create else {
        return Err(AppError::NotFound);
    };
    let refs = ref_options(state, spec).await?;
    let mut errors = Vec::new();
    let mut values: Vec<(&'static str, Value)> = Vec::new();
    for key in create.fields {
        let Some(col) = spec.column(key) else {
            continue;
        };
        match parse_value(
            state.settings.currency,
            col,
            form.get(key).unwrap_or(""),
            &refs,
        ) {
            Ok(v) => values.push((col.key, v)),
            Err(e) => errors.push((col.key, e)),
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let id = new_id();
    let now = now();
    let mut tx = state.db.begin().await?;
    if let Some(from) = create.slug_from {
        let base = slugify(form.get(from).unwrap_or(""));
        let taken: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select count(*) from {} where slug = $1",
            spec.table
        )))
        .bind(&base)
        .fetch_one(&mut *tx)
        .await?;
        let slug = if taken == 0 {
            base
        } else {
            format!("{base}-{}", &id[id.len() - 6..])
        };
        values.push(("slug", Value::Text(Some(slug))));
    }
    if create.currency {
        values.push((
            "currency",
            Value::Text(Some(state.settings.currency.code().to_owned())),
        ));
    }
    let mut cols: Vec<&str> = vec!["id", "created_at", "updated_at"];
    cols.extend(values.iter().map(|(k, _)| *k));
    let placeholders: Vec<String> = (1..=cols.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "insert into {} ({}) values ({})",
        spec.table,
        cols.join(", "),
        placeholders.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&id)
        .bind(now)
        .bind(now);
    for (_, v) in &values {
        q = bind_value(q, v);
    }
    if let Err(e) = q.execute(&mut *tx).await {
        return match DbError::classify(e) {
            DbError::UniqueViolation(_) => Ok(Err(vec![(
                create.fields.first().copied().unwrap_or("form"),
                "A row with this name already exists.".to_owned(),
            )])),
            DbError::Other(e) => Err(e.into()),
        };
    }
    let after: serde_json::Map<String, serde_json::Value> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.json()))
        .collect();
    let action = format!("{}.create", spec.entity);
    let entry = AuditEntry {
        action: &action,
        entity: spec.entity,
        entity_id: &id,
        ..actor.clone()
    }
    .change(serde_json::Value::Null, serde_json::Value::Object(after));
    insert_audit(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_leave_room_for_a_suffix() {
        assert_eq!(slugify("Marina Bay, Blue Hour!"), "marina-bay-blue-hour");
        assert_eq!(slugify("   "), "item");
        let long = slugify(&"word ".repeat(40));
        assert!(long.len() <= 73 && !long.ends_with('-'), "{long}");
        assert!(crate::catalog::model::is_slug(&format!("{long}-abcdef")));
    }
}
