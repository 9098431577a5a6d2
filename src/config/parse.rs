//! The small readers every area uses: a variable's trimmed value, a flag, a whole number and a
//! lower bound. They phrase their own problems, so every variable is reported the same way.

use std::collections::HashMap;

use super::{ConfigError, err};

/// The variable's value, trimmed; `None` when it is unset or blank, so that `NAME=` in a `.env`
/// means "use the default" rather than "empty".
pub(super) fn non_empty<'a>(vars: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// A flag: `1/true/yes/on` or `0/false/no/off`, any case; `default` when unset or blank.
pub(super) fn parse_bool(
    vars: &HashMap<String, String>,
    name: &str,
    default: bool,
) -> Result<bool, ConfigError> {
    match vars.get(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if v.is_empty() => Ok(default),
        Some(v) => match v.as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(err(format!("{name} must be true or false, not {v:?}."))),
        },
    }
}

/// A number of the caller's type; `default` when unset or blank.
pub(super) fn parse_num<T: std::str::FromStr>(
    vars: &HashMap<String, String>,
    name: &str,
    default: T,
) -> Result<T, ConfigError> {
    match non_empty(vars, name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| err(format!("{name} must be a whole number, not {v:?}."))),
    }
}

/// `value`, unless it is below `min` (zero would mean "never" or "none" for most settings).
pub(super) fn at_least<T: PartialOrd + std::fmt::Display>(
    value: T,
    min: T,
    name: &str,
) -> Result<T, ConfigError> {
    if value < min {
        return Err(err(format!("{name} must be at least {min}.")));
    }
    Ok(value)
}

/// Test helper: a variable map from literal pairs.
#[cfg(test)]
pub(super) fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn bad_numbers_name_the_variable() {
        let e = Settings::from_map(&vars(&[("WORKER_CONCURRENCY", "two")])).unwrap_err();
        assert!(e.0.starts_with("WORKER_CONCURRENCY"));
    }
}
