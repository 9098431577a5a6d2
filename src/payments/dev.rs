//! The dev gateway: the zero-config default, refused in production. Its "hosted checkout"
//! is a page of this app (`/dev-gateway/{session}`) with three buttons (pay, decline,
//! cancel); paying or declining sends a signed Stripe-shaped event through the same
//! verification, storage and state machine as a real Stripe delivery.

use crate::crypto::{SigningKey, sha256_hex};
use crate::ports::payments::{
    CheckoutRequest, CheckoutSession, GatewayError, GatewayKind, GatewayRefund, PaymentGateway,
    RefundRequest,
};

/// The built-in test gateway.
pub struct DevGateway {
    secret: String,
}

fn short_hash(text: &str) -> String {
    sha256_hex(text)[..24].to_owned()
}

impl DevGateway {
    /// Derives the webhook secret from the application's secret key.
    pub fn new(master: &[u8]) -> Self {
        let key = SigningKey::derive(master, "dev-gateway-webhook");
        Self {
            secret: format!("whsec_dev_{}", key.sign("secret")),
        }
    }

    /// The secret its events are signed with.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

/// The session id the dev gateway gives an idempotency key (the same key, the same session).
pub fn session_id_for(key: &str) -> String {
    format!("cs_dev_{}", short_hash(key))
}

/// The payment intent of a dev session.
pub fn intent_for(session_id: &str) -> String {
    format!("pi_dev_{}", short_hash(session_id))
}

#[async_trait::async_trait]
impl PaymentGateway for DevGateway {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Dev
    }

    fn webhook_secrets(&self) -> Vec<String> {
        vec![self.secret.clone()]
    }

    async fn create_checkout(
        &self,
        req: &CheckoutRequest,
    ) -> Result<CheckoutSession, GatewayError> {
        let id = session_id_for(&req.idempotency_key());
        Ok(CheckoutSession {
            url: format!("/dev-gateway/{id}"),
            id,
        })
    }

    async fn expire_checkout(&self, _session_id: &str) -> Result<(), GatewayError> {
        Ok(())
    }

    async fn refund(&self, req: &RefundRequest) -> Result<GatewayRefund, GatewayError> {
        Ok(GatewayRefund {
            id: format!("re_dev_{}", short_hash(&req.idempotency_key())),
            status: "succeeded".into(),
        })
    }

    async fn recent_events(&self, _since: i64) -> Result<Vec<String>, GatewayError> {
        // Dev events are delivered in-process as they happen; there is nothing to catch up on.
        Ok(Vec::new())
    }
}
