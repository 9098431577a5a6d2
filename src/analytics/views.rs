//! The analytics page: the period form (presets, or two dates) and the report beneath it, the
//! fragment the form swaps with htmx; without JavaScript the form is a plain GET.

use maud::{Markup, html};

use super::charts::{BarChart, bar_chart};
use super::period::{Grain, PRESETS, Period};
use super::report::{CurrencyReport, Figures, SalesReport};
use crate::http::context::RequestContext;
use crate::money::{Currency, Money};
use crate::orders::store::ProductSales;
use crate::views::admin::admin_page;

/// What the period form was given, as it shows it again.
#[derive(Debug, Clone, Default)]
pub struct PeriodForm {
    /// The preset chosen (`custom` for two dates).
    pub range: String,
    /// The first day typed.
    pub from: String,
    /// The last day typed.
    pub to: String,
    /// Why the dates were refused.
    pub error: Option<&'static str>,
}

fn money(c: &CurrencyReport, minor: i64) -> String {
    match c.currency {
        Some(currency) => Money::new(minor, currency).to_string(),
        None => format!("{minor} {} (minor units)", c.code),
    }
}

fn day(d: jiff::civil::Date) -> String {
    d.strftime("%-d %b %Y").to_string()
}

/// "+12%", "−5%", "new" (nothing before), or "" (nothing either time).
fn change(now: i64, before: i64) -> String {
    if before == 0 {
        return if now == 0 {
            String::new()
        } else {
            "new".to_owned()
        };
    }
    let pct = ((now - before) as f64 / before.unsigned_abs() as f64 * 100.0).round();
    if pct >= 0.0 {
        format!("+{pct:.0}% on the period before")
    } else {
        format!("−{:.0}% on the period before", -pct)
    }
}

/// "day", "week" or "month".
fn grain_name(grain: Grain) -> &'static str {
    match grain {
        Grain::Day => "day",
        Grain::Week => "week",
        Grain::Month => "month",
    }
}

fn kpi(label: &str, value: String, note: String) -> Markup {
    html! {
        div.kpi {
            span.kpi-label { (label) }
            strong.kpi-value { (value) }
            span.kpi-note { (note) }
        }
    }
}

fn currency_section(r: &SalesReport, c: &CurrencyReport) -> Markup {
    let (now, before): (&Figures, &Figures) = (&c.current, &c.previous);
    let labels: Vec<&str> = r.buckets.iter().map(|b| b.label.as_str()).collect();
    let grain = grain_name(r.period.grain());
    html! {
        section.analytics-currency aria-labelledby=(format!("sales-{}", c.code)) {
            h2 #(format!("sales-{}", c.code)) { "Sales in " (c.code) }
            div.kpi-grid {
                (kpi("Net revenue", money(c, now.net_minor()), change(now.net_minor(), before.net_minor())))
                (kpi("Captured", money(c, now.captured_minor), format!("{} before", money(c, before.captured_minor))))
                (kpi("Refunded", money(c, now.refunded_minor), format!("{} refund{}", now.refunds, if now.refunds == 1 { "" } else { "s" })))
                (kpi("Orders paid", now.orders.to_string(), change(now.orders, before.orders)))
                (kpi("Average order", now.average_order_minor().map_or_else(|| "—".to_owned(), |m| money(c, m)),
                    before.average_order_minor().map_or_else(String::new, |m| format!("{} before", money(c, m)))))
                (kpi("Booking deposits", money(c, now.deposits_minor), format!("{} before", money(c, before.deposits_minor))))
                (kpi("Quote payments", money(c, now.quote_payments_minor), "deposits and balances".to_owned()))
                (kpi("Abandoned checkouts", now.abandoned.to_string(), format!("worth {}", money(c, now.abandoned_minor))))
            }
            (bar_chart(&BarChart {
                id: &format!("net-{}", c.code),
                title: &format!("Net revenue in {} per {grain}", c.code),
                description: format!(
                    "Money captured minus refunds issued, in {}, per {grain} from {} to {}; {} in all.",
                    c.code, day(r.period.from), day(r.period.to), money(c, now.net_minor())
                ),
                labels: labels.clone(),
                values: &c.net_by_bucket,
                value_header: "Net revenue",
            }, |v| money(c, v)))
            (bar_chart(&BarChart {
                id: &format!("orders-{}", c.code),
                title: &format!("Orders paid in {} per {grain}", c.code),
                description: format!(
                    "Orders whose payment was captured, per {grain} from {} to {}; {} in all.",
                    day(r.period.from), day(r.period.to), now.orders
                ),
                labels,
                values: &c.orders_by_bucket,
                value_header: "Orders paid",
            }, |v| v.to_string()))
        }
    }
}

