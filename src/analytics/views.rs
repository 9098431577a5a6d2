//! The analytics page: the period form (presets, or two dates) and the report beneath it, the
//! fragment the form swaps with htmx; without JavaScript the form is a plain GET.

use maud::{Markup, html};

use super::charts::{BarChart, Series, bar_chart, funnel_chart, line_chart, stacked_bar_chart};
use super::period::{Grain, PRESETS, Period};
use super::report::{BestSellers, CurrencyReport, Figures, SalesReport, SalesRow};
use super::services::{Outcomes, ServicesReport, percent_of};
use crate::http::context::RequestContext;
use crate::money::{Currency, Money};
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
    let running: Vec<i64> = c
        .net_by_bucket
        .iter()
        .scan(0, |sum, v| {
            *sum += v;
            Some(*sum)
        })
        .collect();
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
                labels: labels.clone(),
                values: &c.orders_by_bucket,
                value_header: "Orders paid",
            }, |v| v.to_string()))
            (line_chart(&BarChart {
                id: &format!("running-{}", c.code),
                title: &format!("Net revenue in {} so far, {grain} by {grain}", c.code),
                description: format!(
                    "The running total of net revenue in {} from {} to {}, ending at {}.",
                    c.code, day(r.period.from), day(r.period.to), money(c, now.net_minor())
                ),
                labels,
                values: &running,
                value_header: "Net revenue so far",
            }, |v| money(c, v)))
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
pub fn report(form: &PeriodForm, r: &SalesReport, services: &ServicesReport) -> Markup {
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
                " (" a href=(export("best-sellers", true)) download { "for Excel" } "), "
                a href=(export("categories", false)) download { "the categories" } ", "
                a href=(export("bookings", false)) download { "the bookings per " (grain_name(r.period.grain())) } ", "
                a href=(export("quotes", false)) download { "the quote funnel" } "."
            }
            @if r.currencies.is_empty() {
                p.empty-state { "Nothing was sold, paid or refunded in this period or the one before." }
            }
            @for c in &r.currencies { (currency_section(r, c)) }
            (bookings_section(r, services))
            (quotes_section(services))
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
pub fn best_sellers(best: &BestSellers, shop: Currency) -> Markup {
    html! {
        section #best-sellers aria-labelledby="top-products" {
            h2 #top-products { "Best sellers" }
            @if best.products.is_empty() {
                p.empty-state { "No order was paid in this period." }
            } @else {
                (sales_table("Best sellers, by product", "Product", &best.product_rows(), shop))
                h3 { "By category" }
                (sales_table("Best sellers, by category", "Category", &best.category_rows(), shop))
            }
        }
    }
}

