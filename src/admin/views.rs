//! Admin screens: the layout with its sidebar, the dashboard, the outbox, jobs and audit log.

use maud::{Markup, html};

use crate::analytics::report::Figures;
use crate::audit::{AuditRow, describe};
use crate::http::context::RequestContext;
use crate::jobs::JobStatus;
use crate::jobs::store::JobRow;
use crate::money::{Currency, Money};
use crate::notifications::store::{EmailRow, EmailStatus};
use crate::views::admin::admin_page;
use crate::views::components::{csrf_field, timestamp};

fn status_badge(status: &str) -> Markup {
    html! { span class=(format!("status-badge status-{status}")) { (status) } }
}

/// Figures on the dashboard.
#[derive(Debug, Default)]
pub struct DashboardFigures {
    /// Customer accounts opened in the last 7 days.
    pub customers: i64,
    pub admins: i64,
    /// Live sessions.
    pub sessions: i64,
    pub jobs_queued: i64,
    /// Jobs that gave up.
    pub jobs_dead: i64,
    pub emails_queued: i64,
    /// Sent in the last 7 days.
    pub emails_sent: i64,
    /// Emails that failed for good.
    pub emails_failed: i64,
    /// Product reviews waiting for moderation.
    pub reviews_pending: i64,
    /// Paid orders with prints to ship.
    pub orders_to_ship: i64,
    /// Orders flagged for a person (a late or double payment, an amount mismatch).
    pub orders_attention: i64,
    /// Webhook events that ended in an error.
    pub webhook_errors: i64,
    /// Quote requests without a proposal yet.
    pub quotes_new: i64,
    /// Proposals waiting for the customer's answer.
    pub quotes_awaiting: i64,
    /// Accepted quotes whose balance is due and unpaid.
    pub balances_due: i64,
    /// Bookings waiting for staff to confirm them.
    pub bookings_pending: i64,
    /// Client comments in screening rooms that no staff member has answered.
    pub comments_waiting: i64,
    /// Projects whose downloads close within a week.
    pub links_expiring: i64,
    /// Per currency (the shop's first), today's and this week's figures, as the analytics
    /// page defines them.
    pub sales: Vec<(String, Vec<Figures>)>,
}

