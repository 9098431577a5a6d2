-- SQLite only (migrations-postgres/ holds the same for PostgreSQL).
--
-- 1. Every write to a table the public pages show bumps content_version, in the writing
--    statement's transaction, whichever code wrote it.
create trigger categories_content_ai after insert on categories begin update content_version set version = version + 1 where id = 1; end;
create trigger categories_content_au after update on categories begin update content_version set version = version + 1 where id = 1; end;
create trigger categories_content_ad after delete on categories begin update content_version set version = version + 1 where id = 1; end;
create trigger products_content_ai after insert on products begin update content_version set version = version + 1 where id = 1; end;
create trigger products_content_au after update on products begin update content_version set version = version + 1 where id = 1; end;
create trigger products_content_ad after delete on products begin update content_version set version = version + 1 where id = 1; end;
create trigger option_groups_content_ai after insert on option_groups begin update content_version set version = version + 1 where id = 1; end;
create trigger option_groups_content_au after update on option_groups begin update content_version set version = version + 1 where id = 1; end;
create trigger option_groups_content_ad after delete on option_groups begin update content_version set version = version + 1 where id = 1; end;
create trigger option_values_content_ai after insert on option_values begin update content_version set version = version + 1 where id = 1; end;
create trigger option_values_content_au after update on option_values begin update content_version set version = version + 1 where id = 1; end;
create trigger option_values_content_ad after delete on option_values begin update content_version set version = version + 1 where id = 1; end;
create trigger product_option_values_content_ai after insert on product_option_values begin update content_version set version = version + 1 where id = 1; end;
create trigger product_option_values_content_au after update on product_option_values begin update content_version set version = version + 1 where id = 1; end;
create trigger product_option_values_content_ad after delete on product_option_values begin update content_version set version = version + 1 where id = 1; end;
create trigger portfolio_videos_content_ai after insert on portfolio_videos begin update content_version set version = version + 1 where id = 1; end;
create trigger portfolio_videos_content_au after update on portfolio_videos begin update content_version set version = version + 1 where id = 1; end;
create trigger portfolio_videos_content_ad after delete on portfolio_videos begin update content_version set version = version + 1 where id = 1; end;
create trigger service_packages_content_ai after insert on service_packages begin update content_version set version = version + 1 where id = 1; end;
create trigger service_packages_content_au after update on service_packages begin update content_version set version = version + 1 where id = 1; end;
create trigger service_packages_content_ad after delete on service_packages begin update content_version set version = version + 1 where id = 1; end;
create trigger faqs_content_ai after insert on faqs begin update content_version set version = version + 1 where id = 1; end;
create trigger faqs_content_au after update on faqs begin update content_version set version = version + 1 where id = 1; end;
create trigger faqs_content_ad after delete on faqs begin update content_version set version = version + 1 where id = 1; end;
create trigger studio_details_content_ai after insert on studio_details begin update content_version set version = version + 1 where id = 1; end;
create trigger studio_details_content_au after update on studio_details begin update content_version set version = version + 1 where id = 1; end;
create trigger studio_details_content_ad after delete on studio_details begin update content_version set version = version + 1 where id = 1; end;
create trigger reviews_content_ai after insert on reviews begin update content_version set version = version + 1 where id = 1; end;
create trigger reviews_content_au after update on reviews begin update content_version set version = version + 1 where id = 1; end;
create trigger reviews_content_ad after delete on reviews begin update content_version set version = version + 1 where id = 1; end;
create trigger media_content_ai after insert on media begin update content_version set version = version + 1 where id = 1; end;
create trigger media_content_au after update on media begin update content_version set version = version + 1 where id = 1; end;
create trigger media_content_ad after delete on media begin update content_version set version = version + 1 where id = 1; end;
-- Reviews show their writer's name.
create trigger users_content_au after update of display_name on users begin update content_version set version = version + 1 where id = 1; end;

-- 2. The admin's searches through trigram indexes (FTS5 `trigram`: any substring of three
--    characters or more, case-insensitive, the same matches as the `like '%…%'` it replaces).
--    Each index holds the row's id (not indexed: ids would fill every common trigram's list)
--    and the columns the admin table searches; triggers keep it in step with its table. The
--    application never deletes these rows nor rewrites their searched columns (but a
--    product's title), so the triggers' lookup by id, which reads the index's rows, is rare.
create virtual table orders_search using fts5(id unindexed, number, name, email, tokenize = 'trigram');
insert into orders_search (id, number, name, email) select id, number, name, email from orders;
create trigger orders_search_ai after insert on orders begin
  insert into orders_search (id, number, name, email) values (new.id, new.number, new.name, new.email);
end;
create trigger orders_search_au after update of number, name, email on orders begin
  delete from orders_search where id = old.id;
  insert into orders_search (id, number, name, email) values (new.id, new.number, new.name, new.email);
end;
create trigger orders_search_ad after delete on orders begin
  delete from orders_search where id = old.id;
end;

create virtual table products_search using fts5(id unindexed, title, slug, summary, tokenize = 'trigram');
insert into products_search (id, title, slug, summary) select id, title, slug, summary from products;
create trigger products_search_ai after insert on products begin
  insert into products_search (id, title, slug, summary) values (new.id, new.title, new.slug, new.summary);
end;
create trigger products_search_au after update of title, slug, summary on products begin
  delete from products_search where id = old.id;
  insert into products_search (id, title, slug, summary) values (new.id, new.title, new.slug, new.summary);
end;
create trigger products_search_ad after delete on products begin
  delete from products_search where id = old.id;
end;

create virtual table bookings_search using fts5(id unindexed, reference, name, email, tokenize = 'trigram');
insert into bookings_search (id, reference, name, email) select id, reference, name, email from bookings;
create trigger bookings_search_ai after insert on bookings begin
  insert into bookings_search (id, reference, name, email) values (new.id, new.reference, new.name, new.email);
end;
create trigger bookings_search_au after update of reference, name, email on bookings begin
  delete from bookings_search where id = old.id;
  insert into bookings_search (id, reference, name, email) values (new.id, new.reference, new.name, new.email);
end;
create trigger bookings_search_ad after delete on bookings begin
  delete from bookings_search where id = old.id;
end;

create virtual table quotes_search using fts5(id unindexed, reference, name, email, company, tokenize = 'trigram');
insert into quotes_search (id, reference, name, email, company) select id, reference, name, email, company from quotes;
create trigger quotes_search_ai after insert on quotes begin
  insert into quotes_search (id, reference, name, email, company) values (new.id, new.reference, new.name, new.email, new.company);
end;
create trigger quotes_search_au after update of reference, name, email, company on quotes begin
  delete from quotes_search where id = old.id;
  insert into quotes_search (id, reference, name, email, company) values (new.id, new.reference, new.name, new.email, new.company);
end;
create trigger quotes_search_ad after delete on quotes begin
  delete from quotes_search where id = old.id;
end;
