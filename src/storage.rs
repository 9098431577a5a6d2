//! The one place files are stored: an adapter over `object_store` with two backends, the local
//! filesystem (the embedded default) and Azure Blob Storage (Azurite in tests).
//!
//! Everything above this module speaks in blob keys (`folder/yyyy/mm/<uuid>-<slug>.<ext>`);
//! only this module knows where the bytes are.

#![warn(missing_docs)]

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use futures_util::TryStreamExt as _;
use object_store::azure::{MicrosoftAzure, MicrosoftAzureBuilder};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::signer::Signer as _;
use object_store::{
    Attribute, Attributes, ClientOptions, GetOptions, GetRange, GetResult, ObjectStore,
    ObjectStoreExt as _, PutMultipartOptions, PutPayload, RetryConfig, WriteMultipart,
};
use url::Url;

use crate::config::{AzureSettings, StorageSettings};

/// How a blob is served: its content type and disposition travel with it on Azure, so a SAS
/// download carries them too.
#[derive(Debug, Clone)]
pub struct BlobHeaders {
    /// `Content-Type`.
    pub content_type: String,
    /// `Content-Disposition`.
    pub content_disposition: String,
}

/// Storage errors the callers tell apart.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No blob at that key.
    #[error("no such blob")]
    NotFound,
    /// Anything else: unreachable service, refused credentials, full disk.
    #[error("storage failed: {0}")]
    Failed(#[from] object_store::Error),
}

fn classify(e: object_store::Error) -> StorageError {
    match e {
        object_store::Error::NotFound { .. } => StorageError::NotFound,
        other => StorageError::Failed(other),
    }
}

mod staged;

pub use staged::StagedBlock;

#[derive(Debug)]
enum Backend {
    Local {
        root: PathBuf,
    },
    Azure {
        azure: Arc<MicrosoftAzure>,
        /// For the few calls object_store does not make (containers, block lists).
        raw: staged::AzureRaw,
    },
}

/// The media store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    backend: Arc<Backend>,
    block_size: usize,
}

/// An upload in progress: blocks go to storage as they fill, at most a few in flight.
pub struct BlobUpload {
    writer: WriteMultipart,
}

/// Blocks of one upload sent concurrently; with the one filling, memory stays at a few blocks.
const BLOCKS_IN_FLIGHT: usize = 2;

impl BlobUpload {
    /// Adds bytes; waits while too many blocks are in flight.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        self.writer
            .wait_for_capacity(BLOCKS_IN_FLIGHT)
            .await
            .map_err(classify)?;
        self.writer.write(bytes);
        Ok(())
    }

    /// Sends the last block and commits the blob.
    pub async fn finish(self) -> Result<(), StorageError> {
        self.writer.finish().await.map(|_| ()).map_err(classify)
    }

    /// Abandons the upload: nothing is committed and the staged parts are cleaned up.
    pub async fn abort(self) {
        if let Err(e) = self.writer.abort().await {
            tracing::warn!(error = %e, "aborting an upload failed; nothing was committed");
        }
    }
}

impl Storage {
    /// Builds the backend the settings name, creating the local directory or (when asked to)
    /// the Azure container.
    pub async fn from_settings(
        settings: &StorageSettings,
        block_size: usize,
    ) -> anyhow::Result<Self> {
        // object_store's Azure client brings a second rustls provider; pick ours.
        let _ = rustls::crypto::ring::default_provider().install_default();
        match settings {
            StorageSettings::Local { root } => {
                // Owner only: object_store creates the files inside with the umask's mode, so
                // this directory is what keeps customers' files from other local accounts.
                crate::config::create_private_dir(root)
                    .with_context(|| format!("creating media directory {}", root.display()))?;
                let store = LocalFileSystem::new_with_prefix(root)
                    .with_context(|| format!("opening media directory {}", root.display()))?
                    .with_automatic_cleanup(true);
                Ok(Self {
                    store: Arc::new(store),
                    backend: Arc::new(Backend::Local { root: root.clone() }),
                    block_size,
                })
            }
            StorageSettings::Azure(azure) => {
                let built = Arc::new(
                    azure_builder(azure)
                        .build()
                        .context("configuring Azure Blob Storage (AZURE_STORAGE_* settings)")?,
                );
                let raw = staged::AzureRaw::new(azure)?;
                if azure.create_container {
                    create_container(&built, &raw)
                        .await
                        .context("creating the Azure container (AZURE_STORAGE_CREATE_CONTAINER)")?;
                }
                Ok(Self {
                    store: Arc::clone(&built) as Arc<dyn ObjectStore>,
                    backend: Arc::new(Backend::Azure { azure: built, raw }),
                    block_size,
                })
            }
        }
    }

