//! The site layout: head, header with navigation, account menu and cart badge, flash
//! messages, footer.

use maud::{DOCTYPE, Markup, html};

use crate::http::assets;
use crate::http::context::{FlashKind, RequestContext};

/// What the `<head>` says about a page.
#[derive(Debug, Clone)]
pub struct PageMeta<'a> {
    /// `<title>` (the site name is appended).
    pub title: &'a str,
    /// Meta description and Open Graph description.
    pub description: &'a str,
}

impl<'a> PageMeta<'a> {
    /// A page with a title and the default description.
    pub fn titled(title: &'a str) -> Self {
        Self {
            title,
            description: "FlashStudio is a video production studio in Singapore: corporate films, \
                          events, product videos and prints of our work.",
        }
    }
}

/// htmx settings: no eval, no injected inline styles (the CSP forbids both), and error
/// responses swapped so the server can answer with a toast or inline errors.
const HTMX_CONFIG: &str = r#"{"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"[45]..","swap":true,"error":true}]}"#;

/// Main navigation: (label, href).
const NAV: &[(&str, &str)] = &[
    ("Portfolio", "/portfolio"),
    ("Services", "/services"),
    ("Packages", "/packages"),
    ("Shop", "/shop"),
    ("Book", "/book"),
    ("Contact", "/contact"),
];

/// A full HTML page around `body`: the public site's header, flash messages and footer.
pub fn page(ctx: &RequestContext, meta: PageMeta<'_>, body: Markup) -> Markup {
    document(
        ctx,
        &meta,
        html! {
            a.skip-link href="#main" { "Skip to content" }
            (header(ctx))
            (flash(ctx))
            main #main .site-main { (body) }
            (footer())
            div #toasts .toast-stack aria-live="polite" {}
        },
    )
}

/// A full HTML page of the back office: its own header (the studio's name, a link to the
/// site, the account menu), flash messages and `body`; no public navigation, cart or footer.
pub fn admin_document(ctx: &RequestContext, title: &str, body: Markup) -> Markup {
    document(
        ctx,
        &PageMeta::titled(title),
        html! {
            a.skip-link href="#main" { "Skip to content" }
            header.site-header.admin-header {
                div.container.admin-header-inner {
                    a.brand href="/admin" {
                        span.brand-mark aria-hidden="true" { "▶" }
                        span { "FlashStudio" }
                        span.admin-tag { "Studio admin" }
                    }
                    div.header-actions {
                        a.view-site href="/" { "View the site" }
                        (account_menu(ctx))
                    }
                }
            }
            (flash(ctx))
            main #main .site-main.admin-main { (body) }
            div #toasts .toast-stack aria-live="polite" {}
        },
    )
}

/// The document around a frame: head (styles, scripts, htmx settings) and body.
fn document(ctx: &RequestContext, meta: &PageMeta<'_>, frame: Markup) -> Markup {
    let csrf_header = serde_json::json!({ "X-CSRF-Token": ctx.csrf_token }).to_string();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (meta.title) " · FlashStudio" }
                meta name="description" content=(meta.description);
                meta property="og:title" content=(meta.title);
                meta property="og:description" content=(meta.description);
                meta property="og:type" content="website";
                meta property="og:site_name" content="FlashStudio";
                meta name="htmx-config" content=(HTMX_CONFIG);
                link rel="icon" href=(assets::url("favicon.svg")) type="image/svg+xml";
                link rel="stylesheet" href=(assets::url("app.css"));
                // Both faces are on every page's first screen: fetch them with the stylesheet
                // rather than after it has been parsed.
                @for font in assets::PRELOADED_FONTS {
                    link rel="preload" href=(assets::url(font)) as="font" type="font/woff2" crossorigin;
                }
                script src=(assets::url("htmx.min.js")) defer {}
                script src=(assets::url("site.js")) defer {}
            }
            body hx-headers=(csrf_header) { (frame) }
        }
    }
}

fn header(ctx: &RequestContext) -> Markup {
    let current = ctx.path_and_query.split('?').next().unwrap_or("/");
    html! {
        header.site-header {
            div.container.header-inner {
                a.brand href="/" {
                    span.brand-mark aria-hidden="true" { "▶" }
                    span { "FlashStudio" }
                }
                // A disclosure on narrow screens (works without JS); on wide screens the
                // stylesheet hides its summary and always shows the links.
                details.nav-menu {
                    summary.nav-toggle { span.nav-toggle-icon aria-hidden="true" {} span.nav-toggle-label { "Menu" } }
                    nav.main-nav aria-label="Main" {
                        ul {
                            @for (label, href) in NAV {
                                li { a href=(href) aria-current=[(current == *href).then_some("page")] { (label) } }
                            }
                        }
                    }
                }
                div.header-actions {
                    a.cart-link href="/cart" {
                        span.cart-label { "Cart" } " " (super::components::cart_badge(i64::from(ctx.cart_units().unwrap_or(0)), false))
                    }
                    (account_menu(ctx))
                }
            }
        }
    }
}

/// The signed-in user's menu (account, orders, the admin for staff, log out), or "Log in".
fn account_menu(ctx: &RequestContext) -> Markup {
    html! {
        @if let Some(user) = ctx.user() {
            details.account-menu {
                summary title=(user.email) { (short_label(user.label())) }
                ul.menu {
                    li { a href="/account" { "Your account" } }
                    li { a href="/account/orders" { "Your orders" } }
                    @if user.is_admin() {
                        li { a href="/admin" { "Studio admin" } }
                    }
                    li {
                        form.inline-form method="post" action="/logout" {
                            (crate::views::components::csrf_field(ctx))
                            button.link-button type="submit" { "Log out" }
                        }
                    }
                }
            }
        } @else {
            a.button.button-small href="/login" { "Log in" }
        }
    }
}

/// The part of a long label that fits a phone header ("jane" for "jane@example.com").
fn short_label(label: &str) -> String {
    let short = label.split('@').next().unwrap_or(label);
    if short.chars().count() > 18 {
        let cut: String = short.chars().take(17).collect();
        format!("{cut}…")
    } else {
        short.to_owned()
    }
}

fn flash(ctx: &RequestContext) -> Markup {
    html! {
        div.container.flash-stack #flash role="status" {
            @if let Some(f) = ctx.take_flash() {
                @let class = match f.kind {
                    FlashKind::Success => "flash flash-success",
                    FlashKind::Info => "flash flash-info",
                    FlashKind::Error => "flash flash-error",
                };
                div class=(class) { (f.message) }
            }
        }
    }
}

fn footer() -> Markup {
    html! {
        footer.site-footer {
            div.container.footer-inner {
                div.footer-brand {
                    a.brand href="/" { span.brand-mark aria-hidden="true" { "▶" } span { "FlashStudio" } }
                    p { "Films for brands, events and people who care how they look on screen." }
                }
                nav.footer-nav aria-label="Footer" {
                    ul {
                        li { a href="/portfolio" { "Portfolio" } }
                        li { a href="/services" { "Services" } }
                        li { a href="/shop" { "Shop" } }
                        li { a href="/about" { "About" } }
                        li { a href="/faq" { "FAQ" } }
                        li { a href="/client-reviews" { "Client reviews" } }
                        li { a href="/contact" { "Contact" } }
                        li { a href="/account" { "Your account" } }
                    }
                }
                p.footer-meta { "© 2026 FlashStudio · Singapore" }
            }
        }
    }
}
