//! What staff do to a booking: the moves of its state machine, each audited in its
//! transaction, and the customer told when it matters.

use super::invite::Method;
use super::model::{Booking, Status};
use super::{emails, service, store};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The moves staff may make from `status`, with the button's label.
pub fn moves(status: Status) -> Vec<(Status, &'static str)> {
    [
        (Status::Confirmed, "Confirm"),
        (Status::Completed, "Mark completed"),
        (Status::NoShow, "Mark a no-show"),
        (Status::Cancelled, "Cancel"),
    ]
    .into_iter()
    // A held booking is confirmed by its deposit, not by hand.
    .filter(|(to, _)| {
        status.can_move_to(*to) && !(status == Status::Held && *to == Status::Confirmed)
    })
    .collect()
}

/// Staff: clears what a booking needed them for (audited).
pub async fn clear_attention(
    state: &AppState,
    admin: &crate::identity::model::User,
    id: &str,
) -> AppResult<()> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let before = store::lock(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    store::set_attention(&mut tx, id, None, now).await?;
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "booking.resolved", "booking", id).change(
            serde_json::json!({"reference": before.reference, "attention": before.attention}),
            serde_json::json!({"reference": before.reference, "attention": null}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Staff: moves a booking to `to` if the state machine allows it from where it is; the
/// customer gets an email when it is confirmed or cancelled. A booking another request moved
/// meanwhile is a conflict, not a silent overwrite.
pub async fn move_to(
    state: &AppState,
    admin: &crate::identity::model::User,
    id: &str,
    to: Status,
    reason: &str,
) -> AppResult<Booking> {
    let now = now();
    let reason: String = reason.trim().chars().take(500).collect();
    let mut tx = state.db.begin().await?;
    let before = store::find(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    if !before.status.can_move_to(to) {
        return Err(AppError::Conflict(format!(
            "A booking that is “{}” cannot become “{}”.",
            before.status.label(),
            to.label()
        )));
    }
    // Staff do not confirm a held booking: its deposit does (the page does not offer it).
    if before.status == Status::Held && to == Status::Confirmed {
        return Err(AppError::Conflict(
            "A held booking is confirmed by its deposit.".into(),
        ));
    }
    if !store::set_status(&mut tx, id, before.status, to, &reason, now).await? {
        return Err(AppError::Conflict(
            "The booking changed meanwhile; reload it.".into(),
        ));
    }
    // Ending a hold closes its checkout, so the customer cannot pay for a booking that is gone.
    let open_checkout = if before.status == Status::Held {
        super::deposits::fail_open_payment(&mut tx, id, "the booking was cancelled", now).await?
    } else {
        None
    };
    let after = store::find(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    let mail = match to {
        Status::Confirmed => {
            let link = state.url(&service::manage_path(state, &after));
            Some((emails::received(state, &after, &link), Method::Request))
        }
        // A hold was never announced: nothing to take back from anyone's calendar.
        Status::Cancelled if before.status != Status::Held => {
            Some((emails::cancelled(state, &after), Method::Cancel))
        }
        _ => None,
    };
    if let Some((mail, method)) = mail {
        service::email_customer(state, &mut tx, &after, &mail, Some(method)).await?;
    }
    if to == Status::Confirmed {
        super::reminders::plan(&mut tx, state, &after).await?;
    }
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "booking.status", "booking", id).change(
            serde_json::json!({"reference": before.reference, "status": before.status.as_str()}),
            serde_json::json!({"reference": after.reference, "status": to.as_str(), "cancel_reason": after.cancel_reason}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    service::bookings_changed(state);
    if let Some(session) = open_checkout {
        super::deposits::close_checkout(state, &session).await;
    }
    Ok(after)
}
