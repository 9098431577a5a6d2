//! The studio's quoting defaults: the tax rate proposals show, the deposit a new proposal
//! starts with, how long it stays open, and when the balance falls due.

use std::collections::HashMap;

use super::parse::{non_empty, parse_num};
use super::{ConfigError, err};

/// Quoting settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteSettings {
    /// `QUOTE_TAX_PERCENT` in basis points (`9` → 900); 0 shows no tax line.
    pub tax_basis_points: i64,
    /// `QUOTE_DEPOSIT_PERCENT`: a new proposal's deposit, a percentage of its total.
    pub deposit_percent: i64,
    /// `QUOTE_VALID_DAYS`: a new proposal's acceptance window.
    pub valid_days: i64,
    /// `QUOTE_BALANCE_DUE_DAYS`: how many days before the shoot the balance falls due.
    pub balance_due_days: i64,
}

impl QuoteSettings {
    pub(super) fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let in_range = |name: &str, value: i64, min: i64, max: i64| {
            if (min..=max).contains(&value) {
                Ok(value)
            } else {
                Err(err(format!(
                    "{name} must be between {min} and {max}, not {value}."
                )))
            }
        };
        Ok(Self {
            tax_basis_points: tax(vars)?,
            deposit_percent: in_range(
                "QUOTE_DEPOSIT_PERCENT",
                parse_num(vars, "QUOTE_DEPOSIT_PERCENT", 30)?,
                0,
                100,
            )?,
            valid_days: in_range(
                "QUOTE_VALID_DAYS",
                parse_num(vars, "QUOTE_VALID_DAYS", 30)?,
                1,
                365,
            )?,
            balance_due_days: in_range(
                "QUOTE_BALANCE_DUE_DAYS",
                parse_num(vars, "QUOTE_BALANCE_DUE_DAYS", 14)?,
                0,
                365,
            )?,
        })
    }
}

/// `QUOTE_TAX_PERCENT`: a percentage with at most two decimals (`9`, `8.25`), 0 to 100.
fn tax(vars: &HashMap<String, String>) -> Result<i64, ConfigError> {
    let Some(raw) = non_empty(vars, "QUOTE_TAX_PERCENT") else {
        return Ok(0);
    };
    let problem = || {
        err(format!(
            "QUOTE_TAX_PERCENT must be a percentage between 0 and 100 with at most two decimals, not {raw:?}."
        ))
    };
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(problem());
    }
    let whole: i64 = whole.parse().map_err(|_| problem())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| problem())?;
    let basis_points = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(problem)?;
    if basis_points > 10_000 {
        return Err(problem());
    }
    Ok(basis_points)
}

#[cfg(test)]
mod tests {
    use super::super::parse::vars;
    use super::*;

    #[test]
    fn tax_is_read_to_the_basis_point() {
        let read = |v: &str| QuoteSettings::from_map(&vars(&[("QUOTE_TAX_PERCENT", v)]));
        assert_eq!(read("9").unwrap().tax_basis_points, 900);
        assert_eq!(read("8.25").unwrap().tax_basis_points, 825);
        assert_eq!(read("0.5").unwrap().tax_basis_points, 50);
        for bad in ["-1", "101", "9.125", "nine", ".5", "1e2"] {
            assert!(read(bad).is_err(), "{bad}");
        }
        let defaults = QuoteSettings::from_map(&vars(&[])).unwrap();
        assert_eq!(
            (
                defaults.tax_basis_points,
                defaults.deposit_percent,
                defaults.valid_days
            ),
            (0, 30, 30)
        );
        assert!(QuoteSettings::from_map(&vars(&[("QUOTE_DEPOSIT_PERCENT", "120")])).is_err());
    }
}
