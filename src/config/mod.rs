//! Typed settings, read once at startup from the environment (and an optional `.env`).
//!
//! Nothing else in the program reads environment variables. Every variable is documented in
//! `docs/configuration.md`; production mode refuses development adapters and weak secrets with
//! one sentence that names the variable to fix.
//!
//! This file holds [`Settings`] and the order in which the areas are read; each area (the
//! deployment, the database, secrets, mail, HTTP callers, the runtime, the shop, storage,
//! payments, uploads) has a file of its own with its types, defaults and refusals;
//! `parse.rs` has the readers they share, `strength.rs` the estimate of how guessable a secret
//! is, and `files.rs` the owner-only directories of the embedded defaults.

#![warn(missing_docs)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

mod database;
mod deployment;
mod files;
mod http;
mod mail;
mod parse;
mod payments;
mod quotes;
mod runtime;
mod secrets;
mod shop;
mod storage;
mod strength;
mod summary;
mod uploads;

pub use database::DatabaseTarget;
pub use deployment::Environment;
pub use files::create_private_dir;
pub use http::BodyTimeouts;
pub use mail::MailTransport;
pub use payments::{CheckoutLimits, PaymentSettings, StripeSettings};
pub use quotes::QuoteSettings;
pub use runtime::LogFormat;
pub use secrets::{Secret, SecretKeySource};
pub use storage::{AzureSettings, StorageSettings};
pub use uploads::UploadLimits;

use deployment::{DevConveniences, Site, parse_base_url};
use http::{Clients, Sessions, SlowClients};
use mail::Mail;
use payments::{AfterPayment, Checkout};
use runtime::{Logs, Runtime};
use secrets::SigningKeys;
use shop::Storefront;
use uploads::{UploadProcessing, UploadSizes};

