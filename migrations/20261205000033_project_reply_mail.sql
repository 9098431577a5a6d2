-- Staff replies reach the client as one email per ten minutes at most (src/projects/feedback.rs):
-- the replies written up to this instant have been mailed.
alter table projects add column replies_mailed_until bigint not null default 0;
