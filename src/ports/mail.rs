//! The mail port: what the app needs from an email transport. The adapters (SMTP, files) are
//! in `notifications::mailer`.

/// A fully rendered email, ready to hand to a transport.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    /// Outbox row id (used as the Message-ID's left part, so resends are recognisable).
    pub id: String,
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
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
