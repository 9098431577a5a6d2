//! Typed settings, read once at startup from the environment (and an optional `.env`).
//!
//! Nothing else in the program reads environment variables. Every variable is documented in
//! `docs/configuration.md`; production mode refuses development adapters and weak secrets with
//! one sentence that names the variable to fix.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// Which kind of deployment this process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Laptop defaults: SQLite, mail to files, readable logs, bootstrap admin.
    Development,
    /// Strict: real adapters, secrets required, secure cookies, JSON logs.
    Production,
}

/// A value that must never be printed or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a secret value.
    pub fn new(value: T) -> Self {
        Self(value)
    }
    /// Gives the secret to the code that needs it; keep the borrow short.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// How outgoing email leaves the process.
#[derive(Debug, Clone)]
pub enum MailTransport {
    /// SMTP server from `SMTP_URL` (credentials inside the URL are kept secret).
    Smtp(Secret<String>),
    /// Development: write `.eml` files under `<data dir>/mail`.
    Files(PathBuf),
}

/// Where uploaded files live.
#[derive(Debug, Clone)]
pub enum StorageSettings {
    /// Development: a directory on this machine (`MEDIA_DIR`).
    Local {
        /// Root directory of the blobs.
        root: PathBuf,
    },
    /// Azure Blob Storage (or Azurite).
    Azure(AzureSettings),
}

/// Which gateway takes payments.
#[derive(Debug, Clone)]
pub enum PaymentSettings {
    /// Development: the built-in test checkout (pay / decline / cancel), refused in production.
    Dev,
    /// Stripe Checkout.
    Stripe(StripeSettings),
}

/// How to reach Stripe.
#[derive(Debug, Clone)]
pub struct StripeSettings {
    /// `STRIPE_SECRET_KEY` (`sk_live_...` or `sk_test_...`, or a restricted `rk_...` key).
    pub secret_key: Secret<String>,
    /// `STRIPE_WEBHOOK_SECRET`: one or more (comma-separated, during a rotation) `whsec_...`.
    pub webhook_secrets: Vec<Secret<String>>,
    /// `STRIPE_API_BASE`: only for tests against a local fake Stripe.
    pub api_base: Option<Url>,
    /// Per-attempt timeout (`STRIPE_TIMEOUT_SECS`).
    pub timeout: Duration,
    /// Attempts per call, the first included (`STRIPE_MAX_ATTEMPTS`).
    pub max_attempts: u32,
    /// First backoff between attempts, doubled each time (`STRIPE_RETRY_BACKOFF_MS`).
    pub retry_backoff: Duration,
}

/// How to reach an Azure storage account.
#[derive(Debug, Clone)]
pub struct AzureSettings {
    /// Storage account name.
    pub account: String,
    /// Account key; `None` means Azure identity (workload identity or managed identity).
    pub access_key: Option<Secret<String>>,
    /// Blob endpoint override (`http://127.0.0.1:10000/devstoreaccount1` for Azurite).
    pub endpoint: Option<String>,
    /// Container holding the media.
    pub container: String,
    /// Create the container at startup when it does not exist.
    pub create_container: bool,
    /// `AZURE_CLIENT_ID` for workload identity.
    pub client_id: Option<String>,
    /// `AZURE_TENANT_ID` for workload identity.
    pub tenant_id: Option<String>,
    /// `AZURE_FEDERATED_TOKEN_FILE` for workload identity.
    pub federated_token_file: Option<String>,
}

/// Upload limits, in bytes, per kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// `UPLOAD_MAX_IMAGE_MB`.
    pub image: u64,
    /// `UPLOAD_MAX_VIDEO_MB`.
    pub video: u64,
    /// `UPLOAD_MAX_DOCUMENT_MB`.
    pub document: u64,
    /// `UPLOAD_MAX_ARCHIVE_MB`.
    pub archive: u64,
}

impl UploadLimits {
    /// The largest of the limits: no upload request may be longer (plus form overhead).
    pub fn largest(&self) -> u64 {
        self.image
            .max(self.video)
            .max(self.document)
            .max(self.archive)
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (development default).
    Pretty,
    /// One JSON object per line (production default).
    Json,
}

/// Where the in-process secret key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKeySource {
    /// `SECRET_KEY` variable.
    Environment,
    /// Generated once and kept in `<data dir>/secret.key` (development only).
    DataDir,
}

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
    /// `CONTENT_CACHE_TTL_MS`: how long browsing pages reuse the in-memory catalog snapshot.
    pub content_cache_ttl: Duration,
    /// The payment gateway (`PAYMENT_GATEWAY`).
    pub payments: PaymentSettings,
    /// How long an unpaid order holds its stock (`ORDER_HOLD_MINUTES`).
    pub order_hold: Duration,
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
    /// `UPLOAD_IDLE_TIMEOUT_SECS`: an upload that sends nothing for this long is dropped.
    pub upload_idle_timeout: Duration,
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

