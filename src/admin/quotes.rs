//! The admin's quote page: the request, the thread and its answer form, the proposal editor
//! (sending makes a new revision), the history of revisions, the acceptance record and
//! closing; and the terms template. The list is the inline table `quotes::tables::QUOTES`.

use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{IntoResponse as _, Response, handler};

use crate::db::parse_id;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::context::{Flash, RequestContext};
use crate::http::extract::{AdminUser, Ctx};
use crate::http::form::FormPairs;
use crate::http::{redirect_with_flash, with_status};
use crate::money::Money;
use crate::quotes::model::{Proposal, Quote, State};
use crate::quotes::proposal_form::{BLANK_ROWS, EditorForm, RowInput};
use crate::quotes::{balance, service, views as quote_views};
use crate::site::content::SiteContent;
use crate::state::AppState;
use crate::views::admin::admin_page;
use crate::views::components::{csrf_field, error_summary, paragraphs, timestamp};

/// What the page shows beside the quote itself.
struct Parts {
    history: Vec<Proposal>,
    files: Vec<crate::media::attachments::AttachedFile>,
    messages: Vec<crate::quotes::model::Message>,
    types: Vec<(String, String)>,
    packages: Vec<(String, i64)>,
}

async fn parts(state: &AppState, q: &Quote) -> AppResult<Parts> {
    let content = state.content.get::<SiteContent>(&state.db).await?;
    Ok(Parts {
        history: service::history(state, &q.id).await?,
        files: crate::quotes::files::of(state, &q.id).await?,
        messages: service::messages(state, &q.id).await?,
        types: crate::bookings::store::type_choices(state.db.pool()).await?,
        packages: content
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.price_minor))
            .collect(),
    })
}

/// The editor's starting point: the latest revision, or a fresh proposal from the template
/// (with the package asked about as its first line).
async fn editor_for(state: &AppState, q: &Quote, parts: &Parts) -> AppResult<EditorForm> {
    let currency = state.settings.currency;
    if let Some(p) = parts.history.first() {
        return Ok(EditorForm::from_proposal(
            p,
            currency,
            &state.settings.time_zone,
        ));
    }
    let (terms, _) = service::terms(state).await?;
    let first = parts
        .packages
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(q.service.trim()))
        .map(|(name, price)| RowInput {
            description: name.clone(),
            quantity: "1".into(),
            unit: currency.plain(*price),
            extra: false,
        });
    let settings = state.settings.quotes;
    let valid_until =
        service::studio_today(state).saturating_add(jiff::Span::new().days(settings.valid_days));
    Ok(EditorForm::fresh(
        &terms,
        settings.deposit_percent,
        valid_until,
        first,
    ))
}

fn money(state: &AppState, minor: i64) -> String {
    Money::new(minor, state.settings.currency).to_string()
}

fn request_facts(q: &Quote) -> Markup {
    html! {
        dl.facts {
            dt { "Name" } dd { (q.name) @if !q.company.is_empty() { " (" (q.company) ")" } }
            dt { "Email" } dd { a href=(format!("mailto:{}", q.email)) { (q.email) } }
            @if !q.phone.is_empty() { dt { "Phone" } dd { (q.phone) } }
            dt { "About" } dd { (if q.service.is_empty() { "—" } else { &q.service }) }
            dt { "When" } dd {
                @match (&q.preferred_from, &q.preferred_to) {
                    (Some(f), Some(t)) => { (f) " to " (t) }
                    (Some(f), None) => { (f) }
                    _ => { "No date given" }
                }
            }
            @if !q.location.is_empty() { dt { "Where" } dd { (q.location) } }
            @if !q.budget.is_empty() { dt { "Budget" } dd { (q.budget) } }
            dt { "Received" } dd { (timestamp(q.created_at)) }
        }
        div.prose { (paragraphs(&q.description)) }
    }
}