/// A best-sellers table (products or categories), `first` naming its first column.
fn sales_table(label: &str, first: &str, rows: &[SalesRow<'_>], shop: Currency) -> Markup {
    html! {
        div.table-wrap role="region" aria-label=(label) tabindex="0" {
            table.data-table {
                thead { tr {
                    th scope="col" { (first) } th scope="col" { "Units" }
                    th scope="col" { "Sold for" } th scope="col" { "Currency" }
                } }
                tbody {
                    @for (name, units, code, total) in rows {
                        tr {
                            td { (name) }
                            td.num { (units) }
                            td.num { (Money::new(*total, Currency::parse(code).unwrap_or(shop))) }
                            td { (code) }
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
    best: &BestSellers,
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
            (best_sellers(best, shop))
        },
    )
}

/// `GET /admin/analytics`.
pub fn page(
    ctx: &RequestContext,
    form: &PeriodForm,
    r: &SalesReport,
    services: &ServicesReport,
) -> Markup {
    admin_page(
        ctx,
        "Analytics",
        "/admin/analytics",
        html! {
            div.page-header {
                h1 { "Analytics" }
                p.lead { "Sales, refunds, abandoned checkouts, bookings and quotes over a period, each currency apart. Every figure is defined in the project's docs/analytics.md." }
            }
            (report(form, r, services))
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

/// "3 h", "2 d 4 h", "45 min"; "—" for none.
fn duration(secs: Option<i64>) -> String {
    let Some(secs) = secs else {
        return "—".to_owned();
    };
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    match (days, hours) {
        (0, 0) => format!("{minutes} min"),
        (0, h) => format!("{h} h"),
        (d, 0) => format!("{d} d"),
        (d, h) => format!("{d} d {h} h"),
    }
}

fn percent(p: Option<i64>) -> String {
    p.map_or_else(|| "—".to_owned(), |p| format!("{p}%"))
}

/// Bookings: what is to come, what became of the period's, when they happen, and how full
/// the resources were.
fn bookings_section(r: &SalesReport, s: &ServicesReport) -> Markup {
    let (now, before): (&Outcomes, &Outcomes) = (&s.current, &s.previous);
    let grain = grain_name(r.period.grain());
    let labels: Vec<&str> = r.buckets.iter().map(|b| b.label.as_str()).collect();
    let hours: Vec<String> = (0..24).map(|h| format!("{h:02}:00")).collect();
    let hour_labels: Vec<&str> = hours.iter().map(String::as_str).collect();
    let booked = now.going_ahead + now.no_shows;
    html! {
        section.analytics-currency aria-labelledby="bookings-heading" {
            h2 #bookings-heading { "Bookings" }
            div.kpi-grid {
                (kpi("Upcoming", s.upcoming.to_string(), "pending or confirmed, from now on".to_owned()))
                (kpi("Starting in the period", booked.to_string(), change(booked, before.going_ahead + before.no_shows)))
                (kpi("No-shows", now.no_shows.to_string(), format!("{} of those whose time came", percent(now.no_show_percent()))))
                (kpi("Cancelled", now.cancelled.to_string(), change(now.cancelled, before.cancelled)))
            }
            (stacked_bar_chart(
                "bookings-outcomes",
                &format!("Bookings per {grain}, by outcome"),
                &format!(
                    "Bookings starting each {grain} from {} to {}: {} going ahead or done, {} no-shows, {} cancelled.",
                    day(r.period.from), day(r.period.to), now.going_ahead, now.no_shows, now.cancelled
                ),
                &labels,
                &[
                    Series { name: "Going ahead or done", values: s.by_bucket.iter().map(|o| o.going_ahead).collect() },
                    Series { name: "No-shows", values: s.by_bucket.iter().map(|o| o.no_shows).collect() },
                    Series { name: "Cancelled", values: s.by_bucket.iter().map(|o| o.cancelled).collect() },
                ],
            ))
            (bar_chart(&BarChart {
                id: "bookings-weekday",
                title: "Bookings by day of the week",
                description: format!("Bookings starting in the period (not cancelled), by the weekday they start on in the studio's zone; {booked} in all."),
                labels: vec!["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                values: &s.by_weekday,
                value_header: "Bookings",
            }, |v| v.to_string()))
            (bar_chart(&BarChart {
                id: "bookings-hour",
                title: "Bookings by starting hour",
                description: format!("Bookings starting in the period (not cancelled), by the hour they start at in the studio's zone; {booked} in all."),
                labels: hour_labels,
                values: &s.by_hour,
                value_header: "Bookings",
            }, |v| v.to_string()))
            (utilisation_table(s))
        }
    }
}

fn utilisation_table(s: &ServicesReport) -> Markup {
    let hours = |secs: i64| format!("{:.1} h", secs as f64 / 3_600.0);
    html! {
        h3 { "Utilisation against opening hours" }
        @if s.utilisation.is_empty() {
            p.empty-state { "No resources yet." }
        } @else {
            div.table-wrap role="region" aria-label="Utilisation of resources" tabindex="0" {
                table.data-table {
                    thead { tr {
                        th scope="col" { "Resource" } th scope="col" { "At once" }
                        th scope="col" { "Occupied" } th scope="col" { "Open × at once" } th scope="col" { "Utilisation" }
                    } }
                    tbody {
                        @for u in &s.utilisation {
                            tr {
                                td { (u.name) }
                                td.num { (u.capacity) }
                                td.num { (hours(u.occupied)) }
                                td.num { (hours(u.available)) }
                                td.num { (percent(u.percent())) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The quote funnel of the requests received in the period.
fn quotes_section(s: &ServicesReport) -> Markup {
    let (f, before) = (&s.funnel, &s.previous_funnel);
    let conversion = percent_of(f.booked, f.received);
    html! {
        section.analytics-currency aria-labelledby="quotes-heading" {
            h2 #quotes-heading { "Quotes" }
            div.kpi-grid {
                (kpi("Requests received", f.received.to_string(), change(f.received, before.received)))
                (kpi("Quoted", f.quoted.to_string(), format!("median {} after the request", duration(f.median_to_quote))))
                (kpi("Accepted", f.accepted.to_string(), format!("median {} after the first proposal", duration(f.median_to_accept))))
                (kpi("Quote → booking", percent(conversion), format!("{} of {} requests booked a shoot", f.booked, f.received)))
            }
            (funnel_chart(
                "quote-funnel",
                "Quote requests of the period, stage by stage",
                &format!(
                    "Of {} requests received, {} were quoted, {} accepted and {} booked a shoot.",
                    f.received, f.quoted, f.accepted, f.booked
                ),
                &[("Received", f.received), ("Quoted", f.quoted), ("Accepted", f.accepted), ("Booked", f.booked)],
            ))
        }
    }
}
