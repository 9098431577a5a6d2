//! The admin's editable tables, declared once each (see [`super::table`]).

use super::table::{Bulk, Column, Create, Filter, Kind, RefSource, RowLink, TableSpec};

const fn text(max: usize) -> Kind {
    Kind::Text {
        max,
        multiline: false,
        optional: false,
    }
}
const fn optional_text(max: usize) -> Kind {
    Kind::Text {
        max,
        multiline: false,
        optional: true,
    }
}
const fn long_text(max: usize) -> Kind {
    Kind::Text {
        max,
        multiline: true,
        optional: true,
    }
}
const PRICE: Kind = Kind::Money { signed: false };
const CATEGORY: Kind = Kind::Ref {
    source: RefSource::Category,
    nullable: true,
};
const ORDER: Kind = Kind::Int {
    min: -10_000,
    max: 10_000,
    nullable: false,
};

const ACTIVATE: Bulk = Bulk {
    name: "activate",
    label: "Activate",
    key: "active",
    value: "1",
};
const DEACTIVATE: Bulk = Bulk {
    name: "deactivate",
    label: "Deactivate",
    key: "active",
    value: "0",
};

const FEATURE: Bulk = Bulk {
    name: "feature",
    label: "Feature",
    key: "featured",
    value: "1",
};
const UNFEATURE: Bulk = Bulk {
    name: "unfeature",
    label: "Stop featuring",
    key: "featured",
    value: "0",
};

/// Products.
pub static PRODUCTS: TableSpec = TableSpec {
    name: "products",
    title: "Products",
    help: "Prints and digital files in the shop. Inactive products are hidden from the shop.",
    entity: "product",
    table: "products",
    columns: &[
        Column::edit("title", "Title", text(120)),
        Column::edit("slug", "Slug", Kind::Slug),
        Column::edit(
            "kind",
            "Kind",
            Kind::Choice(&[("print", "Print"), ("digital", "Digital")]),
        ),
        Column::edit("category_id", "Category", CATEGORY),
        Column::edit("price_minor", "Price", PRICE),
        Column::edit(
            "stock",
            "Stock",
            Kind::Int {
                min: 0,
                max: 1_000_000,
                nullable: true,
            },
        ),
        Column::edit("active", "Active", Kind::Bool),
        Column::edit("featured", "Featured", Kind::Bool),
        Column::edit("summary", "Summary", optional_text(200)),
        Column::edit("description", "Description", long_text(5000)),
        Column::edit(
            "image_media_id",
            "Image",
            Kind::Ref {
                source: RefSource::Image,
                nullable: true,
            },
        ),
        Column::show("updated_at", "Updated", Kind::Timestamp),
    ],
    default_sort: ("updated_at", true),
    search: &["title", "slug", "summary"],
    filters: &[
        Filter {
            key: "kind",
            label: "Kind",
        },
        Filter {
            key: "category_id",
            label: "Category",
        },
        Filter {
            key: "active",
            label: "Active",
        },
    ],
    bulk: &[ACTIVATE, DEACTIVATE, FEATURE, UNFEATURE],
    create: Some(Create {
        fields: &["title", "kind", "price_minor"],
        slug_from: Some("title"),
        currency: true,
    }),
    links: &[RowLink {
        label: "Options",
        path: "/admin/product-options/{id}",
    }],
};

/// Option groups.
pub static OPTION_GROUPS: TableSpec = TableSpec {
    name: "option-groups",
    title: "Option groups",
    help: "Groups of product options, such as size or frame. Buyers pick one value per group.",
    entity: "option_group",
    table: "option_groups",
    columns: &[
        Column::edit("name", "Name", text(60)),
        Column::edit("sort_order", "Order", ORDER),
    ],
    default_sort: ("sort_order", false),
    search: &["name"],
    filters: &[],
    bulk: &[],
    create: Some(Create {
        fields: &["name"],
        slug_from: None,
        currency: false,
    }),
    links: &[],
};

