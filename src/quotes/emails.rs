//! The quotes domain's emails. What goes to the address a requester typed carries nothing
//! else they typed (see `bookings::emails`): the reference, the studio's own words and the
//! quote's link. Staff get everything, with `Reply-To` the customer.

use maud::html;

use super::model::{Proposal, Quote, Totals};
use crate::money::Money;
use crate::notifications::templates::{EmailContent, button, layout};

fn muted(text: &str) -> maud::Markup {
    html! { p style="color:#7a746c;font-size:14px" { (text) } }
}

/// To the customer: their request arrived.
pub fn received(q: &Quote, link: &str) -> EmailContent {
    let title = "We received your quote request";
    let html = layout(
        title,
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { (title) }
            p { "Your request " strong { (q.reference) } " is with a producer, who will send you a proposal within two working days." }
            (button(link, "See your request"))
            (muted("If you did not ask for a quote, ignore this email: nothing happens without you."))
        },
    );
    let text = format!(
        "{title}\n\nYour request {} is with a producer, who will send you a proposal within two \
         working days.\n\nSee your request: {link}\n\nIf you did not ask for a quote, ignore this \
         email: nothing happens without you.\n",
        q.reference
    );
    EmailContent {
        kind: "quote_received",
        subject: format!("{title} ({})", q.reference),
        html,
        text,
    }
}

/// To staff: a new request, with everything the customer wrote.
pub fn staff_request(q: &Quote, admin_url: &str) -> EmailContent {
    let dates = match (&q.preferred_from, &q.preferred_to) {
        (Some(f), Some(t)) => format!("{f} to {t}"),
        (Some(f), None) => f.clone(),
        _ => "no date given".to_owned(),
    };
    let html = layout(
        "New quote request",
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { "New quote request " (q.reference) }
            p { strong { (if q.service.is_empty() { "No package chosen" } else { &q.service }) } " · " (dates) }
            p { (q.name) @if !q.company.is_empty() { " (" (q.company) ")" } " · " (q.email) @if !q.phone.is_empty() { " · " (q.phone) } }
            @if !q.location.is_empty() { p { "Where: " (q.location) } }
            @if !q.budget.is_empty() { p { "Budget: " (q.budget) } }
            p style="white-space:pre-wrap" { (q.description) }
            (button(admin_url, "Open the quote"))
        },
    );
    let text = format!(
        "New quote request {reference}\n\n{service} · {dates}\n{name} ({company}) · {email} · {phone}\n\
         Where: {location}\nBudget: {budget}\n\n{description}\n\nOpen the quote: {admin_url}\n",
        reference = q.reference,
        service = q.service,
        name = q.name,
        company = q.company,
        email = q.email,
        phone = q.phone,
        location = q.location,
        budget = q.budget,
        description = q.description,
    );
    EmailContent {
        kind: "quote_request_staff",
        subject: format!("New quote request {} from {}", q.reference, q.name),
        html,
        text,
    }
}

/// To the customer: a proposal (or a revised one) is ready.
pub fn proposal(q: &Quote, p: &Proposal, totals: &Totals, link: &str) -> EmailContent {
    let revised = p.revision.number > 1;
    let title = if revised {
        "Your proposal was updated"
    } else {
        "Your proposal is ready"
    };
    let total = Money::of_code(totals.total, &p.revision.currency);
    let html = layout(
        title,
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { (title) }
            p { "The studio's proposal for " strong { (q.reference) } " comes to " strong { (total) } @if p.has_extras() { " before any extras you choose" } "." }
            @if !p.revision.message.is_empty() { p style="white-space:pre-wrap" { (p.revision.message) } }
            p { "It can be accepted until " (p.revision.valid_until) "." }
            (button(link, "Review the proposal"))
            (muted("Accept it, decline it or ask us a question from the link."))
        },
    );
    let text = format!(
        "{title}\n\nThe studio's proposal for {} comes to {total}.\n\n{}\n\nIt can be accepted until \
         {}.\n\nReview the proposal: {link}\n",
        q.reference, p.revision.message, p.revision.valid_until
    );
    EmailContent {
        kind: "quote_proposal",
        subject: format!("{title} ({})", q.reference),
        html,
        text,
    }
}

/// To staff: the customer wrote on the thread, accepted or declined.
pub fn staff_update(q: &Quote, what: &str, body: &str, admin_url: &str) -> EmailContent {
    let html = layout(
        what,
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { (q.reference) ": " (what) }
            p { (q.name) " · " (q.email) }
            @if !body.is_empty() { p style="white-space:pre-wrap" { (body) } }
            (button(admin_url, "Open the quote"))
        },
    );
    let text = format!(
        "{}: {what}\n\n{} · {}\n\n{body}\n\nOpen the quote: {admin_url}\n",
        q.reference, q.name, q.email
    );
    EmailContent {
        kind: "quote_update_staff",
        subject: format!("{}: {what}", q.reference),
        html,
        text,
    }
}

/// To the customer: a plain notice about their quote (staff answered, it was accepted...).
pub fn notice(q: &Quote, title: &str, line: &str, link: &str) -> EmailContent {
    let html = layout(
        title,
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { (title) }
            p { (line) }
            (button(link, "Open your quote"))
        },
    );
    let text = format!("{title}\n\n{line}\n\nOpen your quote: {link}\n");
    EmailContent {
        kind: "quote_notice",
        subject: format!("{title} ({})", q.reference),
        html,
        text,
    }
}
