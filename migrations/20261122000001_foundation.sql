-- Foundation: accounts, sessions, password resets, the job queue, the email outbox,
-- rate-limit windows and the admin audit log.
--
-- Portable SQL: the same file runs on SQLite and PostgreSQL (see docs/adr/0001).
-- Ids are app-generated text (UUIDv7); timestamps are bigint seconds since the epoch;
-- flags are bigint 0/1; money (later) is bigint minor units.

create table users (
    id text primary key,
    email text not null,
    password_hash text not null,
    display_name text,
    role text not null default 'customer' check (role in ('customer', 'admin')),
    created_at bigint not null,
    updated_at bigint not null
);
create unique index users_email_key on users (email);

-- A row per signed-in browser. The cookie holds a random token; only its SHA-256 is stored,
-- so a leaked database cannot be replayed as cookies.
create table sessions (
    id_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    created_at bigint not null,
    last_seen_at bigint not null,
    expires_at bigint not null,
    user_agent text,
    ip text
);
create index sessions_user_id_idx on sessions (user_id);
create index sessions_expires_at_idx on sessions (expires_at);

create table password_reset_tokens (
    token_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    created_at bigint not null,
    expires_at bigint not null,
    used_at bigint
);
create index password_reset_tokens_user_id_idx on password_reset_tokens (user_id);

-- The database-backed job queue. A worker claims a row by moving it to 'running' with a lease
-- (locked_until); a lease that runs out (crashed worker) makes the row claimable again.
create table jobs (
    id text primary key,
    kind text not null,
    payload text not null,
    status text not null check (status in ('queued', 'running', 'done', 'dead')),
    attempts bigint not null default 0,
    max_attempts bigint not null,
    run_at bigint not null,
    locked_by text,
    locked_until bigint,
    last_error text,
    dedupe_key text,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index jobs_dedupe_key on jobs (dedupe_key);
create index jobs_claim_idx on jobs (status, run_at);

-- The transactional outbox: a row is written in the same transaction as its cause and sent by
-- a 'send_email' job.
create table emails (
    id text primary key,
    kind text not null,
    to_address text not null,
    subject text not null,
    text_body text not null,
    html_body text not null,
    status text not null check (status in ('queued', 'sent', 'failed')),
    attempts bigint not null default 0,
    last_error text,
    -- While set and in the future, one worker is talking to the mail server about this row:
    -- a second job for the same email (resend plus a retried job) waits instead of sending twice.
    sending_until bigint,
    created_at bigint not null,
    updated_at bigint not null,
    sent_at bigint
);
create index emails_created_at_idx on emails (created_at, id);

-- Fixed-window counters shared by every replica.
create table rate_limit_hits (
    bucket text not null,
    window_start bigint not null,
    hits bigint not null,
    primary key (bucket, window_start)
);

-- Who changed what in the admin, with the row before and after (JSON text).
create table audit_log (
    id text primary key,
    actor_user_id text references users (id) on delete set null,
    actor_email text not null,
    action text not null,
    entity text not null,
    entity_id text not null,
    before_json text,
    after_json text,
    created_at bigint not null
);
create index audit_log_created_at_idx on audit_log (created_at, id);
