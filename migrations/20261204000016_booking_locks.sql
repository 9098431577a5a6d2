-- Placement locks by resource and hour. A placement (or a move) takes the row of every
-- (resource, hour) its occupied interval touches, in order, before it checks availability
-- again and writes: two bookings whose occupied intervals overlap share an hour, so they
-- queue; bookings on different hours of the same room no longer wait for each other. On
-- SQLite the write transaction serialises placements anyway.
create table booking_locks (
    resource_id text not null references booking_resources (id) on delete cascade,
    -- Epoch seconds / 3600.
    hour bigint not null,
    taken bigint not null default 0,
    primary key (resource_id, hour)
);
