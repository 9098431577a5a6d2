//! Building the application: the state with its adapters, the job registry, the HTTP server
//! and the worker. It sits above every domain; nothing but `cli` imports it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use poem::Server;
use poem::endpoint::EndpointExt as _;
use poem::listener::TcpAcceptor;
use tokio_util::sync::CancellationToken;

use crate::accounts::service;
use crate::config::Settings;
use crate::content::ContentCache;
use crate::crypto::Keys;
use crate::db::Db;
use crate::http::deadlines::{ConnectionTimeouts, Connections};
use crate::http::session::secs;
use crate::identity::{model, store as account_store};
use crate::jobs::{Periodic, Registry, Worker, WorkerConfig};
use crate::media::{
    AnalyzeMediaHandler, AnalyzeMediaJob, DeleteBlobsHandler, DeleteBlobsJob, SWEEP_EVERY,
    SweepUploadsHandler, SweepUploadsJob,
};
use crate::metrics::Metrics;
use crate::notifications::{Mailer, SendEmailHandler, SendEmailJob, mailer};
use crate::ops::maintenance::{CLEANUP_EVERY, CleanupHandler, CleanupJob};
pub use crate::state::AppState;
use crate::state::Drain;
use crate::storage::Storage;

impl AppState {
    /// Connects to everything the settings name; migrates when `AUTO_MIGRATE` is on.
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        crate::views::components::set_studio_zone(settings.time_zone.clone());
        settings.ensure_data_dir()?;
        settings.load_or_create_dev_secret()?;
        let db = Db::connect(
            settings.database_url.expose(),
            settings.database_max_connections,
        )
        .await
        .context("connecting to the database (DATABASE_URL)")?;
        if settings.auto_migrate {
            db.migrate().await.context("running database migrations")?;
        }
        let mailer: Arc<dyn Mailer> = Arc::from(mailer::from_settings(&settings)?);
        let keys = Arc::new(Keys::derive(
            settings.secret_key.expose(),
            settings
                .secret_key_previous
                .as_ref()
                .map(|k| k.expose().as_slice()),
        ));
        let storage = Storage::from_settings(&settings.storage, settings.upload_block_size)
            .await
            .context("opening media storage")?;
        let upload_slots = Arc::new(tokio::sync::Semaphore::new(settings.upload_max_concurrent));
        let content = Arc::new(ContentCache::new(settings.content_cache_ttl));
        let gateway = crate::payments::from_settings(&settings).context("payment gateway")?;
        Ok(Self {
            gateway,
            storage,
            upload_slots,
            content,
            settings: Arc::new(settings),
            db,
            mailer,
            keys,
            metrics: Arc::new(Metrics::new()),
            payment_effects: crate::state::PaymentEffectsByPurpose {
                order: Arc::new(crate::orders::OrderPayments),
                booking: Arc::new(crate::bookings::deposits::BookingPayments),
                quote: Arc::new(crate::quotes::balance::QuotePayments),
            },
            booking_followers: Arc::new(crate::quotes::acceptance::QuoteBookings),
            drain: Drain::default(),
            locals: Arc::default(),
        })
    }

    /// The job handlers of the whole app.
    pub fn job_registry(&self) -> Registry {
        let mut registry = Registry::new();
        registry.register::<SendEmailJob>(SendEmailHandler {
            db: self.db.clone(),
            mailer: Arc::clone(&self.mailer),
            metrics: Arc::clone(&self.metrics),
        });
        registry.register::<AnalyzeMediaJob>(AnalyzeMediaHandler {
            db: self.db.clone(),
            storage: self.storage.clone(),
            settings: Arc::clone(&self.settings),
        });
        registry.register::<crate::media::renditions::RenderWebJob>(
            crate::media::renditions::RenderWebHandler {
                db: self.db.clone(),
                storage: self.storage.clone(),
                settings: Arc::clone(&self.settings),
            },
        );
        registry.register::<DeleteBlobsJob>(DeleteBlobsHandler {
            storage: self.storage.clone(),
        });
        registry.register::<SweepUploadsJob>(SweepUploadsHandler {
            state: self.clone(),
        });
        registry.register::<crate::orders::ExpireOrdersJob>(crate::orders::ExpireOrdersHandler {
            state: self.clone(),
        });
        registry.register::<crate::bookings::reminders::RemindBookingJob>(
            crate::bookings::reminders::RemindBookingHandler {
                state: self.clone(),
            },
        );
        registry.register::<crate::projects::feedback::ReplyMailJob>(
            crate::projects::feedback::ReplyMailHandler {
                state: self.clone(),
            },
        );
        registry.register::<crate::projects::downloads::RemindDownloadsJob>(
            crate::projects::downloads::RemindDownloadsHandler {
                state: self.clone(),
            },
        );
        registry.register::<crate::bookings::deposits::ExpireHoldsJob>(
            crate::bookings::deposits::ExpireHoldsHandler {
                state: self.clone(),
            },
        );
        registry.register::<crate::quotes::balance::BalanceJob>(
            crate::quotes::balance::BalanceHandler {
                state: self.clone(),
            },
        );
        registry.register::<crate::quotes::jobs::ExpireQuotesJob>(
            crate::quotes::jobs::ExpireQuotesHandler {
                state: self.clone(),
            },
        );
        registry.register::<CleanupJob>(CleanupHandler {
            db: self.db.clone(),
            session_idle_secs: secs(self.settings.session_idle_timeout),
        });
        registry
    }

    /// The worker as configured.
    pub fn worker(&self) -> Worker {
        Worker::new(
            self.db.clone(),
            self.job_registry(),
            WorkerConfig {
                concurrency: self.settings.worker_concurrency,
                poll_interval: self.settings.job_poll_interval,
                retry_base: self.settings.job_retry_base,
                lease: self.settings.job_lease,
                // Two seconds before the process gives up on the worker, a job still running
                // is handed back, so another replica runs it now rather than after its lease.
                drain: drain_time(self.settings.shutdown_grace),
            },
            Arc::clone(&self.metrics),
        )
    }

    /// Runs the worker and the periodic scheduler until `shutdown`.
    pub async fn run_worker(&self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let periodic = vec![
            Periodic::of(&CleanupJob::default(), CLEANUP_EVERY)?,
            Periodic::of(&SweepUploadsJob::default(), SWEEP_EVERY)?,
            Periodic::of(
                &crate::orders::ExpireOrdersJob::default(),
                crate::orders::EXPIRY_EVERY,
            )?,
            Periodic::of(
                &crate::bookings::deposits::ExpireHoldsJob::default(),
                crate::bookings::deposits::EXPIRE_EVERY,
            )?,
            Periodic::of(
                &crate::quotes::jobs::ExpireQuotesJob::default(),
                crate::quotes::jobs::EXPIRE_EVERY,
            )?,
        ];
        let scheduler = tokio::spawn(crate::jobs::worker::run_scheduler(
            self.db.clone(),
            periodic,
            self.max_job_attempts(),
            shutdown.clone(),
        ));
        self.worker().run(shutdown).await;
        scheduler.await.ok();
        Ok(())
    }
}

