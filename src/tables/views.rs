//! Rendering of the inline-edit table: the page, the table fragment, a display cell and an
//! editing cell.

use maud::{Markup, html};

use super::{COUNT_CAP, Column, Kind, ListQuery, PAGE_SIZE, Row, TableSpec, Value};
use crate::http::context::RequestContext;
use crate::money::{Currency, Money};
use crate::views::admin::admin_page;
use crate::views::components::{csrf_field, pagination, timestamp};

pub use super::Refs;

fn cell_id(row_id: &str, key: &str) -> String {
    format!("cell-{row_id}-{key}")
}

/// The list URL for a query and page.
pub fn list_href(spec: &TableSpec, q: &ListQuery, page: i64, sort: Option<(&str, bool)>) -> String {
    href_with_cursor(spec, q, page, sort, None)
}

/// The list URL for a query and page, with a keyset cursor: `("after", id)` or
/// `("before", id)`.
fn href_with_cursor(
    spec: &TableSpec,
    q: &ListQuery,
    page: i64,
    sort: Option<(&str, bool)>,
    cursor: Option<(&str, &str)>,
) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    if !q.q.is_empty() {
        s.append_pair("q", &q.q);
    }
    for (k, v) in &q.filters {
        match v.split_once(':') {
            Some((end @ ("from" | "to"), day)) => {
                s.append_pair(&format!("f.{k}.{end}"), day);
            }
            _ => {
                s.append_pair(&format!("f.{k}"), v);
            }
        }
    }
    match sort {
        Some((key, desc)) => {
            s.append_pair("sort", &format!("{}{key}", if desc { "-" } else { "" }));
        }
        None => {
            if let Some(key) = q.sort {
                s.append_pair("sort", &format!("{}{key}", if q.desc { "-" } else { "" }));
            }
        }
    }
    if page > 1 {
        s.append_pair("page", &page.to_string());
        if let Some((side, id)) = cursor {
            s.append_pair(side, id);
        }
    }
    let query = s.finish();
    if query.is_empty() {
        format!("/admin/{}", spec.name)
    } else {
        format!("/admin/{}?{query}", spec.name)
    }
}

/// The CSV export of the rows a list query selects (`bom`: for Excel).
fn export_href(spec: &TableSpec, q: &ListQuery, bom: bool) -> String {
    let list = list_href(spec, q, 1, None);
    let mut params: Vec<&str> = list.split_once('?').map(|(_, q)| q).into_iter().collect();
    if bom {
        params.push("bom=1");
    }
    let base = format!("/admin/{}/export", spec.name);
    if params.is_empty() {
        base
    } else {
        format!("{base}?{}", params.join("&"))
    }
}

/// The text a cell shows.
pub fn display_text(
    col: &Column,
    value: Option<&Value>,
    currency: Currency,
    refs: &Refs,
) -> String {
    match (col.kind, value) {
        (_, None) | (_, Some(Value::Text(None))) | (_, Some(Value::Int(None))) => String::new(),
        (Kind::Money { signed }, Some(Value::Int(Some(v)))) => {
            let m = Money::new(*v, currency);
            if signed { m.signed() } else { m.to_string() }
        }
        (Kind::Bool, Some(Value::Int(Some(v)))) => (if *v != 0 { "Yes" } else { "No" }).to_owned(),
        (Kind::Timestamp, Some(Value::Int(Some(v)))) => timestamp(*v),
        (Kind::Amounts, Some(Value::Text(Some(t)))) => super::amounts(t)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" · "),
        (Kind::Choice(options), Some(Value::Text(Some(t)))) => options
            .iter()
            .find(|(v, _)| v == t)
            .map_or_else(|| t.clone(), |(_, l)| (*l).to_owned()),
        (Kind::Ref { source, .. }, Some(Value::Text(Some(t)))) => refs
            .get(source.name)
            .and_then(|rows| rows.iter().find(|(id, _)| id == t))
            .map_or_else(|| "(removed)".to_owned(), |(_, l)| l.clone()),
        (Kind::Text { max, .. }, Some(Value::Text(Some(t)))) if max > 200 => {
            let short: String = t.chars().take(80).collect();
            if t.chars().count() > 80 {
                format!("{short}…")
            } else {
                short
            }
        }
        (_, Some(Value::Int(Some(v)))) => v.to_string(),
        (_, Some(Value::Text(Some(t)))) => t.clone(),
    }
}

