//! What the bookings domain does: reads the rules, answers availability, and places a booking
//! atomically (the resources' row locks, availability checked again inside the transaction,
//! the booking, its claims and its emails written together).

use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;

use super::availability::{self, BookingType, Slot, Unavailable};
use super::model::{Booking, BookingTypeRow, Location, Rules, Status, busy_from_claims};
use super::{emails, store};
use crate::content::Computed;
use crate::crypto::sha256_hex;
use crate::db::{new_id, now};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::identity::model::Email;
use crate::notifications::{enqueue_email, enqueue_email_replying_to};
use crate::rate_limit::{self, Limit};
use crate::state::AppState;

/// Booking requests per client per hour.
pub const BOOKINGS_PER_CLIENT: Limit = Limit {
    name: "booking-client",
    max: 10,
    window: Duration::from_secs(60 * 60),
};

/// Booking requests per email address per hour (any case).
pub const BOOKINGS_PER_EMAIL: Limit = Limit {
    name: "booking-email",
    max: 5,
    window: Duration::from_secs(60 * 60),
};

/// A type with everything availability needs about it.
#[derive(Debug, Clone)]
pub struct Bookable {
    pub row: BookingTypeRow,
    /// The resources it needs, by id.
    pub resources: Vec<String>,
    /// The booking being moved, when the times are for moving it: its own time does not
    /// count against it.
    pub moving: Option<String>,
}

impl Bookable {
    /// The times for moving `booking` (of this type) elsewhere.
    pub fn moving(self, booking: &Booking) -> Self {
        Self {
            moving: Some(booking.id.clone()),
            ..self
        }
    }
}

/// This process's computed availability: the types by slug, a day's free starts and a
/// month's free days, each kept for the content cache's TTL (`CONTENT_CACHE_TTL_MS`) and
/// dropped when a booking ([`bookings_changed`]) or a rule ([`rules_changed`]) changes here, or an admin
/// table is edited. Other replicas see a change within the TTL; placing a booking never
/// reads it (it checks again in its transaction), so a stale answer costs a customer a
/// "taken" sentence, never a double booking.
#[derive(Debug, Default)]
pub struct AvailabilityMemo {
    rules: Computed<Rules>,
    types: Computed<Option<Bookable>>,
    days: Computed<Vec<Slot>>,
    months: Computed<Vec<Date>>,
}

/// Drops this process's computed free times, after a change to bookings is committed (the
/// rules and types it read stay: a booking does not change them).
pub fn bookings_changed(state: &AppState) {
    let memo = state.locals.get::<AvailabilityMemo>();
    memo.days.invalidate();
    memo.months.invalidate();
}

/// Drops all of this process's computed availability, after a change to the rules (hours,
/// overrides, resources, a type's needs) is committed.
pub fn rules_changed(state: &AppState) {
    let memo = state.locals.get::<AvailabilityMemo>();
    memo.rules.invalidate();
    memo.types.invalidate();
    bookings_changed(state);
}

/// [`bookable`] from this process's memo: for showing availability, never for placing.
pub async fn bookable_cached(state: &AppState, slug: &str) -> AppResult<Option<Bookable>> {
    let memo = state.locals.get::<AvailabilityMemo>();
    if let Some(hit) = memo.types.get(&state.content, slug) {
        return Ok(hit);
    }
    let generations = memo.types.begin(&state.content);
    let found = bookable(state, slug).await?;
    memo.types
        .put(&state.content, slug, generations, found.clone());
    Ok(found)
}

/// The active type `slug` with its resources.
pub async fn bookable(state: &AppState, slug: &str) -> AppResult<Option<Bookable>> {
    let Some(row) = store::active_type(state.db.pool(), slug).await? else {
        return Ok(None);
    };
    let resources = store::type_resources(state.db.pool(), &row.id).await?;
    Ok(Some(Bookable {
        row,
        resources,
        moving: None,
    }))
}

/// The type with id `id`, active or not, with the resources it needs (an accepted quote's
/// shoot).
pub async fn bookable_by_id(state: &AppState, id: &str) -> AppResult<Option<Bookable>> {
    let pool = state.db.pool();
    let Some(row) = store::type_by_id(pool, id).await? else {
        return Ok(None);
    };
    let resources = store::type_resources(pool, &row.id).await?;
    Ok(Some(Bookable {
        row,
        resources,
        moving: None,
    }))
}

