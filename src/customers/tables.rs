//! The customers table as the admin lists it (see `crate::tables`): read-only, newest
//! activity first, searchable by email and name, exported as CSV like every table.

use crate::tables::store::PlainWrites;
use crate::tables::{Column, Filter, Kind, RowLink, TableSpec, text};

const COUNT: Kind = Kind::Int {
    min: 0,
    max: i64::MAX,
    nullable: false,
};

/// A read-only column without a sort (no index orders the table by it).
const fn unsorted(column: Column) -> Column {
    Column {
        sortable: false,
        ..column
    }
}

/// Customers: one row per email address, with what they did and paid.
pub static CUSTOMERS: TableSpec = TableSpec {
    name: "customers",
    title: "Customers",
    help: "Everyone who has an account, ordered, booked, asked for a quote or wrote to the studio, by email address. Open one for their timeline, to disable their account or to send a password-reset link.",
    entity: "customer",
    table: "customers",
    columns: &[
        Column::show("email", "Email", text(254)),
        Column::show("name", "Name", text(200)),
        unsorted(Column::show(
            "account",
            "Account",
            Kind::Choice(&[
                ("none", "Guest"),
                ("active", "Account"),
                ("disabled", "Disabled"),
            ]),
        )),
        Column::show("orders", "Orders paid", COUNT),
        unsorted(Column::show("bookings", "Bookings", COUNT)),
        unsorted(Column::show("quotes", "Quote requests", COUNT)),
        unsorted(Column::computed(
            "spent",
            "Spent",
            Kind::Amounts,
            "(select string_agg(s.currency || ':' || s.net_minor, ',' order by s.currency) \
             from customer_spend s where s.email = customers.email and s.net_minor <> 0)",
        )),
        Column::show("first_seen_at", "First seen", Kind::Timestamp),
        Column::show("last_activity_at", "Last activity", Kind::Timestamp),
    ],
    default_sort: ("last_activity_at", true),
    search: &["email", "name"],
    search_index: true,
    row_currency: None,
    filters: &[
        Filter::on("account", "Account"),
        Filter::on("last_activity_at", "Last activity"),
    ],
    bulk: &[],
    create: None,
    links: &[RowLink {
        label: "Open",
        path: "/admin/customer/{id}",
    }],
    rules: &PlainWrites,
};
