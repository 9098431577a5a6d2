//! The shop's search, filters and sort, over the in-memory catalog snapshot (pure).

use super::model::{Product, ProductKind};

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
}

/// A shop search: every field optional.
#[derive(Debug, Clone, Default)]
pub struct ShopFilter {
    /// Words in the title or summary.
    pub q: Option<String>,
    pub category: Option<String>,
    /// `print` or `digital`.
    pub kind: Option<ProductKind>,
    /// Lowest base price, minor units.
    pub min_minor: Option<i64>,
    /// Highest base price, minor units.
    pub max_minor: Option<i64>,
    pub sort: Sort,
}

/// The listed products matching `filter`, in its order. `products` come newest first.
pub fn search<'a>(products: &'a [Product], filter: &ShopFilter) -> Vec<&'a Product> {
    let words = filter
        .q
        .as_deref()
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty());
    let mut out: Vec<&Product> = products
        .iter()
        .filter(|p| p.active)
        .filter(|p| {
            words.as_deref().is_none_or(|w| {
                p.title.to_lowercase().contains(w) || p.summary.to_lowercase().contains(w)
            })
        })
        .filter(|p| {
            filter
                .category
                .as_deref()
                .is_none_or(|c| p.category_slug.as_deref() == Some(c))
        })
        .filter(|p| filter.kind.is_none_or(|k| p.kind == k))
        .filter(|p| filter.min_minor.is_none_or(|m| p.price_minor >= m))
        .filter(|p| filter.max_minor.is_none_or(|m| p.price_minor <= m))
        .collect();
    // Stable sorts keep "newest first" among equals.
    match filter.sort {
        Sort::Featured => out.sort_by_key(|p| std::cmp::Reverse(p.featured)),
        Sort::Newest => {}
        Sort::PriceAsc => out.sort_by(|a, b| {
            a.price_minor
                .cmp(&b.price_minor)
                .then_with(|| a.title.cmp(&b.title))
        }),
        Sort::PriceDesc => out.sort_by(|a, b| {
            b.price_minor
                .cmp(&a.price_minor)
                .then_with(|| a.title.cmp(&b.title))
        }),
        Sort::Title => out.sort_by_key(|p| p.title.to_lowercase()),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(slug: &str, title: &str, price: i64, featured: bool, kind: &str) -> Product {
        Product {
            id: slug.into(),
            slug: slug.into(),
            kind: ProductKind::parse(kind).unwrap(),
            title: title.into(),
            summary: String::new(),
            description: String::new(),
            category_id: None,
            category_name: None,
            category_slug: Some(if kind == "print" { "prints" } else { "files" }.into()),
            price_minor: price,
            currency: "SGD".into(),
            stock: None,
            image_media_id: None,
            digital_media_id: None,
            active: true,
            featured,
            version: 1,
        }
    }

    #[test]
    fn filters_and_sorts() {
        let all = vec![
            product("c", "Coastline", 900, false, "print"),
            product("b", "Blue Hour", 6500, true, "print"),
            product("a", "Aerials", 9900, false, "digital"),
        ];
        let slugs = |f: &ShopFilter| {
            search(&all, f)
                .iter()
                .map(|p| p.slug.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(slugs(&ShopFilter::default()), ["b", "c", "a"]);
        assert_eq!(
            slugs(&ShopFilter {
                sort: Sort::PriceDesc,
                ..Default::default()
            }),
            ["a", "b", "c"]
        );
        assert_eq!(
            slugs(&ShopFilter {
                sort: Sort::Title,
                ..Default::default()
            }),
            ["a", "b", "c"]
        );
        assert_eq!(
            slugs(&ShopFilter {
                q: Some("HOUR".into()),
                ..Default::default()
            }),
            ["b"]
        );
        assert_eq!(
            slugs(&ShopFilter {
                kind: Some(ProductKind::Digital),
                ..Default::default()
            }),
            ["a"]
        );
        assert_eq!(
            slugs(&ShopFilter {
                category: Some("prints".into()),
                min_minor: Some(1000),
                ..Default::default()
            }),
            ["b"]
        );
        assert_eq!(
            slugs(&ShopFilter {
                max_minor: Some(900),
                ..Default::default()
            }),
            ["c"]
        );
    }
}
