//! SQL of the bookings domain.

use sqlx::{Any, AnyConnection, Executor};

use super::model::{
    BOOKING_COLUMNS, Booking, BookingTypeRow, ClaimRow, DiaryEntry, MAX_OCCUPIED_SECS, OpeningRow,
    OverrideRow, ResourceRow, Status, TYPE_COLUMNS,
};

/// Active booking types, in display order.
pub async fn active_types<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<BookingTypeRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {TYPE_COLUMNS} from booking_types where active = 1 order by sort_order, name"
    )))
    .fetch_all(ex)
    .await
}

/// An active booking type by slug.
pub async fn active_type<'e>(
    ex: impl Executor<'e, Database = Any>,
    slug: &str,
) -> Result<Option<BookingTypeRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {TYPE_COLUMNS} from booking_types where slug = $1 and active = 1"
    )))
    .bind(slug)
    .fetch_optional(ex)
    .await
}

/// (id, name) of every booking type, active ones first, for a filter.
pub async fn type_choices<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("select id, name from booking_types order by active desc, sort_order, name")
        .fetch_all(ex)
        .await
}

/// Every resource, active or not, as (id, name) for choices.
pub async fn resource_choices<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("select id, name from booking_resources order by active desc, sort_order, name")
        .fetch_all(ex)
        .await
}

/// A booking type by id, active or not (a booking keeps its type).
pub async fn type_by_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<BookingTypeRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {TYPE_COLUMNS} from booking_types where id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// The resources a type needs, by id.
pub async fn type_resources<'e>(
    ex: impl Executor<'e, Database = Any>,
    type_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select resource_id from booking_type_resources where booking_type_id = $1 \
         order by resource_id",
    )
    .bind(type_id)
    .fetch_all(ex)
    .await
}

/// Every resource (inactive ones too: they block the types that need them).
pub async fn resources<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<ResourceRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, name, kind, capacity, active from booking_resources order by sort_order, name",
    )
    .fetch_all(ex)
    .await
}

/// The weekly hours.
pub async fn opening_hours<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<OpeningRow>, sqlx::Error> {
    sqlx::query_as("select id, weekday, opens, closes from opening_hours order by weekday, opens")
        .fetch_all(ex)
        .await
}

/// Date overrides from `from` on (`YYYY-MM-DD` sorts as text).
pub async fn overrides_from<'e>(
    ex: impl Executor<'e, Database = Any>,
    from: &str,
) -> Result<Vec<OverrideRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, day, closed, opens, closes, note from date_overrides where day >= $1 \
         order by day, opens",
    )
    .bind(from)
    .fetch_all(ex)
    .await
}

/// The claims on `resources` of bookings that block time and whose occupied interval meets
/// `[from, to)` (seconds). A hold past its expiry no longer blocks.
///
/// Planned afresh on every call (not a cached prepared statement): PostgreSQL caches a
/// generic plan after a few calls, and one cached while the diary was nearly empty joins the
/// bookings by a sequential scan per claim, quadratic once they number hundreds (10 ms for
/// 500, measured). Planned with its values, the join goes through the primary key.
pub async fn claims_between(
    conn: &mut AnyConnection,
    resources: &[String],
    from: i64,
    to: i64,
    now: i64,
) -> Result<Vec<ClaimRow>, sqlx::Error> {
    if resources.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..resources.len())
        .map(|i| format!("${}", i + 4))
        .collect();
    let sql = format!(
        "select c.booking_id, c.resource_id, b.starts_at, b.ends_at, b.buffer_before_minutes, \
                b.buffer_after_minutes \
         from booking_claims c join bookings b on b.id = c.booking_id \
         where c.resource_id in ({}) and c.occupied_to > $1 and c.occupied_from < $2 \
           and c.occupied_to < $2 + {MAX_OCCUPIED_SECS} \
           and (b.status in ('pending', 'confirmed') \
                or (b.status = 'held' and b.hold_expires_at > $3))",
        placeholders.join(", ")
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .persistent(false)
        .bind(from)
        .bind(to)
        .bind(now);
    for r in resources {
        q = q.bind(r);
    }
    q.fetch_all(&mut *conn).await
}

