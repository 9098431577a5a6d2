//! The command line: `serve` (default), `worker`, `migrate`, `create-admin`, `check-config`,
//! `api-token`.

use std::io::Read as _;
use std::net::SocketAddr;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use poem::EndpointExt as _;
use tokio_util::sync::CancellationToken;

use crate::accounts::service;
use crate::app::{self, AppState};
use crate::config::Settings;
use crate::db::Db;
use crate::http::deadlines::{ConnectionTimeouts, Connections};
use crate::identity::model::{Email, NewPassword};

/// FlashStudio: the website and back-office of a video production studio.
#[derive(Debug, Parser)]
#[command(name = "flashstudio", version, about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the website (and run the job worker in-process unless RUN_WORKER=false).
    Serve {
        /// Address to listen on (overrides FLASHSTUDIO_ADDR).
        #[arg(long)]
        addr: Option<SocketAddr>,
    },
    /// Run only the job worker.
    Worker {
        /// Also serve `/health`, `/ready` and `/metrics` here (for probes and scraping).
        #[arg(long)]
        addr: Option<SocketAddr>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Create an admin (or promote an existing account), reading the password from stdin.
    CreateAdmin {
        /// The admin's email.
        #[arg(long)]
        email: String,
        /// Read the password from standard input (required: passwords never go in argv).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Validate the configuration, print it with secrets redacted, and check the database.
    CheckConfig,
    /// Manage tokens of the JSON API.
    #[command(subcommand)]
    ApiToken(ApiTokenCommand),
    /// Payments: catch up with the gateway.
    #[command(subcommand)]
    Payments(PaymentsCommand),
    /// Fill the catalog and site with the demo studio (existing rows are kept).
    SeedDemo {
        /// Skip the short video clips (made with ffmpeg when it is installed).
        #[arg(long)]
        no_clips: bool,
    },
}

/// `payments` subcommands.
#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Fetch the gateway's recent events and apply the ones we missed (after an outage).
    Reconcile {
        /// How far back to look, in hours (Stripe keeps events for 30 days).
        #[arg(long, default_value_t = 72)]
        since_hours: u32,
    },
    /// Expire unpaid orders and release unpaid booking holds whose hold has ended (the worker
    /// does this every minute).
    ExpireHolds,
}

