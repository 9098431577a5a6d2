-- Order lines as the admin lists and exports them (`orders::tables::ORDER_LINES`): each line
-- with its order's number, time, status, currency and customer. A view, read only: the
-- lines are written by orders' own SQL. Its `created_at` and `status` are the order's, so
-- the orders table's filters (placed between two days, a status) select the same orders'
-- lines here.
--
-- `cross join` keeps the orders as the outer loop on SQLite (which reads it as a fixed join
-- order): a page newest first walks the orders' (created_at, id) index and each order's lines,
-- instead of sorting every line. PostgreSQL plans it as the inner join it is.
create view order_line_rows as
select l.id, cast(1 as bigint) as version, o.number, o.created_at, o.status, o.currency,
       o.email, o.name, l.title, l.options_label, l.product_slug, l.kind, l.quantity,
       l.unit_price_minor, l.total_minor, l.order_id
from orders o cross join order_lines l
where l.order_id = o.id;

-- Orders of one status, newest first (the orders table's status filter, and these lines').
create index orders_status_created_idx on orders (status, created_at, id);
