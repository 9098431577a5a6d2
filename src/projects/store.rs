//! The projects' SQL: the only code that writes `projects`, `project_bookings`,
//! `deliverables`, `deliverable_versions` and `version_comments`.

use sqlx::{Any, AnyConnection, Executor};

use super::model::{Comment, Decision, Deliverable, Project, State, Version};

const VERSION_COLUMNS: &str = "v.id, v.deliverable_id, v.number, v.media_id, v.note, \
    v.created_at, v.decision, v.decision_message, v.decided_at";

const COMMENT_COLUMNS: &str = "id, project_id, version_id, at_ms, body, by_staff, author, reply_to, \
    answered_at, resolved_at, created_at";

const PROJECT_COLUMNS: &str = "id, title, name, email, user_id, quote_id, state, version, \
    link_generation, download_days, download_cap, downloads_until, balance_first, created_at, \
    updated_at";

/// A project to start.
pub struct NewProject<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// The client's name.
    pub name: &'a str,
    /// The client's email address, lowercased.
    pub email: &'a str,
    /// The client's account.
    pub user_id: Option<&'a str>,
    /// The quote it comes from.
    pub quote_id: Option<&'a str>,
}

/// Starts a project, in production.
pub async fn insert(
    conn: &mut AnyConnection,
    p: &NewProject<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into projects (id, title, name, email, user_id, quote_id, state, version, \
         created_at, updated_at) values ($1, $2, $3, $4, $5, $6, 'in_production', 1, $7, $7)",
    )
    .bind(p.id)
    .bind(p.title)
    .bind(p.name)
    .bind(p.email)
    .bind(p.user_id)
    .bind(p.quote_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A project by id.
pub async fn find<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<Project>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {PROJECT_COLUMNS} from projects where id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// The project started from `quote_id`, if any.
pub async fn of_quote<'e>(
    ex: impl Executor<'e, Database = Any>,
    quote_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select id from projects where quote_id = $1")
        .bind(quote_id)
        .fetch_optional(ex)
        .await
}

/// The project `booking_id` belongs to, if any.
pub async fn of_booking<'e>(
    ex: impl Executor<'e, Database = Any>,
    booking_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select project_id from project_bookings where booking_id = $1")
        .bind(booking_id)
        .fetch_optional(ex)
        .await
}

/// Puts `booking_id` into `project_id` (a booking already in a project is a unique
/// violation).
pub async fn link_booking(
    conn: &mut AnyConnection,
    project_id: &str,
    booking_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into project_bookings (project_id, booking_id) values ($1, $2)")
        .bind(project_id)
        .bind(booking_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The bookings of a project.
pub async fn bookings_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    project_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select booking_id from project_bookings where project_id = $1 order by booking_id",
    )
    .bind(project_id)
    .fetch_all(ex)
    .await
}