/// `api-token` subcommands.
#[derive(Debug, Subcommand)]
pub enum ApiTokenCommand {
    /// Create a token and print it once.
    Create {
        /// What will use it (shown in the admin).
        #[arg(long)]
        name: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id or by its shown prefix.
    Revoke {
        /// Id or prefix (`fs_XXXXXXX`).
        token: String,
    },
}

/// Runs the command line; the binary's `main` is only this.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    crate::telemetry::install_crypto_provider();
    let vars = crate::config::env_vars();
    let command = cli.command.unwrap_or(Command::Serve { addr: None });
    if let Command::Migrate = command {
        return migrate(&vars).await;
    }
    let mut settings = Settings::from_map(&vars)?;
    crate::telemetry::init(settings.log_format, &settings.log_level);
    match command {
        Command::Serve { addr } => {
            if let Some(addr) = addr {
                settings.set_addr(addr)?;
            }
            serve(settings).await
        }
        Command::SeedDemo { no_clips } => {
            if settings.is_production() {
                anyhow::bail!(
                    "seed-demo refuses to run in production: it would publish the demo catalog."
                );
            }
            let state = AppState::build(settings).await?;
            let report =
                crate::demo::seed(&state, crate::demo::SeedOptions { clips: !no_clips }).await?;
            println!(
                "demo content: {} categories, {} products, {} portfolio films ({} clips), {} packages, {} FAQ entries added",
                report.categories,
                report.products,
                report.videos,
                report.clips,
                report.packages,
                report.faqs
            );
            // The new files' analysis jobs are queued; the server's worker runs them.
            state.db.close().await;
            Ok(())
        }
        Command::Worker { addr } => {
            let state = AppState::build(settings).await?;
            let shutdown = shutdown_on_signal();
            tracing::info!("worker started");
            if let Some(addr) = addr {
                serve_probes(&state, addr, shutdown.clone())?;
            }
            let grace = state.settings.shutdown_grace;
            let stopped = shutdown.clone();
            tokio::select! {
                result = state.run_worker(shutdown) => result?,
                () = async { stopped.cancelled().await; tokio::time::sleep(grace).await } => {
                    tracing::warn!("worker did not stop within the grace period; its jobs will run again");
                }
            }
            // A job aborted at the deadline may still hold a connection: do not wait for it.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), state.db.close()).await;
            Ok(())
        }
        Command::Migrate => migrate(&vars).await,
        Command::CreateAdmin { email, .. } => create_admin(settings, &email).await,
        Command::ApiToken(command) => api_token(settings, command).await,
        Command::Payments(command) => {
            let state = AppState::build(settings).await?;
            let result = match command {
                PaymentsCommand::Reconcile { since_hours } => {
                    let since = crate::db::now() - i64::from(since_hours.min(24 * 30)) * 3600;
                    crate::payments::reconcile(&state, since).await.map(|r| {
                        println!(
                            "{} events fetched from {}: {} applied, {} already known, {} errors",
                            r.fetched,
                            state.gateway.name(),
                            r.applied,
                            r.duplicates,
                            r.errors
                        );
                    })
                }
                PaymentsCommand::ExpireHolds => async {
                    let now = crate::db::now();
                    let orders = crate::orders::expire_due(&state, now).await?;
                    let bookings = crate::bookings::deposits::expire_holds(&state, now).await?;
                    println!(
                        "{orders} unpaid orders expired, {bookings} unpaid booking holds released"
                    );
                    Ok::<(), crate::error::AppError>(())
                }
                .await
                .map_err(|e| anyhow::anyhow!("{e}")),
            };
            state.db.close().await;
            result
        }
        Command::CheckConfig => {
            print!("{}", settings.summary());
            settings.ensure_data_dir()?;
            let db = Db::connect(settings.database_url.expose(), 1)
                .await
                .context("DATABASE_URL: cannot connect")?;
            let migrated = db.is_migrated().await?;
            println!(
                "database         reachable, {}",
                if migrated {
                    "migrated"
                } else {
                    "NOT migrated (run `flashstudio migrate`)"
                }
            );
            println!("configuration OK");
            Ok(())
        }
    }
}

/// Serves `/health`, `/ready` and `/metrics` on `addr` for `worker --addr`, with the same
/// connection deadlines as `serve` (request head, keep-alive), until `shutdown`.
fn serve_probes(
    state: &AppState,
    addr: SocketAddr,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let listener = std::net::TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
    listener.set_nonblocking(true)?;
    let connections = Connections::new(
        ConnectionTimeouts::of(&state.settings),
        std::sync::Arc::clone(&state.metrics),
    );
    let acceptor = connections.watch(poem::listener::TcpAcceptor::from_std(listener)?);
    let probes = poem::Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
        crate::routes::probes(state.clone()).with(connections.tracker()),
        shutdown.cancelled_owned(),
        Some(std::time::Duration::from_secs(2)),
    );
    tracing::info!(%addr, "serving probes and metrics");
    tokio::spawn(async move {
        if let Err(e) = probes.await {
            tracing::error!(error = %e, "the probe listener stopped");
        }
    });
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let addr = settings.addr;
    let listener = std::net::TcpListener::bind(addr)
        .with_context(|| format!("binding {addr} (FLASHSTUDIO_ADDR)"))?;
    let state = AppState::build(settings).await?;
    if let Some((email, password)) = app::bootstrap_admin(&state).await? {
        println!(
            "\n  First start: an admin account was created.\n\n    email:    {email}\n    password: {password}\n\n  This is shown once. Log in at {}/login and change it in your account.\n",
            state.settings.base_url.as_str().trim_end_matches('/')
        );
    }
    if let Some(report) = crate::demo::seed_if_empty(&state).await? {
        tracing::info!(
            products = report.products,
            films = report.videos,
            clips = report.clips,
            "demo content created (DEMO_CONTENT=false to start empty)"
        );
    }
    tracing::info!(startup_ms = started.elapsed().as_millis(), "ready");
    app::serve(state, listener, shutdown_on_signal()).await
}