/// Secret values that appear in documentation or old deployments and must never be used.
const KNOWN_WEAK_SECRETS: &[&str] = &[
    "dev-secret",
    "secret",
    "changeme",
    "change-me",
    "password",
    "admin",
    "replace-me-with-64-random-hex-characters",
];

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

/// The database a process uses, and the data directory a SQLite file lives in.
#[derive(Debug)]
pub struct DatabaseTarget {
    /// `FLASHSTUDIO_ENV` is production.
    pub production: bool,
    /// `FLASHSTUDIO_DATA_DIR`.
    pub data_dir: PathBuf,
    /// `DATABASE_URL` (or the SQLite default in development).
    pub url: Secret<String>,
}

impl DatabaseTarget {
    /// Only what `flashstudio migrate` needs: a migration job carries the database URL and
    /// none of the app's other secrets.
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let production = parse_environment(vars)? == Environment::Production;
        let data_dir = data_dir(vars);
        let url = database_url(vars, &data_dir, production)?;
        Ok(Self {
            production,
            data_dir,
            url: Secret::new(url),
        })
    }
}

/// A secret long and varied enough to sign with.
fn strong_secret(name: &str, key: &str) -> Result<Vec<u8>, ConfigError> {
    if KNOWN_WEAK_SECRETS.contains(&key.to_ascii_lowercase().as_str()) {
        return Err(err(format!(
            "{name} is a well-known placeholder; generate one with `openssl rand -hex 32`."
        )));
    }
    let distinct = key.chars().collect::<std::collections::HashSet<_>>().len();
    if key.len() < 32 || distinct < 8 {
        return Err(err(format!(
            "{name} must be at least 32 varied characters; generate one with `openssl rand -hex 32`."
        )));
    }
    Ok(key.as_bytes().to_vec())
}

fn parse_environment(vars: &HashMap<String, String>) -> Result<Environment, ConfigError> {
    match non_empty(vars, "FLASHSTUDIO_ENV").unwrap_or("development") {
        "development" | "dev" => Ok(Environment::Development),
        "production" | "prod" => Ok(Environment::Production),
        other => Err(err(format!(
            "FLASHSTUDIO_ENV must be \"development\" or \"production\", not {other:?}."
        ))),
    }
}

fn non_empty<'a>(vars: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn data_dir(vars: &HashMap<String, String>) -> PathBuf {
    PathBuf::from(non_empty(vars, "FLASHSTUDIO_DATA_DIR").unwrap_or("./data"))
}

fn database_url(
    vars: &HashMap<String, String>,
    data_dir: &std::path::Path,
    production: bool,
) -> Result<String, ConfigError> {
    let database_url = match non_empty(vars, "DATABASE_URL") {
        Some(url) => url.to_owned(),
        None if production => {
            return Err(err(
                "DATABASE_URL is required in production (postgres://user:password@host/db).",
            ));
        }
        None => format!("sqlite://{}", data_dir.join("flashstudio.db").display()),
    };
    if !(database_url.starts_with("sqlite:")
        || database_url.starts_with("postgres://")
        || database_url.starts_with("postgresql://"))
    {
        return Err(err(
            "DATABASE_URL must start with sqlite:, postgres:// or postgresql://.",
        ));
    }
    if production && database_url.starts_with("sqlite:") {
        return Err(err(
            "DATABASE_URL points at SQLite, the development database; production needs PostgreSQL.",
        ));
    }
    Ok(database_url)
}

