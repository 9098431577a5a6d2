//! Cart handlers. With htmx each change answers with the fragments to swap (line, totals and
//! header badge in one response); without JavaScript the same forms post and redirect.

use poem::http::{StatusCode, header};
use poem::web::{Data, Path, Query};
use poem::{IntoResponse as _, Response, handler};

use super::{Owner, views};
use crate::catalog::{pricing, store as catalog_store, views as catalog_views};
use crate::db::parse_id;
use crate::error::{AppError, AppResult};
use crate::http::context::Flash;
use crate::http::cookies::{CookieName, CookiePolicy};
use crate::http::extract::Ctx;
use crate::http::form::FormPairs;
use crate::http::{redirect_with_flash, with_status};
use crate::state::AppState;

/// Tells later page views of this browser that it has a cart (see `CookieName::CartHint`).
pub fn set_cart_hint(state: &AppState, resp: &mut Response) {
    resp.headers_mut().append(
        header::SET_COOKIE,
        CookiePolicy::of(state).set(CookieName::CartHint, "1", Some(60 * 60 * 24 * 365)),
    );
}

/// Query of `GET /cart` (`?payment=cancelled` when the gateway sent the customer back).
#[derive(Debug, serde::Deserialize)]
pub struct CartQuery {
    payment: Option<String>,
}

/// `GET /cart`.
#[handler]
pub async fn show(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Query(q): Query<CartQuery>,
) -> AppResult<Response> {
    let cart = super::load(state, &Owner::of(&ctx)).await?;
    let cancelled = q.payment.as_deref() == Some("cancelled");
    let mut resp = views::cart_page(&ctx, state, &cart, cancelled).into_response();
    if !cart.lines.is_empty() {
        set_cart_hint(state, &mut resp);
    }
    Ok(resp)
}

fn message_of(e: &AppError) -> String {
    match e {
        AppError::Validation(errors) => errors
            .iter()
            .next()
            .map_or_else(|| e.to_string(), |(_, m)| m.to_owned()),
        other => other.to_string(),
    }
}

/// `POST /cart/add`: `product` (id), `options` (value ids, one per group), `quantity`.
/// The price is never read from the form; a value the product does not offer is refused.
#[handler]
pub async fn add(ctx: Ctx, Data(state): Data<&AppState>, form: FormPairs) -> AppResult<Response> {
    let product_id = form
        .get("product")
        .and_then(parse_id)
        .ok_or(AppError::NotFound)?;
    let product = catalog_store::find_by_id(state.db.pool(), &product_id)
        .await?
        .filter(|p| p.active == 1)
        .ok_or(AppError::NotFound)?;
    let offered = catalog_store::offered_for(state.db.pool(), &product.id).await?;
    let owner = Owner::of(&ctx);
    let result = match super::parse_quantity(form.get("quantity")) {
        Ok(quantity) => {
            super::add(
                state,
                &owner,
                &product,
                &offered,
                &form.all("options"),
                quantity,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(added) => {
            let message = format!("Added “{}” to your cart.", product.title);
            let mut resp = if ctx.is_htmx {
                let units = super::units(state, &owner).await?;
                catalog_views::added(&message, added.limited.as_deref(), units).into_response()
            } else {
                let flash = match added.limited {
                    Some(n) => Flash::info(format!("{message} {n}")),
                    None => Flash::success(message),
                };
                redirect_with_flash(state, "/cart", flash)
            };
            set_cart_hint(state, &mut resp);
            Ok(resp)
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            let message = message_of(&e);
            if ctx.is_htmx {
                return Ok(with_status(catalog_views::add_error(&message), status));
            }
            // Re-render the product page with the message, keeping a valid choice.
            let groups = pricing::groups(&offered);
            let chosen = form.all("options");
            let selection = pricing::select(&offered, &chosen, true)
                .or_else(|_| pricing::select(&offered, &[], true))
                .map_err(|_| AppError::NotFound)?;
            let view = catalog_views::ProductView {
                product: &product,
                groups: &groups,
                selection: &selection,
                quantity: 1,
                error: Some(&message),
                memo: None,
            };
            let reviews = crate::reviews::product_section(state, &ctx, &product, None).await?;
            Ok(with_status(
                catalog_views::product_page(&ctx, state, &view, reviews),
                status,
            ))
        }
        Err(e) => Err(e),
    }
}

async fn after_change(
    ctx: &Ctx,
    state: &AppState,
    line_id: &str,
    notice: Option<String>,
) -> AppResult<Response> {
    if ctx.is_htmx {
        let cart = super::load(state, &Owner::of(ctx)).await?;
        return Ok(
            views::line_changed(ctx, state, &cart, line_id, notice.as_deref()).into_response(),
        );
    }
    Ok(match notice {
        Some(n) => redirect_with_flash(state, "/cart", Flash::info(n)),
        None => redirect_with_flash(state, "/cart", Flash::success("Your cart is updated.")),
    })
}

/// `POST /cart/lines/{id}`: `quantity` (0 removes the line). Only lines of the caller's cart.
#[handler]
pub async fn update(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let line_id = parse_id(&id).ok_or(AppError::NotFound)?;
    let quantity = match super::parse_quantity(form.get("quantity")) {
        Ok(q) => q,
        Err(e) if ctx.is_htmx => {
            // Keep the line as it was and say why.
            let cart = super::load(state, &Owner::of(&ctx)).await?;
            let markup = views::line_changed(&ctx, state, &cart, &line_id, Some(&message_of(&e)));
            return Ok(with_status(markup, StatusCode::UNPROCESSABLE_ENTITY));
        }
        Err(e) => return Err(e),
    };
    let notice = super::set_quantity(state, &Owner::of(&ctx), &line_id, quantity).await?;
    after_change(&ctx, state, &line_id, notice).await
}

/// `POST /cart/lines/{id}/delete`.
#[handler]
pub async fn remove(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let line_id = parse_id(&id).ok_or(AppError::NotFound)?;
    super::remove(state, &Owner::of(&ctx), &line_id).await?;
    after_change(&ctx, state, &line_id, None).await
}
