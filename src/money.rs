//! Money: integer minor units with a currency. Never floats.

#![warn(missing_docs)]

use std::fmt;

/// A currency the shop can sell in: ISO code, display prefix, minor-unit digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    code: &'static str,
    prefix: &'static str,
    exponent: u32,
}

const CURRENCIES: &[Currency] = &[
    Currency {
        code: "SGD",
        prefix: "S$",
        exponent: 2,
    },
    Currency {
        code: "USD",
        prefix: "US$",
        exponent: 2,
    },
    Currency {
        code: "EUR",
        prefix: "€",
        exponent: 2,
    },
    Currency {
        code: "GBP",
        prefix: "£",
        exponent: 2,
    },
    Currency {
        code: "AUD",
        prefix: "A$",
        exponent: 2,
    },
    Currency {
        code: "MYR",
        prefix: "RM",
        exponent: 2,
    },
    Currency {
        code: "JPY",
        prefix: "¥",
        exponent: 0,
    },
];

impl Default for Currency {
    fn default() -> Self {
        CURRENCIES[0]
    }
}

impl Currency {
    /// The currency for an ISO code (case-insensitive), if supported.
    pub fn parse(code: &str) -> Option<Self> {
        CURRENCIES
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(code.trim()))
            .copied()
    }

    /// The supported codes, for error messages.
    pub fn supported() -> String {
        CURRENCIES
            .iter()
            .map(|c| c.code)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// ISO code (`SGD`).
    pub fn code(self) -> &'static str {
        self.code
    }

    /// Minor units per major unit (100 for SGD, 1 for JPY).
    pub fn minor_per_major(self) -> i64 {
        10_i64.pow(self.exponent)
    }

    /// Parses an amount typed by a person (`12`, `12.5`, `1,200.00`, `S$12.50`) into minor
    /// units. Refuses more decimals than the currency has, negatives unless `allow_negative`,
    /// and anything over a billion major units.
    pub fn parse_amount(self, raw: &str, allow_negative: bool) -> Result<i64, &'static str> {
        let mut s = raw.trim().replace([',', ' '], "");
        if let Some(rest) = s.strip_prefix(self.prefix) {
            s = rest.to_owned();
        }
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start_matches(self.prefix).to_owned()),
            None => (false, s.trim_start_matches('+').to_owned()),
        };
        if negative && !allow_negative {
            return Err("Enter an amount of zero or more.");
        }
        let (whole, frac) = digits.split_once('.').unwrap_or((&digits, ""));
        if whole.is_empty() && frac.is_empty() {
            return Err("Enter an amount, for example 12.50.");
        }
        if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err("Enter an amount, for example 12.50.");
        }
        if frac.len() > self.exponent as usize {
            return Err(if self.exponent == 0 {
                "This currency has no decimal places."
            } else {
                "Use at most two decimal places."
            });
        }
        if whole.len() > 9 {
            return Err("That amount is too large.");
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| "That amount is too large.")?
        };
        let mut frac_minor: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse()
                .map_err(|_| "Enter an amount, for example 12.50.")?
        };
        for _ in frac.len()..self.exponent as usize {
            frac_minor *= 10;
        }
        let minor = whole * self.minor_per_major() + frac_minor;
        Ok(if negative { -minor } else { minor })
    }

    /// An amount in minor units as a plain number for inputs (`12.50`, `-3.00`, `1200`).
    pub fn plain(self, minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        if self.exponent == 0 {
            return format!("{sign}{abs}");
        }
        let per = self.minor_per_major().unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / per,
            abs % per,
            width = self.exponent as usize
        )
    }
}

/// An amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    /// Minor units (cents).
    pub minor: i64,
    /// Currency.
    pub currency: Currency,
}

impl Money {
    /// `minor` units of `currency`.
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// `minor` units of the currency stored as `code` (an unknown code reads as the default).
    pub fn of_code(minor: i64, code: &str) -> Self {
        Self::new(minor, Currency::parse(code).unwrap_or_default())
    }

    /// A signed delta for option labels: `+S$20.00`, `−S$5.00`.
    pub fn signed(self) -> String {
        let abs = Money::new(self.minor.saturating_abs(), self.currency);
        if self.minor < 0 {
            format!("−{abs}")
        } else {
            format!("+{abs}")
        }
    }
}

impl fmt::Display for Money {
    /// `S$1,234.50`: grouped thousands, the currency's decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = self.currency.plain(self.minor.saturating_abs());
        let (whole, frac) = plain.split_once('.').unwrap_or((&plain, ""));
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let sign = if self.minor < 0 { "-" } else { "" };
        if frac.is_empty() {
            write!(f, "{sign}{}{grouped}", self.currency.prefix)
        } else {
            write!(f, "{sign}{}{grouped}.{frac}", self.currency.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sgd() -> Currency {
        Currency::default()
    }

    #[test]
    fn formats_with_grouping_and_decimals() {
        assert_eq!(Money::new(0, sgd()).to_string(), "S$0.00");
        assert_eq!(Money::new(5, sgd()).to_string(), "S$0.05");
        assert_eq!(Money::new(123_456_789, sgd()).to_string(), "S$1,234,567.89");
        assert_eq!(Money::new(-2000, sgd()).signed(), "−S$20.00");
        assert_eq!(Money::new(2000, sgd()).signed(), "+S$20.00");
        let jpy = Currency::parse("jpy").unwrap();
        assert_eq!(Money::new(1500, jpy).to_string(), "¥1,500");
    }

    #[test]
    fn parses_what_people_type() {
        let c = sgd();
        assert_eq!(c.parse_amount("12", false), Ok(1200));
        assert_eq!(c.parse_amount("12.5", false), Ok(1250));
        assert_eq!(c.parse_amount(" S$1,200.05 ", false), Ok(120_005));
        assert_eq!(c.parse_amount(".5", false), Ok(50));
        assert_eq!(c.parse_amount("-3", true), Ok(-300));
        assert!(c.parse_amount("-3", false).is_err());
        assert!(c.parse_amount("1.234", false).is_err());
        assert!(c.parse_amount("abc", false).is_err());
        assert!(c.parse_amount("", false).is_err());
        assert!(c.parse_amount("1e5", false).is_err());
        assert!(c.parse_amount("99999999999", false).is_err());
        assert_eq!(c.plain(-300), "-3.00");
        assert_eq!(c.parse_amount(&c.plain(12_345), false), Ok(12_345));
    }
}
