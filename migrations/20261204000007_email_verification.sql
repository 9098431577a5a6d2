-- When the account's current email address was confirmed by the link sent to it (null: not
-- yet, or changed since). Orders placed as a guest with that address join the account then.
alter table users add column email_verified_at bigint;
