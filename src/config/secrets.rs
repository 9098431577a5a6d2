//! Secrets and the key that signs: `Secret<T>` (never printed), `SECRET_KEY` and its rotation
//! partner `SECRET_KEY_PREVIOUS`, the refusal of weak or placeholder keys, and the development
//! key kept in `<data dir>/secret.key`.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use super::parse::non_empty;
use super::{ConfigError, Settings, err, strength};

/// A value that must never be printed or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a secret value.
    pub fn new(value: T) -> Self {
        Self(value)
    }
    /// Gives the secret to the code that needs it; keep the borrow short.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Where the in-process secret key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKeySource {
    /// `SECRET_KEY` variable.
    Environment,
    /// Generated once and kept in `<data dir>/secret.key` (development only).
    DataDir,
}

/// Secret values that appear in documentation or old deployments and must never be used.
const KNOWN_WEAK_SECRETS: &[&str] = &[
    "dev-secret",
    "secret",
    "changeme",
    "change-me",
    "password",
    "admin",
    "replace-me-with-64-random-hex-characters",
];

/// The signing key and, during a rotation, the one before it.
pub(super) struct SigningKeys {
    /// Empty when the key comes from the data directory: it is read or created later, by
    /// `Settings::load_or_create_dev_secret`, because parsing settings writes no files.
    pub(super) key: Vec<u8>,
    pub(super) source: SecretKeySource,
    pub(super) previous: Option<Secret<Vec<u8>>>,
}

impl SigningKeys {
    pub(super) fn from_map(
        vars: &HashMap<String, String>,
        production: bool,
    ) -> Result<Self, ConfigError> {
        let (key, source) = match non_empty(vars, "SECRET_KEY") {
            Some(key) => (
                strong_secret("SECRET_KEY", key)?,
                SecretKeySource::Environment,
            ),
            None if production => {
                return Err(err(
                    "SECRET_KEY is required in production; generate one with `openssl rand -hex 32`.",
                ));
            }
            None => (Vec::new(), SecretKeySource::DataDir),
        };
        let previous = match non_empty(vars, "SECRET_KEY_PREVIOUS") {
            Some(_) if source == SecretKeySource::DataDir => {
                return Err(err(
                    "SECRET_KEY_PREVIOUS is set but SECRET_KEY is not: rotation needs both.",
                ));
            }
            Some(previous) => {
                let previous = strong_secret("SECRET_KEY_PREVIOUS", previous)?;
                if previous == key {
                    return Err(err(
                        "SECRET_KEY_PREVIOUS is the same as SECRET_KEY; leave it unset.",
                    ));
                }
                Some(Secret::new(previous))
            }
            None => None,
        };
        Ok(Self {
            key,
            source,
            previous,
        })
    }
}

/// A secret long and unpredictable enough to sign with: not a placeholder, at least 32
/// characters with 8 different ones, and not made of sequences or repeats
/// ([`strength::estimated_bits`] at least [`strength::MIN_SECRET_BITS`]).
fn strong_secret(name: &str, key: &str) -> Result<Vec<u8>, ConfigError> {
    if KNOWN_WEAK_SECRETS.contains(&key.to_ascii_lowercase().as_str()) {
        return Err(err(format!(
            "{name} is a well-known placeholder; generate one with `openssl rand -hex 32`."
        )));
    }
    let distinct = key.chars().collect::<std::collections::HashSet<_>>().len();
    if key.len() < 32 || distinct < 8 {
        return Err(err(format!(
            "{name} must be at least 32 varied characters; generate one with `openssl rand -hex 32`."
        )));
    }
    if strength::estimated_bits(key) < strength::MIN_SECRET_BITS {
        return Err(err(format!(
            "{name} is easy to guess: it is made of sequences or repeats (like 0123…, abcd…, qwerty… or abcabc…), not random characters; generate one with `openssl rand -hex 32`."
        )));
    }
    Ok(key.as_bytes().to_vec())
}

