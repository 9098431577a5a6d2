//! Orders: checkout (placing an order from the cart), the order's life after payment, stock
//! holds, the expiry job, fulfilment and digital delivery.
//!
//! - Placing is idempotent: the cart's row lock serialises two tabs or a double submit, and an
//!   order already pending for the same cart contents (a fingerprint of lines, prices and
//!   contact details) is returned instead of a second one.
//! - Stock is held by decrementing `products.stock` with a conditional update in the placing
//!   transaction (so 200 racing checkouts for 5 prints make exactly 5 orders) and given back
//!   exactly once, on the transition that ends an unpaid order (cancelled or expired).
//! - Every status change goes through the state machine in [`state`] and a conditional
//!   update; emails go to the outbox in the same transaction, so they are sent once.

pub mod attempts;
pub mod checkout;
pub mod emails;
pub mod expiry;
pub mod handlers;
pub mod payment_events;
pub mod staff;
pub mod state;
pub mod store;
pub mod tables;
pub mod views;

use self::store::{Order, TransitionError};
use crate::error::AppError;
use crate::state::AppState;

pub use attempts::{MAX_PAYMENT_ATTEMPTS, PaymentStart, start_payment};
pub use checkout::{CheckoutDetails, Placed, attach_guest_orders, follow_cart_at_login, place};
pub use expiry::{EXPIRY_EVERY, ExpireOrdersHandler, ExpireOrdersJob, close_unpaid, expire_due};
pub use payment_events::{OrderPayments, flag, on_captured, send_download_links};
pub use staff::{cancel, clear_attention, resend, ship};

/// How long after its hold an unpaid order is expired (a payment finishing at the last
/// second still lands first).
pub const EXPIRY_GRACE_SECS: i64 = 120;

/// The guest link's key of an order: derived from the secret key, so it is never stored and
/// cannot be guessed.
pub fn access_key(state: &AppState, order_id: &str) -> String {
    state.keys.urls.sign(&format!("order-link:{order_id}"))
}

/// The order's page behind its unguessable link (`/orders/{number}/{key}`).
pub fn order_path(state: &AppState, order: &Order) -> String {
    format!("/orders/{}/{}", order.number, access_key(state, &order.id))
}

/// Whether `key` is the order's link key.
pub fn key_matches(state: &AppState, order: &Order, key: &str) -> bool {
    state
        .keys
        .urls
        .verify(&format!("order-link:{}", order.id), key)
}

/// Maps a refused transition to a 409 and a database failure to a 500.
pub fn transition_error(e: TransitionError) -> AppError {
    match e {
        TransitionError::Illegal(i) => AppError::Conflict(i.to_string()),
        TransitionError::Db(db) => db.into(),
    }
}