impl Settings {
    /// Reads the process environment (after loading `.env` if present).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_map(&env_vars())
    }

    /// Parses settings from a map of variables (used directly by tests).
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| non_empty(vars, name);

        let environment = parse_environment(vars)?;
        let production = environment == Environment::Production;

        let addr: SocketAddr = get("FLASHSTUDIO_ADDR")
            .unwrap_or("127.0.0.1:8080")
            .parse()
            .map_err(|_| err("FLASHSTUDIO_ADDR must be IP:PORT, for example 0.0.0.0:8080."))?;
        let data_dir = data_dir(vars);

        let base_url = match get("BASE_URL") {
            Some(raw) => parse_base_url(raw)?,
            None if production => {
                return Err(err(
                    "BASE_URL is required in production (the public https address, used in emails and links).",
                ));
            }
            None => parse_base_url(&format!("http://{addr}"))?,
        };
        if production && base_url.scheme() != "https" {
            return Err(err("BASE_URL must start with https:// in production."));
        }
        let local = matches!(
            base_url.host_str(),
            Some("localhost" | "127.0.0.1" | "[::1]")
        ) || base_url
            .host_str()
            .is_some_and(|h| h.ends_with(".localhost") || h.ends_with(".test"));
        if !production && base_url.scheme() == "https" && !local {
            return Err(err(
                "FLASHSTUDIO_ENV is unset (development) but BASE_URL is a public https address; \
                 set FLASHSTUDIO_ENV=production.",
            ));
        }

        let database_url = database_url(vars, &data_dir, production)?;

        let (secret_key, secret_key_source) = match get("SECRET_KEY") {
            Some(key) => (
                strong_secret("SECRET_KEY", key)?,
                SecretKeySource::Environment,
            ),
            None if production => {
                return Err(err(
                    "SECRET_KEY is required in production; generate one with `openssl rand -hex 32`.",
                ));
            }
            None => (Vec::new(), SecretKeySource::DataDir),
        };

        let secret_key_previous = match get("SECRET_KEY_PREVIOUS") {
            Some(_) if secret_key_source == SecretKeySource::DataDir => {
                return Err(err(
                    "SECRET_KEY_PREVIOUS is set but SECRET_KEY is not: rotation needs both.",
                ));
            }
            Some(key) => {
                let key = strong_secret("SECRET_KEY_PREVIOUS", key)?;
                if key == secret_key {
                    return Err(err(
                        "SECRET_KEY_PREVIOUS is the same as SECRET_KEY; leave it unset.",
                    ));
                }
                Some(Secret::new(key))
            }
            None => None,
        };

        let mail_transport = match get("SMTP_URL") {
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
                MailTransport::Smtp(Secret::new(url.to_owned()))
            }
            None if production => {
                return Err(err(
                    "SMTP_URL is required in production; writing mail to files is a development adapter.",
                ));
            }
            None => MailTransport::Files(data_dir.join("mail")),
        };
        let mail_from = get("MAIL_FROM").map(str::to_owned).unwrap_or_else(|| {
            format!(
                "FlashStudio <no-reply@{}>",
                match base_url.host_str() {
                    Some("127.0.0.1" | "localhost") | None => "flashstudio.test",
                    Some(host) => host,
                }
            )
        });
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(err(
                "MAIL_FROM must be a mailbox such as \"FlashStudio <hello@example.com>\".",
            ));
        }

        let log_format = match get("LOG_FORMAT") {
            Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => {
                return Err(err(format!(
                    "LOG_FORMAT must be \"json\" or \"pretty\", not {other:?}."
                )));
            }
            None if production => LogFormat::Json,
            None => LogFormat::Pretty,
        };

        let (log_var, log_level) = match (get("RUST_LOG"), get("LOG_LEVEL")) {
            (Some(filter), _) => ("RUST_LOG", filter),
            (None, Some(filter)) => ("LOG_LEVEL", filter),
            (None, None) => ("LOG_LEVEL", "info"),
        };
        if tracing_subscriber::EnvFilter::try_new(log_level).is_err() {
            return Err(err(format!(
                "{log_var} must be a log filter such as \"info\" or \"info,flashstudio=debug\", not {log_level:?}."
            )));
        }
        let log_level = log_level.to_owned();

        let metrics_token = get("METRICS_TOKEN").map(|t| Secret::new(t.to_owned()));
        if metrics_token
            .as_ref()
            .is_some_and(|t| t.expose().len() < 16)
        {
            return Err(err("METRICS_TOKEN must be at least 16 characters."));
        }

        let bootstrap_admin = parse_bool(vars, "BOOTSTRAP_ADMIN", !production)?;
        if production && bootstrap_admin {
            return Err(err(
                "BOOTSTRAP_ADMIN cannot be used in production; create admins with `flashstudio create-admin`.",
            ));
        }

        let demo_content = parse_bool(vars, "DEMO_CONTENT", !production)?;
        if production && demo_content {
            return Err(err(
                "DEMO_CONTENT cannot be used in production; it would publish the demo catalog.",
            ));
        }
        let currency = match get("CURRENCY") {
            None => crate::money::Currency::default(),
            Some(code) => crate::money::Currency::parse(code).ok_or_else(|| {
                err(format!(
                    "CURRENCY must be one of {}, not {code:?}.",
                    crate::money::Currency::supported()
                ))
            })?,
        };
        let staff_email = get("STAFF_EMAIL").map(str::to_owned);
        if let Some(e) = &staff_email
            && e.parse::<lettre::Address>().is_err()
        {
            return Err(err("STAFF_EMAIL must be an email address."));
        }

        let storage = parse_storage(vars, &data_dir, production)?;
        let payments = parse_payments(vars, production)?;
        let hold_minutes: u64 = parse_num(vars, "ORDER_HOLD_MINUTES", 30)?;
        let hold_min = if matches!(payments, PaymentSettings::Stripe(_)) {
            // Stripe refuses a Checkout Session that expires sooner than 30 minutes.
            30
        } else {
            1
        };
        if !(hold_min..=24 * 60).contains(&hold_minutes) {
            return Err(err(format!(
                "ORDER_HOLD_MINUTES must be between {hold_min} and 1440 (Stripe sessions last 30 minutes to 24 hours)."
            )));
        }
        let mb = |name: &str, default: u64| -> Result<u64, ConfigError> {
            let value = at_least(parse_num(vars, name, default)?, 1, name)?;
            value
                .checked_mul(1024 * 1024)
                .ok_or_else(|| err(format!("{name} is too large.")))
        };
        let upload_limits = UploadLimits {
            image: mb("UPLOAD_MAX_IMAGE_MB", 100)?,
            video: mb("UPLOAD_MAX_VIDEO_MB", 10 * 1024)?,
            document: mb("UPLOAD_MAX_DOCUMENT_MB", 50)?,
            archive: mb("UPLOAD_MAX_ARCHIVE_MB", 2 * 1024)?,
        };
        let block_mb: usize = parse_num(vars, "UPLOAD_BLOCK_SIZE_MB", 4)?;
        if !(1..=64).contains(&block_mb) {
            return Err(err("UPLOAD_BLOCK_SIZE_MB must be between 1 and 64."));
        }

        Ok(Self {
            environment,
            addr,
            data_dir,
            base_url_derived: get("BASE_URL").is_none(),
            base_url,
            database_url: Secret::new(database_url),
            database_max_connections: parse_num(vars, "DATABASE_MAX_CONNECTIONS", 10)?,
            auto_migrate: parse_bool(vars, "AUTO_MIGRATE", !production)?,
            secret_key: Secret::new(secret_key),
            secret_key_source,
            secret_key_previous,
            mail_transport,
            mail_from,
            session_idle_timeout: Duration::from_secs(parse_num(
                vars,
                "SESSION_IDLE_TIMEOUT_SECS",
                60 * 60 * 24,
            )?),
            session_absolute_timeout: Duration::from_secs(parse_num(
                vars,
                "SESSION_ABSOLUTE_TIMEOUT_SECS",
                60 * 60 * 24 * 14,
            )?),
            admin_session_idle_timeout: Duration::from_secs(parse_num(
                vars,
                "ADMIN_SESSION_IDLE_TIMEOUT_SECS",
                60 * 60 * 2,
            )?),
            admin_session_absolute_timeout: Duration::from_secs(parse_num(
                vars,
                "ADMIN_SESSION_ABSOLUTE_TIMEOUT_SECS",
                60 * 60 * 12,
            )?),
            metrics_token,
            job_lease: Duration::from_secs(at_least(
                parse_num(vars, "JOB_LEASE_SECS", 300)?,
                30,
                "JOB_LEASE_SECS",
            )?),
            trust_proxy_headers: parse_bool(vars, "TRUST_PROXY_HEADERS", false)?,
            trusted_proxy_hops: at_least(
                parse_num(vars, "TRUSTED_PROXY_HOPS", 1)?,
                1,
                "TRUSTED_PROXY_HOPS",
            )?,
            login_rate_limit_per_minute: at_least(
                parse_num(vars, "LOGIN_RATE_LIMIT_PER_MINUTE", 10)?,
                1,
                "LOGIN_RATE_LIMIT_PER_MINUTE",
            )?,
            log_format,
            log_level,
            run_worker: parse_bool(vars, "RUN_WORKER", true)?,
            worker_concurrency: parse_num(vars, "WORKER_CONCURRENCY", 2)?,
            job_poll_interval: Duration::from_millis(at_least(
                parse_num(vars, "JOB_POLL_INTERVAL_MS", 500)?,
                10,
                "JOB_POLL_INTERVAL_MS",
            )?),
            job_retry_base: Duration::from_millis(parse_num(vars, "JOB_RETRY_BASE_MS", 10_000)?),
            job_max_attempts: parse_num(vars, "JOB_MAX_ATTEMPTS", 8)?,
            shutdown_grace: Duration::from_secs(parse_num(vars, "SHUTDOWN_GRACE_SECS", 25)?),
            shutdown_drain: Duration::from_secs(parse_num(
                vars,
                "SHUTDOWN_DRAIN_SECS",
                if production { 5 } else { 0 },
            )?),
            bootstrap_admin,
            demo_content,
            currency,
            staff_email,
            reviews_auto_approve: parse_bool(vars, "REVIEWS_AUTO_APPROVE", false)?,
            content_cache_ttl: Duration::from_millis(parse_num(
                vars,
                "CONTENT_CACHE_TTL_MS",
                1000,
            )?),
            payments,
            order_hold: Duration::from_secs(hold_minutes * 60),
            webhook_tolerance: Duration::from_secs(at_least(
                parse_num(vars, "WEBHOOK_TOLERANCE_SECS", 300)?,
                1,
                "WEBHOOK_TOLERANCE_SECS",
            )?),
            download_link_ttl: Duration::from_secs(
                at_least(
                    parse_num(vars, "DOWNLOAD_LINK_DAYS", 7)?,
                    1,
                    "DOWNLOAD_LINK_DAYS",
                )? * 86_400,
            ),
            download_link_max_uses: at_least(
                parse_num(vars, "DOWNLOAD_LINK_MAX_USES", 5)?,
                1,
                "DOWNLOAD_LINK_MAX_USES",
            )?,
            storage,
            upload_limits,
            upload_max_concurrent: at_least(
                parse_num(vars, "UPLOAD_MAX_CONCURRENT", 8)?,
                1,
                "UPLOAD_MAX_CONCURRENT",
            )?,
            upload_block_size: block_mb * 1024 * 1024,
            upload_idle_timeout: Duration::from_secs(at_least(
                parse_num(vars, "UPLOAD_IDLE_TIMEOUT_SECS", 60)?,
                1,
                "UPLOAD_IDLE_TIMEOUT_SECS",
            )?),
            ffmpeg_path: get("FFMPEG_PATH").unwrap_or("ffmpeg").to_owned(),
            ffprobe_path: get("FFPROBE_PATH").unwrap_or("ffprobe").to_owned(),
        })
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

    /// Fills in the development secret key from `<data dir>/secret.key`, creating it once.
    pub fn load_or_create_dev_secret(&mut self) -> anyhow::Result<()> {
        use anyhow::Context as _;
        if self.secret_key_source != SecretKeySource::DataDir
            || !self.secret_key.expose().is_empty()
        {
            return Ok(());
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating data directory {}", self.data_dir.display()))?;
        let path = self.data_dir.join("secret.key");
        let key = match std::fs::read_to_string(&path) {
            Ok(hex_key) => hex::decode(hex_key.trim())
                .ok()
                .filter(|k| k.len() >= 32)
                .with_context(|| {
                    format!(
                        "{} must hold at least 32 bytes as hex; delete it to generate a new one",
                        path.display()
                    )
                })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::random();
                write_private_file(&path, hex::encode(key).as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
                key.to_vec()
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        self.secret_key = Secret::new(key);
        Ok(())
    }

    /// Creates the data directory when the database is a SQLite file in it.
    pub fn ensure_data_dir(&self) -> anyhow::Result<()> {
        use anyhow::Context as _;
        if self.database_url.expose().starts_with("sqlite:") || !self.is_production() {
            std::fs::create_dir_all(&self.data_dir)
                .with_context(|| format!("creating data directory {}", self.data_dir.display()))?;
        }
        Ok(())
    }

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
                PaymentSettings::Stripe(_) => "stripe",
            },
            self.secret_key_source,
            self.run_worker,
        )
    }
}