/// The hours (epoch seconds / 3600) an occupied interval `[from, to)` touches.
pub fn hours_of((from, to): (i64, i64)) -> std::ops::RangeInclusive<i64> {
    from.div_euclid(3600)..=(to.max(from + 1) - 1).div_euclid(3600)
}

/// Takes the lock of every (resource, hour) the occupied interval `span` touches, in order,
/// inside the placing (or moving) transaction. Two intervals that overlap share an hour, so
/// their transactions queue on its row; others go on in parallel.
pub async fn lock_span(
    conn: &mut AnyConnection,
    resources: &[String],
    span: (i64, i64),
) -> Result<(), sqlx::Error> {
    let mut sorted = resources.to_vec();
    sorted.sort();
    sorted.dedup();
    let rows: Vec<(&String, i64)> = sorted
        .iter()
        .flat_map(|r| hours_of(span).map(move |hour| (r, hour)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    // One statement; its rows are inserted, and their locks taken, in the order listed.
    let values: Vec<String> = (0..rows.len())
        .map(|i| format!("(${}, ${}, 1)", 2 * i + 1, 2 * i + 2))
        .collect();
    let sql = format!(
        "insert into booking_locks (resource_id, hour, taken) values {} \
         on conflict (resource_id, hour) do update set taken = booking_locks.taken + 1",
        values.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (r, hour) in rows {
        q = q.bind(r).bind(hour);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// The next `BK-000123`. Taken in a transaction of its own, before the placement's: the
/// counter's row would otherwise queue every placement behind every other until it commits
/// (a placement refused afterwards leaves a gap in the numbers).
pub async fn next_reference(conn: &mut AnyConnection) -> Result<String, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "update booking_counter set value = value + 1 where id = 1 returning value",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(format!("BK-{n:06}"))
}

/// A booking to insert.
#[derive(Debug)]
pub struct NewBooking<'a> {
    pub id: &'a str,
    pub reference: &'a str,
    pub booking_type_id: &'a str,
    pub type_name: &'a str,
    pub status: Status,
    pub starts_at: i64,
    pub ends_at: i64,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub user_id: Option<&'a str>,
    pub name: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
    pub location: &'a str,
    pub address: &'a str,
    pub customer_notes: &'a str,
    pub currency: &'a str,
    pub price_minor: i64,
    pub deposit_minor: i64,
    pub policy: &'a str,
    pub client_hash: &'a str,
    /// A held booking's end of hold (epoch seconds).
    pub hold_expires_at: Option<i64>,
}

/// Inserts a booking and its claims on `resources`.
pub async fn insert_booking(
    conn: &mut AnyConnection,
    b: &NewBooking<'_>,
    resources: &[String],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into bookings (id, reference, booking_type_id, type_name, status, starts_at, \
             ends_at, buffer_before_minutes, buffer_after_minutes, user_id, name, email, phone, \
             location, address, customer_notes, currency, price_minor, deposit_minor, policy, \
             client_hash, created_at, updated_at, hold_expires_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
                 $18, $19, $20, $21, $22, $22, $23)",
    )
    .bind(b.id)
    .bind(b.reference)
    .bind(b.booking_type_id)
    .bind(b.type_name)
    .bind(b.status.as_str())
    .bind(b.starts_at)
    .bind(b.ends_at)
    .bind(b.buffer_before_minutes)
    .bind(b.buffer_after_minutes)
    .bind(b.user_id)
    .bind(b.name)
    .bind(b.email)
    .bind(b.phone)
    .bind(b.location)
    .bind(b.address)
    .bind(b.customer_notes)
    .bind(b.currency)
    .bind(b.price_minor)
    .bind(b.deposit_minor)
    .bind(b.policy)
    .bind(b.client_hash)
    .bind(now)
    .bind(b.hold_expires_at)
    .execute(&mut *conn)
    .await?;
    let occupied = (
        b.starts_at - b.buffer_before_minutes * 60,
        b.ends_at + b.buffer_after_minutes * 60,
    );
    insert_claims(conn, b.id, resources, occupied).await
}

/// A booking's claims on `resources` over its occupied interval `(from, to)`.
async fn insert_claims(
    conn: &mut AnyConnection,
    booking_id: &str,
    resources: &[String],
    (from, to): (i64, i64),
) -> Result<(), sqlx::Error> {
    for r in resources {
        sqlx::query(
            "insert into booking_claims (booking_id, resource_id, occupied_from, occupied_to) \
             values ($1, $2, $3, $4)",
        )
        .bind(booking_id)
        .bind(r)
        .bind(from)
        .bind(to)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A booking by id.
pub async fn find<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<Booking>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {BOOKING_COLUMNS} from bookings where id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// A booking, locked for the rest of the caller's transaction (the row's write lock; on
/// SQLite the transaction already holds the database's).
pub async fn lock(conn: &mut AnyConnection, id: &str) -> Result<Option<Booking>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update bookings set version = version where id = $1 returning {BOOKING_COLUMNS}"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// Bookings that overlap `[from, to)` (epoch seconds) and still mean something for the diary
/// (not cancelled or expired), by start, at most `limit`, as the calendar shows them.
pub async fn in_window<'e>(
    ex: impl Executor<'e, Database = Any>,
    (from, to): (i64, i64),
    limit: i64,
) -> Result<Vec<DiaryEntry>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select id, reference, type_name, status, starts_at, ends_at, name from bookings \
         where starts_at < $2 and ends_at > $1 and starts_at > $1 - {MAX_OCCUPIED_SECS} \
           and status in ('held', 'pending', 'confirmed', 'completed', 'no_show') \
         order by starts_at limit $3"
    )))
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// (booking, resource) for every claim of a booking in `[from, to)`.
pub async fn claims_in_window<'e>(
    ex: impl Executor<'e, Database = Any>,
    (from, to): (i64, i64),
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select c.booking_id, c.resource_id from booking_claims c \
         join bookings b on b.id = c.booking_id \
         where b.starts_at < $2 and b.ends_at > $1 and b.starts_at > $1 - {MAX_OCCUPIED_SECS}"
    )))
    .bind(from)
    .bind(to)
    .fetch_all(ex)
    .await
}