async fn api_token(settings: Settings, command: ApiTokenCommand) -> anyhow::Result<()> {
    use crate::api::tokens;
    settings.ensure_data_dir()?;
    let db = Db::connect(settings.database_url.expose(), 1)
        .await
        .context("DATABASE_URL: cannot connect")?;
    if settings.auto_migrate {
        db.migrate().await.context("running migrations")?;
    }
    let result = match command {
        ApiTokenCommand::Create { name } => {
            let name = tokens::validate_name(&name).map_err(|m| anyhow::anyhow!("--name: {m}"))?;
            let (token, secret) = tokens::create(db.pool(), &name, None).await?;
            println!("{secret}");
            eprintln!(
                "API token \"{}\" created ({}…). It is shown once; store it now.",
                token.name, token.prefix
            );
            Ok(())
        }
        ApiTokenCommand::List => {
            for t in tokens::list(db.pool()).await? {
                let status = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!("{}  {}…  {:8} {}", t.id, t.prefix, status, t.name);
            }
            Ok(())
        }
        ApiTokenCommand::Revoke { token } => {
            match tokens::revoke(&mut *db.pool().acquire().await?, token.trim()).await? {
                Some(t) => {
                    println!("revoked \"{}\" ({}…)", t.name, t.prefix);
                    Ok(())
                }
                None => Err(anyhow::anyhow!("no active token with that id or prefix")),
            }
        }
    };
    db.close().await;
    result
}

async fn create_admin(settings: Settings, email: &str) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|m| anyhow::anyhow!("--email: {m}"))?;
    let mut raw = String::new();
    std::io::stdin()
        .read_to_string(&mut raw)
        .context("reading the password from stdin")?;
    let raw = raw.trim_end_matches(['\n', '\r']);
    let password = NewPassword::parse(raw, Some(email.as_str()))
        .map_err(|m| anyhow::anyhow!("password: {m}"))?;
    let state = AppState::build(settings).await?;
    let created = service::create_or_promote_admin(&state, &email, &password).await?;
    if created {
        println!("admin {email} created");
    } else {
        println!("{email} is now an admin (password replaced, sessions signed out)");
    }
    state.db.close().await;
    Ok(())
}

/// `flashstudio migrate`: needs only the database settings, so a migration job (a Helm hook
/// that runs before the release's other resources exist) carries no other secret.
async fn migrate(vars: &std::collections::HashMap<String, String>) -> anyhow::Result<()> {
    let target = crate::config::DatabaseTarget::from_map(vars)?;
    // Logs like the app's: JSON in production (LOG_FORMAT and LOG_LEVEL are not read here).
    let format = if target.production {
        crate::config::LogFormat::Json
    } else {
        crate::config::LogFormat::Pretty
    };
    crate::telemetry::init(format, "info");
    if target.url.expose().starts_with("sqlite:") {
        crate::config::create_private_dir(&target.data_dir)
            .with_context(|| format!("creating data directory {}", target.data_dir.display()))?;
    }
    let db = Db::connect(target.url.expose(), 1).await?;
    db.migrate().await.context("running migrations")?;
    db.close().await;
    println!("migrations applied");
    Ok(())
}

/// A token cancelled on SIGTERM or Ctrl-C.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown signal received; finishing in-flight work");
        cancel.cancel();
    });
    token
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
