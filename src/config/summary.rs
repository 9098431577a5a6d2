//! What `flashstudio check-config` prints: one screen of the settings that matter, with every
//! secret and every password inside a URL redacted.

use url::Url;

use super::{MailTransport, PaymentSettings, Settings, StorageSettings};

impl Settings {
    /// A one-screen summary with secrets redacted, for `check-config`.
    pub fn summary(&self) -> String {
        let db = redact_url(self.database_url.expose());
        let mail = match &self.mail_transport {
            MailTransport::Smtp(url) => format!("smtp ({})", redact_url(url.expose())),
            MailTransport::Files(dir) => format!("files in {} (development)", dir.display()),
        };
        let storage = match &self.storage {
            StorageSettings::Local { root } => {
                format!("local files in {} (development)", root.display())
            }
            StorageSettings::Azure(a) => format!(
                "azure account {} container {} ({})",
                a.account,
                a.container,
                if a.access_key.is_some() {
                    "account key"
                } else {
                    "Azure identity"
                }
            ),
        };
        format!(
            "environment      {:?}\naddress          {}\nbase url         {}\ndata dir         {}\ndatabase         {}\nmail             {}\nmail from        {}\nstorage          {}\npayments         {}\nsecret key       {:?} (redacted)\nworker in serve  {}\n",
            self.environment,
            self.addr,
            self.base_url,
            self.data_dir.display(),
            db,
            mail,
            self.mail_from,
            storage,
            match &self.payments {
                PaymentSettings::Dev => "dev gateway (test checkout, no real money)",
                PaymentSettings::Stripe(s) if s.is_test_mode() => {
                    "stripe (test mode: no real money)"
                }
                PaymentSettings::Stripe(_) => "stripe",
            },
            self.secret_key_source,
            self.run_worker,
        )
    }
}

/// The URL with its password, if it has one, replaced by `redacted`.
fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("redacted"));
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::vars;
    use crate::config::Settings;

    #[test]
    fn secrets_do_not_print() {
        let s = Settings::from_map(&vars(&[("SECRET_KEY", "kq8Zr2Lw9Xv4Nt6Bp1Mc7Hd3Jf5Gs0Ay")]))
            .unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("kq8Zr2Lw9Xv4Nt6Bp1Mc7Hd3Jf5Gs0Ay"));
        assert!(!s.summary().contains("kq8Zr2Lw9Xv4Nt6Bp1Mc7Hd3Jf5Gs0Ay"));
    }
}
