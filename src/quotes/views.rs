//! The customer's quote pages: the request form, the thank-you for robots, and a quote's own
//! page with its proposal, totals and answers. Every page works without JavaScript; with
//! it, ticking an extra updates the totals in place.

use maud::{Markup, html};

use super::model::{Proposal, Quote, State, Totals};
use super::service::RequestForm;
use crate::error::FieldErrors;
use crate::http::context::RequestContext;
use crate::money::Money;
use crate::site::store::Package;
use crate::views::components::{
    Field, csrf_field, error_summary, page_hero, paragraphs, timestamp,
};
use crate::views::layout::{PageMeta, page};

fn field_class(errors: &FieldErrors, name: &str) -> &'static str {
    if errors.get(name).is_some() {
        "field has-error"
    } else {
        "field"
    }
}

fn field_error(errors: &FieldErrors, name: &str) -> Markup {
    html! { @if let Some(e) = errors.get(name) { p.field-error id=(format!("{name}-error")) { (e) } } }
}

/// `GET /quote`: the request form.
pub fn request_page(
    ctx: &RequestContext,
    packages: &[Package],
    form: &RequestForm,
    errors: &FieldErrors,
    started: &str,
) -> Markup {
    let body = html! {
        (page_hero("Quote", "Tell us about your project", Some("A producer reads every request and sends you an itemised proposal within two working days. Accept it online and pay the deposit securely.")))
        section.section.section-tight {
            div.container.narrow {
                form.panel.stack method="post" action="/quote" novalidate {
                    (csrf_field(ctx))
                    input type="hidden" name="started" value=(started);
                    (error_summary(errors))
                    @if let Some(e) = errors.get("form") { div.alert.alert-error role="alert" { p { (e) } } }
                    (Field::new("name", "Your name", "text").value(Some(&form.name)).autocomplete("name").render(errors))
                    (Field::new("email", "Email", "email").value(Some(&form.email)).autocomplete("email").render(errors))
                    (Field::new("phone", "Phone", "tel").value(Some(&form.phone)).autocomplete("tel").optional().render(errors))
                    (Field::new("company", "Company", "text").value(Some(&form.company)).autocomplete("organization").optional().render(errors))
                    div class=(field_class(errors, "service")) {
                        label for="service" { "Package or service " span.optional { "(optional)" } }
                        input #service name="service" type="text" list="quote-packages" maxlength="160" value=(form.service);
                        datalist #quote-packages {
                            @for p in packages { option value=(p.name) {} }
                        }
                        p.hint { "Choose one of our packages or name the service, for example “Event coverage”." }
                        (field_error(errors, "service"))
                    }
                    fieldset.field-group {
                        legend { "When " span.optional { "(optional: a day, or the first and last day of a range)" } }
                        div.field-row {
                            (Field::new("date_from", "From", "date").value(Some(&form.date_from)).optional().render(errors))
                            (Field::new("date_to", "To", "date").value(Some(&form.date_to)).optional().render(errors))
                        }
                    }
                    (Field::new("location", "Where", "text").value(Some(&form.location)).optional().hint("Our studio, or the address or city of the shoot.").render(errors))
                    (Field::new("budget", "Budget", "text").value(Some(&form.budget)).optional().hint("A range is fine, for example “S$3,000–5,000”.").render(errors))
                    div class=(field_class(errors, "description")) {
                        label for="description" { "The project" }
                        textarea #description name="description" rows="7" required
                            aria-invalid=[errors.get("description").map(|_| "true")]
                            aria-describedby=[errors.get("description").map(|_| "description-error")] { (form.description) }
                        p.hint { "What you want to film, for whom, and what you need at the end." }
                        (field_error(errors, "description"))
                    }
                    // Never shown to people; robots fill it in.
                    div.honeypot aria-hidden="true" {
                        label for="website" { "Leave this empty" }
                        input #website name="website" type="text" tabindex="-1" autocomplete="off";
                    }
                    button.button.button-primary type="submit" { "Send the request" }
                    p.hint { "Once it is sent you can add reference files (a brief, a mood board) and ask questions from your quote's page." }
                }
            }
        }
    };
    page(
        ctx,
        PageMeta {
            title: "Request a quote",
            description: "Ask FlashStudio for a quote: tell us about your film and get an itemised proposal you can accept online.",
        },
        body,
    )
}

