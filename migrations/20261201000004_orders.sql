-- Orders, payments, refunds, webhook events and digital downloads.
--
-- Statuses are written only by the state machines in `orders::state` and `payments::state`;
-- every status change is a conditional update (`... where status = <from>`), so two requests
-- racing for one transition see exactly one winner. Amounts are integer minor units.

-- Human order numbers (FS-000123) come from this counter, bumped inside the placing transaction.
create table counters (
    name text primary key,
    value bigint not null
);
insert into counters (name, value) values ('order_number', 0);

create table orders (
    id text primary key,
    number text not null,
    status text not null check (status in ('pending_payment', 'paid', 'fulfilled', 'cancelled', 'expired')),
    user_id text references users (id) on delete set null,
    -- The cart the order was placed from (`carts.owner_key`) and a hash of its lines and prices:
    -- placing the same cart twice finds the same order (double submit, back button, two tabs).
    cart_key text not null,
    fingerprint text not null,
    email text not null,
    name text not null,
    phone text not null default '',
    ship_line1 text,
    ship_line2 text,
    ship_city text,
    ship_postcode text,
    ship_country text,
    currency text not null,
    subtotal_minor bigint not null check (subtotal_minor >= 0),
    total_minor bigint not null check (total_minor >= 0),
    has_prints bigint not null default 0,
    has_digital bigint not null default 0,
    -- Stock is held until this time unless the order is paid.
    hold_expires_at bigint not null,
    tracking_note text,
    staff_note text not null default '',
    -- Set when something needs a person (for example a payment for an expired order).
    attention text,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null,
    paid_at bigint,
    fulfilled_at bigint,
    closed_at bigint
);
create unique index orders_number_key on orders (number);
create index orders_cart_status_idx on orders (cart_key, status);
create index orders_user_idx on orders (user_id, created_at);
create index orders_status_hold_idx on orders (status, hold_expires_at);
create index orders_created_idx on orders (created_at);

-- A snapshot of each cart line at the time of the order: later catalog edits change nothing here.
create table order_lines (
    id text primary key,
    order_id text not null references orders (id) on delete cascade,
    position bigint not null,
    product_id text references products (id) on delete set null,
    product_slug text not null,
    kind text not null check (kind in ('print', 'digital')),
    title text not null,
    options_label text not null default '',
    option_key text not null default '',
    unit_price_minor bigint not null check (unit_price_minor >= 0),
    quantity bigint not null check (quantity > 0),
    total_minor bigint not null check (total_minor >= 0),
    -- Stock taken from products.stock for this line (0 when the product is not counted).
    held bigint not null default 0,
    digital_media_id text references media (id) on delete set null
);
create index order_lines_order_idx on order_lines (order_id, position);
create index order_lines_product_idx on order_lines (product_id);

-- One row per payment attempt (a new attempt after a failed or expired one).
create table payments (
    id text primary key,
    order_id text not null references orders (id) on delete cascade,
    attempt bigint not null,
    gateway text not null,
    status text not null check (status in ('unpaid', 'paid', 'partially_refunded', 'refunded', 'failed')),
    amount_minor bigint not null check (amount_minor >= 0),
    currency text not null,
    captured_minor bigint not null default 0,
    refunded_minor bigint not null default 0,
    session_id text,
    checkout_url text,
    session_expires_at bigint,
    payment_intent text,
    failure text,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null,
    paid_at bigint
);
create unique index payments_attempt_key on payments (order_id, attempt);
create unique index payments_session_key on payments (session_id);
create index payments_intent_idx on payments (payment_intent);

create table refunds (
    id text primary key,
    payment_id text not null references payments (id) on delete cascade,
    order_id text not null references orders (id) on delete cascade,
    -- 1, 2, ... per payment: the idempotency key is refund:{payment_id}:{seq}.
    seq bigint not null,
    amount_minor bigint not null check (amount_minor > 0),
    currency text not null,
    reason text not null default '',
    status text not null check (status in ('pending', 'succeeded', 'failed', 'canceled')),
    gateway_refund_id text,
    failure text,
    created_by text references users (id) on delete set null,
    -- The form's one-time key: a double-clicked refund button makes one refund.
    request_key text,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index refunds_seq_key on refunds (payment_id, seq);
create unique index refunds_request_key on refunds (request_key);
create unique index refunds_gateway_key on refunds (gateway_refund_id);
create index refunds_order_idx on refunds (order_id);

-- Every gateway event, stored once by its id in the same transaction as its effects.
-- outcome: applied | ignored | deferred (waiting for an earlier event; re-applied when it
-- arrives) | error (kept for replay from the admin).
create table webhook_events (
    id text primary key,
    type text not null,
    source text not null,
    -- What the event is about, to find deferred events (a payment intent id).
    ref text,
    payload text not null,
    outcome text not null,
    error text,
    attempts bigint not null default 1,
    created_at bigint not null,
    received_at bigint not null,
    processed_at bigint
);
create index webhook_events_received_idx on webhook_events (received_at);
create index webhook_events_ref_idx on webhook_events (ref, outcome);

-- Download links of paid digital products: expiring and limited in uses.
create table downloads (
    id text primary key,
    order_id text not null references orders (id) on delete cascade,
    order_line_id text not null references order_lines (id) on delete cascade,
    token_hash text not null,
    expires_at bigint not null,
    max_uses bigint not null,
    uses bigint not null default 0,
    created_at bigint not null,
    last_used_at bigint
);
create unique index downloads_token_key on downloads (token_hash);
create unique index downloads_line_key on downloads (order_line_id);
