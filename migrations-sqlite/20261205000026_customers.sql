-- Keeps `customers` and `customer_spend` (migrations/20261205000025) in step with the rows
-- they count, in the transaction that changes those rows, whoever changes them; then fills
-- them with what was there. Ids are random UUIDs (version 4), as the app's own are UUIDs.

create trigger orders_customers_ai after insert on orders begin
  insert into customers (id, email, name, first_seen_at, last_activity_at, updated_at, orders, bookings, quotes, messages)
    values (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))), lower(trim(new.email)), new.name, new.created_at, new.created_at, new.created_at, case when new.status in ('paid', 'fulfilled') then 1 else 0 end, 0, 0, 0)
    on conflict (email) do update set
      name = case when customers.name = '' then excluded.name else customers.name end,
      first_seen_at = min(customers.first_seen_at, excluded.first_seen_at),
      last_activity_at = max(customers.last_activity_at, excluded.last_activity_at),
      orders = customers.orders + excluded.orders, bookings = customers.bookings + excluded.bookings,
      quotes = customers.quotes + excluded.quotes, messages = customers.messages + excluded.messages,
      version = customers.version + 1, updated_at = max(customers.updated_at, excluded.updated_at);
end;
create trigger orders_customers_au after update of status on orders
when (case when new.status in ('paid', 'fulfilled') then 1 else 0 end) <> (case when old.status in ('paid', 'fulfilled') then 1 else 0 end) begin
  update customers set orders = orders + (case when new.status in ('paid', 'fulfilled') then 1 else 0 end) - (case when old.status in ('paid', 'fulfilled') then 1 else 0 end),
         version = version + 1
   where email = lower(trim(new.email));
end;
create trigger orders_customers_ad after delete on orders begin
  update customers set orders = orders - (case when old.status in ('paid', 'fulfilled') then 1 else 0 end), version = version + 1
   where email = lower(trim(old.email));
end;

create trigger bookings_customers_ai after insert on bookings begin
  insert into customers (id, email, name, first_seen_at, last_activity_at, updated_at, orders, bookings, quotes, messages)
    values (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))), lower(trim(new.email)), new.name, new.created_at, new.created_at, new.created_at, 0, case when new.status in ('pending', 'confirmed', 'completed', 'no_show') then 1 else 0 end, 0, 0)
    on conflict (email) do update set
      name = case when customers.name = '' then excluded.name else customers.name end,
      first_seen_at = min(customers.first_seen_at, excluded.first_seen_at),
      last_activity_at = max(customers.last_activity_at, excluded.last_activity_at),
      orders = customers.orders + excluded.orders, bookings = customers.bookings + excluded.bookings,
      quotes = customers.quotes + excluded.quotes, messages = customers.messages + excluded.messages,
      version = customers.version + 1, updated_at = max(customers.updated_at, excluded.updated_at);
end;
create trigger bookings_customers_au after update of status on bookings
when (case when new.status in ('pending', 'confirmed', 'completed', 'no_show') then 1 else 0 end) <> (case when old.status in ('pending', 'confirmed', 'completed', 'no_show') then 1 else 0 end) begin
  update customers set bookings = bookings + (case when new.status in ('pending', 'confirmed', 'completed', 'no_show') then 1 else 0 end) - (case when old.status in ('pending', 'confirmed', 'completed', 'no_show') then 1 else 0 end),
         version = version + 1
   where email = lower(trim(new.email));
end;
create trigger bookings_customers_ad after delete on bookings begin
  update customers set bookings = bookings - (case when old.status in ('pending', 'confirmed', 'completed', 'no_show') then 1 else 0 end), version = version + 1
   where email = lower(trim(old.email));
end;

create trigger quotes_customers_ai after insert on quotes begin
  insert into customers (id, email, name, first_seen_at, last_activity_at, updated_at, orders, bookings, quotes, messages)
    values (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))), lower(trim(new.email)), new.name, new.created_at, new.created_at, new.created_at, 0, 0, 1, 0)
    on conflict (email) do update set
      name = case when customers.name = '' then excluded.name else customers.name end,
      first_seen_at = min(customers.first_seen_at, excluded.first_seen_at),
      last_activity_at = max(customers.last_activity_at, excluded.last_activity_at),
      orders = customers.orders + excluded.orders, bookings = customers.bookings + excluded.bookings,
      quotes = customers.quotes + excluded.quotes, messages = customers.messages + excluded.messages,
      version = customers.version + 1, updated_at = max(customers.updated_at, excluded.updated_at);