/// Moves a project to `to` if it is still at `version` in state `from`; false when it changed
/// meanwhile.
pub async fn set_state(
    conn: &mut AnyConnection,
    id: &str,
    version: i64,
    from: State,
    to: State,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update projects set state = $1, version = version + 1, updated_at = $2 \
         where id = $3 and version = $4 and state = $5",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(id)
    .bind(version)
    .bind(from.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a project changed (a deliverable or a version added).
pub async fn touch(conn: &mut AnyConnection, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("update projects set version = version + 1, updated_at = $1 where id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds a deliverable to a project.
pub async fn insert_deliverable(
    conn: &mut AnyConnection,
    id: &str,
    project_id: &str,
    title: &str,
    kind: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into deliverables (id, project_id, title, kind, versions, created_at, updated_at) \
         values ($1, $2, $3, $4, 0, $5, $5)",
    )
    .bind(id)
    .bind(project_id)
    .bind(title)
    .bind(kind)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The project of a deliverable.
pub async fn project_of_deliverable<'e>(
    ex: impl Executor<'e, Database = Any>,
    deliverable_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select project_id from deliverables where id = $1")
        .bind(deliverable_id)
        .fetch_optional(ex)
        .await
}

/// Takes the next version number of a deliverable (1 for the first): one atomic update, so
/// two versions added at once get two numbers. `None` when there is no such deliverable.
pub async fn next_version_number(
    conn: &mut AnyConnection,
    deliverable_id: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "update deliverables set versions = versions + 1, updated_at = $1 where id = $2 \
         returning versions",
    )
    .bind(now)
    .bind(deliverable_id)
    .fetch_optional(conn)
    .await
}

/// A version to add.
pub struct NewVersion<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its deliverable.
    pub deliverable_id: &'a str,
    /// From [`next_version_number`].
    pub number: i64,
    /// The file.
    pub media_id: &'a str,
    /// What changed.
    pub note: &'a str,
    /// The staff member who added it.
    pub created_by: &'a str,
}

/// Adds a version.
pub async fn insert_version(
    conn: &mut AnyConnection,
    v: &NewVersion<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into deliverable_versions (id, deliverable_id, number, media_id, note, \
         created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(v.id)
    .bind(v.deliverable_id)
    .bind(v.number)
    .bind(v.media_id)
    .bind(v.note)
    .bind(v.created_by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A project's deliverables, oldest first, each with its versions newest first.
pub async fn deliverables_of(
    conn: &mut AnyConnection,
    project_id: &str,
) -> Result<Vec<Deliverable>, sqlx::Error> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "select id, title, kind from deliverables where project_id = $1 \
         order by created_at, id",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?;
    let versions: Vec<Version> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {VERSION_COLUMNS} \
             from deliverable_versions v join deliverables d on d.id = v.deliverable_id \
             where d.project_id = $1 order by v.number desc"
    )))
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, title, kind)| Deliverable {
            versions: versions
                .iter()
                .filter(|v| v.deliverable_id == id)
                .cloned()
                .collect(),
            id,
            title,
            kind,
        })
        .collect())
}

/// Ends the client's link: the next one is signed over a new number.
pub async fn new_link(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update projects set link_generation = link_generation + 1, version = version + 1, \
         updated_at = $1 where id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The projects of an account, newest change first.
pub async fn of_user<'e>(
    ex: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> Result<Vec<Project>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {PROJECT_COLUMNS} from projects where user_id = $1 \
         order by updated_at desc, id desc limit 200"
    )))
    .bind(user_id)
    .fetch_all(ex)
    .await
}

/// Gives the projects of a guest address to the account that just confirmed it (in the
/// caller's transaction, with its orders, bookings and quotes).
pub async fn attach_guest_projects(
    conn: &mut AnyConnection,
    user_id: &str,
    email: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("update projects set user_id = $1 where user_id is null and email = $2")
        .bind(user_id)
        .bind(email.trim().to_lowercase())
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// A version where a project has it: its deliverable's title and newest version number.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Placed {
    /// The version.
    #[sqlx(flatten)]
    pub version: Version,
    /// Its deliverable's title.
    pub title: String,
    /// The number of its deliverable's newest version.
    pub newest: i64,
}

/// A version of one of `project_id`'s deliverables; none when the version is not the
/// project's.
pub async fn version_in_project(
    conn: &mut AnyConnection,
    project_id: &str,
    version_id: &str,
) -> Result<Option<Placed>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {VERSION_COLUMNS}, d.title, d.versions as newest \
         from deliverable_versions v join deliverables d on d.id = v.deliverable_id \
         where v.id = $1 and d.project_id = $2"
    )))
    .bind(version_id)
    .bind(project_id)
    .fetch_optional(conn)
    .await
}

/// A comment to write.
pub struct NewComment<'a> {
    /// Its id.
    pub id: &'a str,
    /// The project.
    pub project_id: &'a str,
    /// The version it is about.
    pub version_id: &'a str,
    /// Milliseconds into the film, or none.
    pub at_ms: Option<i64>,
    /// What was written.
    pub body: &'a str,
    /// Whether a staff member wrote it.
    pub by_staff: bool,
    /// The staff member's email or the client's name.
    pub author: &'a str,
    /// The client comment a staff reply answers.
    pub reply_to: Option<&'a str>,
}

