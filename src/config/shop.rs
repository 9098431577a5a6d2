//! The shop's own choices: the `CURRENCY` prices are shown and charged in, whether product
//! reviews publish without moderation, and how long browsing pages reuse the catalog snapshot.

use std::collections::HashMap;
use std::time::Duration;

use crate::money::Currency;

use super::parse::{non_empty, parse_bool, parse_num};
use super::{ConfigError, err};

/// `CURRENCY`, an ISO code among the supported ones; the default currency when unset.
pub(super) fn currency(vars: &HashMap<String, String>) -> Result<Currency, ConfigError> {
    match non_empty(vars, "CURRENCY") {
        None => Ok(Currency::default()),
        Some(code) => Currency::parse(code).ok_or_else(|| {
            err(format!(
                "CURRENCY must be one of {}, not {code:?}.",
                Currency::supported()
            ))
        }),
    }
}

/// Review moderation, the catalog cache and the studio's time zone.
pub(super) struct Storefront {
    pub(super) reviews_auto_approve: bool,
    pub(super) content_cache_ttl: Duration,
    pub(super) time_zone: jiff::tz::TimeZone,
}

impl Storefront {
    pub(super) fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Ok(Self {
            reviews_auto_approve: parse_bool(vars, "REVIEWS_AUTO_APPROVE", false)?,
            content_cache_ttl: Duration::from_millis(parse_num(
                vars,
                "CONTENT_CACHE_TTL_MS",
                1000,
            )?),
            time_zone: time_zone(vars)?,
        })
    }
}

/// `STUDIO_TIME_ZONE`, an IANA zone name (default `Asia/Singapore`): every time a page or an
/// email shows is in it. The zone database is built into the binary.
fn time_zone(vars: &HashMap<String, String>) -> Result<jiff::tz::TimeZone, ConfigError> {
    let name = non_empty(vars, "STUDIO_TIME_ZONE").unwrap_or("Asia/Singapore");
    jiff::tz::TimeZone::get(name).map_err(|_| {
        err(format!(
            "STUDIO_TIME_ZONE must be an IANA time zone name such as Asia/Singapore or Europe/London, not {name:?}."
        ))
    })
}