/// The type `booking` was made as, active or not, with the resources it needs now.
pub async fn bookable_of(state: &AppState, booking: &Booking) -> AppResult<Option<Bookable>> {
    let pool = state.db.pool();
    let Some(row) = store::type_by_id(pool, &booking.booking_type_id).await? else {
        return Ok(None);
    };
    let resources = store::type_resources(pool, &row.id).await?;
    Ok(Some(Bookable {
        row,
        resources,
        moving: Some(booking.id.clone()),
    }))
}

/// Today in the studio's zone.
pub fn studio_today(state: &AppState) -> Date {
    Timestamp::now()
        .to_zoned(state.settings.time_zone.clone())
        .date()
}

/// The studio's rules (hours, overrides, resources) from this process's memo, read afresh when
/// it has none. Placing and moving read them here too: a rule changed on another replica
/// within the TTL acts like a placement made just before the change, while capacity, the one
/// thing that must never be stale, is always checked against the claims read in the placing
/// transaction.
pub(crate) async fn rules_now(state: &AppState) -> AppResult<Rules> {
    let memo = state.locals.get::<AvailabilityMemo>();
    if let Some(hit) = memo.rules.get(&state.content, "rules") {
        return Ok(hit);
    }
    let generations = memo.rules.begin(&state.content);
    let mut conn = state.db.pool().acquire().await?;
    let fresh = rules(state, &mut conn).await?;
    memo.rules
        .put(&state.content, "rules", generations, fresh.clone());
    Ok(fresh)
}

pub(crate) async fn rules(state: &AppState, conn: &mut sqlx::AnyConnection) -> AppResult<Rules> {
    let yesterday = studio_today(state)
        .yesterday()
        .map_or_else(|_| "0000-01-01".to_owned(), |d| d.to_string());
    let hours = store::opening_hours(&mut *conn).await?;
    let overrides = store::overrides_from(&mut *conn, &yesterday).await?;
    let resources = store::resources(&mut *conn).await?;
    Ok(Rules::from_rows(
        state.settings.time_zone.clone(),
        &hours,
        &overrides,
        &resources,
    ))
}

