//! The admin frame: every back-office screen, whichever domain it belongs to, is wrapped in
//! it (the site layout plus the admin navigation).

use maud::{Markup, html};

use super::{PageMeta, page};
use crate::http::context::RequestContext;

/// The admin navigation: (label, path).
const SECTIONS: &[(&str, &str)] = &[
    ("Dashboard", "/admin"),
    ("Orders", "/admin/orders"),
    ("Products", "/admin/products"),
    ("Option groups", "/admin/option-groups"),
    ("Option values", "/admin/option-values"),
    ("Categories", "/admin/categories"),
    ("Portfolio", "/admin/portfolio"),
    ("Packages", "/admin/packages"),
    ("FAQ", "/admin/faqs"),
    ("Studio details", "/admin/studio-details"),
    ("Contact inbox", "/admin/contact-messages"),
    ("Reviews", "/admin/reviews"),
    ("Media", "/admin/media"),
    ("API tokens", "/admin/api-tokens"),
    ("Webhook events", "/admin/webhooks"),
    ("Outbox", "/admin/outbox"),
    ("Jobs", "/admin/jobs"),
    ("Audit log", "/admin/audit"),
];

/// Wraps an admin screen in the site layout plus the admin sidebar.
pub fn admin_page(ctx: &RequestContext, title: &str, active: &str, content: Markup) -> Markup {
    let body = html! {
        div.admin-layout {
            aside.admin-sidebar {
                nav aria-label="Admin" {
                    ul {
                        @for (label, href) in SECTIONS {
                            li { a href=(href) aria-current=[(*href == active).then_some("page")] { (label) } }
                        }
                    }
                }
            }
            section.admin-content { (content) }
        }
    };
    page(ctx, PageMeta::titled(title), body)
}
