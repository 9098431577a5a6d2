-- Customers (src/customers): staff see everyone who dealt with the studio, with or without
-- an account, and can disable an account.
--
-- A customer is an email address (lowercased and trimmed): an account's, or one a guest
-- ordered, booked, asked for a quote or wrote to the studio with. `customers` holds one row
-- per address with its counts and when it was first and last seen; `customer_spend` holds
-- what it paid, per currency (captured minus refunded, over orders, booking deposits and
-- quote payments). Both are kept by the triggers of `migrations-sqlite/` and
-- `migrations-postgres/` (20261205000026), in the transaction that changes the rows they
-- count, and filled there with what was before. Nothing else writes them.
alter table users add column disabled_at bigint;

create table customers (
    id text primary key,
    email text not null,
    -- The account's display name, else the first name given with an order, booking or quote.
    name text not null default '',
    -- The account whose email this is now, and its state.
    user_id text,
    account text not null default 'none' check (account in ('none', 'active', 'disabled')),
    -- Orders paid (paid or fulfilled), bookings made (pending, confirmed, completed or no-show),
    -- quote requests, messages.
    orders bigint not null default 0,
    bookings bigint not null default 0,
    quotes bigint not null default 0,
    messages bigint not null default 0,
    first_seen_at bigint not null,
    -- The newest account, order, booking, quote request or message.
    last_activity_at bigint not null,
    version bigint not null default 1,
    updated_at bigint not null
);
create unique index customers_email_key on customers (email);
create index customers_activity_idx on customers (last_activity_at, id);
create index customers_orders_idx on customers (orders, id);
create index customers_user_idx on customers (user_id);

create table customer_spend (
    email text not null,
    currency text not null,
    net_minor bigint not null default 0,
    primary key (email, currency)
);

-- A customer's timeline reads their messages and the emails sent to them by address.
create index contact_messages_email_idx on contact_messages (lower(email), created_at);
create index emails_to_idx on emails (lower(to_address), created_at);
