//! Staged blobs: a file that arrives in pieces, over requests any replica may serve, and becomes
//! one blob only when the caller commits it (the resumable uploads of `media::resumable`).
//!
//! - On Azure each piece is an uncommitted block (Put Block, named at random, so two writers
//!   never overwrite each other's block); the commit is one Put Block List of the blocks the
//!   caller recorded, in order, carrying the blob's headers. Uncommitted blocks are dropped by
//!   an empty Put Block List and a delete.
//! - Locally the pieces are written at their offsets into one staging file,
//!   `<root>/.staging/<id>`, and the commit is a rename: a 50 GB file is not copied again.
//!
//! The caller keeps the list of pieces (in its database); storage keeps only bytes.

use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use object_store::azure::{AzureAuthorizer, MicrosoftAzure};
use object_store::client::{HttpClient, HttpConnector as _, HttpResponse, ReqwestConnector};
use object_store::multipart::MultipartStore as _;
use object_store::path::Path;
use object_store::{ClientOptions, PutPayload};
use poem::http::Method;
use url::Url;

use super::{Backend, BlobHeaders, Storage, StorageError};
use crate::config::AzureSettings;

/// One piece of a staged blob, as storage named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedBlock {
    /// Azure's block id (before base64); locally, the piece's offset.
    pub id: String,
}

impl Storage {
    /// The most pieces one staged blob may have: Azure keeps at most 50,000 blocks per blob;
    /// the local staging file has no such limit.
    pub fn max_staged_pieces(&self) -> Option<u64> {
        match *self.backend {
            Backend::Local { .. } => None,
            Backend::Azure { .. } => Some(50_000),
        }
    }

    /// Prepares staged blob `staging` (bound for `key`): locally, its empty staging file;
    /// nothing on Azure.
    pub async fn begin_staged(&self, staging: &str) -> Result<(), StorageError> {
        match &*self.backend {
            Backend::Local { root } => {
                let path = staging_path(root, staging)?;
                blocking(move || {
                    if let Some(dir) = path.parent() {
                        crate::config::create_private_dir(dir)?;
                    }
                    std::fs::OpenOptions::new()
                        .create_new(true)
                        .write(true)
                        .open(&path)
                        .map(drop)
                })
                .await
            }
            Backend::Azure { .. } => Ok(()),
        }
    }

    /// Writes the piece of staged blob `staging` (bound for `key`) that starts at `offset`.
    /// Nothing is visible at `key` until [`Storage::commit_staged`].
    pub async fn stage_block(
        &self,
        key: &str,
        staging: &str,
        offset: u64,
        bytes: Bytes,
    ) -> Result<StagedBlock, StorageError> {
        match &*self.backend {
            Backend::Local { root } => {
                let path = staging_path(root, staging)?;
                blocking(move || {
                    // The file is made by `begin_staged`: a late write after a removal or a
                    // commit finds nothing to write into.
                    let file = std::fs::OpenOptions::new().write(true).open(&path)?;
                    file.write_all_at(&bytes, offset)
                })
                .await?;
                Ok(StagedBlock {
                    id: offset.to_string(),
                })
            }
            Backend::Azure { azure, .. } => {
                let part = azure
                    .put_part(&Path::from(key), &String::new(), 0, PutPayload::from(bytes))
                    .await
                    .map_err(StorageError::Failed)?;
                Ok(StagedBlock {
                    id: part.content_id,
                })
            }
        }
    }

