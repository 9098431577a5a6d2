//! Cart handlers. With htmx each change answers with the fragments to swap (line, totals and
//! header badge in one response); without JavaScript the same forms post and redirect.

use poem::http::{StatusCode, header};
use poem::web::{Data, Path, Query};
use poem::{IntoResponse as _, Response, handler};

use super::{Owner, views};
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

/// The sentence to show for a refused cart change.
pub fn message_of(e: &AppError) -> String {
    match e {
        AppError::Validation(errors) => errors
            .iter()
            .next()
            .map_or_else(|| e.to_string(), |(_, m)| m.to_owned()),
        other => other.to_string(),
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
