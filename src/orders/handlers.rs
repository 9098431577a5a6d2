//! Checkout and order pages. Nobody sees an order but its account (signed in) or a holder of
//! its link; anything else is 404, so order numbers reveal nothing.

use poem::http::{StatusCode, header};
use poem::web::{Data, Path, Query};
use poem::{IntoResponse as _, Response, handler};
use serde::Deserialize;

use super::store::{self as order_store, Order};
use super::{CheckoutDetails, views};
use crate::cart::{self, Owner};
use crate::crypto::sha256_hex;
use crate::db::now;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::context::Flash;
use crate::http::extract::{Ctx, CurrentUser};
use crate::http::form::FormPairs;
use crate::http::{redirect, redirect_with_flash, with_status};
use crate::media::{links, store as media_store};
use crate::payments::store as payment_store;
use crate::rate_limit::{self, Limit};
use crate::state::AppState;

/// `GET /checkout`.
#[handler]
pub async fn show_checkout(ctx: Ctx, Data(state): Data<&AppState>) -> AppResult<Response> {
    let cart = cart::load(state, &Owner::of(&ctx)).await?;
    if !cart.is_ready() {
        return Ok(redirect_with_flash(
            state,
            "/cart",
            Flash::info(if cart.lines.is_empty() {
                "Your cart is empty."
            } else {
                "Fix the lines marked in your cart, then check out."
            }),
        ));
    }
    let form = CheckoutDetails {
        email: ctx.user().map(|u| u.email.clone()).unwrap_or_default(),
        name: ctx
            .user()
            .and_then(|u| u.display_name.clone())
            .unwrap_or_default(),
        ..CheckoutDetails::default()
    };
    Ok(views::checkout_page(&ctx, &cart, &form, &FieldErrors::new(), None).into_response())
}

fn details_from(form: &FormPairs) -> CheckoutDetails {
    let field = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    CheckoutDetails {
        email: field("email"),
        name: field("name"),
        phone: field("phone"),
        line1: field("line1"),
        line2: field("line2"),
        city: field("city"),
        postcode: field("postcode"),
        country: field("country"),
    }
}

