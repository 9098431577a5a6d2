//! The admin's inline-edit table: one component for every editable table.
//!
//! Each domain declares its own tables with a [`TableSpec`] (columns with type, validation and
//! editability, search, filters, bulk actions, the quick-create form) and writes them itself
//! through its [`Rules`]: the component never writes a domain's table, it calls the owner's
//! rules inside its transaction. From the spec the component lists rows (filter, sort,
//! paginate), renders a cell for display or editing, and saves one field:
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

#![warn(missing_docs)]

pub mod export;
pub mod store;
pub mod views;

use std::collections::HashMap;

use futures_util::future::BoxFuture;
use serde_json::json;
use sqlx::{AnyConnection, Row as _};

use crate::audit::{AuditEntry, insert_audit};
use crate::db::{Backend, Db, DbError, new_id, now};
use crate::error::{AppError, AppResult};
use crate::money::Currency;
use crate::state::AppState;

/// Rows per page.
pub const PAGE_SIZE: i64 = 25;

/// Past this many matching rows, a list says "more than" instead of counting them all.
pub const COUNT_CAP: i64 = 10_000;

/// Searches shorter than this read the table itself: a trigram index needs three characters.
const INDEXED_SEARCH_MIN_CHARS: usize = 3;

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
        source: &'static Choices,
        /// Empty allowed.
        nullable: bool,
    },
    /// Epoch seconds, read-only.
    Timestamp,
    /// Amounts in several currencies, read-only: text `GBP:12000,EUR:4000` (ISO code and minor
    /// units, as a domain's `string_agg` builds it), shown and exported as each amount in its
    /// currency (a customer's spending).
    Amounts,
}

/// Where a [`Kind::Ref`] column's choices come from: declared by the domain that owns the rows
/// pointed at (`catalog::tables::CATEGORY_CHOICES`), loaded when an editor opens.
#[derive(Debug)]
pub struct Choices {
    /// A name for the set (distinct per set: choices are loaded once per name).
    pub name: &'static str,
    /// Reads the choices.
    pub load: LoadChoices,
}

/// The amounts of a [`Kind::Amounts`] value, in its order; parts that do not read as a known
/// currency and an amount are skipped.
pub fn amounts(text: &str) -> Vec<crate::money::Money> {
    text.split(',')
        .filter_map(|part| {
            let (code, minor) = part.split_once(':')?;
            let currency = Currency::parse(code.trim())?;
            Some(crate::money::Money::new(
                minor.trim().parse().ok()?,
                currency,
            ))
        })
        .collect()
}

/// Reads a set of choices from the database.
pub type LoadChoices = for<'a> fn(&'a Db) -> BoxFuture<'a, Result<Vec<Choice>, sqlx::Error>>;

/// One choice of a [`Kind::Ref`] column: (id, label).
pub type Choice = (String, String);

// The kinds and bulk actions most tables use.

/// Required one-line text of at most `max` characters.
pub const fn text(max: usize) -> Kind {
    Kind::Text {
        max,
        multiline: false,
        optional: false,
    }
}
/// Optional one-line text.
pub const fn optional_text(max: usize) -> Kind {
    Kind::Text {
        max,
        multiline: false,
        optional: true,
    }
}
/// Optional multi-line text.
pub const fn long_text(max: usize) -> Kind {
    Kind::Text {
        max,
        multiline: true,
        optional: true,
    }
}
/// A price in the shop's currency.
pub const PRICE: Kind = Kind::Money { signed: false };
/// A display order.
pub const ORDER: Kind = Kind::Int {
    min: -10_000,
    max: 10_000,
    nullable: false,
};

/// Bulk: make active.
pub const ACTIVATE: Bulk = Bulk {
    name: "activate",
    label: "Activate",
    key: "active",
    value: "1",
};
/// Bulk: make inactive.
pub const DEACTIVATE: Bulk = Bulk {
    name: "deactivate",
    label: "Deactivate",
    key: "active",
    value: "0",
};

/// Bulk: feature.
pub const FEATURE: Bulk = Bulk {
    name: "feature",
    label: "Feature",
    key: "featured",
    value: "1",
};
/// Bulk: stop featuring.
pub const UNFEATURE: Bulk = Bulk {
    name: "unfeature",
    label: "Stop featuring",
    key: "featured",
    value: "0",
};

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
    /// Column it filters (a column of the spec), or a related filter's own name.
    pub key: &'static str,
    /// Label.
    pub label: &'static str,
    /// For a filter on rows elsewhere rather than on a column: see [`Related`].
    pub related: Option<&'static Related>,
}

