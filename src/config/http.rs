//! How the web server treats its callers: session lifetimes (shorter for admins), the
//! `/metrics` bearer token, whether to believe `X-Forwarded-For`, and the login rate limit.

use std::collections::HashMap;
use std::time::Duration;

use super::parse::{at_least, non_empty, parse_bool, parse_num};
use super::{ConfigError, Secret, err};

/// `METRICS_TOKEN`; when set, at least 16 characters.
pub(super) fn metrics_token(
    vars: &HashMap<String, String>,
) -> Result<Option<Secret<String>>, ConfigError> {
    let metrics_token = non_empty(vars, "METRICS_TOKEN").map(|t| Secret::new(t.to_owned()));
    if metrics_token
        .as_ref()
        .is_some_and(|t| t.expose().len() < 16)
    {
        return Err(err("METRICS_TOKEN must be at least 16 characters."));
    }
    Ok(metrics_token)
}

/// How long a session lasts without activity (idle) and at all (absolute), for customers and
/// for admins.
pub(super) struct Sessions {
    pub(super) idle_timeout: Duration,
    pub(super) absolute_timeout: Duration,
    pub(super) admin_idle_timeout: Duration,
    pub(super) admin_absolute_timeout: Duration,
}

impl Sessions {
    pub(super) fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Ok(Self {
            idle_timeout: Duration::from_secs(parse_num(
                vars,
                "SESSION_IDLE_TIMEOUT_SECS",
                60 * 60 * 24,
            )?),
            absolute_timeout: Duration::from_secs(parse_num(
                vars,
                "SESSION_ABSOLUTE_TIMEOUT_SECS",
                60 * 60 * 24 * 14,
            )?),
            admin_idle_timeout: Duration::from_secs(parse_num(
                vars,
                "ADMIN_SESSION_IDLE_TIMEOUT_SECS",
                60 * 60 * 2,
            )?),
            admin_absolute_timeout: Duration::from_secs(parse_num(
                vars,
                "ADMIN_SESSION_ABSOLUTE_TIMEOUT_SECS",
                60 * 60 * 12,
            )?),
        })
    }
}

/// How a client's address is found (proxy headers) and how often it may try to sign in.
pub(super) struct Clients {
    pub(super) trust_proxy_headers: bool,
    pub(super) trusted_proxy_hops: usize,
    pub(super) login_rate_limit_per_minute: u32,
}

impl Clients {
    pub(super) fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Ok(Self {
            // Off by default: without a proxy of ours in front, the header is whatever the
            // client wrote, and rate limits would key on it.
            trust_proxy_headers: parse_bool(vars, "TRUST_PROXY_HEADERS", false)?,
            trusted_proxy_hops: at_least(
                parse_num(vars, "TRUSTED_PROXY_HOPS", 1)?,
                1,
                "TRUSTED_PROXY_HOPS",
            )?,
            login_rate_limit_per_minute: at_least(
                parse_num(vars, "LOGIN_RATE_LIMIT_PER_MINUTE", 10)?,
                1,
                "LOGIN_RATE_LIMIT_PER_MINUTE",
            )?,
        })
    }
}