/// `PAYMENT_GATEWAY` (`dev` or `stripe`) and Stripe's variables.
fn parse_payments(
    vars: &HashMap<String, String>,
    production: bool,
) -> Result<PaymentSettings, ConfigError> {
    let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    match get("PAYMENT_GATEWAY") {
        None | Some("dev") if production => Err(err(
            "PAYMENT_GATEWAY must be \"stripe\" in production; the dev gateway takes no real money.",
        )),
        None | Some("dev") => Ok(PaymentSettings::Dev),
        Some("stripe") => {
            let secret_key = get("STRIPE_SECRET_KEY")
                .ok_or_else(|| err("STRIPE_SECRET_KEY is required with PAYMENT_GATEWAY=stripe."))?;
            if !["sk_live_", "sk_test_", "rk_live_", "rk_test_"]
                .iter()
                .any(|p| secret_key.starts_with(p))
            {
                return Err(err(
                    "STRIPE_SECRET_KEY must be a Stripe secret key (sk_live_..., sk_test_... or a restricted rk_... key).",
                ));
            }
            let webhook_secrets: Vec<Secret<String>> = get("STRIPE_WEBHOOK_SECRET")
                .ok_or_else(|| {
                    err("STRIPE_WEBHOOK_SECRET is required with PAYMENT_GATEWAY=stripe (the endpoint's whsec_... secret).")
                })?
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Secret::new(s.to_owned()))
                .collect();
            if webhook_secrets
                .iter()
                .any(|s| !s.expose().starts_with("whsec_"))
            {
                return Err(err(
                    "STRIPE_WEBHOOK_SECRET must be whsec_... (comma-separated during a rotation).",
                ));
            }
            let api_base = match get("STRIPE_API_BASE") {
                None => None,
                Some(raw) => {
                    let url = Url::parse(raw)
                        .map_err(|e| err(format!("STRIPE_API_BASE is not a URL: {e}")))?;
                    if production && url.scheme() != "https" {
                        return Err(err("STRIPE_API_BASE must use https in production."));
                    }
                    Some(url)
                }
            };
            Ok(PaymentSettings::Stripe(StripeSettings {
                secret_key: Secret::new(secret_key.to_owned()),
                webhook_secrets,
                api_base,
                timeout: Duration::from_secs(at_least(
                    parse_num(vars, "STRIPE_TIMEOUT_SECS", 10)?,
                    1,
                    "STRIPE_TIMEOUT_SECS",
                )?),
                max_attempts: at_least(
                    parse_num(vars, "STRIPE_MAX_ATTEMPTS", 3)?,
                    1,
                    "STRIPE_MAX_ATTEMPTS",
                )?,
                retry_backoff: Duration::from_millis(parse_num(
                    vars,
                    "STRIPE_RETRY_BACKOFF_MS",
                    500,
                )?),
            }))
        }
        Some(other) => Err(err(format!(
            "PAYMENT_GATEWAY must be \"dev\" or \"stripe\", not {other:?}."
        ))),
    }
}

