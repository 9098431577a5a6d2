//! Route-group guards, attached in `routes.rs` with `.with(..)` so access rules can be read on
//! one screen. Handlers additionally take `CurrentUser` / `AdminUser` for the user value.

use std::sync::Arc;

use poem::{Endpoint, Middleware, Request, Result};

use super::context::RequestContext;
use crate::error::AppError;

/// Which callers a group admits.
#[derive(Debug, Clone, Copy)]
pub enum Require {
    /// Any signed-in user.
    User,
    /// Admins only.
    Admin,
}

impl<E: Endpoint> Middleware<E> for Require {
    type Output = RequireEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        RequireEndpoint {
            inner: ep,
            rule: *self,
        }
    }
}

/// See [`Require`].
pub struct RequireEndpoint<E> {
    inner: E,
    rule: Require,
}

impl<E: Endpoint> Endpoint for RequireEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let user = req
            .data::<Arc<RequestContext>>()
            .and_then(|c| c.user().cloned());
        match (self.rule, user) {
            (_, None) => Err(AppError::Unauthorized.into()),
            (Require::Admin, Some(u)) if !u.is_admin() => Err(AppError::Forbidden.into()),
            _ => self.inner.call(req).await,
        }
    }
}
