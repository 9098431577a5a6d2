//! The client's downloads: each file of a delivered project, through the room's link, for a
//! period and a number of times.
//!
//! Downloads open when the project is delivered, for the project's `download_days` (30 by
//! default), and each file's newest version downloads at most `download_cap` times (10 by
//! default). Only completed downloads count: the app streams the file itself (on Azure too,
//! rather than handing out a SAS, so that it sees the bytes go), honouring a `Range`, and a
//! download completes when a response carried the file's last byte to the end (the whole file,
//! or the last range of a resumed one). Every request is recorded: who (the account signed in,
//! else the address), when, where it started, the bytes sent.
//!
//! The whole project downloads as one ZIP (`/zip`): the newest version of every deliverable,
//! each in a folder named after its deliverable, stored (films and stills are compressed
//! already), streamed as it is read from storage through a small pipe, so memory stays flat
//! whatever the size; ZIP64 where an entry or the archive passes 4 GiB. Its length is not
//! known before it is made, so it has no `Content-Length` and no ranges (each file alone has
//! both). It opens under the same gate as its files, and a ZIP that completes counts as one
//! completed download of each file in it; a failure half-way ends the response with an error
//! rather than a short, valid-looking archive.
//!
//! After the period the link answers 410 with a page to ask for more time, which emails staff
//! (once a day at most); staff extend with one click. Over the cap it answers 429 with a
//! sentence. A reminder goes to the client a few days before the end, once per end date: a
//! durable job planned when the period opens or is extended.

use poem::http::StatusCode;
use std::collections::{HashMap, HashSet};
use std::future::Future as _;

use poem::web::{Data, Path};
use poem::{IntoResponse as _, Request, Response, handler};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::{Project, State};
use super::screening::{link_path, open};
use super::store::{self, NewDownload};
use crate::audit::{AuditEntry, insert_audit};
use crate::db::{new_id, now, parse_id};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::context::{Flash, RequestContext};
use crate::http::extract::Ctx;
use crate::http::redirect_with_flash;
use crate::identity::model::User;
use crate::jobs::model::Job;
use crate::jobs::store::{EnqueueOptions, enqueue};
use crate::jobs::{JobHandler, JobSpec};
use crate::notifications::templates::{EmailContent, button, layout};
use crate::state::AppState;
use crate::views::components::timestamp;
use crate::views::layout::{PageMeta, page};

/// A day, in seconds.
const DAY: i64 = 86_400;
/// How long before the end the client is reminded.
pub const REMIND_BEFORE_SECS: i64 = 3 * DAY;
/// Bounds of the project's settings.
const DAYS: (i64, i64) = (1, 365);
const CAP: (i64, i64) = (1, 1_000);

/// Whether a file of a project can be downloaded now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// The project is not delivered yet.
    NotYet,
    /// The quote's balance is still owed (and the project waits for it).
    Unpaid,
    /// Open until `until`, `left` more times.
    Open {
        /// When downloads close.
        until: i64,
        /// Completed downloads left for this file.
        left: i64,
    },
    /// The period ended at `until`.
    Ended {
        /// When it ended.
        until: i64,
    },
    /// The file was downloaded as many times as the project allows.
    Spent,
}

/// The gate of a file of `project` downloaded `completed` times, at `now`; `owed`: the
/// project's quote still owes its balance (see [`balance_owed`]).
pub fn gate(project: &Project, completed: i64, now: i64, owed: bool) -> Gate {
    match project.downloads_until {
        None => Gate::NotYet,
        Some(_) if owed => Gate::Unpaid,
        Some(until) if now >= until => Gate::Ended { until },
        Some(_) if completed >= project.download_cap => Gate::Spent,
        Some(until) => Gate::Open {
            until,
            left: project.download_cap - completed,
        },
    }
}

/// Where the client pays the balance of `project`'s quote, when the project waits for it and
/// the quote still owes it; none otherwise (no quote, paid, or staff turned the wait off).
pub async fn balance_owed(state: &AppState, project: &Project) -> AppResult<Option<String>> {
    let Some(quote_id) = project
        .quote_id
        .as_deref()
        .filter(|_| project.balance_first != 0)
    else {
        return Ok(None);
    };
    let Some(quote) = crate::quotes::store::find(state.db.pool(), quote_id).await? else {
        return Ok(None);
    };
    Ok(crate::quotes::balance::owed(&quote)
        .then(|| crate::quotes::service::link_path(state, &quote)))
}

