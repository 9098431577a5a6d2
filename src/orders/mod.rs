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

pub mod emails;
pub mod handlers;
pub mod state;
pub mod store;
pub mod views;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use self::state::{OrderEvent, OrderStatus};
use self::store::{NewOrder, Order, OrderLine, TransitionError};
use crate::state::AppState;
use crate::cart::{self, Owner, store as cart_store};
use crate::crypto::{random_token, sha256_hex};
use crate::db::{new_id, now};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::jobs::JobSpec;
use crate::notifications::enqueue_email;
use crate::ports::payments::{CheckoutLine, CheckoutRequest, GatewayError};
use crate::payments::state::{PaymentEvent, PaymentStatus};
use crate::payments::store::{self as payment_store, Payment};

/// How long after its hold an unpaid order is expired (a payment finishing at the last
/// second still lands first).
pub const EXPIRY_GRACE_SECS: i64 = 120;

/// What the checkout form collects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckoutDetails {
    /// Contact email.
    pub email: String,
    /// Full name.
    pub name: String,
    /// Phone (optional).
    pub phone: String,
    /// Address line 1 (prints only).
    pub line1: String,
    /// Address line 2.
    pub line2: String,
    /// City.
    pub city: String,
    /// Postcode.
    pub postcode: String,
    /// Country.
    pub country: String,
}

impl CheckoutDetails {
    /// Checks the fields; the address only when something ships.
    pub fn validate(&self, ships: bool) -> Result<(), AppError> {
        let mut errors = FieldErrors::new();
        let email = self.email.trim();
        if email.is_empty() {
            errors.add(
                "email",
                "Enter your email address: we send the receipt there.",
            );
        } else if email.len() > 254 || email.parse::<lettre::Address>().is_err() {
            errors.add(
                "email",
                "Enter a valid email address, like name@example.com.",
            );
        }
        let name = self.name.trim();
        if name.is_empty() {
            errors.add("name", "Enter your name.");
        } else if name.chars().count() > 100 {
            errors.add("name", "Use at most 100 characters.");
        }
        let phone = self.phone.trim();
        if phone.chars().count() > 40
            || !phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
        {
            errors.add("phone", "Use digits, spaces and + - ( ) only (at most 40).");
        }
        if ships {
            for (field, value, label, max) in [
                ("line1", &self.line1, "the street address", 200),
                ("city", &self.city, "the city", 100),
                ("postcode", &self.postcode, "the postcode", 20),
                ("country", &self.country, "the country", 60),
            ] {
                if value.trim().is_empty() {
                    errors.add(field, format!("Enter {label}: prints are shipped."));
                } else if value.trim().chars().count() > max {
                    errors.add(field, format!("Use at most {max} characters."));
                }
            }
            if self.line2.trim().chars().count() > 200 {
                errors.add("line2", "Use at most 200 characters.");
            }
        }
        errors.into_result()
    }
}

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

fn fingerprint(cart: &cart::Cart, details: &CheckoutDetails, currency: &str) -> String {
    let mut text = format!("{currency}|");
    for line in &cart.lines {
        let key = line.selection.as_ref().map(|s| s.key()).unwrap_or_default();
        text.push_str(&format!(
            "{}:{}:{}:{};",
            line.product.id, key, line.quantity, line.unit.minor
        ));
    }
    text.push_str(&serde_json::to_string(details).unwrap_or_default());
    sha256_hex(&text)
}

/// The result of placing an order.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The order.
    pub order: Order,
    /// True when the same cart had already been placed (double submit, second tab).
    pub reused: bool,
}

/// The details as stored: no address when nothing ships.
fn normalized(details: &CheckoutDetails, ships: bool) -> CheckoutDetails {
    let mut details = details.clone();
    if !ships {
        details.line1.clear();
        details.line2.clear();
        details.city.clear();
        details.postcode.clear();
        details.country.clear();
    }
    details
}