/// A reference file of a booking, as listed on its pages.
pub type BookingFile = crate::media::attachments::AttachedFile;

/// The reference files of a booking, oldest first.
pub async fn files_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    booking_id: &str,
) -> Result<Vec<BookingFile>, sqlx::Error> {
    sqlx::query_as(
        "select media_id, file_name, size_bytes from booking_files where booking_id = $1 \
         order by created_at, media_id",
    )
    .bind(booking_id)
    .fetch_all(ex)
    .await
}

/// Attaches a stored file to a booking, in the caller's transaction.
pub async fn attach_file(
    conn: &mut AnyConnection,
    booking_id: &str,
    file: &BookingFile,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into booking_files (booking_id, media_id, file_name, size_bytes, created_at) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(booking_id)
    .bind(&file.media_id)
    .bind(&file.file_name)
    .bind(file.size_bytes)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves a booking to `starts_at`–`ends_at` on `resources`, in the caller's transaction: its
/// claims are replaced (with its own buffers), its sequence raised (calendar apps apply the
/// newer invite) and its reminder made due again.
pub async fn move_booking(
    conn: &mut AnyConnection,
    b: &Booking,
    (starts_at, ends_at): (i64, i64),
    resources: &[String],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update bookings set starts_at = $2, ends_at = $3, sequence = sequence + 1, \
             version = version + 1, reminded_at = null, updated_at = $4 \
         where id = $1",
    )
    .bind(&b.id)
    .bind(starts_at)
    .bind(ends_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query("delete from booking_claims where booking_id = $1")
        .bind(&b.id)
        .execute(&mut *conn)
        .await?;
    let occupied = (
        starts_at - b.buffer_before_minutes * 60,
        ends_at + b.buffer_after_minutes * 60,
    );
    insert_claims(conn, &b.id, resources, occupied).await
}

/// Held bookings whose hold ended before `before`, oldest first.
pub async fn holds_ended<'e>(
    ex: impl Executor<'e, Database = Any>,
    before: i64,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from bookings where status = 'held' and hold_expires_at < $1 \
         order by hold_expires_at limit $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Sets (or, with none, clears) what staff must look at on a booking.
pub async fn set_attention(
    conn: &mut AnyConnection,
    id: &str,
    note: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update bookings set attention = $2, updated_at = $3 where id = $1")
        .bind(id)
        .bind(note)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Moves a booking `from` → `to` if it is still in `from`; false when another request moved
/// it first. Callers check [`Status::can_move_to`].
pub async fn set_status(
    conn: &mut AnyConnection,
    id: &str,
    from: Status,
    to: Status,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let cancelled_at = (to == Status::Cancelled).then_some(now);
    let done = sqlx::query(
        "update bookings set status = $3, version = version + 1, sequence = sequence + 1, \
             updated_at = $4, cancelled_at = coalesce($5, cancelled_at), \
             cancel_reason = case when $3 = 'cancelled' then $6 else cancel_reason end \
         where id = $1 and status = $2",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(now)
    .bind(cancelled_at)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A customer's bookings (newest start first).
pub async fn of_user<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> Result<Vec<Booking>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {BOOKING_COLUMNS} from bookings where user_id = $1 order by starts_at desc limit 200"
    )))
    .bind(user_id)
    .fetch_all(ex)
    .await
}

