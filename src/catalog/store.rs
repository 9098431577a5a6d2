//! SQL for the catalog: categories, products, the option values each product offers.

use std::collections::HashMap;

use sqlx::{Any, AnyConnection, Executor};

use super::model::{Category, PRODUCT_COLUMNS, Product};
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
    let mut out: HashMap<String, Vec<OfferedValue>> = HashMap::new();
    if product_ids.is_empty() {
        return Ok(out);
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
    for r in q.fetch_all(ex).await? {
        out.entry(r.product_id).or_default().push(OfferedValue {
            id: r.id,
            group_id: r.group_id,
            group_name: r.group_name,
            group_order: r.group_order,
            label: r.label,
            delta_minor: r.price_delta_minor,
            order: r.sort_order,
        });
    }
    Ok(out)
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
                id,
                group_id,
                group_name,
                group_order,
                label,
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
    for v in value_ids {
        sqlx::query("insert into product_option_values (product_id, value_id) values ($1, $2)")
            .bind(product_id)
            .bind(v)
            .execute(&mut *conn)
            .await?;
    }
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
