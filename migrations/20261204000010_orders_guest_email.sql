-- Issue 14, item 11: when an account confirms its email, the guest orders placed with that
-- address (any case) join it. Only guest orders are looked up, by lower-cased address, so the
-- index holds only those: confirming an email costs an index probe, not a scan of every order.
create index orders_guest_email_idx on orders (lower(email)) where user_id is null;
