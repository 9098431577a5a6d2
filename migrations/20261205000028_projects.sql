-- Projects (src/projects): what the studio delivers to a client after a shoot.
--
-- A project belongs to a customer (an account, or an email address until they have one) and
-- may come from a quote (at most one project per quote) and the bookings of its shoots (a
-- booking belongs to at most one project). It holds deliverables, each with numbered versions
-- ("v1", "v2 after feedback"), each version a file of the media library. Its state moves
-- in_production -> in_review -> approved -> delivered -> archived; review can send it back to
-- production, and an archived project can be delivered again.
create table projects (
    id text primary key,
    title text not null,
    name text not null default '',
    -- Lowercased and trimmed, as customers are keyed.
    email text not null,
    user_id text references users(id),
    quote_id text references quotes(id),
    state text not null default 'in_production'
        check (state in ('in_production', 'in_review', 'approved', 'delivered', 'archived')),
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
-- Starting a project from a quote twice (a double click, two staff) finds the first one.
create unique index projects_quote on projects(quote_id) where quote_id is not null;
create index projects_updated on projects(updated_at, id);
create index projects_state on projects(state, updated_at);
create index projects_email on projects(email);

create table project_bookings (
    project_id text not null references projects(id) on delete cascade,
    booking_id text not null references bookings(id),
    primary key (project_id, booking_id)
);
-- A booking's films go into one project.
create unique index project_bookings_booking on project_bookings(booking_id);

create table deliverables (
    id text primary key,
    project_id text not null references projects(id) on delete cascade,
    title text not null,
    kind text not null check (kind in ('film', 'still', 'archive', 'document')),
    -- Versions given so far: the next one is numbered one more (an atomic counter, so two
    -- staff adding a version at once get two numbers).
    versions bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null
);
create index deliverables_project on deliverables(project_id, created_at);

-- A version's file is a media item. No foreign key: the library may delete a file, and the
-- project page then says the version's file was removed.
create table deliverable_versions (
    id text primary key,
    deliverable_id text not null references deliverables(id) on delete cascade,
    number bigint not null,
    media_id text not null,
    note text not null default '',
    created_by text,
    created_at bigint not null,
    unique (deliverable_id, number)
);