impl Filter {
    /// A filter on the spec's column `key`.
    pub const fn on(key: &'static str, label: &'static str) -> Self {
        Self {
            key,
            label,
            related: None,
        }
    }
    /// A filter named `key` that keeps the rows meeting `related`'s condition.
    pub const fn related(
        key: &'static str,
        label: &'static str,
        related: &'static Related,
    ) -> Self {
        Self {
            key,
            label,
            related: Some(related),
        }
    }
}

/// A filter on rows of another table that point at this table's rows (the resources a booking
/// claims), declared by the domain owning both.
#[derive(Debug)]
pub struct Related {
    /// Where the choices come from.
    pub choices: &'static Choices,
    /// The condition a row meets for the chosen value, written with `$1` for it (the component
    /// renumbers it); the table's own columns qualified with the table's name.
    pub condition: &'static str,
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
    /// The search columns have a trigram index: on SQLite the FTS5 table `{table}_search`
    /// (columns `id` and the search columns, kept by triggers), on PostgreSQL `pg_trgm` GIN
    /// indexes on `lower(column)` (`migrations-sqlite/`, `migrations-postgres/`). Without
    /// one, a search reads every row: fine for a catalog, not for years of orders.
    pub search_index: bool,
    /// The column naming each row's currency, when rows may be in different ones (orders):
    /// amounts show and export in it. Without one, amounts are in the shop's currency.
    pub row_currency: Option<&'static str>,
    /// Select filters.
    pub filters: &'static [Filter],
    /// Bulk actions.
    pub bulk: &'static [Bulk],
    /// Quick-create form.
    pub create: Option<Create>,
    /// Per-row links.
    pub links: &'static [RowLink],
    /// The owner's checks and writes.
    pub rules: &'static dyn Rules,
}

impl std::fmt::Debug for dyn Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rules")
    }
}

/// One field of one row, as the component asks its owner to write it.
#[derive(Debug)]
pub struct FieldChange<'a> {
    /// The row.
    pub id: &'a str,
    /// The column (one the spec declares).
    pub column: &'a Column,
    /// The new value, already parsed and checked.
    pub value: &'a Value,
    /// The version an inline edit was made against (a bulk action writes whatever version).
    pub version: Option<i64>,
    /// Now, in epoch seconds.
    pub now: i64,
}

/// A row from the quick-create form, as the component asks its owner to insert it.
#[derive(Debug)]
pub struct NewRow<'a> {
    /// The new row's id.
    pub id: &'a str,
    /// Columns and values, parsed and checked.
    pub values: &'a [(&'static str, Value)],
    /// Now, in epoch seconds.
    pub now: i64,
}

/// What the domain that owns a table says about changes to it: its own checks, and its own
/// writes (usually the plain ones of [`store`], under its table's name), inside the
/// component's transaction (which also writes the audit entry).
#[async_trait::async_trait]
pub trait Rules: Send + Sync {
    /// A rule of the owner about a field's new value, beyond what the column's kind checks:
    /// the sentence for the cell.
    fn check(&self, _column: &Column, _value: &Value) -> Result<(), String> {
        Ok(())
    }

    /// Writes one field of a row of `spec`'s table (bumping its version); false when the row
    /// is not at `change.version` any more.
    async fn set(
        &self,
        conn: &mut AnyConnection,
        spec: &TableSpec,
        change: &FieldChange<'_>,
    ) -> Result<bool, sqlx::Error>;

    /// Inserts a row into `spec`'s table.
    async fn insert(
        &self,
        conn: &mut AnyConnection,
        spec: &TableSpec,
        row: &NewRow<'_>,
    ) -> Result<(), sqlx::Error>;
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
    /// The row's currency, for a table with [`TableSpec::row_currency`] (an unknown code
    /// reads as none: the shop's).
    pub currency: Option<Currency>,
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
    /// The page starts after this row (the previous page's last): keyset paging.
    pub after: Option<String>,
    /// The page ends before this row (the next page's first).
    pub before: Option<String>,
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
    let currency = spec
        .row_currency
        .map(|c| format!(", {c} as row_currency"))
        .unwrap_or_default();
    format!("id, version, {}{currency}", cols.join(", "))
}

