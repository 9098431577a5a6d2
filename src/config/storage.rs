//! Where uploaded files live: `STORAGE_BACKEND`, a local directory (development, or a single
//! server with a persistent disk) or Azure Blob Storage, described by separate variables or an
//! `AZURE_STORAGE_CONNECTION_STRING` (Azurite's included).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use url::Url;

use super::parse::{non_empty, parse_bool};
use super::{ConfigError, Secret, err};

/// Where uploaded files live.
#[derive(Debug, Clone)]
pub enum StorageSettings {
    /// Development: a directory on this machine (`MEDIA_DIR`).
    Local {
        /// Root directory of the blobs.
        root: PathBuf,
    },
    /// Azure Blob Storage (or Azurite).
    Azure(AzureSettings),
}

/// How to reach an Azure storage account.
#[derive(Debug, Clone)]
pub struct AzureSettings {
    /// Storage account name.
    pub account: String,
    /// Account key; `None` means Azure identity (workload identity or managed identity).
    pub access_key: Option<Secret<String>>,
    /// Blob endpoint override (`http://127.0.0.1:10000/devstoreaccount1` for Azurite).
    pub endpoint: Option<String>,
    /// Container holding the media.
    pub container: String,
    /// Create the container at startup when it does not exist.
    pub create_container: bool,
    /// `AZURE_CLIENT_ID` for workload identity.
    pub client_id: Option<String>,
    /// `AZURE_TENANT_ID` for workload identity.
    pub tenant_id: Option<String>,
    /// `AZURE_FEDERATED_TOKEN_FILE` for workload identity.
    pub federated_token_file: Option<String>,
}

/// Azurite's published development account key (from its documentation; not a secret).
const AZURITE_ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// `STORAGE_BACKEND` (`local` or `azure`) and the variables of the chosen backend. Unset, it
/// is `azure` as soon as an Azure account is named, `local` otherwise.
pub(super) fn parse(
    vars: &HashMap<String, String>,
    data_dir: &Path,
    production: bool,
) -> Result<StorageSettings, ConfigError> {
    let azure_configured = non_empty(vars, "AZURE_STORAGE_CONNECTION_STRING").is_some()
        || non_empty(vars, "AZURE_STORAGE_ACCOUNT").is_some();
    let backend = non_empty(vars, "STORAGE_BACKEND").unwrap_or(if azure_configured {
        "azure"
    } else {
        "local"
    });
    match backend {
        "local" => local(vars, data_dir, production),
        "azure" => azure(vars, production),
        other => Err(err(format!(
            "STORAGE_BACKEND must be \"local\" or \"azure\", not {other:?}."
        ))),
    }
}

