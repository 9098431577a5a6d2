//! The cart: one per account or guest browser, in the database.
//!
//! A guest's cart belongs to the signed visitor cookie (stored as its SHA-256), an account's
//! to the user; at login the guest's lines move into the account's cart. A line is a product,
//! a choice of its option values and a quantity, addressed by its id. Nothing price-related is
//! stored or read from the client: every render prices the lines from the current catalog.

pub mod badge;
pub mod handlers;
pub mod store;
pub mod views;

pub use badge::CartBadge;

use std::collections::HashMap;

use sqlx::AnyConnection;

use crate::catalog::model::Product;
use crate::catalog::pricing::{self, OfferedValue, Selection};
use crate::catalog::store as catalog_store;
use crate::crypto::sha256_hex;
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::http::context::RequestContext;
use crate::money::Money;
use crate::state::AppState;

/// Whose cart: an account's or a guest browser's.
#[derive(Debug, Clone)]
pub struct Owner {
    key: String,
    user_id: Option<String>,
}

impl Owner {
    /// The owner of the request's cart.
    pub fn of(ctx: &RequestContext) -> Self {
        match ctx.user() {
            Some(user) => Self::user(&user.id),
            None => Self::visitor(&ctx.visitor_id),
        }
    }

    /// An account's cart.
    pub fn user(user_id: &str) -> Self {
        Self {
            key: format!("u:{user_id}"),
            user_id: Some(user_id.to_owned()),
        }
    }

    /// A guest browser's cart (keyed by a hash, so the database never holds a cookie value).
    pub fn visitor(visitor_id: &str) -> Self {
        Self {
            key: format!("v:{}", sha256_hex(visitor_id)),
            user_id: None,
        }
    }

    /// The stored key.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// A priced cart line.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: String,
    /// The product as it is now.
    pub product: Product,
    /// The chosen options, when still valid.
    pub selection: Option<Selection>,
    pub quantity: i64,
    /// Price of one unit now.
    pub unit: Money,
    /// `unit × quantity`.
    pub total: Money,
    /// Most units this line may hold now.
    pub max_quantity: i64,
    /// Why the line cannot be bought as it is, if so.
    pub problem: Option<String>,
}

/// A priced cart.
#[derive(Debug, Clone)]
pub struct Cart {
    /// Lines, oldest first.
    pub lines: Vec<Line>,
    /// Sum of the lines that can be bought.
    pub subtotal: Money,
    /// Units in the cart (the header badge).
    pub units: i64,
}

impl Cart {
    /// Whether every line can be bought as it is.
    pub fn is_ready(&self) -> bool {
        !self.lines.is_empty() && self.lines.iter().all(|l| l.problem.is_none())
    }
}

/// Loads and prices `owner`'s cart from the current catalog.
pub async fn load(state: &AppState, owner: &Owner) -> AppResult<Cart> {
    let mut conn = state.db.pool().acquire().await?;
    load_in(&mut conn, state.settings.currency, owner).await
}

