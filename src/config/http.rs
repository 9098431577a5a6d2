//! How the web server treats its callers: session lifetimes (shorter for admins), the
//! `/metrics` bearer token, whether to believe `X-Forwarded-For`, the login rate limit, and
//! how long a slow client may take to send a request head, a form or a webhook body, or sit
//! idle between requests.

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
    pub(super) availability_rate_limit_per_minute: u32,
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
            availability_rate_limit_per_minute: at_least(
                parse_num(vars, "AVAILABILITY_RATE_LIMIT_PER_MINUTE", 120)?,
                1,
                "AVAILABILITY_RATE_LIMIT_PER_MINUTE",
            )?,
        })
    }
}

/// How long a request body may take: `idle` without a byte, `total` from the request's head
/// to its last byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTimeouts {
    /// `*_BODY_IDLE_TIMEOUT_SECS`.
    pub idle: Duration,
    /// `*_BODY_TIMEOUT_SECS`.
    pub total: Duration,
}

/// Deadlines for slow clients, per connection and per class of request body (uploads have
/// theirs in `uploads.rs`).
pub(super) struct SlowClients {
    pub(super) header_read_timeout: Duration,
    pub(super) keep_alive_timeout: Duration,
    pub(super) form_body: BodyTimeouts,
    pub(super) webhook_body: BodyTimeouts,
}

impl SlowClients {
    pub(super) fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Ok(Self {
            header_read_timeout: seconds(vars, "HTTP_HEADER_READ_TIMEOUT_SECS", 10)?,
            // Longer than the upstream keep-alive of the proxies in front (60 s for NGINX), so
            // that the proxy, not the app, closes an idle connection and never sends a request
            // on one the app is closing.
            keep_alive_timeout: seconds(vars, "HTTP_KEEP_ALIVE_TIMEOUT_SECS", 75)?,
            form_body: body_timeouts(vars, "FORM", 10, 30)?,
            // Stripe sends a few KiB at once from a data centre.
            webhook_body: body_timeouts(vars, "WEBHOOK", 5, 10)?,
        })
    }
}

fn body_timeouts(
    vars: &HashMap<String, String>,
    class: &str,
    idle: u64,
    total: u64,
) -> Result<BodyTimeouts, ConfigError> {
    Ok(BodyTimeouts {
        idle: seconds(vars, &format!("{class}_BODY_IDLE_TIMEOUT_SECS"), idle)?,
        total: seconds(vars, &format!("{class}_BODY_TIMEOUT_SECS"), total)?,
    })
}

/// A whole number of seconds, at least 1 (zero would mean "at once", never "no limit").
fn seconds(
    vars: &HashMap<String, String>,
    name: &str,
    default: u64,
) -> Result<Duration, ConfigError> {
    Ok(Duration::from_secs(at_least(
        parse_num(vars, name, default)?,
        1,
        name,
    )?))
}

#[cfg(test)]
mod tests {
    use super::super::parse::vars;
    use crate::config::Settings;
    use std::time::Duration;

    #[test]
    fn slow_clients_have_deadlines_by_default_and_zero_is_refused() {
        let s = Settings::from_map(&vars(&[])).unwrap();
        assert_eq!(s.http_header_read_timeout, Duration::from_secs(10));
        assert_eq!(s.http_keep_alive_timeout, Duration::from_secs(75));
        assert_eq!(s.form_body_timeouts.idle, Duration::from_secs(10));
        assert_eq!(s.form_body_timeouts.total, Duration::from_secs(30));
        assert_eq!(s.webhook_body_timeouts.total, Duration::from_secs(10));
        assert_eq!(s.upload_min_rate, 64 * 1024);
        assert_eq!(s.upload_rate_grace, Duration::from_secs(10));
        for name in [
            "HTTP_HEADER_READ_TIMEOUT_SECS",
            "HTTP_KEEP_ALIVE_TIMEOUT_SECS",
            "FORM_BODY_IDLE_TIMEOUT_SECS",
            "WEBHOOK_BODY_TIMEOUT_SECS",
            "UPLOAD_MIN_RATE_KIB_PER_SEC",
            "UPLOAD_RATE_GRACE_SECS",
        ] {
            let e = Settings::from_map(&vars(&[(name, "0")])).unwrap_err();
            assert!(e.0.starts_with(name), "{e}");
        }
    }
}