/// `STORAGE_BACKEND` (`local` or `azure`) and the variables of the chosen backend.
fn parse_storage(
    vars: &HashMap<String, String>,
    data_dir: &std::path::Path,
    production: bool,
) -> Result<StorageSettings, ConfigError> {
    let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let azure_configured =
        get("AZURE_STORAGE_CONNECTION_STRING").is_some() || get("AZURE_STORAGE_ACCOUNT").is_some();
    let backend =
        get("STORAGE_BACKEND").unwrap_or(if azure_configured { "azure" } else { "local" });
    match backend {
        "local" => {
            // Production may keep files on a local disk only when asked to in so many words
            // (one server with a persistent volume); replicas need Azure.
            if production && get("STORAGE_BACKEND").is_none() {
                return Err(err(
                    "STORAGE_BACKEND is local, the development default; production needs Azure Blob \
                     Storage (set AZURE_STORAGE_ACCOUNT or AZURE_STORAGE_CONNECTION_STRING), or, for a \
                     single server with a persistent disk, STORAGE_BACKEND=local with MEDIA_DIR.",
                ));
            }
            if production && get("MEDIA_DIR").is_none() {
                return Err(err(
                    "MEDIA_DIR is required with STORAGE_BACKEND=local in production (a persistent disk).",
                ));
            }
            let root = get("MEDIA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("media"));
            Ok(StorageSettings::Local { root })
        }
        "azure" => {
            let mut account = get("AZURE_STORAGE_ACCOUNT").map(str::to_owned);
            let mut access_key = get("AZURE_STORAGE_ACCESS_KEY").map(str::to_owned);
            let mut endpoint = get("AZURE_STORAGE_ENDPOINT").map(str::to_owned);
            if let Some(conn) = get("AZURE_STORAGE_CONNECTION_STRING") {
                let parsed = parse_connection_string(conn)?;
                account = account.or(parsed.account);
                access_key = access_key.or(parsed.key);
                endpoint = endpoint.or(parsed.endpoint);
            }
            let Some(account) = account else {
                return Err(err(
                    "STORAGE_BACKEND is azure but neither AZURE_STORAGE_ACCOUNT nor \
                     AZURE_STORAGE_CONNECTION_STRING names the storage account.",
                ));
            };
            if let Some(endpoint) = &endpoint {
                let url = Url::parse(endpoint).map_err(|_| {
                    err("AZURE_STORAGE_ENDPOINT must be a URL such as https://account.blob.core.windows.net.")
                })?;
                if production && url.scheme() != "https" {
                    return Err(err("AZURE_STORAGE_ENDPOINT must use https in production."));
                }
            }
            if production && access_key.as_deref() == Some(AZURITE_ACCOUNT_KEY) {
                return Err(err(
                    "AZURE_STORAGE_ACCESS_KEY is Azurite's published development key; production needs the real account.",
                ));
            }
            let container = get("AZURE_STORAGE_CONTAINER").unwrap_or("media").to_owned();
            let valid_container = (3..=63).contains(&container.len())
                && container
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !container.starts_with('-')
                && !container.ends_with('-')
                && !container.contains("--");
            if !valid_container {
                return Err(err(
                    "AZURE_STORAGE_CONTAINER must be 3-63 lowercase letters, digits and single hyphens.",
                ));
            }
            Ok(StorageSettings::Azure(AzureSettings {
                account,
                access_key: access_key.map(Secret::new),
                endpoint,
                container,
                create_container: parse_bool(vars, "AZURE_STORAGE_CREATE_CONTAINER", !production)?,
                client_id: get("AZURE_CLIENT_ID").map(str::to_owned),
                tenant_id: get("AZURE_TENANT_ID").map(str::to_owned),
                federated_token_file: get("AZURE_FEDERATED_TOKEN_FILE").map(str::to_owned),
            }))
        }
        other => Err(err(format!(
            "STORAGE_BACKEND must be \"local\" or \"azure\", not {other:?}."
        ))),
    }
}

#[derive(Debug, Default)]
struct ConnectionString {
    account: Option<String>,
    key: Option<String>,
    endpoint: Option<String>,
}

/// The parts of an Azure storage connection string we use (`AccountName`, `AccountKey`,
/// `BlobEndpoint`, or `UseDevelopmentStorage=true` for a local Azurite).
fn parse_connection_string(raw: &str) -> Result<ConnectionString, ConfigError> {
    let mut parsed = ConnectionString::default();
    let mut protocol = "https".to_owned();
    let mut suffix = None;
    for part in raw.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(err(
                "AZURE_STORAGE_CONNECTION_STRING must be Key=Value pairs separated by ';'.",
            ));
        };
        match key {
            "AccountName" => parsed.account = Some(value.to_owned()),
            "AccountKey" => parsed.key = Some(value.to_owned()),
            "BlobEndpoint" => parsed.endpoint = Some(value.trim_end_matches('/').to_owned()),
            "DefaultEndpointsProtocol" => value.clone_into(&mut protocol),
            "EndpointSuffix" => suffix = Some(value.to_owned()),
            "UseDevelopmentStorage" if value.eq_ignore_ascii_case("true") => {
                parsed.account = Some("devstoreaccount1".to_owned());
                parsed.key = Some(AZURITE_ACCOUNT_KEY.to_owned());
                parsed.endpoint = Some("http://127.0.0.1:10000/devstoreaccount1".to_owned());
            }
            "SharedAccessSignature" => {
                return Err(err(
                    "AZURE_STORAGE_CONNECTION_STRING with a SharedAccessSignature cannot sign download \
                     links; use an account key or Azure identity.",
                ));
            }
            _ => {}
        }
    }
    if parsed.endpoint.is_none()
        && let (Some(account), Some(suffix)) = (&parsed.account, suffix)
        && suffix != "core.windows.net"
    {
        parsed.endpoint = Some(format!("{protocol}://{account}.blob.{suffix}"));
    }
    Ok(parsed)
}

