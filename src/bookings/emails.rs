//! The bookings domain's emails. Like the contact acknowledgement, what goes to the address a
//! booker typed carries nothing else they typed (not their name, notes or address): anyone can
//! type anyone's address, and the studio's mail must not relay a stranger's words.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use maud::html;

use super::model::{Booking, Status};
use crate::notifications::templates::{EmailContent, button, layout};
use crate::state::AppState;

/// "Tuesday 15 December 2026, 10:00–10:30 (Singapore time)"; a span over several days names
/// both ends.
pub fn span_label(zone: &TimeZone, starts_at: i64, ends_at: i64) -> String {
    let (Ok(s), Ok(e)) = (
        Timestamp::from_second(starts_at),
        Timestamp::from_second(ends_at),
    ) else {
        return String::new();
    };
    let (s, e) = (s.to_zoned(zone.clone()), e.to_zoned(zone.clone()));
    let place = zone_label(zone);
    if s.date() == e.date() {
        format!(
            "{}, {}–{} ({place})",
            s.strftime("%A %-d %B %Y"),
            s.strftime("%H:%M"),
            e.strftime("%H:%M")
        )
    } else {
        format!(
            "{} to {} ({place})",
            s.strftime("%A %-d %B %Y, %H:%M"),
            e.strftime("%A %-d %B %Y, %H:%M")
        )
    }
}

/// "Singapore time" for Asia/Singapore, "London time" for Europe/London.
pub fn zone_label(zone: &TimeZone) -> String {
    let name = zone.iana_name().unwrap_or("UTC");
    let city = name.rsplit('/').next().unwrap_or(name).replace('_', " ");
    format!("{city} time")
}

fn when(state: &AppState, b: &Booking) -> String {
    span_label(&state.settings.time_zone, b.starts_at, b.ends_at)
}

/// To the customer when a booking is placed: confirmed, or waiting for the studio.
pub fn received(state: &AppState, b: &Booking, manage_url: &str) -> EmailContent {
    let confirmed = b.status == Status::Confirmed;
    let (title, line) = if confirmed {
        ("Your booking is confirmed", "is confirmed.")
    } else {
        (
            "We received your booking request",
            "is with the studio, who will confirm it within one working day.",
        )
    };
    let when = when(state, b);
    let place = b.location().map_or("", |l| l.label());
    let policy = b.policy().describe(b.deposit_minor);
    let html = layout(
        title,
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { (title) }
            p { "Your " strong { (b.type_name) } " (" (b.reference) ") " (line) }
            p { strong { (when) } br; (place) }
            (button(manage_url, "See or change your booking"))
            p style="color:#7a746c;font-size:14px" { (policy) }
            p style="color:#7a746c;font-size:14px" { "If you did not make this booking, open the link above and cancel it." }
        },
    );
    let text = format!(
        "{title}\n\nYour {} ({}) {line}\n\n{when}\n{place}\n\nSee or change your booking: {manage_url}\n\n{policy}\n\
         If you did not make this booking, open the link above and cancel it.\n",
        b.type_name, b.reference
    );
    EmailContent {
        kind: if confirmed {
            "booking_confirmed"
        } else {
            "booking_requested"
        },
        subject: format!("{title}: {} ({})", b.type_name, b.reference),
        html,
        text,
    }
}

/// To staff: a new booking with everything the customer wrote (`Reply-To` the customer).
pub fn staff_notice(state: &AppState, b: &Booking) -> EmailContent {
    let when = when(state, b);
    let place = b.location().map_or("", |l| l.label());
    let admin_url = state.url(&format!("/admin/booking/{}", b.id));
    let action = if b.status == Status::Pending {
        "waits for your confirmation"
    } else {
        "is confirmed"
    };
    let html = layout(
        "New booking",
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { "New booking " (b.reference) }
            p { strong { (b.type_name) } " " (action) "." }
            p { (when) br; (place) @if !b.address.is_empty() { ": " (b.address) } }
            p { (b.name) " · " (b.email) @if !b.phone.is_empty() { " · " (b.phone) } }
            @if !b.customer_notes.is_empty() { p style="white-space:pre-wrap" { (b.customer_notes) } }
            (button(&admin_url, "Open the booking"))
        },
    );
    let text = format!(
        "New booking {reference}\n\n{kind} {action}.\n\n{when}\n{place} {address}\n\n{name} · {email} · {phone}\n\n{notes}\n\nOpen the booking: {admin_url}\n",
        reference = b.reference,
        kind = b.type_name,
        address = b.address,
        name = b.name,
        email = b.email,
        phone = b.phone,
        notes = b.customer_notes,
    );
    EmailContent {
        kind: "booking_staff_notice",
        subject: format!("New booking {}: {} ({})", b.reference, b.type_name, b.name),
        html,
        text,
    }
}

