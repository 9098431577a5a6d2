//! One customer's history, newest first: orders, payments, refunds, bookings, quote
//! requests, reviews, messages and the emails the studio sent them, each read through the
//! owning domain's own function and merged here.

use crate::money::Money;
use crate::payments::state::RefundStatus;
use crate::ports::payments::PaymentPurpose;
use crate::state::AppState;

/// How many of each kind of row are read; the timeline says when there may be more.
pub const PER_KIND: i64 = 50;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The account was created.
    Account,
    /// An order placed.
    Order,
    /// Money captured.
    Payment,
    /// Money given back.
    Refund,
    /// A booking made.
    Booking,
    /// A quote requested.
    Quote,
    /// A review written.
    Review,
    /// A contact message.
    Message,
    /// An email the studio sent.
    Email,
}

impl Kind {
    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Account => "Account",
            Kind::Order => "Order",
            Kind::Payment => "Payment",
            Kind::Refund => "Refund",
            Kind::Booking => "Booking",
            Kind::Quote => "Quote",
            Kind::Review => "Review",
            Kind::Message => "Message",
            Kind::Email => "Email",
        }
    }
}

/// One entry of the timeline.
#[derive(Debug, Clone)]
pub struct Event {
    /// When (epoch seconds).
    pub at: i64,
    /// What kind of thing.
    pub kind: Kind,
    /// What, in a line.
    pub title: String,
    /// Its state now, or an amount.
    pub detail: String,
    /// The staff page for it.
    pub link: Option<String>,
}

/// A customer's timeline and whether some kind was cut at [`PER_KIND`] rows.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Newest first.
    pub events: Vec<Event>,
    /// Some kind had more rows than were read.
    pub truncated: bool,
}

/// Who the timeline is of: the account (if any) and the email address.
#[derive(Debug, Clone, Copy)]
pub struct Whose<'a> {
    /// The account, if any.
    pub user_id: Option<&'a str>,
    /// The address (lowercased).
    pub email: &'a str,
    /// When the account was created, if there is one.
    pub account_created_at: Option<i64>,
}

/// Reads and merges everything `whose` did.
pub async fn of(state: &AppState, whose: Whose<'_>) -> anyhow::Result<Timeline> {
    let rows = read(state, whose).await?;
    let truncated = [
        rows.orders.len(),
        rows.bookings.len(),
        rows.quotes.len(),
        rows.messages.len(),
        rows.emails.len(),
        rows.reviews.len(),
    ]
    .iter()
    .any(|n| i64::try_from(*n).unwrap_or(i64::MAX) >= PER_KIND);
    let mut events = Vec::new();
    if let Some(at) = whose.account_created_at {
        events.push(Event {
            at,
            kind: Kind::Account,
            title: "Account created".to_owned(),
            detail: String::new(),
            link: None,
        });
    }
    money_events(&rows, &mut events);
    service_events(&rows, &mut events);
    events.sort_by_key(|e| std::cmp::Reverse(e.at));
    Ok(Timeline { events, truncated })
}

/// Each domain's rows for one customer.
struct Rows {
    orders: Vec<crate::orders::store::Order>,
    bookings: Vec<crate::bookings::model::Booking>,
    quotes: Vec<crate::quotes::model::Quote>,
    messages: Vec<crate::site::store::ContactMessage>,
    emails: Vec<crate::notifications::store::EmailRow>,
    reviews: Vec<crate::reviews::store::AdminReview>,
    payments: Vec<crate::payments::store::Payment>,
    refunds: Vec<crate::payments::store::Refund>,
}

async fn read(state: &AppState, whose: Whose<'_>) -> anyhow::Result<Rows> {
    let pool = state.db.pool();
    let (user_id, email) = (whose.user_id, whose.email);
    let orders = crate::orders::store::of_customer(pool, user_id, email, PER_KIND).await?;
    let bookings = crate::bookings::store::of_customer(pool, user_id, email, PER_KIND).await?;
    let quotes = crate::quotes::store::of_customer(pool, user_id, email, PER_KIND).await?;
    let subjects: Vec<String> = orders
        .iter()
        .map(|o| o.id.clone())
        .chain(bookings.iter().map(|b| b.id.clone()))
        .chain(quotes.iter().map(|q| q.id.clone()))
        .collect();
    Ok(Rows {
        payments: crate::payments::store::of_subjects(pool, &subjects).await?,
        refunds: crate::payments::store::refunds_of_subjects(pool, &subjects).await?,
        messages: crate::site::store::contact_messages_from(pool, email, PER_KIND).await?,
        emails: crate::notifications::store::emails_to(pool, email, PER_KIND).await?,
        reviews: match user_id {
            Some(id) => crate::reviews::store::of_user(pool, id, PER_KIND).await?,
            None => Vec::new(),
        },
        orders,
        bookings,
        quotes,
    })
}

