//! Reference files a customer sends with a booking, from its link: each goes through the
//! media upload path (the extension allow-list, the content's magic bytes, a free upload slot,
//! the client's hourly allowance) into the media library's `bookings` folder, capped at
//! [`MAX_FILE_BYTES`] and [`MAX_FILES`] per booking. Staff open them from the booking's admin
//! page; they are never public.

use poem::Request;
use poem::web::Multipart;

use super::model::{Booking, Status};
use super::store::{self, BookingFile};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Files one booking takes.
pub const MAX_FILES: usize = 5;

/// The largest reference file (25 MiB): a brief, a mood board, a few stills. Films go through
/// a link in the notes.
pub const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;

/// Why a file was not taken (a sentence for the booking's page).
#[derive(Debug)]
pub struct Refused(pub String);

/// Whether `b` still takes files: while it is held, pending or confirmed, up to [`MAX_FILES`].
pub fn takes_files(b: &Booking, files: usize) -> bool {
    matches!(b.status, Status::Held | Status::Pending | Status::Confirmed) && files < MAX_FILES
}

/// Stores the file in `multipart` and attaches it to `booking`. The count is checked again
/// under the booking's lock once the file is stored, so two tabs cannot pass the cap; a file
/// that loses that race is deleted.
pub async fn receive(
    state: &AppState,
    req: &Request,
    booking: &Booking,
    multipart: Multipart,
) -> AppResult<Result<BookingFile, Refused>> {
    let pool = state.db.pool();
    if !takes_files(booking, store::files_of(pool, &booking.id).await?.len()) {
        return Ok(Err(refused_more(booking)));
    }
    let label = format!("the customer of booking {}", booking.reference);
    let media = match crate::media::handlers::receive_from_customer(
        state,
        req,
        &label,
        "bookings",
        MAX_FILE_BYTES,
        multipart,
    )
    .await
    {
        Ok(media) => media,
        Err(
            AppError::Refused { message, .. }
            | AppError::BadRequest(message)
            | AppError::Conflict(message),
        ) => return Ok(Err(Refused(message))),
        Err(AppError::RateLimited { .. } | AppError::Busy { .. }) => {
            return Ok(Err(Refused(
                "Too many files at once; try again in a few minutes.".into(),
            )));
        }
        Err(e) => return Err(e),
    };
    let file = BookingFile {
        media_id: media.id.clone(),
        file_name: media.original_name.clone(),
        size_bytes: media.size_bytes,
    };
    let mut tx = state.db.begin().await?;
    let current = store::lock(&mut tx, &booking.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let count = store::files_of(&mut *tx, &booking.id).await?.len();
    if !takes_files(&current, count) {
        drop(tx);
        let actor =
            crate::audit::AuditEntry::by_actor(None, &label, "media.delete", "media", &media.id);
        crate::media::delete_media(state, &actor, &media.id).await?;
        return Ok(Err(refused_more(&current)));
    }
    store::attach_file(&mut tx, &booking.id, &file, now()).await?;
    tx.commit().await?;
    Ok(Ok(file))
}

fn refused_more(b: &Booking) -> Refused {
    Refused(
        if matches!(b.status, Status::Held | Status::Pending | Status::Confirmed) {
            format!("A booking takes at most {MAX_FILES} files.")
        } else {
            "This booking takes no more files.".into()
        },
    )
}
