-- Quotes (issue 16): a customer's project request, the studio's proposals for it (each sent
-- proposal a revision, the customer always shown the latest), the conversation on it, and
-- the record of its acceptance. Money in minor units of the quote's currency.

-- Quote numbers (`QT-000001`), taken in a transaction of their own like booking references.
create table quote_counter (
    id bigint primary key,
    value bigint not null
);
insert into quote_counter (id, value) values (1, 0);

create table quotes (
    id text primary key,
    reference text not null unique,
    state text not null check (state in ('new', 'quoted', 'accepted', 'declined', 'expired', 'closed')),
    -- The request, as the customer typed it.
    name text not null,
    email text not null,
    phone text not null default '',
    company text not null default '',
    user_id text references users (id) on delete set null,
    -- The package's slug or the service's name chosen, or empty.
    service text not null default '',
    -- Preferred dates, `YYYY-MM-DD`, the studio's zone; `to` only for a range.
    preferred_from text,
    preferred_to text,
    location text not null default '',
    budget text not null default '',
    description text not null,
    client_hash text not null default '',
    -- The latest sent proposal (0: none yet).
    revision bigint not null default 0,
    -- The acceptance: which revision, the extras ticked, the total agreed, who signed, when
    -- and from where.
    accepted_revision bigint,
    accepted_extras text,
    accepted_total_minor bigint,
    accepted_deposit_minor bigint,
    signature_name text,
    accepted_at bigint,
    accepted_ip text,
    -- One acceptance at a time: set while a request places the shoot and records the answer
    -- (a second click waits for it); a claim older than two minutes is void.
    accepting_at bigint,
    -- The shoot held for the accepted proposal (a booking placed through the bookings
    -- domain): while it is held, the quote waits for its deposit in `quoted`.
    booking_id text references bookings (id),
    -- The balance (the total after the deposit): when it falls due (epoch seconds), and when
    -- and how it was paid (`gateway`, or `transfer` marked by staff).
    balance_due_at bigint,
    balance_paid_at bigint,
    balance_paid_by text check (balance_paid_by in ('gateway', 'transfer')),
    decline_reason text,
    close_reason text,
    staff_notes text not null default '',
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create index quotes_state_idx on quotes (state, created_at);
create index quotes_created_idx on quotes (created_at);
create index quotes_user_idx on quotes (user_id, created_at);
create index quotes_balance_idx on quotes (balance_due_at) where balance_paid_at is null and balance_due_at is not null;
create index quotes_booking_idx on quotes (booking_id) where booking_id is not null;
create index quotes_guest_email_idx on quotes (lower(email)) where user_id is null;

-- A sent proposal. Never changed once sent: a revision is a new row.
create table quote_revisions (
    quote_id text not null references quotes (id) on delete cascade,
    number bigint not null check (number >= 1),
    message text not null default '',
    terms text not null default '',
    -- The last day it can be accepted, `YYYY-MM-DD` in the studio's zone.
    valid_until text not null,
    currency text not null,
    discount_minor bigint not null default 0 check (discount_minor >= 0),
    -- Tax in basis points of the amount after discount (900 = 9%); 0 shows no tax line.
    tax_basis_points bigint not null default 0 check (tax_basis_points between 0 and 10000),
    deposit_kind text not null check (deposit_kind in ('none', 'fixed', 'percent')),
    deposit_value bigint not null default 0 check (deposit_value >= 0),
    -- The booking type and start (epoch seconds) the proposal holds when accepted.
    booking_type_id text references booking_types (id),
    proposed_start bigint,
    sent_by text references users (id) on delete set null,
    sent_at bigint not null,
    primary key (quote_id, number)
);

create table quote_lines (
    quote_id text not null,
    revision bigint not null,
    position bigint not null check (position >= 1),
    description text not null,
    quantity bigint not null check (quantity between 1 and 10000),
    unit_minor bigint not null check (unit_minor >= 0),
    -- An extra the customer may tick; otherwise always included.
    optional bigint not null default 0,
    primary key (quote_id, revision, position),
    foreign key (quote_id, revision) references quote_revisions (quote_id, number) on delete cascade
);

-- The conversation on a quote: the customer's questions, staff's answers.
create table quote_messages (
    id text primary key,
    quote_id text not null references quotes (id) on delete cascade,
    author text not null check (author in ('customer', 'staff')),
    body text not null,
    created_at bigint not null
);
create index quote_messages_quote_idx on quote_messages (quote_id, created_at);

-- Reference files a customer sends with a request (from the quote's link): a media row in
-- the private `quotes` folder, uploaded through the media path; staff open them.
create table quote_files (
    quote_id text not null references quotes (id) on delete cascade,
    media_id text not null references media (id) on delete cascade,
    file_name text not null,
    size_bytes bigint not null,
    created_at bigint not null,
    primary key (quote_id, media_id)
);

-- The terms every new proposal starts from (one row), edited by staff.
create table quote_terms (
    id bigint primary key,
    body text not null,
    version bigint not null default 1,
    updated_at bigint not null
);
insert into quote_terms (id, body, updated_at) values (1,
'The deposit secures the date. The balance is due before the shoot. Cancelling more than 14 days before the shoot refunds the deposit in full; later, the deposit is kept. Delivery: first cut within 10 working days of the shoot, two rounds of changes included. The studio keeps the right to show the finished film in its portfolio unless agreed otherwise.',
0);