/// What a robot that filled in the hidden field sees.
pub fn request_thanks(ctx: &RequestContext) -> Markup {
    let body = html! {
        section.section.section-tight {
            div.container.narrow {
                div.panel role="status" {
                    h1 { "Thank you" }
                    p { "Your request is with us." }
                }
            }
        }
    };
    page(ctx, PageMeta::titled("Request a quote"), body)
}

/// What a quote's page shows.
#[derive(Debug)]
pub struct QuoteView<'a> {
    pub quote: &'a Quote,
    pub proposal: Option<&'a Proposal>,
    /// The extras chosen (positions).
    pub chosen: &'a [i64],
    /// The signed path of the page.
    pub path: &'a str,
    pub messages: &'a [super::model::Message],
    /// The reference files sent with it.
    pub files: &'a [crate::media::attachments::AttachedFile],
    /// `YYYY-MM-DD`, the studio's today.
    pub today: &'a str,
}

impl QuoteView<'_> {
    fn acceptable(&self) -> bool {
        self.quote.state == State::Quoted
            && !self.quote.awaits_deposit()
            && self
                .proposal
                .is_some_and(|p| p.revision.valid_until.as_str() >= self.today)
    }
}

/// The money of a proposal in its currency.
fn money(p: &Proposal, minor: i64) -> Money {
    Money::of_code(minor, &p.revision.currency)
}

/// The totals of a proposal for the chosen extras.
pub fn totals_table(p: &Proposal, t: &Totals) -> Markup {
    html! {
        table.quote-totals {
            tbody {
                tr { th scope="row" { "Subtotal" } td.num { (money(p, t.subtotal)) } }
                @if t.discount > 0 { tr { th scope="row" { "Discount" } td.num { "−" (money(p, t.discount)) } } }
                @if p.revision.tax_basis_points > 0 {
                    tr { th scope="row" { "Tax (" (p.revision.tax_basis_points / 100) @if p.revision.tax_basis_points % 100 != 0 { "." (format!("{:02}", p.revision.tax_basis_points % 100)) } "%)" } td.num { (money(p, t.tax)) } }
                }
                tr.total { th scope="row" { "Total" } td.num { (money(p, t.total)) } }
                @if t.deposit > 0 {
                    tr { th scope="row" { "Deposit, to confirm" } td.num { (money(p, t.deposit)) } }
                    tr { th scope="row" { "Balance, before the shoot" } td.num { (money(p, t.balance)) } }
                }
            }
        }
    }
}

/// The totals and the accept form: the part ticking an extra replaces.
pub fn answer_region(ctx: &RequestContext, v: &QuoteView<'_>, errors: &FieldErrors) -> Markup {
    let Some(p) = v.proposal else {
        return html! { div #quote-answer {} };
    };
    let totals = p.totals(v.chosen);
    html! {
        div #quote-answer .stack {
            (totals_table(p, &totals))
            @if v.acceptable() {
                form.panel.stack method="post" action=(format!("{}/accept", v.path)) novalidate {
                    h2 { "Accept the proposal" }
                    (csrf_field(ctx))
                    input type="hidden" name="revision" value=(p.revision.number);
                    @for e in v.chosen { input type="hidden" name="extra" value=(e); }
                    @if let Some(e) = errors.get("extra") { div.alert.alert-error role="alert" { p { (e) } } }
                    p { "You accept revision " (p.revision.number) " for " strong { (money(p, totals.total)) } @if !v.chosen.is_empty() { ", with the extras you ticked" } "." }
                    (Field::new("signature", "Type your full name to sign", "text").autocomplete("name").render(errors))
                    div class=(field_class(errors, "agree")) {
                        label.choice {
                            input type="checkbox" name="agree" value="yes" required;
                            " I agree to the terms above"
                        }
                        (field_error(errors, "agree"))
                    }
                    button.button.button-primary type="submit" { "Accept and sign" }
                }
            }
        }
    }
}