    /// Makes `key` the blob of `blocks`, in order, `len` bytes in all, served with `headers`.
    /// Committing again what is already committed succeeds (a retry after a lost answer).
    pub async fn commit_staged(
        &self,
        key: &str,
        staging: &str,
        blocks: &[StagedBlock],
        len: u64,
        headers: &BlobHeaders,
    ) -> Result<(), StorageError> {
        match &*self.backend {
            Backend::Local { root } => {
                let staged = staging_path(root, staging)?;
                let target = self.local_path(key).ok_or(StorageError::NotFound)?;
                blocking(move || commit_local(&staged, &target, len)).await
            }
            Backend::Azure { azure, raw } => {
                let mut xml = String::from(r#"<?xml version="1.0" encoding="utf-8"?><BlockList>"#);
                for block in blocks {
                    xml.push_str("<Latest>");
                    xml.push_str(&BASE64.encode(&block.id));
                    xml.push_str("</Latest>");
                }
                xml.push_str("</BlockList>");
                let url = format!("{}?comp=blocklist", raw.blob_url(key)?);
                let headers = [
                    ("x-ms-blob-content-type", headers.content_type.clone()),
                    (
                        "x-ms-blob-content-disposition",
                        headers.content_disposition.clone(),
                    ),
                    (
                        "x-ms-blob-cache-control",
                        "private, max-age=3600".to_owned(),
                    ),
                ];
                let response = raw
                    .send(azure, Method::PUT, &url, &headers, Bytes::from(xml))
                    .await?;
                expect(response, 201, "committing a staged blob").await
            }
        }
    }

    /// Drops every piece of staged blob `staging`; nothing is left in storage for it. Dropping
    /// one that is already gone succeeds.
    pub async fn discard_staged(&self, key: &str, staging: &str) -> Result<(), StorageError> {
        match &*self.backend {
            Backend::Local { root } => {
                let path = staging_path(root, staging)?;
                blocking(move || match std::fs::remove_file(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    other => other,
                })
                .await
            }
            Backend::Azure { azure, raw } => {
                // Uncommitted blocks cannot be deleted one by one: committing an empty list
                // drops them (the blob becomes empty), and the empty blob is then deleted.
                let url = format!("{}?comp=blocklist", raw.blob_url(key)?);
                let empty = r#"<?xml version="1.0" encoding="utf-8"?><BlockList></BlockList>"#;
                let response = raw
                    .send(
                        azure,
                        Method::PUT,
                        &url,
                        &[],
                        Bytes::from_static(empty.as_bytes()),
                    )
                    .await?;
                expect(response, 201, "dropping a staged blob's blocks").await?;
                self.delete(key).await
            }
        }
    }

    /// How many pieces storage holds for staged blob `staging`, committed or not (tests and
    /// operators: after [`Storage::discard_staged`], none). Locally the staging file counts as
    /// one.
    pub async fn staged_pieces(&self, key: &str, staging: &str) -> Result<usize, StorageError> {
        match &*self.backend {
            Backend::Local { root } => {
                let path = staging_path(root, staging)?;
                Ok(usize::from(blocking(move || Ok(path.exists())).await?))
            }
            Backend::Azure { azure, raw } => {
                let url = format!("{}?comp=blocklist&blocklisttype=all", raw.blob_url(key)?);
                let response = raw
                    .send(azure, Method::GET, &url, &[], Bytes::new())
                    .await?;
                if response.status().as_u16() == 404 {
                    return Ok(0);
                }
                let status = response.status().as_u16();
                let body = response.into_body().bytes().await.map_err(http_failed)?;
                if status != 200 {
                    return Err(failed(format!("listing blocks answered {status}")));
                }
                Ok(String::from_utf8_lossy(&body).matches("<Block>").count())
            }
        }
    }
}

/// `<root>/.staging/<id>`; `id` is the caller's (a UUID), checked so it stays a file name.
fn staging_path(root: &std::path::Path, staging: &str) -> Result<PathBuf, StorageError> {
    let safe = !staging.is_empty()
        && staging
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !safe {
        return Err(failed(format!("not a staging id: {staging:?}")));
    }
    Ok(root.join(".staging").join(staging))
}

fn commit_local(
    staged: &std::path::Path,
    target: &std::path::Path,
    len: u64,
) -> std::io::Result<()> {
    match std::fs::OpenOptions::new().write(true).open(staged) {
        Ok(mut file) => {
            file.set_len(len)?;
            file.flush()?;
            file.sync_all()?;
        }
        // Committed already: the rename happened and only its answer was lost.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && target.exists() => return Ok(()),
        Err(e) => return Err(e),
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    match std::fs::rename(staged, target) {
        // Another commit of the same file renamed it first.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && target.exists() => Ok(()),
        other => other,
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, StorageError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| failed(e.to_string()))?
        .map_err(|e| failed(e.to_string()))
}

fn failed(message: impl Into<String>) -> StorageError {
    StorageError::Failed(object_store::Error::Generic {
        store: "staged",
        source: message.into().into(),
    })
}

fn http_failed(e: object_store::client::HttpError) -> StorageError {
    StorageError::Failed(object_store::Error::Generic {
        store: "MicrosoftAzure",
        source: Box::new(e),
    })
}

async fn expect(response: HttpResponse, want: u16, what: &str) -> Result<(), StorageError> {
    let status = response.status().as_u16();
    if status == want {
        return Ok(());
    }
    let body = response.into_body().bytes().await.unwrap_or_default();
    let detail = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
    Err(failed(format!(
        "{what}: storage answered {status}: {detail}"
    )))
}

/// Signed requests to the Blob service for what object_store has no call for.
#[derive(Debug)]
pub(super) struct AzureRaw {
    container_url: String,
    container: String,
    account: String,
    client: HttpClient,
}

impl AzureRaw {
    pub(super) fn new(settings: &AzureSettings) -> anyhow::Result<Self> {
        let base = match &settings.endpoint {
            Some(endpoint) => endpoint.trim_end_matches('/').to_owned(),
            None => format!("https://{}.blob.core.windows.net", settings.account),
        };
        let container_url = format!("{base}/{}", settings.container);
        let options = ClientOptions::new()
            .with_allow_http(container_url.starts_with("http://"))
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(Duration::from_secs(120));
        Ok(Self {
            client: ReqwestConnector::default().connect(&options)?,
            container_url,
            container: settings.container.clone(),
            account: settings.account.clone(),
        })
    }

    pub(super) fn container_url(&self) -> &str {
        &self.container_url
    }

    pub(super) fn container(&self) -> &str {
        &self.container
    }

    /// The blob's URL, each segment of `key` percent-encoded.
    fn blob_url(&self, key: &str) -> Result<String, StorageError> {
        let mut url = Url::parse(&self.container_url).map_err(|e| failed(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|()| failed("the storage endpoint cannot hold a path"))?
            .extend(key.split('/'));
        Ok(url.to_string())
    }

    /// Sends one signed request, retried (three times in all) while the service or the
    /// network fails; every call made through here is idempotent.
    pub(super) async fn send(
        &self,
        azure: &MicrosoftAzure,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<HttpResponse, StorageError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self
                .send_once(azure, method.clone(), url, headers, body.clone())
                .await;
            match outcome {
                Ok(response) if response.status().is_server_error() && attempt < 3 => {}
                Ok(response) => return Ok(response),
                Err(e) if attempt >= 3 => return Err(e),
                Err(e) => tracing::debug!(error = %e, attempt, "storage request failed; retrying"),
            }
            tokio::time::sleep(Duration::from_millis(300 * attempt)).await;
        }
    }

    async fn send_once(
        &self,
        azure: &MicrosoftAzure,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<HttpResponse, StorageError> {
        let credential = azure
            .credentials()
            .get_credential()
            .await
            .map_err(StorageError::Failed)?;
        let mut builder = poem::http::Request::builder()
            .method(method)
            .uri(url)
            .header("content-length", body.len().to_string());
        for (name, value) in headers {
            builder = builder.header(*name, value.as_str());
        }
        let mut request = builder
            .body(object_store::client::HttpRequestBody::from(body))
            .map_err(|e| failed(e.to_string()))?;
        AzureAuthorizer::new(&credential, &self.account)
            .try_authorize(&mut request)
            .map_err(StorageError::Failed)?;
        self.client.execute(request).await.map_err(http_failed)
    }
}
