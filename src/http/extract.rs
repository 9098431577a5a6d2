//! Extractors: the request context and the identity of the caller.
//!
//! `CurrentUser` and `AdminUser` fail with `Unauthorized` / `Forbidden`, so a handler that
//! takes one cannot run for the wrong caller even if its route lost its guard.

use std::sync::Arc;

use poem::{FromRequest, Request, RequestBody, Result};

use super::context::RequestContext;
use crate::error::AppError;
use crate::identity::model::User;

/// The request context built by the session middleware.
pub struct Ctx(pub Arc<RequestContext>);

impl std::ops::Deref for Ctx {
    type Target = RequestContext;
    fn deref(&self) -> &RequestContext {
        &self.0
    }
}

fn context(req: &Request) -> Result<Arc<RequestContext>> {
    req.data::<Arc<RequestContext>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("session middleware missing")).into())
}

impl<'a> FromRequest<'a> for Ctx {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> Result<Self> {
        context(req).map(Ctx)
    }
}

/// A signed-in user (any role).
pub struct CurrentUser(pub User);

impl<'a> FromRequest<'a> for CurrentUser {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> Result<Self> {
        let ctx = context(req)?;
        ctx.user()
            .cloned()
            .map(CurrentUser)
            .ok_or_else(|| AppError::Unauthorized.into())
    }
}

/// A signed-in admin.
pub struct AdminUser(pub User);

impl<'a> FromRequest<'a> for AdminUser {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> Result<Self> {
        let ctx = context(req)?;
        match ctx.user() {
            None => Err(AppError::Unauthorized.into()),
            Some(user) if user.is_admin() => Ok(AdminUser(user.clone())),
            Some(_) => Err(AppError::Forbidden.into()),
        }
    }
}

/// Whether the request came from htmx.
pub struct HxRequest(pub bool);

impl<'a> FromRequest<'a> for HxRequest {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> Result<Self> {
        Ok(HxRequest(req.header("hx-request") == Some("true")))
    }
}
