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

/// How the shop orders products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Featured first, then newest.
    #[default]
    Featured,
    /// Newest first.
    Newest,
    /// Cheapest first.
    PriceAsc,
    /// Dearest first.
    PriceDesc,
    /// By title.
    Title,
}

impl Sort {
    /// Every sort with its query value and label.
    pub const ALL: &[(Sort, &'static str, &'static str)] = &[
        (Sort::Featured, "featured", "Featured"),
        (Sort::Newest, "newest", "Newest"),
        (Sort::PriceAsc, "price", "Price: low to high"),
        (Sort::PriceDesc, "-price", "Price: high to low"),
        (Sort::Title, "title", "Name"),
    ];

    /// From the query value (unknown values fall back to the default).
    pub fn parse(raw: &str) -> Self {
        Self::ALL
            .iter()
            .find(|(_, v, _)| *v == raw)
            .map_or(Sort::Featured, |(s, _, _)| *s)
    }

    /// The query value.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(s, _, _)| *s == self)
            .map_or("featured", |(_, v, _)| v)
    }

    fn order_by(self) -> &'static str {
        match self {
            Sort::Featured => "p.featured desc, p.created_at desc, p.id",
            Sort::Newest => "p.created_at desc, p.id",
            Sort::PriceAsc => "p.price_minor asc, p.title, p.id",
            Sort::PriceDesc => "p.price_minor desc, p.title, p.id",
            Sort::Title => "p.title, p.id",
        }
    }
}

/// A shop search: every field optional.
#[derive(Debug, Clone, Default)]
pub struct ShopFilter {
    /// Words in the title or summary.
    pub q: Option<String>,
    /// Category slug.
    pub category: Option<String>,
    /// `print` or `digital`.
    pub kind: Option<String>,
    /// Lowest base price, minor units.
    pub min_minor: Option<i64>,
    /// Highest base price, minor units.
    pub max_minor: Option<i64>,
    /// Order.
    pub sort: Sort,
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

/// One page of active products matching `filter`, and how many match in all.
pub async fn search(
    pool: &sqlx::AnyPool,
    filter: &ShopFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Product>, i64), sqlx::Error> {
    let mut conditions = vec!["p.active = 1".to_owned()];
    let mut texts: Vec<String> = Vec::new();
    let mut ints: Vec<i64> = Vec::new();
    // Placeholders are numbered in bind order: texts first, then numbers.
    if let Some(q) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
        texts.push(like_pattern(q));
        let n = texts.len();
        conditions.push(format!(
            "(lower(p.title) like ${n} escape '\\' or lower(p.summary) like ${n} escape '\\')"
        ));
    }
    if let Some(slug) = filter.category.as_deref() {
        texts.push(slug.to_owned());
        conditions.push(format!("c.slug = ${}", texts.len()));
    }
    if let Some(kind) = filter.kind.as_deref() {
        texts.push(kind.to_owned());
        conditions.push(format!("p.kind = ${}", texts.len()));
    }
    let mut numbered = texts.len();
    if let Some(min) = filter.min_minor {
        ints.push(min);
        numbered += 1;
        conditions.push(format!("p.price_minor >= ${numbered}"));
    }
    if let Some(max) = filter.max_minor {
        ints.push(max);
        numbered += 1;
        conditions.push(format!("p.price_minor <= ${numbered}"));
    }
    let from = format!(
        "from products p left join categories c on c.id = p.category_id where {}",
        conditions.join(" and ")
    );
    let list_sql = format!(
        "select {PRODUCT_COLUMNS} {from} order by {} limit {limit} offset {offset}",
        filter.sort.order_by()
    );
    let count_sql = format!("select count(*) {from}");

    let mut list = sqlx::query_as::<_, Product>(sqlx::AssertSqlSafe(list_sql));
    let mut count = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(count_sql));
    for t in &texts {
        list = list.bind(t.clone());
        count = count.bind(t.clone());
    }
    for i in &ints {
        list = list.bind(*i);
        count = count.bind(*i);
    }
    let products = list.fetch_all(pool).await?;
    let (total,) = count.fetch_one(pool).await?;
    Ok((products, total))
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

/// Featured active products, newest first.
pub async fn featured<'e>(
    ex: impl Executor<'e, Database = Any>,
    limit: i64,
) -> Result<Vec<Product>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {PRODUCT_COLUMNS} from products p left join categories c on c.id = p.category_id
         where p.active = 1 and p.featured = 1 order by p.created_at desc, p.id limit $1"
    )))
    .bind(limit)
    .fetch_all(ex)
    .await
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

/// Slugs of active products, for the sitemap.
pub async fn active_slugs<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("select slug, updated_at from products where active = 1 order by slug")
        .fetch_all(ex)
        .await
}
