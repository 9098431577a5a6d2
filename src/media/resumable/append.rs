//! Appending a request's body to an upload (tus `PATCH`): under the upload's lease, block by
//! block, each block recorded in order once storage has it.

use std::collections::VecDeque;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{Bytes, BytesMut};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt as _};
use tokio::task::JoinHandle;

use super::store::{self, Piece, Row};
use super::{Upload, expiry_secs, finish, lease_secs};
use crate::db::{new_id, now};
use crate::http::deadlines::Late;
use crate::media::kinds::{FileType, SNIFF_LEN};
use crate::media::model::Media;
use crate::media::upload::UploadError;
use crate::state::AppState;
use crate::storage::{StagedBlock, StorageError};

/// Blocks sent to storage at once by one request; with the one filling, memory stays at
/// three blocks.
const BLOCKS_IN_FLIGHT: usize = 2;

/// `Upload-Checksum`: the digest the client computed over the request's body.
#[derive(Debug, Clone)]
pub enum Checksum {
    /// `sha1 <base64>` (the algorithm every tus server must know).
    Sha1(Vec<u8>),
    /// `sha256 <base64>`.
    Sha256(Vec<u8>),
}

impl Checksum {
    /// Parses the header; `None` for an unknown algorithm or a malformed digest.
    pub fn parse(header: &str) -> Option<Self> {
        let (algorithm, digest) = header.trim().split_once(' ')?;
        let digest = BASE64.decode(digest.trim()).ok()?;
        match algorithm {
            "sha1" if digest.len() == 20 => Some(Self::Sha1(digest)),
            "sha256" if digest.len() == 32 => Some(Self::Sha256(digest)),
            _ => None,
        }
    }

    fn hasher(&self) -> Hasher {
        match self {
            Self::Sha1(_) => Hasher::Sha1(Sha1::new()),
            Self::Sha256(_) => Hasher::Sha256(Sha256::new()),
        }
    }

    fn expected(&self) -> &[u8] {
        match self {
            Self::Sha1(d) | Self::Sha256(d) => d,
        }
    }
}

enum Hasher {
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Hasher {
    fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha1(h) => h.update(bytes),
            Self::Sha256(h) => h.update(bytes),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Self::Sha1(h) => h.finalize().to_vec(),
            Self::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

/// Why an append stored nothing (more).
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// No such upload.
    #[error("there is no such upload")]
    NotFound,
    /// It expired unfinished.
    #[error("this upload expired before it was finished; start it again")]
    Expired,
    /// The request's offset is not where the upload is (`received` is).
    #[error("the upload is at byte {received}, not at the offset sent")]
    Conflict {
        /// Where it is.
        received: u64,
    },
    /// Another request is appending to it right now.
    #[error("another request is sending this upload right now; try again shortly")]
    Busy,
    /// More bytes than `Upload-Length` announced.
    #[error("the request carries more bytes than the upload's length")]
    TooLong,
    /// `Upload-Checksum` did not match the body; nothing of it was kept.
    #[error("the request's checksum does not match its body; nothing of it was kept")]
    ChecksumMismatch,
    /// The first request ended before the bytes that show the file's type.
    #[error("the first request must carry at least the file's first {0} bytes")]
    HeadTooShort(usize),
    /// The upload has been cut into too many pieces for storage to join.
    #[error(
        "this upload would take too many small pieces for storage to join; send the rest in requests of at least {0} MiB, or start it again"
    )]
    TooManyPieces(usize),
    /// The file was refused (its first bytes) or could not be stored.
    #[error(transparent)]
    Upload(#[from] UploadError),
}

impl From<sqlx::Error> for AppendError {
    fn from(e: sqlx::Error) -> Self {
        Self::Upload(UploadError::Database(e))
    }
}

impl AppendError {
    /// The status the tus endpoint answers with.
    pub fn status(&self) -> poem::http::StatusCode {
        use poem::http::StatusCode as S;
        match self {
            Self::NotFound => S::NOT_FOUND,
            Self::Expired => S::GONE,
            Self::Conflict { .. } => S::CONFLICT,
            Self::Busy => S::LOCKED,
            Self::TooLong => S::PAYLOAD_TOO_LARGE,
            // tus's checksum extension: 460 Checksum Mismatch.
            Self::ChecksumMismatch => S::from_u16(460).unwrap_or(S::BAD_REQUEST),
            Self::HeadTooShort(_) | Self::TooManyPieces(_) => S::BAD_REQUEST,
            Self::Upload(e) => e.status(),
        }
    }
}

/// What an append achieved.
#[derive(Debug)]
pub struct Appended {
    /// The upload after it (its `received` is the new offset).
    pub upload: Upload,
    /// The file, when this request completed the upload.
    pub media: Option<Media>,
}

