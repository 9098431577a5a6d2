-- Issue 15: the reminder the day before, sent once. The job that sends it sets this in the
-- transaction that queues the email, only while it is null and the booking still confirmed
-- at the same start, so a job run twice (a worker that died mid-run) sends one email.
alter table bookings add column reminded_at bigint;