/// [`load`] on a given connection (checkout prices the cart inside its transaction).
pub async fn load_in(
    conn: &mut sqlx::AnyConnection,
    currency: crate::money::Currency,
    owner: &Owner,
) -> AppResult<Cart> {
    let Some(cart_id) = store::find_cart(&mut *conn, owner.key()).await? else {
        return Ok(Cart {
            lines: Vec::new(),
            subtotal: Money::new(0, currency),
            units: 0,
        });
    };
    let rows = store::lines(&mut *conn, &cart_id).await?;
    let mut ids: Vec<String> = rows.iter().map(|r| r.product_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let products: HashMap<String, Product> = catalog_store::find_many(&mut *conn, &ids)
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let offered = catalog_store::offered_values(&mut *conn, &ids).await?;

    // Stock is shared by every line of one product.
    let mut units_of: HashMap<&str, i64> = HashMap::new();
    for r in &rows {
        *units_of.entry(r.product_id.as_str()).or_default() += r.quantity;
    }

    let mut lines = Vec::new();
    let mut subtotal = 0_i64;
    let mut units = 0_i64;
    for row in &rows {
        let Some(product) = products.get(&row.product_id) else {
            continue;
        };
        let offers = offered.get(&row.product_id).map_or(&[][..], Vec::as_slice);
        let selection = pricing::select(offers, &pricing::key_ids(&row.option_key), false).ok();
        let product_currency = product.currency(currency);
        let unit_minor = selection.as_ref().map_or(product.price_minor, |s| {
            pricing::unit_price(product.price_minor, s)
        });
        let total_minor = unit_minor.saturating_mul(row.quantity);
        let problem = if !product.active {
            Some("This product is no longer sold. Remove it to continue.".to_owned())
        } else if selection.is_none() {
            Some(
                "The options you chose are no longer offered. Remove this line and choose again."
                    .to_owned(),
            )
        } else if product_currency != currency {
            Some("This product is priced in another currency.".to_owned())
        } else if !product.in_stock() {
            Some("Sold out.".to_owned())
        } else if let Some(stock) = product.stock
            && units_of.get(row.product_id.as_str()).copied().unwrap_or(0) > stock
        {
            Some(format!("Only {stock} left: lower the quantity."))
        } else if row.quantity > product.max_quantity() {
            Some(format!("At most {} per order.", product.max_quantity()))
        } else {
            None
        };
        if problem.is_none() {
            subtotal = subtotal.saturating_add(total_minor);
        }
        units += row.quantity;
        lines.push(Line {
            id: row.id.clone(),
            product: product.clone(),
            selection,
            quantity: row.quantity,
            unit: Money::new(unit_minor, product_currency),
            total: Money::new(total_minor, product_currency),
            max_quantity: product.max_quantity(),
            problem,
        });
    }
    Ok(Cart {
        lines,
        subtotal: Money::new(subtotal, currency),
        units,
    })
}

/// Units in `owner`'s cart.
pub async fn units(state: &AppState, owner: &Owner) -> AppResult<i64> {
    Ok(store::count_units(state.db.pool(), owner.key()).await?)
}

/// What adding to the cart did.
#[derive(Debug, Clone)]
pub struct Added {
    /// The line's id.
    pub line_id: String,
    /// Units on the line now.
    pub quantity: i64,
    /// Set when fewer units than asked were added (stock or per-order limit).
    pub limited: Option<String>,
}

/// Parses a quantity typed by a person.
pub fn parse_quantity(raw: Option<&str>) -> AppResult<i64> {
    let Some(raw) = raw else { return Ok(1) };
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|q| (0..=1000).contains(q))
        .ok_or_else(|| {
            let mut errors = crate::error::FieldErrors::new();
            errors.add(
                "quantity",
                "Enter a whole number of items (0 removes the line).",
            );
            AppError::Validation(errors)
        })
}

/// The units of `product` allowed on one line, given the units on its other lines.
fn allowed(product: &Product, other_lines: i64) -> i64 {
    match product.stock {
        Some(stock) => (stock - other_lines).clamp(0, product.max_quantity()),
        None => product.max_quantity(),
    }
}

fn limited_message(product: &Product, allowed: i64) -> String {
    match product.stock {
        Some(stock) if stock <= crate::catalog::model::MAX_LINE_QUANTITY => {
            format!(
                "Only {stock} of “{}” available; your cart holds {allowed} on this line.",
                product.title
            )
        }
        _ => format!("At most {allowed} of “{}” per order.", product.title),
    }
}

/// Adds `quantity` units of `product` with the chosen option values. The choice is checked
/// against what the product offers (a value of another product or an unknown one is refused)
/// and the line is capped by stock and the per-order maximum.
pub async fn add(
    state: &AppState,
    owner: &Owner,
    product: &Product,
    offered: &[OfferedValue],
    chosen: &[&str],
    quantity: i64,
) -> AppResult<Added> {
    let selection = pricing::select(offered, chosen, false).map_err(|e| {
        let mut errors = crate::error::FieldErrors::new();
        errors.add("options", e.to_string());
        AppError::Validation(errors)
    })?;
    if quantity < 1 {
        let mut errors = crate::error::FieldErrors::new();
        errors.add("quantity", "Enter a quantity of at least 1.");
        return Err(AppError::Validation(errors));
    }
    if !product.active {
        return Err(AppError::NotFound);
    }
    if product.currency(state.settings.currency) != state.settings.currency {
        return Err(AppError::Conflict(format!(
            "“{}” is priced in another currency and cannot be bought here.",
            product.title
        )));
    }
    if !product.in_stock() {
        return Err(AppError::Conflict(format!(
            "“{}” is sold out.",
            product.title
        )));
    }
    let key = selection.key();
    let now = now();
    let mut tx = state.db.begin().await?;
    let cart_id =
        store::lock_or_create_cart(&mut tx, owner.key(), owner.user_id.as_deref(), now).await?;
    let rows = store::lines(&mut *tx, &cart_id).await?;
    let current = rows
        .iter()
        .find(|r| r.product_id == product.id && r.option_key == key)
        .map_or(0, |r| r.quantity);
    let others: i64 = rows
        .iter()
        .filter(|r| r.product_id == product.id && r.option_key != key)
        .map(|r| r.quantity)
        .sum();
    let cap = allowed(product, others);
    if cap == 0 || current >= cap {
        tx.rollback().await?;
        return Err(AppError::Conflict(limited_message(product, cap)));
    }
    let wanted = current.saturating_add(quantity);
    let new_quantity = wanted.min(cap);
    let line_id = store::put_line(&mut tx, &cart_id, &product.id, &key, new_quantity, now).await?;
    tx.commit().await?;
    Ok(Added {
        line_id,
        quantity: new_quantity,
        limited: (new_quantity < wanted).then(|| limited_message(product, new_quantity)),
    })
}

