-- Keeps `sales_hours` (migrations/20261205000023) in step with payments and refunds, in the
-- transaction that changes them, whoever changes them; then fills it with what was there.
-- A change subtracts the row's old contribution and adds its new one. Creating the triggers
-- locks both tables against writes until this migration commits, so no payment captured by
-- a pod still running the previous version slips between the backfill and the triggers.

create function sales_hours_add(at_hour bigint, cur text, purp text, n_payments bigint,
                                captured bigint, n_refunds bigint, refunded bigint)
returns void language plpgsql as $$
begin
  insert into sales_hours (hour, currency, purpose, payments, captured_minor, refunds, refunded_minor)
  values (at_hour, cur, purp, n_payments, captured, n_refunds, refunded)
  on conflict (hour, currency, purpose) do update set
    payments = sales_hours.payments + excluded.payments,
    captured_minor = sales_hours.captured_minor + excluded.captured_minor,
    refunds = sales_hours.refunds + excluded.refunds,
    refunded_minor = sales_hours.refunded_minor + excluded.refunded_minor;
end $$;

create function payments_sales() returns trigger language plpgsql as $$
begin
  if tg_op <> 'INSERT' then
    if old.paid_at is not null and old.captured_minor > 0 then
      perform sales_hours_add(old.paid_at / 3600, old.currency, old.purpose, -1, -old.captured_minor, 0, 0);
    end if;
  end if;
  if tg_op <> 'DELETE' then
    if new.paid_at is not null and new.captured_minor > 0 then
      perform sales_hours_add(new.paid_at / 3600, new.currency, new.purpose, 1, new.captured_minor, 0, 0);
    end if;
  end if;
  return null;
end $$;

create function refunds_sales() returns trigger language plpgsql as $$
declare
  paid_for text;
begin
  -- The payment's purpose (a refund whose payment is gone counts nowhere; none is deleted).
  if tg_op <> 'INSERT' then
    if old.status = 'succeeded' then
      select purpose into paid_for from payments where id = old.payment_id;
      if paid_for is not null then
        perform sales_hours_add(old.created_at / 3600, old.currency, paid_for, 0, 0, -1, -old.amount_minor);
      end if;
    end if;
  end if;
  if tg_op <> 'DELETE' then
    if new.status = 'succeeded' then
      select purpose into paid_for from payments where id = new.payment_id;
      if paid_for is not null then
        perform sales_hours_add(new.created_at / 3600, new.currency, paid_for, 0, 0, 1, new.amount_minor);
      end if;
    end if;
  end if;
  return null;
end $$;

create trigger payments_sales after insert or update of paid_at, captured_minor, currency, purpose or delete
  on payments for each row execute function payments_sales();
create trigger refunds_sales after insert or update of status, amount_minor, created_at, currency or delete
  on refunds for each row execute function refunds_sales();

insert into sales_hours (hour, currency, purpose, payments, captured_minor, refunds, refunded_minor)
select hour, currency, purpose, sum(payments), sum(captured), sum(refunds), sum(refunded) from (
  select paid_at / 3600 as hour, currency, purpose, 1 as payments, captured_minor as captured,
         0 as refunds, 0 as refunded
  from payments where paid_at is not null and captured_minor > 0
  union all
  select r.created_at / 3600, r.currency, p.purpose, 0, 0, 1, r.amount_minor
  from refunds r join payments p on p.id = r.payment_id where r.status = 'succeeded'
) moved group by hour, currency, purpose;
