//! The quotes domain's periodic job: proposals past their last day expire.

use serde::{Deserialize, Serialize};

use crate::jobs::JobSpec;
use crate::state::AppState;

/// Expires quoted quotes whose proposal's last day has passed.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ExpireQuotesJob {}

impl JobSpec for ExpireQuotesJob {
    const KIND: &'static str = "quotes.expire";
}

/// Runs [`ExpireQuotesJob`] (safe on every replica at once: see [`super::service::expire_due`]).
pub struct ExpireQuotesHandler {
    pub state: AppState,
}

#[async_trait::async_trait]
impl crate::jobs::JobHandler for ExpireQuotesHandler {
    async fn run(&self, _job: &crate::jobs::model::Job) -> anyhow::Result<()> {
        super::service::expire_due(&self.state)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    }
}

/// How often expiry runs (a proposal lapses at the end of a day; within the hour is soon enough).
pub const EXPIRE_EVERY: std::time::Duration = std::time::Duration::from_secs(15 * 60);
