//! Checkout, order and account-orders pages.

use maud::{Markup, html};

use super::CheckoutDetails;
use super::state::OrderStatus;
use super::store::{Order, OrderLine};
use crate::cart::Cart;
use crate::catalog::model::ProductKind;
use crate::db::now;
use crate::error::FieldErrors;
use crate::http::context::RequestContext;
use crate::payments::state::PaymentStatus;
use crate::payments::store::{Payment, Refund};
use crate::views::components::{Field, csrf_field, error_summary, timestamp};
use crate::views::layout::{PageMeta, page};

/// `GET /checkout` (and its re-render with errors).
pub fn checkout_page(
    ctx: &RequestContext,
    cart: &Cart,
    form: &CheckoutDetails,
    errors: &FieldErrors,
    problem: Option<&str>,
) -> Markup {
    let ships = cart.lines.iter().any(|l| l.product.is_print());
    let body = html! {
        section.section.section-tight {
            div.container {
                h1 { "Checkout" }
                @if let Some(p) = problem {
                    div.alert.alert-error role="alert" {
                        p { (p) }
                        a href="/cart" { "Back to your cart" }
                    }
                }
                div.cart-layout {
                    form.panel.stack method="post" action="/checkout" novalidate {
                        (csrf_field(ctx))
                        (error_summary(errors))
                        h2 { "Your details" }
                        (Field::new("email", "Email", "email").value(Some(&form.email)).autocomplete("email").hint("Your receipt and order link go here.").render(errors))
                        (Field::new("name", "Full name", "text").value(Some(&form.name)).autocomplete("name").render(errors))
                        (Field::new("phone", "Phone", "tel").value(Some(&form.phone)).autocomplete("tel").optional().render(errors))
                        @if ships {
                            h2 { "Shipping address" }
                            (Field::new("line1", "Street address", "text").value(Some(&form.line1)).autocomplete("address-line1").render(errors))
                            (Field::new("line2", "Apartment, unit, floor", "text").value(Some(&form.line2)).autocomplete("address-line2").optional().render(errors))
                            (Field::new("city", "City", "text").value(Some(&form.city)).autocomplete("address-level2").render(errors))
                            (Field::new("postcode", "Postcode", "text").value(Some(&form.postcode)).autocomplete("postal-code").render(errors))
                            (Field::new("country", "Country", "text").value(Some(&form.country)).autocomplete("country-name").render(errors))
                        } @else {
                            p.muted { "Your cart has only digital files: nothing is shipped, the download links are emailed once you have paid." }
                        }
                        button.button.button-primary.button-block type="submit" { "Continue to payment" }
                        p.muted.small { "You pay on the payment provider's secure page; we never see your card." }
                    }
                    aside.cart-totals.panel {
                        h2 { "Your order" }
                        ul.plain-list.order-summary {
                            @for l in &cart.lines {
                                li {
                                    span { (l.quantity) " × " (l.product.title)
                                        @if let Some(s) = &l.selection { @if !s.values.is_empty() { br; span.muted.small { (s.describe()) } } }
                                    }
                                    span { (l.total) }
                                }
                            }
                        }
                        dl {
                            dt { "Total" } dd #checkout-total { (cart.subtotal) }
                        }
                        a.button.button-ghost.button-block href="/cart" { "Edit your cart" }
                    }
                }
            }
        }
    };
    page(ctx, PageMeta::titled("Checkout"), body)
}

