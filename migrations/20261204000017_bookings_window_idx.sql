-- The calendar and availability read the bookings of a window: starts within it (or up to
-- the longest booking before it) and ends after its start. With the end in the index, the
-- scan filters on it without reading each row.
drop index bookings_starts_idx;
create index bookings_window_idx on bookings (starts_at, ends_at);
