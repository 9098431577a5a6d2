//! The admin media library, and the upload request handling shared with the JSON API.

use std::sync::Arc;
use std::time::Duration;

use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Multipart, Path, Query};
use poem::{IntoResponse as _, Request, Response, handler};
use serde::Deserialize;
use tokio::io::AsyncReadExt as _;
use tokio::sync::OwnedSemaphorePermit;

use super::links::{DEFAULT_LINK_TTL, MAX_LINK_TTL, download_link};
use super::model::{Folder, Media};
use super::store::{self, MediaFilter};
use super::upload::{self, UploadError, Uploader};
use super::views;
use crate::audit::{AuditEntry, insert_audit};
use crate::db::{now, parse_id};
use crate::error::{AppError, AppResult};
use crate::http::context::Flash;
use crate::http::deadlines;
use crate::http::extract::{AdminUser, Ctx, HxRequest};
use crate::http::redirect_with_flash;
use crate::rate_limit::{self, Limit};
use crate::state::AppState;

/// Uploads per uploader per hour.
const UPLOADS_PER_HOUR: Limit = Limit {
    name: "upload",
    max: 600,
    window: Duration::from_secs(3600),
};

/// Files per page of the library.
pub const PAGE_SIZE: i64 = 25;

/// Form overhead allowed on top of the largest file limit.
const FORM_OVERHEAD: u64 = 1024 * 1024;

impl From<UploadError> for AppError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::Database(e) => AppError::from(e),
            other => AppError::Refused {
                status: other.status(),
                message: other.to_string(),
            },
        }
    }
}

/// What every upload request must pass before its body is read: a declared length within the
/// largest limit (413 unread), a free upload slot (503), the uploader's hourly allowance (429).
pub async fn admit(
    state: &AppState,
    req: &Request,
    rate_key: &str,
) -> AppResult<OwnedSemaphorePermit> {
    let limits = state.settings.upload_limits;
    if declared_length(req).is_some_and(|len| len > limits.largest().saturating_add(FORM_OVERHEAD))
    {
        return Err(AppError::Refused {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!(
                "That upload is larger than the largest file we accept ({}).",
                upload::human_size(limits.largest())
            ),
        });
    }
    let permit = Arc::clone(&state.upload_slots)
        .try_acquire_owned()
        .map_err(|_| AppError::Busy { retry_after: 10 })?;
    rate_limit::hit(&state.db, UPLOADS_PER_HOUR, rate_key).await?;
    Ok(permit)
}

fn declared_length(req: &Request) -> Option<u64> {
    req.header(header::CONTENT_LENGTH)?.parse().ok()
}

/// Reads a short text field (a folder name) without ever buffering more than `max` bytes.
async fn small_text(field: poem::web::Field, max: u64) -> AppResult<String> {
    let mut out = Vec::new();
    field
        .into_async_read()
        .take(max + 1)
        .read_to_end(&mut out)
        .await
        .map_err(|_| AppError::BadRequest("The form ended early.".into()))?;
    if out.len() as u64 > max {
        return Err(AppError::BadRequest("A form field is too long.".into()));
    }
    String::from_utf8(out)
        .map_err(|_| AppError::BadRequest("A form field is not UTF-8 text.".into()))
}

fn parse_folder(raw: &str) -> AppResult<Folder> {
    Folder::parse(raw).map_err(|m| AppError::BadRequest(m.to_owned()))
}

