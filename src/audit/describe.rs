//! An audit row in words: which row (its name, not its id) and what changed, field by field,
//! read from the JSON snapshots the log keeps.

use serde_json::{Map, Value};

/// One field that differs between the row before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field, in words (`price_minor` → `price`, `category_id` → `category`).
    pub field: String,
    /// Its value before (none: the row was created, or the field is new).
    pub before: Option<String>,
    /// Its value after (none: the row was deleted).
    pub after: Option<String>,
}

/// What an audit row says, readably.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Described {
    /// The row's name, title, email or number, when its snapshot has one.
    pub label: Option<String>,
    /// The fields that changed (every field of a created or deleted row).
    pub changes: Vec<FieldChange>,
}

/// Fields that name a row, most telling first.
const LABEL_FIELDS: &[&str] = &[
    "name",
    "title",
    "number",
    "email",
    "subject",
    "slug",
    "label",
    "original_name",
];

/// Bookkeeping that says nothing to a reader.
const QUIET_FIELDS: &[&str] = &["id", "version", "created_at", "updated_at"];

/// Longest value shown before it is cut with "…".
const MAX_VALUE_CHARS: usize = 80;

/// Reads the before and after snapshots of an audit row (either may be absent or not an
/// object; then the row is described by what there is).
pub fn describe(before: Option<&str>, after: Option<&str>) -> Described {
    let parse = |raw: Option<&str>| -> Option<Map<String, Value>> {
        match serde_json::from_str(raw?).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        }
    };
    let (before, after) = (parse(before), parse(after));
    let label = [after.as_ref(), before.as_ref()]
        .into_iter()
        .flatten()
        .find_map(label_of);
    let empty = Map::new();
    let (b, a) = (
        before.as_ref().unwrap_or(&empty),
        after.as_ref().unwrap_or(&empty),
    );
    let mut fields: Vec<&String> = a.keys().chain(b.keys()).collect();
    fields.sort();
    fields.dedup();
    let changes = fields
        .into_iter()
        .filter(|f| !QUIET_FIELDS.contains(&f.as_str()))
        .filter(|f| b.get(*f) != a.get(*f))
        .map(|f| FieldChange {
            field: field_name(f),
            before: b.get(f).map(|v| value_text(f, v)),
            after: a.get(f).map(|v| value_text(f, v)),
        })
        .collect();
    Described { label, changes }
}

fn label_of(row: &Map<String, Value>) -> Option<String> {
    LABEL_FIELDS.iter().find_map(|f| match row.get(*f) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(cut(s)),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// `price_minor` → `price`, `category_id` → `category`, `is_active` stays.
fn field_name(field: &str) -> String {
    let bare = field
        .strip_suffix("_minor")
        .or_else(|| field.strip_suffix("_id"))
        .unwrap_or(field);
    bare.replace('_', " ")
}

fn value_text(field: &str, value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        // Amounts are kept in minor units: 3500 reads as 35.00.
        Value::Number(n) if field.ends_with("_minor") => n.as_i64().map_or_else(
            || n.to_string(),
            |m| {
                format!(
                    "{}{}.{:02}",
                    if m < 0 { "-" } else { "" },
                    m.abs() / 100,
                    m.abs() % 100
                )
            },
        ),
        Value::Number(n) => n.to_string(),
        // A reference to another row: its id means little, so say only that it is set.
        Value::String(s) if field.ends_with("_id") && looks_like_id(s) => {
            format!("#{}", &s[s.len().saturating_sub(6)..])
        }
        Value::String(s) => cut(s),
        other => cut(&other.to_string()),
    }
}

/// A UUID-shaped value (hex and dashes, 32 hex digits).
fn looks_like_id(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
        && s.chars().filter(char::is_ascii_hexdigit).count() == 32
}

fn cut(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(MAX_VALUE_CHARS) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_names_the_row_and_lists_what_changed() {
        let d = describe(
            Some(
                r#"{"id":"01a2-x","title":"Blue hour","price_minor":3500,"active":true,"version":3,"category_id":"01a2414b-797b-7623-87d8-ee5baccbdf47"}"#,
            ),
            Some(
                r#"{"id":"01a2-x","title":"Blue hour","price_minor":4250,"active":false,"version":4,"category_id":"01a2414b-797b-7623-87d8-ee5baccbdf48"}"#,
            ),
        );
        assert_eq!(d.label.as_deref(), Some("Blue hour"));
        let changes: Vec<(String, Option<String>, Option<String>)> = d
            .changes
            .into_iter()
            .map(|c| (c.field, c.before, c.after))
            .collect();
        assert_eq!(
            changes,
            vec![
                ("active".into(), Some("yes".into()), Some("no".into())),
                (
                    "category".into(),
                    Some("#cbdf47".into()),
                    Some("#cbdf48".into())
                ),
                ("price".into(), Some("35.00".into()), Some("42.50".into())),
            ]
        );
    }

    #[test]
    fn a_created_row_lists_its_fields_and_odd_input_is_tolerated() {
        let d = describe(None, Some(r#"{"name":"Studio A","capacity":1}"#));
        assert_eq!(d.label.as_deref(), Some("Studio A"));
        assert_eq!(d.changes.len(), 2);
        assert!(d.changes.iter().all(|c| c.before.is_none()));
        assert_eq!(
            describe(Some("not json"), Some("[1,2]")),
            Described::default()
        );
        let long = format!(r#"{{"description":"{}"}}"#, "é".repeat(200));
        let d = describe(None, Some(&long));
        assert!(d.changes[0].after.as_deref().unwrap().ends_with('…'));
    }
}
