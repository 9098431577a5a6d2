//! Account types and the rules that parse user input into them.

use std::fmt;

pub use crate::ports::mail::Email;

/// A new password that meets the policy. Never printed.
///
/// The policy follows NIST SP 800-63B: a minimum length, no composition rules, and a check
/// against what attackers try first. That check is `zxcvbn`'s estimate of the guesses needed,
/// which knows 30,000 common passwords, English words, names, keyboard rows, sequences,
/// repeats, dates and l33t spellings, and is told the account's email and the studio's name.
pub struct NewPassword(String);

impl NewPassword {
    /// Minimum length: long passphrases beat composition rules (NIST SP 800-63B).
    pub const MIN_LEN: usize = 10;
    /// Maximum length, so hashing cost stays bounded.
    pub const MAX_LEN: usize = 128;
    /// The least `zxcvbn` score accepted: `Three` means an estimated 10^8 guesses or more, out of
    /// reach of online guessing (which the rate limits slow further) and costly offline against
    /// Argon2id hashes.
    pub const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

    /// Checks the policy; `email` is refused as a password, and passwords built from it are
    /// judged as easy to guess. The error is a sentence to show next to the field.
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
        let mut known = vec!["flashstudio", "flash studio"];
        if let Some(email) = email {
            known.push(email);
            known.extend(email.split('@').next());
            known.extend(
                email
                    .split(['@', '.', '+', '-', '_'])
                    .filter(|p| p.len() >= 3),
            );
        }
        let estimate = zxcvbn::zxcvbn(raw, &known);
        if estimate.score() < Self::MIN_SCORE {
            return Err(why_guessable(raw, &known, &estimate));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What to tell someone whose password is too easy to guess, in one sentence that says why
/// and what works instead.
fn why_guessable(raw: &str, known: &[&str], estimate: &zxcvbn::Entropy) -> &'static str {
    use zxcvbn::feedback::Warning;
    let lower = raw.to_lowercase();
    if known
        .iter()
        .any(|k| k.len() >= 4 && lower.contains(&k.to_lowercase()))
    {
        return "Passwords built from your email address or the studio's name are easy to guess; a short sentence of three or four unrelated words works well.";
    }
    match estimate.feedback().and_then(|f| f.warning()) {
        Some(
            Warning::ThisIsATop10Password
            | Warning::ThisIsATop100Password
            | Warning::ThisIsACommonPassword,
        ) => {
            "This is one of the most common passwords, so it is guessed first; a short sentence of three or four unrelated words works well."
        }
        Some(Warning::ThisIsSimilarToACommonlyUsedPassword) => {
            "This is a common password with small changes, which is easy to guess; a short sentence of three or four unrelated words works well."
        }
        Some(
            Warning::StraightRowsOfKeysAreEasyToGuess
            | Warning::ShortKeyboardPatternsAreEasyToGuess,
        ) => {
            "Rows and patterns of keys like qwerty are easy to guess; a short sentence of three or four unrelated words works well."
        }
        Some(
            Warning::RepeatsLikeAaaAreEasyToGuess
            | Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess,
        ) => {
            "Repeated letters or words are easy to guess; a short sentence of three or four unrelated words works well."
        }
        Some(Warning::SequencesLikeAbcAreEasyToGuess) => {
            "Sequences like abcd or 1234 are easy to guess; a short sentence of three or four unrelated words works well."
        }
        Some(Warning::RecentYearsAreEasyToGuess | Warning::DatesAreOftenEasyToGuess) => {
            "Dates and years are easy to guess; a short sentence of three or four unrelated words works well."
        }
        Some(
            Warning::AWordByItselfIsEasyToGuess
            | Warning::NamesAndSurnamesByThemselvesAreEasyToGuess
            | Warning::CommonNamesAndSurnamesAreEasyToGuess,
        ) => "A single word or name is easy to guess; add two or three more words.",
        None => {
            "This password is easy to guess; add another word or two, or use a short sentence of three or four unrelated words."
        }
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
    fn guessable_passwords_are_refused_with_a_reason() {
        let refused = |raw: &str, email: Option<&str>| match NewPassword::parse(raw, email) {
            Ok(_) => panic!("{raw:?} accepted"),
            Err(message) => message,
        };
        for common in ["password123", "1234567890", "qwertyuiop"] {
            assert!(
                refused(common, None).starts_with("This is one of the most common passwords"),
                "{common}"
            );
        }
        assert!(refused("iloveyou123", None).starts_with("This is a common password with small"));
        assert!(refused("Password2024", None).contains("guess"));
        assert!(refused("abcdefghijkl", None).starts_with("Sequences"));
        assert!(refused("jane.doe.1234", Some("jane.doe@example.com")).contains("email address"));
        assert!(refused("flashstudio2026", None).contains("studio's name"));
        for message in [refused("zxcvbnm,./", None), refused("summer2024!", None)] {
            assert!(
                message.ends_with('.') && message.contains("guess"),
                "{message}"
            );
        }
    }

    #[test]
    fn passphrases_and_random_passwords_pass() {
        for good in [
            "correct horse battery",
            "a brand new secret",
            "first new password",
            "Tr0ub4dor&3x",
            "kq8Zr2Lw9Xv4Nt6B",
        ] {
            assert!(
                NewPassword::parse(good, Some("jane@example.com")).is_ok(),
                "{good}"
            );
        }
        // The first-start admin password: 20 characters of a random token.
        for _ in 0..50 {
            let random = crate::crypto::random_token()[..20].to_owned();
            assert!(NewPassword::parse(&random, None).is_ok(), "{random}");
        }
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
