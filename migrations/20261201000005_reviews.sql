-- Product reviews: one per customer per product (a second submission edits it).
--
-- verified: the reviewer had a paid or fulfilled order containing the product when they
-- submitted (computed by the app at submission time, kept as a fact of that moment).
-- status: pending (waiting for moderation) | approved (shown) | hidden (kept, not shown).
-- reply: the studio's public answer ('' for none); replied_at is set when it is saved.

create table reviews (
    id text primary key,
    product_id text not null references products (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    rating bigint not null check (rating between 1 and 5),
    title text not null default '',
    body text not null,
    verified bigint not null default 0,
    status text not null default 'pending' check (status in ('pending', 'approved', 'hidden')),
    reply text not null default '',
    replied_at bigint,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index reviews_product_user_key on reviews (product_id, user_id);
-- The product page reads a product's approved reviews; the moderation queue filters by status.
create index reviews_product_status_idx on reviews (product_id, status, created_at);
create index reviews_status_idx on reviews (status, created_at);
create index reviews_user_idx on reviews (user_id);