impl Settings {
    /// Fills in the development secret key from `<data dir>/secret.key`, creating it once.
    pub fn load_or_create_dev_secret(&mut self) -> anyhow::Result<()> {
        use anyhow::Context as _;
        if self.secret_key_source != SecretKeySource::DataDir
            || !self.secret_key.expose().is_empty()
        {
            return Ok(());
        }
        super::create_private_dir(&self.data_dir)
            .with_context(|| format!("creating data directory {}", self.data_dir.display()))?;
        let path = self.data_dir.join("secret.key");
        let key = match std::fs::read_to_string(&path) {
            Ok(hex_key) => hex::decode(hex_key.trim())
                .ok()
                .filter(|k| k.len() >= 32)
                .with_context(|| {
                    format!(
                        "{} must hold at least 32 bytes as hex; delete it to generate a new one",
                        path.display()
                    )
                })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::random();
                write_private_file(&path, hex::encode(key).as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
                key.to_vec()
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        self.secret_key = Secret::new(key);
        Ok(())
    }
}

/// Creates `path` readable by its owner only (it holds the signing key); never replaces an
/// existing file.
#[cfg(unix)]
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}

#[cfg(not(unix))]
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::super::parse::vars;
    use crate::config::Settings;

    #[test]
    fn a_previous_secret_key_must_be_strong_distinct_and_come_with_a_new_one() {
        let key = "3f9c0a7d1e5b8c2f6a4d9e0b7c1f3a5d";
        let other = "b7e14c02d9a8f3165e0c7b2a94d1f86e";
        let s = Settings::from_map(&vars(&[
            ("SECRET_KEY", key),
            ("SECRET_KEY_PREVIOUS", other),
        ]))
        .unwrap();
        assert_eq!(
            s.secret_key_previous.as_ref().map(|k| k.expose().clone()),
            Some(other.as_bytes().to_vec())
        );
        let e = Settings::from_map(&vars(&[
            ("SECRET_KEY", key),
            ("SECRET_KEY_PREVIOUS", "short"),
        ]))
        .unwrap_err();
        assert!(
            e.0.contains("SECRET_KEY_PREVIOUS must be at least 32"),
            "{e}"
        );
        let e = Settings::from_map(&vars(&[("SECRET_KEY", key), ("SECRET_KEY_PREVIOUS", key)]))
            .unwrap_err();
        assert!(e.0.contains("same as SECRET_KEY"), "{e}");
        let e = Settings::from_map(&vars(&[("SECRET_KEY_PREVIOUS", other)])).unwrap_err();
        assert!(e.0.contains("rotation needs both"), "{e}");
    }

    #[test]
    fn keys_made_of_sequences_or_repeats_are_refused_in_every_mode() {
        for weak in [
            "0123456789abcdef0123456789abcdef",
            "abcdefghabcdefghabcdefghabcdefgh",
            "qwertyuiopasdfghjklzxcvbnm123456",
        ] {
            let production = [
                ("FLASHSTUDIO_ENV", "production"),
                ("BASE_URL", "https://studio.example.com"),
                ("DATABASE_URL", "postgres://u:p@db/flash"),
                ("SECRET_KEY", weak),
            ];
            for pairs in [&production[3..], &production[..]] {
                let e = Settings::from_map(&vars(pairs)).unwrap_err();
                assert!(
                    e.0.starts_with("SECRET_KEY is easy to guess")
                        && e.0.contains("openssl rand -hex 32"),
                    "{pairs:?}: {e}"
                );
            }
            let e = Settings::from_map(&vars(&[
                ("SECRET_KEY", "3f9c0a7d1e5b8c2f6a4d9e0b7c1f3a5d"),
                ("SECRET_KEY_PREVIOUS", weak),
            ]))
            .unwrap_err();
            assert!(
                e.0.starts_with("SECRET_KEY_PREVIOUS is easy to guess"),
                "{e}"
            );
        }
    }
}