/// Appends `body`, which starts at byte `offset` of upload `id` and says it is `declared`
/// bytes long (its `Content-Length`, when it gives one). A body cut short keeps what arrived
/// (unless it carried a checksum, which then cannot be checked): the client asks for the
/// offset and goes on from there.
pub async fn append<R: AsyncRead + Unpin>(
    state: &AppState,
    id: &str,
    offset: u64,
    declared: Option<u64>,
    checksum: Option<Checksum>,
    body: R,
) -> Result<Appended, AppendError> {
    let token = new_id();
    let start = i64::try_from(offset).map_err(|_| AppendError::TooLong)?;
    take_lease(state, id, start, &token).await?;
    let lease = Lease {
        state: Some(state.clone()),
        id: id.to_owned(),
        token: token.clone(),
    };
    let row = store::find(state.db.pool(), id)
        .await?
        .ok_or(AppendError::NotFound)?;
    let length = u64::try_from(row.length).unwrap_or(0);
    if let Some(max) = state.storage.max_staged_pieces() {
        let pieces = u64::try_from(store::piece_count(state.db.pool(), id).await?).unwrap_or(0);
        // Every request adds at least one piece: a client sending the rest in requests of
        // this one's size must not run out of pieces near the end of a long upload.
        let step = (state.settings.upload_block_size as u64).min(declared.unwrap_or(u64::MAX));
        if pieces + (length - offset).div_ceil(step.max(1)) + 1 > max {
            lease.release().await;
            return Err(AppendError::TooManyPieces(
                state.settings.upload_block_size / (1024 * 1024),
            ));
        }
    }
    let mut writer = Writer::new(state, &row, &token, offset, checksum);
    let received = writer.run(body).await;
    // Nothing of this request may write after its lease is given back.
    writer.stop_in_flight().await;
    let media = match received {
        Ok(received) if received == length => Some(finish(state, id).await),
        Ok(_) => None,
        Err(e) => {
            lease.release().await;
            return Err(e);
        }
    };
    lease.release().await;
    let media = media.transpose()?;
    let upload = store::find(state.db.pool(), id)
        .await?
        .ok_or(AppendError::NotFound)?;
    Ok(Appended {
        upload: upload.into(),
        media,
    })
}

/// How long an append waits for another request's lease: a cut request gives its lease back
/// within moments (it stores what it got first), and its client's next attempt, often on
/// another replica, is better served late than refused.
const LEASE_PATIENCE: Duration = Duration::from_secs(3);

