//! SQL for the catalog: categories, products, the option values each product offers.

use std::collections::HashMap;

use sqlx::{Any, AnyConnection, Executor};

use super::model::{Category, PRODUCT_COLUMNS, Product, ProductKind};
use super::pricing::OfferedValue;

/// Categories in display order.
pub async fn categories<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<Category>, sqlx::Error> {
    sqlx::query_as(
        "select id, slug, name, summary, sort_order from categories
         where active = 1 order by sort_order, name",
    )
    .fetch_all(ex)
    .await
}

/// An active product by slug.
pub async fn find_active_by_slug<'e>(
    ex: impl Executor<'e, Database = Any>,
    slug: &str,
) -> Result<Option<Product>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {PRODUCT_COLUMNS} from products p left join categories c on c.id = p.category_id
         where p.slug = $1 and p.active = 1"
    )))
    .bind(slug)
    .fetch_optional(ex)
    .await
}

/// A product by id, listed or not.
pub async fn find_by_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<Product>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {PRODUCT_COLUMNS} from products p left join categories c on c.id = p.category_id
         where p.id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// Every product's category name (`None` when it has none), for reports by category.
pub async fn product_categories<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<(String, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "select p.id, c.name from products p left join categories c on c.id = p.category_id",
    )
    .fetch_all(ex)
    .await
}

/// Products by id (for cart lines), listed or not.
pub async fn find_many<'e>(
    ex: impl Executor<'e, Database = Any>,
    ids: &[String],
) -> Result<Vec<Product>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "select {PRODUCT_COLUMNS} from products p left join categories c on c.id = p.category_id
         where p.id in ({})",
        placeholders.join(", ")
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id.clone());
    }
    q.fetch_all(ex).await
}

#[derive(sqlx::FromRow)]
struct OfferedRow {
    product_id: String,
    id: String,
    group_id: String,
    group_name: String,
    group_order: i64,
    label: String,
    price_delta_minor: i64,
    sort_order: i64,
}

const OFFERED_SQL: &str = "select pov.product_id, v.id, v.group_id, g.name as group_name,
            g.sort_order as group_order, v.label, v.price_delta_minor, v.sort_order
     from product_option_values pov
     join option_values v on v.id = pov.value_id
     join option_groups g on g.id = v.group_id";

/// The option values each of `product_ids` offers.
pub async fn offered_values<'e>(
    ex: impl Executor<'e, Database = Any>,
    product_ids: &[String],
) -> Result<HashMap<String, Vec<OfferedValue>>, sqlx::Error> {
    if product_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let placeholders: Vec<String> = (1..=product_ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "{OFFERED_SQL} where pov.product_id in ({})",
        placeholders.join(", ")
    );
    let mut q = sqlx::query_as::<_, OfferedRow>(sqlx::AssertSqlSafe(sql));
    for id in product_ids {
        q = q.bind(id.clone());
    }
    Ok(by_product(q.fetch_all(ex).await?))
}

/// The option values every listed product offers: the storefront's snapshot, read with one
/// statement however many products there are (no parameter per product).
pub async fn offered_values_of_listed<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<HashMap<String, Vec<OfferedValue>>, sqlx::Error> {
    let rows = sqlx::query_as::<_, OfferedRow>(sqlx::AssertSqlSafe(format!(
        "{OFFERED_SQL} join products p on p.id = pov.product_id where p.active = 1"
    )))
    .fetch_all(ex)
    .await?;
    Ok(by_product(rows))
}

/// Rows grouped by product, each value's texts held once however many products offer it.
fn by_product(rows: Vec<OfferedRow>) -> HashMap<String, Vec<OfferedValue>> {
    let mut seen: HashMap<String, OfferedValue> = HashMap::new();
    let mut out: HashMap<String, Vec<OfferedValue>> = HashMap::new();
    for r in rows {
        let value = seen
            .entry(r.id)
            .or_insert_with_key(|id| OfferedValue {
                id: id.as_str().into(),
                group_id: r.group_id.into(),
                group_name: r.group_name.into(),
                group_order: r.group_order,
                label: r.label.into(),
                delta_minor: r.price_delta_minor,
                order: r.sort_order,
            })
            .clone();
        out.entry(r.product_id).or_default().push(value);
    }
    out
}