/// Every setting of the application, parsed and validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `FLASHSTUDIO_ENV`.
    pub environment: Environment,
    /// `FLASHSTUDIO_ADDR`: the address `serve` listens on.
    pub addr: SocketAddr,
    /// `FLASHSTUDIO_DATA_DIR`: everything the embedded default writes.
    pub data_dir: PathBuf,
    /// `BASE_URL`: the public URL, used in emails and links.
    pub base_url: Url,
    /// True when `BASE_URL` was not set and was derived from the listen address.
    pub base_url_derived: bool,
    /// `DATABASE_URL`.
    pub database_url: Secret<String>,
    /// `DATABASE_MAX_CONNECTIONS`.
    pub database_max_connections: u32,
    /// Run migrations automatically at startup (`AUTO_MIGRATE`; dev default on).
    pub auto_migrate: bool,
    /// `SECRET_KEY`: signs cookies and CSRF tokens.
    pub secret_key: Secret<Vec<u8>>,
    /// Where the secret key came from.
    pub secret_key_source: SecretKeySource,
    /// `SECRET_KEY_PREVIOUS`: during a rotation, signatures made with the old key are still
    /// accepted (new ones use `SECRET_KEY`).
    pub secret_key_previous: Option<Secret<Vec<u8>>>,
    /// How email is delivered.
    pub mail_transport: MailTransport,
    /// `MAIL_FROM`.
    pub mail_from: String,
    /// `SESSION_IDLE_TIMEOUT_SECS`.
    pub session_idle_timeout: Duration,
    /// `SESSION_ABSOLUTE_TIMEOUT_SECS`.
    pub session_absolute_timeout: Duration,
    /// `ADMIN_SESSION_IDLE_TIMEOUT_SECS`: admins are signed out sooner.
    pub admin_session_idle_timeout: Duration,
    /// `ADMIN_SESSION_ABSOLUTE_TIMEOUT_SECS`.
    pub admin_session_absolute_timeout: Duration,
    /// `METRICS_TOKEN`: when set, `/metrics` wants `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret<String>>,
    /// `JOB_LEASE_SECS`: a claimed job returns to the queue if not finished by then.
    pub job_lease: Duration,
    /// `TRUST_PROXY_HEADERS`: take the client address from `X-Forwarded-For`.
    pub trust_proxy_headers: bool,
    /// `TRUSTED_PROXY_HOPS`: how many proxies of ours append to `X-Forwarded-For`.
    pub trusted_proxy_hops: usize,
    /// `LOGIN_RATE_LIMIT_PER_MINUTE`.
    pub login_rate_limit_per_minute: u32,
    /// `AVAILABILITY_RATE_LIMIT_PER_MINUTE`: the public availability API, per client.
    pub availability_rate_limit_per_minute: u32,
    /// `HTTP_HEADER_READ_TIMEOUT_SECS`: a connection must send a whole request head within
    /// this time of its first byte (of being accepted, for its first request).
    pub http_header_read_timeout: Duration,
    /// `HTTP_KEEP_ALIVE_TIMEOUT_SECS`: a connection with no request in flight that sends
    /// nothing for this long is closed.
    pub http_keep_alive_timeout: Duration,
    /// `FORM_BODY_IDLE_TIMEOUT_SECS`, `FORM_BODY_TIMEOUT_SECS`: every request body that is
    /// neither a webhook nor a multipart upload.
    pub form_body_timeouts: BodyTimeouts,
    /// `WEBHOOK_BODY_IDLE_TIMEOUT_SECS`, `WEBHOOK_BODY_TIMEOUT_SECS`: bodies under `/webhooks/`.
    pub webhook_body_timeouts: BodyTimeouts,
    /// `LOG_FORMAT`.
    pub log_format: LogFormat,
    /// `RUST_LOG`, else `LOG_LEVEL` (a tracing filter such as `info,flashstudio=debug`).
    pub log_level: String,
    /// `RUN_WORKER`: whether `serve` also runs the job worker in-process.
    pub run_worker: bool,
    /// `WORKER_CONCURRENCY`.
    pub worker_concurrency: usize,
    /// `JOB_POLL_INTERVAL_MS`.
    pub job_poll_interval: Duration,
    /// `JOB_RETRY_BASE_MS`: first retry delay; doubles per attempt.
    pub job_retry_base: Duration,
    /// `JOB_MAX_ATTEMPTS`.
    pub job_max_attempts: u32,
    /// `SHUTDOWN_GRACE_SECS`.
    pub shutdown_grace: Duration,
    /// `SHUTDOWN_DRAIN_SECS`: after SIGTERM, how long `serve` keeps accepting while it tells
    /// load balancers (`/ready` 503) and clients (`Connection: close`) to go elsewhere.
    pub shutdown_drain: Duration,
    /// `BOOTSTRAP_ADMIN`: create an admin with a random password at first start (dev only).
    pub bootstrap_admin: bool,
    /// `DEMO_CONTENT`: fill an empty catalog with the demo studio at startup (dev only).
    pub demo_content: bool,
    /// `CURRENCY`: the shop's currency (ISO code); prices are shown and charged in it.
    pub currency: crate::money::Currency,
    /// `STAFF_EMAIL`: where contact messages are sent; every admin account when unset.
    pub staff_email: Option<String>,
    /// `REVIEWS_AUTO_APPROVE`: publish product reviews without waiting for moderation.
    pub reviews_auto_approve: bool,
    /// `STUDIO_TIME_ZONE`: the zone every page and email shows times in.
    pub time_zone: jiff::tz::TimeZone,
    /// `CONTENT_CACHE_TTL_MS`: how often browsing pages check whether the content changed.
    pub content_cache_ttl: Duration,
    /// The payment gateway (`PAYMENT_GATEWAY`).
    pub payments: PaymentSettings,
    /// Quoting defaults (`QUOTE_TAX_PERCENT`, `QUOTE_DEPOSIT_PERCENT`, `QUOTE_VALID_DAYS`,
    /// `QUOTE_BALANCE_DUE_DAYS`).
    pub quotes: QuoteSettings,
    /// How long an unpaid order holds its stock (`ORDER_HOLD_MINUTES`).
    pub order_hold: Duration,
    /// Checkout rate limits, the unpaid-stock cap and the hold before the gateway
    /// (`CHECKOUT_LIMIT_PER_CLIENT`, `CHECKOUT_LIMIT_PER_EMAIL`, `UNPAID_UNITS_PER_PRODUCT`,
    /// `ORDER_HOLD_UNOPENED_MINUTES`).
    pub checkout_limits: CheckoutLimits,
    /// How old a webhook signature may be (`WEBHOOK_TOLERANCE_SECS`).
    pub webhook_tolerance: Duration,
    /// Download links of digital products: valid for (`DOWNLOAD_LINK_DAYS`) ...
    pub download_link_ttl: Duration,
    /// ... and usable this many times (`DOWNLOAD_LINK_MAX_USES`).
    pub download_link_max_uses: i64,
    /// `STORAGE_BACKEND` and its settings.
    pub storage: StorageSettings,
    /// Per-kind upload size limits.
    pub upload_limits: UploadLimits,
    /// `UPLOAD_MAX_CONCURRENT`: uploads streaming at once in this process.
    pub upload_max_concurrent: usize,
    /// `UPLOAD_BLOCK_SIZE_MB`: the size of each block sent to storage.
    pub upload_block_size: usize,
    /// `UPLOAD_RESUMABLE_EXPIRY_HOURS`: an unfinished resumable upload that receives nothing
    /// for this long is removed, with its stored pieces.
    pub upload_resumable_expiry: Duration,
    /// `UPLOAD_IDLE_TIMEOUT_SECS`: an upload that sends nothing for this long is dropped.
    pub upload_idle_timeout: Duration,
    /// `UPLOAD_MIN_RATE_KIB_PER_SEC`, in bytes per second: after the grace period an upload
    /// must have arrived at least this fast on average, so it lasts at most
    /// grace + size / rate.
    pub upload_min_rate: u64,
    /// `UPLOAD_RATE_GRACE_SECS`: how long an upload may take before the minimum rate counts.
    pub upload_rate_grace: Duration,
    /// `FFMPEG_PATH`: the ffmpeg program used for video posters.
    pub ffmpeg_path: String,
    /// `FFPROBE_PATH`: the ffprobe program used for video duration and size.
    pub ffprobe_path: String,
}

