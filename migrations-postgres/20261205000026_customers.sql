-- Keeps `customers` and `customer_spend` (migrations/20261205000025) in step with the rows
-- they count, in the transaction that changes those rows, whoever changes them; then fills
-- them with what was there. Creating the triggers locks the counted tables against writes
-- until this migration commits, so nothing written by a pod still on the previous version
-- slips between the backfill and the triggers.

-- Someone was seen at `at` under `addr`: their row, created if new, with the counts added.
create function customers_add(addr text, who text, at bigint, n_orders bigint, n_bookings bigint,
                              n_quotes bigint, n_messages bigint)
returns void language plpgsql as $$
begin
  insert into customers (id, email, name, first_seen_at, last_activity_at, updated_at,
                         orders, bookings, quotes, messages)
  values (gen_random_uuid()::text, lower(trim(addr)), coalesce(who, ''), at, at, at,
          n_orders, n_bookings, n_quotes, n_messages)
  on conflict (email) do update set
    name = case when customers.name = '' then excluded.name else customers.name end,
    first_seen_at = least(customers.first_seen_at, excluded.first_seen_at),
    last_activity_at = greatest(customers.last_activity_at, excluded.last_activity_at),
    orders = customers.orders + excluded.orders,
    bookings = customers.bookings + excluded.bookings,
    quotes = customers.quotes + excluded.quotes,
    messages = customers.messages + excluded.messages,
    version = customers.version + 1,
    updated_at = greatest(customers.updated_at, excluded.updated_at);
end $$;

-- A count of `addr` moved (a status changed, a row was deleted).
create function customers_count(addr text, d_orders bigint, d_bookings bigint, d_quotes bigint,
                                d_messages bigint)
returns void language plpgsql as $$
begin
  if d_orders <> 0 or d_bookings <> 0 or d_quotes <> 0 or d_messages <> 0 then
    update customers set orders = orders + d_orders, bookings = bookings + d_bookings,
           quotes = quotes + d_quotes, messages = messages + d_messages, version = version + 1
     where email = lower(trim(addr));
  end if;
end $$;

create function order_paid(status text) returns bigint language sql immutable as $$
  select case when status in ('paid', 'fulfilled') then 1 else 0 end::bigint
$$;
create function booking_made(status text) returns bigint language sql immutable as $$
  select case when status in ('pending', 'confirmed', 'completed', 'no_show') then 1 else 0 end::bigint
$$;

create function orders_customers() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    perform customers_add(new.email, new.name, new.created_at, order_paid(new.status), 0, 0, 0);
  elsif tg_op = 'UPDATE' then
    perform customers_count(new.email, order_paid(new.status) - order_paid(old.status), 0, 0, 0);
  else
    perform customers_count(old.email, -order_paid(old.status), 0, 0, 0);
  end if;
  return null;
end $$;

create function bookings_customers() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    perform customers_add(new.email, new.name, new.created_at, 0, booking_made(new.status), 0, 0);
  elsif tg_op = 'UPDATE' then
    perform customers_count(new.email, 0, booking_made(new.status) - booking_made(old.status), 0, 0);
  else
    perform customers_count(old.email, 0, -booking_made(old.status), 0, 0);
  end if;
  return null;
end $$;

create function quotes_customers() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    perform customers_add(new.email, new.name, new.created_at, 0, 0, 1, 0);
  else
    perform customers_count(old.email, 0, 0, -1, 0);
  end if;
  return null;
end $$;

create function contact_messages_customers() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    perform customers_add(new.email, new.name, new.created_at, 0, 0, 0, 1);
  else
    perform customers_count(old.email, 0, 0, 0, -1);
  end if;
  return null;
end $$;

