//! The mail port: what the app needs from an email transport. The adapters (SMTP, files) are
//! in `notifications::mailer`.

/// An email address, trimmed and lower-cased, of a shape the mailer can send to.
///
/// Every address a person types (accounts, checkout, contact, the CLI, settings) goes through
/// this parser, and the mail adapters build their recipient with it too: an address accepted
/// at checkout is one the confirmation can be sent to. On top of what the mail library
/// accepts, it refuses what RFC 5322 allows but mail servers and people get wrong: quoted
/// local parts (`"john smith"@example.com`), spaces and control characters, angle brackets,
/// domains without a dot; and it enforces the RFC length limits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(lettre::Address);

impl Email {
    /// Parses user input; the error is a sentence to show next to the field.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        const SHAPE: &str = "Enter a valid email address, like name@example.com.";
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("Enter your email address.");
        }
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(SHAPE);
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(SHAPE);
        };
        let domain_ok = domain.contains('.')
            && !domain.contains('@')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty()
            || local.len() > 64
            || !domain_ok
            || email.contains(['<', '>', '"', '(', ')', ',', ';', '\\', '[', ']'])
        {
            return Err(SHAPE);
        }
        // The mail library's own parser has the last word.
        email.parse().map(Self).map_err(|_| SHAPE)
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }

    /// The address as the mail library takes it.
    pub fn address(&self) -> &lettre::Address {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A fully rendered email, ready to hand to a transport.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    /// Outbox row id (used as the Message-ID's left part, so resends are recognisable).
    pub id: String,
    /// Recipient address.
    pub to: String,
    /// Where replies go instead of the sender (`Reply-To`), when set: the customer on a
    /// staff notification of a contact message, the studio's mailbox on a staff reply. The
    /// adapters parse it with [`Email`]; it never reaches a header raw.
    pub reply_to: Option<String>,
    /// Subject line.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
    /// An iCalendar invite, attached as `invite.ics` (`text/calendar; method=…`).
    pub calendar: Option<String>,
}

/// Why a send failed.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The address or headers could not form a message (not worth retrying).
    #[error("invalid message: {0}")]
    Invalid(String),
    /// The transport failed (worth retrying).
    #[error("delivery failed: {0}")]
    Transport(String),
}

/// Sends email.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// Delivers one message.
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError>;
    /// A short name for logs and the admin ("smtp", "files").
    fn name(&self) -> &'static str;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Jane.Doe@Example.COM ").unwrap().as_str(),
            "jane.doe@example.com"
        );
        for bad in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "jane@example",
            "ja ne@example.com",
            "jane@@example.com",
            "jane@example..com",
            "<script>@x.com",
            "\"john smith\"@example.com",
            "\"john\"@example.com",
            "john@[127.0.0.1]",
            "a,b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(Email::parse("o'brien+films@studio.example.co.uk").is_ok());
    }
}
