//! The reminder the day before a confirmed booking: a durable job queued when the booking is
//! confirmed, due [`REMIND_BEFORE_SECS`] before the start, that emails the customer once.
//! Once: the job queue claims a job for one worker, and the email is queued in the same
//! transaction that marks the booking reminded (`reminded_at`, set only while null), so a
//! job run again after a crash sends nothing more. A booking cancelled (or moved) before the
//! reminder is due gets none: the job finds it no longer confirmed at that start.

use serde::{Deserialize, Serialize};

use super::model::Booking;
use super::{emails, service, store};
use crate::db::now;
use crate::jobs::model::Job;
use crate::jobs::store::{EnqueueOptions, enqueue};
use crate::jobs::{JobHandler, JobSpec};
use crate::state::AppState;

/// How long before the start the reminder goes.
pub const REMIND_BEFORE_SECS: i64 = 24 * 3600;

/// Remind the customer of a booking.
#[derive(Debug, Serialize, Deserialize)]
pub struct RemindBookingJob {
    /// The booking.
    pub booking_id: String,
    /// Its start when the reminder was planned (a moved booking gets a new job).
    pub starts_at: i64,
}

impl JobSpec for RemindBookingJob {
    const KIND: &'static str = "bookings.remind";
}

/// Queues the reminder of a booking just confirmed, in the confirming transaction; none when
/// the booking starts within a day (its confirmation is the reminder).
pub async fn plan(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    b: &Booking,
) -> anyhow::Result<()> {
    let due = b.starts_at - REMIND_BEFORE_SECS;
    let now = now();
    if due <= now {
        return Ok(());
    }
    let job = RemindBookingJob {
        booking_id: b.id.clone(),
        starts_at: b.starts_at,
    };
    let options = EnqueueOptions {
        run_at: Some(due),
        max_attempts: state.max_job_attempts(),
        ..EnqueueOptions::default()
    };
    enqueue(conn, &job, &options, now).await?;
    Ok(())
}

/// Runs [`RemindBookingJob`]s.
pub struct RemindBookingHandler {
    pub state: AppState,
}

#[async_trait::async_trait]
impl JobHandler for RemindBookingHandler {
    async fn run(&self, job: &Job) -> anyhow::Result<()> {
        let spec: RemindBookingJob = job.payload()?;
        let state = &self.state;
        let mut tx = state.db.begin().await?;
        if !store::mark_reminded(&mut tx, &spec.booking_id, spec.starts_at, now()).await? {
            // Cancelled, moved, completed, or reminded already.
            return Ok(());
        }
        let Some(b) = store::find(&mut *tx, &spec.booking_id).await? else {
            return Ok(());
        };
        let link = state.url(&service::manage_path(state, &b));
        let mail = emails::reminder(state, &b, &link);
        service::email_customer(state, &mut tx, &b, &mail, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        tx.commit().await?;
        tracing::info!(booking = %b.reference, "booking reminder queued");
        Ok(())
    }
}