/// A customer's bookings, newest made first: the account's and the guest bookings made with
/// `email` (see `orders::store::of_customer`).
pub async fn of_customer<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: Option<&str>,
    email: &str,
    limit: i64,
) -> Result<Vec<Booking>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {BOOKING_COLUMNS} from bookings \
         where user_id = $1 or (user_id is null and lower(email) = lower($2)) \
         order by created_at desc limit $3"
    )))
    .bind(user_id)
    .bind(email)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// A resource, unless one with `name` exists; whether it was inserted.
pub async fn insert_resource_unless_named<'e>(
    ex: impl Executor<'e, Database = Any>,
    name: &str,
    kind: &str,
    capacity: i64,
    sort_order: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into booking_resources (id, name, kind, capacity, sort_order, created_at, updated_at) \
         select $1, $2, $3, $4, $5, $6, $6 \
         where not exists (select 1 from booking_resources where name = $2)",
    )
    .bind(crate::db::new_id())
    .bind(name)
    .bind(kind)
    .bind(capacity)
    .bind(sort_order)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A booking type to insert.
#[derive(Debug)]
pub struct NewType<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub length_kind: &'a str,
    pub length_value: i64,
    pub skip_closed_days: bool,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub min_notice_minutes: i64,
    pub horizon_days: i64,
    pub slot_step_minutes: i64,
    pub auto_confirm: bool,
    pub price_minor: i64,
    pub currency: &'a str,
    pub deposit_kind: &'a str,
    pub deposit_value: i64,
    pub refund_full_days: i64,
    pub self_service_cutoff_hours: i64,
    pub locations: &'a str,
    pub sort_order: i64,
}

