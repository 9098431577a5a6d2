//! Argon2id password hashing, run on the blocking pool so it never stalls the async workers.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use std::sync::LazyLock;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use super::model::NewPassword;
use crate::error::AtCapacity;

/// Hashes running at once. Each takes 19 MiB and a core for tens of milliseconds; unbounded,
/// a burst of logins would exhaust memory. Callers beyond the cap wait briefly, then get
/// [`AtCapacity`] (503).
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    Semaphore::new((cores * 2).max(2))
});

/// How long a request waits for a hashing slot before giving up.
const HASHING_WAIT: Duration = Duration::from_secs(10);

async fn slot() -> anyhow::Result<SemaphorePermit<'static>> {
    match tokio::time::timeout(HASHING_WAIT, HASHING.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(AtCapacity("password hashing").into()),
    }
}

/// OWASP's recommended Argon2id parameters (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes a password into a PHC string.
pub async fn hash(password: &NewPassword) -> anyhow::Result<String> {
    let _slot = slot().await?;
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await?
}

/// Checks `password` against a stored hash. With no stored hash (unknown account) it still
/// spends the same time on a dummy hash, so response time does not reveal which emails exist.
pub async fn verify(password: &str, stored: Option<String>) -> anyhow::Result<bool> {
    let _slot = slot().await?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("bad hash: {e}"))?;
        let ok = argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && stored != DUMMY_HASH)
    })
    .await?
}

/// A valid Argon2id hash of a random string nobody knows, used for unknown accounts.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Jx1qk3mK8l2l3n1m0Jv9QZ0C8m7n5b4v3c2x1z0a9s8";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let pw = NewPassword::parse("correct horse battery", None).unwrap();
        let stored = hash(&pw).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(
            verify("correct horse battery", Some(stored.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse battery", Some(stored)).await.unwrap());
        assert!(!verify("anything", None).await.unwrap());
    }
}
