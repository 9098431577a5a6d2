-- Storefront: categories, products with their options, portfolio videos, service packages,
-- FAQ, studio details, contact messages and database carts.
--
-- Every row staff edit inline carries `version`, bumped by each change: an edit made against
-- an older version is refused (optimistic concurrency), never silently overwritten.
-- Prices are integer minor units (cents) with an ISO currency code.

-- The studio's service lines. Products, portfolio videos and packages each belong to one.
create table categories (
    id text primary key,
    slug text not null,
    name text not null,
    summary text not null default '',
    sort_order bigint not null default 0,
    active bigint not null default 1,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index categories_slug_key on categories (slug);

-- kind 'print': physical, stock counted, shipped. kind 'digital': a media file delivered after
-- payment (digital_media_id); stock is null (unlimited).
create table products (
    id text primary key,
    slug text not null,
    kind text not null check (kind in ('print', 'digital')),
    title text not null,
    summary text not null default '',
    description text not null default '',
    category_id text references categories (id) on delete set null,
    price_minor bigint not null check (price_minor >= 0),
    currency text not null,
    stock bigint check (stock is null or stock >= 0),
    image_media_id text references media (id) on delete set null,
    digital_media_id text references media (id) on delete set null,
    active bigint not null default 1,
    featured bigint not null default 0,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index products_slug_key on products (slug);
create index products_listing_idx on products (active, created_at, id);
create index products_category_idx on products (category_id);

-- Option groups ("Size", "Frame") and their values with price deltas (may be negative).
create table option_groups (
    id text primary key,
    name text not null,
    sort_order bigint not null default 0,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index option_groups_name_key on option_groups (name);

create table option_values (
    id text primary key,
    group_id text not null references option_groups (id) on delete cascade,
    label text not null,
    price_delta_minor bigint not null default 0,
    sort_order bigint not null default 0,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index option_values_label_key on option_values (group_id, label);

-- Which values each product offers. A product offering any value of a group requires the
-- buyer to choose one value of that group.
create table product_option_values (
    product_id text not null references products (id) on delete cascade,
    value_id text not null references option_values (id) on delete cascade,
    primary key (product_id, value_id)
);
create index product_option_values_value_idx on product_option_values (value_id);

-- Portfolio: the studio's films. Never products, never for sale.
create table portfolio_videos (
    id text primary key,
    slug text not null,
    title text not null,
    summary text not null default '',
    description text not null default '',
    category_id text references categories (id) on delete set null,
    client_name text not null default '',
    testimonial text not null default '',
    video_media_id text references media (id) on delete set null,
    poster_media_id text references media (id) on delete set null,
    duration_secs bigint,
    project_date text,
    featured bigint not null default 0,
    published bigint not null default 1,
    display_order bigint not null default 0,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index portfolio_videos_slug_key on portfolio_videos (slug);
create index portfolio_videos_listing_idx on portfolio_videos (published, display_order);

-- Service packages: fixed-scope offers that customers request a quote for.
-- features: one per line.
create table service_packages (
    id text primary key,
    slug text not null,
    name text not null,
    category_id text references categories (id) on delete set null,
    summary text not null default '',
    description text not null default '',
    features text not null default '',
    deliverables text not null default '',
    price_minor bigint not null check (price_minor >= 0),
    currency text not null,
    max_hours bigint,
    turnaround_days bigint,
    popular bigint not null default 0,
    active bigint not null default 1,
    sort_order bigint not null default 0,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index service_packages_slug_key on service_packages (slug);

create table faqs (
    id text primary key,
    question text not null,
    answer text not null,
    sort_order bigint not null default 0,
    active bigint not null default 1,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);

-- Studio details shown on the site (address, phone, email, hours), edited by staff.
create table studio_details (
    id text primary key,
    key text not null,
    label text not null,
    value text not null,
    sort_order bigint not null default 0,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index studio_details_key on studio_details (key);

-- Every contact form message, whatever its type; staff are emailed through the outbox.
create table contact_messages (
    id text primary key,
    kind text not null check (kind in ('general', 'quote', 'portfolio', 'support', 'partnership')),
    name text not null,
    email text not null,
    phone text not null default '',
    company text not null default '',
    subject text not null default '',
    message text not null,
    status text not null default 'new' check (status in ('new', 'read', 'answered', 'archived')),
    staff_note text not null default '',
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create index contact_messages_listing_idx on contact_messages (status, created_at);

-- Carts: owner_key is 'u:<user id>' for an account or 'v:<sha256 of the visitor cookie>' for
-- a guest; one cart per owner.
create table carts (
    id text primary key,
    owner_key text not null,
    user_id text references users (id) on delete cascade,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index carts_owner_key on carts (owner_key);

-- A line: product + chosen option values (sorted value ids joined by ',', '' for none) +
-- quantity. Prices are never stored here: they come from the catalog at every render.
create table cart_lines (
    id text primary key,
    cart_id text not null references carts (id) on delete cascade,
    product_id text not null references products (id) on delete cascade,
    option_key text not null default '',
    quantity bigint not null check (quantity > 0),
    created_at bigint not null,
    updated_at bigint not null
);
create unique index cart_lines_identity_key on cart_lines (cart_id, product_id, option_key);
