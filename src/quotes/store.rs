//! The quotes domain's SQL: the only code that reads or writes `quotes`, `quote_revisions`,
//! `quote_lines`, `quote_messages`, `quote_files`, `quote_terms` and `quote_counter`.

use sqlx::{Any, AnyConnection, Executor};

use super::model::{Line, Message, Quote, Revision, State};

const QUOTE_COLUMNS: &str = "id, reference, state, name, email, phone, company, user_id, service, \
    preferred_from, preferred_to, location, budget, description, revision, accepted_revision, \
    accepted_extras, accepted_total_minor, accepted_deposit_minor, signature_name, accepted_at, \
    accepted_ip, booking_id, balance_due_at, balance_paid_at, balance_paid_by, decline_reason, close_reason, staff_notes, version, created_at, updated_at";

const REVISION_COLUMNS: &str = "number, message, terms, valid_until, currency, discount_minor, \
    tax_basis_points, deposit_kind, deposit_value, booking_type_id, proposed_start, sent_at";

/// The next `QT-000123`, in a transaction of its own (see `bookings::store::next_reference`).
pub async fn next_reference(conn: &mut AnyConnection) -> Result<String, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "update quote_counter set value = value + 1 where id = 1 returning value",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(format!("QT-{n:06}"))
}

/// A request to insert.
#[derive(Debug)]
pub struct NewQuote<'a> {
    pub id: &'a str,
    pub reference: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
    pub company: &'a str,
    pub user_id: Option<&'a str>,
    pub service: &'a str,
    pub preferred_from: Option<&'a str>,
    pub preferred_to: Option<&'a str>,
    pub location: &'a str,
    pub budget: &'a str,
    pub description: &'a str,
    pub client_hash: &'a str,
}

/// Inserts a new request.
pub async fn insert(
    conn: &mut AnyConnection,
    q: &NewQuote<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into quotes (id, reference, state, name, email, phone, company, user_id, service, \
             preferred_from, preferred_to, location, budget, description, client_hash, \
             created_at, updated_at) \
         values ($1, $2, 'new', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
    )
    .bind(q.id)
    .bind(q.reference)
    .bind(q.name)
    .bind(q.email)
    .bind(q.phone)
    .bind(q.company)
    .bind(q.user_id)
    .bind(q.service)
    .bind(q.preferred_from)
    .bind(q.preferred_to)
    .bind(q.location)
    .bind(q.budget)
    .bind(q.description)
    .bind(q.client_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A quote by id.
pub async fn find<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<Quote>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {QUOTE_COLUMNS} from quotes where id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// A quote by id, locked for the rest of the caller's transaction (on SQLite the
/// transaction already holds the database's write lock).
pub async fn lock(conn: &mut AnyConnection, id: &str) -> Result<Option<Quote>, sqlx::Error> {
    // An update that changes nothing takes the row's write lock on PostgreSQL.
    sqlx::query("update quotes set version = version where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    find(&mut *conn, id).await
}

/// A revision of a quote, without its lines.
pub async fn revision<'e>(
    ex: impl Executor<'e, Database = Any>,
    quote_id: &str,
    number: i64,
) -> Result<Option<Revision>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {REVISION_COLUMNS} from quote_revisions where quote_id = $1 and number = $2"
    )))
    .bind(quote_id)
    .bind(number)
    .fetch_optional(ex)
    .await
}

/// Every revision of a quote, newest first.
pub async fn revisions<'e>(
    ex: impl Executor<'e, Database = Any>,
    quote_id: &str,
) -> Result<Vec<Revision>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {REVISION_COLUMNS} from quote_revisions where quote_id = $1 order by number desc"
    )))
    .bind(quote_id)
    .fetch_all(ex)
    .await
}

/// The lines of a revision, in order.
pub async fn lines<'e>(
    ex: impl Executor<'e, Database = Any>,
    quote_id: &str,
    revision: i64,
) -> Result<Vec<Line>, sqlx::Error> {
    let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
        "select position, description, quantity, unit_minor, optional from quote_lines \
         where quote_id = $1 and revision = $2 order by position",
    )
    .bind(quote_id)
    .bind(revision)
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(position, description, quantity, unit_minor, optional)| Line {
                position,
                description,
                quantity,
                unit_minor,
                optional: optional != 0,
            },
        )
        .collect())
}