/// The staff page of the order, booking or quote `subject`.
fn link_of(rows: &Rows, subject: &str) -> Option<String> {
    if rows.orders.iter().any(|o| o.id == subject) {
        Some(format!("/admin/order/{subject}"))
    } else if rows.bookings.iter().any(|b| b.id == subject) {
        Some(format!("/admin/booking/{subject}"))
    } else if rows.quotes.iter().any(|q| q.id == subject) {
        Some(format!("/admin/quote/{subject}"))
    } else {
        None
    }
}

/// Orders placed, payments captured, refunds.
fn money_events(rows: &Rows, events: &mut Vec<Event>) {
    for o in &rows.orders {
        events.push(Event {
            at: o.created_at,
            kind: Kind::Order,
            title: format!("Order {} placed", o.number),
            detail: format!(
                "{} · {}",
                Money::of_code(o.total_minor, &o.currency),
                o.status().label()
            ),
            link: Some(format!("/admin/order/{}", o.id)),
        });
    }
    for p in rows.payments.iter().filter(|p| p.captured_minor > 0) {
        events.push(Event {
            at: p.paid_at.unwrap_or(p.updated_at),
            kind: Kind::Payment,
            title: match p.purpose() {
                PaymentPurpose::Order => "Paid for an order",
                PaymentPurpose::Booking => "Paid a booking's deposit",
                PaymentPurpose::Quote => "Paid a quote's balance",
            }
            .to_owned(),
            detail: format!(
                "{} · {}",
                Money::of_code(p.captured_minor, &p.currency),
                p.status().label()
            ),
            link: link_of(rows, &p.order_id),
        });
    }
    for r in &rows.refunds {
        events.push(Event {
            at: r.created_at,
            kind: Kind::Refund,
            title: "Refund".to_owned(),
            detail: format!(
                "{} · {}",
                Money::of_code(r.amount_minor, &r.currency),
                refund_label(r.status())
            ),
            link: link_of(rows, &r.order_id),
        });
    }
}

/// Bookings, quote requests, reviews, messages and emails.
fn service_events(rows: &Rows, events: &mut Vec<Event>) {
    for b in &rows.bookings {
        events.push(Event {
            at: b.created_at,
            kind: Kind::Booking,
            title: format!("{} booked ({})", b.type_name, b.reference),
            detail: format!(
                "for {} · {}",
                crate::views::components::timestamp(b.starts_at),
                b.status.label()
            ),
            link: Some(format!("/admin/booking/{}", b.id)),
        });
    }
    for q in &rows.quotes {
        events.push(Event {
            at: q.created_at,
            kind: Kind::Quote,
            title: format!("Quote {} requested", q.reference),
            detail: q.state.label().to_owned(),
            link: Some(format!("/admin/quote/{}", q.id)),
        });
    }
    for r in &rows.reviews {
        events.push(Event {
            at: r.review.created_at,
            kind: Kind::Review,
            title: format!("Reviewed {} ({}/5)", r.product_title, r.review.rating),
            detail: r.review.status.clone(),
            link: Some(format!(
                "/admin/reviews?q={}",
                crate::views::components::query_value(&r.product_title)
            )),
        });
    }
    for m in &rows.messages {
        events.push(Event {
            at: m.created_at,
            kind: Kind::Message,
            title: if m.subject.is_empty() {
                "Message".to_owned()
            } else {
                format!("Message: {}", m.subject)
            },
            detail: m.status.clone(),
            link: Some(format!("/admin/messages/{}", m.id)),
        });
    }
    for e in &rows.emails {
        events.push(Event {
            at: e.created_at,
            kind: Kind::Email,
            title: format!("Sent “{}”", e.subject),
            detail: e.status.as_str().to_owned(),
            link: Some(format!("/admin/outbox/{}", e.id)),
        });
    }
}

fn refund_label(status: RefundStatus) -> &'static str {
    match status {
        RefundStatus::Pending => "pending",
        RefundStatus::Succeeded => "refunded",
        RefundStatus::Failed => "failed",
        RefundStatus::Canceled => "cancelled",
    }
}
