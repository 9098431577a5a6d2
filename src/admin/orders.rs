//! The admin's order detail (only the moves the state machine allows, fulfilment, refunds,
//! resend) and the webhook events page with replay. The orders list itself is an inline
//! table (`tables::ORDERS`).

use maud::{Markup, html};
use poem::web::{Data, Path, Query};
use poem::{IntoResponse as _, Response, handler};
use serde::Deserialize;

use crate::db::parse_id;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::context::{Flash, RequestContext};
use crate::http::extract::{AdminUser, Ctx};
use crate::http::form::FormPairs;
use crate::http::{htmx_redirect_with_flash, redirect_with_flash, with_status};
use crate::money::{Currency, Money};
use crate::orders::state::{OrderEvent, OrderStatus};
use crate::orders::store::{self as order_store, Order, OrderLine};
use crate::payments::refunds::{self, RefundOutcome};
use crate::payments::state::RefundStatus;
use crate::payments::store::{self as payment_store, Payment, Refund, StoredEvent};
use crate::payments::webhook;
use crate::state::AppState;
use crate::views::admin::admin_page;
use crate::views::components::{csrf_field, error_summary, timestamp};

struct Detail {
    order: Order,
    lines: Vec<OrderLine>,
    payments: Vec<Payment>,
    refunds: Vec<Refund>,
}

async fn load(state: &AppState, id: &str) -> AppResult<Detail> {
    let id = parse_id(id).ok_or(AppError::NotFound)?;
    let pool = state.db.pool();
    let order = order_store::find(pool, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Detail {
        lines: order_store::lines(pool, &id).await?,
        payments: payment_store::all_for(pool, &id).await?,
        refunds: payment_store::refunds_of_order(pool, &id).await?,
        order,
    })
}

fn refundable(d: &Detail) -> Option<(&Payment, i64)> {
    let p = d.payments.iter().rev().find(|p| p.status().is_captured())?;
    let counted: i64 = d
        .refunds
        .iter()
        .filter(|r| r.payment_id == p.id && r.status().counts())
        .map(|r| r.amount_minor)
        .sum();
    let left = p.captured_minor - counted;
    (left > 0).then_some((p, left))
}

fn detail_page(
    ctx: &RequestContext,
    state: &AppState,
    d: &Detail,
    refund_errors: &FieldErrors,
    refund_values: (&str, &str),
) -> Markup {
    let o = &d.order;
    let path = format!("/admin/order/{}", o.id);
    let content = html! {
        p { a href="/admin/orders" { "← Orders" } }
        h1 { "Order " (o.number) }
        p {
            span class=(format!("status-badge status-{}", o.status)) { (o.status().label()) }
            " placed " (timestamp(o.created_at))
            @if let Some(t) = o.paid_at { " · paid " (timestamp(t)) }
            @if let Some(t) = o.fulfilled_at { " · fulfilled " (timestamp(t)) }
            @if let Some(t) = o.closed_at { " · closed " (timestamp(t)) }
        }
        @if let Some(a) = &o.attention {
            div.alert.alert-error role="alert" {
                p { strong { "Needs attention: " } (a) }
                form.inline-form method="post" action={(path) "/resolve"} {
                    (csrf_field(ctx))
                    button.button.button-secondary type="submit" { "Mark resolved" }
                }
            }
        }
        div.grid-2 {
            (customer_panel(state, o))
            (next_steps_panel(ctx, o, &path))
        }
        (lines_panel(d))
        div.panel {
            h2 { "Payments" }
            (payments_table(d))
            h3 { "Refunds" }
            (refunds_table(ctx, d, &path))
            @if let Some((p, left)) = refundable(d) {
                (refund_form(ctx, &path, p, left, refund_errors, refund_values))
            }
        }
    };
    admin_page(
        ctx,
        &format!("Order {}", o.number),
        "/admin/orders",
        content,
    )
}

