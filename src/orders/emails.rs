//! The order emails: confirmation, payment failed, refund issued, shipped, downloads ready.
//! Each is written to the outbox in the transaction of the change that causes it.

use maud::html;

use super::store::{Order, OrderLine};
use crate::notifications::templates::{EmailContent, button, layout};

fn lines_html(order: &Order, lines: &[OrderLine]) -> maud::Markup {
    html! {
        table style="width:100%;border-collapse:collapse;font-size:15px;margin:16px 0" {
            @for l in lines {
                tr {
                    td style="padding:6px 0;border-bottom:1px solid #eee" {
                        strong { (l.title) }
                        @if !l.options_label.is_empty() { br; span style="color:#7a746c;font-size:13px" { (l.options_label) } }
                    }
                    td style="padding:6px 0;border-bottom:1px solid #eee;text-align:right;white-space:nowrap" {
                        (l.quantity) " × " (order.money(l.unit_price_minor))
                    }
                }
            }
            tr {
                td style="padding:8px 0;font-weight:700" { "Total" }
                td style="padding:8px 0;text-align:right;font-weight:700" { (order.money(order.total_minor)) }
            }
        }
    }
}

fn lines_text(order: &Order, lines: &[OrderLine]) -> String {
    let mut out = String::new();
    for l in lines {
        out.push_str(&format!(
            "- {}{} — {} × {}\n",
            l.title,
            if l.options_label.is_empty() {
                String::new()
            } else {
                format!(" ({})", l.options_label)
            },
            l.quantity,
            order.money(l.unit_price_minor)
        ));
    }
    out.push_str(&format!("Total: {}\n", order.money(order.total_minor)));
    out
}

/// "Order FS-000123 confirmed": sent once, when the payment is captured.
pub fn confirmation(order: &Order, lines: &[OrderLine], order_url: &str) -> EmailContent {
    let subject = format!("Order {} confirmed — thank you", order.number);
    let html = layout(
        &subject,
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { "Thank you, " (order.name) }
            p { "We received your payment for order " strong { (order.number) } "." }
            (lines_html(order, lines))
            @if order.ships() {
                p { "We will email you when your prints are on their way." }
            }
            @if order.has_digital {
                p { "Your download links arrive in a separate email." }
            }
            (button(order_url, "View your order"))
            p style="color:#7a746c;font-size:14px" { "Keep this email: the link above shows your order without an account." }
        },
    );
    let text = format!(
        "Thank you, {}\n\nWe received your payment for order {}.\n\n{}\nView your order: {}\n",
        order.name,
        order.number,
        lines_text(order, lines),
        order_url
    );
    EmailContent {
        kind: "order_confirmation",
        subject,
        html,
        text,
    }
}

/// "Payment failed": the order is kept until its hold ends; the link lets them try again.
pub fn payment_failed(order: &Order, reason: &str, order_url: &str) -> EmailContent {
    let subject = format!("Payment for order {} did not go through", order.number);
    let html = layout(
        &subject,
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { "Your payment did not go through" }
            p { "The payment for order " strong { (order.number) } " failed: " (reason) }
            p { "Your order is kept for a little while; you can try again with another card." }
            (button(order_url, "Try again"))
        },
    );
    let text = format!(
        "Your payment did not go through\n\nThe payment for order {} failed: {}\n\
         Your order is kept for a little while; you can try again: {}\n",
        order.number, reason, order_url
    );
    EmailContent {
        kind: "payment_failed",
        subject,
        html,
        text,
    }
}

/// "Refund issued" for one refund.
pub fn refund_issued(order: &Order, amount_minor: i64, order_url: &str) -> EmailContent {
    let amount = order.money(amount_minor);
    let subject = format!("Refund of {amount} for order {}", order.number);
    let html = layout(
        &subject,
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { "We refunded " (amount) }
            p { "We refunded " strong { (amount) } " of order " strong { (order.number) } " to the card you paid with. Banks usually show it within 5–10 days." }
            (button(order_url, "View your order"))
        },
    );
    let text = format!(
        "We refunded {amount}\n\nWe refunded {amount} of order {} to the card you paid with. \
         Banks usually show it within 5-10 days.\n\nView your order: {order_url}\n",
        order.number
    );
    EmailContent {
        kind: "refund_issued",
        subject,
        html,
        text,
    }
}

/// "Your prints are on their way".
pub fn shipped(order: &Order, tracking: &str, order_url: &str) -> EmailContent {
    let subject = format!("Order {} is on its way", order.number);
    let html = layout(
        &subject,
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { "Your prints are on their way" }
            p { "We shipped order " strong { (order.number) } "." }
            @if !tracking.is_empty() { p style="white-space:pre-wrap" { (tracking) } }
            (button(order_url, "View your order"))
        },
    );
    let text = format!(
        "Your prints are on their way\n\nWe shipped order {}.\n{}\n\nView your order: {}\n",
        order.number, tracking, order_url
    );
    EmailContent {
        kind: "order_shipped",
        subject,
        html,
        text,
    }
}

/// One download link in the "downloads ready" email.
#[derive(Debug, Clone)]
pub struct DownloadLinkText {
    /// Line title.
    pub title: String,
    pub url: String,
}

/// "Your downloads are ready", with signed, expiring, count-limited links.
pub fn downloads_ready(
    order: &Order,
    links: &[DownloadLinkText],
    valid_days: u64,
    max_uses: i64,
) -> EmailContent {
    let subject = format!("Your downloads for order {}", order.number);
    let html = layout(
        &subject,
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { "Your downloads are ready" }
            p { "Here are the files of order " strong { (order.number) } ":" }
            @for l in links { (button(&l.url, &format!("Download “{}”", l.title))) }
            p style="color:#7a746c;font-size:14px" {
                "Each link works " (max_uses) " times and for " (valid_days) " days. Reply to this email if you need new links."
            }
        },
    );
    let mut text = format!(
        "Your downloads are ready\n\nHere are the files of order {}:\n\n",
        order.number
    );
    for l in links {
        text.push_str(&format!("{}: {}\n", l.title, l.url));
    }
    text.push_str(&format!(
        "\nEach link works {max_uses} times and for {valid_days} days. Reply to this email if you need new links.\n"
    ));
    EmailContent {
        kind: "downloads_ready",
        subject,
        html,
        text,
    }
}

/// To staff: an order needs a person (a payment for a closed or already paid order, an amount
/// that differs from the order's).
pub fn staff_attention(order: &Order, note: &str, admin_url: &str) -> EmailContent {
    let subject = format!("Order {} needs attention", order.number);
    let html = layout(
        &subject,
        html! {
            h1 style="font-size:20px;margin:0 0 16px" { "Order " (order.number) " needs attention" }
            p { (note) }
            p { "Customer: " (order.name) " <" (order.email) ">" }
            (button(admin_url, "Open the order"))
        },
    );
    let text = format!(
        "Order {} needs attention\n\n{}\n\nCustomer: {} <{}>\nOpen the order: {}\n",
        order.number, note, order.name, order.email, admin_url
    );
    EmailContent {
        kind: "order_attention",
        subject,
        html,
        text,
    }
}
