-- The client's downloads (src/projects/downloads.rs). They open when the project is
-- delivered, for `download_days`; each file downloads at most `download_cap` times
-- (completed downloads). Staff extend the period with one click; the client can ask for more
-- time once a day (`more_time_asked_at`); a reminder goes once before the end (`reminded_for`
-- holds the end it was sent for: an extension gets its own).
alter table projects add column download_days bigint not null default 30;
alter table projects add column download_cap bigint not null default 10;
alter table projects add column downloads_until bigint;
alter table projects add column more_time_asked_at bigint;
alter table projects add column reminded_for bigint;
create index projects_downloads_until on projects(downloads_until)
    where downloads_until is not null;

-- Every download request of a file: who (the account signed in, else the address), when, the
-- bytes sent, and whether it completed the file (the whole of it, or the last range of a
-- resumed one): only completed ones count against the cap.
create table project_downloads (
    id text primary key,
    project_id text not null references projects(id) on delete cascade,
    version_id text not null references deliverable_versions(id) on delete cascade,
    user_id text,
    -- The account's email at the time.
    email text not null default '',
    client_ip text not null default '',
    range_start bigint not null default 0,
    bytes bigint not null default 0,
    completed bigint not null default 0,
    started_at bigint not null,
    finished_at bigint
);
create index project_downloads_version on project_downloads(version_id, completed);
create index project_downloads_project on project_downloads(project_id, started_at);