/// A booking type, unless its slug exists; whether it was inserted.
pub async fn insert_type_unless_slug<'e>(
    ex: impl Executor<'e, Database = Any>,
    t: &NewType<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into booking_types (id, slug, name, description, length_kind, length_value, \
             skip_closed_days, buffer_before_minutes, buffer_after_minutes, min_notice_minutes, \
             horizon_days, slot_step_minutes, auto_confirm, price_minor, currency, deposit_kind, \
             deposit_value, refund_full_days, self_service_cutoff_hours, locations, sort_order, \
             created_at, updated_at) \
         select $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
                $19, $20, $21, $22, $22 \
         where not exists (select 1 from booking_types where slug = $2)",
    )
    .bind(crate::db::new_id())
    .bind(t.slug)
    .bind(t.name)
    .bind(t.description)
    .bind(t.length_kind)
    .bind(t.length_value)
    .bind(i64::from(t.skip_closed_days))
    .bind(t.buffer_before_minutes)
    .bind(t.buffer_after_minutes)
    .bind(t.min_notice_minutes)
    .bind(t.horizon_days)
    .bind(t.slot_step_minutes)
    .bind(i64::from(t.auto_confirm))
    .bind(t.price_minor)
    .bind(t.currency)
    .bind(t.deposit_kind)
    .bind(t.deposit_value)
    .bind(t.refund_full_days)
    .bind(t.self_service_cutoff_hours)
    .bind(t.locations)
    .bind(t.sort_order)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the type `type_slug` the resource `resource_name` (nothing when either is missing or
/// the link exists).
pub async fn link_type_resource<'e>(
    ex: impl Executor<'e, Database = Any>,
    type_slug: &str,
    resource_name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into booking_type_resources (booking_type_id, resource_id) \
         select t.id, r.id from booking_types t, booking_resources r \
         where t.slug = $1 and r.name = $2 and not exists ( \
             select 1 from booking_type_resources x where x.booking_type_id = t.id and x.resource_id = r.id)",
    )
    .bind(type_slug)
    .bind(resource_name)
    .execute(ex)
    .await?;
    Ok(())
}

/// Weekly hours, only when there are none yet: (weekday 1–7, opens, closes).
pub async fn insert_hours_if_none(
    conn: &mut AnyConnection,
    rows: &[(i64, &str, &str)],
    now: i64,
) -> Result<usize, sqlx::Error> {
    let existing: i64 = sqlx::query_scalar("select count(*) from opening_hours")
        .fetch_one(&mut *conn)
        .await?;
    if existing > 0 {
        return Ok(0);
    }
    for (weekday, opens, closes) in rows {
        sqlx::query(
            "insert into opening_hours (id, weekday, opens, closes, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $5)",
        )
        .bind(crate::db::new_id())
        .bind(weekday)
        .bind(opens)
        .bind(closes)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(rows.len())
}

/// A closure of `day` (`YYYY-MM-DD`), unless the day has an override.
pub async fn insert_closure_unless_set<'e>(
    ex: impl Executor<'e, Database = Any>,
    day: &str,
    note: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into date_overrides (id, day, closed, note, created_at, updated_at) \
         select $1, $2, 1, $3, $4, $4 \
         where not exists (select 1 from date_overrides where day = $2)",
    )
    .bind(crate::db::new_id())
    .bind(day)
    .bind(note)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the bookings made as a guest with `email` (any case) to the account `user_id`, once
/// the account confirmed that address; how many moved.
pub async fn attach_guest(
    conn: &mut AnyConnection,
    user_id: &str,
    email: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update bookings set user_id = $1, updated_at = $3 \
         where user_id is null and lower(email) = $2",
    )
    .bind(user_id)
    .bind(email.to_lowercase())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Marks a booking reminded if it is still confirmed at `starts_at` and not reminded yet;