async fn take_lease(
    state: &AppState,
    id: &str,
    start: i64,
    token: &str,
) -> Result<(), AppendError> {
    let deadline = tokio::time::Instant::now() + LEASE_PATIENCE;
    loop {
        let now = now();
        if store::take_lease(
            state.db.pool(),
            id,
            start,
            token,
            now,
            now + lease_secs(state),
        )
        .await?
        {
            return Ok(());
        }
        let refusal = why_not(state, id).await?;
        if !matches!(refusal, AppendError::Busy) || tokio::time::Instant::now() >= deadline {
            return Err(refusal);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Why the lease was not granted, from the row as it is.
async fn why_not(state: &AppState, id: &str) -> Result<AppendError, AppendError> {
    let Some(row) = store::find(state.db.pool(), id).await? else {
        return Ok(AppendError::NotFound);
    };
    let received = u64::try_from(row.received).unwrap_or(0);
    Ok(if row.state == "complete" {
        AppendError::Conflict { received }
    } else if row.expires_at <= now() {
        AppendError::Expired
    } else if row.lease_until.is_some_and(|until| until > now()) {
        AppendError::Busy
    } else {
        AppendError::Conflict { received }
    })
}

/// The lease, given back when the append ends, or (dropped with a cancelled request) by a
/// task of its own.
struct Lease {
    state: Option<AppState>,
    id: String,
    token: String,
}

impl Lease {
    async fn release(mut self) {
        if let Some(state) = self.state.take() {
            release(&state, &self.id, &self.token).await;
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(state) = self.state.take() else {
            return;
        };
        let (id, token) = (
            std::mem::take(&mut self.id),
            std::mem::take(&mut self.token),
        );
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { release(&state, &id, &token).await });
        }
    }
}

async fn release(state: &AppState, id: &str, token: &str) {
    if let Err(e) = store::release_lease(state.db.pool(), id, token).await {
        tracing::warn!(error = %e, upload = %id, "could not release an upload's lease; it expires by itself");
    }
}

/// A block on its way to storage.
struct InFlight {
    start: u64,
    len: u64,
    /// The block itself, taken back for the next one once storage has it.
    bytes: Bytes,
    task: JoinHandle<Result<StagedBlock, StorageError>>,
}

/// One request's bytes, cut into blocks, staged and recorded in order.
struct Writer<'a> {
    state: &'a AppState,
    row: &'a Row,
    token: &'a str,
    length: u64,
    block_size: usize,
    /// Offset of the next byte read from the body.
    next: u64,
    in_flight: VecDeque<InFlight>,
    /// With a checksum, pieces wait here until the whole body is checked.
    held: Option<Vec<Piece>>,
    checksum: Option<(Checksum, Hasher)>,
    /// Offset after the last recorded piece.
    recorded: u64,
    /// A stored block's buffer, ready for the next: the same few buffers serve the whole body.
    spare: Option<BytesMut>,
    /// When the lease and the expiry were last renewed.
    renewed: tokio::time::Instant,
}

impl<'a> Writer<'a> {
    fn new(
        state: &'a AppState,
        row: &'a Row,
        token: &'a str,
        offset: u64,
        checksum: Option<Checksum>,
    ) -> Self {
        Self {
            state,
            row,
            token,
            length: u64::try_from(row.length).unwrap_or(0),
            block_size: state.settings.upload_block_size,
            next: offset,
            in_flight: VecDeque::new(),
            held: checksum.as_ref().map(|_| Vec::new()),
            checksum: checksum.map(|c| {
                let hasher = c.hasher();
                (c, hasher)
            }),
            recorded: offset,
            spare: None,
            renewed: tokio::time::Instant::now(),
        }
    }

    /// Renews the lease and the expiry a third of the lease after the last renewal (blocks
    /// recorded renew them too): a slow body, or one whose pieces wait for its checksum, keeps
    /// its upload.
    async fn heartbeat(&mut self) -> Result<(), AppendError> {
        let every = Duration::from_secs(u64::try_from(lease_secs(self.state) / 3).unwrap_or(30));
        if self.renewed.elapsed() < every {
            return Ok(());
        }
        let now = now();
        let renewed = store::renew_lease(
            self.state.db.pool(),
            &self.row.id,
            self.token,
            now + lease_secs(self.state),
            now + expiry_secs(self.state),
        )
        .await?;
        if !renewed {
            return Err(AppendError::Busy);
        }
        self.renewed = tokio::time::Instant::now();
        Ok(())
    }

    /// Stops what is still on its way to storage (after a failure): the tasks are aborted and
    /// awaited, so none of this request's writes outlives its lease.
    async fn stop_in_flight(&mut self) {
        for block in self.in_flight.drain(..) {
            block.task.abort();
            let _ = block.task.await;
        }
    }

    /// Reads the body to its end (or its failure); returns the upload's `received` after it.
    async fn run<R: AsyncRead + Unpin>(&mut self, mut body: R) -> Result<u64, AppendError> {
        // Memory is taken as bytes arrive (reads go into the spare capacity), so a block in
        // the making costs only what it holds.
        let mut block = BytesMut::with_capacity(self.block_size);
        if self.next == 0 {
            let head = self.check_head(&mut body).await?;
            block.extend_from_slice(&head);
        }
        let outcome = loop {
            if block.len() == self.block_size {
                // Sent (after waiting for room in flight) before the next block is reserved.
                self.send(block.split().freeze()).await?;
                block = self
                    .spare
                    .take()
                    .unwrap_or_else(|| BytesMut::with_capacity(self.block_size));
            }
            self.heartbeat().await?;
            let room = (self.block_size - block.len()) as u64;
            match read_into(&mut body, &mut block, room).await {
                Ok(0) => break Ok(()),
                Ok(_) if self.next + block.len() as u64 > self.length => {
                    // Nothing of this block is kept; what came before it is.
                    self.drain().await?;
                    return Err(AppendError::TooLong);
                }
                Ok(_) => {}
                Err(e) => break Err(e),
            }
        };
        if !block.is_empty() && (outcome.is_ok() || self.held.is_none()) {
            self.send(block.freeze()).await?;
        }
        self.drain().await?;
        outcome?;
        self.release_held().await?;
        Ok(self.recorded)
    }

    /// At offset 0: the first bytes must be what the name says before anything is stored.
    /// Returns them (none: the body ended first; nothing stored).
    async fn check_head<R: AsyncRead + Unpin>(
        &mut self,
        body: &mut R,
    ) -> Result<Vec<u8>, AppendError> {
        let want = SNIFF_LEN
            .min(self.block_size)
            .min(usize::try_from(self.length).unwrap_or(SNIFF_LEN));
        let mut head = vec![0u8; want];
        let mut filled = 0;
        while filled < want {
            match read_some(body, &mut head[filled..]).await? {
                0 => return Err(AppendError::HeadTooShort(want)),
                n => filled += n,
            }
        }
        let file_type = FileType::from_ext(&self.row.ext);
        if !file_type.is_some_and(|t| t.matches(&head)) {
            let ext = file_type.map_or("", |t| t.ext);
            // Nothing was stored; the upload cannot succeed, so it goes now (with its empty
            // staging file).
            self.state
                .storage
                .discard_staged(&self.row.blob_key, &self.row.id)
                .await
                .map_err(UploadError::Storage)?;
            let mut conn = self.state.db.pool().acquire().await?;
            store::delete(&mut conn, &self.row.id).await?;
            return Err(UploadError::ContentMismatch {
                name: self.row.original_name.clone(),
                ext,
            }
            .into());
        }
        Ok(head)
    }

    /// Sends a block to storage; waits (recording the oldest) while too many are in flight.
    async fn send(&mut self, bytes: Bytes) -> Result<(), AppendError> {
        if let Some((_, hasher)) = &mut self.checksum {
            hasher.update(&bytes);
        }
        while self.in_flight.len() >= BLOCKS_IN_FLIGHT {
            self.record_oldest().await?;
        }
        let start = self.next;
        let len = bytes.len() as u64;
        self.next += len;
        let storage = self.state.storage.clone();
        let (key, staging) = (self.row.blob_key.clone(), self.row.id.clone());
        let sent = bytes.clone();
        let task =
            tokio::spawn(async move { storage.stage_block(&key, &staging, start, sent).await });
        self.in_flight.push_back(InFlight {
            start,
            len,
            bytes,
            task,
        });
        Ok(())
    }

    async fn drain(&mut self) -> Result<(), AppendError> {
        while !self.in_flight.is_empty() {
            self.record_oldest().await?;
        }
        Ok(())
    }

    async fn record_oldest(&mut self) -> Result<(), AppendError> {
        let Some(oldest) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let staged = oldest
            .task
            .await
            .map_err(|e| {
                UploadError::Storage(StorageError::Failed(object_store::Error::Generic {
                    store: "staged",
                    source: Box::new(e),
                }))
            })?
            .map_err(UploadError::Storage)?;
        // Storage is done with the block: its buffer serves the next one (when nothing else
        // holds it and it is a whole block).
        if let Ok(mut buffer) = oldest.bytes.try_into_mut()
            && buffer.capacity() >= self.block_size
        {
            buffer.clear();
            self.spare = Some(buffer);
        }
        let piece = Piece {
            start: i64::try_from(oldest.start).unwrap_or(i64::MAX),
            len: i64::try_from(oldest.len).unwrap_or(i64::MAX),
            block_id: staged.id,
        };
        match &mut self.held {
            Some(held) => held.push(piece),
            None => {
                self.record(&[piece]).await?;
                self.recorded = oldest.start + oldest.len;
            }
        }
        Ok(())
    }

    /// With a checksum: all of the body's pieces at once, if the digest matches.
    async fn release_held(&mut self) -> Result<(), AppendError> {
        let (Some(held), Some((checksum, hasher))) = (self.held.take(), self.checksum.take())
        else {
            return Ok(());
        };
        if hasher.finish() != checksum.expected() {
            return Err(AppendError::ChecksumMismatch);
        }
        if let Some(last) = held.last() {
            let end = u64::try_from(last.start + last.len).unwrap_or(0);
            self.record(&held).await?;
            self.recorded = end;
        }
        Ok(())
    }

    async fn record(&mut self, pieces: &[Piece]) -> Result<(), AppendError> {
        let now = now();
        let times = (
            now,
            now + lease_secs(self.state),
            now + expiry_secs(self.state),
        );
        let mut tx = self.state.db.begin().await?;
        if !store::record_pieces(&mut tx, &self.row.id, self.token, pieces, times).await? {
            // The lease went to another request (this one stalled past it).
            return Err(AppendError::Busy);
        }
        tx.commit().await?;
        self.renewed = tokio::time::Instant::now();
        Ok(())
    }
}

/// One read of at most `room` bytes into `block`'s spare capacity.
async fn read_into<R: AsyncRead + Unpin>(
    body: &mut R,
    block: &mut BytesMut,
    room: u64,
) -> Result<usize, AppendError> {
    let mut limited = body.take(room);
    limited.read_buf(block).await.map_err(read_error)
}

/// One read of the body, its failures named as the upload pipeline names them.
async fn read_some<R: AsyncRead + Unpin>(
    body: &mut R,
    buf: &mut [u8],
) -> Result<usize, AppendError> {
    body.read(buf).await.map_err(read_error)
}

fn read_error(e: std::io::Error) -> AppendError {
    AppendError::Upload(match Late::of_error(&e) {
        Some(Late::BodyIdle) => UploadError::Idle,
        Some(_) => UploadError::TooSlow,
        None => UploadError::Interrupted,
    })
}
