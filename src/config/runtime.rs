//! How the process runs and reports: log format and filter, the in-process job worker and the
//! queue's timings, and the two phases of a shutdown (drain, then grace).

use std::collections::HashMap;
use std::time::Duration;

use super::parse::{at_least, non_empty, parse_bool, parse_num};
use super::{ConfigError, err};

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (development default).
    Pretty,
    /// One JSON object per line (production default).
    Json,
}

/// The log format and the tracing filter.
pub(super) struct Logs {
    pub(super) format: LogFormat,
    pub(super) level: String,
}

impl Logs {
    pub(super) fn from_map(
        vars: &HashMap<String, String>,
        production: bool,
    ) -> Result<Self, ConfigError> {
        let format = match non_empty(vars, "LOG_FORMAT") {
            Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => {
                return Err(err(format!(
                    "LOG_FORMAT must be \"json\" or \"pretty\", not {other:?}."
                )));
            }
            None if production => LogFormat::Json,
            None => LogFormat::Pretty,
        };
        // The error names the variable the filter came from, so the operator edits that one.
        let (log_var, level) = match (non_empty(vars, "RUST_LOG"), non_empty(vars, "LOG_LEVEL")) {
            (Some(filter), _) => ("RUST_LOG", filter),
            (None, Some(filter)) => ("LOG_LEVEL", filter),
            (None, None) => ("LOG_LEVEL", "info"),
        };
        if tracing_subscriber::EnvFilter::try_new(level).is_err() {
            return Err(err(format!(
                "{log_var} must be a log filter such as \"info\" or \"info,flashstudio=debug\", not {level:?}."
            )));
        }
        Ok(Self {
            format,
            level: level.to_owned(),
        })
    }
}

/// `JOB_LEASE_SECS`, at least 30 seconds.
pub(super) fn job_lease(vars: &HashMap<String, String>) -> Result<Duration, ConfigError> {
    Ok(Duration::from_secs(at_least(
        parse_num(vars, "JOB_LEASE_SECS", 300)?,
        30,
        "JOB_LEASE_SECS",
    )?))
}

/// The job worker, the queue's timings and shutdown.
pub(super) struct Runtime {
    pub(super) run_worker: bool,
    pub(super) worker_concurrency: usize,
    pub(super) job_poll_interval: Duration,
    pub(super) job_retry_base: Duration,
    pub(super) job_max_attempts: u32,
    pub(super) shutdown_grace: Duration,
    /// Production drains by default because it runs behind a load balancer that must notice
    /// the replica is leaving; a laptop has none.
    pub(super) shutdown_drain: Duration,
}

impl Runtime {
    pub(super) fn from_map(
        vars: &HashMap<String, String>,
        production: bool,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            run_worker: parse_bool(vars, "RUN_WORKER", true)?,
            worker_concurrency: parse_num(vars, "WORKER_CONCURRENCY", 2)?,
            job_poll_interval: Duration::from_millis(at_least(
                parse_num(vars, "JOB_POLL_INTERVAL_MS", 500)?,
                10,
                "JOB_POLL_INTERVAL_MS",
            )?),
            job_retry_base: Duration::from_millis(parse_num(vars, "JOB_RETRY_BASE_MS", 10_000)?),
            job_max_attempts: parse_num(vars, "JOB_MAX_ATTEMPTS", 8)?,
            shutdown_grace: Duration::from_secs(parse_num(vars, "SHUTDOWN_GRACE_SECS", 25)?),
            shutdown_drain: Duration::from_secs(parse_num(
                vars,
                "SHUTDOWN_DRAIN_SECS",
                if production { 5 } else { 0 },
            )?),
        })
    }
}
