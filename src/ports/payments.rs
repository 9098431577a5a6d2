//! The payment gateway port: what the shop needs from Stripe (or the dev gateway), and
//! the idempotency keys that make every mutating call safe to retry.

use crate::money::Currency;

/// One line of a hosted checkout, from the order's snapshot.
#[derive(Debug, Clone)]
pub struct CheckoutLine {
    /// Title and chosen options.
    pub name: String,
    /// Minor units.
    pub unit_amount: i64,
    /// Units.
    pub quantity: i64,
}

/// What a payment pays for: an order, or a booking's deposit. Stored with the payment, so
/// its outcomes reach the domain that owns what was paid for (`state::PaymentEffects`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentPurpose {
    /// An order of the shop.
    Order,
    /// A booking's deposit.
    Booking,
    /// An accepted quote's balance.
    Quote,
}

impl PaymentPurpose {
    /// As stored (`payments.purpose`) and in idempotency keys and gateway metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Booking => "booking",
            Self::Quote => "quote",
        }
    }

    /// Parses a stored purpose.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Order, Self::Booking, Self::Quote]
            .into_iter()
            .find(|p| p.as_str() == raw)
    }

    /// What the gateway's statement line starts with ("Order FS-000123").
    pub fn label(self) -> &'static str {
        match self {
            Self::Order => "Order",
            Self::Booking => "Booking deposit",
            Self::Quote => "Quote balance",
        }
    }
}

/// What a hosted checkout is opened for.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    /// What the payment is for.
    pub purpose: PaymentPurpose,
    /// Our id of what is paid for, an order or a booking (`client_reference_id` and metadata).
    pub order_id: String,
    /// Its reference for people (`FS-000123`, `BK-000045`).
    pub order_number: String,
    /// Our payment row.
    pub payment_id: String,
    /// 1, 2, ... per order.
    pub attempt: i64,
    /// The customer's email.
    pub email: String,
    /// Currency of every line.
    pub currency: Currency,
    /// Lines.
    pub lines: Vec<CheckoutLine>,
    /// Where the gateway sends the customer after paying.
    pub success_url: String,
    /// Where it sends them when they give up.
    pub cancel_url: String,
    /// When the session stops accepting payment (epoch seconds).
    pub expires_at: i64,
}

impl CheckoutRequest {
    /// The idempotency key: identical on every retry of this attempt.
    pub fn idempotency_key(&self) -> String {
        checkout_key(self.purpose, &self.order_id, self.attempt)
    }
}

/// An opened hosted checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutSession {
    /// The gateway's session id (`cs_...`).
    pub id: String,
    /// Where to send the customer.
    pub url: String,
}

/// A refund to ask the gateway for.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    /// Our refund row.
    pub refund_id: String,
    /// Our payment row.
    pub payment_id: String,
    /// 1, 2, ... per payment.
    pub seq: i64,
    /// Our order id (metadata).
    pub order_id: String,
    /// The captured payment (`pi_...`).
    pub payment_intent: String,
    /// Minor units.
    pub amount: i64,
    /// Staff's reason (metadata; Stripe's own reason is always "requested_by_customer").
    pub reason: String,
}

impl RefundRequest {
    /// The idempotency key: identical on every retry of this refund.
    pub fn idempotency_key(&self) -> String {
        refund_key(&self.payment_id, self.seq)
    }
}

/// The gateway's answer to a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRefund {
    /// The gateway's refund id (`re_...`).
    pub id: String,
    /// Its status in the gateway's words (`pending`, `succeeded`, `failed`, ...).
    pub status: String,
}

/// A gateway call that did not succeed, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct GatewayError {
    /// What to tell staff or the customer.
    pub message: String,
    /// Whether trying again later may work (timeouts, 5xx, rate limits).
    pub retryable: bool,
}

impl GatewayError {
    /// A failure that will not go away by retrying.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: false,
        }
    }

    /// A failure worth retrying later.
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: true,
        }
    }
}

/// Which gateway takes the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayKind {
    /// Stripe Checkout.
    Stripe,
    /// The development gateway: a local page that pays or cancels, no real money.
    Dev,
}

impl GatewayKind {
    /// `stripe` or `dev`: stored on each payment, shown on `/ready`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::Dev => "dev",
        }
    }
}

/// The payment gateway.
#[async_trait::async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Which gateway this is.
    fn kind(&self) -> GatewayKind;

    /// `stripe` or `dev` (stored on each payment).
    fn name(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The secrets webhook signatures are checked with (several during a rotation).
    fn webhook_secrets(&self) -> Vec<String>;

    /// The shortest life a checkout may be opened with, in seconds (Stripe refuses a session
    /// that expires sooner than 30 minutes after it is created).
    fn min_checkout_secs(&self) -> i64 {
        0
    }

    /// Opens a hosted checkout for an order's payment attempt.
    async fn create_checkout(&self, req: &CheckoutRequest)
    -> Result<CheckoutSession, GatewayError>;

    /// Closes a checkout nobody should pay any more (the customer cancelled).
    async fn expire_checkout(&self, session_id: &str) -> Result<(), GatewayError>;

    /// Refunds part or all of a captured payment.
    async fn refund(&self, req: &RefundRequest) -> Result<GatewayRefund, GatewayError>;

    /// Raw JSON of the gateway's events created at or after `since` (epoch seconds), oldest
    /// first, for `payments reconcile`.
    async fn recent_events(&self, since: i64) -> Result<Vec<String>, GatewayError>;
}

/// `order:{id}:checkout:{attempt}` (or `booking:…`).
pub fn checkout_key(purpose: PaymentPurpose, id: &str, attempt: i64) -> String {
    format!("{}:{id}:checkout:{attempt}", purpose.as_str())
}

/// `refund:{payment_id}:{seq}`.
pub fn refund_key(payment_id: &str, seq: i64) -> String {
    format!("refund:{payment_id}:{seq}")
}

/// `session:{id}:expire`.
pub fn expire_key(session_id: &str) -> String {
    format!("session:{session_id}:expire")
}

/// What a gateway event did to a payment, reported by `payments` to whatever the payment was
/// for (an order or a booking; `order_id` names either), which applies it in the same transaction (`state::PaymentEffects`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// The money moved for this attempt. `mismatch` says what differed when the gateway
    /// captured another amount or currency than asked for.
    Captured {
        /// What was paid for.
        order_id: String,
        /// Which payment attempt of the order.
        attempt: i64,
        /// The gateway's amount and currency differ from the payment's.
        mismatch: Option<String>,
    },
    /// A checkout ended unpaid (a declined delayed payment).
    Failed {
        /// What was paid for.
        order_id: String,
        /// Why, for the customer.
        reason: String,
    },
    /// A checkout expired unpaid; `latest` when it was the order's newest attempt (an older
    /// one expiring changes nothing).
    Expired {
        /// What was paid for.
        order_id: String,
        /// The newest attempt.
        latest: bool,
    },
    /// A refund succeeded.
    Refunded {
        /// What was paid for.
        order_id: String,
        /// The amount that went back, in the payment's currency's minor units.
        amount_minor: i64,
    },
}

/// What the dev gateway's checkout page shows about what is being paid for.
#[derive(Debug, Clone)]
pub struct CheckoutSummary {
    /// The customer-facing reference (`FS-000123`).
    pub reference: String,
    /// The customer's email.
    pub email: String,
    /// One line per item ("2 × Blue Hour (A3)").
    pub lines: Vec<String>,
    /// Where the customer goes after paying.
    pub return_path: String,
}
