-- Keeps `sales_hours` (migrations/20261205000023) in step with payments and refunds, in the
-- transaction that changes them, whoever changes them; then fills it with what was there.
-- A change subtracts the row's old contribution and adds its new one.

create trigger payments_sales_ai after insert on payments
when new.paid_at is not null and new.captured_minor > 0 begin
  insert or ignore into sales_hours (hour, currency, purpose) values (new.paid_at / 3600, new.currency, new.purpose);
  update sales_hours set payments = payments + 1, captured_minor = captured_minor + new.captured_minor
   where hour = new.paid_at / 3600 and currency = new.currency and purpose = new.purpose;
end;
create trigger payments_sales_au_old after update of paid_at, captured_minor, currency, purpose on payments
when old.paid_at is not null and old.captured_minor > 0 begin
  update sales_hours set payments = payments - 1, captured_minor = captured_minor - old.captured_minor
   where hour = old.paid_at / 3600 and currency = old.currency and purpose = old.purpose;
end;
create trigger payments_sales_au_new after update of paid_at, captured_minor, currency, purpose on payments
when new.paid_at is not null and new.captured_minor > 0 begin
  insert or ignore into sales_hours (hour, currency, purpose) values (new.paid_at / 3600, new.currency, new.purpose);
  update sales_hours set payments = payments + 1, captured_minor = captured_minor + new.captured_minor
   where hour = new.paid_at / 3600 and currency = new.currency and purpose = new.purpose;
end;
create trigger payments_sales_ad after delete on payments
when old.paid_at is not null and old.captured_minor > 0 begin
  update sales_hours set payments = payments - 1, captured_minor = captured_minor - old.captured_minor
   where hour = old.paid_at / 3600 and currency = old.currency and purpose = old.purpose;
end;

create trigger refunds_sales_ai after insert on refunds
when new.status = 'succeeded' begin
  insert or ignore into sales_hours (hour, currency, purpose)
    values (new.created_at / 3600, new.currency, (select purpose from payments where id = new.payment_id));
  update sales_hours set refunds = refunds + 1, refunded_minor = refunded_minor + new.amount_minor
   where hour = new.created_at / 3600 and currency = new.currency
     and purpose = (select purpose from payments where id = new.payment_id);
end;
create trigger refunds_sales_au_old after update of status, amount_minor, created_at, currency on refunds
when old.status = 'succeeded' begin
  update sales_hours set refunds = refunds - 1, refunded_minor = refunded_minor - old.amount_minor
   where hour = old.created_at / 3600 and currency = old.currency
     and purpose = (select purpose from payments where id = old.payment_id);
end;
create trigger refunds_sales_au_new after update of status, amount_minor, created_at, currency on refunds
when new.status = 'succeeded' begin
  insert or ignore into sales_hours (hour, currency, purpose)
    values (new.created_at / 3600, new.currency, (select purpose from payments where id = new.payment_id));
  update sales_hours set refunds = refunds + 1, refunded_minor = refunded_minor + new.amount_minor
   where hour = new.created_at / 3600 and currency = new.currency
     and purpose = (select purpose from payments where id = new.payment_id);
end;
create trigger refunds_sales_ad after delete on refunds
when old.status = 'succeeded' begin
  update sales_hours set refunds = refunds - 1, refunded_minor = refunded_minor - old.amount_minor
   where hour = old.created_at / 3600 and currency = old.currency
     and purpose = (select purpose from payments where id = old.payment_id);
end;

-- What was there before (in this migration's write transaction: nothing slips between).
insert into sales_hours (hour, currency, purpose, payments, captured_minor, refunds, refunded_minor)
select hour, currency, purpose, sum(payments), sum(captured), sum(refunds), sum(refunded) from (
  select paid_at / 3600 as hour, currency, purpose, 1 as payments, captured_minor as captured,
         0 as refunds, 0 as refunded
  from payments where paid_at is not null and captured_minor > 0
  union all
  select r.created_at / 3600, r.currency, p.purpose, 0, 0, 1, r.amount_minor
  from refunds r join payments p on p.id = r.payment_id where r.status = 'succeeded'
) moved group by hour, currency, purpose;
