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

/// Review moderation and the catalog cache.
pub(super) struct Storefront {
    pub(super) reviews_auto_approve: bool,
    pub(super) content_cache_ttl: Duration,
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
        })
    }
}