/// The period's choice: presets as links, and a form for two dates.
fn period_controls(form: &PeriodForm) -> Markup {
    html! {
        nav.analytics-presets aria-label="Periods" {
            ul {
                @for (value, label) in PRESETS {
                    @let href = format!("/admin/analytics?range={value}");
                    li {
                        a href=(href) hx-get=(href) hx-target="#analytics-report" hx-swap="outerHTML"
                            hx-push-url="true" aria-current=[(form.range == *value).then_some("true")] { (label) }
                    }
                }
            }
        }
        form.table-toolbar.analytics-period method="get" action="/admin/analytics"
            hx-get="/admin/analytics" hx-target="#analytics-report" hx-swap="outerHTML" hx-push-url="true" {
            label.filter-date for="analytics-from" { "From" }
            input #analytics-from type="date" name="from" value=(form.from) required
                aria-invalid=[form.error.map(|_| "true")] aria-describedby=[form.error.map(|_| "analytics-error")];
            label.filter-date for="analytics-to" { "to" }
            input #analytics-to type="date" name="to" value=(form.to) required;
            button.button.button-small.button-secondary type="submit" { "Show these days" }
            @if let Some(e) = form.error {
                p.field-error #analytics-error role="alert" { (e) " Showing the last 30 days instead." }
            }
        }
    }
}

/// The period's choice and its report: the fragment the links and the form swap.
pub fn report(form: &PeriodForm, r: &SalesReport) -> Markup {
    html! {
        div #analytics-report .analytics-report {
            (period_controls(form))
            p.lead {
                (day(r.period.from)) " – " (day(r.period.to)) " (" (r.period.days()) " days), compared with "
                (day(r.previous.from)) " – " (day(r.previous.to)) ". Days begin at midnight in the studio's time zone."
            }
            @let export = |table: &str, bom: bool| format!(
                "/admin/analytics/export?table={table}&{}{}", period_query(form), if bom { "&bom=1" } else { "" }
            );
            p.analytics-exports {
                "Download as CSV: "
                a href=(export("figures", false)) download { "the figures per " (grain_name(r.period.grain())) }
                " (" a href=(export("figures", true)) download { "for Excel" } "), "
                a href=(export("best-sellers", false)) download { "the best sellers" }
                " (" a href=(export("best-sellers", true)) download { "for Excel" } ")."
            }
            @if r.currencies.is_empty() {
                p.empty-state { "Nothing was sold, paid or refunded in this period or the one before." }
            }
            @for c in &r.currencies { (currency_section(r, c)) }
            (best_sellers_placeholder(form))
        }
    }
}

/// The query naming the period the form shows (a preset, or two dates).
fn period_query(form: &PeriodForm) -> String {
    if form.error.is_some() {
        // Refused dates: the report shows the default period.
        "range=30d".to_owned()
    } else if form.range == "custom" {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("from", &form.from);
        s.append_pair("to", &form.to);
        s.finish()
    } else {
        format!("range={}", form.range)
    }
}

/// Where the best sellers come, fetched once the rest of the report is shown; without
/// JavaScript a link to them.
fn best_sellers_placeholder(form: &PeriodForm) -> Markup {
    let href = format!("/admin/analytics/best-sellers?{}", period_query(form));
    html! {
        section #best-sellers aria-labelledby="top-products" hx-get=(href) hx-trigger="load" hx-swap="outerHTML" {
            h2 #top-products { "Best sellers" }
            p { a href=(href) { "Show the best sellers of this period" } }
        }
    }
}

/// The best sellers' section (the fragment that replaces the placeholder).
pub fn best_sellers(top: &[ProductSales], shop: Currency) -> Markup {
    html! {
        section #best-sellers aria-labelledby="top-products" {
            h2 #top-products { "Best sellers" }
            @if top.is_empty() {
                p.empty-state { "No order was paid in this period." }
            } @else {
                div.table-wrap role="region" aria-label="Best sellers, by product" tabindex="0" {
                    table.data-table {
                        thead { tr {
                            th scope="col" { "Product" } th scope="col" { "Units" }
                            th scope="col" { "Sold for" } th scope="col" { "Currency" }
                        } }
                        tbody {
                            @for p in top {
                                @let currency = Currency::parse(&p.currency).unwrap_or(shop);
                                tr {
                                    td { (p.title) }
                                    td.num { (p.units) }
                                    td.num { (Money::new(p.total_minor, currency)) }
                                    td { (p.currency) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /admin/analytics/best-sellers` without JavaScript: the best sellers on a page.
pub fn best_sellers_page(
    ctx: &RequestContext,
    form: &PeriodForm,
    period: Period,
    top: &[ProductSales],
    shop: Currency,
) -> Markup {
    admin_page(
        ctx,
        "Best sellers",
        "/admin/analytics",
        html! {
            div.page-header {
                h1 { "Best sellers" }
                p.lead { (day(period.from)) " – " (day(period.to)) ". "
                    a href=(format!("/admin/analytics?{}", period_query(form))) { "Back to the report" } }
            }
            (best_sellers(top, shop))
        },
    )
}

/// `GET /admin/analytics`.
pub fn page(ctx: &RequestContext, form: &PeriodForm, r: &SalesReport) -> Markup {
    admin_page(
        ctx,
        "Analytics",
        "/admin/analytics",
        html! {
            div.page-header {
                h1 { "Analytics" }
                p.lead { "Sales, refunds and abandoned checkouts over a period, each currency apart. Every figure is defined in the project's docs/analytics.md." }
            }
            (report(form, r))
        },
    )
}

/// The form's fields for a period that was chosen by preset.
pub fn form_for(range: &str, period: Period) -> PeriodForm {
    PeriodForm {
        range: range.to_owned(),
        from: period.from.to_string(),
        to: period.to.to_string(),
        error: None,
    }
}
