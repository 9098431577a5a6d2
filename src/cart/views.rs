//! Cart screens: the page, one line, the totals and the header badge. The line, totals and
//! badge are also the fragments an htmx change swaps in (line in place, the others out of
//! band), all in one response.

use maud::{Markup, html};

use super::{Cart, Line};
use crate::catalog::views::card_src;
use crate::http::context::RequestContext;
use crate::state::AppState;
use crate::views::components::{cart_badge, csrf_field};
use crate::views::{PageMeta, page};

/// One line: product, options, unit price, quantity form, total, remove.
pub fn line(ctx: &RequestContext, state: &AppState, l: &Line, notice: Option<&str>) -> Markup {
    let id = format!("line-{}", l.id);
    let action = format!("/cart/lines/{}", l.id);
    let target = format!("#{id}");
    html! {
        article.cart-line #(id) {
            a.cart-line-media href=(format!("/products/{}", l.product.slug)) tabindex="-1" aria-hidden="true" {
                @if let Some(src) = card_src(state, l.product.image_media_id.as_deref()) {
                    img src=(src) alt="" width="96" height="72" loading="lazy";
                } @else {
                    span.image-placeholder { "▶" }
                }
            }
            div.cart-line-info {
                h2 { a href=(format!("/products/{}", l.product.slug)) { (l.product.title) } }
                @if let Some(s) = &l.selection {
                    @if !s.values.is_empty() { p.muted { (s.describe()) } }
                }
                p.muted { (l.unit) " each" }
                @if let Some(p) = &l.problem { p.alert.alert-error role="alert" { (p) } }
                @if let Some(n) = notice { p.alert.alert-info role="status" { (n) } }
            }
            form.cart-line-quantity method="post" action=(action)
                hx-post=(action) hx-target=(target) hx-swap="outerHTML" hx-trigger="change, submit" {
                (csrf_field(ctx))
                label.visually-hidden for=(format!("qty-{}", l.id)) { "Quantity of " (l.product.title) }
                // No min/max: htmx would silently skip an out-of-range change; the server caps it
                // and says why next to the line instead.
                input id=(format!("qty-{}", l.id)) type="number" name="quantity"
                    value=(l.quantity) inputmode="numeric";
                noscript { button.button.button-small.button-secondary type="submit" { "Update" } }
            }
            p.cart-line-total { (l.total) }
            form.cart-line-remove method="post" action=(format!("/cart/lines/{}/delete", l.id))
                hx-post=(format!("/cart/lines/{}/delete", l.id)) hx-target=(target) hx-swap="outerHTML" {
                (csrf_field(ctx))
                button.link-button type="submit" aria-label=(format!("Remove {}", l.product.title)) { "Remove" }
            }
        }
    }
}

/// Subtotal and the way on; `oob` for an out-of-band swap.
pub fn totals(cart: &Cart, oob: bool) -> Markup {
    html! {
        aside #cart-totals .cart-totals hx-swap-oob=[oob.then_some("true")] aria-live="polite" {
            @if cart.lines.is_empty() {
                p { "Your cart is empty." }
                a.button.button-primary href="/shop" { "Browse the shop" }
            } @else {
                dl {
                    dt { "Items" } dd #cart-units { (cart.units) }
                    dt { "Subtotal" } dd #cart-subtotal { (cart.subtotal) }
                }
                p.muted { "Prices include delivery of prints; digital files are emailed as download links." }
                @if cart.is_ready() {
                    a.button.button-primary.button-block href="/checkout" { "Check out" }
                    p.muted { "Pay securely on the next page. Your cart is saved to this browser and to your account." }
                } @else {
                    p.alert.alert-error { "Fix the lines marked above to check out." }
                }
                a.button.button-ghost.button-block href="/shop" { "Continue shopping" }
            }
        }
    }
}

/// `GET /cart`.
pub fn cart_page(ctx: &RequestContext, state: &AppState, cart: &Cart, cancelled: bool) -> Markup {
    let body = html! {
        section.section.section-tight {
            div.container {
                h1 { "Your cart" }
                @if cancelled {
                    p.alert.alert-info role="status" {
                        "Payment cancelled: nothing was charged and your cart is as you left it. "
                        "Check out again whenever you are ready."
                    }
                }
                div.cart-layout {
                    div #cart-lines .cart-lines {
                        @for l in &cart.lines { (line(ctx, state, l, None)) }
                    }
                    (totals(cart, false))
                }
            }
        }
    };
    page(ctx, PageMeta::titled("Your cart"), body)
}

/// The htmx answer to a line change: the line (or nothing, when removed) plus totals and
/// badge out of band.
pub fn line_changed(
    ctx: &RequestContext,
    state: &AppState,
    cart: &Cart,
    line_id: &str,
    notice: Option<&str>,
) -> Markup {
    html! {
        @if let Some(l) = cart.lines.iter().find(|l| l.id == line_id) {
            (line(ctx, state, l, notice))
        }
        (totals(cart, true))
        (cart_badge(cart.units, true))
    }
}