/// Opens (or lengthens) downloads as the project is delivered, in the delivering transaction:
/// the period starts now; one already running longer stays.
pub(super) async fn on_delivered(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    project: &Project,
    now: i64,
) -> AppResult<()> {
    let until = now + project.download_days * DAY;
    if project.downloads_until.is_some_and(|u| u >= until) {
        return Ok(());
    }
    store::open_downloads(conn, &project.id, until).await?;
    plan_reminder(conn, state, &project.id, until, now).await
}

/// Lengthens the period by the project's `download_days`, from its end or from now when it
/// has ended (audited). Returns the new end.
pub async fn extend(state: &AppState, admin: &User, id: &str) -> AppResult<i64> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let project = store::find(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    let from = project.downloads_until.unwrap_or(now).max(now);
    let until = from + project.download_days * DAY;
    store::open_downloads(&mut tx, id, until).await?;
    plan_reminder(&mut tx, state, id, until, now).await?;
    let entry = AuditEntry {
        before: Some(json!({ "downloads_until": project.downloads_until })),
        after: Some(json!({ "downloads_until": until })),
        ..AuditEntry::by(admin, "project.extend_downloads", "project", id)
    };
    insert_audit(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(until)
}

/// Sets the period and the cap (audited); field errors `days` and `cap`.
pub async fn set_rules(
    state: &AppState,
    admin: &User,
    id: &str,
    days: &str,
    cap: &str,
    balance_first: bool,
) -> AppResult<Result<(), FieldErrors>> {
    let mut errors = FieldErrors::new();
    let number = |raw: &str, (min, max): (i64, i64)| {
        raw.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
    };
    let days = number(days, DAYS);
    if days.is_none() {
        errors.add(
            "days",
            format!("A number of days from {} to {}.", DAYS.0, DAYS.1),
        );
    }
    let cap = number(cap, CAP);
    if cap.is_none() {
        errors.add("cap", format!("A number from {} to {}.", CAP.0, CAP.1));
    }
    let (Some(days), Some(cap)) = (days, cap) else {
        return Ok(Err(errors));
    };
    let now = now();
    let mut tx = state.db.begin().await?;
    if !store::set_download_rules(&mut tx, id, days, cap, balance_first, now).await? {
        return Err(AppError::NotFound);
    }
    let entry = AuditEntry {
        after: Some(json!({
            "download_days": days,
            "download_cap": cap,
            "balance_first": balance_first,
        })),
        ..AuditEntry::by(admin, "project.download_rules", "project", id)
    };
    insert_audit(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// The reminder before downloads close.
#[derive(Debug, Serialize, Deserialize)]
pub struct RemindDownloadsJob {
    /// The project.
    pub project_id: String,
    /// The end it reminds of (an extension plans its own).
    pub until: i64,
}

impl JobSpec for RemindDownloadsJob {
    const KIND: &'static str = "projects.remind_downloads";
}

async fn plan_reminder(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    project_id: &str,
    until: i64,
    now: i64,
) -> AppResult<()> {
    let job = RemindDownloadsJob {
        project_id: project_id.to_owned(),
        until,
    };
    let options = EnqueueOptions {
        // A period shorter than the notice: remind at once.
        run_at: Some((until - REMIND_BEFORE_SECS).max(now)),
        max_attempts: state.max_job_attempts(),
        ..EnqueueOptions::default()
    };
    enqueue(conn, &job, &options, now)
        .await
        .map_err(AppError::internal)?;
    Ok(())
}

/// Runs [`RemindDownloadsJob`]s: emails the client once per end date, in the transaction that
/// marks it sent (a job run again after a crash sends nothing more).
pub struct RemindDownloadsHandler {
    /// The application.
    pub state: AppState,
}

#[async_trait::async_trait]
impl JobHandler for RemindDownloadsHandler {
    async fn run(&self, job: &Job) -> anyhow::Result<()> {
        let spec: RemindDownloadsJob = job.payload()?;
        let state = &self.state;
        let mut tx = state.db.begin().await?;
        if !store::mark_reminded(&mut tx, &spec.project_id, spec.until).await? {
            return Ok(());
        }
        let Some(project) = store::find(&mut *tx, &spec.project_id).await? else {
            return Ok(());
        };
        let link = state.url(&link_path(state, &project));
        let mail = reminder(&project, spec.until, &link);
        crate::notifications::enqueue_email(
            &mut tx,
            &project.email,
            &mail,
            state.max_job_attempts(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// To the client: downloads close soon.
fn reminder(project: &Project, until: i64, link: &str) -> EmailContent {
    let when = timestamp(until);
    let html = layout(
        "Your downloads close soon",
        maud::html! {
            h1 style="font-size:22px;margin:0 0 16px" { (project.title) }
            p { "Your films and stills can be downloaded until " strong { (when) } ". Download them now to keep them." }
            (button(link, "Open your screening room"))
        },
    );
    let text = format!(
        "{title}\n\nYour films and stills can be downloaded until {when}. Download them now to keep them.\n\n{link}\n",
        title = project.title
    );
    EmailContent {
        kind: "project_downloads_reminder",
        subject: format!("Your downloads close on {when}: {}", project.title),
        html,
        text,
    }
}

/// To staff: the client asks for more time.
fn more_time_notice(project: &Project, admin_url: &str) -> EmailContent {
    let html = layout(
        "A client asks for more time to download",
        maud::html! {
            h1 style="font-size:22px;margin:0 0 16px" { (project.title) }
            p { (project.email) " asks for more time to download their files." }
            (button(admin_url, "Open the project to extend"))
        },
    );
    let text = format!(
        "{title}\n\n{email} asks for more time to download their files.\n\nExtend: {admin_url}\n",
        title = project.title,
        email = project.email
    );
    EmailContent {
        kind: "project_more_time_staff",
        subject: format!("More time to download, please: {}", project.title),
        html,
        text,
    }
}

/// `GET /screening/{id}/{sig}/download/{version}`: the file, if the gate is open.
#[handler]
pub async fn download(
    req: &Request,
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((id, sig, version)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let project = open(state, &id, &sig).await?;
    let version = parse_id(&version).ok_or(AppError::NotFound)?;
    let placed = {
        let mut conn = state.db.pool().acquire().await?;
        store::version_in_project(&mut conn, &project.id, &version)
            .await?
            .ok_or(AppError::NotFound)?
    };
    // Only the newest version of a deliverable is the client's to download.
    if placed.version.number != placed.newest {
        return Err(AppError::NotFound);
    }
    let completed = store::completed_of_version(state.db.pool(), &version).await?;
    let owed = balance_owed(state, &project).await?;
    if let Some(why) = refused(
        gate(&project, completed, now(), owed.is_some()),
        owed.as_deref(),
    ) {
        return Ok(refusal(&ctx, state, &project, why));
    }
    let media = crate::media::store::find_ready(state.db.pool(), &placed.version.media_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let range_start = req
        .headers()
        .get(poem::http::header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.split('-').next())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let download_id = new_id();
    let user = ctx.user();
    store::start_download(
        state.db.pool(),
        &NewDownload {
            id: &download_id,
            project_id: &project.id,
            version_id: &version,
            user_id: user.map(|u| u.id.as_str()),
            email: user.map_or("", |u| u.email.as_str()),
            client_ip: &ctx.client_ip,
            range_start,
        },
        now(),
    )
    .await?;
    let pool = state.db.pool().clone();
    let on_sent: crate::media::links::OnSent = Box::new(move |sent| {
        let bytes = i64::try_from(sent.bytes).unwrap_or(i64::MAX);
        record_end(pool, vec![download_id], bytes, sent.through_end);
    });
    crate::media::links::stream_attachment(req, state, &media, on_sent).await
}

/// Records how downloads ended (`rows`), in the background: it is called as a response body
/// is dropped, which must not wait. Nothing when the runtime is gone (the server stopping).
fn record_end(pool: sqlx::AnyPool, rows: Vec<String>, bytes: i64, completed: bool) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        for row in rows {
            if let Err(e) = store::finish_download(&pool, &row, bytes, completed, now()).await {
                tracing::warn!(error = %e, "could not record the end of a download");
            }
        }
    });
}

/// Why a download is refused at `gate`, if it is; `pay`: where to pay the balance.
fn refused(gate: Gate, pay: Option<&str>) -> Option<Refusal> {
    match gate {
        Gate::Open { .. } => None,
        Gate::NotYet => Some(Refusal::NotYet),
        Gate::Unpaid => Some(Refusal::Unpaid(pay.unwrap_or_default().to_owned())),
        Gate::Ended { until } => Some(Refusal::Ended(until)),
        Gate::Spent => Some(Refusal::Spent),
    }
}

enum Refusal {
    NotYet,
    /// Where to pay.
    Unpaid(String),
    Ended(i64),
    Spent,
}

/// The page of a download refused: 403 before delivery, 402 while the balance is owed (with
/// the way to pay it), 410 after the period (with the request for more time), 429 over the
/// cap.
fn refusal(ctx: &RequestContext, state: &AppState, project: &Project, why: Refusal) -> Response {
    let room = link_path(state, project);
    let (status, title, body) = match why {
        Refusal::NotYet => (
            StatusCode::FORBIDDEN,
            "Not ready to download yet",
            maud::html! { p { "Downloads open when the studio delivers the project. You can watch everything in the screening room meanwhile." } },
        ),
        Refusal::Unpaid(pay) => (
            StatusCode::PAYMENT_REQUIRED,
            "Downloads open once the balance is paid",
            maud::html! {
                p { "Your films are ready to watch in the screening room. The files download once the balance of your quote is paid." }
                p { a.button.button-primary href=(pay) { "See and pay the balance" } }
            },
        ),
        Refusal::Ended(until) => (
            StatusCode::GONE,
            "This download link has ended",
            maud::html! {
                p { "Downloads of this project closed on " (timestamp(until)) "." }
                form method="post" action={(room) "/more-time"} {
                    (crate::views::components::csrf_field(ctx))
                    button.button.button-primary type="submit" { "Ask the studio for more time" }
                }
            },
        ),
        Refusal::Spent => (
            StatusCode::TOO_MANY_REQUESTS,
            "Downloaded as often as allowed",
            maud::html! { p { "This file was downloaded " (project.download_cap) " times, the most this project allows. Write to the studio if you need it again." } },
        ),
    };
    let markup = page(
        ctx,
        PageMeta::titled(title),
        maud::html! {
            section.section.section-tight { div.container.narrow {
                h1 { (title) }
                (body)
                p { a href=(room) { "← Back to the screening room" } }
            } }
        },
    );
    markup
        .with_status(status)
        .with_header(poem::http::header::CACHE_CONTROL, "no-store")
        .with_header(poem::http::header::REFERRER_POLICY, "no-referrer")
        .into_response()
}

/// `POST /screening/{id}/{sig}/more-time`: emails staff, once a day at most.
#[handler]
pub async fn more_time(
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
) -> AppResult<Response> {
    let project = open(state, &id, &sig).await?;
    if project.state() != State::Delivered && project.downloads_until.is_none() {
        return Err(AppError::NotFound);
    }
    let now = now();
    let mut tx = state.db.begin().await?;
    let flash = if store::ask_more_time(&mut tx, &project.id, now).await? {
        let admin_url = state.url(&format!("/admin/project/{}#downloads", project.id));
        let notice = more_time_notice(&project, &admin_url);
        crate::bookings::service::notify_staff_about(&mut tx, state, &project.email, &notice)
            .await?;
        Flash::success("The studio has your request and will answer by email.")
    } else {
        Flash::info("You asked already today: the studio will answer by email.")
    };
    tx.commit().await?;
    Ok(redirect_with_flash(
        state,
        &link_path(state, &project),
        flash,
    ))
}

/// A file of the ZIP.
struct Entry {
    name: String,
    key: String,
    version_id: String,
    /// Bytes of the file.
    size: u64,
}

/// The exact length of the ZIP [`write_zip`] writes: every entry is streamed and stored, so
/// async_zip writes the same headers whatever the sizes (a ZIP64 field in each local and
/// central header, a 16-byte data descriptor, the ZIP64 end records); only the names and the
/// sizes count. Checked against the writer in the tests below.
fn zip_length<'a>(entries: impl IntoIterator<Item = (&'a str, u64)>) -> u64 {
    const LOCAL: u64 = 30 + 20 + 16;
    const CENTRAL: u64 = 46 + 28;
    const END: u64 = 56 + 20 + 22;
    entries
        .into_iter()
        .map(|(name, size)| LOCAL + CENTRAL + 2 * name.len() as u64 + size)
        .sum::<u64>()
        + END
}

/// `GET /screening/{id}/{sig}/zip`: every deliverable's newest version in one ZIP.
#[handler]
pub async fn zip(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
) -> AppResult<Response> {
    let project = open(state, &id, &sig).await?;
    let pool = state.db.pool();
    let deliverables = {
        let mut conn = pool.acquire().await?;
        store::deliverables_of(&mut conn, &project.id).await?
    };
    let newest: Vec<(&super::model::Deliverable, &super::model::Version)> = deliverables
        .iter()
        .filter_map(|d| d.versions.first().map(|v| (d, v)))
        .collect();
    let ids: Vec<String> = newest.iter().map(|(_, v)| v.media_id.clone()).collect();
    let files: HashMap<String, crate::media::model::Media> =
        crate::media::store::find_ready_many(pool, &ids)
            .await?
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect();
    let completed: HashMap<String, i64> = store::completed_downloads(pool, &project.id)
        .await?
        .into_iter()
        .collect();
    let owed = balance_owed(state, &project).await?;
    let now = now();
    let mut entries = Vec::new();
    let mut names = HashSet::new();
    for (d, v) in newest {
        let Some(media) = files.get(&v.media_id) else {
            continue;
        };
        let done = completed.get(&v.id).copied().unwrap_or(0);
        if let Some(why) = refused(gate(&project, done, now, owed.is_some()), owed.as_deref()) {
            return Ok(refusal(&ctx, state, &project, why));
        }
        let folder = crate::media::model::safe_file_name(&d.title, "deliverable");
        let mut name = format!("{folder}/{}", media.download_name());
        let mut n = 1;
        while !names.insert(name.clone()) {
            n += 1;
            name = format!("{folder}/v{} ({n}) {}", v.number, media.download_name());
        }
        entries.push(Entry {
            name,
            key: media.blob_key.clone(),
            version_id: v.id.clone(),
            size: u64::try_from(media.size_bytes).unwrap_or(0),
        });
    }
    if entries.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut rows = Vec::with_capacity(entries.len());
    let user = ctx.user();
    for e in &entries {
        let row = new_id();
        store::start_download(
            pool,
            &NewDownload {
                id: &row,
                project_id: &project.id,
                version_id: &e.version_id,
                user_id: user.map(|u| u.id.as_str()),
                email: user.map_or("", |u| u.email.as_str()),
                client_ip: &ctx.client_ip,
                range_start: 0,
            },
            now,
        )
        .await?;
        rows.push(row);
    }
    let length = zip_length(entries.iter().map(|e| (e.name.as_str(), e.size)));
    let (reader, writer) = tokio::io::duplex(ZIP_PIPE);
    let task = tokio::spawn(write_zip(state.clone(), entries, writer));
    let pool = pool.clone();
    let body = ZipBody {
        inner: tokio_util::io::ReaderStream::new(reader),
        task,
        bytes: 0,
        length: i64::try_from(length).unwrap_or(i64::MAX),
        eof: false,
        done: false,
        completed: false,
        on_done: Some(Box::new(move |bytes, completed| {
            record_end(pool, rows, bytes, completed);
        })),
    };
    let file = format!(
        "{}.zip",
        crate::media::model::safe_file_name(&project.title, "project")
    );
    Ok(Response::builder()
        .header(poem::http::header::CONTENT_TYPE, "application/zip")
        .header(
            poem::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        )
        .header(poem::http::header::CACHE_CONTROL, "private, no-store")
        .header("x-content-type-options", "nosniff")
        .header(poem::http::header::CONTENT_LENGTH, length.to_string())
        .body(poem::Body::from_bytes_stream(body)))
}

/// The pipe between the ZIP being written and the response: what is in flight at most.
const ZIP_PIPE: usize = 256 * 1024;

/// Writes the ZIP of `entries` into `out`, reading each file from storage as it goes.
async fn write_zip(
    state: AppState,
    entries: Vec<Entry>,
    out: tokio::io::DuplexStream,
) -> anyhow::Result<()> {
    use futures_lite::AsyncWriteExt as _;
    use futures_util::TryStreamExt as _;
    let mut archive = async_zip::base::write::ZipFileWriter::with_tokio(out);
    for e in entries {
        let entry = async_zip::ZipEntryBuilder::new(e.name.into(), async_zip::Compression::Stored)
            .unix_permissions(0o644);
        let mut w = archive.write_entry_stream(entry).await?;
        let mut file = state.storage.get(&e.key, None).await?.into_stream();
        while let Some(chunk) = file.try_next().await? {
            w.write_all(&chunk).await?;
        }
        w.close().await?;
    }
    let mut out = archive.close().await?;
    out.close().await?;
    Ok(())
}

type ZipDone = Box<dyn FnOnce(i64, bool) + Send>;

/// The ZIP as a response body: the pipe's bytes, then the writer's outcome (an error ends the
/// response with an error, never with a short archive). Told how it ended when dropped; a
/// client that goes away stops the writer.
struct ZipBody {
    inner: tokio_util::io::ReaderStream<tokio::io::DuplexStream>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    bytes: i64,
    /// The `Content-Length` sent: the server may stop polling once it has them all.
    length: i64,
    eof: bool,
    done: bool,
    completed: bool,
    on_done: Option<ZipDone>,
}

impl futures_util::Stream for ZipBody {
    type Item = std::io::Result<bytes::Bytes>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if !this.eof {
            match std::pin::Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    this.bytes += i64::try_from(chunk.len()).unwrap_or(0);
                    return Poll::Ready(Some(Ok(chunk)));
                }
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => this.eof = true,
                Poll::Pending => return Poll::Pending,
            }
        }
        match std::pin::Pin::new(&mut this.task).poll(cx) {
            Poll::Ready(Ok(Ok(()))) => {
                this.done = true;
                this.completed = true;
                Poll::Ready(None)
            }
            Poll::Ready(Ok(Err(e))) => {
                this.done = true;
                tracing::error!(error = %e, "the project's ZIP failed half-way");
                Poll::Ready(Some(Err(std::io::Error::other(
                    "the ZIP could not be completed",
                ))))
            }
            Poll::Ready(Err(e)) => {
                this.done = true;
                Poll::Ready(Some(Err(std::io::Error::other(e.to_string()))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for ZipBody {
    fn drop(&mut self) {
        self.task.abort();
        if self.eof && self.bytes != self.length {
            tracing::error!(
                sent = self.bytes,
                announced = self.length,
                "the ZIP's length was not the one announced"
            );
        }
        // Every announced byte sent is a complete archive, whether or not the server polled
        // the body to its end.
        let completed = self.completed || self.bytes == self.length;
        if let Some(done) = self.on_done.take() {
            done(self.bytes, completed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::zip_length;

    /// The announced length is the length async_zip writes, names in any script included.
    #[tokio::test]
    async fn the_zip_length_is_known_before_it_is_written() {
        use futures_lite::AsyncWriteExt as _;
        let cases: [&[(&str, usize)]; 3] = [
            &[("film/a.mp4", 0)],
            &[
                ("Launch film/v1 launch.mp4", 70_001),
                ("Stills/été 東京.jpg", 3),
            ],
            &[("x", 1), ("y/z", 65_536), ("docs/release form.pdf", 12)],
        ];
        for entries in cases {
            let mut archive = async_zip::base::write::ZipFileWriter::with_tokio(Vec::new());
            for (name, size) in entries {
                let entry = async_zip::ZipEntryBuilder::new(
                    (*name).to_owned().into(),
                    async_zip::Compression::Stored,
                )
                .unix_permissions(0o644);
                let mut w = archive.write_entry_stream(entry).await.unwrap();
                w.write_all(&vec![7u8; *size]).await.unwrap();
                w.close().await.unwrap();
            }
            let written = archive.close().await.unwrap().into_inner();
            let announced = zip_length(entries.iter().map(|(n, s)| (*n, *s as u64)));
            assert_eq!(announced, written.len() as u64, "{entries:?}");
        }
    }
}
