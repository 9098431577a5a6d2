-- Issue 14, item 10: staff notifications of a contact message carry `Reply-To` the customer,
-- and staff replies carry `Reply-To` the studio's mailbox. Null: no Reply-To header.
alter table emails add column reply_to text;

-- The replies staff sent to a contact message, each through the outbox (email_id is its
-- outbox row). Owned by `site`.
create table contact_replies (
    id text primary key,
    message_id text not null references contact_messages (id) on delete cascade,
    author_user_id text references users (id) on delete set null,
    author_email text not null,
    email_id text not null,
    to_address text not null,
    subject text not null,
    body text not null,
    created_at bigint not null,
    updated_at bigint not null
);
create index contact_replies_message_idx on contact_replies (message_id, created_at);
