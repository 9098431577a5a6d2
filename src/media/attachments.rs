//! Files customers attach to something of theirs (a booking, a quote request) from its signed
//! link: each goes through the media upload path (the extension allow-list, the content's
//! magic bytes, a free upload slot, the client's hourly allowance) into a private media
//! folder, and its owner keeps the list. The owner's cap is checked before the upload and
//! again under the owner's lock once the file is stored, so two tabs cannot pass it; a file
//! that loses that race is deleted.

use poem::Request;
use poem::web::Multipart;
use sqlx::AnyConnection;

use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A stored file as its owner lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachedFile {
    pub media_id: String,
    /// As the customer named it.
    pub file_name: String,
    pub size_bytes: i64,
}

/// Why a file was not taken (a sentence for the owner's page).
#[derive(Debug)]
pub struct Refused(pub String);

/// What a customer's file is attached to: its domain says whether it takes one more and
/// records it.
#[async_trait::async_trait]
pub trait AttachesFiles: Send + Sync {
    /// Locks the owner for the rest of `conn`'s transaction and says whether it takes one more
    /// file; if not, the sentence why.
    async fn takes_one_more(&self, conn: &mut AnyConnection) -> AppResult<Result<(), String>>;
    /// Records the stored file, in the same transaction.
    async fn attach(
        &self,
        conn: &mut AnyConnection,
        file: &AttachedFile,
        now: i64,
    ) -> AppResult<()>;
}

/// Stores the file in `multipart` (at most `max_bytes`, into `folder`) and attaches it to
/// `owner`. `label` names the customer in the media row and the audit log.
pub async fn receive(
    state: &AppState,
    req: &Request,
    owner: &dyn AttachesFiles,
    label: &str,
    folder: &str,
    max_bytes: u64,
    multipart: Multipart,
) -> AppResult<Result<AttachedFile, Refused>> {
    {
        let mut tx = state.db.begin().await?;
        if let Err(why) = owner.takes_one_more(&mut tx).await? {
            return Ok(Err(Refused(why)));
        }
    }
    let media = match super::handlers::receive_from_customer(
        state, req, label, folder, max_bytes, multipart,
    )
    .await
    {
        Ok(media) => media,
        Err(
            AppError::Refused { message, .. }
            | AppError::BadRequest(message)
            | AppError::Conflict(message),
        ) => {
            return Ok(Err(Refused(message)));
        }
        Err(AppError::RateLimited { .. } | AppError::Busy { .. }) => {
            return Ok(Err(Refused(
                "Too many files at once; try again in a few minutes.".into(),
            )));
        }
        Err(e) => return Err(e),
    };
    let file = AttachedFile {
        media_id: media.id.clone(),
        file_name: media.original_name.clone(),
        size_bytes: media.size_bytes,
    };
    let mut tx = state.db.begin().await?;
    if let Err(why) = owner.takes_one_more(&mut tx).await? {
        drop(tx);
        let actor =
            crate::audit::AuditEntry::by_actor(None, label, "media.delete", "media", &media.id);
        super::delete_media(state, &actor, &media.id).await?;
        return Ok(Err(Refused(why)));
    }
    owner.attach(&mut tx, &file, now()).await?;
    tx.commit().await?;
    Ok(Ok(file))
}