/// A revision to insert.
#[derive(Debug)]
pub struct NewRevision<'a> {
    pub quote_id: &'a str,
    pub number: i64,
    pub message: &'a str,
    pub terms: &'a str,
    pub valid_until: &'a str,
    pub currency: &'a str,
    pub discount_minor: i64,
    pub tax_basis_points: i64,
    pub deposit: (&'a str, i64),
    pub booking_type_id: Option<&'a str>,
    pub proposed_start: Option<i64>,
    pub sent_by: Option<&'a str>,
}

/// Inserts a sent revision with its lines.
pub async fn insert_revision(
    conn: &mut AnyConnection,
    r: &NewRevision<'_>,
    lines: &[Line],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into quote_revisions (quote_id, number, message, terms, valid_until, currency, \
             discount_minor, tax_basis_points, deposit_kind, deposit_value, booking_type_id, \
             proposed_start, sent_by, sent_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(r.quote_id)
    .bind(r.number)
    .bind(r.message)
    .bind(r.terms)
    .bind(r.valid_until)
    .bind(r.currency)
    .bind(r.discount_minor)
    .bind(r.tax_basis_points)
    .bind(r.deposit.0)
    .bind(r.deposit.1)
    .bind(r.booking_type_id)
    .bind(r.proposed_start)
    .bind(r.sent_by)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    for l in lines {
        sqlx::query(
            "insert into quote_lines (quote_id, revision, position, description, quantity, \
                 unit_minor, optional) values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(r.quote_id)
        .bind(r.number)
        .bind(l.position)
        .bind(&l.description)
        .bind(l.quantity)
        .bind(l.unit_minor)
        .bind(i64::from(l.optional))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Moves a quote from one of `from` to `to`, with the columns `set` (already bound as
/// `$4`...) changed too; whether it moved (a quote elsewhere, or changed meanwhile, does not).
async fn transition(
    conn: &mut AnyConnection,
    id: &str,
    from: &[State],
    to: State,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let states: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "update quotes set state = $2, updated_at = $3, version = version + 1 \
         where id = $1 and state in ({})",
        states.join(", ")
    )))
    .bind(id)
    .bind(to.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks revision `number` as the one the customer sees, and the quote `quoted`.
pub async fn set_sent(
    conn: &mut AnyConnection,
    id: &str,
    number: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    if !transition(
        conn,
        id,
        &[State::New, State::Quoted, State::Expired],
        State::Quoted,
        now,
    )
    .await?
    {
        return Ok(false);
    }
    sqlx::query("update quotes set revision = $2 where id = $1")
        .bind(id)
        .bind(number)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// The acceptance as recorded.
#[derive(Debug)]
pub struct Acceptance<'a> {
    pub revision: i64,
    /// Comma-separated positions.
    pub extras: &'a str,
    pub total_minor: i64,
    pub deposit_minor: i64,
    pub signature_name: &'a str,
    pub ip: &'a str,
}

/// Records the acceptance of revision `a.revision` of a quoted quote not yet accepted: it
/// moves to `to` (`accepted`, or stays `quoted` while the deposit of its shoot `booking_id`
/// is due); false when it is no longer open to acceptance at that revision.
pub async fn accept(
    conn: &mut AnyConnection,
    id: &str,
    a: &Acceptance<'_>,
    booking_id: Option<&str>,
    to: State,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update quotes set state = $8, accepted_revision = $2, accepted_extras = $3, \
             accepted_total_minor = $4, signature_name = $5, accepted_at = $6, accepted_ip = $7, \
             booking_id = $9, accepted_deposit_minor = $10, updated_at = $6, \
             version = version + 1 \
         where id = $1 and state = 'quoted' and revision = $2 and accepted_at is null",
    )
    .bind(id)
    .bind(a.revision)
    .bind(a.extras)
    .bind(a.total_minor)
    .bind(a.signature_name)
    .bind(now)
    .bind(a.ip)
    .bind(to.as_str())
    .bind(booking_id)
    .bind(a.deposit_minor)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The quote waiting for the deposit of `booking_id` becomes `accepted`; its id, when one did.
pub async fn settle(
    conn: &mut AnyConnection,
    booking_id: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "update quotes set state = 'accepted', updated_at = $2, version = version + 1 \
         where booking_id = $1 and state = 'quoted' and accepted_at is not null returning id",
    )
    .bind(booking_id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
}

/// The quote waiting for the deposit of `booking_id` is open again (the hold was released
/// unpaid): its acceptance is cleared; its id, when one was.
pub async fn unaccept(
    conn: &mut AnyConnection,
    booking_id: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "update quotes set accepted_revision = null, accepted_extras = null, \
             accepted_total_minor = null, accepted_deposit_minor = null, signature_name = null, \
             accepted_at = null, \
             accepted_ip = null, booking_id = null, updated_at = $2, version = version + 1 \
         where booking_id = $1 and state = 'quoted' returning id",
    )
    .bind(booking_id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
}

/// Declines a quoted quote with the customer's reason.
pub async fn decline(
    conn: &mut AnyConnection,
    id: &str,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    if !transition(conn, id, &[State::Quoted], State::Declined, now).await? {
        return Ok(false);
    }
    set_text(conn, id, "decline_reason", reason).await?;
    Ok(true)
}

/// Closes an open (or expired) quote with staff's reason.
pub async fn close(
    conn: &mut AnyConnection,
    id: &str,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let from = [State::New, State::Quoted, State::Expired];
    if !transition(conn, id, &from, State::Closed, now).await? {
        return Ok(false);
    }
    set_text(conn, id, "close_reason", reason).await?;
    Ok(true)
}

async fn set_text(
    conn: &mut AnyConnection,
    id: &str,
    column: &'static str,
    value: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "update quotes set {column} = $2 where id = $1"
    )))
    .bind(id)
    .bind(value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Quoted quotes whose proposal's last day is before `today` (`YYYY-MM-DD`), oldest first.
pub async fn due_to_expire<'e>(
    ex: impl Executor<'e, Database = Any>,
    today: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select q.id from quotes q join quote_revisions r \
             on r.quote_id = q.id and r.number = q.revision \
         where q.state = 'quoted' and q.accepted_at is null and r.valid_until < $1 \
         order by r.valid_until limit $2",
    )
    .bind(today)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Expires a quoted quote whose revision is still `revision`; whether it did.
pub async fn expire(
    conn: &mut AnyConnection,
    id: &str,
    revision: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update quotes set state = 'expired', updated_at = $3, version = version + 1 \
         where id = $1 and state = 'quoted' and revision = $2 and accepted_at is null",
    )
    .bind(id)
    .bind(revision)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The thread, oldest first.
pub async fn messages<'e>(
    ex: impl Executor<'e, Database = Any>,
    quote_id: &str,
) -> Result<Vec<Message>, sqlx::Error> {
    sqlx::query_as(
        "select id, author, body, created_at from quote_messages where quote_id = $1 \
         order by created_at, id",
    )
    .bind(quote_id)
    .fetch_all(ex)
    .await
}

/// Adds a message to the thread.
pub async fn insert_message(
    conn: &mut AnyConnection,
    quote_id: &str,
    author: &str,
    body: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into quote_messages (id, quote_id, author, body, created_at) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(crate::db::new_id())
    .bind(quote_id)
    .bind(author)
    .bind(body)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The terms new proposals start from, and their version.
pub async fn terms<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<(String, i64), sqlx::Error> {
    sqlx::query_as("select body, version from quote_terms where id = 1")
        .fetch_one(ex)
        .await
}

/// Saves the terms template if it is still at `version`; whether it was.
pub async fn set_terms(
    conn: &mut AnyConnection,
    body: &str,
    version: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update quote_terms set body = $1, version = version + 1, updated_at = $3 \
         where id = 1 and version = $2",
    )
    .bind(body)
    .bind(version)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A signed-in customer's quotes, newest first.
pub async fn of_user<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> Result<Vec<Quote>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {QUOTE_COLUMNS} from quotes where user_id = $1 order by created_at desc limit 200"
    )))
    .bind(user_id)
    .fetch_all(ex)
    .await
}