/// Columns a row has after the spec's own: `id` and `version` before, the currency after.
fn columns_read(spec: &TableSpec) -> usize {
    spec.columns.len() + 2 + usize::from(spec.row_currency.is_some())
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
    let currency = match spec.row_currency {
        Some(_) => row
            .try_get::<Option<String>, _>(spec.columns.len() + 2)?
            .and_then(|code| Currency::parse(&code)),
        None => None,
    };
    Ok(Row {
        id: row.try_get(0)?,
        version: row.try_get(1)?,
        values,
        currency,
    })
}

/// The epoch second at which `day` (`YYYY-MM-DD`) starts in UTC.
pub fn parse_day(day: &str) -> Option<i64> {
    let date: jiff::civil::Date = day.trim().parse().ok()?;
    let zoned = date.to_zoned(jiff::tz::TimeZone::UTC).ok()?;
    Some(zoned.timestamp().as_second())
}

/// The search and filter conditions of `q`, with their bound values.
/// `indexed`: search through the table's trigram index when it has one (see [`list`]).
fn conditions(
    state: &AppState,
    spec: &TableSpec,
    q: &ListQuery,
    indexed: bool,
) -> (Vec<String>, Vec<Value>) {
    let mut conditions: Vec<String> = Vec::new();
    let mut binds: Vec<Value> = Vec::new();
    if is_search(spec, q) {
        let words = q.q.trim();
        conditions.push(search_condition(state, spec, words, indexed, &mut binds));
    }
    for (key, raw) in &q.filters {
        if let Some(related) = spec
            .filters
            .iter()
            .find(|f| f.key == *key)
            .and_then(|f| f.related)
        {
            binds.push(Value::Text(Some(raw.clone())));
            let placeholder = format!("${}", binds.len());
            conditions.push(format!(
                "({})",
                related.condition.replace("$1", &placeholder)
            ));
            continue;
        }
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
    (conditions, binds)
}

/// Rows whose search columns contain `words` (case-insensitive). Through the table's trigram
/// index when it has one: on SQLite its FTS5 table (a quoted string is matched as a
/// substring), on PostgreSQL the same `lower(…) like` as without one, which its `pg_trgm`
/// indexes serve.
fn search_condition(
    state: &AppState,
    spec: &TableSpec,
    words: &str,
    indexed: bool,
    binds: &mut Vec<Value>,
) -> String {
    if indexed && uses_fts(state, spec, words) {
        let columns = spec.search.join(" ");
        let phrase = words.to_lowercase().replace('"', "\"\"");
        binds.push(Value::Text(Some(format!("{{{columns}}} : \"{phrase}\""))));
        return format!(
            "{table}.id in (select id from {table}_search where {table}_search match ${n})",
            table = spec.table,
            n = binds.len()
        );
    }
    binds.push(Value::Text(Some(crate::db::like_pattern(words))));
    let n = binds.len();
    let ors: Vec<String> = spec
        .search
        .iter()
        .map(|c| {
            let sql = spec.column(c).map_or(*c, Column::sql);
            format!("lower(({sql})) like ${n} escape '\\'")
        })
        .collect();
    format!("({})", ors.join(" or "))
}

fn is_search(spec: &TableSpec, q: &ListQuery) -> bool {
    !q.q.trim().is_empty() && !spec.search.is_empty()
}

/// Whether a search of `words` goes through the table's FTS5 table (SQLite).
fn uses_fts(state: &AppState, spec: &TableSpec, words: &str) -> bool {
    spec.search_index
        && state.db.backend() == Backend::Sqlite
        && words.chars().count() >= INDEXED_SEARCH_MIN_CHARS
}

/// Binds `values` to a query in order.
macro_rules! bind_all {
    ($query:expr, $values:expr) => {{
        let mut query = $query;
        for v in $values {
            query = match v {
                Value::Text(v) => query.bind(v.clone()),
                Value::Int(v) => query.bind(*v),
            };
        }
        query
    }};
}

/// Where a keyset page starts: the sort value of the row the cursor names, bound as the
/// comparison needs it (`None` when the row is gone or its sort value is null: the page is
/// then read by offset).
async fn cursor_value(
    state: &AppState,
    spec: &TableSpec,
    sort: &Column,
    id: &str,
) -> AppResult<Option<Value>> {
    let Some(id) = crate::db::parse_id(id) else {
        return Ok(None);
    };
    let sql = format!("select ({}) from {} where id = $1", sort.sql(), spec.table);
    let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
    let Some(row) = query.fetch_optional(state.db.pool()).await? else {
        return Ok(None);
    };
    Ok(if is_numeric(sort.kind) {
        row.try_get::<Option<i64>, _>(0)?
            .map(|v| Value::Int(Some(v)))
    } else {
        row.try_get::<Option<String>, _>(0)?
            .map(|v| Value::Text(Some(v)))
    })
}

/// How a page is cut from the rows that match: the sort, its direction, and where the page
/// starts (a keyset cursor's bound, or an offset).
struct Cut {
    /// The sort column's name in the select list.
    key: &'static str,
    /// Its SQL, for conditions on the table itself.
    sql: &'static str,
    /// `asc` or `desc`, as the page is read (backwards pages are read reversed).
    dir: &'static str,
    /// `(op, sort value, id)`: rows after the cursor's row in reading order.
    keyset: Option<(&'static str, Value, String)>,
    /// Read backwards from a `before` cursor: turn the page round.
    backwards: bool,
    offset: i64,
}

impl Cut {
    async fn of(state: &AppState, spec: &TableSpec, q: &ListQuery) -> AppResult<Self> {
        let sort = q
            .sort
            .and_then(|s| spec.column(s))
            .filter(|c| c.sortable)
            .or_else(|| spec.column(spec.default_sort.0));
        let desc = if q.sort.is_some() {
            q.desc
        } else {
            spec.default_sort.1
        };
        let (cursor, backwards) = match (&q.after, &q.before) {
            (Some(id), _) => (Some(id), false),
            (None, Some(id)) => (Some(id), true),
            (None, None) => (None, false),
        };
        let mut keyset = None;
        if let (Some(id), Some(sort)) = (cursor, sort)
            && let Some(value) = cursor_value(state, spec, sort, id).await?
            && let Some(id) = crate::db::parse_id(id)
        {
            // Forward in a descending list: rows that sort below the cursor's.
            let op = if desc != backwards { "<" } else { ">" };
            keyset = Some((op, value, id));
        }
        let backwards = backwards && keyset.is_some();
        Ok(Self {
            key: sort.map_or(spec.default_sort.0, |c| c.key),
            sql: sort.map_or(spec.default_sort.0, Column::sql),
            dir: if desc != backwards { "desc" } else { "asc" },
            offset: if keyset.is_some() {
                0
            } else {
                (q.page.max(1) - 1) * PAGE_SIZE
            },
            keyset,
            backwards,
        })
    }

    /// The keyset condition on `sort` (the column's SQL or its name), bound into `binds`.
    fn condition(&self, sort: &str, binds: &mut Vec<Value>) -> Option<String> {
        let (op, value, id) = self.keyset.as_ref()?;
        binds.push(value.clone());
        binds.push(Value::Text(Some(id.clone())));
        Some(format!(
            "(({sort}), id) {op} (${}, ${})",
            binds.len() - 1,
            binds.len()
        ))
    }

    fn order(&self) -> String {
        let (key, dir) = (self.key, self.dir);
        format!(
            "order by {key} {dir}, id {dir} limit {PAGE_SIZE} offset {}",
            self.offset
        )
    }
}

/// Reads rows of `spec` with `sql` and `binds`, turning a backwards page round; also returns
/// the last column of the first row when `with_total` (a window count).
async fn read_rows(
    state: &AppState,
    spec: &TableSpec,
    cut: &Cut,
    sql: String,
    binds: &[Value],
    with_total: bool,
) -> AppResult<(Vec<Row>, Option<i64>)> {
    let raw = bind_all!(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
        .fetch_all(state.db.pool())
        .await?;
    let total = match raw.first() {
        Some(r) if with_total => Some(r.try_get::<i64, _>(columns_read(spec))?),
        _ => None,
    };
    let mut rows = raw
        .iter()
        .map(|r| decode(spec, r))
        .collect::<Result<Vec<_>, _>>()?;
    if cut.backwards {
        rows.reverse();
    }
    Ok((rows, total))
}

/// One page of rows and the number matching (counted up to [`COUNT_CAP`] + 1: more means
/// "more than"). With a cursor (`after`, `before`) the page is read from where the cursor's
/// row sorts, so the hundredth page costs what the first does; rows tied on the sort column
/// are ordered by id, in the same direction.
///
/// A search first reads its matches through the trigram index, at most the cap plus one, and
/// counts and sorts them in the same query: few matches (the usual search for a name, an
/// email or a number) cost one pass over the index. This also fences the planner: PostgreSQL
/// would otherwise walk the sort index hoping to meet matches early, and read the whole
/// table when there are none (0.8 s at a million orders). Past the cap the matches are dense,
/// and walking the sort index testing each row finds a page at once.
pub async fn list(state: &AppState, spec: &TableSpec, q: &ListQuery) -> AppResult<(Vec<Row>, i64)> {
    let cut = Cut::of(state, spec, q).await?;
    let searching = is_search(spec, q);
    if searching {
        let (conditions, mut binds) = conditions(state, spec, q, true);
        let keyset = cut.condition(cut.key, &mut binds);
        let sql = format!(
            "select * from (select matched.*, count(*) over () as matching_total from \
             (select {} from {} {} limit {}) matched) counted {} {}",
            select_list(spec),
            spec.table,
            where_sql(&conditions),
            COUNT_CAP + 1,
            keyset.map(|k| format!("where {k}")).unwrap_or_default(),
            cut.order()
        );
        let (rows, total) = read_rows(state, spec, &cut, sql, &binds, true).await?;
        match total {
            Some(total) if total <= COUNT_CAP => return Ok((rows, total)),
            Some(_) => {}
            // Nothing on this page: past the end of few matches, or none at all.
            None => {
                let total = count(state, spec, q, true).await?;
                if total <= COUNT_CAP {
                    return Ok((rows, total));
                }
            }
        }
    }
    // Dense matches, or no search: the count stops at the cap, the page walks the sort index.
    let total = if searching {
        COUNT_CAP + 1
    } else {
        count(state, spec, q, false).await?
    };
    let (mut conditions, mut binds) = conditions(state, spec, q, false);
    if let Some(k) = cut.condition(cut.sql, &mut binds) {
        conditions.push(k);
    }
    let sql = format!(
        "select {} from {} {} {}",
        select_list(spec),
        spec.table,
        where_sql(&conditions),
        cut.order()
    );
    let (rows, _) = read_rows(state, spec, &cut, sql, &binds, false).await?;
    Ok((rows, total))
}

/// The rows matching `q`, counted up to [`COUNT_CAP`] + 1.
async fn count(state: &AppState, spec: &TableSpec, q: &ListQuery, indexed: bool) -> AppResult<i64> {
    let (conditions, binds) = conditions(state, spec, q, indexed);
    let sql = format!(
        "select count(*) from (select 1 from {} {} limit {}) matching",
        spec.table,
        where_sql(&conditions),
        COUNT_CAP + 1
    );
    Ok(
        bind_all!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)), &binds)
            .fetch_one(state.db.pool())
            .await?,
    )
}