/// Closes a pending order of this cart that the customer replaced by changing the cart, so
/// its stock is free for the new one. Its checkout is expired at the gateway *first*; when
/// that fails (the customer is paying it right now, or the gateway is unreachable) the order
/// stays pending and ends by payment or expiry like any other.
async fn close_replaced(state: &AppState, order: &Order) -> AppResult<()> {
    let now = now();
    let seen = payment_store::latest_for_order(state.db.pool(), &order.id).await?;
    if let Some(p) = &seen {
        let in_flight = p.status() == PaymentStatus::Unpaid && p.payment_intent.is_some();
        if in_flight || p.status().is_captured() {
            // Paid, or completed with a delayed method still on its way: not ours to cancel.
            return Ok(());
        }
        let open =
            p.status() == PaymentStatus::Unpaid && p.session_expires_at.is_some_and(|e| e > now);
        if let Some(session) = p.session_id.as_deref().filter(|_| open)
            && let Err(e) = state.gateway.expire_checkout(session).await
        {
            tracing::info!(order = %order.number, error = %e, "kept a replaced order: its checkout could not be closed");
            return Ok(());
        }
    }
    let mut tx = state.db.begin().await?;
    let Some(locked) = store::lock(&mut tx, &order.id).await? else {
        return Ok(());
    };
    let now_latest = payment_store::latest_for_order(&mut *tx, &order.id).await?;
    // Only the attempt we looked at, with the checkout we closed (or none): a checkout opened
    // meanwhile by another request keeps the order.
    let unchanged = match (&seen, &now_latest) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.id == b.id
                && a.session_id == b.session_id
                && match b.status() {
                    PaymentStatus::Unpaid => b.payment_intent.is_none(),
                    PaymentStatus::Failed => true,
                    _ => false,
                }
        }
        _ => false,
    };
    if unchanged {
        close_unpaid(
            &mut tx,
            &locked,
            OrderEvent::Cancel,
            "replaced by a newer order",
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Places an order from `owner`'s cart: prices it from the catalog inside the transaction,
/// holds stock, snapshots the lines and opens payment attempt 1. Idempotent per cart
/// contents; a different pending order of the same cart is replaced (its checkout closed at
/// the gateway, its stock given back) before the new one takes stock. `preview` is the cart as
/// the caller loaded it outside the transaction (to find the orders it replaces); the order
/// itself is priced from the cart as locked.
pub async fn place(
    state: &AppState,
    owner: &Owner,
    user_id: Option<&str>,
    details: &CheckoutDetails,
    preview: &cart::Cart,
) -> AppResult<Placed> {
    let currency = state.settings.currency;

    // Orders this cart placed before with other contents or details are replaced.
    let preview_ships = preview.lines.iter().any(|l| l.product.is_print());
    let preview_fp = fingerprint(
        preview,
        &normalized(details, preview_ships),
        currency.code(),
    );
    let mut conn = state.db.pool().acquire().await?;
    let pending = store::pending_for_cart(&mut conn, owner.key()).await?;
    drop(conn);
    for order in pending.iter().filter(|o| o.fingerprint != preview_fp) {
        close_replaced(state, order).await?;
    }

    let now = now();
    let mut tx = state.db.begin().await?;
    if cart_store::lock_cart(&mut tx, owner.key(), now)
        .await?
        .is_none()
    {
        return Err(AppError::Conflict("Your cart is empty.".into()));
    }
    let cart = cart::load_in(&mut tx, currency, owner).await?;
    if cart.lines.is_empty() {
        return Err(AppError::Conflict("Your cart is empty.".into()));
    }
    if let Some(line) = cart.lines.iter().find(|l| l.problem.is_some()) {
        let title = &line.product.title;
        return Err(AppError::Conflict(if line.product.in_stock() {
            format!(
                "“{title}”: {} Review your cart, then check out again.",
                line.problem.as_deref().unwrap_or_default()
            )
        } else {
            format!("Sorry, “{title}” is sold out. Remove it from your cart to check out the rest.")
        }));
    }
    let ships = cart.lines.iter().any(|l| l.product.is_print());
    let has_digital = cart.lines.iter().any(|l| !l.product.is_print());
    // Checked here, on the cart as locked: a print added in another tab needs an address.
    details.validate(ships)?;
    let details = normalized(details, ships);
    let fp = fingerprint(&cart, &details, currency.code());

    if let Some(same) = store::pending_for_cart(&mut tx, owner.key())
        .await?
        .into_iter()
        .find(|o| o.fingerprint == fp)
    {
        tx.commit().await?;
        return Ok(Placed {
            order: same,
            reused: true,
        });
    }

    // Hold stock: one conditional update per counted product, for all its lines.
    let mut units: BTreeMap<&str, (i64, &str, Option<i64>)> = BTreeMap::new();
    for line in &cart.lines {
        let entry = units.entry(line.product.id.as_str()).or_insert((
            0,
            line.product.title.as_str(),
            line.product.stock,
        ));
        entry.0 += line.quantity;
    }
    for (product_id, (quantity, title, stock)) in &units {
        if stock.is_some() && !store::take_stock(&mut tx, product_id, *quantity).await? {
            let left: Option<i64> = sqlx::query_scalar("select stock from products where id = $1")
                .bind(*product_id)
                .fetch_optional(&mut *tx)
                .await?
                .flatten();
            return Err(AppError::Conflict(match left {
                Some(0) | None => format!("Sorry, “{title}” is sold out."),
                Some(n) => {
                    format!("Sorry, only {n} of “{title}” left. Lower the quantity in your cart.")
                }
            }));
        }
    }

    let id = new_id();
    let number = store::next_number(&mut tx).await?;
    let hold_secs = i64::try_from(state.settings.order_hold.as_secs()).unwrap_or(1800);
    let ship = ships.then(|| {
        [
            details.line1.trim(),
            details.line2.trim(),
            details.city.trim(),
            details.postcode.trim(),
            details.country.trim(),
        ]
    });
    store::insert(
        &mut tx,
        &NewOrder {
            id: &id,
            number: &number,
            user_id,
            cart_key: owner.key(),
            fingerprint: &fp,
            email: details.email.trim(),
            name: details.name.trim(),
            phone: details.phone.trim(),
            ship,
            currency: currency.code(),
            subtotal_minor: cart.subtotal.minor,
            has_prints: ships,
            has_digital,
            hold_expires_at: now + hold_secs,
            now,
        },
    )
    .await?;
    for (i, line) in cart.lines.iter().enumerate() {
        let counted = line.product.stock.is_some();
        store::insert_line(
            &mut tx,
            &OrderLine {
                id: new_id(),
                order_id: id.clone(),
                position: i64::try_from(i).unwrap_or(0),
                product_id: Some(line.product.id.clone()),
                product_slug: line.product.slug.clone(),
                kind: line.product.kind.clone(),
                title: line.product.title.clone(),
                options_label: line
                    .selection
                    .as_ref()
                    .map(|s| s.describe())
                    .unwrap_or_default(),
                option_key: line.selection.as_ref().map(|s| s.key()).unwrap_or_default(),
                unit_price_minor: line.unit.minor,
                quantity: line.quantity,
                total_minor: line.total.minor,
                held: if counted { line.quantity } else { 0 },
                digital_media_id: line.product.digital_media_id.clone(),
            },
        )
        .await?;
    }
    payment_store::insert(
        &mut tx,
        &id,
        1,
        state.gateway.name(),
        cart.subtotal.minor,
        currency.code(),
        now,
    )
    .await?;
    let order = store::find(&mut *tx, &id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order vanished")))?;
    tx.commit().await?;
    // Stock shown on product pages changed.
    state.content.invalidate();
    Ok(Placed {
        order,
        reused: false,
    })
}

/// Ends an unpaid order (cancel or expire): the transition, its stock given back and its open
/// payment marked failed, once. False when the order was no longer pending.
pub async fn close_unpaid(
    conn: &mut AnyConnection,
    order: &Order,
    event: OrderEvent,
    why: &str,
    now: i64,
) -> AppResult<bool> {
    let moved = store::set_status(conn, &order.id, OrderStatus::PendingPayment, event, now)
        .await
        .map_err(transition_error)?;
    if moved.is_none() {
        return Ok(false);
    }
    store::release_stock(conn, &order.id).await?;
    if let Some(p) = payment_store::latest_for_order(&mut *conn, &order.id).await?
        && p.status() == crate::payments::state::PaymentStatus::Unpaid
    {
        payment_store::transition(conn, &p, crate::payments::state::PaymentEvent::Failed, now)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
        payment_store::set_failure(conn, &p.id, why).await?;
    }
    Ok(true)
}

/// Maps a refused transition to a 409 and a database failure to a 500.
pub fn transition_error(e: TransitionError) -> AppError {
    match e {
        TransitionError::Illegal(i) => AppError::Conflict(i.to_string()),
        TransitionError::Db(db) => db.into(),
    }
}

/// Most payment attempts one order gets (each new attempt extends the stock hold, so this
/// bounds how long one order can keep stock off sale).
pub const MAX_PAYMENT_ATTEMPTS: i64 = 5;

/// What starting a payment did.
#[derive(Debug, Clone)]
pub enum PaymentStart {
    /// Send the customer here (the gateway's hosted checkout).
    Redirect(String),
    /// The gateway failed; the order is kept and the same attempt can be retried.
    GatewayFailed(GatewayError),
    /// The checkout was completed with a delayed payment method: the outcome is on its way.
    Processing,
    /// The order cannot be paid any more (paid, closed, or out of attempts).
    Closed,
}

enum Attempt {
    Open(Box<Payment>),
    Processing,
    Closed,
}

/// When a checkout opened now for `order` should stop taking payment: the order's hold, but
/// never sooner than the gateway allows, and at most a day away.
fn session_expiry(state: &AppState, order: &Order, now: i64) -> i64 {
    order
        .hold_expires_at
        .max(now + state.gateway.min_checkout_secs())
        .min(now + 24 * 3600 - 60)
}

/// The payment attempt to open a checkout for, under the order's lock:
/// - the latest attempt while it can still be opened or paid. Its checkout's expiry is planned
///   once and stored, so every retry sends the same request under the same idempotency key
///   (Stripe refuses a reused key with other parameters), and the hold is extended to it;
/// - after a failed attempt, one whose checkout expired, or one whose planned expiry is too
///   close to open a checkout now, a new attempt with its own key;
/// - at most [`MAX_PAYMENT_ATTEMPTS`]; then the order is cancelled and its stock given back.
async fn open_attempt(state: &AppState, order_id: &str) -> AppResult<Attempt> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let Some(order) = store::lock(&mut tx, order_id).await? else {
        return Err(AppError::NotFound);
    };
    if order.status() != OrderStatus::PendingPayment {
        return Ok(Attempt::Closed);
    }
    let min_life = state.gateway.min_checkout_secs();
    let latest = payment_store::latest_for_order(&mut *tx, order_id).await?;
    let mut attempt = 1;
    if let Some(p) = latest {
        attempt = p.attempt + 1;
        let reusable = match (p.status(), &p.session_id, p.session_expires_at) {
            (PaymentStatus::Unpaid, _, _) if p.payment_intent.is_some() => {
                return Ok(Attempt::Processing);
            }
            // An open checkout: until its expiry (plus the grace a late completion needs).
            (PaymentStatus::Unpaid, Some(_), Some(e)) => e + EXPIRY_GRACE_SECS > now,
            // Not opened yet: its planned expiry must still leave the gateway's minimum (the
            // plan asked a minute more than that, so a retry within the minute reuses it).
            (PaymentStatus::Unpaid, None, Some(e)) => e >= now + (min_life - 60).max(0),
            (PaymentStatus::Unpaid, _, None) => true,
            (PaymentStatus::Failed, _, _) => false,
            _ => return Ok(Attempt::Closed),
        };
        if reusable {
            let p = plan(&mut tx, state, &order, p, now).await?;
            tx.commit().await?;
            return Ok(Attempt::Open(Box::new(p)));
        }
        if p.status() == PaymentStatus::Unpaid {
            payment_store::transition(&mut tx, &p, PaymentEvent::Failed, now)
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
            payment_store::set_failure(&mut tx, &p.id, "the checkout expired").await?;
        }
    }
    // Attempts that never reached a checkout (the gateway was down) do not count.
    let opened: i64 = sqlx::query_scalar(
        "select count(*) from payments where order_id = $1 and session_id is not null",
    )
    .bind(order_id)
    .fetch_one(&mut *tx)
    .await?;
    if opened >= MAX_PAYMENT_ATTEMPTS || attempt > 3 * MAX_PAYMENT_ATTEMPTS {
        close_unpaid(
            &mut tx,
            &order,
            OrderEvent::Cancel,
            "not paid after five attempts",
            now,
        )
        .await?;
        tx.commit().await?;
        state.content.invalidate();
        return Ok(Attempt::Closed);
    }
    let id = payment_store::insert(
        &mut tx,
        order_id,
        attempt,
        state.gateway.name(),
        order.total_minor,
        &order.currency,
        now,
    )
    .await?;
    // A new attempt renews the hold.
    let hold_secs = i64::try_from(state.settings.order_hold.as_secs()).unwrap_or(1800);
    let renewed = Order {
        hold_expires_at: order.hold_expires_at.max(now + hold_secs),
        ..order
    };
    let p = payment_store::find(&mut *tx, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let p = plan(&mut tx, state, &renewed, p, now).await?;
    tx.commit().await?;
    Ok(Attempt::Open(Box::new(p)))
}

/// Plans (once) when the attempt's checkout expires and extends the order's hold to it.
async fn plan(
    conn: &mut AnyConnection,
    state: &AppState,
    order: &Order,
    payment: Payment,
    now: i64,
) -> AppResult<Payment> {
    let expires = match payment.session_expires_at {
        Some(e) => e,
        None => {
            let e = session_expiry(state, order, now);
            payment_store::plan_session_expiry(conn, &payment.id, e).await?;
            e
        }
    };
    sqlx::query(
        "update orders set hold_expires_at = $2, updated_at = $3 \
         where id = $1 and hold_expires_at < $2",
    )
    .bind(&order.id)
    .bind(expires)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(Payment {
        session_expires_at: Some(expires),
        ..payment
    })
}

/// Opens (or reopens) the hosted checkout of an order and says where to send the customer. A
/// retry of the same attempt sends the same request with the same idempotency key, so the
/// gateway answers with the same session instead of opening a second one.
pub async fn start_payment(state: &AppState, order: &Order) -> AppResult<PaymentStart> {
    let payment = match open_attempt(state, &order.id).await? {
        Attempt::Open(p) => p,
        Attempt::Processing => return Ok(PaymentStart::Processing),
        Attempt::Closed => return Ok(PaymentStart::Closed),
    };
    if let Some(url) = &payment.checkout_url {
        return Ok(PaymentStart::Redirect(url.clone()));
    }
    let expires_at = payment.session_expires_at.unwrap_or(order.hold_expires_at);
    let lines = store::lines(state.db.pool(), &order.id).await?;
    let link = state.url(&order_path(state, order));
    let request = CheckoutRequest {
        order_id: order.id.clone(),
        order_number: order.number.clone(),
        payment_id: payment.id.clone(),
        attempt: payment.attempt,
        email: order.email.clone(),
        currency: crate::money::Currency::parse(&order.currency).unwrap_or_default(),
        lines: lines
            .iter()
            .map(|l| CheckoutLine {
                name: if l.options_label.is_empty() {
                    l.title.clone()
                } else {
                    format!("{} ({})", l.title, l.options_label)
                },
                unit_amount: l.unit_price_minor,
                quantity: l.quantity,
            })
            .collect(),
        success_url: format!("{link}?paid=1"),
        cancel_url: state.url("/cart?payment=cancelled"),
        expires_at,
    };
    let session = match state.gateway.create_checkout(&request).await {
        Ok(session) => session,
        Err(e) => {
            state.metrics.payment("checkout_failed");
            return Ok(PaymentStart::GatewayFailed(e));
        }
    };
    let mut conn = state.db.pool().acquire().await?;
    if payment_store::set_session(&mut conn, &payment.id, &session.id, &session.url, now()).await? {
        state.metrics.payment("checkout_created");
        return Ok(PaymentStart::Redirect(session.url));
    }
    // Not stored: a concurrent retry stored the same session first, or the order was closed
    // meanwhile (replaced, cancelled) and this checkout must not be paid.
    let stored = payment_store::find(&mut *conn, &payment.id).await?;
    if let Some(p) = stored
        && p.status() == PaymentStatus::Unpaid
        && p.session_id.as_deref() == Some(session.id.as_str())
        && let Some(url) = p.checkout_url
    {
        return Ok(PaymentStart::Redirect(url));
    }
    if let Err(e) = state.gateway.expire_checkout(&session.id).await {
        tracing::warn!(session = %session.id, error = %e, "could not close the checkout of a closed order");
    }
    Ok(PaymentStart::Closed)
}

/// Everything that follows a captured payment, in the caller's (webhook) transaction:
/// the order moves to paid (once), the bought lines leave the cart, the confirmation and
/// download emails go to the outbox, and a digital-only order fulfils itself. A capture for
/// an order that is no longer pending is recorded for staff to resolve.
pub async fn on_captured(
    conn: &mut AnyConnection,
    state: &AppState,
    order_id: &str,
    attempt: i64,
    now: i64,
) -> AppResult<()> {
    let Some(order) = store::lock(conn, order_id).await? else {
        return Err(AppError::NotFound);
    };
    match order.status() {
        OrderStatus::PendingPayment => {}
        OrderStatus::Paid | OrderStatus::Fulfilled => {
            let note = format!(
                "Payment attempt {attempt} was captured for an order that was already paid: refund it."
            );
            flag(conn, state, &order, &note, now).await?;
            return Ok(());
        }
        closed @ (OrderStatus::Cancelled | OrderStatus::Expired) => {
            let note = format!(
                "Payment received after the order was {closed}; its stock was given back. \
                 Refund it, or fulfil it by hand if the stock allows."
            );
            flag(conn, state, &order, &note, now).await?;
            return Ok(());
        }
    }
    if store::set_status(
        conn,
        order_id,
        OrderStatus::PendingPayment,
        OrderEvent::PaymentSucceeded,
        now,
    )
    .await
    .map_err(transition_error)?
    .is_none()
    {
        return Ok(());
    }
    store::take_from_cart(conn, &order.cart_key, order_id).await?;
    let lines = store::lines(&mut *conn, order_id).await?;
    let link = state.url(&order_path(state, &order));
    let attempts = state.max_job_attempts();
    enqueue_email(
        conn,
        &order.email,
        &emails::confirmation(&order, &lines, &link),
        attempts,
    )
    .await?;
    if order.has_digital == 1 {
        send_download_links(conn, state, &order, &lines, now).await?;
        if order.has_prints == 0 {
            store::set_status(conn, order_id, OrderStatus::Paid, OrderEvent::Fulfil, now)
                .await
                .map_err(transition_error)?;
        }
    }
    Ok(())
}

/// Flags an order for staff and emails them (through the outbox, in the caller's transaction).
pub async fn flag(
    conn: &mut AnyConnection,
    state: &AppState,
    order: &Order,
    note: &str,
    now: i64,
) -> AppResult<()> {
    store::set_attention(conn, &order.id, Some(note), now).await?;
    let recipients = match &state.settings.staff_email {
        Some(e) => vec![e.clone()],
        None => crate::identity::store::admin_emails(&mut *conn).await?,
    };
    let content = emails::staff_attention(
        order,
        note,
        &state.url(&format!("/admin/order/{}", order.id)),
    );
    for to in recipients {
        enqueue_email(conn, &to, &content, state.max_job_attempts()).await?;
    }
    Ok(())
}

/// Creates (or renews) the download links of an order's digital lines and emails them.
pub async fn send_download_links(
    conn: &mut AnyConnection,
    state: &AppState,
    order: &Order,
    lines: &[OrderLine],
    now: i64,
) -> AppResult<()> {
    let ttl = state.settings.download_link_ttl;
    let max_uses = state.settings.download_link_max_uses;
    let expires_at = now + i64::try_from(ttl.as_secs()).unwrap_or(86_400);
    let mut links = Vec::new();
    for line in lines.iter().filter(|l| l.kind == "digital") {
        let token = random_token();
        store::put_download(
            conn,
            &order.id,
            &line.id,
            &sha256_hex(&token),
            expires_at,
            max_uses,
            now,
        )
        .await?;
        links.push(emails::DownloadLinkText {
            title: line.title.clone(),
            url: state.url(&format!("/downloads/{token}")),
        });
    }
    if links.is_empty() {
        return Ok(());
    }
    let days = ttl.as_secs() / 86_400;
    enqueue_email(
        conn,
        &order.email,
        &emails::downloads_ready(order, &links, days.max(1), max_uses),
        state.max_job_attempts(),
    )
    .await?;
    Ok(())
}

/// Expires unpaid orders whose hold ended more than [`EXPIRY_GRACE_SECS`] before `now`,
/// giving their stock back. Returns how many it expired. Safe on every replica at once: each
/// order moves in its own transaction with a conditional update.
pub async fn expire_due(state: &AppState, now: i64) -> AppResult<usize> {
    let ids = store::due_for_expiry(state.db.pool(), now - EXPIRY_GRACE_SECS, 200).await?;
    let mut expired = 0;
    for id in ids {
        let mut tx = state.db.begin().await?;
        let Some(order) = store::lock(&mut tx, &id).await? else {
            continue;
        };
        // A new attempt may have renewed the hold, or a delayed payment been started, since
        // the list was read.
        if order.hold_expires_at >= now - EXPIRY_GRACE_SECS {
            continue;
        }
        if let Some(p) = payment_store::latest_for_order(&mut *tx, &id).await?
            && p.status() == PaymentStatus::Unpaid
            && p.payment_intent.is_some()
        {
            continue;
        }
        if close_unpaid(
            &mut tx,
            &order,
            OrderEvent::Expire,
            "the order expired unpaid",
            now,
        )
        .await?
        {
            expired += 1;
        }
        tx.commit().await?;
    }
    if expired > 0 {
        state.content.invalidate();
        tracing::info!(expired, "expired unpaid orders");
    }
    Ok(expired)
}

/// The periodic job that expires unpaid orders.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ExpireOrdersJob {}

impl JobSpec for ExpireOrdersJob {
    const KIND: &'static str = "orders.expire";
}

/// Runs [`ExpireOrdersJob`].
pub struct ExpireOrdersHandler {
    /// The application.
    pub state: AppState,
}

#[async_trait::async_trait]
impl crate::jobs::JobHandler for ExpireOrdersHandler {
    async fn run(&self, _job: &crate::jobs::model::Job) -> anyhow::Result<()> {
        expire_due(&self.state, now())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    }
}

/// How often the expiry job runs.
pub const EXPIRY_EVERY: Duration = Duration::from_secs(60);

/// Staff: marks a paid order with prints shipped, with a tracking note, and emails the customer.
pub async fn ship(
    state: &AppState,
    admin: &crate::identity::model::User,
    order_id: &str,
    tracking: &str,
) -> AppResult<()> {
    let tracking = tracking.trim();
    if tracking.chars().count() > 1000 {
        let mut errors = FieldErrors::new();
        errors.add("tracking", "Use at most 1000 characters.");
        return Err(AppError::Validation(errors));
    }
    let now = now();
    let mut tx = state.db.begin().await?;
    let order = store::lock(&mut tx, order_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !order.ships() {
        return Err(AppError::Conflict(
            "This order has no prints: it was fulfilled when its downloads were sent.".into(),
        ));
    }
    store::set_status(&mut tx, order_id, order.status(), OrderEvent::Fulfil, now)
        .await
        .map_err(transition_error)?
        .ok_or_else(|| AppError::Conflict("The order changed meanwhile; reload it.".into()))?;
    store::set_tracking(&mut tx, order_id, tracking, now).await?;
    let link = state.url(&order_path(state, &order));
    enqueue_email(
        &mut tx,
        &order.email,
        &emails::shipped(&order, tracking, &link),
        state.max_job_attempts(),
    )
    .await?;
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "order.ship", "order", order_id).change(
            serde_json::json!({"status": order.status, "tracking_note": order.tracking_note}),
            serde_json::json!({"status": "fulfilled", "tracking_note": tracking}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Staff: cancels an unpaid order (its stock goes back). Returns the checkout session to
/// close at the gateway, if any.
pub async fn cancel(
    state: &AppState,
    admin: &crate::identity::model::User,
    order_id: &str,
) -> AppResult<Option<String>> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let order = store::lock(&mut tx, order_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Refused with the state machine's words when the order is not pending.
    order
        .status()
        .next(OrderEvent::Cancel)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    if let Some(p) = payment_store::latest_for_order(&mut *tx, order_id).await?
        && p.status() == PaymentStatus::Unpaid
        && p.payment_intent.is_some()
    {
        return Err(AppError::Conflict(
            "A delayed payment (bank debit) for this order is on its way; wait for its outcome before cancelling.".into(),
        ));
    }
    if !close_unpaid(
        &mut tx,
        &order,
        OrderEvent::Cancel,
        "cancelled by the studio",
        now,
    )
    .await?
    {
        return Err(AppError::Conflict(
            "The order changed meanwhile; reload it.".into(),
        ));
    }
    let session = payment_store::latest_for_order(&mut *tx, order_id)
        .await?
        .and_then(|p| p.session_id);
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "order.cancel", "order", order_id).change(
            serde_json::json!({"status": order.status}),
            serde_json::json!({"status": "cancelled"}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    state.content.invalidate();
    Ok(session)
}

/// Staff: sends the order's emails again (the confirmation, and fresh download links for
/// digital lines, which start a new count).
pub async fn resend(
    state: &AppState,
    admin: &crate::identity::model::User,
    order_id: &str,
) -> AppResult<()> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let order = store::lock(&mut tx, order_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !matches!(order.status(), OrderStatus::Paid | OrderStatus::Fulfilled) {
        return Err(AppError::Conflict(
            "Only paid orders have a confirmation to resend.".into(),
        ));
    }
    let lines = store::lines(&mut *tx, order_id).await?;
    let link = state.url(&order_path(state, &order));
    enqueue_email(
        &mut tx,
        &order.email,
        &emails::confirmation(&order, &lines, &link),
        state.max_job_attempts(),
    )
    .await?;
    // Downloads only while the money that paid for them is kept (a refunded duplicate
    // payment does not count).
    let kept = payment_store::for_order(&mut *tx, order_id)
        .await?
        .iter()
        .any(|p| {
            matches!(
                p.status(),
                PaymentStatus::Paid | PaymentStatus::PartiallyRefunded
            )
        });
    if order.has_digital == 1 && kept {
        send_download_links(&mut tx, state, &order, &lines, now).await?;
    }
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "order.resend", "order", order_id),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Staff: clears the attention note once resolved.
pub async fn clear_attention(
    state: &AppState,
    admin: &crate::identity::model::User,
    order_id: &str,
) -> AppResult<()> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let order = store::lock(&mut tx, order_id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::set_attention(&mut tx, order_id, None, now).await?;
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "order.resolve", "order", order_id).change(
            serde_json::json!({"attention": order.attention}),
            serde_json::json!({"attention": null}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