/// Where the order's payment is, as a block the success page polls until it settles.
pub fn payment_status(
    ctx: &RequestContext,
    order: &Order,
    payment: Option<&Payment>,
    base: &str,
    poll: bool,
) -> Markup {
    let status = order.status();
    let pay = payment.map(Payment::status);
    let captured = pay.is_some_and(PaymentStatus::is_captured);
    let waiting =
        status == OrderStatus::PendingPayment && pay != Some(PaymentStatus::Failed) && !captured;
    html! {
        @if waiting && poll {
            div #payment-status .payment-status.is-waiting hx-get={(base) "/status"} hx-trigger="every 2s" hx-swap="outerHTML" role="status" aria-live="polite" {
                p { strong { "Waiting for the payment to be confirmed…" } }
                p.muted { "This usually takes a few seconds. " a href={(base) "?paid=1"} { "Refresh" } }
            }
        } @else {
            div #payment-status .payment-status role="status" aria-live="polite" {
                @match status {
                    // "On its way" only right after the payment (the gateway sent the customer
                    // back here); later visits say when it was paid.
                    OrderStatus::Paid | OrderStatus::Fulfilled if poll => {
                        p.alert.alert-success { strong { "Payment received. Thank you!" } " A confirmation is on its way to " (order.email) "." }
                    }
                    OrderStatus::Paid | OrderStatus::Fulfilled => {
                        p.alert.alert-success { strong { "Paid" } @if let Some(t) = order.paid_at { " on " (timestamp(t)) } ". The confirmation went to " (order.email) "." }
                    }
                    OrderStatus::Cancelled | OrderStatus::Expired if pay.is_some_and(PaymentStatus::is_captured) => {
                        p.alert.alert-info { "We received your payment after this order was closed. The studio has been told and will refund it or contact you shortly." }
                    }
                    OrderStatus::Cancelled => { p.alert.alert-info { "This order was cancelled. Nothing was charged." } }
                    OrderStatus::Expired => { p.alert.alert-info { "This order expired before it was paid; its items went back on sale. Your cart still has them." } }
                    OrderStatus::PendingPayment if pay == Some(PaymentStatus::Refunded) => {
                        p.alert.alert-info { "The payment we received did not match this order and was refunded. Nothing else was charged." }
                    }
                    OrderStatus::PendingPayment if captured => {
                        div.alert.alert-info {
                            p { strong { "We received a payment that does not match this order." } }
                            p { "Your order is on hold and its items are kept for you. The studio has been told and will refund the payment or contact you shortly; you do not need to pay again." }
                        }
                    }
                    OrderStatus::PendingPayment => {
                        @if pay == Some(PaymentStatus::Failed) {
                            div.alert.alert-error {
                                p { strong { "The payment did not go through" }
                                    @if let Some(why) = payment.and_then(|p| p.failure.as_deref()) { ": " (why) } "." }
                                p { "Your order is kept until " (timestamp(order.hold_expires_at)) ". Try again with another card:" }
                            }
                        } @else {
                            p { "Awaiting payment. Your items are held until " (timestamp(order.hold_expires_at)) "." }
                        }
                        form method="post" action={(base) "/pay"} {
                            (csrf_field(ctx))
                            button.button.button-primary type="submit" { @if pay == Some(PaymentStatus::Failed) { "Try again" } @else { "Pay now" } }
                        }
                    }
                }
            }
        }
    }
}