/// Today's and this week's money, per currency, linking to the analytics page.
fn sales_today(sales: &[(String, Vec<Figures>)]) -> Markup {
    let money = |code: &str, minor: i64| match Currency::parse(code) {
        Some(c) => Money::new(minor, c).to_string(),
        None => format!("{minor} {code}"),
    };
    html! {
        section.dashboard-sales aria-labelledby="dashboard-sales" {
            h2 #dashboard-sales { "Today and this week" }
            @if sales.is_empty() {
                p.muted { "Nothing paid or refunded yet this week. " a href="/admin/analytics" { "Analytics" } }
            }
            @for (code, periods) in sales {
                @if let [today, week] = periods.as_slice() {
                    div.kpi-grid {
                        a.kpi-link href="/admin/analytics?range=7d" {
                            div.kpi {
                                span.kpi-label { "Net revenue today" }
                                strong.kpi-value { (money(code, today.net_minor())) }
                                span.kpi-note { (today.orders) " order" @if today.orders != 1 { "s" } " paid" }
                            }
                        }
                        a.kpi-link href="/admin/analytics?range=7d" {
                            div.kpi {
                                span.kpi-label { "Net revenue this week" }
                                strong.kpi-value { (money(code, week.net_minor())) }
                                span.kpi-note { (week.orders) " order" @if week.orders != 1 { "s" } " paid since Monday" }
                            }
                        }
                        a.kpi-link href="/admin/analytics?range=7d" {
                            div.kpi {
                                span.kpi-label { "Refunded this week" }
                                strong.kpi-value { (money(code, week.refunded_minor)) }
                                span.kpi-note { (week.abandoned) " checkout" @if week.abandoned != 1 { "s" } " abandoned" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /admin`.
pub fn dashboard(ctx: &RequestContext, f: &DashboardFigures) -> Markup {
    let kpi = |label: &str, value: i64, note: &str| {
        html! {
            div.kpi {
                span.kpi-label { (label) }
                strong.kpi-value { (value) }
                span.kpi-note { (note) }
            }
        }
    };
    admin_page(
        ctx,
        "Studio admin",
        "/admin",
        html! {
            div.page-header {
                h1 { "Studio admin" }
                p.lead { "Orders, accounts, email and background work at a glance." }
            }
            (sales_today(&f.sales))
            h2 { "Work waiting" }
            div.kpi-grid {
                a.kpi-link href="/admin/orders?f.status=paid" {
                    (kpi("Orders to ship", f.orders_to_ship, "paid, prints not shipped"))
                }
                a.kpi-link href="/admin/orders?f.flagged=1" {
                    (kpi("Orders to look at", f.orders_attention, "flagged: late or double payment"))
                }
                a.kpi-link href="/admin/quotes?f.state=new" {
                    (kpi("Quote requests", f.quotes_new, "waiting for a proposal"))
                }
                a.kpi-link href="/admin/quotes?f.state=quoted" {
                    (kpi("Proposals out", f.quotes_awaiting, "waiting for the customer"))
                }
                a.kpi-link href="/admin/quotes?f.state=accepted" {
                    (kpi("Balances due", f.balances_due, "accepted quotes not fully paid"))
                }
                a.kpi-link href="/admin/bookings?f.status=pending" {
                    (kpi("Bookings to confirm", f.bookings_pending, "waiting for staff"))
                }
                a.kpi-link href="/admin/projects?sort=-comments_waiting" {
                    (kpi("Comments to answer", f.comments_waiting, "from clients in screening rooms"))
                }
                a.kpi-link href="/admin/projects?f.state=delivered" {
                    (kpi("Links expiring", f.links_expiring, "downloads closing within 7 days"))
                }
                a.kpi-link href="/admin/webhooks?outcome=error" {
                    (kpi("Webhook errors", f.webhook_errors, "events to replay or check"))
                }
                (kpi("New customers", f.customers, "accounts opened in the last 7 days"))
                (kpi("Admins", f.admins, "staff accounts"))
                (kpi("Signed in", f.sessions, "live sessions"))
                (kpi("Emails queued", f.emails_queued, "waiting or retrying"))
                (kpi("Emails sent", f.emails_sent, "in the last 7 days"))
                (kpi("Emails failed", f.emails_failed, "need a resend"))
                (kpi("Jobs queued", f.jobs_queued, "background work"))
                (kpi("Dead jobs", f.jobs_dead, "failed every attempt"))
                a.kpi-link href="/admin/reviews?f.status=pending" {
                    (kpi("Reviews to moderate", f.reviews_pending, "waiting for approval"))
                }
            }
        },
    )
}

/// `GET /admin/outbox`.
pub fn outbox(ctx: &RequestContext, emails: &[EmailRow], next_cursor: Option<String>) -> Markup {
    admin_page(
        ctx,
        "Outbox",
        "/admin/outbox",
        html! {
            div.page-header {
                h1 { "Outbox" }
                p.lead { "Every email the studio sends, newest first. Failed ones can be sent again." }
            }
            @if emails.is_empty() {
                p.empty-state { "No emails yet." }
            } @else {
                div.table-wrap role="region" aria-label="Emails" tabindex="0" {
                    table.data-table {
                        thead { tr {
                            th { "Created" } th { "To" } th { "Subject" } th { "Status" }
                            th { "Attempts" } th { "Last error" }
                            th.actions { span.visually-hidden { "Actions" } }
                        } }
                        tbody {
                            @for e in emails {
                                @let status = if e.status == EmailStatus::Queued && e.attempts > 0 { "retrying" } else { e.status.as_str() };
                                tr {
                                    td { (timestamp(e.created_at)) }
                                    td { (e.to_address) }
                                    td { a href=(format!("/admin/outbox/{}", e.id)) { (e.subject) } }
                                    td { (status_badge(status)) }
                                    td { (e.attempts) }
                                    td.muted { (e.last_error.as_deref().unwrap_or("")) }
                                    td.actions {
                                        form.inline-form method="post" action=(format!("/admin/outbox/{}/resend", e.id)) {
                                            (csrf_field(ctx))
                                            button.button.button-small.button-secondary type="submit" { "Resend" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(cursor) = next_cursor {
                    nav.pagination aria-label="Pages" {
                        a href="/admin/outbox" { "← Newest" }
                        a href=(format!("/admin/outbox?before={cursor}")) { "Older →" }
                    }
                }
            }
        },
    )
}

/// `GET /admin/outbox/:id`.
pub fn email_detail(ctx: &RequestContext, e: &EmailRow) -> Markup {
    admin_page(
        ctx,
        &e.subject,
        "/admin/outbox",
        html! {
            div.page-header {
                p { a href="/admin/outbox" { "← Outbox" } }
                h1 { (e.subject) }
                p.lead { "To " strong { (e.to_address) } " · " (status_badge(e.status.as_str())) " · created " (timestamp(e.created_at)) }
            }
            @if let Some(err) = &e.last_error { div.alert.alert-error { p { "Last error: " (err) } } }
            section.panel {
                h2 { "Headers" }
                dl.facts {
                    dt { "To" } dd { (e.to_address) }
                    dt { "Reply-To" }
                    dd {
                        @if let Some(r) = &e.reply_to { (r) }
                        @else { span.muted { "none: replies go to the sender address" } }
                    }
                    dt { "Subject" } dd { (e.subject) }
                    dt { "Template" } dd { code { (e.kind) } }
                    dt { "Attempts" } dd { (e.attempts) }
                    dt { "Sent" } dd { @if let Some(at) = e.sent_at { (timestamp(at)) } @else { "not yet" } }
                }
            }
            section.panel {
                h2 { "Plain-text version" }
                pre.email-text { (e.text_body) }
                form.inline-form method="post" action=(format!("/admin/outbox/{}/resend", e.id)) {
                    (csrf_field(ctx))
                    button.button.button-secondary type="submit" { "Resend" }
                }
            }
        },
    )
}

/// `GET /admin/jobs`.
pub fn jobs(ctx: &RequestContext, jobs: &[JobRow], filter: Option<JobStatus>) -> Markup {
    admin_page(
        ctx,
        "Jobs",
        "/admin/jobs",
        html! {
            div.page-header {
                h1 { "Background jobs" }
                p.lead { "Work waiting, running, or dead after every retry. Finished jobs are not listed." }
                nav.pagination aria-label="Filter" {
                    a href="/admin/jobs" aria-current=[filter.is_none().then_some("page")] { "All open" }
                    @for (status, label) in [(JobStatus::Queued, "Queued"), (JobStatus::Running, "Running"), (JobStatus::Dead, "Dead")] {
                        a href=(format!("/admin/jobs?status={}", status.as_str())) aria-current=[(filter == Some(status)).then_some("page")] { (label) }
                    }
                }
            }
            @if jobs.is_empty() {
                p.empty-state { "Nothing waiting. All caught up." }
            } @else {
                div.table-wrap role="region" aria-label="Jobs" tabindex="0" {
                    table.data-table {
                        thead { tr {
                            th { "Created" } th { "Kind" } th { "Status" } th { "Attempts" }
                            th { "Next run" } th { "Last error" }
                            th.actions { span.visually-hidden { "Actions" } }
                        } }
                        tbody {
                            @for j in jobs {
                                tr {
                                    td { (timestamp(j.created_at)) }
                                    td { code { (j.kind) } }
                                    td { (status_badge(j.status.as_str())) }
                                    td { (j.attempts) " / " (j.max_attempts) }
                                    td { (timestamp(j.run_at)) }
                                    td.muted { (j.last_error.as_deref().unwrap_or("")) }
                                    td.actions {
                                        @if j.status == JobStatus::Dead {
                                            form.inline-form method="post" action=(format!("/admin/jobs/{}/retry", j.id)) {
                                                (csrf_field(ctx))
                                                button.button.button-small.button-secondary type="submit" { "Retry" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// `GET /admin/audit`.
pub fn audit(
    ctx: &RequestContext,
    rows: &[AuditRow],
    entities: &[String],
    selected: Option<&str>,
) -> Markup {
    admin_page(
        ctx,
        "Audit log",
        "/admin/audit",
        html! {
            div.page-header {
                h1 { "Audit log" }
                p.lead { "Every change made in the admin: who, when, and the row before and after." }
            }
            form.table-toolbar method="get" action="/admin/audit" {
                label for="audit-entity" { "Show" }
                select #audit-entity name="entity" {
                    option value="" { "every kind of row" }
                    @for e in entities { option value=(e) selected[selected == Some(e.as_str())] { (e) } }
                }
                button.button.button-small.button-secondary type="submit" { "Filter" }
            }
            @if rows.is_empty() {
                p.empty-state { "No admin changes yet." }
            } @else {
                div.table-wrap role="region" aria-label="Changes" tabindex="0" {
                    table.data-table {
                        thead { tr { th { "When" } th { "Who" } th { "Action" } th { "Row" } th { "What changed" } } }
                        tbody {
                            @for r in rows {
                                @let d = describe(r.before_json.as_deref(), r.after_json.as_deref());
                                tr {
                                    td { (timestamp(r.created_at)) }
                                    td { (r.actor_email) }
                                    td { code { (r.action) } }
                                    td {
                                        a href=(format!("/admin/audit?entity={}&id={}", r.entity, r.entity_id)) title=(format!("{} {}", r.entity, r.entity_id)) {
                                            (r.entity.replace('_', " ")) ": " (d.label.as_deref().unwrap_or("(no name)"))
                                        }
                                    }
                                    td {
                                        @if d.changes.is_empty() {
                                            span.muted { "no field changed" }
                                        } @else {
                                            ul.change-list {
                                                @for c in &d.changes {
                                                    li {
                                                        strong { (c.field) } ": "
                                                        @match (&c.before, &c.after) {
                                                            (Some(b), Some(a)) => { del { (b) } " → " ins { (a) } }
                                                            (None, Some(a)) => { ins { (a) } }
                                                            (Some(b), None) => { del { (b) } " (removed)" }
                                                            (None, None) => {}
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                        details.raw-json {
                                            summary { "Raw rows" }
                                            pre { code { "before: " (r.before_json.as_deref().unwrap_or("—")) "\nafter: " (r.after_json.as_deref().unwrap_or("—")) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