fn customer_panel(state: &AppState, o: &Order) -> Markup {
    html! {
        div.panel {
            h2 { "Customer" }
            p { (o.name) br; a href={"mailto:" (o.email)} { (o.email) } @if !o.phone.is_empty() { br; (o.phone) } }
            @if o.ships() {
                h3 { "Ship to" }
                p {
                    (o.ship_line1.as_deref().unwrap_or_default())
                    @if let Some(l2) = o.ship_line2.as_deref().filter(|s| !s.is_empty()) { br; (l2) }
                    br; (o.ship_city.as_deref().unwrap_or_default()) " " (o.ship_postcode.as_deref().unwrap_or_default())
                    br; (o.ship_country.as_deref().unwrap_or_default())
                }
            }
            @if let Some(t) = o.tracking_note.as_deref().filter(|s| !s.is_empty()) { h3 { "Tracking" } p.prewrap { (t) } }
            p.muted.small { a href={"/admin/audit?entity=order&id=" (o.id)} { "History of this order" } " · " a href=(crate::orders::order_path(state, o)) { "Customer's view" } }
        }
    }
}

/// The staff moves the order's status allows, and the resend of a paid order's emails.
fn next_steps_panel(ctx: &RequestContext, o: &Order, path: &str) -> Markup {
    html! {
        div.panel.stack {
            h2 { "Next steps" }
            @let moves = o.status().staff_events();
            @if moves.is_empty() { p.muted { "No further status changes: the order is " (o.status().label().to_lowercase()) "." } }
            @for m in moves {
                @match m {
                    OrderEvent::Fulfil if o.ships() => {
                        form.stack method="post" action={(path) "/ship"} {
                            (csrf_field(ctx))
                            label for="tracking" { "Tracking note (carrier, number, link)" }
                            textarea #tracking name="tracking" rows="3" {}
                            button.button.button-primary type="submit" { "Mark shipped and email the customer" }
                        }
                    }
                    OrderEvent::Cancel => {
                        form.inline-form method="post" action={(path) "/cancel"} {
                            (csrf_field(ctx))
                            button.button.button-secondary type="submit" { "Cancel order (gives stock back)" }
                        }
                    }
                    _ => {}
                }
            }
            @if matches!(o.status(), OrderStatus::Paid | OrderStatus::Fulfilled) {
                form.inline-form method="post" action={(path) "/resend"} {
                    (csrf_field(ctx))
                    button.button.button-ghost type="submit" { "Resend confirmation" @if o.has_digital { " and new download links" } }
                }
            }
        }
    }
}

fn lines_panel(d: &Detail) -> Markup {
    let o = &d.order;
    html! {
        div.panel {
            h2 { "Lines" }
            div.table-wrap role="region" aria-label="Lines" tabindex="0" { table.data-table {
                thead { tr { th { "Item" } th { "Kind" } th.num { "Qty" } th.num { "Unit" } th.num { "Total" } } }
                tbody {
                    @for l in &d.lines {
                        tr {
                            td { (l.title) @if !l.options_label.is_empty() { br; span.muted.small { (l.options_label) } } }
                            td { (l.kind) }
                            td.num { (l.quantity) }
                            td.num { (Money::of_code(l.unit_price_minor, &o.currency)) }
                            td.num { (Money::of_code(l.total_minor, &o.currency)) }
                        }
                    }
                }
                tfoot { tr { th colspan="4" { "Total" } td.num { strong { (Money::of_code(o.total_minor, &o.currency)) } } } }
            } }
        }
    }
}

fn payments_table(d: &Detail) -> Markup {
    html! {
        div.table-wrap role="region" aria-label="Payments" tabindex="0" { table.data-table {
            thead { tr { th { "Attempt" } th { "Gateway" } th { "Status" } th.num { "Captured" } th.num { "Refunded" } th { "Reference" } th { "Note" } } }
            tbody {
                @for p in &d.payments {
                    tr {
                        td { (p.attempt) }
                        td { (p.gateway) }
                        td { span class=(format!("status-badge status-{}", p.status)) { (p.status().label()) } }
                        td.num { (Money::of_code(p.captured_minor, &p.currency)) }
                        td.num { (Money::of_code(p.refunded_minor, &p.currency)) }
                        td.small { code { (p.payment_intent.as_deref().or(p.session_id.as_deref()).unwrap_or("—")) } }
                        td.muted { (p.failure.as_deref().unwrap_or("")) }
                    }
                }
            }
        } }
    }
}

