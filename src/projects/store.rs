//! The projects' SQL: the only code that writes `projects`, `project_bookings`,
//! `deliverables` and `deliverable_versions`.

use sqlx::{Any, AnyConnection, Executor};

use super::model::{Deliverable, Project, State, Version};

const PROJECT_COLUMNS: &str = "id, title, name, email, user_id, quote_id, state, version, \
    link_generation, created_at, updated_at";

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
    let versions: Vec<Version> = sqlx::query_as(
        "select v.id, v.deliverable_id, v.number, v.media_id, v.note, v.created_at \
         from deliverable_versions v join deliverables d on d.id = v.deliverable_id \
         where d.project_id = $1 order by v.number desc",
    )
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
