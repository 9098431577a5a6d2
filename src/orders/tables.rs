//! The orders table as the admin lists it (see `crate::tables`): read-only facts, an editable
//! staff note, and a link to the order's page where its status moves.

use crate::tables::store::PlainWrites;
use crate::tables::{Column, Filter, Kind, PRICE, RowLink, TableSpec, long_text, text};

/// An order's status, as both tables show it.
const ORDER_STATUS: Kind = Kind::Choice(&[
    ("pending_payment", "Awaiting payment"),
    ("paid", "Paid"),
    ("fulfilled", "Fulfilled"),
    ("cancelled", "Cancelled"),
    ("expired", "Expired"),
]);

/// Orders: read-only facts (status moves only through the order page's allowed actions) and
/// an editable staff note.
pub static ORDERS: TableSpec = TableSpec {
    name: "orders",
    title: "Orders",
    help: "Newest first. Open an order to ship, cancel, refund or resend its emails; only the staff note is edited here.",
    entity: "order",
    table: "orders",
    columns: &[
        Column::show("number", "Order", text(20)),
        Column::show("created_at", "Placed", Kind::Timestamp),
        Column::show("status", "Status", ORDER_STATUS),
        Column::show("name", "Customer", text(100)),
        Column::show("email", "Email", text(254)),
        Column::show("total_minor", "Total", PRICE),
        Column::computed(
            "flagged",
            "Flagged",
            Kind::Bool,
            "case when orders.attention is null then 0 else 1 end",
        ),
        Column::edit("staff_note", "Staff note", long_text(2000)),
    ],
    default_sort: ("created_at", true),
    search: &["number", "name", "email"],
    search_index: true,
    row_currency: Some("currency"),
    filters: &[
        Filter::on("status", "Status"),
        Filter::on("flagged", "Flagged"),
        Filter::on("created_at", "Placed"),
    ],
    bulk: &[],
    create: None,
    links: &[RowLink {
        label: "Open",
        path: "/admin/order/{id}",
    }],
    rules: &PlainWrites,
};

/// Order lines: every line of every order, with its order's number, time, status and
/// customer, read from the view `order_line_rows`. Read-only; filtered by the order's
/// status and placing day as the orders table is, and exported as CSV like every table.
pub static ORDER_LINES: TableSpec = TableSpec {
    name: "order-lines",
    title: "Order lines",
    help: "What each order contained, newest order first. Filter by when the order was placed and its status (as on Orders); export the lines for a spreadsheet.",
    entity: "order_line",
    table: "order_line_rows",
    columns: &[
        Column::show("number", "Order", text(20)),
        Column::show("created_at", "Placed", Kind::Timestamp),
        Column::show("status", "Status", ORDER_STATUS),
        Column::show("email", "Customer", text(254)),
        Column::show("title", "Item", text(200)),
        Column::show("options_label", "Options", text(200)),
        Column::show("product_slug", "Product", text(80)),
        Column::show(
            "kind",
            "Kind",
            Kind::Choice(&[("print", "Print"), ("digital", "Digital")]),
        ),
        Column::show(
            "quantity",
            "Quantity",
            Kind::Int {
                min: 1,
                max: i64::MAX,
                nullable: false,
            },
        ),
        Column::show("unit_price_minor", "Unit price", PRICE),
        Column::show("total_minor", "Line total", PRICE),
    ],
    default_sort: ("created_at", true),
    search: &[],
    search_index: false,
    row_currency: Some("currency"),
    filters: &[
        Filter::on("status", "Status"),
        Filter::on("kind", "Kind"),
        Filter::on("created_at", "Placed"),
    ],
    bulk: &[],
    create: None,
    links: &[RowLink {
        label: "Order",
        path: "/admin/order-line/{id}",
    }],
    rules: &PlainWrites,
};
