//! The one state type: settings, the database, signing keys, metrics, the content cache and
//! the ports (mailer, payment gateway, file storage), built once at startup (`app.rs` builds
//! it, since only it knows the adapters) and cheap to clone. Every handler, service and job
//! takes it; it names no domain.

#![warn(missing_docs)]

use std::sync::Arc;

use sqlx::AnyConnection;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::content::ContentCache;
use crate::crypto::Keys;
use crate::db::Db;
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::ports::mail::Mailer;
use crate::ports::payments::{CheckoutSummary, PaymentGateway, PaymentOutcome, PaymentPurpose};
use crate::storage::Storage;

/// Everything a handler or job may need, built once at startup and cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// The database.
    pub db: Db,
    /// Outgoing email.
    pub mailer: Arc<dyn Mailer>,
    /// Signing keys derived from `SECRET_KEY`.
    pub keys: Arc<Keys>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Where files are stored.
    pub storage: Storage,
    /// Uploads allowed to stream at once in this process.
    pub upload_slots: Arc<tokio::sync::Semaphore>,
    /// The public content the browsing pages show, held in memory.
    pub content: Arc<ContentCache>,
    /// The payment gateway (Stripe, or the dev gateway).
    pub gateway: Arc<dyn PaymentGateway>,
    /// What payment outcomes mean for what was paid for (an order, a booking's deposit),
    /// applied in the payment's transaction.
    pub payment_effects: PaymentEffectsByPurpose,
    /// What a held booking's confirmation or release means to the domain that asked for it
    /// (an accepted quote), applied in the booking's transaction.
    pub booking_followers: Arc<dyn BookingFollowers>,
    /// Set once a stop was asked for: `/ready` answers 503 and connections close.
    pub drain: Drain,
    /// Per-process values of the layers above, one of each type (a domain's in-memory
    /// caches, in-memory rate-limit windows).
    pub locals: Arc<Locals>,
}

/// One value of each type, created on first use and shared by every clone of the state: how
/// the layers above keep per-process state without this layer naming them.
#[derive(Default)]
pub struct Locals(
    std::sync::RwLock<
        std::collections::HashMap<std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>>,
    >,
);

impl std::fmt::Debug for Locals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locals").finish_non_exhaustive()
    }
}

impl Locals {
    /// The `T` of this process, created on first use.
    pub fn get<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let key = std::any::TypeId::of::<T>();
        if let Some(found) = self
            .0
            .read()
            .ok()
            .and_then(|m| m.get(&key).cloned())
            .and_then(|v| v.downcast::<T>().ok())
        {
            return found;
        }
        match self.0.write() {
            Ok(mut map) => {
                let entry = map.entry(key).or_insert_with(|| {
                    Arc::new(T::default()) as Arc<dyn std::any::Any + Send + Sync>
                });
                Arc::clone(entry).downcast::<T>().unwrap_or_default()
            }
            Err(_) => Arc::default(),
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("settings", &self.settings)
            .field("mailer", &self.mailer.name())
            .field("gateway", &self.gateway.name())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// An absolute URL for `path` under `BASE_URL`.
    pub fn url(&self, path: &str) -> String {
        let base = self.settings.base_url.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }

    /// Attempts a job gets before it is dead.
    pub fn max_job_attempts(&self) -> i64 {
        i64::from(self.settings.job_max_attempts)
    }
}

/// The inbound side of the payments port: `payments` reports what happened to a payment as a
/// [`PaymentOutcome`], and the domain that owns what was paid for (`orders`, `bookings`) says
/// what it means, in the same transaction. `payments` never imports those domains; `app`
/// wires them ([`PaymentEffectsByPurpose`]).
#[async_trait::async_trait]
pub trait PaymentEffects: Send + Sync {
    /// Locks what `order_id` names. Called before the payment's row is locked: every
    /// transaction takes the two in this order, so none waits on another in reverse.
    async fn lock(&self, conn: &mut AnyConnection, order_id: &str) -> Result<(), AppError>;

    /// Applies an outcome, in the payment's transaction.
    async fn apply(
        &self,
        conn: &mut AnyConnection,
        state: &AppState,
        outcome: &PaymentOutcome,
        now: i64,
    ) -> Result<(), AppError>;

    /// What the dev gateway's checkout page shows for `order_id`.
    async fn summary(
        &self,
        state: &AppState,
        order_id: &str,
    ) -> Result<Option<CheckoutSummary>, AppError>;
}

/// Each paying domain's side of the payments port, by what a payment is for.
#[derive(Clone)]
pub struct PaymentEffectsByPurpose {
    /// Orders' (`orders::OrderPayments`).
    pub order: Arc<dyn PaymentEffects>,
    /// Bookings' deposits (`bookings::deposits::BookingPayments`).
    pub booking: Arc<dyn PaymentEffects>,
    /// Quotes' balances (`quotes::balance::QuotePayments`).
    pub quote: Arc<dyn PaymentEffects>,
}

impl PaymentEffectsByPurpose {
    /// The side that applies outcomes of payments for `purpose`.
    pub fn of(&self, purpose: PaymentPurpose) -> &dyn PaymentEffects {
        match purpose {
            PaymentPurpose::Order => self.order.as_ref(),
            PaymentPurpose::Booking => self.booking.as_ref(),
            PaymentPurpose::Quote => self.quote.as_ref(),
        }
    }
}

/// The side of a domain above bookings that follows the bookings it placed (a quote's shoot):
/// told, in the booking's transaction, when a held booking is confirmed or released. Bookings
/// calls it for every held booking; a follower ignores the ones it did not place.
#[async_trait::async_trait]
pub trait BookingFollowers: Send + Sync {
    /// The held booking `booking_id` is confirmed (its deposit was captured, or there was none).
    async fn confirmed(
        &self,
        conn: &mut AnyConnection,
        state: &AppState,
        booking_id: &str,
        now: i64,
    ) -> Result<(), AppError>;

    /// The held booking `booking_id` was released unpaid (its hold ended or its checkout
    /// expired): its time is free again.
    async fn released(
        &self,
        conn: &mut AnyConnection,
        state: &AppState,
        booking_id: &str,
        now: i64,
    ) -> Result<(), AppError>;
}

/// Whether this process is stopping: set at SIGTERM, before the listener closes, so `/ready`
/// answers 503 and connections close after each response (`http::drain`). Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Drain(CancellationToken);

impl Drain {
    /// Enters the drain phase (idempotent).
    pub fn start(&self) {
        self.0.cancel();
    }

    /// True once [`Drain::start`] was called.
    pub fn is_draining(&self) -> bool {
        self.0.is_cancelled()
    }
}