end;
create trigger quotes_customers_ad after delete on quotes begin
  update customers set quotes = quotes - 1, version = version + 1 where email = lower(trim(old.email));
end;

create trigger contact_messages_customers_ai after insert on contact_messages begin
  insert into customers (id, email, name, first_seen_at, last_activity_at, updated_at, orders, bookings, quotes, messages)
    values (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))), lower(trim(new.email)), new.name, new.created_at, new.created_at, new.created_at, 0, 0, 0, 1)
    on conflict (email) do update set
      name = case when customers.name = '' then excluded.name else customers.name end,
      first_seen_at = min(customers.first_seen_at, excluded.first_seen_at),
      last_activity_at = max(customers.last_activity_at, excluded.last_activity_at),
      orders = customers.orders + excluded.orders, bookings = customers.bookings + excluded.bookings,
      quotes = customers.quotes + excluded.quotes, messages = customers.messages + excluded.messages,
      version = customers.version + 1, updated_at = max(customers.updated_at, excluded.updated_at);
end;
create trigger contact_messages_customers_ad after delete on contact_messages begin
  update customers set messages = messages - 1, version = version + 1 where email = lower(trim(old.email));
end;

-- An account: its address's row points at it, and says whether it is disabled.
create trigger users_customers_ai after insert on users begin
  insert into customers (id, email, name, first_seen_at, last_activity_at, updated_at, orders, bookings, quotes, messages)
    values (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))), lower(trim(new.email)), coalesce(new.display_name, ''), new.created_at, new.created_at, new.created_at, 0, 0, 0, 0)
    on conflict (email) do update set
      name = case when customers.name = '' then excluded.name else customers.name end,
      first_seen_at = min(customers.first_seen_at, excluded.first_seen_at),
      last_activity_at = max(customers.last_activity_at, excluded.last_activity_at),
      orders = customers.orders + excluded.orders, bookings = customers.bookings + excluded.bookings,
      quotes = customers.quotes + excluded.quotes, messages = customers.messages + excluded.messages,
      version = customers.version + 1, updated_at = max(customers.updated_at, excluded.updated_at);
  update customers set user_id = new.id, account = case when new.disabled_at is null then 'active' else 'disabled' end,
         name = case when coalesce(new.display_name, '') <> '' then new.display_name else name end,
         version = version + 1
   where email = lower(trim(new.email));
end;
create trigger users_customers_au after update of email, display_name, disabled_at on users begin
  update customers set user_id = null, account = 'none', version = version + 1
   where user_id = old.id and email <> lower(trim(new.email));
  insert into customers (id, email, name, first_seen_at, last_activity_at, updated_at, orders, bookings, quotes, messages)
    values (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))), lower(trim(new.email)), coalesce(new.display_name, ''), new.created_at, new.created_at, new.created_at, 0, 0, 0, 0)
    on conflict (email) do update set
      name = case when customers.name = '' then excluded.name else customers.name end,
      first_seen_at = min(customers.first_seen_at, excluded.first_seen_at),
      last_activity_at = max(customers.last_activity_at, excluded.last_activity_at),
      orders = customers.orders + excluded.orders, bookings = customers.bookings + excluded.bookings,
      quotes = customers.quotes + excluded.quotes, messages = customers.messages + excluded.messages,
      version = customers.version + 1, updated_at = max(customers.updated_at, excluded.updated_at);
  update customers set user_id = new.id, account = case when new.disabled_at is null then 'active' else 'disabled' end,
         name = case when coalesce(new.display_name, '') <> '' then new.display_name else name end,
         version = version + 1
   where email = lower(trim(new.email));
end;
create trigger users_customers_ad after delete on users begin
  update customers set user_id = null, account = 'none', version = version + 1 where user_id = old.id;
end;