fn acceptance(state: &AppState, q: &Quote) -> Markup {
    html! {
        @if let (Some(rev), Some(at)) = (q.accepted_revision, q.accepted_at) {
            section.panel {
                h2 { "Acceptance" }
                dl.facts {
                    dt { "Revision" } dd { (rev) }
                    dt { "Total agreed" } dd { (q.accepted_total_minor.map(|t| money(state, t)).unwrap_or_default()) }
                    dt { "Extras ticked" } dd { (q.accepted_extras.as_deref().filter(|e| !e.is_empty()).unwrap_or("none")) }
                    dt { "Signed as" } dd { (q.signature_name.as_deref().unwrap_or("")) }
                    dt { "When" } dd { (timestamp(at)) }
                    dt { "From" } dd { (q.accepted_ip.as_deref().unwrap_or("")) }
                    @if let Some(b) = &q.booking_id { dt { "Shoot" } dd { a href=(format!("/admin/booking/{b}")) { "The booking" } } }
                    @if let Some(d) = q.accepted_deposit_minor.filter(|d| *d > 0) { dt { "Deposit" } dd { (money(state, d)) } }
                    @if balance::amount(q) > 0 {
                        dt { "Balance" } dd {
                            (money(state, balance::amount(q)))
                            @match (q.balance_paid_at, q.balance_paid_by.as_deref()) {
                                (Some(at), Some(by)) => { " paid " (if by == "transfer" { "by bank transfer" } else { "online" }) ", " (timestamp(at)) }
                                _ => { @if let Some(due) = q.balance_due_at { " due " (timestamp(due)) } }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(reason) = &q.decline_reason { section.panel { h2 { "Declined" } p { (if reason.is_empty() { "No reason given." } else { reason }) } } }
        @if let Some(reason) = &q.close_reason { section.panel { h2 { "Closed" } p { (reason) } } }
    }
}

fn editor(
    ctx: &RequestContext,
    state: &AppState,
    q: &Quote,
    f: &EditorForm,
    parts: &Parts,
    errors: &FieldErrors,
) -> Markup {
    let rows = f.rows.len() + BLANK_ROWS;
    let blank = RowInput::default();
    let err = |k: &str| errors.get(k).map(|e| html! { p.field-error { (e) } });
    html! {
        form.panel.stack #proposal method="post" action=(format!("/admin/quote/{}/proposal", q.id)) novalidate {
            h2 { @if q.revision == 0 { "Proposal" } @else { "Revise the proposal (revision " (q.revision + 1) ")" } }
            (csrf_field(ctx))
            (error_summary(errors))
            table.proposal-lines {
                caption.visually-hidden { "Lines" }
                thead { tr { th { "Description" } th { "Qty" } th { "Unit price" } th { "Optional extra" } } }
                tbody {
                    @for n in 1..=rows {
                        @let r = f.rows.get(n - 1).unwrap_or(&blank);
                        tr {
                            td { input type="text" name=(format!("line{n}_description")) value=(r.description) aria-label=(format!("Line {n} description")) maxlength="300"; }
                            td { input.input-narrow type="number" min="1" max="10000" name=(format!("line{n}_quantity")) value=(if r.quantity.is_empty() { "1" } else { &r.quantity }) aria-label=(format!("Line {n} quantity")); }
                            td { input.input-narrow type="text" inputmode="decimal" name=(format!("line{n}_unit")) value=(r.unit) aria-label=(format!("Line {n} unit price")); }
                            td { input type="checkbox" name=(format!("line{n}_extra")) value="1" checked[r.extra] aria-label=(format!("Line {n} is an optional extra")); }
                        }
                    }
                }
            }
            @if let Some(e) = err("lines") { (e) }
            div.field-row {
                div.field {
                    label for="add_package" { "Add a package as a line" }
                    select #add_package name="add_package" {
                        option value="" { "Choose a package" }
                        @for (name, price) in &parts.packages { option value=(name) { (name) " (" (money(state, *price)) ")" } }
                    }
                }
                div.field.field-action {
                    // Keeps what is typed above and adds the package's line; sends nothing.
                    button.button.button-secondary type="submit" name="action" value="add_package" { "Add the line" }
                }
            }
            div.field-row {
                div class=(if errors.get("discount").is_some() { "field has-error" } else { "field" }) {
                    label for="discount" { "Discount " span.optional { "(optional)" } }
                    input #discount type="text" inputmode="decimal" name="discount" value=(f.discount);
                    @if let Some(e) = err("discount") { (e) }
                }
                div.field {
                    label for="deposit_kind" { "Deposit" }
                    select #deposit_kind name="deposit_kind" {
                        @for (v, l) in [("none", "None"), ("percent", "Percent of the total"), ("fixed", "Fixed amount")] {
                            option value=(v) selected[f.deposit_kind == v] { (l) }
                        }
                    }
                    @if let Some(e) = err("deposit_kind") { (e) }
                }
                div class=(if errors.get("deposit_value").is_some() { "field has-error" } else { "field" }) {
                    label for="deposit_value" { "Deposit value" }
                    input #deposit_value type="text" inputmode="decimal" name="deposit_value" value=(f.deposit_value);
                    @if let Some(e) = err("deposit_value") { (e) }
                }
                div class=(if errors.get("valid_until").is_some() { "field has-error" } else { "field" }) {
                    label for="valid_until" { "Valid until" }
                    input #valid_until type="date" name="valid_until" value=(f.valid_until);
                    @if let Some(e) = err("valid_until") { (e) }
                }
            }
            fieldset.field-group {
                legend { "The shoot it holds " span.optional { "(optional)" } }
                div.field-row {
                    div class=(if errors.get("booking_type").is_some() { "field has-error" } else { "field" }) {
                        label for="booking_type" { "Booking type" }
                        select #booking_type name="booking_type" {
                            option value="" { "None" }
                            @for (id, name) in &parts.types { option value=(id) selected[f.booking_type == *id] { (name) } }
                        }
                        @if let Some(e) = err("booking_type") { (e) }
                    }
                    div class=(if errors.get("day").is_some() { "field has-error" } else { "field" }) {
                        label for="day" { "Day" }
                        input #day type="date" name="day" value=(f.day);
                        @if let Some(e) = err("day") { (e) }
                    }
                    div class=(if errors.get("time").is_some() { "field has-error" } else { "field" }) {
                        label for="time" { "Start" }
                        input #time type="time" name="time" value=(f.time);
                        @if let Some(e) = err("time") { (e) }
                    }
                }
            }
            div.field {
                label for="message" { "Message to the customer" }
                textarea #message name="message" rows="4" { (f.message) }
                @if let Some(e) = err("message") { (e) }
            }
            div.field {
                label for="terms" { "Terms" }
                textarea #terms name="terms" rows="6" { (f.terms) }
                @if let Some(e) = err("terms") { (e) }
                p.hint { "Start from the " a href="/admin/quote-terms" { "terms template" } "; changes here apply to this proposal only." }
            }
            button #send-proposal .button.button-primary type="submit" { @if q.revision == 0 { "Send the proposal" } @else { "Send the revision" } }
        }
    }
}

fn history(state: &AppState, q: &Quote, history: &[Proposal]) -> Markup {
    html! {
        @if !history.is_empty() {
            section.panel.stack {
                h2 { "Revisions" }
                @for p in history {
                    @let t = p.totals(&[]);
                    details open[p.revision.number == q.revision] {
                        summary { "Revision " (p.revision.number) " · sent " (timestamp(p.revision.sent_at)) " · " (money(state, t.total)) @if p.has_extras() { " before extras" } " · valid until " (p.revision.valid_until) }
                        ul { @for l in &p.lines { li { (l.quantity) " × " (l.description) " at " (money(state, l.unit_minor)) @if l.optional { " (optional extra)" } } } }
                        (quote_views::totals_table(p, &t))
                    }
                }
            }
        }
    }
}

fn page(
    ctx: &RequestContext,
    state: &AppState,
    q: &Quote,
    f: &EditorForm,
    parts: &Parts,
    errors: &FieldErrors,
) -> Markup {
    admin_page(
        ctx,
        &format!("Quote {}", q.reference),
        "/admin/quotes",
        html! {
            div.page-header {
                p { a href="/admin/quotes" { "← Quotes" } }
                h1 { "Quote " (q.reference) }
                p.lead { span class=(format!("status-badge status-{}", q.state.as_str())) { (q.state.label()) } }
            }
            div.grid-2 {
                section.panel {
                    h2 { "Request" }
                    (request_facts(q))
                    @if !parts.files.is_empty() {
                        h3 { "Reference files" }
                        ul.plain-list {
                            @for f in &parts.files {
                                li { a href=(format!("/admin/media/{}", f.media_id)) { (f.file_name) } span.muted { " · " (crate::media::upload::human_size(u64::try_from(f.size_bytes).unwrap_or(0))) } }
                            }
                        }
                    }
                }
                section.panel.stack #thread {
                    h2 { "Thread" }
                    (quote_views::thread(&parts.messages, "Studio", &q.name))
                    form.stack method="post" action=(format!("/admin/quote/{}/messages", q.id)) {
                        (csrf_field(ctx))
                        div.field {
                            label for="body" { "Answer the customer" }
                            textarea #body name="body" rows="3" maxlength="5000" required {}
                        }
                        button.button.button-secondary type="submit" { "Send the answer" }
                    }
                }
            }
            (acceptance(state, q))
            @if q.state == State::Accepted {
                (crate::projects::views::start_panel(ctx, &format!("/admin/project-from-quote/{}", q.id)))
            }
            @if balance::owed(q) {
                form.panel.stack method="post" action=(format!("/admin/quote/{}/balance-paid", q.id)) {
                    h2 { "Balance received by bank transfer?" }
                    (csrf_field(ctx))
                    p { "Mark the balance of " (money(state, balance::amount(q))) " paid; the customer's page then shows the quote fully paid." }
                    button.button.button-secondary type="submit" { "Mark the balance paid" }
                }
            }
            @if q.state.can_move_to(State::Quoted) { (editor(ctx, state, q, f, parts, errors)) }
            (history(state, q, &parts.history))
            @if q.state.can_move_to(State::Closed) {
                form.panel.stack method="post" action=(format!("/admin/quote/{}/close", q.id)) {
                    h2 { "Close the quote" }
                    (csrf_field(ctx))
                    div.field {
                        label for="close_reason" { "Why" }
                        input #close_reason type="text" name="reason" maxlength="500" required;
                    }
                    button.button.button-danger type="submit" { "Close" }
                }
            }
        },
    )
}

async fn quote(state: &AppState, id: &str) -> AppResult<Quote> {
    let id = parse_id(id).ok_or(AppError::NotFound)?;
    service::find(state, &id).await
}

/// `GET /admin/quote/{id}`.
#[handler]
pub async fn show(
    ctx: Ctx,
    _admin: AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let q = quote(state, &id).await?;
    let parts = parts(state, &q).await?;
    let form = editor_for(state, &q, &parts).await?;
    Ok(page(&ctx, state, &q, &form, &parts, &FieldErrors::new()).into_response())
}

/// `POST /admin/quote/{id}/proposal`: sends the proposal as the next revision; errors
/// re-render the editor with what was typed.
#[handler]
pub async fn send_proposal(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let q = quote(state, &id).await?;
    let mut typed = EditorForm::from_pairs(&form);
    if form.get("action") == Some("add_package") {
        let parts = parts(state, &q).await?;
        if let Some((name, price)) = parts
            .packages
            .iter()
            .find(|(name, _)| Some(name.as_str()) == form.get("add_package"))
        {
            typed.rows.push(RowInput {
                description: name.clone(),
                quantity: "1".into(),
                unit: state.settings.currency.plain(*price),
                extra: false,
            });
        }
        return Ok(page(&ctx, state, &q, &typed, &parts, &FieldErrors::new()).into_response());
    }
    let today = service::studio_today(state);
    let draft = match typed.check(state.settings.currency, today, &state.settings.time_zone) {
        Ok(d) => d,
        Err(errors) => {
            let parts = parts(state, &q).await?;
            return Ok(with_status(
                page(&ctx, state, &q, &typed, &parts, &errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let back = format!("/admin/quote/{}", q.id);
    if !service::send_proposal(state, &admin, &q.id, &draft).await? {
        return Ok(redirect_with_flash(
            state,
            &back,
            Flash::error(
                "This quote can no longer be quoted: it was answered or closed meanwhile.",
            ),
        ));
    }
    Ok(redirect_with_flash(
        state,
        &back,
        Flash::success("Sent: the customer has the proposal by email."),
    ))
}

/// `POST /admin/quote/{id}/messages`: staff's answer on the thread.
#[handler]
pub async fn answer(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let q = quote(state, &id).await?;
    let back = format!("/admin/quote/{}#thread", q.id);
    let flash = match service::post_message(state, &q, Some(&admin), form.get("body").unwrap_or(""))
        .await?
    {
        Ok(()) => Flash::success("Answer sent."),
        Err(errors) => Flash::error(errors.iter().map(|(_, m)| m).collect::<Vec<_>>().join(" ")),
    };
    Ok(redirect_with_flash(state, &back, flash))
}

/// `POST /admin/quote/{id}/close`: with a reason.
#[handler]
pub async fn close(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let q = quote(state, &id).await?;
    let back = format!("/admin/quote/{}", q.id);
    let reason = form.get("reason").unwrap_or("").trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Ok(redirect_with_flash(
            state,
            &back,
            Flash::error("Give a reason (up to 500 characters) to close the quote."),
        ));
    }
    let flash = if service::close(state, &admin, &q.id, reason).await? {
        Flash::success("Closed.")
    } else {
        Flash::error("This quote is not open any more.")
    };
    Ok(redirect_with_flash(state, &back, flash))
}

fn terms_page(ctx: &RequestContext, body: &str, version: i64, error: Option<&str>) -> Markup {
    admin_page(
        ctx,
        "Proposal terms",
        "/admin/quotes",
        html! {
            div.page-header {
                p { a href="/admin/quotes" { "← Quotes" } }
                h1 { "Proposal terms" }
                p.lead { "Every new proposal starts with these terms; each proposal can change its own copy." }
            }
            form.panel.stack method="post" action="/admin/quote-terms" {
                (csrf_field(ctx))
                input type="hidden" name="version" value=(version);
                @if let Some(e) = error { div.alert.alert-error role="alert" { p { (e) } } }
                div.field {
                    label for="terms" { "Terms" }
                    textarea #terms name="terms" rows="12" { (body) }
                }
                button.button.button-primary type="submit" { "Save the terms" }
            }
        },
    )
}

/// `GET /admin/quote-terms`.
#[handler]
pub async fn show_terms(
    ctx: Ctx,
    _admin: AdminUser,
    Data(state): Data<&AppState>,
) -> AppResult<Response> {
    let (body, version) = service::terms(state).await?;
    Ok(terms_page(&ctx, &body, version, None).into_response())
}

/// `POST /admin/quote-terms`: saved unless someone saved them meanwhile (409 with theirs).
#[handler]
pub async fn save_terms(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let body = form.get("terms").unwrap_or("").trim();
    let version = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if body.chars().count() > 20_000 {
        return Ok(with_status(
            terms_page(&ctx, body, version, Some("Use at most 20,000 characters.")),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    if service::save_terms(state, &admin, body, version).await? {
        return Ok(redirect_with_flash(
            state,
            "/admin/quote-terms",
            Flash::success("Saved. New proposals start with these terms."),
        ));
    }
    let (current, version) = service::terms(state).await?;
    Ok(with_status(
        terms_page(
            &ctx,
            &current,
            version,
            Some(
                "Someone saved the terms while you edited them; here are theirs. Apply your change again.",
            ),
        ),
        StatusCode::CONFLICT,
    ))
}

/// `POST /admin/quote/{id}/balance-paid`: the balance received by bank transfer (audited).
#[handler]
pub async fn balance_paid(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let q = quote(state, &id).await?;
    let back = format!("/admin/quote/{}", q.id);
    let flash = if balance::mark_paid_by_transfer(state, &admin, &q.id).await? {
        Flash::success("Marked paid: the quote is fully paid.")
    } else {
        Flash::error("Nothing is owed on this quote.")
    };
    Ok(redirect_with_flash(state, &back, flash))
}
