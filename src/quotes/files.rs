//! Reference files a customer sends with a quote request, from the quote's link: through the
//! media path's customer attachments (`media::attachments`) into the private `quotes` folder,
//! at most [`MAX_FILES`] of [`MAX_FILE_BYTES`] each, while the quote is open. Staff open them
//! from the quote's admin page; they are never public.

use poem::Request;
use poem::web::Multipart;
use sqlx::AnyConnection;

use super::model::Quote;
use super::store;
use crate::error::{AppError, AppResult};
use crate::media::attachments::{self, AttachedFile, AttachesFiles, Refused};
use crate::state::AppState;

/// Files one quote takes.
pub const MAX_FILES: usize = 5;

/// The largest reference file (25 MiB): a brief, a mood board, a few stills.
pub const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;

/// Whether `q` still takes files: while it is open (a request, or a proposal out), up to
/// [`MAX_FILES`].
pub fn takes_files(q: &Quote, files: usize) -> bool {
    q.state.is_open() && files < MAX_FILES
}

/// A quote as the owner of its reference files.
struct QuoteFiles<'a>(&'a Quote);

#[async_trait::async_trait]
impl AttachesFiles for QuoteFiles<'_> {
    async fn takes_one_more(&self, conn: &mut AnyConnection) -> AppResult<Result<(), String>> {
        let current = store::lock(conn, &self.0.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let count = store::files_of(&mut *conn, &current.id).await?.len();
        if takes_files(&current, count) {
            return Ok(Ok(()));
        }
        Ok(Err(if current.state.is_open() {
            format!("A quote takes at most {MAX_FILES} files.")
        } else {
            "This quote takes no more files.".into()
        }))
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

/// Stores the file in `multipart` and attaches it to `quote`.
pub async fn receive(
    state: &AppState,
    req: &Request,
    quote: &Quote,
    multipart: Multipart,
) -> AppResult<Result<AttachedFile, Refused>> {
    let label = format!("the customer of quote {}", quote.reference);
    let owner = QuoteFiles(quote);
    attachments::receive(
        state,
        req,
        &owner,
        &label,
        "quotes",
        MAX_FILE_BYTES,
        multipart,
    )
    .await
}

/// The reference files of a quote.
pub async fn of(state: &AppState, quote_id: &str) -> AppResult<Vec<AttachedFile>> {
    Ok(store::files_of(state.db.pool(), quote_id).await?)
}
