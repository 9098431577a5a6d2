//! The quotes domain's admin table (see `crate::tables`): every quote, newest first; the
//! request and the proposals are read-only here (the quote's page edits them), the staff
//! notes edit inline.

use crate::tables::store::PlainWrites;
use crate::tables::{Choices, Column, Filter, Kind, Related, RowLink, TableSpec, long_text, text};

/// Quote states as the table shows them.
const STATES: &[(&str, &str)] = &[
    ("new", "New request"),
    ("quoted", "Proposal sent"),
    ("accepted", "Accepted"),
    ("declined", "Declined"),
    ("expired", "Expired"),
    ("closed", "Closed"),
];

fn service_choices(
    db: &crate::db::Db,
) -> futures_util::future::BoxFuture<'_, Result<Vec<(String, String)>, sqlx::Error>> {
    Box::pin(super::store::service_choices(db.pool()))
}

/// The packages and services quotes were asked for.
pub static SERVICE_CHOICES: Choices = Choices {
    name: "quote_services",
    load: service_choices,
};

/// The quotes for one package or service.
static FOR_SERVICE: Related = Related {
    choices: &SERVICE_CHOICES,
    condition: "quotes.service = $1",
};

/// Quotes: newest first; open one to write a proposal, answer or close it.
pub static QUOTES: TableSpec = TableSpec {
    name: "quotes",
    title: "Quotes",
    help: "Newest request first. Open a quote to send a proposal (or a revision), answer the customer or close it; only the staff notes are edited here.",
    entity: "quote",
    table: "quotes",
    columns: &[
        Column::show("reference", "Quote", text(20)),
        Column::show("created_at", "Received", Kind::Timestamp),
        Column::show("state", "State", Kind::Choice(STATES)),
        Column::show("name", "Customer", text(100)),
        Column::show("email", "Email", text(254)),
        Column::show("company", "Company", text(120)),
        Column::show("service", "About", text(160)),
        Column::show("preferred_from", "Preferred day", text(10)),
        Column::edit("staff_notes", "Staff notes", long_text(2000)),
    ],
    default_sort: ("created_at", true),
    search: &["reference", "name", "email", "company"],
    search_index: true,
    row_currency: None,
    filters: &[
        Filter::on("state", "State"),
        Filter::related("service", "About", &FOR_SERVICE),
        Filter::on("created_at", "Received"),
    ],
    bulk: &[],
    create: None,
    links: &[RowLink {
        label: "Open",
        path: "/admin/quote/{id}",
    }],
    rules: &PlainWrites,
};