/// The inside of a display cell: the value as a link that opens the editor. Amounts are in
/// the row's currency when it has one, else in `currency` (the shop's).
pub fn display_cell(
    spec: &TableSpec,
    row: &Row,
    col: &Column,
    currency: Currency,
    refs: &Refs,
    note: Option<&str>,
) -> Markup {
    let currency = row.currency.unwrap_or(currency);
    let text = display_text(col, row.get(spec, col.key), currency, refs);
    let edit = format!("/admin/{}/{}/{}/edit", spec.name, row.id, col.key);
    html! {
        @if col.editable {
            a.cell-value href=(edit) hx-get=(edit) hx-target=(format!("#{}", cell_id(&row.id, col.key)))
                hx-swap="innerHTML" title=(format!("Edit {}", col.label.to_lowercase())) {
                @if text.is_empty() { span.cell-empty { "—" } } @else { (text) }
            }
        } @else {
            @if text.is_empty() { span.cell-empty { "—" } } @else { (text) }
        }
        @if let Some(n) = note { p.cell-conflict role="alert" { (n) } }
    }
}

fn input(col: &Column, value: &str, refs: &Refs) -> Markup {
    let id = format!("edit-{}", col.key);
    html! {
        @match col.kind {
            Kind::Text { multiline: true, max, .. } => {
                textarea id=(id) name="value" rows="4" maxlength=(max) autofocus { (value) }
            }
            Kind::Text { max, .. } => {
                input id=(id) type="text" name="value" value=(value) maxlength=(max) autofocus;
            }
            Kind::Bool => {
                select id=(id) name="value" autofocus {
                    option value="1" selected[value == "1"] { "Yes" }
                    option value="0" selected[value != "1"] { "No" }
                }
            }
            Kind::Choice(options) => {
                select id=(id) name="value" autofocus {
                    @for (v, l) in options { option value=(v) selected[value == *v] { (l) } }
                }
            }
            Kind::Ref { source, nullable } => {
                select id=(id) name="value" autofocus {
                    @if nullable { option value="" { "— none —" } }
                    @for (v, l) in refs.get(source.name).map_or(&[][..], Vec::as_slice) {
                        option value=(v) selected[value == v] { (l) }
                    }
                }
            }
            Kind::Money { .. } => {
                input id=(id) type="text" inputmode="decimal" name="value" value=(value) autofocus;
            }
            Kind::Int { min, max, .. } => {
                input id=(id) type="number" name="value" value=(value) min=(min) max=(max) autofocus;
            }
            Kind::Slug => {
                input id=(id) type="text" name="value" value=(value) pattern="[a-z0-9-]+" autofocus;
            }
            Kind::Timestamp | Kind::Amounts => { (value) }
        }
    }
}

/// The inside of an editing cell: the input, save and cancel, and the error if any.
#[allow(clippy::too_many_arguments)]
pub fn edit_cell(
    ctx: &RequestContext,
    spec: &TableSpec,
    row_id: &str,
    version: i64,
    col: &Column,
    value: &str,
    refs: &Refs,
    error: Option<&str>,
) -> Markup {
    let action = format!("/admin/{}/{}/{}", spec.name, row_id, col.key);
    let target = format!("#{}", cell_id(row_id, col.key));
    html! {
        form.cell-form method="post" action=(action) hx-post=(action) hx-target=(target) hx-swap="innerHTML" {
            (csrf_field(ctx))
            input type="hidden" name="version" value=(version);
            label.visually-hidden for=(format!("edit-{}", col.key)) { (col.label) }
            (input(col, value, refs))
            button.button.button-small.button-primary type="submit" { "Save" }
            a.button.button-small.button-ghost data-cancel href=(format!("/admin/{}", spec.name))
                hx-get=(action) hx-target=(target) hx-swap="innerHTML" { "Cancel" }
            @if let Some(e) = error { p.cell-error role="alert" { (e) } }
        }
    }
}

/// One page of a table as listed.
#[derive(Debug)]
pub struct Listing<'a> {
    /// The table.
    pub spec: &'a TableSpec,
    /// The query.
    pub q: &'a ListQuery,
    /// Rows on this page.
    pub rows: &'a [Row],
    /// Rows matching.
    pub total: i64,
    /// The shop's currency.
    pub currency: Currency,
    /// Reference choices.
    pub refs: &'a Refs,
}

