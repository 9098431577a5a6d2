-- Order lines as the admin lists and exports them (`orders::tables::ORDER_LINES`): each line
-- with its order's number, time, status, currency and customer. A view, read only: the
-- lines are written by orders' own SQL. Its `created_at` and `status` are the order's, so
-- the orders table's filters (placed between two days, a status) select the same orders'
-- lines here.
create view order_line_rows as
select l.id, cast(1 as bigint) as version, o.number, o.created_at, o.status, o.currency,
       o.email, o.name, l.title, l.options_label, l.product_slug, l.kind, l.quantity,
       l.unit_price_minor, l.total_minor, l.order_id
from order_lines l join orders o on o.id = l.order_id;
