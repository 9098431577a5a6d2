//! SQL for the public site's content: portfolio videos, service packages, FAQ, studio details
//! and contact messages.

use std::collections::HashMap;

use sqlx::{Any, Executor, FromRow};

/// Columns of [`PortfolioVideo`].
const VIDEO_COLUMNS: &str = "v.id, v.slug, v.title, v.summary, v.description, v.category_id,
     c.name as category_name, c.slug as category_slug, v.client_name, v.testimonial,
     v.video_media_id, v.poster_media_id, v.duration_secs, v.project_date, v.featured,
     v.display_order";

/// One of the studio's films.
#[derive(Debug, Clone, FromRow)]
pub struct PortfolioVideo {
    pub id: String,
    /// URL slug.
    pub slug: String,
    pub title: String,
    /// One line for cards.
    pub summary: String,
    pub description: String,
    pub category_id: Option<String>,
    pub category_name: Option<String>,
    pub category_slug: Option<String>,
    pub client_name: String,
    /// What the client said.
    pub testimonial: String,
    /// The film.
    pub video_media_id: Option<String>,
    /// Its poster image.
    pub poster_media_id: Option<String>,
    pub duration_secs: Option<i64>,
    /// `2026-05` or `2026-05-14`.
    pub project_date: Option<String>,
    /// On the home page.
    #[sqlx(try_from = "crate::db::Flag")]
    pub featured: bool,
    /// Position among films.
    pub display_order: i64,
    /// The film has a showreel clip (set from the media library, not a column).
    #[sqlx(skip)]
    pub reel: bool,
}

impl PortfolioVideo {
    /// `3:07`.
    pub fn duration_label(&self) -> Option<String> {
        self.duration_secs
            .filter(|s| *s > 0)
            .map(|s| format!("{}:{:02}", s / 60, s % 60))
    }
}

/// Published films, in display order; only `category`'s when given.
pub async fn portfolio<'e>(
    ex: impl Executor<'e, Database = Any>,
    category: Option<&str>,
) -> Result<Vec<PortfolioVideo>, sqlx::Error> {
    let filter = if category.is_some() {
        "and c.slug = $1"
    } else {
        ""
    };
    let q = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {VIDEO_COLUMNS} from portfolio_videos v
         left join categories c on c.id = v.category_id
         where v.published = 1 {filter}
         order by coalesce(c.sort_order, 1000000), v.display_order, v.created_at desc"
    )));
    match category {
        Some(slug) => q.bind(slug).fetch_all(ex).await,
        None => q.fetch_all(ex).await,
    }
}

/// A service package.
#[derive(Debug, Clone, FromRow)]
pub struct Package {
    pub id: String,
    /// URL slug.
    pub slug: String,
    pub name: String,
    pub category_name: Option<String>,
    pub category_slug: Option<String>,
    pub summary: String,
    pub description: String,
    /// One feature per line.
    pub features: String,
    /// What the client receives.
    pub deliverables: String,
    /// Price from, minor units.
    pub price_minor: i64,
    /// ISO code.
    pub currency: String,
    /// Hours on site.
    pub max_hours: Option<i64>,
    /// Working days to delivery.
    pub turnaround_days: Option<i64>,
    #[sqlx(try_from = "crate::db::Flag")]
    pub popular: bool,
}

impl Package {
    /// The features, one per non-empty line.
    pub fn feature_list(&self) -> Vec<&str> {
        self.features
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    }
}

const PACKAGE_COLUMNS: &str = "p.id, p.slug, p.name, c.name as category_name,
     c.slug as category_slug, p.summary, p.description, p.features, p.deliverables,
     p.price_minor, p.currency, p.max_hours, p.turnaround_days, p.popular";

/// Active packages in display order.
pub async fn packages<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<Package>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {PACKAGE_COLUMNS} from service_packages p
         left join categories c on c.id = p.category_id
         where p.active = 1 order by p.sort_order, p.price_minor"
    )))
    .fetch_all(ex)
    .await
}

/// FAQ entries in order: (question, answer).
pub async fn faqs<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("select question, answer from faqs where active = 1 order by sort_order")
        .fetch_all(ex)
        .await
}

/// The studio's details (address, phone, email, hours) by key.
pub async fn studio_details<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<HashMap<String, String>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as("select key, value from studio_details")
        .fetch_all(ex)
        .await?;
    Ok(rows.into_iter().collect())
}

