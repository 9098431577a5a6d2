//! The public site's tables as the admin edits them inline (see `crate::tables`): packages,
//! portfolio films, the contact inbox, the FAQ and the studio's details.

use crate::catalog::tables::CATEGORY;
use crate::tables::store::PlainWrites;
use crate::tables::{
    ACTIVATE, Bulk, Column, Create, DEACTIVATE, FEATURE, Filter, Kind, ORDER, PRICE, RowLink,
    TableSpec, UNFEATURE, long_text, optional_text, text,
};

/// Service packages.
pub static PACKAGES: TableSpec = TableSpec {
    name: "packages",
    title: "Service packages",
    help: "Fixed-scope offers on the packages page. Features: one per line.",
    entity: "service_package",
    table: "service_packages",
    columns: &[
        Column::edit("name", "Name", text(100)),
        Column::edit("slug", "Slug", Kind::Slug),
        Column::edit("category_id", "Category", CATEGORY),
        Column::edit("price_minor", "Price from", PRICE),
        Column::edit(
            "max_hours",
            "Hours",
            Kind::Int {
                min: 0,
                max: 1000,
                nullable: true,
            },
        ),
        Column::edit(
            "turnaround_days",
            "Days to deliver",
            Kind::Int {
                min: 0,
                max: 365,
                nullable: true,
            },
        ),
        Column::edit("popular", "Popular", Kind::Bool),
        Column::edit("active", "Active", Kind::Bool),
        Column::edit("sort_order", "Order", ORDER),
        Column::edit("summary", "Summary", optional_text(200)),
        Column::edit("description", "Description", long_text(5000)),
        Column::edit("features", "Features", long_text(2000)),
        Column::edit("deliverables", "Deliverables", long_text(2000)),
    ],
    default_sort: ("sort_order", false),
    search: &["name", "summary"],
    search_index: false,
    row_currency: None,
    filters: &[Filter::on("active", "Active")],
    bulk: &[ACTIVATE, DEACTIVATE],
    create: Some(Create {
        fields: &["name", "category_id", "price_minor"],
        slug_from: Some("name"),
        currency: true,
    }),
    links: &[],
    rules: &PlainWrites,
};

/// Portfolio films.
pub static PORTFOLIO: TableSpec = TableSpec {
    name: "portfolio",
    title: "Portfolio films",
    help: "The films on the portfolio. Featured films appear on the home page, by display order.",
    entity: "portfolio_video",
    table: "portfolio_videos",
    columns: &[
        Column::edit("title", "Title", text(120)),
        Column::edit("slug", "Slug", Kind::Slug),
        Column::edit("category_id", "Category", CATEGORY),
        Column::edit("featured", "Featured", Kind::Bool),
        Column::edit("display_order", "Order", ORDER),
        Column::edit("published", "Published", Kind::Bool),
        Column::edit("client_name", "Client", optional_text(120)),
        Column::edit("summary", "Summary", optional_text(200)),
        Column::edit("testimonial", "Testimonial", long_text(1000)),
        Column::edit("description", "Description", long_text(5000)),
        Column::edit(
            "video_media_id",
            "Film file",
            Kind::Ref {
                source: &crate::media::tables::VIDEO_CHOICES,
                nullable: true,
            },
        ),
        Column::edit(
            "poster_media_id",
            "Poster",
            Kind::Ref {
                source: &crate::media::tables::IMAGE_CHOICES,
                nullable: true,
            },
        ),
        Column::edit(
            "duration_secs",
            "Seconds",
            Kind::Int {
                min: 0,
                max: 36_000,
                nullable: true,
            },
        ),
        Column::edit("project_date", "Filmed", optional_text(20)),
    ],
    default_sort: ("display_order", false),
    search: &["title", "client_name"],
    search_index: false,
    row_currency: None,
    filters: &[
        Filter::on("category_id", "Category"),
        Filter::on("featured", "Featured"),
    ],
    bulk: &[
        FEATURE,
        UNFEATURE,
        Bulk {
            name: "publish",
            label: "Publish",
            key: "published",
            value: "1",
        },
        Bulk {
            name: "unpublish",
            label: "Unpublish",
            key: "published",
            value: "0",
        },
    ],
    create: Some(Create {
        fields: &["title", "category_id"],
        slug_from: Some("title"),
        currency: false,
    }),
    links: &[],
    rules: &PlainWrites,
};