/// How long the studio is open from `from` to `to` (both included, dates in its zone), in
/// seconds: the weekly hours, or a date's override where it has one, each interval measured
/// between its opening and closing instants (a day the clocks change keeps its real length).
pub async fn open_seconds(state: &AppState, from: Date, to: Date) -> AppResult<i64> {
    let pool = state.db.pool();
    let hours = store::opening_hours(pool).await?;
    let overrides = store::overrides_from(pool, &from.to_string()).await?;
    let zone = state.settings.time_zone.clone();
    let rules = Rules::from_rows(zone.clone(), &hours, &overrides, &[]);
    let mut total = 0;
    let mut day = from;
    while day <= to {
        for interval in rules.studio.hours_on(day).intervals() {
            let opens = day.to_datetime(interval.start()).to_zoned(zone.clone());
            let closes = if interval.ends_at_midnight() {
                day.tomorrow()
                    .map(|next| next.to_datetime(jiff::civil::Time::midnight()))
                    .and_then(|dt| dt.to_zoned(zone.clone()))
            } else {
                day.to_datetime(interval.end()).to_zoned(zone.clone())
            };
            if let (Ok(opens), Ok(closes)) = (opens, closes) {
                total += (closes.timestamp().as_second() - opens.timestamp().as_second()).max(0);
            }
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    Ok(total)
}

/// Epoch seconds of a timestamp.
fn secs(t: Timestamp) -> i64 {
    t.as_second()
}

/// What availability needs about `b` between `window` (epoch seconds): the rules, the type as
/// the computation reads it (none when its row is inconsistent), and the bookings there.
async fn around(
    state: &AppState,
    b: &Bookable,
    (from, to): (i64, i64),
) -> AppResult<Option<(Rules, BookingType, Vec<availability::Busy>)>> {
    let rules = rules_now(state).await?;
    let Some(kind) = b.row.availability(&b.resources, &rules.numbers) else {
        return Ok(None);
    };
    let mut conn = state.db.pool().acquire().await?;
    let mut claims = store::claims_between(&mut conn, &b.resources, from, to, now()).await?;
    if let Some(own) = &b.moving {
        claims.retain(|c| &c.booking_id != own);
    }
    let busy = busy_from_claims(&claims, &rules.numbers);
    Ok(Some((rules, kind, busy)))
}

/// What the calendar shows for a month: the days with a free start.
pub async fn free_days(
    state: &AppState,
    b: &Bookable,
    year: i16,
    month: i8,
) -> AppResult<Vec<Date>> {
    let Ok(first) = Date::new(year, month, 1) else {
        return Ok(Vec::new());
    };
    let zone = &state.settings.time_zone;
    let (Ok(from), Ok(to)) = (
        first.to_zoned(zone.clone()),
        first.last_of_month().to_zoned(zone.clone()),
    ) else {
        return Ok(Vec::new());
    };
    // Bookings that start before the month or end after it still occupy its edges; multi-day
    // types reach further ahead. Only those are read: the cost follows the month, not the
    // diary.
    let window = (
        from.timestamp().as_second() - 2 * 86_400,
        to.timestamp().as_second() + 86_400 * b.row.reach_days(),
    );
    // Moving a booking frees its own time: those answers are not shared.
    let memo = state.locals.get::<AvailabilityMemo>();
    let key = format!("{}:{year}-{month}", b.row.id);
    if b.moving.is_none()
        && let Some(hit) = memo.months.get(&state.content, &key)
    {
        return Ok(hit);
    }
    let generations = memo.months.begin(&state.content);
    let Some((rules, kind, busy)) = around(state, b, window).await? else {
        return Ok(Vec::new());
    };
    let days = availability::month_days(&rules.studio, &kind, &busy, year, month, Timestamp::now());
    if b.moving.is_none() {
        memo.months
            .put(&state.content, &key, generations, days.clone());
    }
    Ok(days)
}

/// The free starts of one day.
pub async fn free_slots(state: &AppState, b: &Bookable, day: Date) -> AppResult<Vec<Slot>> {
    let Ok(start) = day.to_zoned(state.settings.time_zone.clone()) else {
        return Ok(Vec::new());
    };
    let from = start.timestamp().as_second();
    let window = (from - 2 * 86_400, from + 86_400 * (1 + b.row.reach_days()));
    let memo = state.locals.get::<AvailabilityMemo>();
    let key = format!("{}:{day}", b.row.id);
    if b.moving.is_none()
        && let Some(hit) = memo.days.get(&state.content, &key)
    {
        return Ok(hit);
    }
    let generations = memo.days.begin(&state.content);
    let Some((rules, kind, busy)) = around(state, b, window).await? else {
        return Ok(Vec::new());
    };
    let slots = availability::day_slots(&rules.studio, &kind, &busy, day, Timestamp::now());
    if b.moving.is_none() {
        memo.days
            .put(&state.content, &key, generations, slots.clone());
    }
    Ok(slots)
}

/// Whether `minutes` starting at `at` on `day` (studio time) can be booked now as `b` (the old
/// API's question): the slot, or why not.
pub async fn check_local(
    state: &AppState,
    b: &Bookable,
    day: Date,
    at: jiff::civil::Time,
    minutes: i64,
) -> AppResult<Result<Slot, Unavailable>> {
    let Ok(start) = day.to_zoned(state.settings.time_zone.clone()) else {
        return Ok(Err(Unavailable::OutOfRange));
    };
    let from = start.timestamp().as_second();
    let Some((rules, kind, busy)) =
        around(state, b, (from - 2 * 86_400, from + 4 * 86_400)).await?
    else {
        return Ok(Err(Unavailable::NotOffered));
    };
    Ok(availability::check_local(
        &rules.studio,
        &kind,
        &busy,
        day,
        at,
        minutes,
        Timestamp::now(),
    ))
}

/// The customer's details, as typed.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub name: String,
    pub email: String,
    pub phone: String,
    /// A [`Location`] value.
    pub location: String,
    pub address: String,
    pub notes: String,
}

/// Checks the details against the type; the parsed email on success.
pub fn validate(b: &Bookable, d: &Details) -> Result<(Email, Location), FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = d.name.trim().chars().count();
    if name == 0 {
        errors.add("name", "Enter your name.");
    } else if name > 100 {
        errors.add("name", "Use at most 100 characters.");
    }
    let email = Email::parse(&d.email)
        .map_err(|m| errors.add("email", m))
        .ok();
    if d.phone.chars().count() > 40 {
        errors.add("phone", "Use at most 40 characters.");
    }
    let allowed = b.row.location_list();
    let location = Location::parse(&d.location)
        .filter(|l| allowed.contains(l))
        .or_else(|| (allowed.len() == 1).then(|| allowed[0]));
    match location {
        None => errors.add("location", "Choose where it happens."),
        Some(Location::Client) if d.address.trim().chars().count() < 5 => {
            errors.add("address", "Enter the address where we should come.");
        }
        _ => {}
    }
    if d.address.chars().count() > 300 {
        errors.add("address", "Use at most 300 characters.");
    }
    if d.notes.chars().count() > 2000 {
        errors.add("notes", "Use at most 2,000 characters.");
    }
    match (email, location) {
        (Some(email), Some(location)) if errors.is_empty() => Ok((email, location)),
        _ => Err(errors),
    }
}

