//! The Stripe adapter over `async-stripe`: hosted Checkout Sessions, refunds and the event
//! list for reconciliation.
//!
//! Requests are built with async-stripe's typed builders; responses are read as plain JSON
//! (only the fields we use), so a field Stripe adds or drops in a newer API version cannot
//! break a payment. Every mutating call carries an idempotency key derived from the business
//! operation and retries timeouts, connection errors, 409/429 and 5xx answers with
//! exponential backoff, sending the same key each time, so Stripe performs it at most once.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use stripe::{IdempotencyKey, RequestStrategy, StripeError};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, ExpireCheckoutSession, ProductData,
};
use stripe_client_core::RequestBuilder;
use stripe_core::event::ListEvent;
use stripe_core::refund::{CreateRefund, CreateRefundReason};
use stripe_shared::CheckoutSessionMode;
use stripe_types::RangeQueryTs;

use crate::config::StripeSettings;
use crate::ports::payments::{
    CheckoutRequest, CheckoutSession, GatewayError, GatewayKind, GatewayRefund, PaymentGateway,
    RefundRequest, expire_key,
};

/// The event types the shop acts on (and reconciles).
pub const HANDLED_EVENTS: [&str; 6] = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "refund.updated",
];

pub struct StripeGateway {
    client: stripe::Client,
    webhook_secrets: Vec<String>,
    timeout: Duration,
    attempts: u32,
    backoff: Duration,
}

impl StripeGateway {
    /// A client for `settings` (the API base URL is configurable for tests).
    pub fn new(settings: &StripeSettings) -> anyhow::Result<Self> {
        let mut builder = stripe::ClientBuilder::new(settings.secret_key.expose().as_str())
            .request_strategy(RequestStrategy::Once);
        if let Some(base) = &settings.api_base {
            builder = builder.url(base.as_str());
        }
        let client = builder
            .build()
            .map_err(|e| anyhow::anyhow!("Stripe client: {e}"))?;
        Ok(Self {
            client,
            webhook_secrets: settings
                .webhook_secrets
                .iter()
                .map(|s| s.expose().clone())
                .collect(),
            timeout: settings.timeout,
            attempts: settings.max_attempts.max(1),
            backoff: settings.retry_backoff,
        })
    }

    /// Sends the request built by `build` (rebuilt per attempt), retrying what may succeed on
    /// a retry with the same idempotency key, and returns the JSON answer.
    async fn call(
        &self,
        key: Option<&str>,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Value, GatewayError> {
        let strategy = match key {
            Some(k) => RequestStrategy::Idempotent(
                IdempotencyKey::new(k)
                    .map_err(|e| GatewayError::permanent(format!("idempotency key: {e}")))?,
            ),
            None => RequestStrategy::Once,
        };
        let mut attempt = 0_u32;
        loop {
            attempt += 1;
            let sent = build()
                .customize::<miniserde::json::Value>()
                .request_strategy(strategy.clone())
                .timeout(self.timeout)
                .send(&self.client)
                .await;
            let error = match sent {
                Ok(value) => {
                    let text = miniserde::json::to_string(&value);
                    return serde_json::from_str(&text).map_err(|e| {
                        GatewayError::permanent(format!("Stripe answered with invalid JSON: {e}"))
                    });
                }
                Err(e) => classify(&e),
            };
            if !error.retryable || attempt >= self.attempts {
                tracing::warn!(attempt, error = %error.message, "Stripe call failed");
                return Err(error);
            }
            let wait = self.backoff.saturating_mul(1 << (attempt - 1).min(6));
            tracing::info!(attempt, ?wait, error = %error.message, "retrying Stripe call");
            tokio::time::sleep(wait).await;
        }
    }
}

/// Turns a Stripe client error into a message and whether to retry.
fn classify(e: &StripeError) -> GatewayError {
    match e {
        StripeError::Stripe(api, status) => {
            let message = api
                .message
                .clone()
                .unwrap_or_else(|| format!("Stripe refused the request (HTTP {status})."));
            let retryable = matches!(status, 409 | 429 | 500..=599);
            GatewayError {
                message: format!("Stripe: {message}"),
                retryable,
            }
        }
        StripeError::Timeout => GatewayError::transient("Stripe did not answer in time."),
        StripeError::ClientError(m) => {
            GatewayError::transient(format!("Could not reach Stripe ({m})."))
        }
        StripeError::JSONDeserialize(m) => {
            GatewayError::transient(format!("Stripe sent an answer we could not read ({m})."))
        }
        StripeError::ConfigError(m) => {
            GatewayError::permanent(format!("Stripe is misconfigured: {m}"))
        }
    }
}

fn str_field(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_owned)
}

