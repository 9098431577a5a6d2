//! What happens to an accepted quote with the shoot it holds: the quote follows its booking
//! (`state::BookingFollowers`). The booking's confirmation (its deposit captured, or none
//! due) accepts the quote; its release unpaid opens the proposal again.

use sqlx::AnyConnection;

use super::model::State;
use super::{emails, service, store};
use crate::error::AppError;
use crate::notifications::enqueue_email;
use crate::state::{AppState, BookingFollowers};

/// The quotes' side of the bookings they place.
#[derive(Debug, Default)]
pub struct QuoteBookings;

#[async_trait::async_trait]
impl BookingFollowers for QuoteBookings {
    async fn confirmed(
        &self,
        conn: &mut AnyConnection,
        state: &AppState,
        booking_id: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let Some(id) = store::settle(conn, booking_id, now).await? else {
            return Ok(());
        };
        let q = store::find(&mut *conn, &id)
            .await?
            .ok_or(AppError::NotFound)?;
        service::audit_move(
            conn,
            &q,
            "the deposit's payment",
            "quote.accepted",
            State::Quoted,
            now,
        )
        .await?;
        let shoot = crate::bookings::store::find(&mut *conn, booking_id).await?;
        super::balance::plan(conn, state, &q, shoot.map(|b| b.starts_at), now).await?;
        let link = state.url(&service::link_path(state, &q));
        let line = format!(
            "Your proposal {} is accepted and the shoot is booked: the booking's confirmation, with its calendar invite, comes in a separate email.",
            q.reference
        );
        let mail = emails::notice(&q, "Your quote is accepted", &line, &link);
        enqueue_email(conn, &q.email, &mail, state.max_job_attempts()).await?;
        let admin_url = state.url(&format!("/admin/quote/{}", q.id));
        let what = "is accepted: the shoot is confirmed";
        service::notify_staff(
            conn,
            state,
            &q,
            &emails::staff_update(&q, what, "", &admin_url),
        )
        .await
    }

    async fn released(
        &self,
        conn: &mut AnyConnection,
        state: &AppState,
        booking_id: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let Some(id) = store::unaccept(conn, booking_id, now).await? else {
            return Ok(());
        };
        let q = store::find(&mut *conn, &id)
            .await?
            .ok_or(AppError::NotFound)?;
        service::audit_move(
            conn,
            &q,
            "the hold's end",
            "quote.hold_released",
            State::Quoted,
            now,
        )
        .await?;
        let link = state.url(&service::link_path(state, &q));
        let line = "The deposit was not paid in time, so the date is free again. The proposal is still open until its last day: accept it again to hold the date.";
        let mail = emails::notice(&q, "Your date is no longer held", line, &link);
        enqueue_email(conn, &q.email, &mail, state.max_job_attempts()).await?;
        Ok(())
    }
}
