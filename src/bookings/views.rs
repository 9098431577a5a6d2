//! The booking pages: choose a type, a day on the month calendar, a time, your details, review
//! and confirm; and a booking's own page (the manage link). Every step is a plain link or form;
//! htmx swaps the calendar and the times in place when JavaScript is on.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use maud::{Markup, html};

use super::availability::Slot;
use super::emails::{span_label, zone_label};
use super::model::{Booking, BookingTypeRow, Location, Status};
use super::service::{Bookable, Details};
use crate::error::FieldErrors;
use crate::http::context::RequestContext;
use crate::money::{Currency, Money};
use crate::views::components::{Field, csrf_field, error_summary, page_hero, paragraphs};
use crate::views::{PageMeta, page};

fn price(t: &BookingTypeRow, minor: i64) -> Markup {
    match Currency::parse(&t.currency) {
        Some(c) => html! { (Money::new(minor, c)) },
        None => html! { (minor) },
    }
}

fn price_line(t: &BookingTypeRow) -> Markup {
    html! {
        @if t.price_minor == 0 { "Free" }
        @else {
            (price(t, t.price_minor))
            @if t.deposit_minor() > 0 { " · deposit " (price(t, t.deposit_minor())) }
        }
    }
}

/// "Video call or at the studio".
fn places(t: &BookingTypeRow) -> String {
    let labels: Vec<String> = t
        .location_list()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let label = l.label();
            if i == 0 {
                label.to_owned()
            } else {
                let mut chars = label.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_lowercase().chain(chars).collect()
                })
            }
        })
        .collect();
    labels.join(" or ")
}

/// `GET /book`: what can be booked.
pub fn types_page(ctx: &RequestContext, types: &[BookingTypeRow]) -> Markup {
    let body = html! {
        (page_hero("Book", "Book a consultation or a shoot", Some("Choose what you need, then a day and a time that suit you. Every time is shown in the studio's time zone.")))
        section.section.section-tight {
            div.container {
                @if types.is_empty() {
                    p.empty-state { "Nothing can be booked online right now. " a href="/contact" { "Write to us" } " instead." }
                }
                h2.visually-hidden { "What you can book" }
                div.card-grid {
                    @for t in types {
                        article.card.booking-type-card {
                            h3 { a href=(format!("/book/{}", t.slug)) { (t.name) } }
                            p.booking-type-facts { (t.length_label()) " · " (price_line(t)) }
                            p { (t.description) }
                            p.muted {
                                (places(t))
                                @if !t.auto_confirm { " · confirmed by the studio" }
                            }
                            a.button.button-primary href=(format!("/book/{}", t.slug)) { "Choose a day" }
                        }
                    }
                }
            }
        }
    };
    page(
        ctx,
        PageMeta {
            title: "Book",
            description: "Book a free consultation or a shoot with FlashStudio.",
        },
        body,
    )
}

/// Where the picker's links go: booking a new time, or moving a booking.
#[derive(Debug, Clone)]
pub struct PickerRoute {
    /// The picker's own address (months and days are its query).
    pub base: String,
    /// A time's link: this, then the start in epoch seconds.
    pub choose: String,
}

impl PickerRoute {
    /// Booking `slug`: `/book/{slug}`, then the details form.
    pub fn booking(slug: &str) -> Self {
        Self {
            base: format!("/book/{slug}"),
            choose: format!("/book/{slug}/details?start="),
        }
    }

    /// Moving the booking whose page is `manage_path`.
    pub fn moving(manage_path: &str) -> Self {
        Self {
            base: format!("{manage_path}/reschedule"),
            choose: format!("{manage_path}/reschedule?start="),
        }
    }
}

/// What the picker shows.
#[derive(Debug)]
pub struct Picker<'a> {
    pub kind: &'a Bookable,
    pub route: &'a PickerRoute,
    pub zone: &'a TimeZone,
    /// The month shown (its first day).
    pub month: Date,
    /// Days of that month with a free start.
    pub free_days: &'a [Date],
    pub today: Date,
    /// Previous and next months, when they can hold bookings.
    pub previous: Option<Date>,
    pub next: Option<Date>,
    /// The chosen day and its free starts.
    pub day: Option<(Date, &'a [Slot])>,
    /// A sentence above the times (the slot just went, a bad date).
    pub notice: Option<&'a str>,
}