/// One file from a multipart body with fields `folder` (optional, before the file) and
/// `file` (the API).
pub async fn receive_one(
    state: &AppState,
    req: &Request,
    uploader: &Uploader,
    folder_query: Option<&str>,
    mut multipart: Multipart,
) -> AppResult<Media> {
    let _permit = admit(state, req, &format!("api:{}", uploader.label)).await?;
    let mut folder = parse_folder(folder_query.unwrap_or(""))?;
    while let Some(field) = multipart.next_field().await.map_err(|e| bad_form(req, e))? {
        match field.name() {
            Some("folder") => folder = parse_folder(&small_text(field, 200).await?)?,
            Some("file") => {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                let file_type = upload::precheck(state, &file_name, declared_length(req))?;
                let media = upload::receive(
                    state,
                    uploader,
                    &folder,
                    &file_name,
                    file_type,
                    deadlines::explain(req, field.into_async_read()),
                )
                .await?;
                if let Err(refusal) =
                    nothing_chosen_after_the_file(state, req, &mut multipart).await
                {
                    super::delete_media(
                        state,
                        &uploader.audit("media.delete", &media.id),
                        &media.id,
                    )
                    .await?;
                    return Err(refusal);
                }
                return Ok(media);
            }
            _ => {} // unknown fields are skipped
        }
    }
    Err(AppError::BadRequest(
        "No file: send the file in a multipart field named \"file\".".into(),
    ))
}

/// One file from a customer (not staff, not an API token), into `folder`: a reference
/// file for a booking. The request must declare its length, at most `max_bytes` (411 or 413
/// before anything is read; the body cannot then be longer), and passes the same checks as
/// every upload (a free slot, the client's hourly allowance, the extension allow-list, the
/// content's magic bytes). `label` names the customer in the media row and the audit log.
pub async fn receive_from_customer(
    state: &AppState,
    req: &Request,
    label: &str,
    folder: &str,
    max_bytes: u64,
    mut multipart: Multipart,
) -> AppResult<Media> {
    let Some(declared) = declared_length(req) else {
        return Err(AppError::Refused {
            status: StatusCode::LENGTH_REQUIRED,
            message: "Send the file with its length.".into(),
        });
    };
    if declared > max_bytes.saturating_add(FORM_OVERHEAD) {
        return Err(AppError::Refused {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!(
                "That file is larger than {}; send a link to it in your notes instead.",
                upload::human_size(max_bytes)
            ),
        });
    }
    let client = req
        .data::<std::sync::Arc<crate::http::context::RequestContext>>()
        .map_or_else(|| "unknown".to_owned(), |ctx| ctx.rate_key());
    let _permit = admit(state, req, &format!("customer:{client}")).await?;
    let folder = parse_folder(folder)?;
    let uploader = Uploader {
        user_id: None,
        token_id: None,
        label: label.to_owned(),
    };
    while let Some(field) = multipart.next_field().await.map_err(|e| bad_form(req, e))? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().unwrap_or_default().to_owned();
        if file_name.is_empty() {
            break;
        }
        let file_type = upload::precheck(state, &file_name, Some(declared))?;
        let read = deadlines::explain(req, field.into_async_read());
        return Ok(upload::receive(state, &uploader, &folder, &file_name, file_type, read).await?);
    }
    Err(AppError::BadRequest("Choose a file to send.".into()))
}

/// Reads what follows the file, skipping unknown fields as before it, and refuses a `folder`:
/// the file is streamed to its folder as it arrives, so a folder after it comes too late to
/// choose where it goes. Refusing it (the caller then removes the file) beats filing the file
/// where the client did not ask, or ignoring a folder the spec says is checked. The rest of the
/// body must arrive within the upload idle timeout, like the file.
async fn nothing_chosen_after_the_file(
    state: &AppState,
    req: &Request,
    multipart: &mut Multipart,
) -> AppResult<()> {
    let rest = async {
        while let Some(field) = multipart.next_field().await.map_err(|e| bad_form(req, e))? {
            if field.name() == Some("folder") {
                return Err(AppError::BadRequest(
                    "Send the folder before the file: a folder after it comes too late.".into(),
                ));
            }
        }
        Ok(())
    };
    tokio::time::timeout(state.settings.upload_idle_timeout, rest)
        .await
        .map_err(|_| AppError::Refused {
            status: StatusCode::REQUEST_TIMEOUT,
            message: "The upload stalled after the file.".into(),
        })?
}

fn bad_form(req: &Request, e: poem::error::ParseMultipartError) -> AppError {
    tracing::debug!(error = %e, "unreadable multipart body");
    if let Some(late) = deadlines::body_timeout(req) {
        return AppError::Refused {
            status: StatusCode::REQUEST_TIMEOUT,
            message: format!("The upload was dropped: {late}."),
        };
    }
    AppError::BadRequest(
        "The upload form could not be read (it ended early or is malformed).".into(),
    )
}