/// A configuration problem, phrased for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn err(message: impl Into<String>) -> ConfigError {
    ConfigError(message.into())
}

/// The process environment (after loading `.env` if present).
pub fn env_vars() -> HashMap<String, String> {
    // A missing .env is normal; a broken one is worth a warning, not a refusal.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("warning: could not read .env: {e}");
    }
    std::env::vars().collect()
}

impl Settings {
    /// Reads the process environment (after loading `.env` if present).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_map(&env_vars())
    }

    /// Parses settings from a map of variables (used directly by tests).
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let site = Site::from_map(vars)?;
        let production = site.environment == Environment::Production;
        // Only the first problem is reported, so this order decides which one the operator
        // sees and must not change (`production_names_each_missing_setting_in_turn` pins part
        // of it); it is also why some areas are read in two steps. A struct expression
        // evaluates its fields in the order written; `site` comes last as the others borrow it.
        let database_url = database::url(vars, &site.data_dir, production)?;
        let sqlite = database_url.starts_with("sqlite:");
        let sections = Sections {
            database_url,
            signing: SigningKeys::from_map(vars, production)?,
            mail: Mail::from_map(vars, &site.base_url, &site.data_dir, production)?,
            logs: Logs::from_map(vars, production)?,
            metrics_token: http::metrics_token(vars)?,
            dev: DevConveniences::from_map(vars, production)?,
            currency: shop::currency(vars)?,
            staff_email: mail::staff_email(vars)?,
            storage: storage::parse(vars, &site.data_dir, production)?,
            checkout: Checkout::from_map(vars, production)?,
            upload_sizes: UploadSizes::from_map(vars)?,
            pool: database::Pool::from_map(vars, production, sqlite)?,
            sessions: Sessions::from_map(vars)?,
            job_lease: runtime::job_lease(vars)?,
            clients: Clients::from_map(vars)?,
            slow_clients: SlowClients::from_map(vars)?,
            runtime: Runtime::from_map(vars, production)?,
            storefront: Storefront::from_map(vars)?,
            quotes: QuoteSettings::from_map(vars)?,
            after_payment: AfterPayment::from_map(vars)?,
            upload_processing: UploadProcessing::from_map(vars)?,
            site,
        };
        Ok(sections.into_settings())
    }

    /// Listens on `addr` (the `--addr` flag); a derived `BASE_URL` follows it.
    pub fn set_addr(&mut self, addr: SocketAddr) -> Result<(), ConfigError> {
        self.addr = addr;
        if self.base_url_derived {
            self.base_url = parse_base_url(&format!("http://{addr}"))?;
        }
        Ok(())
    }

    /// True in production mode.
    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// Creates the data directory (owner only) when the database is a SQLite file in it, and
    /// always in development; warns when an existing one is open to other accounts.
    pub fn ensure_data_dir(&self) -> anyhow::Result<()> {
        use anyhow::Context as _;
        if self.database_url.expose().starts_with("sqlite:") || !self.is_production() {
            create_private_dir(&self.data_dir)
                .with_context(|| format!("creating data directory {}", self.data_dir.display()))?;
            files::warn_if_shared(&self.data_dir);
        }
        Ok(())
    }
}

