//! Moving a booking to another time: by the customer from its link (until the type's
//! self-service cut-off, only to a time the rules offer) or by staff (who may override the
//! rules with a reason, never a resource's capacity). The move is atomic like a placement:
//! the resources' row locks, the booking's own lock, availability checked again without the
//! booking's own time, and the new claims written in one transaction. The booking keeps its
//! reference and its invite's UID; the invite's SEQUENCE rises, and the reminder follows.

use jiff::Timestamp;

use super::availability::{self, Slot, Unavailable};
use super::model::{Booking, Status, busy_from_claims};
use super::{emails, service, store};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::identity::model::User;
use crate::state::AppState;

/// Who moves a booking.
#[derive(Debug, Clone, Copy)]
pub enum Mover<'a> {
    /// The customer, from the booking's link.
    Customer,
    /// Staff; with a reason, the opening hours, notice, horizon and grid do not apply.
    Staff {
        admin: &'a User,
        override_reason: Option<&'a str>,
    },
}

/// Why a booking was not moved.
#[derive(Debug)]
pub enum NotMoved {
    /// The new time cannot be booked.
    Unavailable(Unavailable),
    /// This booking cannot be moved (its status, or past the customer's cut-off).
    NotMovable,
    /// It changed meanwhile (moved, cancelled): reload it.
    Changed,
}

/// Whether `b` may be moved now by its customer.
pub fn customer_may_move(b: &Booking, now: i64) -> bool {
    matches!(b.status, Status::Pending | Status::Confirmed)
        && b.policy().self_service_open(b.starts_at, now)
}

/// Moves `booking` to start at `start` (epoch seconds), atomically; the moved booking.
pub async fn reschedule(
    state: &AppState,
    booking: &Booking,
    start: i64,
    mover: Mover<'_>,
) -> AppResult<Result<Booking, NotMoved>> {
    let now = now();
    let movable = match mover {
        Mover::Customer => customer_may_move(booking, now),
        Mover::Staff { .. } => matches!(booking.status, Status::Pending | Status::Confirmed),
    };
    if !movable {
        return Ok(Err(NotMoved::NotMovable));
    }
    let overriding = matches!(
        mover,
        Mover::Staff {
            override_reason: Some(_),
            ..
        }
    );
    let Some(b) = service::bookable_of(state, booking).await? else {
        return Ok(Err(NotMoved::Unavailable(Unavailable::NotOffered)));
    };
    let rules = service::rules_now(state).await?;
    let Some(kind) = b.row.availability(&b.resources, &rules.numbers) else {
        return Ok(Err(NotMoved::Unavailable(Unavailable::NotOffered)));
    };
    let (Ok(start_at), Ok(end_at)) = (
        Timestamp::from_second(start),
        Timestamp::from_second(start.saturating_add(booking.ends_at - booking.starts_at)),
    ) else {
        return Ok(Err(NotMoved::Unavailable(Unavailable::OutOfRange)));
    };
    let now_at = Timestamp::now();
    // An override keeps the booking's length; otherwise the rules give the slot.
    let fits = |busy: &[availability::Busy]| -> Result<Slot, Unavailable> {
        if overriding {
            availability::check_capacity(&rules.studio, &kind, busy, start_at, end_at, now_at)
        } else {
            availability::check(&rules.studio, &kind, busy, start_at, now_at)
        }
    };
    let shape = match fits(&[]) {
        Ok(slot) => slot,
        Err(why) => return Ok(Err(NotMoved::Unavailable(why))),
    };

    let occupied = (
        shape.start.as_second() - booking.buffer_before_minutes * 60,
        shape.end.as_second() + booking.buffer_after_minutes * 60,
    );
    if occupied.1 - occupied.0 > super::model::MAX_OCCUPIED_SECS {
        return Ok(Err(NotMoved::Unavailable(Unavailable::NotOffered)));
    }
    let mut tx = state.db.begin().await?;
    // The booking first, then the (resource, hour) locks of its new time, in order: the
    // order every transaction that touches a booking and the locks takes them in. Its old
    // time needs none: freeing time cannot overbook anything.
    let Some(current) = store::lock(&mut tx, &booking.id).await? else {
        return Err(AppError::NotFound);
    };
    if current.status != booking.status || current.starts_at != booking.starts_at {
        return Ok(Err(NotMoved::Changed));
    }
    store::lock_span(&mut tx, &b.resources, occupied).await?;
    let (from, to) = (
        start - 2 * 86_400,
        start + 86_400 * (2 + b.row.reach_days()),
    );
    let mut claims = store::claims_between(&mut tx, &b.resources, from, to, now).await?;
    claims.retain(|c| c.booking_id != booking.id);
    let slot = match fits(&busy_from_claims(&claims, &rules.numbers)) {
        Ok(slot) => slot,
        Err(why) => return Ok(Err(NotMoved::Unavailable(why))),
    };
    let span = (slot.start.as_second(), slot.end.as_second());
    store::move_booking(&mut tx, &current, span, &b.resources, now).await?;
    let moved = store::find(&mut *tx, &booking.id)
        .await?
        .ok_or(AppError::NotFound)?;
    tell(state, &mut tx, &current, &moved, mover).await?;
    if let Mover::Staff {
        admin,
        override_reason,
    } = mover
    {
        crate::audit::insert_audit(
            &mut *tx,
            &crate::audit::AuditEntry::by(admin, "booking.move", "booking", &booking.id).change(
                serde_json::json!({"reference": current.reference, "starts_at": current.starts_at, "ends_at": current.ends_at}),
                serde_json::json!({"reference": moved.reference, "starts_at": moved.starts_at, "ends_at": moved.ends_at, "override_reason": override_reason}),
            ),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    service::bookings_changed(state);
    Ok(Ok(moved))
}

/// The emails of a move, in its transaction: the customer gets the new time (with the
/// updated invite once confirmed), staff hear of a move the customer made, and a confirmed
/// booking's reminder is planned for its new start.
async fn tell(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    before: &Booking,
    moved: &Booking,
    mover: Mover<'_>,
) -> AppResult<()> {
    let zone = &state.settings.time_zone;
    let was = emails::span_label(zone, before.starts_at, before.ends_at);
    let link = state.url(&service::manage_path(state, moved));
    let mail = emails::moved(state, moved, &was, &link);
    let confirmed = moved.status == Status::Confirmed;
    let invite = confirmed.then_some(super::invite::Method::Request);
    service::email_customer(state, conn, moved, &mail, invite).await?;
    if confirmed {
        super::reminders::plan(conn, state, moved).await?;
    }
    if matches!(mover, Mover::Customer) {
        let notice = emails::staff_moved(state, moved, &was);
        service::notify_staff(conn, state, moved, &notice).await?;
    }
    Ok(())
}
