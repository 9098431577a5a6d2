//! The adapters of the mail port (`ports::mail`): SMTP in production, `.eml` files in
//! development.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use crate::config::{MailTransport, Settings};
use crate::ports::mail::{Email, MailError, Mailer, OutgoingEmail};

/// Builds the mailer the settings ask for.
pub fn from_settings(settings: &Settings) -> anyhow::Result<Box<dyn Mailer>> {
    let from: Mailbox = settings
        .mail_from
        .parse()
        .map_err(|e| anyhow::anyhow!("MAIL_FROM: {e}"))?;
    Ok(match &settings.mail_transport {
        MailTransport::Smtp(url) => Box::new(SmtpMailer::new(url.expose(), from)?),
        MailTransport::Files(dir) => Box::new(FileMailer {
            dir: dir.clone(),
            from,
        }),
    })
}

fn build_message(from: &Mailbox, email: &OutgoingEmail) -> Result<Message, MailError> {
    // The same parser that checked the address when it was typed.
    let to = Email::parse(&email.to)
        .map_err(|e| MailError::Invalid(format!("recipient {:?}: {e}", email.to)))?;
    let to = Mailbox::new(None, to.address().clone());
    let domain = from.email.domain().to_owned();
    let mut builder = Message::builder().from(from.clone()).to(to);
    if let Some(reply_to) = &email.reply_to {
        let reply_to = Email::parse(reply_to)
            .map_err(|e| MailError::Invalid(format!("reply-to {reply_to:?}: {e}")))?;
        builder = builder.reply_to(Mailbox::new(None, reply_to.address().clone()));
    }
    let body = MultiPart::alternative_plain_html(email.text.clone(), email.html.clone());
    let body = match &email.calendar {
        None => body,
        Some(ics) => {
            // Calendar clients read the method from the part's type as well as the body.
            let method = ics
                .lines()
                .find_map(|l| l.strip_prefix("METHOD:"))
                .map(str::trim)
                .filter(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_uppercase()))
                .unwrap_or("PUBLISH");
            let kind =
                ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                    .map_err(|e| MailError::Invalid(e.to_string()))?;
            MultiPart::mixed()
                .multipart(body)
                .singlepart(Attachment::new("invite.ics".to_owned()).body(ics.clone(), kind))
        }
    };
    builder
        .subject(&email.subject)
        .message_id(Some(format!("<{}@{}>", email.id, domain)))
        .multipart(body)
        .map_err(|e| MailError::Invalid(e.to_string()))
}

/// SMTP through lettre's pooled async transport.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// Connects lazily to the server in `url` (`smtp://host:port`, `smtps://user:pass@host`,
    /// `smtp://host:587?tls=required`).
    pub fn new(url: &str, from: Mailbox) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("SMTP_URL is not usable: {e}"))?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        Ok(Self { transport, from })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let message = build_message(&self.from, email)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Transport(e.to_string()))
    }

    fn name(&self) -> &'static str {
        "smtp"
    }
}

/// Writes `path` in `dir`, both readable by the app's account only (0600 in 0700, on Unix):
/// messages carry live password-reset and download links. A file written before (a retry of
/// the same email) keeps its mode.
async fn write_private(dir: &Path, path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt as _;
    let mut dirs = tokio::fs::DirBuilder::new();
    dirs.recursive(true);
    #[cfg(unix)]
    dirs.mode(0o700);
    dirs.create(dir).await?;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    file.write_all(contents).await?;
    file.flush().await
}

/// Development transport: each message becomes `<dir>/<id>.eml`.
pub struct FileMailer {
    dir: PathBuf,
    from: Mailbox,
}

#[async_trait::async_trait]
impl Mailer for FileMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let message = build_message(&self.from, email)?;
        let path = self.dir.join(format!("{}.eml", email.id));
        write_private(&self.dir, &path, &message.formatted())
            .await
            .map_err(|e| MailError::Transport(e.to_string()))
    }

    fn name(&self) -> &'static str {
        "files"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing(reply_to: Option<&str>) -> OutgoingEmail {
        OutgoingEmail {
            id: "e1".into(),
            to: "jane@example.com".into(),
            reply_to: reply_to.map(str::to_owned),
            subject: "Hello".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
            calendar: None,
        }
    }

    #[test]
    fn reply_to_is_a_parsed_address_or_the_message_is_refused() {
        let from: Mailbox = "FlashStudio <hello@studio.test>".parse().unwrap();
        let plain =
            String::from_utf8(build_message(&from, &outgoing(None)).unwrap().formatted()).unwrap();
        assert!(!plain.contains("Reply-To"));
        let with = build_message(&from, &outgoing(Some(" Ana@Example.com ")))
            .unwrap()
            .formatted();
        assert!(
            String::from_utf8(with)
                .unwrap()
                .contains("Reply-To: ana@example.com\r\n")
        );
        for bad in [
            "ana@example.com\r\nBcc: x@evil.test",
            "a, b@example.com",
            "nope",
        ] {
            assert!(matches!(
                build_message(&from, &outgoing(Some(bad))),
                Err(MailError::Invalid(_))
            ));
        }
    }
}
