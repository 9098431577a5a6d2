-- The reports (src/analytics): money by the hour it moved, kept by triggers.
--
-- `sales_hours` holds, per UTC hour (epoch seconds / 3600), currency and purpose, how many
-- payments were captured in that hour and their sum (by `paid_at`), and how many refunds
-- that succeeded were issued in it and their sum (by the refund's `created_at`). The triggers
-- that keep it, and the backfill of what was there before, are in `migrations-sqlite/` and
-- `migrations-postgres/` (20261205000024). A report reads whole hours from here and only the
-- minutes at its edges (a zone half an hour off UTC) from the payments themselves.
create table sales_hours (
    hour bigint not null,
    currency text not null,
    purpose text not null,
    payments bigint not null default 0,
    captured_minor bigint not null default 0,
    refunds bigint not null default 0,
    refunded_minor bigint not null default 0,
    primary key (hour, currency, purpose)
);

-- The edges of a period, and the best sellers' order payments, read from the index alone.
create index payments_paid_at_idx on payments (paid_at, purpose, captured_minor, currency, order_id);
create index refunds_created_at_idx on refunds (created_at);
-- Abandoned checkouts: only the orders that ended unpaid are indexed.
create index orders_abandoned_idx on orders (created_at) where status in ('expired', 'cancelled');
-- Best sellers read a period's order lines from the index alone.
create index order_lines_sales_idx on order_lines (order_id, product_id, product_slug, quantity, total_minor);