/// Azurite's published development account key (from its documentation; not a secret).
const AZURITE_ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

fn parse_base_url(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw)
        .map_err(|_| err("BASE_URL must be an absolute URL such as https://studio.example.com."))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(err(
            "BASE_URL must be an http:// or https:// URL with a host.",
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(err(
            "BASE_URL must be the site's root, without a path, query or fragment.",
        ));
    }
    Ok(url)
}

fn parse_bool(
    vars: &HashMap<String, String>,
    name: &str,
    default: bool,
) -> Result<bool, ConfigError> {
    match vars.get(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if v.is_empty() => Ok(default),
        Some(v) => match v.as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(err(format!("{name} must be true or false, not {v:?}."))),
        },
    }
}

fn parse_num<T: std::str::FromStr>(
    vars: &HashMap<String, String>,
    name: &str,
    default: T,
) -> Result<T, ConfigError> {
    match vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| err(format!("{name} must be a whole number, not {v:?}."))),
    }
}

fn at_least<T: PartialOrd + std::fmt::Display>(
    value: T,
    min: T,
    name: &str,
) -> Result<T, ConfigError> {
    if value < min {
        return Err(err(format!("{name} must be at least {min}.")));
    }
    Ok(value)
}

fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("redacted"));
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(unix)]
fn write_private_file(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}

