//! Staff edit the studio's hours: the week as a whole (up to three intervals a day), and date
//! overrides (closures and special hours). Everything is checked with the same rules the
//! availability computation reads them by ([`DayHours::new`]): an interval must end after it
//! starts and must not overlap another of its day. A week that fails is not saved at all.

use jiff::civil::{Date, Time};

use super::availability::DayHours;
use super::model::{OpeningRow, OverrideRow, parse_hm};
use super::store;
use crate::db::now;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::identity::model::User;
use crate::state::AppState;

/// Intervals a day the form offers.
pub const SLOTS: usize = 3;

/// The weekdays as the form names them: (field key, label), Monday first.
pub const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

/// One day's intervals as typed: (opens, closes), empty pairs ignored.
pub type TypedDay = Vec<(String, String)>;

/// The stored week as the form shows it.
pub fn typed_week(rows: &[OpeningRow]) -> Vec<TypedDay> {
    (1..=7)
        .map(|day| {
            rows.iter()
                .filter(|r| r.weekday == day)
                .map(|r| (r.opens.clone(), r.closes.clone()))
                .collect()
        })
        .collect()
}

fn parse_day(typed: &TypedDay) -> Result<Vec<(Time, Time)>, String> {
    let mut intervals = Vec::new();
    for (opens, closes) in typed {
        let (opens, closes) = (opens.trim(), closes.trim());
        if opens.is_empty() && closes.is_empty() {
            continue;
        }
        match (parse_hm(opens), parse_hm(closes)) {
            (Some(o), Some(c)) => intervals.push((o, c)),
            _ => {
                return Err(format!(
                    "Give both times as HH:MM (24-hour), like 09:00 and 18:00; “{opens}”–“{closes}” is not."
                ));
            }
        }
    }
    DayHours::new(&intervals).map_err(|e| format!("Check the times: {e}."))?;
    Ok(intervals)
}

/// Checks a typed week: the rows to store, or an error per day (keyed by [`DAYS`]).
pub fn validate_week(week: &[TypedDay]) -> Result<Vec<(i64, String, String)>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut rows = Vec::new();
    for ((key, _), (n, typed)) in DAYS.iter().zip(week.iter().enumerate()) {
        match parse_day(typed) {
            Ok(intervals) => {
                for (o, c) in intervals {
                    let weekday = i64::try_from(n).unwrap_or(0) + 1;
                    rows.push((
                        weekday,
                        o.strftime("%H:%M").to_string(),
                        c.strftime("%H:%M").to_string(),
                    ));
                }
            }
            Err(message) => errors.add(key, message),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Replaces the week in one transaction, audited. Errors are per day, nothing saved.
pub async fn save_week(state: &AppState, admin: &User, week: &[TypedDay]) -> AppResult<()> {
    let rows = validate_week(week).map_err(AppError::Validation)?;
    let now = now();
    let mut tx = state.db.begin().await?;
    let before = store::opening_hours(&mut *tx).await?;
    store::replace_hours(&mut tx, &rows, now).await?;
    let as_json = |rows: Vec<(i64, String, String)>| {
        serde_json::json!({
            "name": "Opening hours",
            "hours": rows.into_iter().map(|(d, o, c)| format!("{} {o}–{c}", DAYS[usize::try_from(d - 1).unwrap_or(0).min(6)].1)).collect::<Vec<_>>().join(", "),
        })
    };
    let before_rows = before
        .into_iter()
        .map(|r| (r.weekday, r.opens, r.closes))
        .collect();
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "booking.hours", "opening_hours", "week")
            .change(as_json(before_rows), as_json(rows)),
        now,
    )
    .await?;
    tx.commit().await?;
    super::service::rules_changed(state);
    Ok(())
}

/// An override as typed.
#[derive(Debug, Clone, Default)]
pub struct TypedOverride {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Closed all day (the times are ignored).
    pub closed: bool,
    pub opens: String,
    pub closes: String,
    pub note: String,
}

/// Adds an override (replacing the day's earlier one), audited; errors by field.
pub async fn add_override(state: &AppState, admin: &User, o: &TypedOverride) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    let day = o.day.trim().parse::<Date>().ok();
    if day.is_none() {
        errors.add("day", "Choose a date (YYYY-MM-DD).");
    }
    let hours = if o.closed {
        None
    } else {
        match parse_day(&vec![(o.opens.clone(), o.closes.clone())]) {
            Ok(intervals) => match intervals.first() {
                Some((open, close)) => Some((*open, *close)),
                None => {
                    errors.add("opens", "Give the day's hours, or tick “Closed all day”.");
                    None
                }
            },
            Err(message) => {
                errors.add("opens", message);
                None
            }
        }
    };
    if o.note.chars().count() > 200 {
        errors.add("note", "Use at most 200 characters.");
    }
    let Some(day) = day.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let now = now();
    let mut tx = state.db.begin().await?;
    let hm = |t: Time| t.strftime("%H:%M").to_string();
    store::replace_override(
        &mut tx,
        &day.to_string(),
        hours.map(|(open, close)| (hm(open), hm(close))),
        o.note.trim(),
        now,
    )
    .await?;
    let what = match hours {
        None => "closed".to_owned(),
        Some((open, close)) => format!("{}–{}", hm(open), hm(close)),
    };
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(
            admin,
            "booking.override",
            "date_overrides",
            &day.to_string(),
        )
        .change(
            serde_json::json!(null),
            serde_json::json!({"name": day.to_string(), "hours": what, "note": o.note.trim()}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    super::service::rules_changed(state);
    Ok(())
}

/// Removes a date's override, audited.
pub async fn remove_override(state: &AppState, admin: &User, id: &str) -> AppResult<()> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let Some(removed) = store::delete_override(&mut tx, id).await? else {
        return Err(AppError::NotFound);
    };
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(
            admin,
            "booking.override.remove",
            "date_overrides",
            &removed.day,
        )
        .change(
            serde_json::json!({"name": removed.day, "note": removed.note}),
            serde_json::json!(null),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    super::service::rules_changed(state);
    Ok(())
}

/// Overrides from yesterday on, for the page.
pub async fn upcoming_overrides(state: &AppState) -> AppResult<Vec<OverrideRow>> {
    let yesterday = super::service::studio_today(state)
        .yesterday()
        .map_or_else(|_| "0000-01-01".to_owned(), |d| d.to_string());
    Ok(store::overrides_from(state.db.pool(), &yesterday).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(pairs: &[(&str, &str)]) -> TypedDay {
        pairs
            .iter()
            .map(|(o, c)| ((*o).to_owned(), (*c).to_owned()))
            .collect()
    }

    #[test]
    fn a_week_is_checked_day_by_day() {
        let mut week = vec![TypedDay::new(); 7];
        week[0] = day(&[("09:00", "12:00"), ("13:00", "18:00"), ("", "")]);
        week[5] = day(&[("10:00", "14:00")]);
        let rows = validate_week(&week).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2], (6, "10:00".to_owned(), "14:00".to_owned()));

        week[1] = day(&[("09:00", "12:00"), ("11:00", "13:00")]);
        week[2] = day(&[("18:00", "09:00")]);
        week[3] = day(&[("9am", "5pm")]);
        let errors = validate_week(&week).unwrap_err();
        assert!(
            errors.get("tue").is_some_and(|m| m.contains("overlap")),
            "{:?}",
            errors.get("tue")
        );
        assert!(errors.get("wed").is_some(), "end before start");
        assert!(errors.get("thu").is_some_and(|m| m.contains("HH:MM")));
        assert!(errors.get("mon").is_none());
    }
}