/// Sets a line's quantity (0 removes it), capped by stock and the per-order maximum. Returns
/// the message to show when capped. A line of another cart is not found.
pub async fn set_quantity(
    state: &AppState,
    owner: &Owner,
    line_id: &str,
    quantity: i64,
) -> AppResult<Option<String>> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let Some(cart_id) = store::lock_cart(&mut tx, owner.key(), now).await? else {
        return Err(AppError::NotFound);
    };
    let rows = store::lines(&mut *tx, &cart_id).await?;
    let Some(line) = rows.iter().find(|r| r.id == line_id) else {
        return Err(AppError::NotFound);
    };
    if quantity == 0 {
        store::delete_line(&mut tx, &cart_id, line_id).await?;
        tx.commit().await?;
        return Ok(None);
    }
    let product = catalog_store::find_by_id(&mut *tx, &line.product_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let others: i64 = rows
        .iter()
        .filter(|r| r.product_id == line.product_id && r.id != line.id)
        .map(|r| r.quantity)
        .sum();
    let cap = allowed(&product, others).max(1);
    let new_quantity = quantity.min(cap);
    store::set_quantity(&mut tx, &cart_id, line_id, new_quantity, now).await?;
    tx.commit().await?;
    Ok((new_quantity < quantity).then(|| limited_message(&product, new_quantity)))
}

/// Removes a line. A line of another cart is not found.
pub async fn remove(state: &AppState, owner: &Owner, line_id: &str) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    let Some(cart_id) = store::find_cart(&mut *tx, owner.key()).await? else {
        return Err(AppError::NotFound);
    };
    if !store::delete_line(&mut tx, &cart_id, line_id).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Whether the guest browser `visitor_id` has a cart (most logins: no, and nothing to merge).
pub async fn guest_has_cart(state: &AppState, visitor_id: &str) -> AppResult<bool> {
    Ok(
        store::find_cart(state.db.pool(), Owner::visitor(visitor_id).key())
            .await?
            .is_some(),
    )
}

/// Locks the guest browser's cart, in the caller's transaction: a second login with the same
/// browser (double submit) waits here and then finds it gone, and an add in another tab
/// cannot slip in between. Its id, if it still exists.
pub async fn lock_guest_cart(
    conn: &mut AnyConnection,
    visitor_id: &str,
    now: i64,
) -> AppResult<Option<String>> {
    Ok(store::lock_cart(conn, Owner::visitor(visitor_id).key(), now).await?)
}

/// At login, with the guest cart locked ([`lock_guest_cart`]): moves its lines into the
/// account's cart, adding quantities of identical lines (capped like any add), and deletes
/// the guest cart. In the caller's transaction (`orders::follow_cart_at_login`, which moves
/// the guest's pending orders in the same one).
pub async fn merge_into_account(
    conn: &mut AnyConnection,
    guest_cart: &str,
    user_id: &str,
    now: i64,
) -> AppResult<()> {
    let account = Owner::user(user_id);
    let guest_lines = store::lines(&mut *conn, guest_cart).await?;
    if guest_lines.is_empty() {
        store::delete_cart(conn, guest_cart).await?;
        return Ok(());
    }
    let cart_id = store::lock_or_create_cart(conn, account.key(), Some(user_id), now).await?;
    let mut ids: Vec<String> = guest_lines.iter().map(|l| l.product_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let products: HashMap<String, Product> = catalog_store::find_many(&mut *conn, &ids)
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    // The account's lines, kept up to date as guest lines are merged in.
    let mut units: HashMap<(String, String), i64> = store::lines(&mut *conn, &cart_id)
        .await?
        .into_iter()
        .map(|r| ((r.product_id, r.option_key), r.quantity))
        .collect();
    for line in &guest_lines {
        let Some(product) = products.get(&line.product_id) else {
            continue;
        };
        let key = (line.product_id.clone(), line.option_key.clone());
        let current = units.get(&key).copied().unwrap_or(0);
        let others: i64 = units
            .iter()
            .filter(|((product_id, option_key), _)| {
                *product_id == line.product_id && *option_key != line.option_key
            })
            .map(|(_, quantity)| quantity)
            .sum();
        let merged = current
            .saturating_add(line.quantity)
            .min(allowed(product, others).max(current).max(1));
        units.insert(key, merged);
        store::put_line(
            conn,
            &cart_id,
            &line.product_id,
            &line.option_key,
            merged,
            now,
        )
        .await?;
    }
    store::delete_cart(conn, guest_cart).await?;
    Ok(())
}
