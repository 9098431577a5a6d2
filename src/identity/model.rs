//! Account types and the rules that parse user input into them.

use std::fmt;

pub use crate::ports::mail::Email;

/// A new password that meets the policy. Never printed.
pub struct NewPassword(String);

impl NewPassword {
    /// Minimum length: long passphrases beat composition rules (NIST SP 800-63B).
    pub const MIN_LEN: usize = 10;
    /// Maximum length, so hashing cost stays bounded.
    pub const MAX_LEN: usize = 128;

    /// Checks the policy; `email` is refused as a password.
    pub fn parse(raw: &str, email: Option<&str>) -> Result<Self, &'static str> {
        let chars = raw.chars().count();
        if chars < Self::MIN_LEN {
            return Err("Use at least 10 characters.");
        }
        if chars > Self::MAX_LEN {
            return Err("Use at most 128 characters.");
        }
        if raw.chars().all(|c| c == raw.chars().next().unwrap_or(c)) {
            return Err("Choose a password that is not one repeated character.");
        }
        if email.is_some_and(|e| e.eq_ignore_ascii_case(raw.trim())) {
            return Err("Your password cannot be your email address.");
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Buys, books and requests quotes.
    Customer,
    /// Studio staff: the whole admin.
    Admin,
}

impl Role {
    /// The value stored in `users.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
        }
    }

    /// Reads the stored value; unknown values are treated as the least privileged role.
    pub fn from_db(value: &str) -> Self {
        match value {
            "admin" => Role::Admin,
            _ => Role::Customer,
        }
    }
}

/// A signed-up person.
#[derive(Debug, Clone)]
pub struct User {
    /// Row id (UUIDv7).
    pub id: String,
    /// Normalised email.
    pub email: String,
    /// Optional name shown in the header.
    pub display_name: Option<String>,
    /// Customer or admin.
    pub role: Role,
    /// Seconds since the epoch.
    pub created_at: i64,
}

impl User {
    /// True for studio staff.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// What the header shows for this user.
    pub fn label(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.email)
    }
}

/// Cleans an optional display name: trimmed, at most 80 characters, `None` when empty.
pub fn parse_display_name(raw: Option<&str>) -> Result<Option<String>, &'static str> {
    let Some(name) = raw.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if name.chars().count() > 80 {
        return Err("Use at most 80 characters.");
    }
    if name.chars().any(char::is_control) {
        return Err("Use letters, numbers and punctuation only.");
    }
    Ok(Some(name.to_owned()))
}

/// A `next` parameter we are willing to redirect to: a local path only.
///
/// Refuses `//evil.example`, `/\evil.example` and absolute URLs, which browsers would follow
/// off-site (an open redirect).
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    local.then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy() {
        assert!(NewPassword::parse("short", None).is_err());
        assert!(NewPassword::parse("aaaaaaaaaaaa", None).is_err());
        assert!(NewPassword::parse(&"x".repeat(129), None).is_err());
        assert!(NewPassword::parse("jane@example.com", Some("jane@example.com")).is_err());
        assert!(NewPassword::parse("correct horse battery", Some("jane@example.com")).is_ok());
    }

    #[test]
    fn next_must_stay_on_site() {
        assert_eq!(safe_next(Some("/account")).as_deref(), Some("/account"));
        assert_eq!(safe_next(Some("//evil.example")), None);
        assert_eq!(safe_next(Some("/\\evil.example")), None);
        assert_eq!(safe_next(Some("https://evil.example")), None);
        assert_eq!(safe_next(None), None);
    }
}
