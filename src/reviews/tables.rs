//! The reviews table as the admin moderates it (see `crate::tables`).

use crate::tables::store::PlainWrites;
use crate::tables::{
    Bulk, Column, Filter, Kind, RowLink, TableSpec, long_text, optional_text, text,
};

/// Product reviews: moderation (status), the studio's reply, filters and bulk approve/hide.
/// Deleting is a page of its own (`/admin/review-delete/{id}`), with a confirmation.
pub static REVIEWS: TableSpec = TableSpec {
    name: "reviews",
    title: "Reviews",
    help: "Customer reviews of products, newest first. Only approved reviews are shown on \
           product pages; a reply is shown under its review.",
    entity: "review",
    table: "reviews",
    columns: &[
        Column::computed(
            "product",
            "Product",
            text(120),
            "select p.title from products p where p.id = reviews.product_id",
        ),
        Column::computed(
            "reviewer",
            "Reviewer",
            text(254),
            "select coalesce(u.display_name, u.email) from users u where u.id = reviews.user_id",
        ),
        Column::show(
            "rating",
            "Rating",
            Kind::Int {
                min: 1,
                max: 5,
                nullable: false,
            },
        ),
        Column::show("title", "Title", optional_text(120)),
        Column::show("body", "Review", long_text(4000)),
        Column::show("verified", "Verified", Kind::Bool),
        Column::edit(
            "status",
            "Status",
            Kind::Choice(super::model::Status::LABELS),
        ),
        Column::edit("reply", "Reply", long_text(2000)).stamping("replied_at"),
        Column::show("created_at", "Written", Kind::Timestamp),
    ],
    default_sort: ("created_at", true),
    search: &["title", "body", "product", "reviewer"],
    search_index: false,
    row_currency: None,
    filters: &[
        Filter::on("status", "Status"),
        Filter::on("verified", "Verified"),
    ],
    bulk: &[
        Bulk {
            name: "approve",
            label: "Approve",
            key: "status",
            value: "approved",
        },
        Bulk {
            name: "hide",
            label: "Hide",
            key: "status",
            value: "hidden",
        },
    ],
    create: None,
    links: &[RowLink {
        label: "Read or delete",
        path: "/admin/review-delete/{id}",
    }],
    rules: &PlainWrites,
};