fn proposal_panel(
    ctx: &RequestContext,
    v: &QuoteView<'_>,
    p: &Proposal,
    errors: &FieldErrors,
) -> Markup {
    let acceptable = v.acceptable();
    html! {
        div.panel.stack {
            h2 { "The proposal" @if p.revision.number > 1 { " (revision " (p.revision.number) ")" } }
            @if !p.revision.message.is_empty() { div.prose { (paragraphs(&p.revision.message)) } }
            form #quote-extras .stack method="get" action=(v.path) hx-get=(v.path) hx-target="#quote-answer" hx-swap="outerHTML" hx-trigger="change" hx-push-url="true" {
                table.order-lines {
                    thead { tr { th { "Item" } th.num { "Qty" } th.num.col-unit { "Price" } th.num { "Amount" } } }
                    tbody {
                        @for l in &p.lines {
                            tr {
                                td {
                                    @if l.optional {
                                        label.choice {
                                            input type="checkbox" name="extra" value=(l.position) checked[v.chosen.contains(&l.position)] disabled[!acceptable];
                                            " " (l.description) " " span.badge { "Optional extra" }
                                        }
                                    } @else { (l.description) }
                                }
                                td.num { (l.quantity) }
                                td.num.col-unit { (money(p, l.unit_minor)) }
                                td.num { (money(p, l.amount())) }
                            }
                        }
                    }
                }
                @if p.has_extras() && acceptable {
                    // Without JavaScript the button updates the total; with it, ticking does.
                    button.button.button-secondary.button-small type="submit" { "Update total" }
                }
            }
            (answer_region(ctx, v, errors))
            p.hint { "Valid until " (p.revision.valid_until) ". Sent " (timestamp(p.revision.sent_at)) "." }
            @if !p.revision.terms.is_empty() {
                details.terms open {
                    summary { "Terms" }
                    div.prose { (paragraphs(&p.revision.terms)) }
                }
            }
        }
    }
}

fn request_panel(q: &Quote) -> Markup {
    html! {
        details.panel {
            summary { "Your request" }
            dl.facts {
                @if !q.service.is_empty() { dt { "Package or service" } dd { (q.service) } }
                @if let Some(from) = &q.preferred_from {
                    dt { "When" } dd { (from) @if let Some(to) = &q.preferred_to { " to " (to) } }
                }
                @if !q.location.is_empty() { dt { "Where" } dd { (q.location) } }
                @if !q.budget.is_empty() { dt { "Budget" } dd { (q.budget) } }
                dt { "Project" } dd { (paragraphs(&q.description)) }
            }
        }
    }
}