/// Writes a comment; a client's counts as waiting on the project until staff answer it.
pub async fn insert_comment(
    conn: &mut AnyConnection,
    c: &NewComment<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into version_comments (id, project_id, version_id, at_ms, body, by_staff, \
         author, reply_to, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(c.id)
    .bind(c.project_id)
    .bind(c.version_id)
    .bind(c.at_ms)
    .bind(c.body)
    .bind(i64::from(c.by_staff))
    .bind(c.author)
    .bind(c.reply_to)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if !c.by_staff {
        waiting(conn, c.project_id, 1, now).await?;
    }
    Ok(())
}

/// Adds `delta` to the project's comments waiting for staff; its last change is now.
async fn waiting(
    conn: &mut AnyConnection,
    project_id: &str,
    delta: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update projects set comments_waiting = comments_waiting + $1, updated_at = $2 \
         where id = $3",
    )
    .bind(delta)
    .bind(now)
    .bind(project_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A comment.
pub async fn find_comment(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<Comment>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COMMENT_COLUMNS} from version_comments where id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Marks a client comment answered (a staff reply, or resolved), once: the project's waiting
/// count goes down by one the first time only.
pub async fn answer(
    conn: &mut AnyConnection,
    id: &str,
    project_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let done = sqlx::query(
        "update version_comments set answered_at = $1 \
         where id = $2 and by_staff = 0 and answered_at is null",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        waiting(conn, project_id, -1, now).await?;
    }
    Ok(())
}

/// Marks a client comment resolved (and answered); false when it already was.
pub async fn resolve(
    conn: &mut AnyConnection,
    id: &str,
    project_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update version_comments set resolved_at = $1 \
         where id = $2 and by_staff = 0 and resolved_at is null",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    answer(conn, id, project_id, now).await?;
    Ok(done.rows_affected() == 1)
}

/// A project's comments: per version, those on the whole version first, then by time in the
/// film, then as written (replies after what they answer).
pub async fn comments_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    project_id: &str,
) -> Result<Vec<Comment>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COMMENT_COLUMNS} from version_comments where project_id = $1 \
         order by version_id, case when at_ms is null then 0 else 1 end, at_ms, created_at, id"
    )))
    .bind(project_id)
    .fetch_all(ex)
    .await
}

/// How many comments a project holds.
pub async fn comment_count(conn: &mut AnyConnection, project_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from version_comments where project_id = $1")
        .bind(project_id)
        .fetch_one(conn)
        .await
}

/// Every client comment staff have not answered yet, over all projects (the dashboard's
/// figure): a sum over the projects that have any, through their index.
pub async fn comments_waiting<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select cast(coalesce(sum(comments_waiting), 0) as bigint) from projects \
         where comments_waiting > 0",
    )
    .fetch_one(ex)
    .await
}

