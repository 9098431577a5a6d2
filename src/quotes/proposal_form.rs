//! The proposal editor's form as staff typed it: its rows of lines, the discount, deposit,
//! validity, message, terms and the shoot it holds; checked into a [`ProposalDraft`].

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

use super::model::{Deposit, Line, Proposal, totals};
use super::service::ProposalDraft;
use crate::error::FieldErrors;
use crate::http::form::FormPairs;
use crate::money::Currency;

/// Lines a proposal may have.
pub const MAX_LINES: usize = 40;
/// Blank rows the editor offers below the lines.
pub const BLANK_ROWS: usize = 3;

/// One row of the editor, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowInput {
    pub description: String,
    pub quantity: String,
    /// Unit price in major units, as typed ("1,200.00").
    pub unit: String,
    pub extra: bool,
}

impl RowInput {
    fn is_blank(&self) -> bool {
        self.description.trim().is_empty() && self.unit.trim().is_empty()
    }
}

/// The editor as typed.
#[derive(Debug, Clone, Default)]
pub struct EditorForm {
    pub rows: Vec<RowInput>,
    /// Major units, as typed.
    pub discount: String,
    /// `none`, `fixed` or `percent`.
    pub deposit_kind: String,
    /// A percentage, or an amount in major units.
    pub deposit_value: String,
    /// `YYYY-MM-DD`.
    pub valid_until: String,
    pub message: String,
    pub terms: String,
    /// A booking type's id, or empty.
    pub booking_type: String,
    /// `YYYY-MM-DD` and `HH:MM`, the studio's zone.
    pub day: String,
    pub time: String,
}

impl EditorForm {
    /// What the form posted (rows `line{n}_description`, `_quantity`, `_unit`, `_extra`).
    pub fn from_pairs(form: &FormPairs) -> Self {
        let get = |k: &str| form.get(k).unwrap_or("").to_owned();
        let rows = (1..=MAX_LINES + BLANK_ROWS)
            .map(|n| RowInput {
                description: get(&format!("line{n}_description")),
                quantity: get(&format!("line{n}_quantity")),
                unit: get(&format!("line{n}_unit")),
                extra: form.get(&format!("line{n}_extra")).is_some(),
            })
            .filter(|r| !r.is_blank())
            .collect();
        Self {
            rows,
            discount: get("discount"),
            deposit_kind: get("deposit_kind"),
            deposit_value: get("deposit_value"),
            valid_until: get("valid_until"),
            message: get("message"),
            terms: get("terms"),
            booking_type: get("booking_type"),
            day: get("day"),
            time: get("time"),
        }
    }

    /// The form for a revision of `p`.
    pub fn from_proposal(p: &Proposal, currency: Currency, zone: &TimeZone) -> Self {
        let (kind, value) = p.revision.deposit().stored();
        let start = p
            .revision
            .proposed_start
            .and_then(|s| jiff::Timestamp::from_second(s).ok())
            .map(|t| t.to_zoned(zone.clone()));
        Self {
            rows: p
                .lines
                .iter()
                .map(|l| RowInput {
                    description: l.description.clone(),
                    quantity: l.quantity.to_string(),
                    unit: currency.plain(l.unit_minor),
                    extra: l.optional,
                })
                .collect(),
            discount: if p.revision.discount_minor > 0 {
                currency.plain(p.revision.discount_minor)
            } else {
                String::new()
            },
            deposit_kind: kind.to_owned(),
            deposit_value: match kind {
                "fixed" => currency.plain(value),
                "percent" => value.to_string(),
                _ => String::new(),
            },
            valid_until: p.revision.valid_until.clone(),
            message: p.revision.message.clone(),
            terms: p.revision.terms.clone(),
            booking_type: p.revision.booking_type_id.clone().unwrap_or_default(),
            day: start
                .as_ref()
                .map(|z| z.date().to_string())
                .unwrap_or_default(),
            time: start
                .map(|z| z.strftime("%H:%M").to_string())
                .unwrap_or_default(),
        }
    }

    /// A fresh form: the terms template, the default deposit and validity, and a first line
    /// for the package asked about, when it is one of ours.
    pub fn fresh(
        terms: &str,
        deposit_percent: i64,
        valid_until: Date,
        first: Option<RowInput>,
    ) -> Self {
        Self {
            rows: first.into_iter().collect(),
            deposit_kind: if deposit_percent > 0 {
                "percent"
            } else {
                "none"
            }
            .to_owned(),
            deposit_value: if deposit_percent > 0 {
                deposit_percent.to_string()
            } else {
                String::new()
            },
            valid_until: valid_until.to_string(),
            terms: terms.to_owned(),
            ..Self::default()
        }
    }