/// The reference files sent with the quote, and a form for one more while it takes them (a
/// plain multipart form: it works without JavaScript; the CSRF token rides in the query, as
/// for every upload).
fn files_panel(ctx: &RequestContext, v: &QuoteView<'_>) -> Markup {
    let open = super::files::takes_files(v.quote, v.files.len());
    html! {
        @if open || !v.files.is_empty() {
            section.panel.stack #files aria-labelledby="files-title" {
                h2 #files-title { "Reference files" }
                @if v.files.is_empty() {
                    p { "A brief, a mood board, a script or a few stills help us quote. They are seen by the studio only." }
                } @else {
                    ul.plain-list {
                        @for f in v.files {
                            li { (f.file_name) span.muted { " · " (crate::media::upload::human_size(u64::try_from(f.size_bytes).unwrap_or(0))) } }
                        }
                    }
                }
                @if open {
                    form.stack method="post" enctype="multipart/form-data"
                        action=(format!("{}/files?csrf_token={}", v.path, ctx.csrf_token)) {
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

/// A thread of messages, oldest first.
pub fn thread(messages: &[super::model::Message], studio: &str, customer: &str) -> Markup {
    html! {
        @if messages.is_empty() {
            p.muted { "No messages yet." }
        } @else {
            ol.thread {
                @for m in messages {
                    li class=(format!("thread-{}", m.author)) {
                        p.small.muted { (if m.author == "staff" { studio } else { customer }) " · " (timestamp(m.created_at)) }
                        div.prose { (paragraphs(&m.body)) }
                    }
                }
            }
        }
    }
}

/// What an accepted quote has paid and owes.
fn balance_panel(ctx: &RequestContext, v: &QuoteView<'_>) -> Markup {
    let q = v.quote;
    let total = q.accepted_total_minor.unwrap_or(0);
    let deposit = q.accepted_deposit_minor.unwrap_or(0);
    let balance = super::balance::amount(q);
    let currency = v.proposal.map_or("", |p| p.revision.currency.as_str());
    let money = |minor: i64| Money::of_code(minor, currency);
    html! {
        dl.facts {
            dt { "Total" } dd { (money(total)) }
            @if deposit > 0 { dt { "Deposit" } dd { (money(deposit)) " paid" } }
            @if balance > 0 {
                dt { "Balance" } dd {
                    (money(balance))
                    @if q.balance_paid_at.is_some() { " paid" }
                    @else if let Some(due) = q.balance_due_at { ", due " (timestamp(due)) }
                }
            }
        }
        @if super::balance::owed(q) {
            form method="post" action=(format!("{}/balance", v.path)) {
                (csrf_field(ctx))
                button.button.button-primary type="submit" { "Pay the balance" }
            }
        } @else {
            p { span.status-badge.status-accepted.fully-paid { "Fully paid" } }
        }
    }
}

/// `GET /quotes/{id}/{sig}`: the quote.
pub fn quote_page(ctx: &RequestContext, v: &QuoteView<'_>, errors: &FieldErrors) -> Markup {
    let q = v.quote;
    let badge = format!("status-badge status-{}", q.state.as_str());
    let body = html! {
        section.section.section-tight {
            div.container.narrow.stack {
                @if let Some(e) = errors.get("form") { div.alert.alert-error role="alert" { p { (e) } } }
                div.panel.stack {
                    p.eyebrow { "Quote " (q.reference) }
                    h1 { @if q.service.is_empty() { "Your project" } @else { (q.service) } }
                    p { span class=(badge) { (q.state.label()) } }
                    @match q.state {
                        State::New => p { "A producer is preparing your proposal; you will get an email when it is ready." },
                        State::Accepted => {
                            p { "Accepted by " strong { (q.signature_name.as_deref().unwrap_or("")) } " on " (q.accepted_at.map(timestamp).unwrap_or_default())
                                ", revision " (q.accepted_revision.unwrap_or(0)) "." }
                            (balance_panel(ctx, v))
                        }
                        State::Declined => p { "You declined this proposal." },
                        State::Expired => p { "This proposal's last day has passed. Ask us below for a new one." },
                        State::Closed => p { "The studio closed this quote." },
                        State::Quoted if q.awaits_deposit() => {
                            p { "You accepted revision " (q.accepted_revision.unwrap_or(0)) ", signed by " strong { (q.signature_name.as_deref().unwrap_or("")) } ". The date is held until the deposit is paid; paying it confirms the shoot." }
                            form method="post" action=(format!("{}/pay", v.path)) {
                                (csrf_field(ctx))
                                button.button.button-primary type="submit" { "Pay the deposit" }
                            }
                        }
                        State::Quoted => {}
                    }
                    p.hint { "Keep this page's address: it is your link to this quote (it is also in your email)." }
                }
                @if let Some(p) = v.proposal { (proposal_panel(ctx, v, p, errors)) }
                (request_panel(q))
                (files_panel(ctx, v))
                @if v.acceptable() {
                    @if let Some(p) = v.proposal {
                        form.panel.stack method="post" action=(format!("{}/decline", v.path)) {
                            h2 { "Not for you?" }
                            (csrf_field(ctx))
                            input type="hidden" name="revision" value=(p.revision.number);
                            div class=(field_class(errors, "reason")) {
                                label for="reason" { "Why " span.optional { "(optional, it helps us)" } }
                                textarea #reason name="reason" rows="3" maxlength="2000" {}
                                (field_error(errors, "reason"))
                            }
                            button.button.button-secondary type="submit" { "Decline the proposal" }
                        }
                    }
                }
                div.panel.stack #thread {
                    h2 { "Questions" }
                    (thread(v.messages, "FlashStudio", "You"))
                    @if !matches!(q.state, State::Closed) {
                        form.stack method="post" action=(format!("{}/messages", v.path)) novalidate {
                            (csrf_field(ctx))
                            div class=(field_class(errors, "body")) {
                                label for="body" { "Ask the studio" }
                                textarea #body name="body" rows="4" maxlength="5000" required {}
                                (field_error(errors, "body"))
                            }
                            button.button.button-secondary type="submit" { "Send the question" }
                        }
                    }
                }
            }
        }
    };
    page(
        ctx,
        PageMeta::titled(&format!("Quote {}", q.reference)),
        body,
    )
}

/// `GET /account/quotes`.
pub fn account_quotes(ctx: &RequestContext, quotes: &[(Quote, String)]) -> Markup {
    let body = html! {
        section.section.section-tight {
            div.container.narrow {
                h1 { "Your quotes" }
                @if quotes.is_empty() {
                    p { "No quotes yet. " a href="/quote" { "Tell us about your project" } }
                } @else {
                    ul.booking-list {
                        @for (q, link) in quotes {
                            li {
                                a href=(link) { strong { (if q.service.is_empty() { "Your project" } else { &q.service }) } " · " (q.reference) }
                                br;
                                "Asked " (timestamp(q.created_at)) " · " (q.state.label())
                            }
                        }
                    }
                }
                p { a href="/account" { "← Your account" } }
            }
        }
    };
    page(ctx, PageMeta::titled("Your quotes"), body)
}