/// A customer's quote requests, newest first: the account's and the guest requests made with
/// `email` (see `orders::store::of_customer`).
pub async fn of_customer<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: Option<&str>,
    email: &str,
    limit: i64,
) -> Result<Vec<Quote>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {QUOTE_COLUMNS} from quotes \
         where user_id = $1 or (user_id is null and lower(email) = lower($2)) \
         order by created_at desc limit $3"
    )))
    .bind(user_id)
    .bind(email)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Gives a user the guest quotes made with their (now confirmed) email address.
pub async fn attach_guest_quotes(
    conn: &mut AnyConnection,
    user_id: &str,
    email: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update quotes set user_id = $1 where user_id is null and lower(email) = lower($2)",
    )
    .bind(user_id)
    .bind(email)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Counts by state, for the dashboard: (new, quoted).
pub async fn open_counts<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "select coalesce(sum(case when state = 'new' then 1 else 0 end), 0), \
                coalesce(sum(case when state = 'quoted' then 1 else 0 end), 0) \
         from quotes where state in ('new', 'quoted')",
    )
    .fetch_one(ex)
    .await
}

/// The packages and services quotes were asked for, as (value, label) choices.
pub async fn service_choices<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select distinct service, service from quotes where service <> '' order by service limit 200",
    )
    .fetch_all(ex)
    .await
}