    /// Checks the form; the draft, or the errors by field (a line's error names its row).
    pub fn check(
        &self,
        currency: Currency,
        today: Date,
        zone: &TimeZone,
    ) -> Result<ProposalDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let lines = self.lines(currency, &mut errors);
        let discount = match self.discount.trim() {
            "" => 0,
            raw => currency.parse_amount(raw, false).unwrap_or_else(|m| {
                errors.add("discount", m);
                0
            }),
        };
        let deposit = self.deposit(currency, &mut errors);
        // The least the customer can accept: every required line, no extras.
        let least = totals(&lines, &[], discount, 0, Deposit::None);
        if discount > least.subtotal && !lines.is_empty() {
            errors.add(
                "discount",
                "The discount cannot be more than the required lines' total.",
            );
        }
        if let Deposit::Fixed(d) = deposit
            && d > least.total
        {
            errors.add(
                "deposit_value",
                "The deposit cannot be more than the total without extras.",
            );
        }
        let valid_until = match self.valid_until.trim().parse::<Date>() {
            Ok(d) if d < today => {
                errors.add("valid_until", "Choose a day from today on.");
                String::new()
            }
            Ok(d) => d.to_string(),
            Err(_) => {
                errors.add("valid_until", "Enter the last day it can be accepted.");
                String::new()
            }
        };
        let proposed_start = self.proposed_start(today, zone, &mut errors);
        if deposit != Deposit::None && proposed_start.is_none() && errors.get("day").is_none() {
            errors.add(
                "deposit_kind",
                "A deposit secures a date: choose the booking type and the day it holds, or no deposit.",
            );
        }
        let message = self.message.trim();
        if message.chars().count() > 5000 {
            errors.add("message", "Use at most 5,000 characters.");
        }
        if self.terms.trim().chars().count() > 20_000 {
            errors.add("terms", "Use at most 20,000 characters.");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let booking_type_id = Some(self.booking_type.trim().to_owned()).filter(|t| !t.is_empty());
        Ok(ProposalDraft {
            lines,
            discount_minor: discount,
            deposit,
            valid_until,
            message: message.to_owned(),
            terms: self.terms.trim().to_owned(),
            booking_type_id,
            proposed_start,
        })
    }

    fn lines(&self, currency: Currency, errors: &mut FieldErrors) -> Vec<Line> {
        let mut lines = Vec::new();
        let mut problems = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            let n = i + 1;
            let description = row.description.trim();
            if description.is_empty() || description.chars().count() > 300 {
                problems.push(format!("line {n}: describe it in 1 to 300 characters"));
                continue;
            }
            let quantity = match row.quantity.trim() {
                "" => Some(1),
                q => q.parse::<i64>().ok().filter(|q| (1..=10_000).contains(q)),
            };
            let Some(quantity) = quantity else {
                problems.push(format!("line {n}: a quantity from 1 to 10,000"));
                continue;
            };
            match currency.parse_amount(row.unit.trim(), false) {
                Ok(unit) if unit <= 10_000_000_000 => lines.push(Line {
                    position: i64::try_from(lines.len() + 1).unwrap_or(i64::MAX),
                    description: description.to_owned(),
                    quantity,
                    unit_minor: unit,
                    optional: row.extra,
                }),
                Ok(_) => problems.push(format!("line {n}: a price up to 100,000,000")),
                Err(m) => problems.push(format!(
                    "line {n}: {}",
                    m.trim_end_matches('.').to_lowercase()
                )),
            }
        }
        if lines.len() > MAX_LINES {
            problems.push(format!("at most {MAX_LINES} lines"));
        }
        if !problems.is_empty() {
            errors.add("lines", format!("Check {}.", problems.join("; ")));
        } else if !lines.iter().any(|l| !l.optional) {
            errors.add(
                "lines",
                "Add at least one line that is not an optional extra.",
            );
        }
        lines
    }

    fn deposit(&self, currency: Currency, errors: &mut FieldErrors) -> Deposit {
        match self.deposit_kind.as_str() {
            "none" | "" => Deposit::None,
            "percent" => match self.deposit_value.trim().parse::<i64>() {
                Ok(p) if (1..=100).contains(&p) => Deposit::Percent(p),
                _ => {
                    errors.add("deposit_value", "Enter a percentage from 1 to 100.");
                    Deposit::None
                }
            },
            "fixed" => match currency.parse_amount(self.deposit_value.trim(), false) {
                Ok(v) if v > 0 => Deposit::Fixed(v),
                Ok(_) => {
                    errors.add(
                        "deposit_value",
                        "Enter an amount above zero, or choose no deposit.",
                    );
                    Deposit::None
                }
                Err(m) => {
                    errors.add("deposit_value", m);
                    Deposit::None
                }
            },
            _ => {
                errors.add("deposit_kind", "Choose none, fixed or percent.");
                Deposit::None
            }
        }
    }

    fn proposed_start(
        &self,
        today: Date,
        zone: &TimeZone,
        errors: &mut FieldErrors,
    ) -> Option<i64> {
        let (day, time) = (self.day.trim(), self.time.trim());
        if day.is_empty() && time.is_empty() {
            return None;
        }
        if self.booking_type.trim().is_empty() {
            errors.add(
                "booking_type",
                "Choose what the date books, or leave the date empty.",
            );
            return None;
        }
        let Ok(date) = day.parse::<Date>() else {
            errors.add("day", "Enter the shoot's day.");
            return None;
        };
        if date < today {
            errors.add("day", "Choose a day from today on.");
            return None;
        }
        let Ok(t) = (if time.is_empty() { "09:00" } else { time }).parse::<Time>() else {
            errors.add("time", "Enter a time as HH:MM.");
            return None;
        };
        match date.to_datetime(t).to_zoned(zone.clone()) {
            Ok(z) => Some(z.timestamp().as_second()),
            Err(_) => {
                errors.add(
                    "time",
                    "That time does not exist on that day in the studio's zone.",
                );
                None
            }
        }
    }
}