/// whether it was (the caller then queues the reminder in the same transaction).
pub async fn mark_reminded(
    conn: &mut AnyConnection,
    id: &str,
    starts_at: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update bookings set reminded_at = $3 \
         where id = $1 and status = 'confirmed' and starts_at = $2 and reminded_at is null",
    )
    .bind(id)
    .bind(starts_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the weekly hours with `rows` (weekday, opens, closes), in the caller's
/// transaction.
pub async fn replace_hours(
    conn: &mut AnyConnection,
    rows: &[(i64, String, String)],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from opening_hours")
        .execute(&mut *conn)
        .await?;
    for (weekday, opens, closes) in rows {
        sqlx::query(
            "insert into opening_hours (id, weekday, opens, closes, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $5)",
        )
        .bind(crate::db::new_id())
        .bind(weekday)
        .bind(opens)
        .bind(closes)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Sets a date's override (closed when `hours` is none), replacing what the date had.
pub async fn replace_override(
    conn: &mut AnyConnection,
    day: &str,
    hours: Option<(String, String)>,
    note: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from date_overrides where day = $1")
        .bind(day)
        .execute(&mut *conn)
        .await?;
    let (opens, closes) = hours.unzip();
    sqlx::query(
        "insert into date_overrides (id, day, closed, opens, closes, note, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(crate::db::new_id())
    .bind(day)
    .bind(i64::from(opens.is_none()))
    .bind(opens)
    .bind(closes)
    .bind(note)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes an override row; the row, if it existed.
pub async fn delete_override(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<OverrideRow>, sqlx::Error> {
    sqlx::query_as(
        "delete from date_overrides where id = $1 \
         returning id, day, closed, opens, closes, note",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// A booking type's name by id.
pub async fn type_name<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select name from booking_types where id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// Replaces the resources a type needs.
pub async fn replace_type_resources(
    conn: &mut AnyConnection,
    type_id: &str,
    resources: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from booking_type_resources where booking_type_id = $1")
        .bind(type_id)
        .execute(&mut *conn)
        .await?;
    for r in resources {
        sqlx::query(
            "insert into booking_type_resources (booking_type_id, resource_id) values ($1, $2)",
        )
        .bind(type_id)
        .bind(r)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Bookings waiting for staff to confirm them (the dashboard).
pub async fn count_pending<'e>(ex: impl Executor<'e, Database = Any>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from bookings where status = 'pending'")
        .fetch_one(ex)
        .await
}

/// A booking as the reports count it: when it starts and its status.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Scheduled {
    pub starts_at: i64,
    pub status: String,
}

/// The bookings that start in `[from, to)` and got past their hold (held and expired ones are
/// left out), in start order.
pub async fn scheduled_between<'e>(
    ex: impl Executor<'e, Database = Any>,
    from: i64,
    to: i64,
) -> Result<Vec<Scheduled>, sqlx::Error> {
    sqlx::query_as(
        "select starts_at, status from bookings \
         where starts_at >= $1 and starts_at < $2 and status not in ('held', 'expired') \
         order by starts_at",
    )
    .bind(from)
    .bind(to)
    .fetch_all(ex)
    .await
}

/// How many bookings are still to come (pending or confirmed, starting from `now`).
pub async fn count_upcoming<'e>(
    ex: impl Executor<'e, Database = Any>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from bookings where starts_at >= $1 and status in ('pending', 'confirmed')",
    )
    .bind(now)
    .fetch_one(ex)
    .await
}

/// Per resource, the seconds its claims occupy within `[from, to)` (buffers included): every
/// resource, active or not, with zero when unclaimed. A cancelled or expired booking has
/// given its claims back.
pub async fn occupied_between<'e>(
    ex: impl Executor<'e, Database = Any>,
    from: i64,
    to: i64,
) -> Result<Vec<(ResourceRow, i64)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        resource: ResourceRow,
        occupied: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select r.id, r.name, r.kind, r.capacity, r.active, cast(coalesce(( \
             select sum((case when c.occupied_to < $2 then c.occupied_to else $2 end) \
                      - (case when c.occupied_from > $1 then c.occupied_from else $1 end)) \
             from booking_claims c \
             where c.resource_id = r.id and c.occupied_to > $1 and c.occupied_from < $2), 0) as bigint) as occupied \
         from booking_resources r order by r.sort_order, r.name",
    )
    .bind(from)
    .bind(to)
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(|r| (r.resource, r.occupied)).collect())
}
