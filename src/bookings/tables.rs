//! The bookings domain's admin tables (see `crate::tables`): the bookings (facts read-only,
//! the staff notes editable, status moves on the booking's page), the booking types and the
//! resources.

use crate::tables::store::PlainWrites;
use crate::tables::{
    ACTIVATE, Choices, Column, Create, DEACTIVATE, Filter, Kind, ORDER, PRICE, Related, RowLink,
    TableSpec, long_text, text,
};

/// Booking statuses as the table shows them.
const STATUSES: &[(&str, &str)] = &[
    ("held", "Awaiting deposit"),
    ("pending", "Awaiting confirmation"),
    ("confirmed", "Confirmed"),
    ("completed", "Completed"),
    ("no_show", "No-show"),
    ("cancelled", "Cancelled"),
    ("expired", "Expired"),
];

fn type_choices(
    db: &crate::db::Db,
) -> futures_util::future::BoxFuture<'_, Result<Vec<(String, String)>, sqlx::Error>> {
    Box::pin(super::store::type_choices(db.pool()))
}

/// Every booking type, active or not, for the bookings' type filter.
pub static TYPE_CHOICES: Choices = Choices {
    name: "booking_types",
    load: type_choices,
};

fn resource_choices(
    db: &crate::db::Db,
) -> futures_util::future::BoxFuture<'_, Result<Vec<(String, String)>, sqlx::Error>> {
    Box::pin(super::store::resource_choices(db.pool()))
}

/// Every resource, active or not, for the bookings' resource filter.
pub static RESOURCE_CHOICES: Choices = Choices {
    name: "booking_resources",
    load: resource_choices,
};

/// The bookings that claim a resource.
static CLAIMS_RESOURCE: Related = Related {
    choices: &RESOURCE_CHOICES,
    condition: "exists (select 1 from booking_claims c \
                where c.booking_id = bookings.id and c.resource_id = $1)",
};

/// Bookings: newest start first; open one to confirm, complete or cancel it.
pub static BOOKINGS: TableSpec = TableSpec {
    name: "bookings",
    title: "Bookings",
    help: "Newest start first. Open a booking to confirm, complete, mark a no-show or cancel it; only the staff notes are edited here (the customer never sees them).",
    entity: "booking",
    table: "bookings",
    columns: &[
        Column::show("reference", "Booking", text(20)),
        Column::show("starts_at", "Starts", Kind::Timestamp),
        Column::show(
            "booking_type_id",
            "What",
            Kind::Ref {
                source: &TYPE_CHOICES,
                nullable: false,
            },
        ),
        Column::show("status", "Status", Kind::Choice(STATUSES)),
        Column::show("name", "Customer", text(100)),
        Column::show("email", "Email", text(254)),
        Column::show("phone", "Phone", text(40)),
        Column::edit("staff_notes", "Staff notes", long_text(2000)),
    ],
    default_sort: ("starts_at", true),
    search: &["reference", "name", "email"],
    search_index: true,
    row_currency: None,
    filters: &[
        Filter::on("status", "Status"),
        Filter::on("booking_type_id", "Type"),
        Filter::on("starts_at", "Starts"),
        Filter::related("resource", "Resource", &CLAIMS_RESOURCE),
    ],
    bulk: &[],
    create: None,
    links: &[RowLink {
        label: "Open",
        path: "/admin/booking/{id}",
    }],
    rules: &PlainWrites,
};