/// The option values one product offers.
pub async fn offered_for<'e>(
    ex: impl Executor<'e, Database = Any>,
    product_id: &str,
) -> Result<Vec<OfferedValue>, sqlx::Error> {
    let mut all = offered_values(ex, &[product_id.to_owned()]).await?;
    Ok(all.remove(product_id).unwrap_or_default())
}

/// Every option value with its group, for the admin's product options form.
pub async fn all_values<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<OfferedValue>, sqlx::Error> {
    let rows: Vec<(String, String, String, i64, String, i64, i64)> = sqlx::query_as(
        "select v.id, v.group_id, g.name, g.sort_order, v.label, v.price_delta_minor, v.sort_order
         from option_values v join option_groups g on g.id = v.group_id",
    )
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, group_id, group_name, group_order, label, delta_minor, order)| OfferedValue {
                id: id.into(),
                group_id: group_id.into(),
                group_name: group_name.into(),
                group_order,
                label: label.into(),
                delta_minor,
                order,
            },
        )
        .collect())
}

/// Takes `quantity` units of a counted product's stock (an order holds them); false when
/// fewer are left.
pub async fn take_stock(
    conn: &mut AnyConnection,
    product_id: &str,
    quantity: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update products set stock = stock - $2 \
         where id = $1 and stock is not null and stock >= $2",
    )
    .bind(product_id)
    .bind(quantity)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every category's id by slug, inactive ones included.
pub async fn find_category_ids_by_slug<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<HashMap<String, String>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as("select slug, id from categories")
        .fetch_all(ex)
        .await?;
    Ok(rows.into_iter().collect())
}

/// How many categories there are, inactive ones included.
pub async fn count_categories<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from categories")
        .fetch_one(ex)
        .await
}

/// Inserts a category unless its slug is taken; true when the row was written.
pub async fn insert_category<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    slug: &str,
    name: &str,
    summary: &str,
    sort_order: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into categories (id, slug, name, summary, sort_order, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $6) on conflict (slug) do nothing",
    )
    .bind(id)
    .bind(slug)
    .bind(name)
    .bind(summary)
    .bind(sort_order)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives `quantity` units back to a counted product's stock (an order that ended unpaid).
pub async fn return_stock(
    conn: &mut AnyConnection,
    product_id: &str,
    quantity: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update products set stock = stock + $2 where id = $1 and stock is not null")
        .bind(product_id)
        .bind(quantity)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A product's stock as it stands (`None`: not counted, or no such product).
pub async fn stock<'e>(
    ex: impl Executor<'e, Database = Any>,
    product_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    Ok(
        sqlx::query_scalar("select stock from products where id = $1")
            .bind(product_id)
            .fetch_optional(ex)
            .await?
            .flatten(),
    )
}

/// Replaces the option values a product offers, made against the product's `version` (which
/// it bumps): false, changing nothing, when someone changed the product meanwhile.
pub async fn replace_product_options(
    conn: &mut AnyConnection,
    product_id: &str,
    version: i64,
    value_ids: &[String],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let bumped = sqlx::query(
        "update products set version = version + 1, updated_at = $3 where id = $1 and version = $2",
    )
    .bind(product_id)
    .bind(version)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if bumped.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("delete from product_option_values where product_id = $1")
        .bind(product_id)
        .execute(&mut *conn)
        .await?;
    insert_product_option_values(conn, product_id, value_ids).await?;
    Ok(true)
}

/// Every category as (id, name), in display order: what a column pointing at one offers.
pub async fn category_choices<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("select id, name from categories order by sort_order, name")
        .fetch_all(ex)
        .await
}

/// Every option group as (id, name), in display order.
pub async fn option_group_choices<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("select id, name from option_groups order by sort_order, name")
        .fetch_all(ex)
        .await
}

