//! Job types, states and the retry schedule.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A kind of background job: its payload type and its name in the `jobs.kind` column.
pub trait JobSpec: Serialize + DeserializeOwned + Send + Sync {
    /// Stable name stored with the row.
    const KIND: &'static str;
}

/// A claimed job, as a handler sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    /// Row id.
    pub id: String,
    /// `JobSpec::KIND`.
    pub kind: String,
    /// JSON payload.
    pub payload: String,
    /// Attempts including this one.
    pub attempts: i64,
    /// Attempts allowed before the job is dead.
    pub max_attempts: i64,
}

impl Job {
    /// Decodes the payload as `J`.
    pub fn payload<J: JobSpec>(&self) -> anyhow::Result<J> {
        Ok(serde_json::from_str(&self.payload)?)
    }

    /// True when a failure now would make the job dead.
    pub fn is_last_attempt(&self) -> bool {
        self.attempts >= self.max_attempts
    }
}

/// The state of a job row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for `run_at`.
    Queued,
    /// Claimed by a worker holding a lease.
    Running,
    /// Finished successfully.
    Done,
    /// Failed every attempt; needs a person.
    Dead,
}

impl JobStatus {
    /// Column value.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }

    /// The status a column value names, if any.
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Done, Self::Dead]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

impl TryFrom<String> for JobStatus {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or_else(|| format!("unknown job status {value:?}"))
    }
}

impl PartialEq<&str> for JobStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Delay before retry number `attempt` (1-based): `base · 2^(attempt-1)`, capped at an hour,
/// never below one second (timestamps are whole seconds).
pub fn backoff(base: Duration, attempt: i64) -> Duration {
    let exp = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let delay = base.saturating_mul(2u32.saturating_pow(exp));
    delay.clamp(Duration::from_secs(1), Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(10);
        assert_eq!(backoff(base, 1), Duration::from_secs(10));
        assert_eq!(backoff(base, 2), Duration::from_secs(20));
        assert_eq!(backoff(base, 4), Duration::from_secs(80));
        assert_eq!(backoff(base, 30), Duration::from_secs(3600));
        assert_eq!(
            backoff(Duration::from_millis(10), 1),
            Duration::from_secs(1)
        );
    }
}
