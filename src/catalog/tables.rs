//! The catalog's tables as the admin edits them inline (see `crate::tables`): products,
//! option groups and values, categories; and the choices other tables pick categories from.

use futures_util::future::BoxFuture;

use crate::db::Db;
use crate::tables::store::PlainWrites;
use crate::tables::{
    ACTIVATE, Choices, Column, Create, DEACTIVATE, FEATURE, Filter, Kind, ORDER, PRICE, RowLink,
    TableSpec, UNFEATURE, long_text, optional_text, text,
};

fn categories(db: &Db) -> BoxFuture<'_, Result<Vec<(String, String)>, sqlx::Error>> {
    Box::pin(super::store::category_choices(db.pool()))
}

fn option_groups(db: &Db) -> BoxFuture<'_, Result<Vec<(String, String)>, sqlx::Error>> {
    Box::pin(super::store::option_group_choices(db.pool()))
}

/// Every category, for a column that points at one.
pub static CATEGORY_CHOICES: Choices = Choices {
    name: "categories",
    load: categories,
};

/// Every option group, for a column that points at one.
pub static OPTION_GROUP_CHOICES: Choices = Choices {
    name: "option_groups",
    load: option_groups,
};

/// A column pointing at a category (films, packages and products have one).
pub const CATEGORY: Kind = Kind::Ref {
    source: &CATEGORY_CHOICES,
    nullable: true,
};

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
                source: &crate::media::tables::IMAGE_CHOICES,
                nullable: true,
            },
        ),
        Column::show("updated_at", "Updated", Kind::Timestamp),
    ],
    default_sort: ("updated_at", true),
    search: &["title", "slug", "summary"],
    search_index: true,
    row_currency: None,
    filters: &[
        Filter::on("kind", "Kind"),
        Filter::on("category_id", "Category"),
        Filter::on("active", "Active"),
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
    rules: &PlainWrites,
};

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
    search_index: false,
    row_currency: None,
    filters: &[],
    bulk: &[],
    create: Some(Create {
        fields: &["name"],
        slug_from: None,
        currency: false,
    }),
    links: &[],
    rules: &PlainWrites,
};

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
                source: &OPTION_GROUP_CHOICES,
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
    search_index: false,
    row_currency: None,
    filters: &[Filter::on("group_id", "Group")],
    bulk: &[],
    create: Some(Create {
        fields: &["group_id", "label", "price_delta_minor"],
        slug_from: None,
        currency: false,
    }),
    links: &[],
    rules: &PlainWrites,
};

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
    search_index: false,
    row_currency: None,
    filters: &[],
    bulk: &[ACTIVATE, DEACTIVATE],
    create: Some(Create {
        fields: &["name"],
        slug_from: Some("name"),
        currency: false,
    }),
    links: &[],
    rules: &PlainWrites,
};