/// Sets when an accepted quote's balance falls due.
pub async fn set_balance_due(
    conn: &mut AnyConnection,
    id: &str,
    due: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update quotes set balance_due_at = $2 where id = $1")
        .bind(id)
        .bind(due)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Marks an accepted quote's balance paid `by` (`gateway` or `transfer`), once; whether it did.
pub async fn set_balance_paid(
    conn: &mut AnyConnection,
    id: &str,
    by: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update quotes set balance_paid_at = $3, balance_paid_by = $2, updated_at = $3, \
             version = version + 1 \
         where id = $1 and state = 'accepted' and balance_paid_at is null",
    )
    .bind(id)
    .bind(by)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Accepted quotes whose balance is due by `now` and unpaid.
pub async fn count_balances_due<'e>(
    ex: impl Executor<'e, Database = Any>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from quotes where balance_paid_at is null and balance_due_at is not null \
         and balance_due_at <= $1 and state = 'accepted'",
    )
    .bind(now)
    .fetch_one(ex)
    .await
}

/// The reference files of a quote, oldest first.
pub async fn files_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    quote_id: &str,
) -> Result<Vec<crate::media::attachments::AttachedFile>, sqlx::Error> {
    sqlx::query_as(
        "select media_id, file_name, size_bytes from quote_files where quote_id = $1 \
         order by created_at, media_id",
    )
    .bind(quote_id)
    .fetch_all(ex)
    .await
}

/// Attaches a stored file to a quote.
pub async fn attach_file(
    conn: &mut AnyConnection,
    quote_id: &str,
    file: &crate::media::attachments::AttachedFile,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into quote_files (quote_id, media_id, file_name, size_bytes, created_at) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(quote_id)
    .bind(&file.media_id)
    .bind(&file.file_name)
    .bind(file.size_bytes)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Claims the acceptance of revision `revision` of a quoted quote for this request; false when
/// another request holds the claim (younger than two minutes) or the quote moved on.
pub async fn claim_acceptance<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    revision: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update quotes set accepting_at = $3 where id = $1 and state = 'quoted' \
         and revision = $2 and accepted_at is null \
         and (accepting_at is null or accepting_at < $3 - 120)",
    )
    .bind(id)
    .bind(revision)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends this request's claim on a quote's acceptance.
pub async fn release_claim<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update quotes set accepting_at = null where id = $1")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Whether a request is accepting the quote now (a claim younger than two minutes).
pub async fn is_being_accepted<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from quotes where id = $1 and accepting_at >= $2 - 120",
    )
    .bind(id)
    .bind(now)
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

/// A quote request as the funnel counts it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FunnelRow {
    /// Received.
    pub created_at: i64,
    /// Its first proposal was sent.
    pub first_sent_at: Option<i64>,
    /// Signed (kept once the deposit is paid; cleared if the hold lapsed unpaid).
    pub accepted_at: Option<i64>,
    /// `new`, `quoted`, `accepted`, …
    pub state: String,
    /// The shoot it holds or confirmed.
    pub booking_id: Option<String>,
}

/// The quote requests received in `[from, to)`, with when each was first quoted and signed.
pub async fn funnel_between<'e>(
    ex: impl Executor<'e, Database = Any>,
    from: i64,
    to: i64,
) -> Result<Vec<FunnelRow>, sqlx::Error> {
    sqlx::query_as(
        "select q.created_at, \
                (select min(r.sent_at) from quote_revisions r where r.quote_id = q.id) as first_sent_at, \
                q.accepted_at, q.state, q.booking_id \
         from quotes q where q.created_at >= $1 and q.created_at < $2 order by q.created_at",
    )
    .bind(from)
    .bind(to)
    .fetch_all(ex)
    .await
}