/// Records the client's answer to a version, if it is still its deliverable's newest and
/// unanswered; false otherwise (a second click, a second tab, a newer version meanwhile).
pub async fn decide(
    conn: &mut AnyConnection,
    version_id: &str,
    decision: Decision,
    message: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update deliverable_versions set decision = $1, decision_message = $2, decided_at = $3 \
         where id = $4 and decision is null and number = \
         (select d.versions from deliverables d where d.id = deliverable_versions.deliverable_id)",
    )
    .bind(decision.as_str())
    .bind(message)
    .bind(now)
    .bind(version_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the project has deliverables and the newest version of each is approved.
pub async fn all_approved(conn: &mut AnyConnection, project_id: &str) -> Result<bool, sqlx::Error> {
    let (deliverables, open): (i64, i64) = sqlx::query_as(
        "select count(*), coalesce(sum(case when exists (select 1 from deliverable_versions v \
         where v.deliverable_id = d.id and v.number = d.versions and v.decision = 'approved') \
         then 0 else 1 end), 0) from deliverables d where d.project_id = $1",
    )
    .bind(project_id)
    .fetch_one(conn)
    .await?;
    Ok(deliverables > 0 && open == 0)
}

/// Opens downloads until `until`, unless they already run longer.
pub async fn open_downloads(
    conn: &mut AnyConnection,
    id: &str,
    until: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update projects set downloads_until = $1 \
         where id = $2 and (downloads_until is null or downloads_until < $1)",
    )
    .bind(until)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets how long downloads stay open once delivered, how often each file downloads, and
/// whether they wait for the quote's balance.
pub async fn set_download_rules(
    conn: &mut AnyConnection,
    id: &str,
    days: i64,
    cap: i64,
    balance_first: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update projects set download_days = $1, download_cap = $2, balance_first = $3, \
         updated_at = $4 where id = $5",
    )
    .bind(days)
    .bind(cap)
    .bind(i64::from(balance_first))
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the client's request for more time, at most once a day; false when they asked
/// within the last day.
pub async fn ask_more_time(
    conn: &mut AnyConnection,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update projects set more_time_asked_at = $1 \
         where id = $2 and (more_time_asked_at is null or more_time_asked_at < $3)",
    )
    .bind(now)
    .bind(id)
    .bind(now - 86_400)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the reminder before downloads close at `until` sent; false when it was, or when the
/// period changed meanwhile (its own reminder is planned).
pub async fn mark_reminded(
    conn: &mut AnyConnection,
    id: &str,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update projects set reminded_for = $1 where id = $2 and downloads_until = $1 \
         and (reminded_for is null or reminded_for <> $1)",
    )
    .bind(until)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Projects whose downloads close between `from` and `to` (the dashboard's "links expiring").
pub async fn downloads_closing<'e>(
    ex: impl Executor<'e, Database = Any>,
    from: i64,
    to: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from projects where downloads_until >= $1 and downloads_until < $2",
    )
    .bind(from)
    .bind(to)
    .fetch_one(ex)
    .await
}

/// A download as it starts.
pub struct NewDownload<'a> {
    /// Its id.
    pub id: &'a str,
    /// The project.
    pub project_id: &'a str,
    /// The version downloaded.
    pub version_id: &'a str,
    /// The account signed in, if any.
    pub user_id: Option<&'a str>,
    /// Its email, or empty.
    pub email: &'a str,
    /// The client's address.
    pub client_ip: &'a str,
    /// The first byte asked for (a resumed download asks from where it stopped).
    pub range_start: i64,
}

/// Records a download starting.
pub async fn start_download<'e>(
    ex: impl Executor<'e, Database = Any>,
    d: &NewDownload<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into project_downloads (id, project_id, version_id, user_id, email, client_ip, \
         range_start, started_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(d.id)
    .bind(d.project_id)
    .bind(d.version_id)
    .bind(d.user_id)
    .bind(d.email)
    .bind(d.client_ip)
    .bind(d.range_start)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

/// Records how a download ended.
pub async fn finish_download<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    bytes: i64,
    completed: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update project_downloads set bytes = $1, completed = $2, finished_at = $3 where id = $4",
    )
    .bind(bytes)
    .bind(i64::from(completed))
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(())
}

/// Completed downloads per version of a project.
pub async fn completed_downloads<'e>(
    ex: impl Executor<'e, Database = Any>,
    project_id: &str,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select version_id, count(*) from project_downloads \
         where project_id = $1 and completed = 1 group by version_id",
    )
    .bind(project_id)
    .fetch_all(ex)
    .await
}

/// Completed downloads of one version.
pub async fn completed_of_version<'e>(
    ex: impl Executor<'e, Database = Any>,
    version_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from project_downloads where version_id = $1 and completed = 1",
    )
    .bind(version_id)
    .fetch_one(ex)
    .await
}

/// A download as the project page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DownloadRow {
    /// The version downloaded.
    pub version_id: String,
    /// The account signed in, if any (its email), or empty.
    pub email: String,
    /// The client's address.
    pub client_ip: String,
    /// The first byte asked for.
    pub range_start: i64,
    /// Bytes sent.
    pub bytes: i64,
    /// 1 when it completed the file.
    pub completed: i64,
    /// When it started.
    pub started_at: i64,
}

