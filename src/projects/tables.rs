//! The projects table as the admin lists it (see `crate::tables`): newest change first,
//! searchable by title and email, the title editable in place.

use crate::tables::store::PlainWrites;
use crate::tables::{Column, Filter, Kind, RowLink, TableSpec, text};

/// Projects, with where each stands.
pub static PROJECTS: TableSpec = TableSpec {
    name: "projects",
    title: "Projects",
    help: "What the studio delivers to each client after a shoot. Start one from an accepted quote or a confirmed booking (“Start the project” on its page); open one for its deliverables and versions.",
    entity: "project",
    table: "projects",
    columns: &[
        Column::edit("title", "Title", text(200)),
        Column::show("email", "Client", text(254)),
        Column::show(
            "state",
            "State",
            Kind::Choice(&[
                ("in_production", "In production"),
                ("in_review", "In review"),
                ("approved", "Approved"),
                ("delivered", "Delivered"),
                ("archived", "Archived"),
            ]),
        ),
        Column {
            sortable: false,
            ..Column::computed(
                "deliverables",
                "Deliverables",
                Kind::Int {
                    min: 0,
                    max: i64::MAX,
                    nullable: false,
                },
                "(select count(*) from deliverables d where d.project_id = projects.id)",
            )
        },
        Column::show(
            "comments_waiting",
            "Comments to answer",
            Kind::Int {
                min: 0,
                max: i64::MAX,
                nullable: false,
            },
        ),
        Column::show("updated_at", "Last change", Kind::Timestamp),
        Column::show("created_at", "Started", Kind::Timestamp),
    ],
    default_sort: ("updated_at", true),
    search: &["title", "email"],
    search_index: false,
    row_currency: None,
    filters: &[
        Filter::on("state", "State"),
        Filter::on("updated_at", "Last change"),
    ],
    bulk: &[],
    create: None,
    links: &[RowLink {
        label: "Open",
        path: "/admin/project/{id}",
    }],
    rules: &PlainWrites,
};