/// The order page (owner or link holder).
#[allow(clippy::too_many_arguments)]
pub fn order_page(
    ctx: &RequestContext,
    order: &Order,
    lines: &[OrderLine],
    payment: Option<&Payment>,
    refunds: &[Refund],
    downloads: &[(String, i64, i64, i64)],
    base: &str,
    poll: bool,
) -> Markup {
    let title = format!("Order {}", order.number);
    let body = html! {
        section.section.section-tight {
            div.container.narrow {
                p.eyebrow { "Placed " (timestamp(order.created_at)) }
                h1 { "Order " (order.number) }
                // One badge: the order's state (the payment's is in the block below).
                p { span class=(format!("badge status-badge status-{}", order.status)) { (order.status().label()) } }
                (payment_status(ctx, order, payment, base, poll))
                div.panel {
                    table.order-lines {
                        thead { tr { th { "Item" } th.num { "Qty" } th.num.col-unit { "Price" } th.num { "Total" } } }
                        tbody {
                            @for l in lines {
                                tr {
                                    td { (l.title) @if !l.options_label.is_empty() { br; span.muted.small { (l.options_label) } }
                                        @if l.kind == ProductKind::Digital {
                                            @if let Some((_, uses, max, expires)) = downloads.iter().find(|d| d.0 == l.id) {
                                                @if order.is_paid() && uses < max && *expires > now() {
                                                    form.download-form method="post" action={(base) "/downloads/" (l.id)} {
                                                        (csrf_field(ctx))
                                                        button.button.button-small.button-primary type="submit" { "Download" }
                                                        " " span.small.muted { (max - uses) " of " (max) " downloads left · until " (timestamp(*expires)) }
                                                    }
                                                } @else {
                                                    br; span.small.muted { "Download link used up or expired: " a href={"/contact?kind=support&subject=Order%20" (order.number)} { "ask us for a new one" } "." }
                                                }
                                            }
                                        }
                                    }
                                    td.num { (l.quantity) }
                                    td.num.col-unit { (order.money(l.unit_price_minor)) }
                                    td.num { (order.money(l.total_minor)) }
                                }
                            }
                        }
                        // What was charged: the lines' subtotal, shipping (included in the
                        // prices) and the total the gateway took.
                        tfoot {
                            tr.subtotal { th colspan="2" { "Subtotal" } td.col-unit {} td.num { (order.money(order.subtotal_minor)) } }
                            @if order.ships() {
                                tr { th colspan="2" { "Shipping" } td.col-unit {} td.num { "Included" } }
                            }
                            tr { th colspan="2" { "Total" } td.col-unit {} td.num { strong { (order.money(order.total_minor)) } } }
                        }
                    }
                }
                div.grid-2 {
                    div.panel {
                        h2 { "Contact" }
                        p { (order.name) br; (order.email) @if !order.phone.is_empty() { br; (order.phone) } }
                    }
                    @if order.ships() {
                        div.panel {
                            h2 { "Shipping to" }
                            p {
                                (order.ship_line1.as_deref().unwrap_or_default())
                                @if let Some(l2) = order.ship_line2.as_deref().filter(|s| !s.is_empty()) { br; (l2) }
                                br; (order.ship_city.as_deref().unwrap_or_default()) " " (order.ship_postcode.as_deref().unwrap_or_default())
                                br; (order.ship_country.as_deref().unwrap_or_default())
                            }
                            @if let Some(t) = order.tracking_note.as_deref().filter(|s| !s.is_empty()) {
                                h3 { "Shipped" } p.prewrap { (t) }
                            }
                        }
                    }
                }
                @if !refunds.is_empty() {
                    div.panel {
                        h2 { "Refunds" }
                        ul.plain-list {
                            @for r in refunds {
                                li { (timestamp(r.created_at)) " · " (order.money(r.amount_minor)) " · " (r.status().as_str()) }
                            }
                        }
                    }
                }
                p.muted.small { "Questions about this order? " a href={"/contact?kind=support&subject=Order%20" (order.number)} { "Write to us" } " and quote " (order.number) "." }
            }
        }
    };
    page(ctx, PageMeta::titled(&title), body)
}

/// `GET /account/orders`.
pub fn account_orders(ctx: &RequestContext, orders: &[Order]) -> Markup {
    let body = html! {
        section.section.section-tight {
            div.container.narrow {
                h1 { "Your orders" }
                @if orders.is_empty() {
                    p { "No orders yet. " a href="/shop" { "Browse the shop" } }
                } @else {
                    div.table-scroll tabindex="0" role="region" aria-label="Your orders" {
                        table.order-lines.order-list {
                            thead { tr { th { "Order" } th { "Placed" } th { "Status" } th.num { "Total" } } }
                            tbody {
                                @for o in orders {
                                    tr {
                                        td { a href={"/orders/" (o.number)} { (o.number) } }
                                        td { (timestamp(o.created_at)) }
                                        td { (o.status().label()) }
                                        td.num { (o.money(o.total_minor)) }
                                    }
                                }
                            }
                        }
                    }
                }
                p { a href="/account" { "← Your account" } }
            }
        }
    };
    page(ctx, PageMeta::titled("Your orders"), body)
}

/// `GET /downloads/{token}`: the file, what is left of the link, and the button.
pub fn download_page(ctx: &RequestContext, token: &str, d: &super::store::Download) -> Markup {
    let left = d.max_uses - d.uses;
    let body = html! {
        section.section.section-tight {
            div.container.narrow {
                div.panel.stack {
                    p.eyebrow { "Your download" }
                    h1 { (d.title) }
                    p { "This link works " (left) " more " (if left == 1 { "time" } else { "times" }) ", until " (timestamp(d.expires_at)) "." }
                    form method="post" action={"/downloads/" (token)} {
                        (csrf_field(ctx))
                        button.button.button-primary type="submit" { "Download" }
                    }
                }
            }
        }
    };
    page(ctx, PageMeta::titled("Your download"), body)
}
