-- The client's link to a project's screening room is signed over the project's id and this
-- number (src/projects/screening.rs); staff make a new link by raising it, which ends the old
-- one.
alter table projects add column link_generation bigint not null default 1;
-- "Your projects" in the account.
create index projects_user on projects(user_id, updated_at);