/// A contact message as received.
#[derive(Debug, Clone)]
pub struct NewContactMessage<'a> {
    pub id: &'a str,
    /// One of [`super::contact::KINDS`].
    pub kind: &'a str,
    /// Sender's name.
    pub name: &'a str,
    /// Sender's email.
    pub email: &'a str,
    pub phone: &'a str,
    pub company: &'a str,
    /// Subject (the package asked about, for quotes).
    pub subject: &'a str,
    pub message: &'a str,
}

/// Stores a contact message.
pub async fn insert_contact_message<'e>(
    ex: impl Executor<'e, Database = Any>,
    m: &NewContactMessage<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into contact_messages (id, kind, name, email, phone, company, subject, message,
                                       created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(m.id)
    .bind(m.kind)
    .bind(m.name)
    .bind(m.email)
    .bind(m.phone)
    .bind(m.company)
    .bind(m.subject)
    .bind(m.message)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

/// The id of the film with `slug`, published or not.
pub async fn find_portfolio_video_id_by_slug<'e>(
    ex: impl Executor<'e, Database = Any>,
    slug: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select id from portfolio_videos where slug = $1")
        .bind(slug)
        .fetch_optional(ex)
        .await
}

/// A new film, published from the start.
#[derive(Debug, Clone)]
pub struct NewPortfolioVideo<'a> {
    pub id: &'a str,
    /// URL slug.
    pub slug: &'a str,
    pub title: &'a str,
    /// One line for cards.
    pub summary: &'a str,
    pub description: &'a str,
    pub category_id: Option<&'a str>,
    pub client_name: &'a str,
    /// What the client said; empty for none.
    pub testimonial: &'a str,
    /// The film; none shows the poster alone.
    pub video_media_id: Option<&'a str>,
    /// Its poster image.
    pub poster_media_id: Option<&'a str>,
    pub duration_secs: Option<i64>,
    /// `2026-05` or `2026-05-14`.
    pub project_date: Option<&'a str>,
    /// On the home page.
    pub featured: bool,
    /// Position among films.
    pub display_order: i64,
}

/// Inserts a film; a taken slug is `DbError::UniqueViolation`.
pub async fn insert_portfolio_video<'e>(
    ex: impl Executor<'e, Database = Any>,
    v: &NewPortfolioVideo<'_>,
    now: i64,
) -> Result<(), crate::db::DbError> {
    sqlx::query(
        "insert into portfolio_videos (id, slug, title, summary, description, category_id,
             client_name, testimonial, video_media_id, poster_media_id, duration_secs,
             project_date, featured, display_order, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
    )
    .bind(v.id)
    .bind(v.slug)
    .bind(v.title)
    .bind(v.summary)
    .bind(v.description)
    .bind(v.category_id)
    .bind(v.client_name)
    .bind(v.testimonial)
    .bind(v.video_media_id)
    .bind(v.poster_media_id)
    .bind(v.duration_secs)
    .bind(v.project_date)
    .bind(i64::from(v.featured))
    .bind(v.display_order)
    .bind(now)
    .execute(ex)
    .await
    .map_err(crate::db::DbError::classify)?;
    Ok(())
}

/// A new service package, active from the start.
#[derive(Debug, Clone)]
pub struct NewPackage<'a> {
    pub id: &'a str,
    /// URL slug.
    pub slug: &'a str,
    pub name: &'a str,
    pub category_id: Option<&'a str>,
    pub summary: &'a str,
    pub description: &'a str,
    /// One feature per line.
    pub features: &'a str,
    /// What the client receives.
    pub deliverables: &'a str,
    /// Price from, minor units.
    pub price_minor: i64,
    /// ISO code.
    pub currency: &'a str,
    /// Hours on site.
    pub max_hours: Option<i64>,
    /// Working days to delivery.
    pub turnaround_days: Option<i64>,
    pub popular: bool,
    /// Position among packages.
    pub sort_order: i64,
}

/// Inserts a package unless its slug is taken; true when the row was written.
pub async fn insert_package<'e>(
    ex: impl Executor<'e, Database = Any>,
    p: &NewPackage<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into service_packages (id, slug, name, category_id, summary, description,
             features, deliverables, price_minor, currency, max_hours, turnaround_days,
             popular, sort_order, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
         on conflict (slug) do nothing",
    )
    .bind(p.id)
    .bind(p.slug)
    .bind(p.name)
    .bind(p.category_id)
    .bind(p.summary)
    .bind(p.description)
    .bind(p.features)
    .bind(p.deliverables)
    .bind(p.price_minor)
    .bind(p.currency)
    .bind(p.max_hours)
    .bind(p.turnaround_days)
    .bind(i64::from(p.popular))
    .bind(p.sort_order)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many FAQ entries there are, hidden ones included.