/// The filters, the table and its pages (the fragment filtering, sorting and paging swap).
pub fn table(ctx: &RequestContext, l: &Listing<'_>) -> Markup {
    let Listing {
        spec,
        q,
        rows,
        total,
        currency,
        refs,
    } = *l;
    let counted = total.min(COUNT_CAP);
    let pages = (counted + PAGE_SIZE - 1) / PAGE_SIZE;
    let more = total > COUNT_CAP && i64::try_from(rows.len()).is_ok_and(|n| n == PAGE_SIZE);
    // The neighbouring pages start from this page's first and last rows (keyset paging).
    let page_href = |n: i64| {
        let cursor = if n == q.page + 1 {
            rows.last().map(|r| ("after", r.id.as_str()))
        } else if n == q.page - 1 {
            rows.first().map(|r| ("before", r.id.as_str()))
        } else {
            None
        };
        href_with_cursor(spec, q, n, None, cursor)
    };
    let region = format!("table-{}", spec.name);
    let bulk_form = format!("bulk-{}", spec.name);
    html! {
        div #(region) .table-region {
            p.muted.table-summary {
                @if total > COUNT_CAP { "More than " (COUNT_CAP) " rows" }
                @else { (total) " row" @if total != 1 { "s" } }
                @if total > 0 {
                    " · "
                    a href=(export_href(spec, q, false)) download { "Export as CSV" }
                    " ("
                    a href=(export_href(spec, q, true)) download { "for Excel" }
                    ")"
                }
            }
            @if !spec.bulk.is_empty() && !rows.is_empty() {
                form.bulk-bar #(bulk_form) method="post" action=(format!("/admin/{}/bulk", spec.name)) {
                    (csrf_field(ctx))
                    label for=(format!("{bulk_form}-action")) { "With selected rows:" }
                    select id=(format!("{bulk_form}-action")) name="action" {
                        @for b in spec.bulk { option value=(b.name) { (b.label) } }
                    }
                    button.button.button-small.button-secondary type="submit" { "Apply" }
                }
            }
            @if rows.is_empty() {
                p.empty-state { "No rows match." }
            } @else {
                div.table-wrap role="region" aria-label=(spec.title) tabindex="0" {
                    table.data-table.inline-table {
                        thead { tr {
                            @if !spec.bulk.is_empty() { th { span.visually-hidden { "Select" } } }
                            @for (i, c) in spec.columns.iter().enumerate() {
                                @let current = c.sortable && (q.sort == Some(c.key) || (q.sort.is_none() && spec.default_sort.0 == c.key));
                                @let desc_now = if q.sort.is_some() { q.desc } else { spec.default_sort.1 };
                                // aria-sort belongs on the header cell, not on its link.
                                // The first column names the row: it stays in view while the
                                // table scrolls sideways.
                                th.col-key[i == 0] scope="col" aria-sort=[current.then_some(if desc_now { "descending" } else { "ascending" })] {
                                    @if c.sortable {
                                        @let href = list_href(spec, q, 1, Some((c.key, current && !desc_now)));
                                        a.sort href=(href) hx-get=(href) hx-target=(format!("#{region}")) hx-swap="outerHTML" hx-push-url="true" { (c.label) }
                                    } @else { (c.label) }
                                }
                            }
                            @if !spec.links.is_empty() { th { span.visually-hidden { "Links" } } }
                        } }
                        tbody {
                            @for r in rows {
                                tr #(format!("row-{}", r.id)) {
                                    @if !spec.bulk.is_empty() {
                                        td { input type="checkbox" name="ids" value=(r.id) form=(bulk_form) aria-label="Select row"; }
                                    }
                                    @for (i, c) in spec.columns.iter().enumerate() {
                                        td.cell.col-key[i == 0] #(cell_id(&r.id, c.key)) { (display_cell(spec, r, c, currency, refs, None)) }
                                    }
                                    @if !spec.links.is_empty() {
                                        td.row-actions {
                                            @for l in spec.links { a href=(l.path.replace("{id}", &r.id)) { (l.label) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (pagination(q.page, pages, more, page_href, &region))
        }
    }
}

/// `GET /admin/{table}`.
pub fn page(
    ctx: &RequestContext,
    l: &Listing<'_>,
    create_errors: &[(&'static str, String)],
) -> Markup {
    let Listing { spec, q, refs, .. } = *l;
    let region = format!("#table-{}", spec.name);
    admin_page(
        ctx,
        spec.title,
        &format!("/admin/{}", spec.name),
        html! {
            div.page-header {
                h1 { (spec.title) }
                p.lead {
                    (spec.help)
                    @if spec.columns.iter().any(|c| c.editable) { " Click a value to edit it; Enter saves, Escape cancels." }
                }
            }
            @if let Some(create) = spec.create {
                details.panel.create-panel open[!create_errors.is_empty()] {
                    summary { "Add a row" }
                    form.create-form method="post" action=(format!("/admin/{}/new", spec.name)) {
                        (csrf_field(ctx))
                        @for key in create.fields {
                            @if let Some(c) = spec.column(key) {
                                @let error = create_errors.iter().find(|(k, _)| k == key).map(|(_, e)| e.as_str());
                                div class=(if error.is_some() { "field has-error" } else { "field" }) {
                                    label for=(format!("edit-{}", c.key)) { (c.label) }
                                    (input(c, "", refs))
                                    @if let Some(e) = error { p.field-error { (e) } }
                                }
                            }
                        }
                        button.button.button-primary type="submit" { "Add" }
                    }
                }
            }
            form.table-toolbar method="get" action=(format!("/admin/{}", spec.name))
                hx-get=(format!("/admin/{}", spec.name)) hx-target=(region) hx-swap="outerHTML" hx-push-url="true"
                hx-trigger="change, submit, keyup changed delay:400ms from:.table-search" {
                @if !spec.search.is_empty() {
                    label.visually-hidden for="table-q" { "Search" }
                    input #table-q .table-search type="search" name="q" value=(q.q) placeholder="Search";
                }
                @for f in spec.filters {
                    @if let Some(related) = f.related {
                        @let current = q.filters.iter().find(|(k, _)| *k == f.key).map(|(_, v)| v.as_str()).unwrap_or("");
                        label.visually-hidden for=(format!("filter-{}", f.key)) { (f.label) }
                        select id=(format!("filter-{}", f.key)) name=(format!("f.{}", f.key)) {
                            option value="" { (f.label) ": all" }
                            @for (v, l) in refs.get(related.choices.name).map_or(&[][..], Vec::as_slice) {
                                option value=(v) selected[current == v] { (l) }
                            }
                        }
                    } @else if let Some(c) = spec.column(f.key).filter(|c| matches!(c.kind, Kind::Timestamp)) {
                        @let day = |end: &str| q.filters.iter().find_map(|(k, v)| (*k == c.key).then(|| v.strip_prefix(&format!("{end}:"))).flatten()).unwrap_or("");
                        label.filter-date for=(format!("filter-{}-from", f.key)) { (f.label) " from" }
                        input type="date" id=(format!("filter-{}-from", f.key)) name=(format!("f.{}.from", f.key)) value=(day("from"));
                        label.filter-date for=(format!("filter-{}-to", f.key)) { "to" }
                        input type="date" id=(format!("filter-{}-to", f.key)) name=(format!("f.{}.to", f.key)) value=(day("to"));
                    } @else if let Some(c) = spec.column(f.key) {
                        @let current = q.filters.iter().find(|(k, _)| *k == f.key).map(|(_, v)| v.as_str()).unwrap_or("");
                        label.visually-hidden for=(format!("filter-{}", f.key)) { (f.label) }
                        select id=(format!("filter-{}", f.key)) name=(format!("f.{}", f.key)) {
                            option value="" { (f.label) ": all" }
                            @match c.kind {
                                Kind::Bool => {
                                    option value="1" selected[current == "1"] { (f.label) ": yes" }
                                    option value="0" selected[current == "0"] { (f.label) ": no" }
                                }
                                Kind::Choice(options) => {
                                    @for (v, l) in options { option value=(v) selected[current == *v] { (l) } }
                                }
                                Kind::Ref { source, .. } => {
                                    @for (v, l) in refs.get(source.name).map_or(&[][..], Vec::as_slice) {
                                        option value=(v) selected[current == v] { (l) }
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                }
                button.button.button-small.button-secondary type="submit" { "Filter" }
            }
            (table(ctx, l))
        },
    )
}

/// The no-JS editor page for one cell.
#[allow(clippy::too_many_arguments)]
pub fn edit_page(
    ctx: &RequestContext,
    spec: &TableSpec,
    row: &Row,
    col: &Column,
    value: &str,
    refs: &Refs,
    error: Option<&str>,
) -> Markup {
    admin_page(
        ctx,
        spec.title,
        &format!("/admin/{}", spec.name),
        html! {
            div.page-header {
                h1 { "Edit " (col.label.to_lowercase()) }
                p { a href=(format!("/admin/{}", spec.name)) { "← Back to " (spec.title.to_lowercase()) } }
            }
            div.panel #(cell_id(&row.id, col.key)) {
                (edit_cell(ctx, spec, &row.id, row.version, col, value, refs, error))
            }
        },
    )
}