    /// `local` or `azure`, for logs and metrics.
    pub fn backend_name(&self) -> &'static str {
        match *self.backend {
            Backend::Local { .. } => "local",
            Backend::Azure { .. } => "azure",
        }
    }

    /// Starts a streaming upload to `key`. Nothing is visible at `key` until
    /// [`BlobUpload::finish`].
    pub async fn start_upload(
        &self,
        key: &str,
        headers: &BlobHeaders,
    ) -> Result<BlobUpload, StorageError> {
        let path = Path::from(key);
        let upload = self
            .store
            .put_multipart_opts(&path, self.multipart_options(headers))
            .await
            .map_err(classify)?;
        Ok(BlobUpload {
            writer: WriteMultipart::new_with_chunk_size(upload, self.block_size),
        })
    }

    /// Stores a small blob (thumbnails, posters) in one request.
    pub async fn put_small(
        &self,
        key: &str,
        bytes: Vec<u8>,
        headers: &BlobHeaders,
    ) -> Result<(), StorageError> {
        let path = Path::from(key);
        let mut opts = object_store::PutOptions::default();
        if matches!(*self.backend, Backend::Azure { .. }) {
            opts.attributes = attributes(headers);
        }
        self.store
            .put_opts(&path, PutPayload::from(bytes), opts)
            .await
            .map(|_| ())
            .map_err(classify)
    }

    fn multipart_options(&self, headers: &BlobHeaders) -> PutMultipartOptions {
        let mut opts = PutMultipartOptions::default();
        // The local backend keeps no attributes; the app sets the headers when it serves.
        if matches!(*self.backend, Backend::Azure { .. }) {
            opts.attributes = attributes(headers);
        }
        opts
    }

    /// Opens a blob, or a byte range of it, as a stream.
    pub async fn get(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<GetResult, StorageError> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        self.store
            .get_opts(&Path::from(key), options)
            .await
            .map_err(classify)
    }

    /// Reads a whole blob of at most `max` bytes (images for thumbnails).
    pub async fn read_small(&self, key: &str, max: u64) -> Result<Option<Bytes>, StorageError> {
        let result = self.get(key, None).await?;
        if result.meta.size > max {
            return Ok(None);
        }
        result.bytes().await.map(Some).map_err(classify)
    }

    /// Size of the blob at `key`, or `None` when there is none.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, StorageError> {
        match self.store.head(&Path::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(StorageError::Failed(e)),
        }
    }

    /// Deletes a blob; deleting one that is already gone succeeds.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StorageError::Failed(e)),
        }
    }

    /// Every committed key under `prefix` (tests and operators; not for request paths).
    pub async fn list_keys(&self, prefix: Option<&str>) -> Result<Vec<String>, StorageError> {
        let prefix = prefix.map(Path::from);
        self.store
            .list(prefix.as_ref())
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .map_err(classify)
    }

    /// A read-only Azure SAS URL for `key`, valid for `ttl`; `None` on the local backend,
    /// whose links are signed by the app instead.
    pub async fn sas_url(&self, key: &str, ttl: Duration) -> Result<Option<Url>, StorageError> {
        match &*self.backend {
            Backend::Local { .. } => Ok(None),
            Backend::Azure { azure, .. } => azure
                .signed_url(poem::http::Method::GET, &Path::from(key), ttl)
                .await
                .map(Some)
                .map_err(classify),
        }
    }

    /// The file behind `key` on the local backend (ffprobe reads it in place).
    pub fn local_path(&self, key: &str) -> Option<PathBuf> {
        match &*self.backend {
            Backend::Local { root } => {
                let path = Path::from(key);
                Some(
                    path.parts()
                        .fold(root.clone(), |p, part| p.join(part.as_ref())),
                )
            }
            Backend::Azure { .. } => None,
        }
    }

    /// A cheap request that proves the store is there and answers (readiness): locally the
    /// root directory exists; on Azure, listing an empty prefix of the container succeeds
    /// (one request; a missing container is "not found", not an empty answer).
    pub async fn check(&self) -> Result<(), StorageError> {
        if let Backend::Local { root } = &*self.backend {
            let root = root.clone();
            let is_dir = tokio::task::spawn_blocking(move || root.is_dir())
                .await
                .unwrap_or(false);
            if !is_dir {
                return Err(StorageError::NotFound);
            }
        }
        let probe = Path::from(".ready-probe");
        match futures_util::StreamExt::next(&mut self.store.list(Some(&probe))).await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(classify(e)),
        }
    }
}

fn attributes(headers: &BlobHeaders) -> Attributes {
    let mut attrs = Attributes::new();
    attrs.insert(Attribute::ContentType, headers.content_type.clone().into());
    attrs.insert(
        Attribute::ContentDisposition,
        headers.content_disposition.clone().into(),
    );
    attrs.insert(
        Attribute::CacheControl,
        "private, max-age=3600".to_owned().into(),
    );
    attrs
}

fn azure_builder(settings: &AzureSettings) -> MicrosoftAzureBuilder {
    let mut builder = MicrosoftAzureBuilder::new()
        .with_account(&settings.account)
        .with_container_name(&settings.container)
        // Fail a dead storage in seconds, not minutes: the uploader is waiting.
        .with_retry(RetryConfig {
            max_retries: 3,
            retry_timeout: Duration::from_secs(20),
            ..RetryConfig::default()
        })
        .with_client_options(
            ClientOptions::new()
                .with_connect_timeout(Duration::from_secs(5))
                .with_timeout(Duration::from_secs(120)),
        );
    if let Some(key) = &settings.access_key {
        builder = builder.with_access_key(key.expose());
    }
    if let Some(endpoint) = &settings.endpoint {
        builder = builder
            .with_allow_http(endpoint.starts_with("http://"))
            .with_endpoint(endpoint.clone());
    }
    if let Some(id) = &settings.client_id {
        builder = builder.with_client_id(id);
    }
    if let Some(tenant) = &settings.tenant_id {
        builder = builder.with_tenant_id(tenant);
    }
    if let Some(file) = &settings.federated_token_file {
        builder = builder.with_federated_token_file(file);
    }
    builder
}

/// `PUT ?restype=container`, signed with the store's own credentials: 201 created, 409 exists.
/// (object_store has no call for it.)
async fn create_container(azure: &MicrosoftAzure, raw: &staged::AzureRaw) -> anyhow::Result<()> {
    let url = format!("{}?restype=container", raw.container_url());
    let response = raw
        .send(azure, poem::http::Method::PUT, &url, &[], Bytes::new())
        .await?;
    match response.status().as_u16() {
        201 => {
            tracing::info!(container = %raw.container(), "created the storage container");
            Ok(())
        }
        409 => Ok(()),
        status => {
            anyhow::bail!("the storage account answered {status} when creating the container")
        }
    }
}
