//! Placing an order from the cart: the checkout form's details, the idempotent placing
//! transaction (the cart's row lock, a fingerprint of lines, prices and details, stock held
//! by a conditional decrement) and the replacement of an older pending order.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::AnyConnection;

use super::close_unpaid;
use super::state::OrderEvent;
use super::store::{self, NewOrder, Order, OrderLine};
use crate::cart::{self, Owner, store as cart_store};
use crate::catalog::store as catalog_store;
use crate::crypto::sha256_hex;
use crate::db::{new_id, now};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::money::Currency;
use crate::payments::state::PaymentStatus;
use crate::payments::store as payment_store;
use crate::ports::mail::Email;
use crate::state::AppState;

/// What the checkout form collects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckoutDetails {
    pub email: String,
    pub name: String,
    /// Phone (optional).
    pub phone: String,
    /// Address line 1 (prints only).
    pub line1: String,
    /// Address line 2.
    pub line2: String,
    pub city: String,
    pub postcode: String,
    pub country: String,
}

impl CheckoutDetails {
    /// Checks the fields; the address only when something ships.
    pub fn validate(&self, ships: bool) -> Result<(), AppError> {
        let mut errors = FieldErrors::new();
        // The mailer's own parser: an address accepted here is one the receipt can reach.
        if self.email.trim().is_empty() {
            errors.add(
                "email",
                "Enter your email address: we send the receipt there.",
            );
        } else if let Err(message) = Email::parse(&self.email) {
            errors.add("email", message);
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
    let seen = payment_store::latest_for(state.db.pool(), &order.id).await?;
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
    let now_latest = payment_store::latest_for(&mut *tx, &order.id).await?;
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
/// itself is priced from the cart as locked. `client_key` is the placing client's rate-limit
/// key: the stock held by the unpaid orders of one client, or of one email address, is capped.
pub async fn place(
    state: &AppState,
    owner: &Owner,
    user_id: Option<&str>,
    client_key: &str,
    details: &CheckoutDetails,
    preview: &cart::Cart,
) -> AppResult<Placed> {
    let currency = state.settings.currency;
    replace_changed_orders(state, owner, details, preview).await?;

    let now = now();
    let mut tx = state.db.begin().await?;
    let cart = lock_ready_cart(&mut tx, currency, owner, now).await?;
    let checkout = Checkout::of(cart, details, currency)?;
    if let Some(same) = store::pending_for_cart(&mut tx, owner.key())
        .await?
        .into_iter()
        .find(|o| o.fingerprint == checkout.fingerprint)
    {
        tx.commit().await?;
        return Ok(Placed {
            order: same,
            reused: true,
        });
    }
    let client_hash = &sha256_hex(client_key)[..32];
    cap_unpaid_units(&mut tx, state, &checkout, client_hash).await?;
    hold_stock(&mut tx, &checkout.cart).await?;
    let order = insert_order(&mut tx, state, owner, user_id, &checkout, client_hash, now).await?;
    tx.commit().await?;
    // Stock shown on product pages changed.
    state.content.invalidate();
    Ok(Placed {
        order,
        reused: false,
    })
}

/// Closes the pending orders this cart placed before with other contents or details, judged
/// on the cart as the caller loaded it.
async fn replace_changed_orders(
    state: &AppState,
    owner: &Owner,
    details: &CheckoutDetails,
    preview: &cart::Cart,
) -> AppResult<()> {
    let preview_ships = preview.lines.iter().any(|l| l.product.is_print());
    let preview_fp = fingerprint(
        preview,
        &normalized(details, preview_ships),
        state.settings.currency.code(),
    );
    let mut conn = state.db.pool().acquire().await?;
    let pending = store::pending_for_cart(&mut conn, owner.key()).await?;
    drop(conn);
    for order in pending.iter().filter(|o| o.fingerprint != preview_fp) {
        close_replaced(state, order).await?;
    }
    Ok(())
}

/// Locks the cart's row and loads it; refuses an empty cart or one with a line that cannot be
/// bought as it is.
async fn lock_ready_cart(
    conn: &mut AnyConnection,
    currency: Currency,
    owner: &Owner,
    now: i64,
) -> AppResult<cart::Cart> {
    if cart_store::lock_cart(&mut *conn, owner.key(), now)
        .await?
        .is_none()
    {
        return Err(AppError::Conflict("Your cart is empty.".into()));
    }
    let cart = cart::load_in(conn, currency, owner).await?;
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
    Ok(cart)
}

/// The locked cart with the details checked against it.
struct Checkout {
    cart: cart::Cart,
    /// Normalized: no address when nothing ships.
    details: CheckoutDetails,
    fingerprint: String,
    ships: bool,
    has_digital: bool,
}

impl Checkout {
    fn of(cart: cart::Cart, details: &CheckoutDetails, currency: Currency) -> AppResult<Self> {
        let ships = cart.lines.iter().any(|l| l.product.is_print());
        let has_digital = cart.lines.iter().any(|l| !l.product.is_print());
        // Checked here, on the cart as locked: a print added in another tab needs an address.
        details.validate(ships)?;
        let details = normalized(details, ships);
        let fingerprint = fingerprint(&cart, &details, currency.code());
        Ok(Self {
            cart,
            details,
            fingerprint,
            ships,
            has_digital,
        })
    }
}

/// Refuses an order that would let the unpaid orders of one client or one email address hold
/// more than `UNPAID_UNITS_PER_PRODUCT` units of a counted product, so that nobody can keep a
/// product off sale by placing orders they never pay.
async fn cap_unpaid_units(
    conn: &mut AnyConnection,
    state: &AppState,
    checkout: &Checkout,
    client_hash: &str,
) -> AppResult<()> {
    let cap = state.settings.checkout_limits.unpaid_units_per_product;
    let mut wanted: BTreeMap<&str, (i64, &str)> = BTreeMap::new();
    for line in checkout
        .cart
        .lines
        .iter()
        .filter(|l| l.product.stock.is_some())
    {
        wanted
            .entry(line.product.id.as_str())
            .or_insert((0, line.product.title.as_str()))
            .0 += line.quantity;
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let held: BTreeMap<String, i64> =
        store::unpaid_units_of(&mut *conn, checkout.details.email.trim(), client_hash)
            .await?
            .into_iter()
            .collect();
    for (product_id, (quantity, title)) in wanted {
        let already = held.get(product_id).copied().unwrap_or(0);
        if already + quantity <= cap {
            continue;
        }
        return Err(AppError::Conflict(if already == 0 {
            format!(
                "We hold at most {cap} of “{title}” for one customer until it is paid. \
                 Lower the quantity to {cap}, or contact us for a larger order."
            )
        } else {
            format!(
                "You already have {already} of “{title}” waiting for payment in another order, \
                 and we hold at most {cap} for one customer until it is paid. Pay or cancel \
                 that order first, or lower the quantity."
            )
        }));
    }
    Ok(())
}

/// Holds stock: one conditional update per counted product, for all its lines.
async fn hold_stock(conn: &mut AnyConnection, cart: &cart::Cart) -> AppResult<()> {
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
        if stock.is_some() && !catalog_store::take_stock(&mut *conn, product_id, *quantity).await? {
            let left = catalog_store::stock(&mut *conn, product_id).await?;
            return Err(AppError::Conflict(match left {
                Some(0) | None => format!("Sorry, “{title}” is sold out."),
                Some(n) => {
                    format!("Sorry, only {n} of “{title}” left. Lower the quantity in your cart.")
                }
            }));
        }
    }
    Ok(())
}

/// Writes the order, its lines and payment attempt 1, and reads the order back.
async fn insert_order(
    conn: &mut AnyConnection,
    state: &AppState,
    owner: &Owner,
    user_id: Option<&str>,
    checkout: &Checkout,
    client_hash: &str,
    now: i64,
) -> AppResult<Order> {
    let Checkout {
        cart,
        details,
        fingerprint,
        ships,
        has_digital,
    } = checkout;
    let currency = state.settings.currency;
    let id = new_id();
    let number = store::next_number(&mut *conn).await?;
    // Short until the checkout is opened at the gateway (`attempts::plan` extends it): an
    // order whose customer never reached the payment page frees its stock soon.
    let hold_secs =
        i64::try_from(state.settings.checkout_limits.unopened_hold.as_secs()).unwrap_or(300);
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
        &mut *conn,
        &NewOrder {
            id: &id,
            number: &number,
            user_id,
            cart_key: owner.key(),
            fingerprint,
            email: details.email.trim(),
            name: details.name.trim(),
            phone: details.phone.trim(),
            ship,
            currency: currency.code(),
            subtotal_minor: cart.subtotal.minor,
            has_prints: *ships,
            has_digital: *has_digital,
            hold_expires_at: now + hold_secs,
            client_hash,
            now,
        },
    )
    .await?;
    insert_lines(&mut *conn, &id, cart).await?;
    payment_store::insert(
        &mut *conn,
        payment_store::PaidFor::order(&id),
        1,
        state.gateway.name(),
        cart.subtotal.minor,
        currency.code(),
        now,
    )
    .await?;
    store::find(&mut *conn, &id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order vanished")))
}

/// Snapshots the cart's lines into the order; counted products hold their quantity.
async fn insert_lines(
    conn: &mut AnyConnection,
    order_id: &str,
    cart: &cart::Cart,
) -> AppResult<()> {
    for (i, line) in cart.lines.iter().enumerate() {
        let counted = line.product.stock.is_some();
        store::insert_line(
            &mut *conn,
            &OrderLine {
                id: new_id(),
                order_id: order_id.to_owned(),
                position: i64::try_from(i).unwrap_or(0),
                product_id: Some(line.product.id.clone()),
                product_slug: line.product.slug.clone(),
                kind: line.product.kind,
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
    Ok(())
}

/// At login: the guest browser's cart moves into the account's, and its orders waiting for
/// payment follow it, in one transaction.
pub async fn follow_cart_at_login(
    state: &AppState,
    visitor_id: &str,
    user_id: &str,
) -> AppResult<()> {
    if !cart::guest_has_cart(state, visitor_id).await? {
        return Ok(());
    }
    let (guest, account) = (Owner::visitor(visitor_id), Owner::user(user_id));
    let now = now();
    let mut tx = state.db.begin().await?;
    // The orders first, before any cart lock: a payment's webhook locks the order, then the
    // cart lines.
    store::follow_cart(&mut tx, guest.key(), account.key(), user_id, now).await?;
    let Some(guest_cart) = cart::lock_guest_cart(&mut tx, visitor_id, now).await? else {
        return Ok(());
    };
    // Again under the guest cart's lock: an order placed from it meanwhile (checkout in
    // another tab holds this lock while it inserts) is visible now.
    store::follow_cart(&mut tx, guest.key(), account.key(), user_id, now).await?;
    cart::merge_into_account(&mut tx, &guest_cart, user_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Once an account confirmed its email address: the orders placed as a guest with it join the
/// account (in the caller's transaction); how many.
pub async fn attach_guest_orders(
    conn: &mut AnyConnection,
    user_id: &str,
    email: &str,
    now: i64,
) -> AppResult<u64> {
    Ok(store::attach_guest_orders(conn, user_id, email, now).await?)
}