/// How long a job in hand may still run after shutdown is asked for: two seconds before the
/// process stops waiting for the worker, and at least half the grace period.
fn drain_time(grace: Duration) -> Duration {
    grace.saturating_sub(Duration::from_secs(2)).max(grace / 2)
}

/// Serves HTTP on `listener` (and runs the worker in-process when configured) until
/// `shutdown` is cancelled. Then it drains for `SHUTDOWN_DRAIN_SECS`: still accepting and
/// serving, with `/ready` at 503 and `Connection: close` on every response, so load balancers
/// and proxies move away before anything is refused. Only then does it stop accepting and let
/// in-flight requests and jobs finish within `SHUTDOWN_GRACE_SECS`, and close the pool.
///
/// Every connection keeps the deadlines of `http::deadlines` (request head, keep-alive), which
/// Poem does not offer: the acceptor watches each connection and the outermost middleware tells
/// it when a request is in flight.
pub async fn serve(
    state: AppState,
    listener: std::net::TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let connections = Connections::new(
        ConnectionTimeouts::of(&state.settings),
        Arc::clone(&state.metrics),
    );
    let acceptor = connections.watch(TcpAcceptor::from_std(listener)?);
    let grace = state.settings.shutdown_grace;
    let stopping = CancellationToken::new();
    tokio::spawn(drain_then_stop(
        shutdown,
        state.drain.clone(),
        state.settings.shutdown_drain,
        stopping.clone(),
    ));

    let worker = state.settings.run_worker.then(|| {
        let state = state.clone();
        let token = stopping.child_token();
        tokio::spawn(async move { state.run_worker(token).await })
    });

    tracing::info!(%addr, base_url = %state.settings.base_url, "serving");
    let server = Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
        crate::routes::app(state.clone()).with(connections.tracker()),
        stopping.clone().cancelled_owned(),
        Some(grace),
    );
    // Requests and jobs finish at the same time, both within one grace period from the end
    // of the drain.
    let worker_stopped = async {
        if let Some(mut worker) = worker {
            stopping.cancelled().await;
            if tokio::time::timeout(grace, &mut worker).await.is_err() {
                worker.abort();
                tracing::warn!(
                    "worker did not stop within the grace period; its jobs will run again"
                );
            }
        }
    };
    let (served, ()) = tokio::join!(server, worker_stopped);
    served?;
    // Connections still lent out (an aborted job) are not waited for.
    if tokio::time::timeout(Duration::from_secs(2), state.db.close())
        .await
        .is_err()
    {
        tracing::warn!("database pool did not close in time");
    }
    tracing::info!("stopped");
    Ok(())
}

/// The two phases of a stop: on `shutdown`, drain for `drain`; then cancel `stopping`.
async fn drain_then_stop(
    shutdown: CancellationToken,
    state_drain: Drain,
    drain: Duration,
    stopping: CancellationToken,
) {
    shutdown.cancelled().await;
    state_drain.start();
    if !drain.is_zero() {
        tracing::info!(
            drain_secs = drain.as_secs_f32(),
            "draining: /ready answers 503 and every response closes its connection"
        );
        tokio::time::sleep(drain).await;
    }
    tracing::info!("no longer accepting connections; finishing in-flight work");
    stopping.cancel();
}

/// In development, when no admin exists: creates one with a random password and returns
/// (email, password) so the caller can print them once. Never in production.
pub async fn bootstrap_admin(state: &AppState) -> anyhow::Result<Option<(String, String)>> {
    if !state.settings.bootstrap_admin || state.settings.is_production() {
        return Ok(None);
    }
    if account_store::admin_exists(state.db.pool()).await? {
        return Ok(None);
    }
    let email = model::Email::parse("admin@flashstudio.test")
        .map_err(|e| anyhow::anyhow!("bootstrap email: {e}"))?;
    let password = crate::crypto::random_token()[..20].to_owned();
    let parsed = model::NewPassword::parse(&password, None)
        .map_err(|e| anyhow::anyhow!("bootstrap password: {e}"))?;
    service::create_or_promote_admin(state, &email, &parsed).await?;
    Ok(Some((email.as_str().to_owned(), password)))
}