fn month_href(base: &str, month: Date) -> String {
    format!("{base}?month={}", month.strftime("%Y-%m"))
}

fn day_href(base: &str, day: Date) -> String {
    format!(
        "{base}?month={}&day={}",
        day.strftime("%Y-%m"),
        day.strftime("%Y-%m-%d")
    )
}

/// The calendar and the day's times: `#booking-picker`, the htmx target.
pub fn picker(p: &Picker<'_>) -> Markup {
    let base = &p.route.base;
    let first = p.month;
    let offset = i64::from(first.weekday().to_monday_zero_offset());
    let days = i64::from(first.days_in_month());
    let cells = (offset + days).div_euclid(7) * 7 + if (offset + days) % 7 == 0 { 0 } else { 7 };
    html! {
        div #booking-picker .booking-picker data-studio-zone=(p.zone.iana_name().unwrap_or("UTC")) {
            section.calendar aria-labelledby="calendar-title" {
                div.calendar-head {
                    @if let Some(prev) = p.previous {
                        a.button.button-small.button-secondary href=(month_href(base, prev)) hx-get=(month_href(base, prev))
                            hx-target="#booking-picker" hx-swap="outerHTML" hx-push-url="true" rel="prev" { "← " span.visually-hidden { "Previous month" } }
                    } @else { span {} }
                    h2 #calendar-title { (first.strftime("%B %Y")) }
                    @if let Some(next) = p.next {
                        a.button.button-small.button-secondary href=(month_href(base, next)) hx-get=(month_href(base, next))
                            hx-target="#booking-picker" hx-swap="outerHTML" hx-push-url="true" rel="next" { span.visually-hidden { "Next month" } " →" }
                    } @else { span {} }
                }
                table.calendar-grid {
                    thead { tr { @for d in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] { th scope="col" { (d) } } } }
                    tbody {
                        @for week in 0..(cells / 7) {
                            tr {
                                @for col in 0..7 {
                                    @let n = week * 7 + col - offset;
                                    @if n < 0 || n >= days {
                                        td.calendar-pad {}
                                    } @else {
                                        @let day = first.checked_add(jiff::Span::new().days(n)).unwrap_or(first);
                                        @let free = p.free_days.contains(&day);
                                        @let chosen = p.day.is_some_and(|(d, _)| d == day);
                                        td class=(format!("{}{}{}", if free { "is-free" } else { "is-full" }, if day == p.today { " is-today" } else { "" }, if chosen { " is-chosen" } else { "" })) {
                                            @if free {
                                                a href=(day_href(base, day)) hx-get=(day_href(base, day)) hx-target="#booking-picker"
                                                    hx-swap="outerHTML" hx-push-url="true"
                                                    aria-current=[chosen.then_some("date")]
                                                    aria-label=(format!("{}, free times", day.strftime("%A %-d %B"))) { (day.day()) }
                                            } @else {
                                                span aria-label=(format!("{}, nothing free", day.strftime("%A %-d %B"))) { (day.day()) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                p.hint { "Days with a free time are links. Times are " (zone_label(p.zone)) "." }
            }
            section.day-times aria-live="polite" {
                @if let Some(notice) = p.notice { div.alert.alert-info role="status" { p { (notice) } } }
                @match p.day {
                    None => { p.muted { "Choose a day to see its free times." } }
                    Some((day, slots)) => {
                        h2 { (day.strftime("%A %-d %B")) }
                        @if slots.is_empty() {
                            p { "Nothing is free that day any more. Choose another day." }
                        } @else {
                            ul.time-list {
                                @for s in slots {
                                    li {
                                        a.button.button-secondary href=(format!("{}{}", p.route.choose, s.start.as_second()))
                                            data-start-utc=(s.start.as_second()) {
                                            (s.local_start.strftime("%H:%M"))
                                            span.visually-hidden { " on " (day.strftime("%A %-d %B")) }
                                        }
                                    }
                                }
                            }
                            p.hint { (p.kind.row.length_label()) " each. The time zone is " (zone_label(p.zone)) "." }
                            // site.js fills this in when the visitor's own zone differs.
                            p.hint.local-zone-note hidden {}
                        }
                    }
                }
            }
        }
    }
}

/// `GET /book/{slug}`: the type, the calendar and the day's times.
pub fn picker_page(ctx: &RequestContext, p: &Picker<'_>) -> Markup {
    let t = &p.kind.row;
    let body = html! {
        div.container.breadcrumbs { a href="/book" { "Book" } }
        section.section.section-tight {
            div.container {
                div.booking-intro {
                    h1 { (t.name) }
                    p.lead { (t.length_label()) " · " (price_line(t)) }
                    (paragraphs(&t.description))
                }
                (picker(p))
            }
        }
    };
    page(
        ctx,
        PageMeta {
            title: &t.name,
            description: "Choose a day and a time for your booking.",
        },
        body,
    )
}

/// `GET /bookings/{id}/{sig}/reschedule`: the calendar for a new time.
pub fn reschedule_page(ctx: &RequestContext, b: &Booking, p: &Picker<'_>) -> Markup {
    let body = html! {
        section.section.section-tight {
            div.container {
                div.booking-intro {
                    p.eyebrow { "Booking " (b.reference) }
                    h1 { "Move your " (b.type_name.to_lowercase()) }
                    p.lead { "Now: " (span_label(p.zone, b.starts_at, b.ends_at)) }
                    p { "Choose a new day and time. Your booking keeps its reference and its deposit; nothing changes until you confirm." }
                }
                (picker(p))
            }
        }
    };
    page(
        ctx,
        PageMeta::titled(&format!("Move booking {}", b.reference)),
        body,
    )
}

/// `GET /bookings/{id}/{sig}/reschedule?start=`: the new time, to confirm.
pub fn reschedule_confirm(
    ctx: &RequestContext,
    zone: &TimeZone,
    b: &Booking,
    manage_path: &str,
    slot: &Slot,
) -> Markup {
    let body = html! {
        section.section.section-tight {
            div.container.narrow {
                form.panel.stack method="post" action=(format!("{manage_path}/reschedule")) {
                    p.eyebrow { "Booking " (b.reference) }
                    h1 { "Move to this time?" }
                    (csrf_field(ctx))
                    input type="hidden" name="start" value=(slot.start.as_second());
                    input type="hidden" name="confirm" value="yes";
                    dl.facts {
                        dt { "What" } dd { (b.type_name) }
                        dt { "From" } dd { (span_label(zone, b.starts_at, b.ends_at)) }
                        dt { "To" } dd { strong { (span_label(zone, slot.start.as_second(), slot.end.as_second())) } }
                    }
                    p.hint { "You get an email with the new time and an updated calendar invite." }
                    div.form-actions {
                        button.button.button-primary type="submit" { "Move my booking" }
                        a.button.button-ghost href=(format!("{manage_path}/reschedule")) { "Choose another time" }
                    }
                }
            }
        }
    };
    page(ctx, PageMeta::titled("Move your booking"), body)
}

fn summary(t: &BookingTypeRow, zone: &TimeZone, slot: &Slot) -> Markup {
    html! {
        dl.facts {
            dt { "What" } dd { (t.name) }
            dt { "When" } dd { (span_label(zone, slot.start.as_second(), slot.end.as_second())) }
            dt { "Price" } dd { (price_line(t)) }
        }
    }
}

/// `GET /book/{slug}/details` and its re-render with errors.
pub fn details_page(
    ctx: &RequestContext,
    b: &Bookable,
    zone: &TimeZone,
    slot: &Slot,
    d: &Details,
    errors: &FieldErrors,
) -> Markup {
    let t = &b.row;
    let locations = t.location_list();
    let start = slot.start.as_second().to_string();
    let body = html! {
        div.container.breadcrumbs { a href="/book" { "Book" } " / " a href=(format!("/book/{}", t.slug)) { (t.name) } }
        section.section.section-tight {
            div.container.grid-2 {
                form.panel.stack method="post" action=(format!("/book/{}/review", t.slug)) novalidate {
                    h1 { "Your details" }
                    (csrf_field(ctx))
                    input type="hidden" name="start" value=(start);
                    (error_summary(errors))
                    (Field::new("name", "Your name", "text").value(Some(&d.name)).autocomplete("name").render(errors))
                    (Field::new("email", "Email", "email").value(Some(&d.email)).autocomplete("email").hint("The confirmation and your booking's link go here.").render(errors))
                    (Field::new("phone", "Phone", "tel").value(Some(&d.phone)).autocomplete("tel").optional().render(errors))
                    @if locations.len() > 1 {
                        fieldset class=(if errors.get("location").is_some() { "field has-error" } else { "field" }) {
                            legend { "Where" }
                            @for l in &locations {
                                label.choice {
                                    input type="radio" name="location" value=(l.as_str()) checked[d.location == l.as_str()];
                                    " " (l.label())
                                }
                            }
                            @if let Some(e) = errors.get("location") { p.field-error { (e) } }
                        }
                    } @else if let Some(l) = locations.first() {
                        input type="hidden" name="location" value=(l.as_str());
                    }
                    @if locations.contains(&Location::Client) {
                        (Field::new("address", "Address (when we come to you)", "text").value(Some(&d.address)).autocomplete("street-address").optional().render(errors))
                    }
                    div class=(if errors.get("notes").is_some() { "field has-error" } else { "field" }) {
                        label for="notes" { "Anything we should know " span.optional { "(optional)" } }
                        textarea #notes name="notes" rows="4" aria-invalid=[errors.get("notes").map(|_| "true")] { (d.notes) }
                        @if let Some(e) = errors.get("notes") { p.field-error { (e) } }
                    }
                    button.button.button-primary type="submit" { "Review the booking" }
                }
                aside.panel {
                    h2 { "Your booking" }
                    (summary(t, zone, slot))
                    p { a href=(format!("/book/{}?month={}&day={}", t.slug, slot.local_start.strftime("%Y-%m"), slot.local_start.strftime("%Y-%m-%d"))) { "Choose another time" } }
                }
            }
        }
    };
    page(ctx, PageMeta::titled("Your details"), body)
}

/// `POST /book/{slug}/review`: everything once more, and the button that books.
pub fn review_page(
    ctx: &RequestContext,
    b: &Bookable,
    zone: &TimeZone,
    slot: &Slot,
    d: &Details,
) -> Markup {
    let t = &b.row;
    let location = Location::parse(&d.location);
    let body = html! {
        div.container.breadcrumbs { a href="/book" { "Book" } " / " a href=(format!("/book/{}", t.slug)) { (t.name) } }
        section.section.section-tight {
            div.container.narrow {
                form.panel.stack method="post" action=(format!("/book/{}", t.slug)) {
                    h1 { "Check and confirm" }
                    (csrf_field(ctx))
                    input type="hidden" name="start" value=(slot.start.as_second());
                    @for (name, value) in [("name", &d.name), ("email", &d.email), ("phone", &d.phone), ("location", &d.location), ("address", &d.address), ("notes", &d.notes)] {
                        input type="hidden" name=(name) value=(value);
                    }
                    (summary(t, zone, slot))
                    dl.facts {
                        dt { "Name" } dd { (d.name) }
                        dt { "Email" } dd { (d.email) }
                        @if !d.phone.trim().is_empty() { dt { "Phone" } dd { (d.phone) } }
                        @if let Some(l) = location { dt { "Where" } dd { (l.label()) @if l == Location::Client { ": " (d.address) } } }
                        @if !d.notes.trim().is_empty() { dt { "Notes" } dd { (d.notes) } }
                    }
                    p.hint { (t.policy().describe(t.deposit_minor())) }
                    @if t.deposit_minor() > 0 {
                        p { "Next you pay the deposit of " strong { (price(t, t.deposit_minor())) } " on the payment page. Your time is held for you for about half an hour meanwhile; once the deposit is paid, the booking is confirmed." }
                    } @else if !t.auto_confirm {
                        p { "The studio confirms this booking within one working day; the time is kept for you meanwhile." }
                    }
                    div.form-actions {
                        button.button.button-primary type="submit" {
                            @if t.deposit_minor() > 0 { "Book and pay the deposit" } @else { "Book it" }
                        }
                        a.button.button-ghost href=(format!("/book/{}/details?start={}", t.slug, slot.start.as_second())) { "Change the details" }
                    }
                }
            }
        }
    };
    page(ctx, PageMeta::titled("Check and confirm"), body)
}

/// `GET /bookings/{id}/{sig}`: a booking's own page, with cancelling when still allowed.
/// What a booking's own page shows.
#[derive(Debug)]
pub struct BookingPage<'a> {
    pub booking: &'a Booking,
    pub manage_path: &'a str,
    /// The customer may still cancel or move it.
    pub self_service: bool,
    pub arrival: Arrival,
    /// Its reference files.
    pub files: &'a [super::store::BookingFile],
}

pub fn booking_page(ctx: &RequestContext, zone: &TimeZone, p: &BookingPage<'_>) -> Markup {
    let (b, manage_path, self_service, arrival) =
        (p.booking, p.manage_path, p.self_service, p.arrival);
    let just_booked = arrival == Arrival::Booked;
    let policy = b.policy();
    let badge = format!("status-badge status-{}", b.status.as_str());
    let body = html! {
        section.section.section-tight {
            div.container.narrow {
                @if just_booked {
                    div.alert.alert-success role="status" {
                        p {
                            @if b.status == Status::Confirmed { "Booked. A confirmation is on its way to " (b.email) "." }
                            @else { "Thank you. The studio will confirm within one working day; an email is on its way to " (b.email) "." }
                        }
                    }
                }
                @if arrival == Arrival::Paid && b.status == Status::Held {
                    div.alert.alert-info role="status" {
                        p { "Thank you. We are waiting for the payment to reach us; this page shows the booking confirmed as soon as it does, and an email follows." }
                    }
                } @else if arrival == Arrival::Paid && b.status == Status::Confirmed {
                    div.alert.alert-success role="status" {
                        p { "Deposit received: your booking is confirmed. A confirmation with a calendar invite is on its way to " (b.email) "." }
                    }
                } @else if arrival == Arrival::PaymentCancelled && b.status == Status::Held {
                    div.alert.alert-info role="status" {
                        p { "The deposit was not paid. Your time stays held until the time below; pay to keep it." }
                    }
                }
                div.panel.stack {
                    p.eyebrow { "Booking " (b.reference) }
                    h1 { (b.type_name) }
                    p { span class=(badge) { (b.status.label()) } }
                    dl.facts {
                        dt { "When" } dd { (span_label(zone, b.starts_at, b.ends_at)) }
                        @if let Some(l) = b.location() { dt { "Where" } dd { (l.label()) @if l == Location::Client && !b.address.is_empty() { ": " (b.address) } } }
                        dt { "Name" } dd { (b.name) }
                        @if b.deposit_minor > 0 {
                            dt { "Deposit" } dd {
                                @match Currency::parse(&b.currency) { Some(c) => { (Money::new(b.deposit_minor, c)) } None => { (b.deposit_minor) } }
                            }
                        }
                    }
                    @if b.status == Status::Held {
                        @if let Some(until) = b.hold_expires_at.and_then(|t| jiff::Timestamp::from_second(t).ok()) {
                            p { "Your time is held until " strong { (until.to_zoned(zone.clone()).strftime("%H:%M")) } " while you pay the deposit. Unpaid, it is released then." }
                        }
                        form method="post" action=(format!("{manage_path}/pay")) {
                            (csrf_field(ctx))
                            button.button type="submit" { "Pay the deposit" }
                        }
                    }
                    p.hint { (policy.describe(b.deposit_minor)) }
                    p.hint { "Keep this page's address: it is your link to this booking (it is also in your email)." }
                }
                (files_panel(ctx, b, manage_path, p.files))
                @if self_service && matches!(b.status, Status::Pending | Status::Confirmed) {
                    div.panel.stack {
                        h2 { "Another time?" }
                        p { "Move the booking to another free time; it keeps its reference and its deposit." }
                        p { a.button.button-secondary href=(format!("{manage_path}/reschedule")) { "Move to another time" } }
                    }
                }
                @if self_service {
                    form.panel.stack method="post" action=(format!("{manage_path}/cancel")) {
                        h2 { "Cancel this booking" }
                        (csrf_field(ctx))
                        div.field {
                            label for="reason" { "Why " span.optional { "(optional)" } }
                            input #reason name="reason" type="text" maxlength="500";
                        }
                        label.choice {
                            input type="checkbox" name="confirm" value="yes" required;
                            " Yes, cancel my booking"
                        }
                        button.button.button-danger type="submit" { "Cancel the booking" }
                    }
                } @else if b.status.blocks_time() {
                    p.muted { "It is too late to change this booking online. " a href="/contact" { "Contact the studio" } "." }
                }
            }
        }
    };
    page(
        ctx,
        PageMeta::titled(&format!("Booking {}", b.reference)),
        body,
    )
}

/// The booking's reference files, and a form for one more while it takes them (a plain
/// multipart form: it works without JavaScript; the CSRF token rides in the query, as for
/// every streamed upload).
fn files_panel(
    ctx: &RequestContext,
    b: &Booking,
    manage_path: &str,
    files: &[super::store::BookingFile],
) -> Markup {
    let open = super::files::takes_files(b, files.len());
    html! {
        @if open || !files.is_empty() {
            section.panel.stack aria-labelledby="files-title" {
                h2 #files-title { "Reference files" }
                @if files.is_empty() {
                    p { "A brief, a mood board or a few stills help the studio prepare. They are seen by the studio only." }
                } @else {
                    ul.plain-list {
                        @for f in files {
                            li { (f.file_name) span.muted { " · " (crate::media::upload::human_size(u64::try_from(f.size_bytes).unwrap_or(0))) } }
                        }
                    }
                }
                @if open {
                    form.stack method="post" enctype="multipart/form-data"
                        action=(format!("{manage_path}/files?csrf_token={}", ctx.csrf_token)) {
                        div.field {
                            label for="reference-file" { "Add a file " span.optional { "(at most " (super::files::MAX_FILES) " files of 25 MiB each: images, PDF or documents)" } }
                            input #reference-file type="file" name="file" required;
                        }
                        button.button.button-secondary type="submit" { "Send the file" }
                    }
                }
            }
        }
    }
}

/// How the customer reached the booking's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// By its link.
    Link,
    /// Right after booking it.
    Booked,
    /// Back from the deposit's checkout, paid.
    Paid,
    /// Back from the deposit's checkout, without paying.
    PaymentCancelled,
}

/// `GET /account/bookings`.
pub fn account_bookings(
    ctx: &RequestContext,
    zone: &TimeZone,
    upcoming: &[(Booking, String)],
    past: &[(Booking, String)],
) -> Markup {
    let list = |rows: &[(Booking, String)]| {
        html! {
            ul.booking-list {
                @for (b, link) in rows {
                    li {
                        a href=(link) { strong { (b.type_name) } " · " (b.reference) }
                        br;
                        (span_label(zone, b.starts_at, b.ends_at)) " · " (b.status.label())
                    }
                }
            }
        }
    };
    let body = html! {
        section.section.section-tight {
            div.container.narrow {
                h1 { "Your bookings" }
                @if upcoming.is_empty() && past.is_empty() {
                    p { "No bookings yet. " a href="/book" { "Book a consultation or a shoot" } }
                }
                @if !upcoming.is_empty() { h2 { "Upcoming" } (list(upcoming)) }
                @if !past.is_empty() { h2 { "Past" } (list(past)) }
                p { a href="/account" { "← Your account" } }
            }
        }
    };
    page(ctx, PageMeta::titled("Your bookings"), body)
}