fn where_sql(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!("where {}", conditions.join(" and "))
    }
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

/// Reference choices by [`Choices::name`]: [(id, label)].
pub type Refs = HashMap<&'static str, Vec<(String, String)>>;

/// The choices of every reference column of `spec`.
pub async fn ref_options(state: &AppState, spec: &TableSpec) -> AppResult<Refs> {
    let columns = spec.columns.iter().filter_map(|c| match c.kind {
        Kind::Ref { source, .. } => Some(source),
        _ => None,
    });
    let related = spec
        .filters
        .iter()
        .filter_map(|f| f.related.map(|r| r.choices));
    let mut out = HashMap::new();
    for source in columns.chain(related) {
        if !out.contains_key(source.name) {
            out.insert(source.name, (source.load)(&state.db).await?);
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
            refs.get(source.name)
                .into_iter()
                .flatten()
                .find(|(id, _)| id == trimmed)
                .map(|(id, _)| Value::Text(Some(id.clone())))
                .ok_or_else(|| "Choose one of the listed values.".to_owned())
        }
        Kind::Timestamp | Kind::Amounts => Err("This field cannot be edited.".into()),
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
    if let Err(why) = spec.rules.check(col, &value) {
        return Err(SaveError::Invalid(why));
    }
    let change = FieldChange {
        id,
        column: col,
        value: &value,
        version: Some(version),
        now,
    };
    let written = match spec.rules.set(&mut tx, spec, &change).await {
        Ok(written) => written,
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
    if !written {
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
        let change = FieldChange {
            id,
            column: col,
            value: &value,
            version: None,
            now,
        };
        spec.rules.set(&mut tx, spec, &change).await?;
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
            Ok(v) => match spec.rules.check(col, &v) {
                Ok(()) => values.push((col.key, v)),
                Err(e) => errors.push((col.key, e)),
            },
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
    let row = NewRow {
        id: &id,
        values: &values,
        now,
    };
    if let Err(e) = spec.rules.insert(&mut tx, spec, &row).await {
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
        let suffixed = format!("{long}-abcdef");
        assert!(
            suffixed.len() <= 80
                && suffixed
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{suffixed}"
        );
    }
}
