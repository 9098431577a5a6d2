-- Bookings (issue 15): what can be booked (types, resources with a capacity), when the studio
-- is open (weekly hours and date overrides, civil times in the studio's zone), and the
-- bookings themselves (UTC instants, epoch seconds).
--
-- Statuses are written only by `bookings::model::Status::can_move_to` through conditional
-- updates (`... where status = <from>`). A placement takes the row lock of every resource its
-- type needs (`update booking_resources set lock_version = lock_version + 1 ...`) before it
-- re-checks availability and inserts: on PostgreSQL two placements sharing a resource queue
-- on those rows, on SQLite the write transaction (`BEGIN IMMEDIATE`) already serialises them.

create table booking_resources (
    id text primary key,
    name text not null,
    kind text not null check (kind in ('room', 'crew', 'kit')),
    capacity bigint not null check (capacity between 1 and 100),
    active bigint not null default 1,
    sort_order bigint not null default 0,
    -- Bumped by every placement that needs the resource: its row lock.
    lock_version bigint not null default 0,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);

create table booking_types (
    id text primary key,
    slug text not null,
    name text not null,
    description text not null default '',
    -- minutes (length_value minutes), half_day, full_day, days (length_value working days)
    length_kind text not null check (length_kind in ('minutes', 'half_day', 'full_day', 'days')),
    length_value bigint not null default 0 check (length_value between 0 and 10080),
    skip_closed_days bigint not null default 0,
    buffer_before_minutes bigint not null default 0 check (buffer_before_minutes between 0 and 1440),
    buffer_after_minutes bigint not null default 0 check (buffer_after_minutes between 0 and 1440),
    min_notice_minutes bigint not null default 0 check (min_notice_minutes between 0 and 525600),
    horizon_days bigint not null default 90 check (horizon_days between 1 and 730),
    slot_step_minutes bigint not null default 30 check (slot_step_minutes between 5 and 1440),
    -- 1: a booking is confirmed at once; 0: it waits for staff.
    auto_confirm bigint not null default 1,
    price_minor bigint not null default 0 check (price_minor >= 0),
    currency text not null,
    deposit_kind text not null default 'none' check (deposit_kind in ('none', 'fixed', 'percent')),
    -- Minor units (fixed) or a whole percentage (percent).
    deposit_value bigint not null default 0 check (deposit_value >= 0),
    -- The deposit is refunded in full when cancelled at least this many days before the start,
    -- not at all after.
    refund_full_days bigint not null default 7 check (refund_full_days between 0 and 365),
    -- Customers may cancel or move a booking themselves until this many hours before it starts.
    self_service_cutoff_hours bigint not null default 24 check (self_service_cutoff_hours between 0 and 8760),
    -- Where it can happen: any of studio, client, video (comma-separated).
    locations text not null default 'studio',
    active bigint not null default 1,
    sort_order bigint not null default 0,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index booking_types_slug_key on booking_types (slug);

create table booking_type_resources (
    booking_type_id text not null references booking_types (id) on delete cascade,
    resource_id text not null references booking_resources (id) on delete cascade,
    primary key (booking_type_id, resource_id)
);

-- Weekly hours: several intervals a day; weekday 1 = Monday .. 7 = Sunday; 'HH:MM', closes
-- '00:00' meaning midnight at the end of the day.
create table opening_hours (
    id text primary key,
    weekday bigint not null check (weekday between 1 and 7),
    opens text not null,
    closes text not null,
    created_at bigint not null,
    updated_at bigint not null
);
create index opening_hours_weekday_idx on opening_hours (weekday);

-- A date's own hours (several rows for several intervals) or a closure (closed = 1, no hours).
create table date_overrides (
    id text primary key,
    day text not null,
    closed bigint not null default 0,
    opens text,
    closes text,
    note text not null default '',
    created_at bigint not null,
    updated_at bigint not null
);
create index date_overrides_day_idx on date_overrides (day);

-- Human references (BK-000123) come from this counter, bumped in the placing transaction.
create table booking_counter (
    id bigint primary key check (id = 1),
    value bigint not null
);
insert into booking_counter (id, value) values (1, 0);

create table bookings (
    id text primary key,
    reference text not null,
    booking_type_id text not null references booking_types (id),
    -- What was booked, as it was: the type may be renamed or repriced later.
    type_name text not null,
    status text not null check (status in ('held', 'pending', 'confirmed', 'completed', 'no_show', 'cancelled', 'expired')),
    starts_at bigint not null,
    ends_at bigint not null,
    buffer_before_minutes bigint not null,
    buffer_after_minutes bigint not null,
    user_id text references users (id) on delete set null,
    name text not null,
    email text not null,
    phone text not null default '',
    location text not null,
    address text not null default '',
    customer_notes text not null default '',
    staff_notes text not null default '',
    currency text not null,
    price_minor bigint not null default 0,
    deposit_minor bigint not null default 0,
    -- The cancellation policy when the booking was made (JSON): refunds follow it, not today's.
    policy text not null,
    -- Raised on every change the customer is told about (the .ics SEQUENCE).
    sequence bigint not null default 0,
    -- A hold (a deposit's checkout open) blocks the slot until this instant.
    hold_expires_at bigint,
    -- Hash of the placing client (rate limits and the per-client cap).
    client_hash text not null default '',
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null,
    cancelled_at bigint,
    cancel_reason text not null default ''
);
create unique index bookings_reference_key on bookings (reference);
create index bookings_starts_idx on bookings (starts_at);
create index bookings_user_idx on bookings (user_id, starts_at);
create index bookings_status_idx on bookings (status, hold_expires_at);
create index bookings_guest_email_idx on bookings (lower(email)) where user_id is null;

-- The resources a booking occupies, with its occupied interval (its time plus its buffers):
-- availability reads these by resource and time, and they go with the booking's status.
create table booking_claims (
    booking_id text not null references bookings (id) on delete cascade,
    resource_id text not null references booking_resources (id),
    occupied_from bigint not null,
    occupied_to bigint not null,
    primary key (booking_id, resource_id)
);
create index booking_claims_resource_idx on booking_claims (resource_id, occupied_to, occupied_from);