/// `POST /checkout`: places the order (idempotently) and sends the customer to pay.
#[handler]
pub async fn place_order(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let owner = Owner::of(&ctx);
    let details = details_from(&form);
    let cart = cart::load(state, &owner).await?;
    if cart.lines.is_empty() {
        return Ok(redirect_with_flash(
            state,
            "/cart",
            Flash::info("Your cart is empty."),
        ));
    }
    let ships = cart.lines.iter().any(|l| l.product.is_print());
    if let Err(AppError::Validation(errors)) = details.validate(ships) {
        return Ok(with_status(
            views::checkout_page(&ctx, &cart, &details, &errors, None),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    limit_placing(state, &ctx, &details).await?;
    let user_id = ctx.user().map(|u| u.id.as_str());
    let client = ctx.rate_key();
    let placed = match super::place(state, &owner, user_id, &client, &details, &cart).await {
        Ok(p) => p,
        Err(AppError::Validation(errors)) => {
            // The cart changed in another tab (a print now needs an address).
            let cart = cart::load(state, &owner).await?;
            return Ok(with_status(
                views::checkout_page(&ctx, &cart, &details, &errors, None),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        Err(AppError::Conflict(message)) => {
            let cart = cart::load(state, &owner).await?;
            return Ok(with_status(
                views::checkout_page(&ctx, &cart, &details, &FieldErrors::new(), Some(&message)),
                StatusCode::CONFLICT,
            ));
        }
        Err(e) => return Err(e),
    };
    pay(state, &placed.order).await
}

/// Counts an order placing against the limits per client and per email address (an hour
/// each, `CHECKOUT_LIMIT_PER_CLIENT` and `CHECKOUT_LIMIT_PER_EMAIL`): enough for a person, a
/// wall for a script placing orders to keep stock off sale.
async fn limit_placing(state: &AppState, ctx: &Ctx, details: &CheckoutDetails) -> AppResult<()> {
    const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);
    let limits = state.settings.checkout_limits;
    let per_client = Limit {
        name: "checkout-client",
        max: limits.per_client_per_hour,
        window: HOUR,
    };
    let per_email = Limit {
        name: "checkout-email",
        max: limits.per_email_per_hour,
        window: HOUR,
    };
    rate_limit::hit(&state.db, per_client, &ctx.rate_key()).await?;
    rate_limit::hit(&state.db, per_email, &details.email.trim().to_lowercase()).await
}

/// Sends the customer to the gateway, or back to the order page saying why not.
async fn pay(state: &AppState, order: &Order) -> AppResult<Response> {
    let path = super::order_path(state, order);
    Ok(match super::start_payment(state, order).await? {
        super::PaymentStart::Redirect(url) => redirect(&url),
        super::PaymentStart::GatewayFailed(e) => redirect_with_flash(
            state,
            &path,
            Flash::error(format!(
                "We could not open the payment page: {} Your order is saved; press “Pay now” to try again.",
                e.message
            )),
        ),
        super::PaymentStart::Processing => redirect_with_flash(
            state,
            &path,
            Flash::info(
                "Your payment is being processed by your bank. We will email you as soon as it is confirmed.",
            ),
        ),
        super::PaymentStart::Closed => redirect_with_flash(
            state,
            &path,
            Flash::info(
                "This order cannot be paid any more. Your cart still has its items: check out again.",
            ),
        ),
    })
}

/// Query of the order pages (`?paid=1` after the gateway sends the customer back).
#[derive(Debug, Deserialize)]
pub struct OrderQuery {
    paid: Option<String>,
}

async fn render_order(
    ctx: &Ctx,
    state: &AppState,
    order: &Order,
    poll: bool,
) -> AppResult<Response> {
    let pool = state.db.pool();
    let lines = order_store::lines(pool, &order.id).await?;
    let payment = payment_store::latest_for(pool, &order.id).await?;
    let refunds = payment_store::refunds_of_order(pool, &order.id).await?;
    let downloads = order_store::downloads_of(pool, &order.id).await?;
    let base = super::order_path(state, order);
    let mut resp = views::order_page(
        ctx,
        order,
        &lines,
        payment.as_ref(),
        &refunds,
        &downloads,
        &base,
        poll,
    )
    .into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    // The link's key is in the URL: links on the page (the studio's site, a carrier's) must not
    // receive it.
    resp.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    Ok(resp)
}

async fn by_link(state: &AppState, number: &str, key: &str) -> AppResult<Order> {
    if number.len() > 20 || key.len() > 64 {
        return Err(AppError::NotFound);
    }
    let order = order_store::find_by_number(state.db.pool(), number)
        .await?
        .ok_or(AppError::NotFound)?;
    if !super::key_matches(state, &order, key) {
        return Err(AppError::NotFound);
    }
    Ok(order)
}

/// `GET /orders/{number}`: the signed-in owner's view.
#[handler]
pub async fn show_own(
    ctx: Ctx,
    CurrentUser(user): CurrentUser,
    Data(state): Data<&AppState>,
    Path(number): Path<String>,
) -> AppResult<Response> {
    let order = order_store::find_by_number(state.db.pool(), &number)
        .await?
        .filter(|o| o.user_id.as_deref() == Some(user.id.as_str()))
        .ok_or(AppError::NotFound)?;
    render_order(&ctx, state, &order, false).await
}

/// `GET /orders/{number}/{key}`: the order behind its link (the confirmation email, the
/// gateway's return address).
#[handler]
pub async fn show_by_link(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((number, key)): Path<(String, String)>,
    Query(q): Query<OrderQuery>,
) -> AppResult<Response> {
    let order = by_link(state, &number, &key).await?;
    render_order(&ctx, state, &order, q.paid.is_some()).await
}

/// `GET /orders/{number}/{key}/status`: the polled payment block. Once the payment settles
/// the whole page reloads to show what changed.
#[handler]
pub async fn status(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((number, key)): Path<(String, String)>,
) -> AppResult<Response> {
    let order = by_link(state, &number, &key).await?;
    let payment = payment_store::latest_for(state.db.pool(), &order.id).await?;
    let base = super::order_path(state, &order);
    let settled = order.status() != super::state::OrderStatus::PendingPayment
        || payment.as_ref().is_some_and(|p| {
            p.status() == crate::payments::state::PaymentStatus::Failed || p.status().is_captured()
        });
    let mut resp =
        views::payment_status(&ctx, &order, payment.as_ref(), &base, true).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    if settled && ctx.is_htmx {
        resp.headers_mut()
            .insert("hx-refresh", header::HeaderValue::from_static("true"));
    }
    Ok(resp)
}

/// `POST /orders/{number}/{key}/pay`: continue or retry the payment of a pending order.
#[handler]
pub async fn pay_again(
    Data(state): Data<&AppState>,
    Path((number, key)): Path<(String, String)>,
) -> AppResult<Response> {
    let order = by_link(state, &number, &key).await?;
    pay(state, &order).await
}

/// `GET /account/orders`.
#[handler]
pub async fn account_orders(
    ctx: Ctx,
    CurrentUser(user): CurrentUser,
    Data(state): Data<&AppState>,
) -> AppResult<Response> {
    let orders = order_store::for_user(state.db.pool(), &user.id, 200).await?;
    Ok(views::account_orders(&ctx, &orders).into_response())
}

const DOWNLOAD_GONE: &str = "This download link has expired or has been used up. Reply to your order email and we will send a new one.";

fn download_token(token: &str) -> AppResult<String> {
    if token.is_empty() || token.len() > 128 {
        return Err(AppError::Gone(DOWNLOAD_GONE));
    }
    Ok(sha256_hex(token))
}

/// `GET /downloads/{token}`: what the link gives and a button. Looking spends nothing (mail
/// scanners and link previews fetch links; only the button's POST counts as a download).
#[handler]
pub async fn show_download(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let hash = download_token(&token)?;
    let d = order_store::peek_download(state.db.pool(), &hash, now())
        .await?
        .ok_or(AppError::Gone(DOWNLOAD_GONE))?;
    let mut resp = views::download_page(&ctx, &token, &d).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    resp.headers_mut().insert(
        "referrer-policy",
        header::HeaderValue::from_static("no-referrer"),
    );
    Ok(resp)
}

/// `POST /downloads/{token}`: spends one use of a download link and redirects to a
/// short-lived signed link of the file.
#[handler]
pub async fn download(
    Data(state): Data<&AppState>,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let hash = download_token(&token)?;
    let Some(d) = order_store::use_download(state.db.pool(), &hash, now()).await? else {
        return Err(AppError::Gone(DOWNLOAD_GONE));
    };
    send_file(state, d).await
}

/// `POST /orders/{number}/{key}/downloads/{line}`: the order page's Download button of a paid
/// digital line; spends one use of its download like the emailed link does.
#[handler]
pub async fn download_line(
    Data(state): Data<&AppState>,
    Path((number, key, line)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let order = by_link(state, &number, &key).await?;
    let line = crate::db::parse_id(&line).ok_or(AppError::NotFound)?;
    let Some(d) = order_store::use_line_download(state.db.pool(), &order.id, &line, now()).await?
    else {
        return Err(AppError::Gone(DOWNLOAD_GONE));
    };
    send_file(state, d).await
}

/// Redirects to a five-minute signed link of a download's file, sending no referrer.
async fn send_file(state: &AppState, d: order_store::Download) -> AppResult<Response> {
    let media = match d.media_id {
        Some(id) => media_store::find_ready(state.db.pool(), &id).await?,
        None => None,
    }
    .ok_or(AppError::Gone(
        "This file is no longer available. Reply to your order email and we will sort it out.",
    ))?;
    let link = links::download_link(state, &media, std::time::Duration::from_secs(300))
        .await
        .map_err(AppError::internal)?;
    let mut resp = Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, link.url)
        .header(header::CACHE_CONTROL, "no-store")
        .finish();
    resp.headers_mut().insert(
        "referrer-policy",
        header::HeaderValue::from_static("no-referrer"),
    );
    Ok(resp)
}