/// The refunds so far; a pending one the gateway never received can be sent again.
fn refunds_table(ctx: &RequestContext, d: &Detail, path: &str) -> Markup {
    html! {
        @if d.refunds.is_empty() { p.muted { "None." } } @else {
            div.table-wrap role="region" aria-label="Refunds" tabindex="0" { table.data-table {
                thead { tr { th { "#" } th { "When" } th.num { "Amount" } th { "Status" } th { "Reason" } th { span.visually-hidden { "Actions" } } } }
                tbody {
                    @for r in &d.refunds {
                        tr {
                            td { (r.seq) }
                            td { (timestamp(r.created_at)) }
                            td.num { (Money::of_code(r.amount_minor, &r.currency)) }
                            td { span class=(format!("status-badge status-{}", r.status)) { (r.status) } @if let Some(f) = &r.failure { br; span.muted.small { (f) } } }
                            td { (r.reason) }
                            td {
                                @if r.status() == RefundStatus::Pending && r.gateway_refund_id.is_none() {
                                    form.inline-form method="post" action={(path) "/refunds/" (r.id) "/retry"} {
                                        (csrf_field(ctx))
                                        button.button.button-ghost type="submit" { "Send again" }
                                    }
                                }
                            }
                        }
                    }
                }
            } }
        }
    }
}

/// The refund form for what is `left` of payment `p`; `values` are the amount and reason as
/// sent, when the form comes back with `errors`.
fn refund_form(
    ctx: &RequestContext,
    path: &str,
    p: &Payment,
    left: i64,
    errors: &FieldErrors,
    values: (&str, &str),
) -> Markup {
    html! {
        // Without JS the form leads to a confirmation page; with htmx a dialog (site.js puts
        // the amount and reason in it) confirms, and the form is sent confirmed.
        form #refund .stack method="post" action={(path) "/refund"} novalidate
            hx-post={(path) "/refund"} hx-vals=r#"{"confirm": "1"}"# hx-target="#refund" hx-swap="outerHTML"
            hx-confirm="Refund this amount? The money goes back to the customer and this cannot be undone."
            data-confirm-refund=(p.currency) {
            (csrf_field(ctx))
            // One key per rendered form: sent twice (a double click), it refunds once.
            input type="hidden" name="request_key" value=(crate::crypto::random_token());
            h3 { "Refund" }
            (error_summary(errors))
            p.muted { "Up to " (Money::of_code(left, &p.currency)) " can still be refunded, in one or several refunds." }
            div class=(if errors.get("amount").is_some() { "field has-error" } else { "field" }) {
                label for="amount" { "Amount (" (p.currency) ")" }
                input #amount type="text" inputmode="decimal" name="amount" value=(values.0) required;
                @if let Some(e) = errors.get("amount") { p.field-error { (e) } }
            }
            div class=(if errors.get("reason").is_some() { "field has-error" } else { "field" }) {
                label for="reason" { "Reason" }
                input #reason type="text" name="reason" value=(values.1) maxlength="500" required;
                @if let Some(e) = errors.get("reason") { p.field-error { (e) } }
            }
            button.button.button-primary type="submit" { "Refund" }
        }
    }
}

/// `GET /admin/order/{id}`.
#[handler]
pub async fn show(
    ctx: Ctx,
    _admin: AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let d = load(state, &id).await?;
    Ok(detail_page(&ctx, state, &d, &FieldErrors::new(), ("", "")).into_response())
}