-- What a customer paid: a payment's captured minus refunded amount, under the email of the
-- order, booking or quote it paid for. A change subtracts the old amount and adds the new.
create trigger payments_spend_ai after insert on payments when new.captured_minor > 0 begin
  insert into customer_spend (email, currency, net_minor)
  select lower(trim(e)), new.currency, (new.captured_minor - new.refunded_minor)
    from (select case new.purpose when 'order' then (select email from orders where id = new.order_id) when 'booking' then (select email from bookings where id = new.order_id) when 'quote' then (select email from quotes where id = new.order_id) end as e) where e is not null
  on conflict (email, currency) do update set net_minor = customer_spend.net_minor + excluded.net_minor;
end;
create trigger payments_spend_au_old after update of captured_minor, refunded_minor, currency on payments
when old.captured_minor > 0 begin
  insert into customer_spend (email, currency, net_minor)
  select lower(trim(e)), old.currency, -(old.captured_minor - old.refunded_minor)
    from (select case old.purpose when 'order' then (select email from orders where id = old.order_id) when 'booking' then (select email from bookings where id = old.order_id) when 'quote' then (select email from quotes where id = old.order_id) end as e) where e is not null
  on conflict (email, currency) do update set net_minor = customer_spend.net_minor + excluded.net_minor;
end;
create trigger payments_spend_au_new after update of captured_minor, refunded_minor, currency on payments
when new.captured_minor > 0 begin
  insert into customer_spend (email, currency, net_minor)
  select lower(trim(e)), new.currency, (new.captured_minor - new.refunded_minor)
    from (select case new.purpose when 'order' then (select email from orders where id = new.order_id) when 'booking' then (select email from bookings where id = new.order_id) when 'quote' then (select email from quotes where id = new.order_id) end as e) where e is not null
  on conflict (email, currency) do update set net_minor = customer_spend.net_minor + excluded.net_minor;
end;
create trigger payments_spend_ad after delete on payments when old.captured_minor > 0 begin
  insert into customer_spend (email, currency, net_minor)
  select lower(trim(e)), old.currency, -(old.captured_minor - old.refunded_minor)
    from (select case old.purpose when 'order' then (select email from orders where id = old.order_id) when 'booking' then (select email from bookings where id = old.order_id) when 'quote' then (select email from quotes where id = old.order_id) end as e) where e is not null
  on conflict (email, currency) do update set net_minor = customer_spend.net_minor + excluded.net_minor;
end;

-- The admin's search (`tables::TableSpec::search_index`). Its rows share the customers'
-- rowids, so a change finds its row by rowid (not by scanning the unindexed `id`), and only
-- a change of the address or the name touches it: every order upserts its customer.
create virtual table customers_search using fts5(id unindexed, email, name, tokenize = 'trigram');
create trigger customers_search_ai after insert on customers begin
  insert into customers_search (rowid, id, email, name) values (new.rowid, new.id, new.email, new.name);
end;
create trigger customers_search_au after update of email, name on customers
when old.email is not new.email or old.name is not new.name begin
  delete from customers_search where rowid = old.rowid;
  insert into customers_search (rowid, id, email, name) values (new.rowid, new.id, new.email, new.name);
end;
create trigger customers_search_ad after delete on customers begin
  delete from customers_search where rowid = old.rowid;
end;

-- What was there before (in this migration's write transaction: nothing slips between).
insert into customers (id, email, name, first_seen_at, last_activity_at, updated_at, orders, bookings, quotes, messages)
select lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))), email, max(name), min(at), max(at), max(at), sum(o), sum(b), sum(q), sum(m) from (
  select lower(trim(email)) as email, name, created_at as at,
         case when status in ('paid', 'fulfilled') then 1 else 0 end as o, 0 as b, 0 as q, 0 as m
  from orders
  union all
  select lower(trim(email)), name, created_at, 0,
         case when status in ('pending', 'confirmed', 'completed', 'no_show') then 1 else 0 end, 0, 0
  from bookings
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
  select lower(trim(case p.purpose when 'order' then (select email from orders where id = p.order_id) when 'booking' then (select email from bookings where id = p.order_id) when 'quote' then (select email from quotes where id = p.order_id) end)) as email, p.currency, p.captured_minor - p.refunded_minor as net
  from payments p where p.captured_minor > 0
) paid where email is not null group by email, currency;

insert into customers_search (rowid, id, email, name) select rowid, id, email, name from customers;
