//! What staff do to projects: start one from an accepted quote or a booking (once, however
//! many times the button is pressed), move it along its states, add deliverables and their
//! versions. Each change is audited in its own transaction.

use serde_json::json;

use super::model::{Kind, State};
use super::store::{self, NewProject, NewVersion};
use crate::audit::{AuditEntry, insert_audit};
use crate::db::{DbError, new_id, now};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::identity::model::User;
use crate::state::AppState;

/// A project started, or found already started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// The project.
    pub id: String,
    /// False when it already existed (a second click, another staff member).
    pub new: bool,
}

/// Starts the project of an accepted quote, with the quote's shoot when it has one.
pub async fn start_from_quote(
    state: &AppState,
    admin: &User,
    quote_id: &str,
) -> AppResult<Started> {
    let pool = state.db.pool();
    let quote = crate::quotes::store::find(pool, quote_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(id) = store::of_quote(pool, &quote.id).await? {
        return Ok(Started { id, new: false });
    }
    if quote.state != crate::quotes::model::State::Accepted {
        return Err(AppError::Conflict(format!(
            "Only an accepted quote becomes a project; this one is “{}”.",
            quote.state.label()
        )));
    }
    let id = new_id();
    let title = format!("{} for {}", quote.service, quote.name);
    let email = quote.email.trim().to_lowercase();
    let project = NewProject {
        id: &id,
        title: &title,
        name: &quote.name,
        email: &email,
        user_id: quote.user_id.as_deref(),
        quote_id: Some(&quote.id),
    };
    let shoot = match quote.booking_id.as_deref() {
        // A shoot already in another project stays there.
        Some(b) if store::of_booking(pool, b).await?.is_none() => Some(b),
        _ => None,
    };
    match insert_project(state, admin, &project, shoot).await {
        Ok(()) => Ok(Started { id, new: true }),
        Err(DbError::UniqueViolation(_)) => match store::of_quote(pool, &quote.id).await? {
            Some(id) => Ok(Started { id, new: false }),
            None => Err(AppError::Conflict(
                "The quote's shoot went into another project meanwhile: try again.".into(),
            )),
        },
        Err(DbError::Other(e)) => Err(e.into()),
    }
}

/// Starts the project of a confirmed or completed booking.
pub async fn start_from_booking(
    state: &AppState,
    admin: &User,
    booking_id: &str,
) -> AppResult<Started> {
    use crate::bookings::model::Status;
    let pool = state.db.pool();
    let booking = crate::bookings::store::find(pool, booking_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(id) = store::of_booking(pool, &booking.id).await? {
        return Ok(Started { id, new: false });
    }
    if !matches!(booking.status, Status::Confirmed | Status::Completed) {
        return Err(AppError::Conflict(format!(
            "Only a confirmed or completed booking becomes a project; this one is “{}”.",
            booking.status.label()
        )));
    }
    let id = new_id();
    let title = format!("{} for {}", booking.type_name, booking.name);
    let email = booking.email.trim().to_lowercase();
    let project = NewProject {
        id: &id,
        title: &title,
        name: &booking.name,
        email: &email,
        user_id: booking.user_id.as_deref(),
        quote_id: None,
    };
    match insert_project(state, admin, &project, Some(&booking.id)).await {
        Ok(()) => Ok(Started { id, new: true }),
        Err(DbError::UniqueViolation(_)) => match store::of_booking(pool, &booking.id).await? {
            Some(id) => Ok(Started { id, new: false }),
            None => Err(AppError::Conflict("Try again.".into())),
        },
        Err(DbError::Other(e)) => Err(e.into()),
    }
}

/// The project row, its booking and the audit entry, in one transaction.
async fn insert_project(
    state: &AppState,
    admin: &User,
    project: &NewProject<'_>,
    booking_id: Option<&str>,
) -> Result<(), DbError> {
    let now = now();
    let run = async {
        let mut tx = state.db.begin().await?;
        store::insert(&mut tx, project, now).await?;
        if let Some(b) = booking_id {
            store::link_booking(&mut tx, project.id, b).await?;
        }
        let entry = AuditEntry {
            after: Some(json!({
                "title": project.title,
                "email": project.email,
                "quote_id": project.quote_id,
                "booking_id": booking_id,
            })),
            ..AuditEntry::by(admin, "project.start", "project", project.id)
        };
        insert_audit(&mut *tx, &entry, now).await?;
        tx.commit().await
    };
    run.await.map_err(DbError::classify)
}

/// Moves a project to `to`, if staff may and nobody changed it since `version` was shown.
pub async fn move_to(
    state: &AppState,
    admin: &User,
    id: &str,
    to: State,
    version: i64,
) -> AppResult<()> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let project = store::find(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    let from = project.state();
    if !from.may_move_to(to) {
        return Err(AppError::Conflict(format!(
            "A project “{}” cannot become “{}”.",
            from.label(),
            to.label()
        )));
    }
    if !store::set_state(&mut tx, id, version, from, to, now).await? {
        return Err(AppError::Conflict(
            "The project changed since you opened it: look again and choose once more.".into(),
        ));
    }
    if to == State::Delivered {
        super::downloads::on_delivered(&mut tx, state, &project, now).await?;
    }
    let entry = AuditEntry {
        before: Some(json!({ "state": from.as_str() })),
        after: Some(json!({ "state": to.as_str() })),
        ..AuditEntry::by(admin, "project.state", "project", id)
    };
    insert_audit(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Most characters of a deliverable's title.
const TITLE_MAX: usize = 200;
/// Most characters of a version's note.
const NOTE_MAX: usize = 2_000;

/// Adds a deliverable; field errors (`title`, `kind`) when the form is wrong.
pub async fn add_deliverable(
    state: &AppState,
    admin: &User,
    project_id: &str,
    title: &str,
    kind: &str,
) -> AppResult<Result<(), FieldErrors>> {
    let mut errors = FieldErrors::new();
    let title = title.trim();
    if title.is_empty() {
        errors.add(
            "title",
            "Give the deliverable a title, such as “Wedding film, 12 minutes”.",
        );
    } else if title.chars().count() > TITLE_MAX {
        errors.add("title", format!("At most {TITLE_MAX} characters."));
    }
    let kind = Kind::parse(kind);
    if kind.is_none() {
        errors.add(
            "kind",
            "Choose what it is: a film, stills, an archive or a document.",
        );
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        return Ok(Err(errors));
    };
    let now = now();
    let id = new_id();
    let mut tx = state.db.begin().await?;
    store::find(&mut *tx, project_id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::insert_deliverable(&mut tx, &id, project_id, title, kind.as_str(), now).await?;
    store::touch(&mut tx, project_id, now).await?;
    let entry = AuditEntry {
        after: Some(json!({ "deliverable": id, "title": title, "kind": kind.as_str() })),
        ..AuditEntry::by(admin, "project.deliverable", "project", project_id)
    };
    insert_audit(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Adds the next version of a deliverable: a file of the media library (ready) and what
/// changed. Returns its number, or field errors (`media`, `note`).
pub async fn add_version(
    state: &AppState,
    admin: &User,
    deliverable_id: &str,
    media_id: &str,
    note: &str,
) -> AppResult<Result<i64, FieldErrors>> {
    let mut errors = FieldErrors::new();
    let note = note.trim();
    if note.chars().count() > NOTE_MAX {
        errors.add("note", format!("At most {NOTE_MAX} characters."));
    }
    let media = match crate::db::parse_id(media_id) {
        Some(id) => crate::media::store::find_ready(state.db.pool(), &id).await?,
        None => None,
    };
    if media.is_none() {
        errors.add(
            "media",
            "Choose a file of the media library (upload it there first).",
        );
    }
    let Some(media) = media.filter(|_| errors.is_empty()) else {
        return Ok(Err(errors));
    };
    let now = now();
    let mut tx = state.db.begin().await?;
    let project_id = store::project_of_deliverable(&mut *tx, deliverable_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let number = store::next_version_number(&mut tx, deliverable_id, now)
        .await?
        .ok_or(AppError::NotFound)?;
    let id = new_id();
    store::insert_version(
        &mut tx,
        &NewVersion {
            id: &id,
            deliverable_id,
            number,
            media_id: &media.id,
            note,
            created_by: &admin.id,
        },
        now,
    )
    .await?;
    store::touch(&mut tx, &project_id, now).await?;
    // A film gets its web rendition and watermarked preview (nothing for other files).
    crate::media::renditions::request(&mut tx, &media)
        .await
        .map_err(AppError::internal)?;
    let entry = AuditEntry {
        after: Some(json!({
            "deliverable": deliverable_id,
            "version": number,
            "media": media.id,
        })),
        ..AuditEntry::by(admin, "project.version", "project", &project_id)
    };
    insert_audit(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Ok(number))
}

/// Ends the client's link and makes a new one (audited).
pub async fn new_link(state: &AppState, admin: &User, id: &str) -> AppResult<()> {
    let now = now();
    let mut tx = state.db.begin().await?;
    if !store::new_link(&mut tx, id, now).await? {
        return Err(AppError::NotFound);
    }
    insert_audit(
        &mut *tx,
        &AuditEntry::by(admin, "project.new_link", "project", id),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