/// Why a placement did not happen.
#[derive(Debug)]
pub enum NotPlaced {
    /// The start is not bookable (taken meanwhile, past, closed...).
    Unavailable(Unavailable),
    /// The details need fixing.
    Invalid(FieldErrors),
}

/// Who places a booking.
#[derive(Debug, Clone, Copy)]
pub enum PlacedBy<'a> {
    /// The customer, on the site (signed in or not); rate-limited per client and per email.
    Customer {
        user_id: Option<&'a str>,
        client_key: &'a str,
    },
    /// Staff, on the customer's behalf (a phone booking): confirmed at once, the deposit
    /// settled by hand. With a reason, the opening hours, notice, horizon and grid do not
    /// apply (a type measured in minutes only); a resource's capacity always does.
    Staff {
        admin: &'a crate::identity::model::User,
        override_reason: Option<&'a str>,
    },
    /// An accepted quote's shoot at the time staff proposed (the opening hours, notice,
    /// horizon and grid do not apply; capacity does), for the quote's price. Always held:
    /// its deposit's capture confirms it, or the quote confirms it when there is none
    /// ([`super::deposits::confirm_held`]); unpaid, it is released like any hold.
    Quote {
        user_id: Option<&'a str>,
        price_minor: i64,
        deposit_minor: i64,
    },
}

/// Places a booking of `b` at `start` (epoch seconds) for the details, as a customer on the
/// site (see [`place_as`]).
pub async fn place(
    state: &AppState,
    b: &Bookable,
    start: i64,
    details: &Details,
    user_id: Option<&str>,
    client_key: &str,
) -> AppResult<Result<Booking, NotPlaced>> {
    let by = PlacedBy::Customer {
        user_id,
        client_key,
    };
    place_as(state, b, start, details, by).await
}

/// Whether `b` can start at `start` against `busy`: by the rules, or (an override) only by
/// capacity, for the type's own length.
fn fits(
    rules: &Rules,
    kind: &BookingType,
    busy: &[availability::Busy],
    start: Timestamp,
    overriding: bool,
) -> Result<Slot, Unavailable> {
    let now = Timestamp::now();
    if !overriding {
        return availability::check(&rules.studio, kind, busy, start, now);
    }
    let availability::BookingLength::Minutes(m) = kind.length else {
        return Err(Unavailable::NotOffered);
    };
    let end = start
        .checked_add(jiff::SignedDuration::from_mins(i64::from(m.get())))
        .map_err(|_| Unavailable::OutOfRange)?;
    availability::check_capacity(&rules.studio, kind, busy, start, end, now)
}