/// The contact inbox.
pub static CONTACT_MESSAGES: TableSpec = TableSpec {
    name: "contact-messages",
    title: "Contact inbox",
    help: "Every message sent through the contact page, newest first.",
    entity: "contact_message",
    table: "contact_messages",
    columns: &[
        Column::show("created_at", "Received", Kind::Timestamp),
        Column::edit(
            "status",
            "Status",
            Kind::Choice(&[
                ("new", "New"),
                ("read", "Read"),
                ("answered", "Answered"),
                ("archived", "Archived"),
            ]),
        ),
        Column::show(
            "kind",
            "Type",
            Kind::Choice(&[
                ("general", "General"),
                ("quote", "Quote"),
                ("portfolio", "Portfolio"),
                ("support", "Support"),
                ("partnership", "Partnership"),
            ]),
        ),
        Column::show("name", "Name", text(100)),
        Column::show("email", "Email", text(254)),
        Column::show("phone", "Phone", text(40)),
        Column::show("company", "Company", text(120)),
        Column::show("subject", "About", text(160)),
        Column::show("message", "Message", long_text(5000)),
        Column::edit("staff_note", "Staff note", long_text(2000)),
    ],
    default_sort: ("created_at", true),
    search: &["name", "email", "message", "company"],
    search_index: false,
    row_currency: None,
    filters: &[Filter::on("status", "Status"), Filter::on("kind", "Type")],
    bulk: &[
        Bulk {
            name: "mark_read",
            label: "Mark read",
            key: "status",
            value: "read",
        },
        Bulk {
            name: "archive",
            label: "Archive",
            key: "status",
            value: "archived",
        },
    ],
    create: None,
    // The full message, its replies and the reply form.
    links: &[RowLink {
        label: "Open",
        path: "/admin/messages/{id}",
    }],
    rules: &PlainWrites,
};

/// Questions on the FAQ page.
pub static FAQS: TableSpec = TableSpec {
    name: "faqs",
    title: "FAQ",
    help: "Questions and answers on the FAQ page, in order. Blank lines separate paragraphs.",
    entity: "faq",
    table: "faqs",
    columns: &[
        Column::edit("question", "Question", text(200)),
        Column::edit(
            "answer",
            "Answer",
            Kind::Text {
                max: 3000,
                multiline: true,
                optional: false,
            },
        ),
        Column::edit("sort_order", "Order", ORDER),
        Column::edit("active", "Shown", Kind::Bool),
    ],
    default_sort: ("sort_order", false),
    search: &["question", "answer"],
    search_index: false,
    row_currency: None,
    filters: &[],
    bulk: &[ACTIVATE, DEACTIVATE],
    create: Some(Create {
        fields: &["question", "answer"],
        slug_from: None,
        currency: false,
    }),
    links: &[],
    rules: &PlainWrites,
};

/// The studio's details shown on the contact and about pages.
pub static STUDIO_DETAILS: TableSpec = TableSpec {
    name: "studio-details",
    title: "Studio details",
    help: "Address, phone, email and opening hours as the contact and about pages show them.",
    entity: "studio_detail",
    table: "studio_details",
    columns: &[
        Column::show("label", "Detail", text(60)),
        Column::edit("value", "Shown as", text(300)),
    ],
    default_sort: ("sort_order", false),
    search: &[],
    search_index: false,
    row_currency: None,
    filters: &[],
    bulk: &[],
    create: None,
    links: &[],
    rules: &PlainWrites,
};