/// The outcome of one file of a library upload.
#[derive(Debug)]
pub enum FileOutcome {
    Stored(Box<Media>),
    /// Refused or failed, with the reason.
    Failed {
        /// The file name as sent.
        name: String,
        message: String,
    },
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct LibraryQuery {
    pub folder: Option<String>,
    pub q: Option<String>,
    /// Kind filter.
    pub kind: Option<String>,
    /// Page, from 1.
    pub page: Option<i64>,
}

impl LibraryQuery {
    fn filter(&self) -> MediaFilter {
        let clean = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        MediaFilter {
            folder: clean(&self.folder)
                .and_then(|f| Folder::parse(&f).ok())
                .map(|f| f.as_str().to_owned()),
            search: clean(&self.q).map(|s| s.chars().take(100).collect()),
            kind: clean(&self.kind).filter(|k| super::kinds::MediaKind::parse(k).is_some()),
        }
    }
}

/// The library's listing, as the views need it.
#[derive(Debug)]
pub struct Listing {
    /// The page of files.
    pub rows: Vec<Media>,
    /// Files matching in all.
    pub total: i64,
    /// Current page.
    pub page: i64,
    /// The filters applied.
    pub filter: MediaFilter,
    /// Folders with counts.
    pub folders: Vec<(String, i64)>,
}

async fn listing(state: &AppState, q: &LibraryQuery) -> AppResult<Listing> {
    let filter = q.filter();
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let mut conn = state.db.pool().acquire().await?;
    let (rows, total) =
        store::list_ready(&mut conn, &filter, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    let folders = store::folders(&mut *conn).await?;
    Ok(Listing {
        rows,
        total,
        page,
        filter,
        folders,
    })
}

/// `GET /admin/media`: the library (the table alone for htmx filter requests).
#[handler]
pub async fn library(
    req: &Request,
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    Query(q): Query<LibraryQuery>,
) -> AppResult<Response> {
    let listing = listing(state, &q).await?;
    if req.header("hx-target") == Some("media-table") {
        return Ok(views::table(&ctx, state, &listing).into_response());
    }
    Ok(views::library(&ctx, state, &listing, &[]).into_response())
}

/// `POST /admin/media/upload`: one or more files (`files`), optional `folder` first.
#[handler]
pub async fn upload_files(
    req: &Request,
    ctx: Ctx,
    HxRequest(htmx): HxRequest,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let _permit = admit(state, req, &format!("user:{}", admin.id)).await?;
    let uploader = Uploader {
        user_id: Some(admin.id.clone()),
        token_id: None,
        label: admin.email.clone(),
    };
    let mut folder = parse_folder("")?;
    let mut outcomes = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let (AppError::BadRequest(message) | AppError::Refused { message, .. }) =
                    bad_form(req, e)
                else {
                    break;
                };
                outcomes.push(FileOutcome::Failed {
                    name: "upload".into(),
                    message,
                });
                break;
            }
        };
        match field.name() {
            Some("folder") => match Folder::parse(&small_text(field, 200).await?) {
                Ok(f) => folder = f,
                Err(message) => {
                    outcomes.push(FileOutcome::Failed {
                        name: "folder".into(),
                        message: message.to_owned(),
                    });
                    break;
                }
            },
            Some("files") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                if name.is_empty() {
                    continue; // the empty file input of a form sent without a file
                }
                let result = match upload::precheck(state, &name, None) {
                    Ok(file_type) => {
                        upload::receive(
                            state,
                            &uploader,
                            &folder,
                            &name,
                            file_type,
                            deadlines::explain(req, field.into_async_read()),
                        )
                        .await
                    }
                    Err(e) => Err(e),
                };
                match result {
                    Ok(media) => outcomes.push(FileOutcome::Stored(Box::new(media))),
                    Err(
                        e @ (UploadError::Interrupted | UploadError::Idle | UploadError::TooSlow),
                    ) => {
                        // The rest of the body is unusable.
                        outcomes.push(FileOutcome::Failed {
                            name,
                            message: e.to_string(),
                        });
                        break;
                    }
                    Err(e) => outcomes.push(FileOutcome::Failed {
                        name,
                        message: e.to_string(),
                    }),
                }
            }
            _ => {}
        }
    }
    if outcomes.is_empty() {
        outcomes.push(FileOutcome::Failed {
            name: "upload".into(),
            message: "Choose at least one file.".into(),
        });
    }
    if htmx {
        let mut resp = views::upload_results(&outcomes).into_response();
        resp.headers_mut().insert(
            "hx-trigger",
            poem::http::HeaderValue::from_static("media-changed"),
        );
        return Ok(resp);
    }
    let listing = listing(state, &LibraryQuery::default()).await?;
    let mut resp = views::library(&ctx, state, &listing, &outcomes).into_response();
    if outcomes
        .iter()
        .all(|o| matches!(o, FileOutcome::Failed { .. }))
    {
        resp.set_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    Ok(resp)
}