/// Option values.
pub static OPTION_VALUES: TableSpec = TableSpec {
    name: "option-values",
    title: "Option values",
    help: "The values of each group and what they add to (or take off) a product's price.",
    entity: "option_value",
    table: "option_values",
    columns: &[
        Column::edit(
            "group_id",
            "Group",
            Kind::Ref {
                source: RefSource::OptionGroup,
                nullable: false,
            },
        ),
        Column::edit("label", "Label", text(60)),
        Column::edit(
            "price_delta_minor",
            "Price change",
            Kind::Money { signed: true },
        ),
        Column::edit("sort_order", "Order", ORDER),
    ],
    default_sort: ("sort_order", false),
    search: &["label"],
    filters: &[Filter {
        key: "group_id",
        label: "Group",
    }],
    bulk: &[],
    create: Some(Create {
        fields: &["group_id", "label", "price_delta_minor"],
        slug_from: None,
        currency: false,
    }),
    links: &[],
};

/// Categories.
pub static CATEGORIES: TableSpec = TableSpec {
    name: "categories",
    title: "Categories",
    help: "The studio's service lines, used by products, films and packages.",
    entity: "category",
    table: "categories",
    columns: &[
        Column::edit("name", "Name", text(80)),
        Column::edit("slug", "Slug", Kind::Slug),
        Column::edit("summary", "Summary", long_text(400)),
        Column::edit("sort_order", "Order", ORDER),
        Column::edit("active", "Active", Kind::Bool),
    ],
    default_sort: ("sort_order", false),
    search: &["name", "slug"],
    filters: &[],
    bulk: &[ACTIVATE, DEACTIVATE],
    create: Some(Create {
        fields: &["name"],
        slug_from: Some("name"),
        currency: false,
    }),
    links: &[],
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
    filters: &[Filter {
        key: "active",
        label: "Active",
    }],
    bulk: &[ACTIVATE, DEACTIVATE],
    create: Some(Create {
        fields: &["name", "category_id", "price_minor"],
        slug_from: Some("name"),
        currency: true,
    }),
    links: &[],
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
                source: RefSource::Video,
                nullable: true,
            },
        ),
        Column::edit(
            "poster_media_id",
            "Poster",
            Kind::Ref {
                source: RefSource::Image,
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
    filters: &[
        Filter {
            key: "category_id",
            label: "Category",
        },
        Filter {
            key: "featured",
            label: "Featured",
        },
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
    filters: &[
        Filter {
            key: "status",
            label: "Status",
        },
        Filter {
            key: "kind",
            label: "Type",
        },
    ],
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
    links: &[],
};

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
        Column::show(
            "status",
            "Status",
            Kind::Choice(&[
                ("pending_payment", "Awaiting payment"),
                ("paid", "Paid"),
                ("fulfilled", "Fulfilled"),
                ("cancelled", "Cancelled"),
                ("expired", "Expired"),
            ]),
        ),
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
    filters: &[
        Filter {
            key: "status",
            label: "Status",
        },
        Filter {
            key: "flagged",
            label: "Flagged",
        },
        Filter {
            key: "created_at",
            label: "Placed",
        },
    ],
    bulk: &[],
    create: None,
    links: &[RowLink {
        label: "Open",
        path: "/admin/order/{id}",
    }],
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
    filters: &[],
    bulk: &[ACTIVATE, DEACTIVATE],
    create: Some(Create {
        fields: &["question", "answer"],
        slug_from: None,
        currency: false,
    }),
    links: &[],
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
    filters: &[],
    bulk: &[],
    create: None,
    links: &[],
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
            Kind::Choice(crate::reviews::model::Status::LABELS),
        ),
        Column::edit("reply", "Reply", long_text(2000)).stamping("replied_at"),
        Column::show("created_at", "Written", Kind::Timestamp),
    ],
    default_sort: ("created_at", true),
    search: &["title", "body", "product", "reviewer"],
    filters: &[
        Filter {
            key: "status",
            label: "Status",
        },
        Filter {
            key: "verified",
            label: "Verified",
        },
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
};

/// Every table, in sidebar order.
pub static ALL: &[&TableSpec] = &[
    &PRODUCTS,
    &OPTION_GROUPS,
    &OPTION_VALUES,
    &CATEGORIES,
    &PORTFOLIO,
    &PACKAGES,
    &FAQS,
    &STUDIO_DETAILS,
    &CONTACT_MESSAGES,
    &ORDERS,
    &REVIEWS,
];

/// The table named `name` in URLs.
pub fn spec(name: &str) -> Option<&'static TableSpec> {
    ALL.iter().copied().find(|s| s.name == name)
}
