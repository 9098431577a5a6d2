//! The admin frame: every back-office screen, whichever domain it belongs to, is wrapped in
//! it: the back office's own header (studio name, a link to the site, the account menu) and
//! the admin navigation, without the public site's navigation, cart and footer.

use maud::{Markup, html};

use super::layout::admin_document;
use crate::http::context::RequestContext;

/// The admin navigation: (label, path).
const SECTIONS: &[(&str, &str)] = &[
    ("Dashboard", "/admin"),
    ("Analytics", "/admin/analytics"),
    ("Orders", "/admin/orders"),
    ("Order lines", "/admin/order-lines"),
    ("Customers", "/admin/customers"),
    ("Calendar", "/admin/calendar"),
    ("Bookings", "/admin/bookings"),
    ("Booking types", "/admin/booking-types"),
    ("Resources", "/admin/booking-resources"),
    ("Opening hours", "/admin/booking-hours"),
    ("Quotes", "/admin/quotes"),
    ("Projects", "/admin/projects"),
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
    ("Client reviews", "/admin/client-reviews"),
    ("Media", "/admin/media"),
    ("API tokens", "/admin/api-tokens"),
    ("Webhook events", "/admin/webhooks"),
    ("Outbox", "/admin/outbox"),
    ("Jobs", "/admin/jobs"),
    ("Audit log", "/admin/audit"),
];

/// Wraps an admin screen in the admin frame and its navigation.
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
    admin_document(ctx, title, body)
}