/// What can be booked.
pub static BOOKING_TYPES: TableSpec = TableSpec {
    name: "booking-types",
    title: "Booking types",
    help: "What customers can book on /book. Length: minutes (with the number of minutes), half or full day, or days (with the number of working days). Deposit: none, fixed (an amount in minor units) or percent (of the price). The resources a type needs are set on its Resources page.",
    entity: "booking_type",
    table: "booking_types",
    columns: &[
        Column::edit("name", "Name", text(120)),
        Column::edit("slug", "Slug", Kind::Slug),
        Column::edit("active", "Bookable", Kind::Bool),
        Column::edit("sort_order", "Order", ORDER),
        Column::edit(
            "length_kind",
            "Length",
            Kind::Choice(&[
                ("minutes", "Minutes"),
                ("half_day", "Half day"),
                ("full_day", "Full day"),
                ("days", "Days"),
            ]),
        ),
        Column::edit(
            "length_value",
            "Minutes or days",
            Kind::Int {
                min: 0,
                max: 10_080,
                nullable: false,
            },
        ),
        Column::edit("skip_closed_days", "Skips closed days", Kind::Bool),
        Column::edit("auto_confirm", "Confirms itself", Kind::Bool),
        Column::edit("price_minor", "Price", PRICE),
        Column::edit(
            "deposit_kind",
            "Deposit",
            Kind::Choice(&[("none", "None"), ("fixed", "Fixed"), ("percent", "Percent")]),
        ),
        Column::edit(
            "deposit_value",
            "Deposit amount (minor units) or %",
            Kind::Int {
                min: 0,
                max: 100_000_000,
                nullable: false,
            },
        ),
        Column::edit(
            "buffer_before_minutes",
            "Buffer before (min)",
            Kind::Int {
                min: 0,
                max: 1440,
                nullable: false,
            },
        ),
        Column::edit(
            "buffer_after_minutes",
            "Buffer after (min)",
            Kind::Int {
                min: 0,
                max: 1440,
                nullable: false,
            },
        ),
        Column::edit(
            "min_notice_minutes",
            "Minimum notice (min)",
            Kind::Int {
                min: 0,
                max: 525_600,
                nullable: false,
            },
        ),
        Column::edit(
            "horizon_days",
            "Bookable ahead (days)",
            Kind::Int {
                min: 1,
                max: 730,
                nullable: false,
            },
        ),
        Column::edit(
            "slot_step_minutes",
            "Start every (min)",
            Kind::Int {
                min: 5,
                max: 1440,
                nullable: false,
            },
        ),
        Column::edit(
            "refund_full_days",
            "Full refund until (days before)",
            Kind::Int {
                min: 0,
                max: 365,
                nullable: false,
            },
        ),
        Column::edit(
            "self_service_cutoff_hours",
            "Customer changes until (hours before)",
            Kind::Int {
                min: 0,
                max: 8760,
                nullable: false,
            },
        ),
        Column::edit(
            "locations",
            "Where",
            Kind::Choice(&[
                ("studio", "Studio"),
                ("client", "Client's place"),
                ("video", "Video call"),
                ("video,studio", "Video call or studio"),
                ("studio,client", "Studio or client's place"),
                ("studio,client,video", "Anywhere"),
            ]),
        ),
        Column::edit("description", "Description", long_text(2000)),
    ],
    default_sort: ("sort_order", false),
    search: &["name", "slug"],
    search_index: false,
    row_currency: None,
    filters: &[],
    bulk: &[ACTIVATE, DEACTIVATE],
    create: Some(Create {
        fields: &["name", "length_kind", "length_value", "price_minor"],
        slug_from: Some("name"),
        currency: true,
    }),
    links: &[RowLink {
        label: "Resources",
        path: "/admin/booking-type-resources/{id}",
    }],
    rules: &PlainWrites,
};

/// Rooms, crews and kits, each with a capacity.
pub static BOOKING_RESOURCES: TableSpec = TableSpec {
    name: "booking-resources",
    title: "Booking resources",
    help: "Rooms, crews and kits. Two bookings may overlap only where every resource they share has capacity left. An inactive resource blocks the types that need it.",
    entity: "booking_resource",
    table: "booking_resources",
    columns: &[
        Column::edit("name", "Name", text(120)),
        Column::edit(
            "kind",
            "Kind",
            Kind::Choice(&[("room", "Room"), ("crew", "Crew"), ("kit", "Kit")]),
        ),
        Column::edit(
            "capacity",
            "Capacity",
            Kind::Int {
                min: 1,
                max: 100,
                nullable: false,
            },
        ),
        Column::edit("active", "Active", Kind::Bool),
        Column::edit("sort_order", "Order", ORDER),
    ],
    default_sort: ("sort_order", false),
    search: &["name"],
    search_index: false,
    row_currency: None,
    filters: &[],
    bulk: &[ACTIVATE, DEACTIVATE],
    create: Some(Create {
        fields: &["name", "kind", "capacity"],
        slug_from: None,
        currency: false,
    }),
    links: &[],
    rules: &PlainWrites,
};
