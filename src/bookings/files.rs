//! Reference files a customer sends with a booking, from its link: through the media path's
//! customer attachments (`media::attachments`) into the media library's `bookings` folder,
//! capped at [`MAX_FILE_BYTES`] and [`MAX_FILES`] per booking. Staff open them from the
//! booking's admin page; they are never public.

use poem::Request;
use poem::web::Multipart;
use sqlx::AnyConnection;

use super::model::{Booking, Status};
use super::store::{self, BookingFile};
use crate::error::{AppError, AppResult};
use crate::media::attachments::{self, AttachedFile, AttachesFiles};
use crate::state::AppState;

pub use crate::media::attachments::Refused;

/// Files one booking takes.
pub const MAX_FILES: usize = 5;

/// The largest reference file (25 MiB): a brief, a mood board, a few stills. Films go through
/// a link in the notes.
pub const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;

/// Whether `b` still takes files: while it is held, pending or confirmed, up to [`MAX_FILES`].
pub fn takes_files(b: &Booking, files: usize) -> bool {
    matches!(b.status, Status::Held | Status::Pending | Status::Confirmed) && files < MAX_FILES
}

/// A booking as the owner of its reference files.
struct BookingFiles<'a>(&'a Booking);

#[async_trait::async_trait]
impl AttachesFiles for BookingFiles<'_> {
    async fn takes_one_more(&self, conn: &mut AnyConnection) -> AppResult<Result<(), String>> {
        let current = store::lock(conn, &self.0.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let count = store::files_of(&mut *conn, &current.id).await?.len();
        if takes_files(&current, count) {
            return Ok(Ok(()));
        }
        Ok(Err(
            if matches!(
                current.status,
                Status::Held | Status::Pending | Status::Confirmed
            ) {
                format!("A booking takes at most {MAX_FILES} files.")
            } else {
                "This booking takes no more files.".into()
            },
        ))
    }

    async fn attach(
        &self,
        conn: &mut AnyConnection,
        file: &AttachedFile,
        now: i64,
    ) -> AppResult<()> {
        store::attach_file(conn, &self.0.id, file, now).await?;
        Ok(())
    }
}

/// Stores the file in `multipart` and attaches it to `booking`.
pub async fn receive(
    state: &AppState,
    req: &Request,
    booking: &Booking,
    multipart: Multipart,
) -> AppResult<Result<BookingFile, Refused>> {
    let label = format!("the customer of booking {}", booking.reference);
    let owner = BookingFiles(booking);
    attachments::receive(
        state,
        req,
        &owner,
        &label,
        "bookings",
        MAX_FILE_BYTES,
        multipart,
    )
    .await
}
