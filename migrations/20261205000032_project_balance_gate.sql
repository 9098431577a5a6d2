-- A project from a quote may keep its downloads closed until the quote's balance is paid
-- (src/projects/downloads.rs); staff can turn it off per project.
alter table projects add column balance_first bigint not null default 1;
