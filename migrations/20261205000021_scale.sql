-- Issue 17: the site and the admin with years of data.
--
-- One number that moves whenever something the public pages show changes. The triggers that
-- bump it are per database (migrations-sqlite/, migrations-postgres/); replicas compare it
-- with the number their snapshot was read at and reload only when it moved.
create table content_version (
    id bigint primary key check (id = 1),
    version bigint not null
);
insert into content_version (id, version) values (1, 0);

-- The dashboard's work waiting and this week's figures: each count reads only the rows it
-- counts, however many orders, emails and webhook events there have been.
-- (Both columns lead the index: SQLite then prefers it to the (status, hold) index.)
create index orders_to_ship_idx on orders (status, has_prints, created_at) where status = 'paid' and has_prints = 1;
create index orders_attention_idx on orders (created_at) where attention is not null;
create index emails_status_idx on emails (status, created_at);
create index webhook_events_error_idx on webhook_events (received_at) where outcome = 'error';
create index users_role_created_idx on users (role, created_at);

-- The admin tables' default orders, with the row id that breaks ties: a page is read from the
-- index, and the next page starts where the last one ended (keyset) instead of skipping rows.
create index orders_created_id_idx on orders (created_at, id);
create index quotes_created_id_idx on quotes (created_at, id);
create index bookings_starts_id_idx on bookings (starts_at, id);
create index products_updated_id_idx on products (updated_at, id);
create index reviews_created_id_idx on reviews (created_at, id);
create index contact_messages_created_id_idx on contact_messages (created_at, id);
create index sessions_last_seen_idx on sessions (last_seen_at);
