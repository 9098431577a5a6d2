-- Resumable uploads (tus 1.0, src/media/resumable.rs). The row is the whole state of an upload,
-- so any replica continues it: how many bytes are safely stored (`received`), the pieces storage
-- holds for them, in order (`resumable_upload_blocks`: Azure block ids; locally, offsets into the
-- staging file), and who is writing now (a short lease, so two requests never append at once).
-- Its id becomes the media row's id when the last byte is in.
create table resumable_uploads (
    id text primary key,
    blob_key text not null,
    -- `<uuid>-<slug>.<ext>`, as media rows name files.
    name text not null,
    folder text not null,
    original_name text not null,
    kind text not null,
    ext text not null,
    content_type text not null,
    length bigint not null,
    received bigint not null default 0,
    -- What the upload is for (`project:<id>`), from its metadata; media does not read it.
    tag text,
    -- `ending`: being removed (terminated or expired); nothing appends to it any more.
    state text not null default 'receiving' check (state in ('receiving', 'complete', 'ending')),
    lease_token text,
    lease_until bigint,
    uploaded_by_user_id text,
    uploaded_by_token_id text,
    uploaded_by text not null,
    created_at bigint not null,
    updated_at bigint not null,
    -- Unfinished by then, the upload and its pieces are removed (`media.sweep_uploads`).
    expires_at bigint not null
);
create index resumable_uploads_expiry on resumable_uploads(expires_at);
create index resumable_uploads_tag on resumable_uploads(tag, state);

create table resumable_upload_blocks (
    upload_id text not null references resumable_uploads(id) on delete cascade,
    start_at bigint not null,
    len bigint not null,
    block_id text not null,
    primary key (upload_id, start_at)
);
