//! Catalog rows: categories and products.

use sqlx::FromRow;

use crate::money::{Currency, Money};

/// A service line (Commercial Production, Drone Footage…).
#[derive(Debug, Clone, FromRow)]
pub struct Category {
    pub id: String,
    /// URL slug.
    pub slug: String,
    pub name: String,
    /// One-paragraph pitch.
    pub summary: String,
    pub sort_order: i64,
}

/// Columns of [`Product`], prefixed `p.` with the category joined as `c`.
pub const PRODUCT_COLUMNS: &str = "p.id, p.slug, p.kind, p.title, p.summary, p.description, \
     p.category_id, c.name as category_name, c.slug as category_slug, p.price_minor, \
     p.currency, p.stock, p.image_media_id, p.digital_media_id, p.active, p.featured, p.version";

/// What a product is: a physical print (stock, options, a shipping address) or a digital
/// file (delivered by an expiring download link).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductKind {
    /// A physical print.
    Print,
    /// A downloadable file.
    Digital,
}

impl ProductKind {
    /// The value stored in `products.kind` and `order_lines.kind`, and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Print => "print",
            Self::Digital => "digital",
        }
    }

    /// Reads a stored or typed value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "print" => Some(Self::Print),
            "digital" => Some(Self::Digital),
            _ => None,
        }
    }
}

impl TryFrom<String> for ProductKind {
    type Error = String;

    /// At the row boundary (`#[sqlx(try_from = "String")]`): a value the schema's check
    /// constraint would not allow is an error, not a guess.
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or_else(|| format!("unknown product kind {value:?}"))
    }
}

impl std::fmt::Display for ProductKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct Product {
    pub id: String,
    /// URL slug.
    pub slug: String,
    /// Print or digital.
    #[sqlx(try_from = "String")]
    pub kind: ProductKind,
    pub title: String,
    /// One line for cards.
    pub summary: String,
    /// Long description (plain text, paragraphs separated by blank lines).
    pub description: String,
    pub category_id: Option<String>,
    pub category_name: Option<String>,
    pub category_slug: Option<String>,
    /// Base price in minor units.
    pub price_minor: i64,
    /// ISO currency code.
    pub currency: String,
    /// Units in stock (prints); none means not counted (digital files, prints made to order).
    pub stock: Option<i64>,
    pub image_media_id: Option<String>,
    /// The file a digital product delivers.
    pub digital_media_id: Option<String>,
    #[sqlx(try_from = "crate::db::Flag")]
    pub active: bool,
    #[sqlx(try_from = "crate::db::Flag")]
    pub featured: bool,
    pub version: i64,
}

/// The most of one product a single cart line may hold.
pub const MAX_LINE_QUANTITY: i64 = 20;

impl Product {
    /// Its currency (the shop's when the code is unknown).
    pub fn currency(&self, fallback: Currency) -> Currency {
        Currency::parse(&self.currency).unwrap_or(fallback)
    }

    /// The base price.
    pub fn price(&self, fallback: Currency) -> Money {
        Money::new(self.price_minor, self.currency(fallback))
    }

    /// A physical print.
    pub fn is_print(&self) -> bool {
        self.kind == ProductKind::Print
    }

    /// Whether it can be bought at all now.
    pub fn in_stock(&self) -> bool {
        self.stock.is_none_or(|s| s > 0)
    }

    /// The largest quantity one cart line may hold: one for a digital file; for prints the
    /// stock when counted, never more than [`MAX_LINE_QUANTITY`].
    pub fn max_quantity(&self) -> i64 {
        if !self.is_print() {
            return 1;
        }
        match self.stock {
            Some(s) => s.clamp(0, MAX_LINE_QUANTITY),
            None => MAX_LINE_QUANTITY,
        }
    }

    /// "In stock", "Only 3 left", "Sold out", "Instant download".
    pub fn stock_label(&self) -> String {
        match self.stock {
            None if !self.is_print() => "Instant download".to_owned(),
            None => "Made to order".to_owned(),
            Some(0) => "Sold out".to_owned(),
            Some(n) if n <= 5 => format!("Only {n} left"),
            Some(_) => "In stock".to_owned(),
        }
    }
}

/// Whether `raw` can be a slug (lowercase letters, digits, dashes; at most 80): anything else
/// in a URL is simply not found, before it reaches the database.
pub fn is_slug(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= 80
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