fn local(
    vars: &HashMap<String, String>,
    data_dir: &Path,
    production: bool,
) -> Result<StorageSettings, ConfigError> {
    // Production may keep files on a local disk only when asked to in so many words
    // (one server with a persistent volume); replicas need Azure.
    if production && non_empty(vars, "STORAGE_BACKEND").is_none() {
        return Err(err(
            "STORAGE_BACKEND is local, the development default; production needs Azure Blob \
             Storage (set AZURE_STORAGE_ACCOUNT or AZURE_STORAGE_CONNECTION_STRING), or, for a \
             single server with a persistent disk, STORAGE_BACKEND=local with MEDIA_DIR.",
        ));
    }
    if production && non_empty(vars, "MEDIA_DIR").is_none() {
        return Err(err(
            "MEDIA_DIR is required with STORAGE_BACKEND=local in production (a persistent disk).",
        ));
    }
    let root = non_empty(vars, "MEDIA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir.join("media"));
    Ok(StorageSettings::Local { root })
}

/// The separate `AZURE_STORAGE_*` variables win over the parts of the connection string.
fn azure(vars: &HashMap<String, String>, production: bool) -> Result<StorageSettings, ConfigError> {
    let get = |name: &str| non_empty(vars, name);
    let mut account = get("AZURE_STORAGE_ACCOUNT").map(str::to_owned);
    let mut access_key = get("AZURE_STORAGE_ACCESS_KEY").map(str::to_owned);
    let mut endpoint = get("AZURE_STORAGE_ENDPOINT").map(str::to_owned);
    if let Some(conn) = get("AZURE_STORAGE_CONNECTION_STRING") {
        let parsed = parse_connection_string(conn)?;
        account = account.or(parsed.account);
        access_key = access_key.or(parsed.key);
        endpoint = endpoint.or(parsed.endpoint);
    }
    let Some(account) = account else {
        return Err(err(
            "STORAGE_BACKEND is azure but neither AZURE_STORAGE_ACCOUNT nor \
             AZURE_STORAGE_CONNECTION_STRING names the storage account.",
        ));
    };
    if let Some(endpoint) = &endpoint {
        let url = Url::parse(endpoint).map_err(|_| {
            err("AZURE_STORAGE_ENDPOINT must be a URL such as https://account.blob.core.windows.net.")
        })?;
        if production && url.scheme() != "https" {
            return Err(err("AZURE_STORAGE_ENDPOINT must use https in production."));
        }
    }
    if production && access_key.as_deref() == Some(AZURITE_ACCOUNT_KEY) {
        return Err(err(
            "AZURE_STORAGE_ACCESS_KEY is Azurite's published development key; production needs the real account.",
        ));
    }
    let container = get("AZURE_STORAGE_CONTAINER").unwrap_or("media").to_owned();
    if !valid_container_name(&container) {
        return Err(err(
            "AZURE_STORAGE_CONTAINER must be 3-63 lowercase letters, digits and single hyphens.",
        ));
    }
    Ok(StorageSettings::Azure(AzureSettings {
        account,
        access_key: access_key.map(Secret::new),
        endpoint,
        container,
        create_container: parse_bool(vars, "AZURE_STORAGE_CREATE_CONTAINER", !production)?,
        client_id: get("AZURE_CLIENT_ID").map(str::to_owned),
        tenant_id: get("AZURE_TENANT_ID").map(str::to_owned),
        federated_token_file: get("AZURE_FEDERATED_TOKEN_FILE").map(str::to_owned),
    }))
}

/// Azure's rule for container names: 3 to 63 lowercase letters, digits and hyphens, with no
/// hyphen first, last or doubled.
fn valid_container_name(container: &str) -> bool {
    (3..=63).contains(&container.len())
        && container
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !container.starts_with('-')
        && !container.ends_with('-')
        && !container.contains("--")
}

#[derive(Debug, Default)]
struct ConnectionString {
    account: Option<String>,
    key: Option<String>,
    endpoint: Option<String>,
}

/// The parts of an Azure storage connection string we use (`AccountName`, `AccountKey`,
/// `BlobEndpoint`, or `UseDevelopmentStorage=true` for a local Azurite).
fn parse_connection_string(raw: &str) -> Result<ConnectionString, ConfigError> {
    let mut parsed = ConnectionString::default();
    let mut protocol = "https".to_owned();
    let mut suffix = None;
    for part in raw.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(err(
                "AZURE_STORAGE_CONNECTION_STRING must be Key=Value pairs separated by ';'.",
            ));
        };
        match key {
            "AccountName" => parsed.account = Some(value.to_owned()),
            "AccountKey" => parsed.key = Some(value.to_owned()),
            "BlobEndpoint" => parsed.endpoint = Some(value.trim_end_matches('/').to_owned()),
            "DefaultEndpointsProtocol" => value.clone_into(&mut protocol),
            "EndpointSuffix" => suffix = Some(value.to_owned()),
            "UseDevelopmentStorage" if value.eq_ignore_ascii_case("true") => {
                parsed.account = Some("devstoreaccount1".to_owned());
                parsed.key = Some(AZURITE_ACCOUNT_KEY.to_owned());
                parsed.endpoint = Some("http://127.0.0.1:10000/devstoreaccount1".to_owned());
            }
            "SharedAccessSignature" => {
                return Err(err(
                    "AZURE_STORAGE_CONNECTION_STRING with a SharedAccessSignature cannot sign download \
                     links; use an account key or Azure identity.",
                ));
            }
            _ => {}
        }
    }
    if parsed.endpoint.is_none()
        && let (Some(account), Some(suffix)) = (&parsed.account, suffix)
        && suffix != "core.windows.net"
    {
        parsed.endpoint = Some(format!("{protocol}://{account}.blob.{suffix}"));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::super::parse::vars;
    use super::*;
    use crate::config::Settings;

    #[test]
    fn azure_settings_come_from_a_connection_string_or_parts() {
        let s = Settings::from_map(&vars(&[(
            "AZURE_STORAGE_CONNECTION_STRING",
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;",
        )]))
        .unwrap();
        let StorageSettings::Azure(a) = s.storage else {
            panic!("expected azure")
        };
        assert_eq!(a.account, "devstoreaccount1");
        assert_eq!(
            a.endpoint.as_deref(),
            Some("http://127.0.0.1:10000/devstoreaccount1")
        );
        assert_eq!(a.access_key.unwrap().expose(), "a2V5");
        assert_eq!(a.container, "media");
        assert!(a.create_container);

        let e = Settings::from_map(&vars(&[
            ("STORAGE_BACKEND", "azure"),
            ("AZURE_STORAGE_CONTAINER", "Bad_Name"),
            ("AZURE_STORAGE_ACCOUNT", "x"),
        ]))
        .unwrap_err();
        assert!(e.0.starts_with("AZURE_STORAGE_CONTAINER"), "{e}");
        let e = Settings::from_map(&vars(&[(
            "AZURE_STORAGE_CONNECTION_STRING",
            "AccountName=x;SharedAccessSignature=sv=2020",
        )]))
        .unwrap_err();
        assert!(e.0.contains("SharedAccessSignature"), "{e}");
        let e = Settings::from_map(&vars(&[("STORAGE_BACKEND", "azure")])).unwrap_err();
        assert!(e.0.contains("AZURE_STORAGE_ACCOUNT"), "{e}");
        let e = Settings::from_map(&vars(&[("UPLOAD_BLOCK_SIZE_MB", "0")])).unwrap_err();
        assert!(e.0.starts_with("UPLOAD_BLOCK_SIZE_MB"), "{e}");
        for hours in ["0", "145"] {
            let e =
                Settings::from_map(&vars(&[("UPLOAD_RESUMABLE_EXPIRY_HOURS", hours)])).unwrap_err();
            assert!(e.0.starts_with("UPLOAD_RESUMABLE_EXPIRY_HOURS"), "{e}");
        }
        assert!(Settings::from_map(&vars(&[("UPLOAD_RESUMABLE_EXPIRY_HOURS", "144")])).is_ok());
    }
}
