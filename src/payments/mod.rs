//! Payments: the two adapters of the gateway port in `ports::payments` (Stripe, and the dev
//! gateway that is the zero-config default), the webhook endpoint, refunds and reconciliation.
//!
//! Money only moves through events: a hosted checkout's completion, failure or expiry and
//! the gateway's refund events reach [`webhook::receive`] (the dev gateway sends its signed
//! events through the very same function), which stores each event once and applies it with
//! the state machines in [`state`] inside one transaction.

pub mod dev;
pub mod handlers;
pub mod refunds;
pub mod state;
pub mod store;
pub mod stripe;
pub mod webhook;

use std::sync::Arc;

use crate::config::{PaymentSettings, Settings};
use crate::ports::payments::PaymentGateway;

/// The gateway the settings ask for. The dev gateway signs its events with a secret derived
/// from the application's secret key.
pub fn from_settings(settings: &Settings) -> anyhow::Result<Arc<dyn PaymentGateway>> {
    Ok(match &settings.payments {
        PaymentSettings::Dev => Arc::new(dev::DevGateway::new(settings.secret_key.expose())),
        PaymentSettings::Stripe(s) => Arc::new(stripe::StripeGateway::new(s)?),
    })
}

/// What `flashstudio payments reconcile` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// Events fetched from the gateway.
    pub fetched: usize,
    /// Of those, new to us and processed.
    pub applied: usize,
    /// Already stored.
    pub duplicates: usize,
    /// Stored as errors (see the admin's webhook page).
    pub errors: usize,
}

/// Fetches the gateway's events since `since` (epoch seconds) and applies the ones we missed,
/// exactly as if they had been delivered (a missed webhook after an outage).
pub async fn reconcile(state: &crate::state::AppState, since: i64) -> anyhow::Result<Reconciled> {
    let events = state
        .gateway
        .recent_events(since)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut done = Reconciled {
        fetched: events.len(),
        ..Reconciled::default()
    };
    for raw in events {
        let event = webhook::parse(raw.as_bytes()).map_err(|e| anyhow::anyhow!("{e}"))?;
        match webhook::store_and_apply(state, &event, &raw, "reconcile", crate::db::now())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            webhook::Receipt::Duplicate => done.duplicates += 1,
            webhook::Receipt::Processed(webhook::Outcome::Error) => done.errors += 1,
            webhook::Receipt::Processed(_) => done.applied += 1,
        }
    }
    Ok(done)
}