#[async_trait::async_trait]
impl PaymentGateway for StripeGateway {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Stripe
    }

    fn webhook_secrets(&self) -> Vec<String> {
        self.webhook_secrets.clone()
    }

    fn min_checkout_secs(&self) -> i64 {
        // Stripe's minimum is 30 minutes from creation; a minute more absorbs clock skew and
        // the time the request takes.
        31 * 60
    }

    async fn create_checkout(
        &self,
        req: &CheckoutRequest,
    ) -> Result<CheckoutSession, GatewayError> {
        let currency: stripe_types::Currency = req
            .currency
            .code()
            .to_lowercase()
            .parse()
            .map_err(|_| GatewayError::permanent("Stripe does not take this currency."))?;
        let metadata = HashMap::from([
            ("purpose".to_owned(), req.purpose.as_str().to_owned()),
            ("order_id".to_owned(), req.order_id.clone()),
            ("order_number".to_owned(), req.order_number.clone()),
            ("payment_id".to_owned(), req.payment_id.clone()),
            ("attempt".to_owned(), req.attempt.to_string()),
        ]);
        let mut line_items = Vec::with_capacity(req.lines.len());
        for line in &req.lines {
            let quantity = u64::try_from(line.quantity)
                .map_err(|_| GatewayError::permanent("A line has no quantity."))?;
            let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency.clone());
            price.unit_amount = Some(line.unit_amount);
            price.product_data = Some(ProductData {
                description: None,
                images: None,
                metadata: None,
                name: line.name.clone(),
                tax_code: None,
                tax_details: None,
                unit_label: None,
            });
            let mut item = CreateCheckoutSessionLineItems::new();
            item.price_data = Some(price);
            item.quantity = Some(quantity);
            line_items.push(item);
        }
        let mut intent = CreateCheckoutSessionPaymentIntentData::new();
        intent.metadata = Some(metadata.clone());
        intent.description = Some(format!("{} {}", req.purpose.label(), req.order_number));
        let request = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Payment)
            .client_reference_id(req.order_id.clone())
            .customer_email(req.email.clone())
            .metadata(metadata)
            .payment_intent_data(intent)
            .line_items(line_items)
            .expires_at(req.expires_at)
            .success_url(req.success_url.clone())
            .cancel_url(req.cancel_url.clone());
        let key = req.idempotency_key();
        let session = self
            .call(Some(&key), || stripe::StripeRequest::build(&request))
            .await?;
        match (str_field(&session, "id"), str_field(&session, "url")) {
            (Some(id), Some(url)) => Ok(CheckoutSession { id, url }),
            _ => Err(GatewayError::permanent(
                "Stripe opened a checkout without an id or address.",
            )),
        }
    }

    async fn expire_checkout(&self, session_id: &str) -> Result<(), GatewayError> {
        let request = ExpireCheckoutSession::new(session_id);
        self.call(Some(&expire_key(session_id)), || {
            stripe::StripeRequest::build(&request)
        })
        .await
        .map(|_| ())
    }

    async fn refund(&self, req: &RefundRequest) -> Result<GatewayRefund, GatewayError> {
        let metadata = HashMap::from([
            ("order_id".to_owned(), req.order_id.clone()),
            ("payment_id".to_owned(), req.payment_id.clone()),
            ("refund_id".to_owned(), req.refund_id.clone()),
            ("reason".to_owned(), req.reason.chars().take(450).collect()),
        ]);
        let request = CreateRefund::new()
            .payment_intent(req.payment_intent.clone())
            .amount(req.amount)
            .reason(CreateRefundReason::RequestedByCustomer)
            .metadata(metadata);
        let key = req.idempotency_key();
        let refund = self
            .call(Some(&key), || stripe::StripeRequest::build(&request))
            .await?;
        match (str_field(&refund, "id"), str_field(&refund, "status")) {
            (Some(id), Some(status)) => Ok(GatewayRefund { id, status }),
            _ => Err(GatewayError::permanent(
                "Stripe answered the refund without an id or status.",
            )),
        }
    }

    async fn recent_events(&self, since: i64) -> Result<Vec<String>, GatewayError> {
        let mut events = Vec::new();
        let mut after: Option<String> = None;
        // Stripe lists newest first, 100 per page; a few thousand events is plenty for an outage.
        for _page in 0..50 {
            let mut request = ListEvent::new()
                .created(RangeQueryTs::gte(since))
                .types(HANDLED_EVENTS.map(str::to_owned).to_vec())
                .limit(100);
            if let Some(a) = &after {
                request = request.starting_after(a.clone());
            }
            let page = self
                .call(None, || stripe::StripeRequest::build(&request))
                .await?;
            let data = page
                .get("data")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            after = data.last().and_then(|e| str_field(e, "id"));
            events.extend(data.iter().map(Value::to_string));
            let more = page.get("has_more").and_then(Value::as_bool) == Some(true);
            if !more || after.is_none() {
                break;
            }
        }
        events.reverse();
        Ok(events)
    }
}
