//! Handlers for the public pages that belong to no domain.

use maud::Markup;
use poem::handler;

use crate::http::extract::Ctx;

/// `GET /`.
#[handler]
pub fn home(ctx: Ctx) -> Markup {
    super::views::home_page(&ctx)
}

/// `GET /robots.txt`.
#[handler]
pub fn robots() -> &'static str {
    "User-agent: *\nDisallow: /admin\nDisallow: /account\nDisallow: /password/\n"
}