/// `GET /admin/order-line/{id}`: the order page of the line's order (the order lines table's
/// link).
#[handler]
pub async fn line(
    _admin: AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let order = order_store::order_of_line(state.db.pool(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(crate::http::redirect(&format!("/admin/order/{order}")))
}

fn back(state: &AppState, id: &str, flash: Flash) -> Response {
    redirect_with_flash(state, &format!("/admin/order/{id}"), flash)
}

/// `POST /admin/order/{id}/ship`: `tracking`.
#[handler]
pub async fn ship(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    crate::orders::ship(state, &admin, &id, form.get("tracking").unwrap_or_default()).await?;
    Ok(back(
        state,
        &id,
        Flash::success("Marked shipped; the customer is emailed."),
    ))
}

/// `POST /admin/order/{id}/cancel`.
#[handler]
pub async fn cancel(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    if let Some(session) = crate::orders::cancel(state, &admin, &id).await?
        && let Err(e) = state.gateway.expire_checkout(&session).await
    {
        tracing::warn!(session, error = %e, "could not close the cancelled order's checkout");
    }
    Ok(back(
        state,
        &id,
        Flash::success("Order cancelled; its stock is back on sale."),
    ))
}

/// `POST /admin/order/{id}/resend`.
#[handler]
pub async fn resend(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    crate::orders::resend(state, &admin, &id).await?;
    Ok(back(
        state,
        &id,
        Flash::success("The emails are queued again."),
    ))
}

/// `POST /admin/order/{id}/resolve`.
#[handler]
pub async fn resolve(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    crate::orders::clear_attention(state, &admin, &id).await?;
    Ok(back(state, &id, Flash::success("Marked resolved.")))
}

/// What a refund request did, for the page staff return to.
pub(super) fn refund_message(outcome: &RefundOutcome) -> Flash {
    match outcome {
        RefundOutcome::Done(RefundStatus::Succeeded) => {
            Flash::success("Refunded; the customer is emailed.")
        }
        RefundOutcome::Done(_) => Flash::info(
            "The gateway accepted the refund; it completes shortly and the customer is emailed then.",
        ),
        RefundOutcome::Refused(m) => Flash::error(format!("The gateway refused the refund: {m}")),
        RefundOutcome::Unreachable(m) => Flash::error(format!(
            "The refund is saved but not sent: {m} Use “Send again” in a moment; it cannot be sent twice."
        )),
        RefundOutcome::AlreadyRequested => Flash::info(
            "That refund was already requested (the form was sent twice); nothing more was done.",
        ),
    }
}

/// `POST /admin/order/{id}/refund`: `amount` (in major units), `reason`.
#[handler]
pub async fn refund(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let d = load(state, &id).await?;
    let raw_amount = form.get("amount").unwrap_or_default().trim().to_owned();
    let reason = form.get("reason").unwrap_or_default().trim().to_owned();
    let currency = Currency::parse(&d.order.currency).unwrap_or_default();
    let key = form
        .get("request_key")
        .filter(|k| !k.is_empty() && k.len() <= 64);
    let confirmed = form.get("confirm") == Some("1");
    let result = match currency.parse_amount(&raw_amount, false) {
        // First the confirmation: the amount, the reason and who gets the money, with one
        // button that sends the same form again, confirmed (htmx asks in a dialog instead).
        Ok(amount) if !confirmed => {
            let left = refundable(&d).map_or(0, |(_, left)| left);
            match refunds::check(amount, &reason, left, &d.order.currency) {
                Ok(()) => {
                    let key = key.map_or_else(crate::crypto::random_token, str::to_owned);
                    return Ok(confirm_refund_page(&ctx, &d, amount, &reason, &key).into_response());
                }
                Err(e) => Err(e),
            }
        }
        Ok(amount) => refunds::refund(state, Some(&admin), &d.order.id, amount, &reason, key).await,
        Err(message) => {
            let mut errors = FieldErrors::new();
            errors.add("amount", message);
            Err(AppError::Validation(errors))
        }
    };
    match result {
        // Confirmed in the dialog: a full page load of the order, with the message.
        Ok(outcome) if ctx.is_htmx => Ok(htmx_redirect_with_flash(
            state,
            &format!("/admin/order/{}", d.order.id),
            refund_message(&outcome),
        )),
        Ok(outcome) => Ok(back(state, &d.order.id, refund_message(&outcome))),
        Err(AppError::Validation(errors)) => Ok(with_status(
            match refundable(&d).filter(|_| ctx.is_htmx) {
                // Sent by htmx: the form again, with its errors, in place.
                Some((p, left)) => refund_form(
                    &ctx,
                    &format!("/admin/order/{}", d.order.id),
                    p,
                    left,
                    &errors,
                    (&raw_amount, &reason),
                ),
                None => detail_page(&ctx, state, &d, &errors, (&raw_amount, &reason)),
            },
            poem::http::StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(e) => Err(e),
    }
}

/// The no-JS confirmation of a refund: what goes back, to whom, why.
fn confirm_refund_page(
    ctx: &RequestContext,
    d: &Detail,
    amount: i64,
    reason: &str,
    request_key: &str,
) -> Markup {
    let o = &d.order;
    let path = format!("/admin/order/{}", o.id);
    let money = Money::of_code(amount, &o.currency);
    admin_page(
        ctx,
        "Confirm a refund",
        "/admin/orders",
        html! {
            div.panel.narrow-panel {
                h1 { "Refund " (money) "?" }
                dl.facts {
                    dt { "Order" } dd { (o.number) " · " (Money::of_code(o.total_minor, &o.currency)) }
                    dt { "To" } dd { (o.name) " (" (o.email) "), on the card they paid with" }
                    dt { "Reason" } dd { (reason) }
                }
                p { "The money goes back through the payment gateway and the customer is emailed. This cannot be undone." }
                form method="post" action={(path) "/refund"} {
                    (csrf_field(ctx))
                    input type="hidden" name="amount" value=(Currency::parse(&o.currency).unwrap_or_default().plain(amount));
                    input type="hidden" name="reason" value=(reason);
                    input type="hidden" name="request_key" value=(request_key);
                    input type="hidden" name="confirm" value="1";
                    div.form-actions {
                        button.button.button-danger type="submit" { "Refund " (money) }
                        a.button.button-ghost href=(path) { "Back to the order" }
                    }
                }
            }
        },
    )
}

/// `POST /admin/order/{id}/refunds/{refund}/retry`: sends a pending refund again (same key).
#[handler]
pub async fn retry_refund(
    _admin: AdminUser,
    Data(state): Data<&AppState>,
    Path((id, refund_id)): Path<(String, String)>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let refund_id = parse_id(&refund_id).ok_or(AppError::NotFound)?;
    let outcome = refunds::retry(state, &refund_id).await?;
    Ok(back(state, &id, refund_message(&outcome)))
}

/// Query of the webhook events page.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct EventsQuery {
    outcome: Option<String>,
    page: Option<i64>,
}

const OUTCOMES: [&str; 4] = ["applied", "ignored", "deferred", "error"];
const EVENTS_PER_PAGE: i64 = 50;

/// `GET /admin/webhooks`: every gateway event, newest first.
#[handler]
pub async fn events(
    ctx: Ctx,
    _admin: AdminUser,
    Data(state): Data<&AppState>,
    Query(q): Query<EventsQuery>,
) -> AppResult<Response> {
    let outcome = q.outcome.as_deref().filter(|o| OUTCOMES.contains(o));
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let rows = payment_store::list_events(
        state.db.pool(),
        outcome,
        EVENTS_PER_PAGE + 1,
        (page - 1) * EVENTS_PER_PAGE,
    )
    .await?;
    let more = rows.len() > usize::try_from(EVENTS_PER_PAGE).unwrap_or(50);
    let rows = &rows[..rows
        .len()
        .min(usize::try_from(EVENTS_PER_PAGE).unwrap_or(50))];
    Ok(events_page(&ctx, rows, outcome, page, more).into_response())
}

fn events_page(
    ctx: &RequestContext,
    rows: &[StoredEvent],
    outcome: Option<&str>,
    page: i64,
    more: bool,
) -> Markup {
    let href = |p: i64| match outcome {
        Some(o) => format!("/admin/webhooks?outcome={o}&page={p}"),
        None => format!("/admin/webhooks?page={p}"),
    };
    let content = html! {
        h1 { "Webhook events" }
        p.muted { "Every payment event, stored once by its id with what it did. Errors and deferred events can be replayed; " code { "flashstudio payments reconcile" } " fetches events missed during an outage." }
        nav.filter-links aria-label="Filter by outcome" {
            a href="/admin/webhooks" aria-current=[outcome.is_none().then_some("page")] { "All" }
            @for o in OUTCOMES {
                a href={"/admin/webhooks?outcome=" (o)} aria-current=[(outcome == Some(o)).then_some("page")] { (o) }
            }
        }
        @if rows.is_empty() { p { "No events." } } @else {
            div.table-wrap role="region" aria-label="Events" tabindex="0" { table.data-table {
                thead { tr { th { "Event" } th { "Type" } th { "Source" } th { "Received" } th { "Outcome" } th { "Error" } th { span.visually-hidden { "Actions" } } } }
                tbody {
                    @for e in rows {
                        tr {
                            td.small { a href={"/admin/webhooks/" (e.id)} { code { (e.id) } } }
                            td { (e.r#type) }
                            td { (e.source) }
                            td { (timestamp(e.received_at)) }
                            td { span class=(format!("status-badge status-{}", e.outcome)) { (e.outcome) } @if e.attempts > 1 { " ×" (e.attempts) } }
                            td.muted { (e.error.as_deref().unwrap_or("")) }
                            td {
                                @if matches!(e.outcome.as_str(), "error" | "deferred") {
                                    form.inline-form method="post" action={"/admin/webhooks/" (e.id) "/replay"} {
                                        (csrf_field(ctx))
                                        button.button.button-ghost type="submit" { "Replay" }
                                    }
                                }
                            }
                        }
                    }
                }
            } }
        }
        nav.pagination {
            @if page > 1 { a href=(href(page - 1)) { "← Newer" } }
            @if more { a href=(href(page + 1)) { "Older →" } }
        }
    };
    admin_page(ctx, "Webhook events", "/admin/webhooks", content)
}

fn event_id(raw: &str) -> AppResult<String> {
    if raw.is_empty()
        || raw.len() > 255
        || !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(AppError::NotFound);
    }
    Ok(raw.to_owned())
}

/// `GET /admin/webhooks/{id}`: one event and its payload.
#[handler]
pub async fn event(
    ctx: Ctx,
    _admin: AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = event_id(&id)?;
    let e = payment_store::find_event(state.db.pool(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let pretty = serde_json::from_str::<serde_json::Value>(&e.payload)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| e.payload.clone());
    let content = html! {
        p { a href="/admin/webhooks" { "← Webhook events" } }
        h1 { code { (e.id) } }
        dl.facts {
            dt { "Type" } dd { (e.r#type) }
            dt { "Source" } dd { (e.source) }
            dt { "Received" } dd { (timestamp(e.received_at)) }
            dt { "Processed" } dd { (e.processed_at.map(timestamp).unwrap_or_else(|| "—".into())) }
            dt { "Outcome" } dd { (e.outcome) " (" (e.attempts) " attempt(s))" }
            @if let Some(err) = &e.error { dt { "Error" } dd { (err) } }
        }
        @if matches!(e.outcome.as_str(), "error" | "deferred") {
            form.inline-form method="post" action={"/admin/webhooks/" (e.id) "/replay"} {
                (csrf_field(&ctx))
                button.button.button-primary type="submit" { "Replay" }
            }
        }
        pre.payload { code { (pretty) } }
    };
    Ok(admin_page(&ctx, "Webhook event", "/admin/webhooks", content).into_response())
}

/// `POST /admin/webhooks/{id}/replay`.
#[handler]
pub async fn replay(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = event_id(&id)?;
    let outcome = webhook::replay(state, &id)
        .await
        .map_err(|e| AppError::Conflict(format!("Replay failed: {e}")))?;
    let now = crate::db::now();
    crate::audit::insert_audit(
        state.db.pool(),
        &crate::audit::AuditEntry::by(&admin, "webhook.replay", "webhook_event", &id).change(
            serde_json::json!(null),
            serde_json::json!({ "outcome": outcome.map(webhook::Outcome::as_str) }),
        ),
        now,
    )
    .await?;
    let flash = match outcome {
        Some(o) => Flash::success(format!("Replayed: {o}.")),
        None => Flash::info("That event needs no replay (already applied, or unknown)."),
    };
    Ok(redirect_with_flash(
        state,
        &format!("/admin/webhooks/{id}"),
        flash,
    ))
}
