-- The client's feedback in the screening room (src/projects/feedback.rs): comments on a
-- version, at a time of the film or on the whole of it, answered by staff; and the client's
-- decision on a version, approved or changes requested.
create table version_comments (
    id text primary key,
    project_id text not null references projects(id) on delete cascade,
    version_id text not null references deliverable_versions(id) on delete cascade,
    -- Milliseconds into the film; null for a comment on the whole version.
    at_ms bigint,
    body text not null,
    by_staff bigint not null default 0,
    -- The staff member's email, or the client's name as the project has it.
    author text not null,
    -- A staff reply answers a client comment.
    reply_to text references version_comments(id) on delete cascade,
    -- A client comment is waiting until staff reply to it or resolve it.
    answered_at bigint,
    resolved_at bigint,
    created_at bigint not null
);
create index version_comments_project on version_comments(project_id, version_id, created_at);
create index version_comments_reply on version_comments(reply_to);

-- The client comments no staff member has answered yet, kept in the transactions that change
-- them: the projects table sorts by it and the dashboard sums it without reading comments.
alter table projects add column comments_waiting bigint not null default 0;
create index projects_comments_waiting on projects(comments_waiting) where comments_waiting > 0;

-- The client's answer to a version: set once (a second click, a second tab find it made).
alter table deliverable_versions add column decision text
    check (decision in ('approved', 'changes_requested'));
alter table deliverable_versions add column decision_message text not null default '';
alter table deliverable_versions add column decided_at bigint;