pub async fn count_faqs<'e>(ex: impl Executor<'e, Database = Any>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from faqs")
        .fetch_one(ex)
        .await
}

/// Inserts a shown FAQ entry. Nothing makes questions unique: a second call adds a second row.
pub async fn insert_faq<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    question: &str,
    answer: &str,
    sort_order: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into faqs (id, question, answer, sort_order, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $5)",
    )
    .bind(id)
    .bind(question)
    .bind(answer)
    .bind(sort_order)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

/// Inserts a studio detail unless its key is taken (staff may have edited it since); true when
/// the row was written.
pub async fn insert_studio_detail<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    key: &str,
    label: &str,
    value: &str,
    sort_order: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into studio_details (id, key, label, value, sort_order, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $6) on conflict (key) do nothing",
    )
    .bind(id)
    .bind(key)
    .bind(label)
    .bind(value)
    .bind(sort_order)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A stored contact message, as the admin's message page shows it.
#[derive(Debug, Clone, FromRow)]
pub struct ContactMessage {
    pub id: String,
    /// One of [`super::contact::KINDS`].
    pub kind: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub company: String,
    pub subject: String,
    pub message: String,
    /// `new`, `read`, `answered` or `archived`.
    pub status: String,
    pub created_at: i64,
}

/// One contact message by id.
pub async fn find_contact_message<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<ContactMessage>, sqlx::Error> {
    sqlx::query_as(
        "select id, kind, name, email, phone, company, subject, message, status, created_at
         from contact_messages where id = $1",
    )
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// The messages sent from `email`, newest first.
pub async fn contact_messages_from<'e>(
    ex: impl Executor<'e, Database = Any>,
    email: &str,
    limit: i64,
) -> Result<Vec<ContactMessage>, sqlx::Error> {
    sqlx::query_as(
        "select id, kind, name, email, phone, company, subject, message, status, created_at
         from contact_messages where lower(email) = lower($1)
         order by created_at desc limit $2",
    )
    .bind(email)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Marks a new message read (opening it). An answered or archived one keeps its status.
pub async fn mark_contact_message_read<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update contact_messages set status = 'read', updated_at = $1, version = version + 1
         where id = $2 and status = 'new'",
    )
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a new or read message answered (a reply was queued). An archived one stays archived.
pub async fn mark_contact_message_answered<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update contact_messages set status = 'answered', updated_at = $1, version = version + 1
         where id = $2 and status in ('new', 'read')",
    )
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A reply staff sent to a contact message.
#[derive(Debug, Clone, FromRow)]
pub struct ContactReply {
    pub id: String,
    /// Who sent it.
    pub author_email: String,
    /// Its outbox row.
    pub email_id: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
}

/// A reply about to be recorded.
#[derive(Debug, Clone)]
pub struct NewContactReply<'a> {
    pub id: &'a str,
    pub message_id: &'a str,
    pub author_user_id: &'a str,
    pub author_email: &'a str,
    pub email_id: &'a str,
    pub to_address: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

/// Records a reply (in the transaction that queued its email).
pub async fn insert_contact_reply<'e>(
    ex: impl Executor<'e, Database = Any>,
    r: &NewContactReply<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into contact_replies (id, message_id, author_user_id, author_email, email_id,
                                      to_address, subject, body, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(r.id)
    .bind(r.message_id)
    .bind(r.author_user_id)
    .bind(r.author_email)
    .bind(r.email_id)
    .bind(r.to_address)
    .bind(r.subject)
    .bind(r.body)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

/// The replies to a message, oldest first.
pub async fn contact_replies<'e>(
    ex: impl Executor<'e, Database = Any>,
    message_id: &str,
) -> Result<Vec<ContactReply>, sqlx::Error> {
    sqlx::query_as(
        "select id, author_email, email_id, to_address, subject, body, created_at
         from contact_replies where message_id = $1 order by created_at, id",
    )
    .bind(message_id)
    .fetch_all(ex)
    .await
}
