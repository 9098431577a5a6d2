-- PostgreSQL only (migrations-sqlite/ holds the same for SQLite).
--
-- 1. Every write to a table the public pages show bumps content_version, in the writing
--    statement's transaction, whichever code wrote it (once per statement).
create function bump_content_version() returns trigger language plpgsql as $$
begin
  update content_version set version = version + 1 where id = 1;
  return null;
end;
$$;

create trigger categories_content after insert or update or delete on categories for each statement execute function bump_content_version();
create trigger products_content after insert or update or delete on products for each statement execute function bump_content_version();
create trigger option_groups_content after insert or update or delete on option_groups for each statement execute function bump_content_version();
create trigger option_values_content after insert or update or delete on option_values for each statement execute function bump_content_version();
create trigger product_option_values_content after insert or update or delete on product_option_values for each statement execute function bump_content_version();
create trigger portfolio_videos_content after insert or update or delete on portfolio_videos for each statement execute function bump_content_version();
create trigger service_packages_content after insert or update or delete on service_packages for each statement execute function bump_content_version();
create trigger faqs_content after insert or update or delete on faqs for each statement execute function bump_content_version();
create trigger studio_details_content after insert or update or delete on studio_details for each statement execute function bump_content_version();
create trigger reviews_content after insert or update or delete on reviews for each statement execute function bump_content_version();
create trigger media_content after insert or update or delete on media for each statement execute function bump_content_version();
-- Reviews show their writer's name.
create trigger users_content after update of display_name on users for each statement execute function bump_content_version();

-- 2. The admin's searches through trigram indexes (pg_trgm, a trusted extension that ships
--    with PostgreSQL: a database owner may create it). `lower(column) like '%…%'`, as the
--    admin table writes it, uses them for three characters or more.
create extension if not exists pg_trgm;
create index orders_number_trgm on orders using gin (lower(number) gin_trgm_ops);
create index orders_name_trgm on orders using gin (lower(name) gin_trgm_ops);
create index orders_email_trgm on orders using gin (lower(email) gin_trgm_ops);
create index products_title_trgm on products using gin (lower(title) gin_trgm_ops);
create index products_slug_trgm on products using gin (lower(slug) gin_trgm_ops);
create index products_summary_trgm on products using gin (lower(summary) gin_trgm_ops);
create index bookings_reference_trgm on bookings using gin (lower(reference) gin_trgm_ops);
create index bookings_name_trgm on bookings using gin (lower(name) gin_trgm_ops);
create index bookings_email_trgm on bookings using gin (lower(email) gin_trgm_ops);
create index quotes_reference_trgm on quotes using gin (lower(reference) gin_trgm_ops);
create index quotes_name_trgm on quotes using gin (lower(name) gin_trgm_ops);
create index quotes_email_trgm on quotes using gin (lower(email) gin_trgm_ops);
create index quotes_company_trgm on quotes using gin (lower(company) gin_trgm_ops);
