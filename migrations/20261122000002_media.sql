-- Media: every file the studio stores (portfolio videos, product images, deliveries, quote
-- attachments) is a row here and a blob in storage. API tokens for integrations.

-- Tokens for the JSON API. Only the SHA-256 of a token is kept; the prefix identifies it on
-- screen ("fs_Ab12…").
create table api_tokens (
    id text primary key,
    name text not null,
    token_hash text not null,
    prefix text not null,
    created_by_user_id text references users (id) on delete set null,
    created_at bigint not null,
    last_used_at bigint,
    revoked_at bigint
);
create unique index api_tokens_hash_key on api_tokens (token_hash);

-- state: 'uploading' while the bytes stream (a row that stays so is an abandoned upload, swept
-- with its blob by the cleanup job), 'ready' once the blob is committed.
-- analysis: what the metadata job found ('pending', 'done', 'tool_missing', 'failed',
-- 'skipped'), with analysis_note saying why in words.
create table media (
    id text primary key,
    name text not null,
    folder text not null,
    original_name text not null,
    blob_key text not null,
    kind text not null check (kind in ('image', 'video', 'document', 'archive')),
    ext text not null,
    content_type text not null,
    size_bytes bigint not null default 0,
    sha256 text,
    state text not null check (state in ('uploading', 'ready')),
    uploaded_by_user_id text references users (id) on delete set null,
    uploaded_by_token_id text references api_tokens (id) on delete set null,
    uploaded_by text not null,
    width bigint,
    height bigint,
    duration_ms bigint,
    poster_key text,
    thumb_key text,
    analysis text not null default 'pending'
        check (analysis in ('pending', 'done', 'tool_missing', 'failed', 'skipped')),
    analysis_note text,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index media_name_key on media (name);
create unique index media_blob_key_key on media (blob_key);
create index media_listing_idx on media (state, created_at, id);
create index media_folder_idx on media (folder, created_at, id);
