-- A quote's balance is paid through the payments port too: `purpose` may now be `quote`.
-- Widening a check constraint the portable way means rebuilding both tables again (as in
-- 20261204000015); rows and indexes are kept.
create table payments_next (
    id text primary key,
    purpose text not null default 'order' check (purpose in ('order', 'booking', 'quote')),
    order_id text not null,
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
insert into payments_next (id, purpose, order_id, attempt, gateway, status, amount_minor,
    currency, captured_minor, refunded_minor, session_id, checkout_url, session_expires_at,
    payment_intent, failure, version, created_at, updated_at, paid_at)
select id, purpose, order_id, attempt, gateway, status, amount_minor, currency,
    captured_minor, refunded_minor, session_id, checkout_url, session_expires_at,
    payment_intent, failure, version, created_at, updated_at, paid_at
from payments;

create table refunds_next (
    id text primary key,
    payment_id text not null references payments_next (id) on delete cascade,
    order_id text not null,
    seq bigint not null,
    amount_minor bigint not null check (amount_minor > 0),
    currency text not null,
    reason text not null default '',
    status text not null check (status in ('pending', 'succeeded', 'failed', 'canceled')),
    gateway_refund_id text,
    failure text,
    created_by text references users (id) on delete set null,
    request_key text,
    created_at bigint not null,
    updated_at bigint not null
);
insert into refunds_next (id, payment_id, order_id, seq, amount_minor, currency, reason,
    status, gateway_refund_id, failure, created_by, request_key, created_at, updated_at)
select id, payment_id, order_id, seq, amount_minor, currency, reason, status,
    gateway_refund_id, failure, created_by, request_key, created_at, updated_at
from refunds;

drop table refunds;
drop table payments;
alter table payments_next rename to payments;
alter table refunds_next rename to refunds;

create unique index payments_attempt_key on payments (purpose, order_id, attempt);
create unique index payments_session_key on payments (session_id);
create index payments_intent_idx on payments (payment_intent);
create index payments_order_idx on payments (order_id);
create unique index refunds_seq_key on refunds (payment_id, seq);
create unique index refunds_request_key on refunds (request_key);
create unique index refunds_gateway_key on refunds (gateway_refund_id);
create index refunds_order_idx on refunds (order_id);