/// To the customer when their booking is cancelled.
pub fn cancelled(state: &AppState, b: &Booking) -> EmailContent {
    let when = when(state, b);
    let html = layout(
        "Your booking is cancelled",
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { "Your booking is cancelled" }
            p { "Your " strong { (b.type_name) } " (" (b.reference) ") on " (when) " is cancelled." }
            p style="color:#7a746c;font-size:14px" { "If this is a mistake, reply to this email and we will sort it out." }
        },
    );
    let text = format!(
        "Your booking is cancelled\n\nYour {} ({}) on {when} is cancelled.\n\n\
         If this is a mistake, reply to this email and we will sort it out.\n",
        b.type_name, b.reference
    );
    EmailContent {
        kind: "booking_cancelled",
        subject: format!("Cancelled: {} ({})", b.type_name, b.reference),
        html,
        text,
    }
}

/// To the customer the day before: what, when, where, and the booking's link.
pub fn reminder(state: &AppState, b: &Booking, manage_url: &str) -> EmailContent {
    let when = when(state, b);
    let place = b.location().map_or("", |l| l.label());
    let html = layout(
        "See you tomorrow",
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { "See you tomorrow" }
            p { "A reminder of your " strong { (b.type_name) } " (" (b.reference) ")." }
            p { strong { (when) } br; (place) }
            (button(manage_url, "See your booking"))
            p style="color:#7a746c;font-size:14px" { "Something changed? Reply to this email." }
        },
    );
    let text = format!(
        "See you tomorrow\n\nA reminder of your {} ({}).\n\n{when}\n{place}\n\nSee your booking: {manage_url}\n\n\
         Something changed? Reply to this email.\n",
        b.type_name, b.reference
    );
    EmailContent {
        kind: "booking_reminder",
        subject: format!("Tomorrow: {} ({})", b.type_name, b.reference),
        html,
        text,
    }
}

/// To staff: a booking that needs a person (a late or mismatched deposit, a refund that did
/// not go through).
pub fn staff_attention(b: &Booking, note: &str, admin_url: &str) -> EmailContent {
    let title = format!("Booking {} needs you", b.reference);
    let html = layout(
        &title,
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { (title) }
            p { (note) }
            (button(admin_url, "Open the booking"))
        },
    );
    let text = format!("{title}\n\n{note}\n\nOpen the booking: {admin_url}\n");
    EmailContent {
        kind: "booking_attention",
        subject: title.clone(),
        html,
        text,
    }
}

/// To the customer when a refund of their deposit went through.
pub fn refund_issued(b: &Booking, amount_minor: i64) -> EmailContent {
    let amount = crate::money::Money::of_code(amount_minor, &b.currency);
    let title = "Your deposit is refunded";
    let html = layout(
        title,
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { (title) }
            p { "We refunded " strong { (amount) } " of the deposit for " (b.type_name) " (" (b.reference) ")." }
            p style="color:#7a746c;font-size:14px" { "It reaches your account within 5–10 working days, depending on your bank." }
        },
    );
    let text = format!(
        "{title}\n\nWe refunded {amount} of the deposit for {} ({}).\n\n\
         It reaches your account within 5–10 working days, depending on your bank.\n",
        b.type_name, b.reference
    );
    EmailContent {
        kind: "booking_refund",
        subject: format!("Refund: {} ({})", b.type_name, b.reference),
        html,
        text,
    }
}

/// To the customer when their booking moved (by them or by the studio): the new time, and
/// the one it replaces.
pub fn moved(state: &AppState, b: &Booking, was: &str, manage_url: &str) -> EmailContent {
    let when = when(state, b);
    let place = b.location().map_or("", |l| l.label());
    let title = "Your booking has a new time";
    let html = layout(
        title,
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { (title) }
            p { "Your " strong { (b.type_name) } " (" (b.reference) ") is now on:" }
            p { strong { (when) } br; (place) }
            p style="color:#7a746c;font-size:14px" { "It replaces " (was) "." }
            (button(manage_url, "See or change your booking"))
            p style="color:#7a746c;font-size:14px" { "If you did not ask for this change, reply to this email." }
        },
    );
    let text = format!(
        "{title}\n\nYour {} ({}) is now on:\n\n{when}\n{place}\n\nIt replaces {was}.\n\n\
         See or change your booking: {manage_url}\n\nIf you did not ask for this change, reply to this email.\n",
        b.type_name, b.reference
    );
    EmailContent {
        kind: "booking_moved",
        subject: format!("New time: {} ({})", b.type_name, b.reference),
        html,
        text,
    }
}

/// To staff when a customer moved their booking (`Reply-To` the customer).
pub fn staff_moved(state: &AppState, b: &Booking, was: &str) -> EmailContent {
    let when = when(state, b);
    let admin_url = state.url(&format!("/admin/booking/{}", b.id));
    let title = format!("Booking {} moved by the customer", b.reference);
    let html = layout(
        &title,
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { (title) }
            p { strong { (b.type_name) } " for " (b.name) " is now on " strong { (when) } "." }
            p { "It was on " (was) "." }
            (button(&admin_url, "Open the booking"))
        },
    );
    let text = format!(
        "{title}\n\n{} for {} is now on {when}.\nIt was on {was}.\n\nOpen the booking: {admin_url}\n",
        b.type_name, b.name
    );
    EmailContent {
        kind: "booking_staff_moved",
        subject: title.clone(),
        html,
        text,
    }
}
