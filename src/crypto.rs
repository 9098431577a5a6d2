//! Small cryptographic helpers: random tokens, hashes and HMAC signatures.
//!
//! Every key the app uses is derived from the one `SECRET_KEY` with a purpose label, so that a
//! CSRF token can never be replayed as a signed cookie and vice versa.

#![warn(missing_docs)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

type HmacSha256 = Hmac<Sha256>;

/// A 256-bit random token, URL-safe base64 (43 characters).
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Hex SHA-256 of `input`: how tokens (sessions, resets, API tokens) are stored.
pub fn sha256_hex(input: &str) -> String {
    hex::encode(Sha256::digest(input.as_bytes()))
}

/// Constant-time string equality.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// One purpose-bound HMAC key, and during a rotation the same purpose's key from the previous
/// secret: new signatures use the current key, checks accept either.
#[derive(Clone)]
pub struct SigningKey {
    current: [u8; 32],
    previous: Option<[u8; 32]>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

impl SigningKey {
    /// Derives the key for `purpose` from the master secret.
    pub fn derive(master: &[u8], purpose: &str) -> Self {
        Self::derive_rotating(master, None, purpose)
    }

    /// Derives the key for `purpose` from the master secret, also accepting signatures made
    /// with the `previous` master secret.
    pub fn derive_rotating(master: &[u8], previous: Option<&[u8]>, purpose: &str) -> Self {
        Self {
            current: hmac_bytes(master, purpose.as_bytes()),
            previous: previous.map(|p| hmac_bytes(p, purpose.as_bytes())),
        }
    }

    /// URL-safe base64 HMAC of `message`.
    pub fn sign(&self, message: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(message))
    }

    /// Raw HMAC of `message`.
    pub fn mac(&self, message: &str) -> [u8; 32] {
        hmac_bytes(&self.current, message.as_bytes())
    }

    /// Raw HMAC of `message` under the previous key, while a rotation is under way.
    pub fn previous_mac(&self, message: &str) -> Option<[u8; 32]> {
        self.previous
            .map(|key| hmac_bytes(&key, message.as_bytes()))
    }

    /// Checks a signature made by [`SigningKey::sign`] (with the current or the previous key)
    /// in constant time.
    pub fn verify(&self, message: &str, signature: &str) -> bool {
        let current = constant_time_eq(&self.sign(message), signature);
        let previous = self
            .previous_mac(message)
            .is_some_and(|mac| constant_time_eq(&URL_SAFE_NO_PAD.encode(mac), signature));
        current | previous
    }

    /// Whether `sealed` was sealed with the current key (else it should be sealed afresh).
    pub fn sealed_by_current(&self, sealed: &str) -> bool {
        sealed
            .rsplit_once('.')
            .is_some_and(|(value, signature)| constant_time_eq(&self.sign(value), signature))
    }

    /// `value.signature`, for cookies that must not be forged.
    pub fn seal(&self, value: &str) -> String {
        format!("{value}.{}", self.sign(value))
    }

    /// The value of a sealed string, if its signature is valid.
    pub fn unseal<'a>(&self, sealed: &'a str) -> Option<&'a str> {
        let (value, signature) = sealed.rsplit_once('.')?;
        self.verify(value, signature).then_some(value)
    }
}

#[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
pub(crate) fn hmac_bytes(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as hmac::Mac>::new_from_slice(key).expect("any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Masks a secret for one response: `base64(pad ‖ pad ⊕ secret)` with a fresh random pad.
///
/// The secret is the same all session, but its masked form differs in every response, so a
/// compression side channel (BREACH) has nothing stable to recover.
pub fn mask(secret: &[u8; 32]) -> String {
    let pad: [u8; 32] = rand::random();
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&pad);
    for (i, (p, s)) in pad.iter().zip(secret).enumerate() {
        out[32 + i] = p ^ s;
    }
    URL_SAFE_NO_PAD.encode(out)
}

/// Recovers the secret from [`mask`]'s output; `None` when malformed.
pub fn unmask(masked: &str) -> Option<[u8; 32]> {
    let bytes = URL_SAFE_NO_PAD.decode(masked).ok()?;
    if bytes.len() != 64 {
        return None;
    }
    let mut secret = [0u8; 32];
    for (i, s) in secret.iter_mut().enumerate() {
        *s = bytes[i] ^ bytes[32 + i];
    }
    Some(secret)
}

/// The app's derived keys.
#[derive(Debug, Clone)]
pub struct Keys {
    /// Binds CSRF tokens to a session or visitor.
    pub csrf: SigningKey,
    /// Signs cookies whose content matters (visitor id, flash messages).
    pub cookies: SigningKey,
    /// Signs URLs (download links and the like).
    pub urls: SigningKey,
}

impl Keys {
    /// Derives every key from the master secret (and the previous one during a rotation).
    pub fn derive(master: &[u8], previous: Option<&[u8]>) -> Self {
        Self {
            csrf: SigningKey::derive_rotating(master, previous, "flashstudio csrf v1"),
            cookies: SigningKey::derive_rotating(master, previous, "flashstudio cookies v1"),
            urls: SigningKey::derive_rotating(master, previous, "flashstudio urls v1"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_accepts_the_previous_key_and_signs_with_the_new_one() {
        let old = SigningKey::derive(b"old master", "test");
        let rotating = SigningKey::derive_rotating(b"new master", Some(b"old master"), "test");
        let new = SigningKey::derive(b"new master", "test");
        let sealed_before = old.seal("visitor-1");
        assert_eq!(rotating.unseal(&sealed_before), Some("visitor-1"));
        assert!(!rotating.sealed_by_current(&sealed_before));
        let sealed_now = rotating.seal("visitor-1");
        assert!(rotating.sealed_by_current(&sealed_now));
        assert_eq!(
            new.unseal(&sealed_now),
            Some("visitor-1"),
            "signed with the new key"
        );
        assert_eq!(new.unseal(&sealed_before), None, "after the rotation ends");
        assert!(rotating.verify("m", &old.sign("m")));
        assert!(!rotating.verify("m", &SigningKey::derive(b"other", "test").sign("m")));
        assert_eq!(rotating.previous_mac("m"), Some(old.mac("m")));
    }

    #[test]
    fn sealed_values_round_trip_and_resist_tampering() {
        let key = SigningKey::derive(b"master", "test");
        let sealed = key.seal("visitor-123");
        assert_eq!(key.unseal(&sealed), Some("visitor-123"));
        assert_eq!(key.unseal(&sealed.replace("123", "124")), None);
        let other = SigningKey::derive(b"master", "other purpose");
        assert_eq!(other.unseal(&sealed), None);
    }

    #[test]
    fn masked_secrets_differ_each_time_and_unmask_to_the_same() {
        let secret = [7u8; 32];
        let (a, b) = (mask(&secret), mask(&secret));
        assert_ne!(a, b);
        assert_eq!(unmask(&a), Some(secret));
        assert_eq!(unmask(&b), Some(secret));
        assert_eq!(unmask("short"), None);
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }
}