/// A project's newest downloads, newest first.
pub async fn downloads_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    project_id: &str,
    limit: i64,
) -> Result<Vec<DownloadRow>, sqlx::Error> {
    sqlx::query_as(
        "select version_id, email, client_ip, range_start, bytes, completed, started_at \
         from project_downloads where project_id = $1 order by started_at desc, id desc limit $2",
    )
    .bind(project_id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// A staff reply, with the time of the client comment it answers, as the client's email lists
/// it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Answer {
    /// The comment's time in the film, if any.
    pub at_ms: Option<i64>,
    /// The studio's reply.
    pub reply: String,
}

/// The staff replies of a project written after `after` and up to `upto`, oldest first.
pub async fn replies_between<'e>(
    ex: impl Executor<'e, Database = Any>,
    project_id: &str,
    after: i64,
    upto: i64,
) -> Result<Vec<Answer>, sqlx::Error> {
    sqlx::query_as(
        "select c.at_ms, r.body as reply from version_comments r \
         join version_comments c on c.id = r.reply_to \
         where r.project_id = $1 and r.by_staff = 1 and r.created_at > $2 and r.created_at <= $3 \
         order by r.created_at, r.id",
    )
    .bind(project_id)
    .bind(after)
    .bind(upto)
    .fetch_all(ex)
    .await
}

/// Moves the project's "replies mailed up to" mark to `upto`; the earlier mark, or none when
/// it already stood there or later (the job ran already).
pub async fn mark_replies_mailed(
    conn: &mut AnyConnection,
    project_id: &str,
    upto: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let before: Option<i64> = sqlx::query_scalar(
        "select replies_mailed_until from projects where id = $1 and replies_mailed_until < $2",
    )
    .bind(project_id)
    .bind(upto)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(before) = before else {
        return Ok(None);
    };
    let done = sqlx::query(
        "update projects set replies_mailed_until = $1 \
         where id = $2 and replies_mailed_until = $3",
    )
    .bind(upto)
    .bind(project_id)
    .bind(before)
    .execute(conn)
    .await?;
    Ok((done.rows_affected() == 1).then_some(before))
}

/// Marks the review asked for; false when it was already (asked once per project).
pub async fn mark_review_requested(
    conn: &mut AnyConnection,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update projects set review_requested_at = $1 \
         where id = $2 and review_requested_at is null",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A client's review of a project.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Review {
    /// 1 to 5.
    pub rating: i64,
    /// What they wrote.
    pub body: String,
    /// The name they chose to show.
    pub name: String,
    /// `pending`, `approved` or `hidden`.
    pub status: String,
    /// When it was written or last edited.
    pub updated_at: i64,
}

/// The review of a project, if its client wrote one.
pub async fn review_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    project_id: &str,
) -> Result<Option<Review>, sqlx::Error> {
    sqlx::query_as(
        "select rating, body, name, status, updated_at from project_reviews where project_id = $1",
    )
    .bind(project_id)
    .fetch_optional(ex)
    .await
}

/// Writes the client's review, or their edit of it (which waits for moderation again).
pub async fn save_review(
    conn: &mut AnyConnection,
    project_id: &str,
    rating: i64,
    body: &str,
    name: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let updated = sqlx::query(
        "update project_reviews set rating = $1, body = $2, name = $3, status = 'pending', \
         version = version + 1, updated_at = $4 where project_id = $5",
    )
    .bind(rating)
    .bind(body)
    .bind(name)
    .bind(now)
    .bind(project_id)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "insert into project_reviews (id, project_id, rating, body, name, created_at, \
             updated_at) values ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(crate::db::new_id())
        .bind(project_id)
        .bind(rating)
        .bind(body)
        .bind(name)
        .bind(now)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Approved reviews, newest first.
pub async fn approved_reviews<'e>(
    ex: impl Executor<'e, Database = Any>,
    limit: i64,
) -> Result<Vec<Review>, sqlx::Error> {
    sqlx::query_as(
        "select rating, body, name, status, updated_at from project_reviews \
         where status = 'approved' order by created_at desc, id desc limit $1",
    )
    .bind(limit)
    .fetch_all(ex)
    .await
}
