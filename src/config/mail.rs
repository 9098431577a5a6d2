//! How email leaves and who it is from: `SMTP_URL` (required in production, with TLS whenever
//! it carries a password) or `.eml` files in development, the sender `MAIL_FROM`, and
//! `STAFF_EMAIL`, the inbox for contact messages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use url::Url;

use super::parse::non_empty;
use super::{ConfigError, Secret, err};

/// How outgoing email leaves the process.
#[derive(Debug, Clone)]
pub enum MailTransport {
    /// SMTP server from `SMTP_URL` (credentials inside the URL are kept secret).
    Smtp(Secret<String>),
    /// Development: write `.eml` files under `<data dir>/mail`.
    Files(PathBuf),
}

/// The transport and the sender of every message.
pub(super) struct Mail {
    pub(super) transport: MailTransport,
    pub(super) from: String,
}

impl Mail {
    pub(super) fn from_map(
        vars: &HashMap<String, String>,
        base_url: &Url,
        data_dir: &Path,
        production: bool,
    ) -> Result<Self, ConfigError> {
        let transport = transport(vars, data_dir, production)?;
        let from = non_empty(vars, "MAIL_FROM")
            .map(str::to_owned)
            .unwrap_or_else(|| default_from(base_url));
        if from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(err(
                "MAIL_FROM must be a mailbox such as \"FlashStudio <hello@example.com>\".",
            ));
        }
        Ok(Self { transport, from })
    }
}

fn transport(
    vars: &HashMap<String, String>,
    data_dir: &Path,
    production: bool,
) -> Result<MailTransport, ConfigError> {
    match non_empty(vars, "SMTP_URL") {
        Some(url) => {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(err("SMTP_URL must start with smtp:// or smtps://."));
            }
            let plain_with_password = url.starts_with("smtp://")
                && !url.contains("tls=")
                && Url::parse(url).is_ok_and(|u| u.password().is_some());
            if production && plain_with_password {
                return Err(err(
                    "SMTP_URL sends a password without TLS; use smtps:// or add ?tls=required.",
                ));
            }
            Ok(MailTransport::Smtp(Secret::new(url.to_owned())))
        }
        None if production => Err(err(
            "SMTP_URL is required in production; writing mail to files is a development adapter.",
        )),
        None => Ok(MailTransport::Files(data_dir.join("mail"))),
    }
}

/// `no-reply@` the public host; a local address has no mail domain, so a `.test` one stands in.
fn default_from(base_url: &Url) -> String {
    format!(
        "FlashStudio <no-reply@{}>",
        match base_url.host_str() {
            Some("127.0.0.1" | "localhost") | None => "flashstudio.test",
            Some(host) => host,
        }
    )
}

/// `STAFF_EMAIL`, checked to be an address; `None` sends contact messages to every admin.
pub(super) fn staff_email(vars: &HashMap<String, String>) -> Result<Option<String>, ConfigError> {
    let staff_email = non_empty(vars, "STAFF_EMAIL").map(str::to_owned);
    if let Some(e) = &staff_email
        && crate::ports::mail::Email::parse(e).is_err()
    {
        return Err(err("STAFF_EMAIL must be an email address."));
    }
    Ok(staff_email)
}