/// Inserts an option group unless its name is taken; true when the row was written.
pub async fn insert_option_group<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    name: &str,
    sort_order: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into option_groups (id, name, sort_order, created_at, updated_at)
         values ($1, $2, $3, $4, $4) on conflict (name) do nothing",
    )
    .bind(id)
    .bind(name)
    .bind(sort_order)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The id of the option group called `name` (names are unique).
pub async fn find_option_group_id_by_name<'e>(
    ex: impl Executor<'e, Database = Any>,
    name: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select id from option_groups where name = $1")
        .bind(name)
        .fetch_optional(ex)
        .await
}

/// Inserts a value into a group unless the group already has that label; true when the row
/// was written.
pub async fn insert_option_value<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    group_id: &str,
    label: &str,
    price_delta_minor: i64,
    sort_order: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into option_values (id, group_id, label, price_delta_minor, sort_order,
                                    created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $6) on conflict (group_id, label) do nothing",
    )
    .bind(id)
    .bind(group_id)
    .bind(label)
    .bind(price_delta_minor)
    .bind(sort_order)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every option value's id, keyed by (group name, label); both are unique within their table.
pub async fn find_option_value_ids_by_label<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<HashMap<(String, String), String>, sqlx::Error> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "select g.name, v.label, v.id from option_values v join option_groups g on g.id = v.group_id",
    )
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(group, label, id)| ((group, label), id))
        .collect())
}

/// The id of the product with `slug`, listed or not.
pub async fn find_product_id_by_slug<'e>(
    ex: impl Executor<'e, Database = Any>,
    slug: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select id from products where slug = $1")
        .bind(slug)
        .fetch_optional(ex)
        .await
}

/// A new product, listed from the start.
#[derive(Debug, Clone)]
pub struct NewProduct<'a> {
    pub id: &'a str,
    /// URL slug.
    pub slug: &'a str,
    pub kind: ProductKind,
    pub title: &'a str,
    /// One line for cards.
    pub summary: &'a str,
    pub description: &'a str,
    pub category_id: Option<&'a str>,
    /// Price, minor units.
    pub price_minor: i64,
    /// ISO code.
    pub currency: &'a str,
    /// Units in stock; none for unlimited (digital products).
    pub stock: Option<i64>,
    /// Its picture.
    pub image_media_id: Option<&'a str>,
    /// The file a digital product delivers.
    pub digital_media_id: Option<&'a str>,
    /// On the home page.
    pub featured: bool,
}

/// Inserts an active product created (and last updated) at `created_at`; a taken slug is
/// `DbError::UniqueViolation`, after which a PostgreSQL transaction must be rolled back.
pub async fn insert_product<'e>(
    ex: impl Executor<'e, Database = Any>,
    p: &NewProduct<'_>,
    created_at: i64,
) -> Result<(), crate::db::DbError> {
    sqlx::query(
        "insert into products (id, slug, kind, title, summary, description, category_id,
                               price_minor, currency, stock, image_media_id, active,
                               featured, created_at, updated_at, digital_media_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13, $13, $14)",
    )
    .bind(p.id)
    .bind(p.slug)
    .bind(p.kind.as_str())
    .bind(p.title)
    .bind(p.summary)
    .bind(p.description)
    .bind(p.category_id)
    .bind(p.price_minor)
    .bind(p.currency)
    .bind(p.stock)
    .bind(p.image_media_id)
    .bind(i64::from(p.featured))
    .bind(created_at)
    .bind(p.digital_media_id)
    .execute(ex)
    .await
    .map_err(crate::db::DbError::classify)?;
    Ok(())
}

/// Lets a product offer `value_ids`, in addition to what it offers already (the admin's
/// options form replaces them instead); a value it offers already is a unique violation.
pub async fn insert_product_option_values(
    conn: &mut sqlx::AnyConnection,
    product_id: &str,
    value_ids: &[impl AsRef<str>],
) -> Result<(), sqlx::Error> {
    for value_id in value_ids {
        sqlx::query("insert into product_option_values (product_id, value_id) values ($1, $2)")
            .bind(product_id)
            .bind(value_id.as_ref())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