#[cfg(not(unix))]
fn write_private_file(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
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
    fn a_previous_secret_key_must_be_strong_distinct_and_come_with_a_new_one() {
        let key = "0123456789abcdef0123456789abcdef";
        let other = "fedcba9876543210fedcba9876543210";
        let s = Settings::from_map(&vars(&[
            ("SECRET_KEY", key),
            ("SECRET_KEY_PREVIOUS", other),
        ]))
        .unwrap();
        assert_eq!(
            s.secret_key_previous.as_ref().map(|k| k.expose().clone()),
            Some(other.as_bytes().to_vec())
        );
        let e = Settings::from_map(&vars(&[
            ("SECRET_KEY", key),
            ("SECRET_KEY_PREVIOUS", "short"),
        ]))
        .unwrap_err();
        assert!(
            e.0.contains("SECRET_KEY_PREVIOUS must be at least 32"),
            "{e}"
        );
        let e = Settings::from_map(&vars(&[("SECRET_KEY", key), ("SECRET_KEY_PREVIOUS", key)]))
            .unwrap_err();
        assert!(e.0.contains("same as SECRET_KEY"), "{e}");
        let e = Settings::from_map(&vars(&[("SECRET_KEY_PREVIOUS", other)])).unwrap_err();
        assert!(e.0.contains("rotation needs both"), "{e}");
    }

    #[test]
    fn production_without_base_url_names_it() {
        let e = Settings::from_map(&vars(&[("FLASHSTUDIO_ENV", "production")])).unwrap_err();
        assert!(e.0.starts_with("BASE_URL"), "{e}");
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
        v.insert("STRIPE_SECRET_KEY".into(), "sk_live_abc".into());
        let e = Settings::from_map(&v).unwrap_err();
        assert!(e.0.starts_with("STRIPE_WEBHOOK_SECRET"), "{e}");
        v.insert("STRIPE_WEBHOOK_SECRET".into(), "whsec_abc".into());
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
    fn payment_settings_are_checked() {
        let s = Settings::from_map(&HashMap::new()).unwrap();
        assert!(
            matches!(s.payments, PaymentSettings::Dev),
            "dev gateway by default"
        );
        let bad = |pairs: &[(&str, &str)]| Settings::from_map(&vars(pairs)).unwrap_err().0;
        assert!(bad(&[("PAYMENT_GATEWAY", "paypal")]).contains("\"dev\" or \"stripe\""));
        assert!(
            bad(&[
                ("PAYMENT_GATEWAY", "stripe"),
                ("STRIPE_SECRET_KEY", "pk_test_1")
            ])
            .contains("secret key")
        );
        assert!(
            bad(&[
                ("PAYMENT_GATEWAY", "stripe"),
                ("STRIPE_SECRET_KEY", "sk_test_1"),
                ("STRIPE_WEBHOOK_SECRET", "nope"),
            ])
            .contains("whsec_")
        );
        // Stripe sessions last at least 30 minutes.
        assert!(
            bad(&[
                ("PAYMENT_GATEWAY", "stripe"),
                ("STRIPE_SECRET_KEY", "sk_test_1"),
                ("STRIPE_WEBHOOK_SECRET", "whsec_1,whsec_2"),
                ("ORDER_HOLD_MINUTES", "5"),
            ])
            .contains("ORDER_HOLD_MINUTES")
        );
        let s = Settings::from_map(&vars(&[
            ("PAYMENT_GATEWAY", "stripe"),
            ("STRIPE_SECRET_KEY", "sk_test_1"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_1, whsec_2"),
        ]))
        .unwrap();
        let PaymentSettings::Stripe(stripe) = s.payments else {
            panic!("expected stripe")
        };
        assert_eq!(stripe.webhook_secrets.len(), 2, "rotation");
        assert!(format!("{stripe:?}").contains("redacted"));
        assert!(!format!("{stripe:?}").contains("sk_test_1"));
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
    fn azure_settings_come_from_a_connection_string_or_parts() {
        let s = Settings::from_map(&vars(&[(
            "AZURE_STORAGE_CONNECTION_STRING",
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;",
        )]))
        .unwrap();
        let StorageSettings::Azure(a) = s.storage else {
            panic!("expected azure")
        };
        assert_eq!(a.account, "devstoreaccount1");
        assert_eq!(
            a.endpoint.as_deref(),
            Some("http://127.0.0.1:10000/devstoreaccount1")
        );
        assert_eq!(a.access_key.unwrap().expose(), "a2V5");
        assert_eq!(a.container, "media");
        assert!(a.create_container);

        let e = Settings::from_map(&vars(&[
            ("STORAGE_BACKEND", "azure"),
            ("AZURE_STORAGE_CONTAINER", "Bad_Name"),
            ("AZURE_STORAGE_ACCOUNT", "x"),
        ]))
        .unwrap_err();
        assert!(e.0.starts_with("AZURE_STORAGE_CONTAINER"), "{e}");
        let e = Settings::from_map(&vars(&[(
            "AZURE_STORAGE_CONNECTION_STRING",
            "AccountName=x;SharedAccessSignature=sv=2020",
        )]))
        .unwrap_err();
        assert!(e.0.contains("SharedAccessSignature"), "{e}");
        let e = Settings::from_map(&vars(&[("STORAGE_BACKEND", "azure")])).unwrap_err();
        assert!(e.0.contains("AZURE_STORAGE_ACCOUNT"), "{e}");
        let e = Settings::from_map(&vars(&[("UPLOAD_BLOCK_SIZE_MB", "0")])).unwrap_err();
        assert!(e.0.starts_with("UPLOAD_BLOCK_SIZE_MB"), "{e}");
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Settings::from_map(&vars(&[("SECRET_KEY", "kq8Zr2Lw9Xv4Nt6Bp1Mc7Hd3Jf5Gs0Ay")]))
            .unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("kq8Zr2Lw9Xv4Nt6Bp1Mc7Hd3Jf5Gs0Ay"));
        assert!(!s.summary().contains("kq8Zr2Lw9Xv4Nt6Bp1Mc7Hd3Jf5Gs0Ay"));
    }

    #[test]
    fn a_forgotten_production_flag_is_caught() {
        let e =
            Settings::from_map(&vars(&[("BASE_URL", "https://studio.example.com")])).unwrap_err();
        assert!(e.0.contains("FLASHSTUDIO_ENV=production"), "{e}");
        assert!(Settings::from_map(&vars(&[("BASE_URL", "https://studio.test")])).is_ok());
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

    #[test]
    fn bad_numbers_name_the_variable() {
        let e = Settings::from_map(&vars(&[("WORKER_CONCURRENCY", "two")])).unwrap_err();
        assert!(e.0.starts_with("WORKER_CONCURRENCY"));
    }
}
