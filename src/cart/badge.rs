//! The header badge's count, added to the request context by the cart itself: the session
//! middleware and the layout know nothing of carts.

use std::sync::Arc;

use poem::{Endpoint, Middleware, Request, Result};

use super::{Owner, store};
use crate::error::AppError;
use crate::http::context::RequestContext;
use crate::http::cookies::{self, CookieName, CookiePolicy};
use crate::state::AppState;

/// Middleware, inside `http::session::Sessions`: counts the cart's units for requests that
/// may render a page (anything but an htmx fragment or an API call: a form re-rendered with
/// errors too; an htmx history restore is a full page).
pub struct CartBadge {
    pub state: AppState,
}

impl<E: Endpoint> Middleware<E> for CartBadge {
    type Output = CartBadgeEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        CartBadgeEndpoint {
            inner: ep,
            state: self.state.clone(),
        }
    }
}

/// See [`CartBadge`].
pub struct CartBadgeEndpoint<E> {
    inner: E,
    state: AppState,
}

impl<E: Endpoint> Endpoint for CartBadgeEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let renders_header = (req.header("hx-request").is_none()
            || req.header("hx-history-restore-request").is_some())
            && !req.uri().path().starts_with("/api/");
        if renders_header && let Some(ctx) = req.data::<Arc<RequestContext>>() {
            let units = units(&self.state, &req, ctx).await?;
            ctx.set_cart_units(units);
        }
        self.inner.call(req).await
    }
}

async fn units(state: &AppState, req: &Request, ctx: &RequestContext) -> Result<u32> {
    // A guest without the cart hint has no cart: no query (most page views).
    let hinted = cookies::read(
        req.headers(),
        CookiePolicy::of(state).name(CookieName::CartHint),
    )
    .is_some();
    if ctx.user().is_none() && !hinted {
        return Ok(0);
    }
    let units = store::count_units(state.db.pool(), Owner::of(ctx).key())
        .await
        .map_err(AppError::from)?;
    Ok(u32::try_from(units).unwrap_or(u32::MAX))
}