/// Who places it: the account, the placing client's hash, and whether the rules are
/// overridden. A customer's placement counts against the rate limits first.
async fn placed_by<'a>(
    state: &AppState,
    by: PlacedBy<'a>,
    email: &Email,
) -> AppResult<(Option<&'a str>, String, bool)> {
    Ok(match by {
        PlacedBy::Customer {
            user_id,
            client_key,
        } => {
            let email_key = email.as_str().to_lowercase();
            rate_limit::hit_two(
                &state.db,
                (BOOKINGS_PER_CLIENT, client_key),
                (BOOKINGS_PER_EMAIL, &email_key),
            )
            .await?;
            (user_id, sha256_hex(client_key), false)
        }
        PlacedBy::Staff {
            admin,
            override_reason,
        } => (
            None,
            sha256_hex(&format!("staff:{}", admin.id)),
            override_reason.is_some(),
        ),
        PlacedBy::Quote { user_id, .. } => (user_id, sha256_hex("quote"), true),
    })
}

/// Places a booking of `b` at `start` (epoch seconds) for the details, atomically: exactly
/// one of several concurrent requests for the same capacity wins; the others get
/// [`Unavailable::Taken`]. The booking, its claims and its emails are written together.
pub async fn place_as(
    state: &AppState,
    b: &Bookable,
    start: i64,
    details: &Details,
    by: PlacedBy<'_>,
) -> AppResult<Result<Booking, NotPlaced>> {
    let (email, location) = match validate(b, details) {
        Ok(v) => v,
        Err(errors) => return Ok(Err(NotPlaced::Invalid(errors))),
    };
    let Ok(start_at) = Timestamp::from_second(start) else {
        return Ok(Err(NotPlaced::Unavailable(Unavailable::OutOfRange)));
    };
    let (user_id, client_hash, overriding) = placed_by(state, by, &email).await?;

    // The rules and the slot's shape (its end, without others) are read before the write
    // transaction, so placements queued on one resource (or, on SQLite, on the one writer)
    // wait only for the part that must be serial: the others around the slot, the re-check
    // and the writes.
    let rules = rules_now(state).await?;
    let Some(kind) = b.row.availability(&b.resources, &rules.numbers) else {
        return Ok(Err(NotPlaced::Unavailable(Unavailable::NotOffered)));
    };
    // A quote's shoot of a type measured in minutes may start when staff proposed; a day-based
    // one starts as its type's days allow.
    let overriding = match by {
        PlacedBy::Quote { .. } => matches!(kind.length, availability::BookingLength::Minutes(_)),
        _ => overriding,
    };
    let slot = match fits(&rules, &kind, &[], start_at, overriding) {
        Ok(slot) => slot,
        Err(why) => return Ok(Err(NotPlaced::Unavailable(why))),
    };
    let occupied = (
        secs(slot.start) - b.row.buffer_before_minutes * 60,
        secs(slot.end) + b.row.buffer_after_minutes * 60,
    );
    if occupied.1 - occupied.0 > super::model::MAX_OCCUPIED_SECS {
        return Ok(Err(NotPlaced::Unavailable(Unavailable::NotOffered)));
    }
    let reference = {
        let mut conn = state.db.pool().acquire().await?;
        store::next_reference(&mut conn).await?
    };
    let mut tx = state.db.begin().await?;
    store::lock_span(&mut tx, &b.resources, occupied).await?;
    let (from, to) = (secs(slot.start) - 2 * 86_400, secs(slot.end) + 2 * 86_400);
    let claims = store::claims_between(&mut tx, &b.resources, from, to, now()).await?;
    let busy = busy_from_claims(&claims, &rules.numbers);
    let slot = match fits(&rules, &kind, &busy, start_at, overriding) {
        Ok(slot) => slot,
        Err(why) => return Ok(Err(NotPlaced::Unavailable(why))),
    };

    let id = new_id();
    let now = now();
    // A deposit holds the slot while its checkout is open; the capture confirms the booking.
    // Staff booking on a customer's behalf confirm it and settle the deposit by hand.
    let (price_minor, deposit_minor) = match by {
        PlacedBy::Quote {
            price_minor,
            deposit_minor,
            ..
        } => (price_minor, deposit_minor),
        _ => (b.row.price_minor, b.row.deposit_minor()),
    };
    let takes_deposit = match by {
        PlacedBy::Customer { .. } => deposit_minor > 0,
        PlacedBy::Quote { .. } => true,
        PlacedBy::Staff { .. } => false,
    };
    let status = match by {
        PlacedBy::Staff { .. } => Status::Confirmed,
        _ if takes_deposit => Status::Held,
        _ if b.row.auto_confirm => Status::Confirmed,
        _ => Status::Pending,
    };
    let policy =
        serde_json::to_string(&b.row.policy()).map_err(|e| AppError::Internal(e.into()))?;
    store::insert_booking(
        &mut tx,
        &store::NewBooking {
            id: &id,
            reference: &reference,
            booking_type_id: &b.row.id,
            type_name: &b.row.name,
            status,
            starts_at: secs(slot.start),
            ends_at: secs(slot.end),
            buffer_before_minutes: b.row.buffer_before_minutes,
            buffer_after_minutes: b.row.buffer_after_minutes,
            user_id,
            name: details.name.trim(),
            email: email.as_str(),
            phone: details.phone.trim(),
            location: location.as_str(),
            address: details.address.trim(),
            customer_notes: details.notes.trim(),
            currency: &b.row.currency,
            price_minor,
            deposit_minor,
            policy: &policy,
            client_hash: &client_hash[..32],
            hold_expires_at: takes_deposit.then(|| super::deposits::hold_until(state, now)),
        },
        &b.resources,
        now,
    )
    .await?;
    let booking = store::find(&mut *tx, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    announce_placed(&mut tx, state, &booking, by, now).await?;
    tx.commit().await?;
    bookings_changed(state);
    Ok(Ok(booking))
}

/// Who hears of a new booking, in its transaction: a confirmed one is announced; a pending one
/// is acknowledged to the customer and sent to staff; a held one waits for its deposit. A
/// booking staff made is audited, with the override's reason.
async fn announce_placed(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    booking: &Booking,
    by: PlacedBy<'_>,
    now: i64,
) -> AppResult<()> {
    match booking.status {
        Status::Confirmed => announce_confirmed(conn, state, booking).await?,
        Status::Pending => {
            let manage_url = state.url(&manage_path(state, booking));
            let to_customer = emails::received(state, booking, &manage_url);
            email_customer(state, conn, booking, &to_customer, None).await?;
            notify_staff(conn, state, booking, &emails::staff_notice(state, booking)).await?;
        }
        // Held: the customer is on the way to pay; everyone hears once the deposit is in.
        _ => {}
    }
    if let PlacedBy::Staff {
        admin,
        override_reason,
    } = by
    {
        crate::audit::insert_audit(
            &mut *conn,
            &crate::audit::AuditEntry::by(admin, "booking.create", "booking", &booking.id).change(
                serde_json::Value::Null,
                serde_json::json!({"reference": booking.reference, "starts_at": booking.starts_at,
                        "customer": booking.email, "override_reason": override_reason}),
            ),
            now,
        )
        .await?;
    }
    Ok(())
}

/// Everything a confirmation brings, in the caller's transaction: the customer's email with
/// the invite, the reminder, and the staff notice (`Reply-To` the customer).
pub(crate) async fn announce_confirmed(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    b: &Booking,
) -> AppResult<()> {
    let link = state.url(&manage_path(state, b));
    let mail = emails::received(state, b, &link);
    let invite = Some(super::invite::Method::Request);
    email_customer(state, conn, b, &mail, invite).await?;
    super::reminders::plan(conn, state, b).await?;
    notify_staff(conn, state, b, &emails::staff_notice(state, b)).await
}

/// Emails staff about `b`, with `Reply-To` the customer, in the caller's transaction.
pub(crate) async fn notify_staff(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    b: &Booking,
    content: &crate::notifications::templates::EmailContent,
) -> AppResult<()> {
    notify_staff_about(conn, state, &b.email, content).await
}

/// Emails staff about a customer's booking or quote, with `Reply-To` the customer's address
/// when it is one, in the caller's transaction.
pub(crate) async fn notify_staff_about(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    customer_email: &str,
    content: &crate::notifications::templates::EmailContent,
) -> AppResult<()> {
    let attempts = state.max_job_attempts();
    let reply_to = Email::parse(customer_email).ok();
    for to in staff_recipients(conn, state).await? {
        match &reply_to {
            Some(r) => enqueue_email_replying_to(conn, &to, r, content, attempts).await?,
            None => enqueue_email(conn, &to, content, attempts).await?,
        };
    }
    Ok(())
}

/// Who hears about bookings: `STAFF_EMAIL`, else every admin.
pub(crate) async fn staff_recipients(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
) -> AppResult<Vec<String>> {
    Ok(match &state.settings.staff_email {
        Some(e) => vec![e.clone()],
        None => crate::identity::store::admin_emails(&mut *conn).await?,
    })
}

/// Queues an email about `b` to its customer, with the booking's invite when `method` is
/// given and the studio has a mailbox to organise it from (`STAFF_EMAIL` or `MAIL_FROM`).
pub(crate) async fn email_customer(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    b: &Booking,
    content: &crate::notifications::templates::EmailContent,
    method: Option<super::invite::Method>,
) -> AppResult<()> {
    let organizer = crate::notifications::studio_mailbox(&state.settings);
    match (method, organizer) {
        (Some(method), Some(organizer)) => {
            let host = state.settings.base_url.host_str().unwrap_or("flashstudio");
            let manage_url = state.url(&manage_path(state, b));
            let ics = super::invite::invite(b, method, host, &organizer, &manage_url, now());
            crate::notifications::enqueue_email_with_calendar(
                conn,
                &b.email,
                content,
                &ics,
                state.max_job_attempts(),
            )
            .await?;
        }
        _ => {
            enqueue_email(conn, &b.email, content, state.max_job_attempts()).await?;
        }
    }
    Ok(())
}

/// The signed path of a booking's own page (the manage link in every email).
pub fn manage_path(state: &AppState, booking: &Booking) -> String {
    let sig = state
        .keys
        .urls
        .sign(&format!("booking-link:{}", booking.id));
    format!("/bookings/{}/{sig}", booking.id)
}

/// The booking behind a manage link, or not found (a wrong signature is not found too).
pub async fn by_link(state: &AppState, id: &str, sig: &str) -> AppResult<Booking> {
    if !state.keys.urls.verify(&format!("booking-link:{id}"), sig) {
        return Err(AppError::NotFound);
    }
    store::find(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Cancels a booking from its manage link, if the policy still lets the customer: a held
/// booking's checkout is closed, and a paid deposit is refunded as far as the booking's own
/// policy snapshot says ([`super::deposits::refund_on_cancel`]). The refund due when it was
/// cancelled, or none when it was not (too late, or changed meanwhile).
pub async fn cancel_by_customer(
    state: &AppState,
    booking: &Booking,
    reason: &str,
) -> AppResult<Option<i64>> {
    let now = now();
    if !booking.status.can_move_to(Status::Cancelled)
        || !booking.policy().self_service_open(booking.starts_at, now)
    {
        return Ok(None);
    }
    let mut tx = state.db.begin().await?;
    let reason: String = reason.trim().chars().take(500).collect();
    if !store::set_status(
        &mut tx,
        &booking.id,
        booking.status,
        Status::Cancelled,
        &reason,
        now,
    )
    .await?
    {
        return Ok(None);
    }
    let session =
        super::deposits::fail_open_payment(&mut tx, &booking.id, "the booking was cancelled", now)
            .await?;
    let fresh = store::find(&mut *tx, &booking.id)
        .await?
        .ok_or(AppError::NotFound)?;
    // A held booking was never announced: nothing to take back from anyone's calendar.
    if booking.status != Status::Held {
        let mail = emails::cancelled(state, &fresh);
        let cancel = Some(super::invite::Method::Cancel);
        email_customer(state, &mut tx, &fresh, &mail, cancel).await?;
    }
    tx.commit().await?;
    bookings_changed(state);
    if let Some(session) = session {
        super::deposits::close_checkout(state, &session).await;
    }
    let refund = super::deposits::refund_on_cancel(state, &fresh, now).await?;
    Ok(Some(refund))
}