/// Every area's settings, as read; [`Settings`] keeps them in one flat struct because the
/// rest of the program reads its fields by those names.
struct Sections {
    site: Site,
    database_url: String,
    signing: SigningKeys,
    mail: Mail,
    logs: Logs,
    metrics_token: Option<Secret<String>>,
    dev: DevConveniences,
    currency: crate::money::Currency,
    staff_email: Option<String>,
    storage: StorageSettings,
    checkout: Checkout,
    upload_sizes: UploadSizes,
    pool: database::Pool,
    sessions: Sessions,
    job_lease: Duration,
    clients: Clients,
    slow_clients: SlowClients,
    runtime: Runtime,
    storefront: Storefront,
    quotes: QuoteSettings,
    after_payment: AfterPayment,
    upload_processing: UploadProcessing,
}

impl Sections {
    fn into_settings(self) -> Settings {
        Settings {
            environment: self.site.environment,
            addr: self.site.addr,
            data_dir: self.site.data_dir,
            base_url: self.site.base_url,
            base_url_derived: self.site.base_url_derived,
            database_url: Secret::new(self.database_url),
            database_max_connections: self.pool.max_connections,
            auto_migrate: self.pool.auto_migrate,
            secret_key: Secret::new(self.signing.key),
            secret_key_source: self.signing.source,
            secret_key_previous: self.signing.previous,
            mail_transport: self.mail.transport,
            mail_from: self.mail.from,
            session_idle_timeout: self.sessions.idle_timeout,
            session_absolute_timeout: self.sessions.absolute_timeout,
            admin_session_idle_timeout: self.sessions.admin_idle_timeout,
            admin_session_absolute_timeout: self.sessions.admin_absolute_timeout,
            metrics_token: self.metrics_token,
            job_lease: self.job_lease,
            trust_proxy_headers: self.clients.trust_proxy_headers,
            trusted_proxy_hops: self.clients.trusted_proxy_hops,
            login_rate_limit_per_minute: self.clients.login_rate_limit_per_minute,
            availability_rate_limit_per_minute: self.clients.availability_rate_limit_per_minute,
            http_header_read_timeout: self.slow_clients.header_read_timeout,
            http_keep_alive_timeout: self.slow_clients.keep_alive_timeout,
            form_body_timeouts: self.slow_clients.form_body,
            webhook_body_timeouts: self.slow_clients.webhook_body,
            log_format: self.logs.format,
            log_level: self.logs.level,
            run_worker: self.runtime.run_worker,
            worker_concurrency: self.runtime.worker_concurrency,
            job_poll_interval: self.runtime.job_poll_interval,
            job_retry_base: self.runtime.job_retry_base,
            job_max_attempts: self.runtime.job_max_attempts,
            shutdown_grace: self.runtime.shutdown_grace,
            shutdown_drain: self.runtime.shutdown_drain,
            bootstrap_admin: self.dev.bootstrap_admin,
            demo_content: self.dev.demo_content,
            currency: self.currency,
            staff_email: self.staff_email,
            reviews_auto_approve: self.storefront.reviews_auto_approve,
            time_zone: self.storefront.time_zone,
            content_cache_ttl: self.storefront.content_cache_ttl,
            payments: self.checkout.payments,
            quotes: self.quotes,
            order_hold: self.checkout.order_hold,
            checkout_limits: self.checkout.limits,
            webhook_tolerance: self.after_payment.webhook_tolerance,
            download_link_ttl: self.after_payment.download_link_ttl,
            download_link_max_uses: self.after_payment.download_link_max_uses,
            storage: self.storage,
            upload_limits: self.upload_sizes.limits,
            upload_max_concurrent: self.upload_processing.max_concurrent,
            upload_block_size: self.upload_sizes.block_size,
            upload_resumable_expiry: self.upload_sizes.resumable_expiry,
            upload_idle_timeout: self.upload_processing.idle_timeout,
            upload_min_rate: self.upload_processing.min_rate,
            upload_rate_grace: self.upload_processing.rate_grace,
            ffmpeg_path: self.upload_processing.ffmpeg_path,
            ffprobe_path: self.upload_processing.ffprobe_path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse::vars;
    use super::*;

    #[test]
    fn the_studio_time_zone_is_an_iana_name() {
        let s = Settings::from_map(&HashMap::new()).unwrap();
        assert_eq!(s.time_zone.iana_name(), Some("Asia/Singapore"));
        let s = Settings::from_map(&vars(&[("STUDIO_TIME_ZONE", "Europe/London")])).unwrap();
        assert_eq!(s.time_zone.iana_name(), Some("Europe/London"));
        let e = Settings::from_map(&vars(&[("STUDIO_TIME_ZONE", "Mars/Olympus")])).unwrap_err();
        assert!(e.to_string().contains("STUDIO_TIME_ZONE"), "{e}");
    }

    #[test]
    fn zero_config_is_development_on_sqlite_with_mail_to_files() {
        let s = Settings::from_map(&HashMap::new()).unwrap();
        assert_eq!(s.environment, Environment::Development);
        assert_eq!(s.addr.to_string(), "127.0.0.1:8080");
        assert!(s.database_url.expose().starts_with("sqlite://"));
        assert!(matches!(s.mail_transport, MailTransport::Files(_)));
        assert!(s.bootstrap_admin);
    }

    #[test]
    fn production_names_each_missing_setting_in_turn() {
        let mut v = vars(&[
            ("FLASHSTUDIO_ENV", "production"),
            ("BASE_URL", "https://studio.example.com"),
        ]);
        let e = Settings::from_map(&v).unwrap_err();
        assert!(e.0.starts_with("DATABASE_URL"), "{e}");
        v.insert("DATABASE_URL".into(), "postgres://u:p@db/flash".into());
        let e = Settings::from_map(&v).unwrap_err();
        assert!(e.0.starts_with("SECRET_KEY"), "{e}");
        v.insert("SECRET_KEY".into(), "dev-secret".into());
        let e = Settings::from_map(&v).unwrap_err();
        assert!(e.0.contains("placeholder"), "{e}");
        v.insert(
            "SECRET_KEY".into(),
            "3f9c0a7d1e5b8c2f6a4d9e0b7c1f3a5d".repeat(2),
        );
        let e = Settings::from_map(&v).unwrap_err();
        assert!(e.0.starts_with("SMTP_URL"), "{e}");
        v.insert(
            "SMTP_URL".into(),
            "smtps://mailer:pw@smtp.example.com".into(),
        );
        let e = Settings::from_map(&v).unwrap_err();
        assert!(e.0.starts_with("STORAGE_BACKEND is local"), "{e}");
        v.insert("STORAGE_BACKEND".into(), "local".into());
        let e = Settings::from_map(&v).unwrap_err();
        assert!(e.0.starts_with("MEDIA_DIR"), "{e}");
        v.remove("STORAGE_BACKEND");
        v.insert("AZURE_STORAGE_ACCOUNT".into(), "studiomedia".into());
        let e = Settings::from_map(&v).unwrap_err();
        assert!(e.0.starts_with("PAYMENT_GATEWAY"), "{e}");
        v.insert("PAYMENT_GATEWAY".into(), "stripe".into());
        let e = Settings::from_map(&v).unwrap_err();
        assert!(e.0.starts_with("STRIPE_SECRET_KEY"), "{e}");
        v.insert(
            "STRIPE_SECRET_KEY".into(),
            "sk_live_51HxQk2Lw9Xv4Nt6Bp1Mc7Hd3Jf5Gs0AyRt8Ue2Wq4Zo6Ic".into(),
        );
        let e = Settings::from_map(&v).unwrap_err();
        assert!(e.0.starts_with("STRIPE_WEBHOOK_SECRET"), "{e}");
        v.insert(
            "STRIPE_WEBHOOK_SECRET".into(),
            "whsec_k3Jx9vYb0mH7kLr2ZsT1wPn4cVd8fGa6".into(),
        );
        let s = Settings::from_map(&v).unwrap();
        assert!(s.is_production());
        assert!(matches!(s.payments, PaymentSettings::Stripe(_)));
        assert_eq!(s.log_format, LogFormat::Json);
        assert!(!s.auto_migrate);
        assert_eq!(
            s.shutdown_drain,
            Duration::from_secs(5),
            "drains by default"
        );
        let dev = Settings::from_map(&HashMap::new()).unwrap();
        assert_eq!(
            dev.shutdown_drain,
            Duration::ZERO,
            "no drain in development"
        );
    }

    #[test]
    fn production_refuses_sqlite_and_plain_http() {
        let base = [
            ("FLASHSTUDIO_ENV", "production"),
            ("SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("SMTP_URL", "smtp://localhost:25"),
        ];
        let mut v = vars(&base);
        v.insert("BASE_URL".into(), "http://studio.example.com".into());
        v.insert("DATABASE_URL".into(), "postgres://db/x".into());
        assert!(Settings::from_map(&v).unwrap_err().0.contains("https"));
        v.insert("BASE_URL".into(), "https://studio.example.com".into());
        v.insert("DATABASE_URL".into(), "sqlite://x.db".into());
        assert!(Settings::from_map(&v).unwrap_err().0.contains("SQLite"));
    }

    #[test]
    fn base_url_must_be_the_root_and_secrets_must_vary() {
        let e =
            Settings::from_map(&vars(&[("BASE_URL", "http://localhost:8080/shop")])).unwrap_err();
        assert!(e.0.contains("root"), "{e}");
        let e = Settings::from_map(&vars(&[("SECRET_KEY", &"ab".repeat(20))])).unwrap_err();
        assert!(e.0.contains("varied"), "{e}");
        let e = Settings::from_map(&vars(&[("JOB_POLL_INTERVAL_MS", "0")])).unwrap_err();
        assert!(
            e.0.starts_with("JOB_POLL_INTERVAL_MS must be at least"),
            "{e}"
        );
    }
}
