-- The client's review of a delivered project (src/projects/reviews.rs): asked for once, when
-- the client approves the project (`review_requested_at`); one per project, written from the
-- screening room (so verified by construction: only the project's client has the link),
-- moderated by staff like product reviews, and shown on /client-reviews once approved.
alter table projects add column review_requested_at bigint;

create table project_reviews (
    id text primary key,
    project_id text not null references projects(id) on delete cascade,
    rating bigint not null check (rating between 1 and 5),
    body text not null,
    -- The name the client chose to show.
    name text not null,
    status text not null default 'pending' check (status in ('pending', 'approved', 'hidden')),
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index project_reviews_project on project_reviews(project_id);
create index project_reviews_status on project_reviews(status, created_at);