async fn find(state: &AppState, id: &str) -> AppResult<Media> {
    let id = parse_id(id).ok_or(AppError::NotFound)?;
    store::find_ready(state.db.pool(), &id)
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /admin/media/:id`: the info panel (a page without htmx).
#[handler]
pub async fn info(
    ctx: Ctx,
    HxRequest(htmx): HxRequest,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let media = find(state, &id).await?;
    if htmx {
        return Ok(views::info_drawer(&ctx, state, &media, None).into_response());
    }
    Ok(views::info_page(&ctx, state, &media, None).into_response())
}

/// `GET /admin/media/:id/delete`: the confirmation page (without JavaScript).
#[handler]
pub async fn confirm_delete(
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let media = find(state, &id).await?;
    Ok(views::confirm_delete(&ctx, &media).into_response())
}

/// `POST /admin/media/:id/delete`: deletes the row and its blobs.
#[handler]
pub async fn delete(
    HxRequest(htmx): HxRequest,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let media = super::delete_media(
        state,
        &AuditEntry::by(&admin, "media.delete", "media", &id),
        &id,
    )
    .await?;
    let message = format!("Deleted {}.", media.original_name);
    if htmx {
        // The row swaps out; the toast says what happened.
        return Ok(views::deleted_toast(&message).into_response());
    }
    Ok(redirect_with_flash(
        state,
        "/admin/media",
        Flash::success(message),
    ))
}

/// Form of "copy a signed link".
#[derive(Debug, Deserialize)]
pub struct LinkForm {
    /// Lifetime in seconds.
    ttl: Option<u64>,
}

/// Lifetimes offered in the library.
pub const LINK_LIFETIMES: &[(u64, &str)] = &[
    (15 * 60, "15 minutes"),
    (60 * 60, "1 hour"),
    (24 * 60 * 60, "1 day"),
    (7 * 24 * 60 * 60, "7 days"),
];

/// `POST /admin/media/:id/link`: makes a signed link with the chosen lifetime.
#[handler]
pub async fn make_link(
    ctx: Ctx,
    HxRequest(htmx): HxRequest,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    Form(form): Form<LinkForm>,
) -> AppResult<Response> {
    let media = find(state, &id).await?;
    let ttl = form.ttl.map_or(DEFAULT_LINK_TTL, Duration::from_secs);
    if ttl.is_zero() || ttl > MAX_LINK_TTL {
        return Err(AppError::BadRequest(
            "A link lasts between one second and seven days.".into(),
        ));
    }
    let link = download_link(state, &media, ttl).await.map_err(|e| {
        tracing::error!(error = %e, "signing a link failed");
        AppError::Busy { retry_after: 5 }
    })?;
    insert_audit(
        state.db.pool(),
        &AuditEntry {
            after: Some(serde_json::json!({ "expires_in": ttl.as_secs() })),
            ..AuditEntry::by(&admin, "media.link", "media", &media.id)
        },
        now(),
    )
    .await?;
    if htmx {
        return Ok(views::link_result(&link).into_response());
    }
    Ok(views::info_page(&ctx, state, &media, Some(&link)).into_response())
}
