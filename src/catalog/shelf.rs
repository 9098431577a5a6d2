//! The catalog as the browsing pages see it, held in memory by the content cache
//! (`crate::content`): categories, listed products with the option values they offer, and the
//! fragments rendered from them.

use std::collections::HashMap;

use super::model::{Category, PRODUCT_COLUMNS, Product};
use super::pricing::{self, OfferedValue, OptionGroup, Selection};
use super::store;
use crate::content::{Memo, Snapshot};
use crate::db::Db;

/// Active categories and listed products, newest first.
#[derive(Debug, Default)]
pub struct Shelf {
    /// Active categories in order.
    pub categories: Vec<Category>,
    /// Listed products, newest first.
    pub products: Vec<Product>,
    offered: HashMap<String, Vec<OfferedValue>>,
    /// Grouped for display, with the choice a product page starts with.
    options: HashMap<String, (Vec<OptionGroup>, Selection)>,
    by_slug: HashMap<String, usize>,
    /// Product cards, shop results and product pages' fixed parts.
    pub memo: Memo,
}

impl Shelf {
    /// A listed product by slug.
    pub fn product(&self, slug: &str) -> Option<&Product> {
        self.by_slug.get(slug).and_then(|i| self.products.get(*i))
    }

    /// What a product offers.
    pub fn offered_for(&self, product_id: &str) -> &[OfferedValue] {
        self.offered.get(product_id).map_or(&[], Vec::as_slice)
    }

    /// A product's option groups and its default choice (first value of each group).
    pub fn options_for(&self, product_id: &str) -> Option<(&[OptionGroup], &Selection)> {
        self.options
            .get(product_id)
            .map(|(groups, selection)| (groups.as_slice(), selection))
    }
}

#[async_trait::async_trait]
impl Snapshot for Shelf {
    async fn load(db: &Db) -> Result<Self, sqlx::Error> {
        let pool = db.pool();
        let categories = store::categories(pool).await?;
        let products: Vec<Product> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "select {PRODUCT_COLUMNS} from products p left join categories c on c.id = p.category_id
             where p.active = 1 order by p.created_at desc, p.id"
        )))
        .fetch_all(pool)
        .await?;
        let offered = store::offered_values_of_listed(pool).await?;
        let mut options = HashMap::new();
        for p in &products {
            let offers = offered.get(&p.id).map_or(&[][..], Vec::as_slice);
            if let Ok(default) = pricing::select(offers, &[], true) {
                options.insert(p.id.clone(), (pricing::groups(offers), default));
            }
        }
        let by_slug = products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.slug.clone(), i))
            .collect();
        Ok(Self {
            categories,
            products,
            offered,
            options,
            by_slug,
            memo: Memo::default(),
        })
    }
}
