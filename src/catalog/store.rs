//! SQL for the catalog: categories, products, the option values each product offers.

use std::collections::HashMap;

use sqlx::{Any, Executor};

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

/// Escapes `%`, `_` and `\` for a `like … escape '\'` pattern.
pub fn like_pattern(words: &str) -> String {
    let mut out = String::from("%");
    for c in words.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
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