-- An account: its address's row points at it, and says whether it is disabled.
create function users_customers() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    update customers set user_id = null, account = 'none', version = version + 1
     where user_id = old.id;
    return null;
  end if;
  if tg_op = 'UPDATE' then
    update customers set user_id = null, account = 'none', version = version + 1
     where user_id = old.id and email <> lower(trim(new.email));
  end if;
  perform customers_add(new.email, new.display_name, new.created_at, 0, 0, 0, 0);
  update customers set user_id = new.id,
         account = case when new.disabled_at is null then 'active' else 'disabled' end,
         name = case when coalesce(new.display_name, '') <> '' then new.display_name else name end,
         version = version + 1
   where email = lower(trim(new.email));
  return null;
end $$;

create trigger orders_customers after insert or update of status or delete on orders
  for each row execute function orders_customers();
create trigger bookings_customers after insert or update of status or delete on bookings
  for each row execute function bookings_customers();
create trigger quotes_customers after insert or delete on quotes
  for each row execute function quotes_customers();
create trigger contact_messages_customers after insert or delete on contact_messages
  for each row execute function contact_messages_customers();
create trigger users_customers after insert or update of email, display_name, disabled_at or delete on users
  for each row execute function users_customers();

-- What a customer paid: a payment's captured minus refunded amount, under the email of the
-- order, booking or quote it paid for. A change subtracts the old amount and adds the new.
create function payment_email(purpose text, subject text) returns text language sql stable as $$
  select case purpose
    when 'order' then (select email from orders where id = subject)
    when 'booking' then (select email from bookings where id = subject)
    when 'quote' then (select email from quotes where id = subject)
  end
$$;

create function customer_spend_add(addr text, cur text, amount bigint) returns void
language plpgsql as $$
begin
  if addr is not null and amount <> 0 then
    insert into customer_spend (email, currency, net_minor) values (lower(trim(addr)), cur, amount)
    on conflict (email, currency) do update set net_minor = customer_spend.net_minor + excluded.net_minor;
  end if;
end $$;

create function payments_spend() returns trigger language plpgsql as $$
begin
  if tg_op <> 'INSERT' and old.captured_minor > 0 then
    perform customer_spend_add(payment_email(old.purpose, old.order_id), old.currency,
                               -(old.captured_minor - old.refunded_minor));
  end if;
  if tg_op <> 'DELETE' and new.captured_minor > 0 then
    perform customer_spend_add(payment_email(new.purpose, new.order_id), new.currency,
                               new.captured_minor - new.refunded_minor);
  end if;
  return null;
end $$;

create trigger payments_spend after insert or update of captured_minor, refunded_minor, currency or delete
  on payments for each row execute function payments_spend();

-- The admin's search (`tables::TableSpec::search_index`).
create index customers_email_trgm on customers using gin (lower(email) gin_trgm_ops);
create index customers_name_trgm on customers using gin (lower(name) gin_trgm_ops);

-- What was there before.
insert into customers (id, email, name, first_seen_at, last_activity_at, updated_at, orders, bookings, quotes, messages)
select gen_random_uuid()::text, email, max(name), min(at), max(at), max(at), sum(o), sum(b), sum(q), sum(m) from (
  select lower(trim(email)) as email, name, created_at as at, order_paid(status) as o,
         0::bigint as b, 0::bigint as q, 0::bigint as m
  from orders
  union all select lower(trim(email)), name, created_at, 0, booking_made(status), 0, 0 from bookings
  union all select lower(trim(email)), name, created_at, 0, 0, 1, 0 from quotes
  union all select lower(trim(email)), name, created_at, 0, 0, 0, 1 from contact_messages
  union all select lower(trim(email)), coalesce(display_name, ''), created_at, 0, 0, 0, 0 from users
) seen group by email;
update customers set user_id = u.id,
       account = case when u.disabled_at is null then 'active' else 'disabled' end,
       name = case when coalesce(u.display_name, '') <> '' then u.display_name else customers.name end
  from users u where lower(trim(u.email)) = customers.email;
insert into customer_spend (email, currency, net_minor)
select email, currency, sum(net) from (
  select lower(trim(payment_email(p.purpose, p.order_id))) as email, p.currency,
         p.captured_minor - p.refunded_minor as net
  from payments p where p.captured_minor > 0
) paid where email is not null group by email, currency;
