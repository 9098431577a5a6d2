//! The sales report: money taken (captured minus refunded, by capture and refund date), orders
//! paid, their average value, refunds, deposits and balances, abandoned checkouts and the best
//! sellers, for a period and the one before it, per currency.

use std::collections::{BTreeMap, HashMap};

use super::period::{Bucket, Period};
use crate::error::{AppError, AppResult};
use crate::money::Currency;
use crate::orders::store::ProductSales;
use crate::payments::store::Takings;
use crate::state::AppState;

/// How many best sellers the report lists.
pub const TOP_PRODUCTS: usize = 10;

/// One currency's figures over a whole period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// Everything captured (orders, booking deposits, quote payments).
    pub captured_minor: i64,
    /// Refunds that succeeded, issued in the period.
    pub refunded_minor: i64,
    /// How many such refunds.
    pub refunds: i64,
    /// Orders with money captured in the period.
    pub orders: i64,
    /// What those orders' payments captured.
    pub orders_minor: i64,
    /// Booking deposits captured.
    pub deposits_minor: i64,
    /// Quote payments captured (deposits and balances of accepted proposals).
    pub quote_payments_minor: i64,
    /// Checkouts placed in the period and never paid.
    pub abandoned: i64,
    /// What they were worth.
    pub abandoned_minor: i64,
}

impl Figures {
    /// Captured minus refunded: the money the period kept.
    pub fn net_minor(&self) -> i64 {
        self.captured_minor - self.refunded_minor
    }

    /// Orders' captured money over their number, rounded to the nearest minor unit (halves
    /// up); none without orders.
    pub fn average_order_minor(&self) -> Option<i64> {
        (self.orders > 0).then(|| (2 * self.orders_minor + self.orders) / (2 * self.orders))
    }

    fn add(&mut self, t: &Takings) {
        self.captured_minor += t.captured_minor;
        self.refunded_minor += t.refunded_minor;
        self.refunds += t.refunds;
        match t.purpose.as_str() {
            "order" => {
                self.orders += t.paid;
                self.orders_minor += t.captured_minor;
            }
            "booking" => self.deposits_minor += t.captured_minor,
            _ => self.quote_payments_minor += t.captured_minor,
        }
    }
}

/// One currency's part of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyReport {
    /// ISO code.
    pub code: String,
    /// The currency, when the shop knows it (for formatting).
    pub currency: Option<Currency>,
    /// This period.
    pub current: Figures,
    /// The period before, as long.
    pub previous: Figures,
    /// Net money per bucket (zero where nothing happened).
    pub net_by_bucket: Vec<i64>,
    /// Orders paid per bucket.
    pub orders_by_bucket: Vec<i64>,
}

/// The whole report.
#[derive(Debug, Clone)]
pub struct SalesReport {
    /// The period.
    pub period: Period,
    /// The period compared with.
    pub previous: Period,
    /// Its chart buckets, every one.
    pub buckets: Vec<Bucket>,
    /// Per currency: the shop's first, then by code; a currency appears when anything
    /// happened in it in either period.
    pub currencies: Vec<CurrencyReport>,
}

/// The part of `code` in `by_code`, made empty with `n` buckets if new.
fn entry<'a>(
    by_code: &'a mut BTreeMap<String, CurrencyReport>,
    code: &str,
    n: usize,
) -> &'a mut CurrencyReport {
    by_code
        .entry(code.to_owned())
        .or_insert_with(|| CurrencyReport {
            code: code.to_owned(),
            currency: Currency::parse(code),
            current: Figures::default(),
            previous: Figures::default(),
            net_by_bucket: vec![0; n],
            orders_by_bucket: vec![0; n],
        })
}

/// How many categories the report lists.
pub const TOP_CATEGORIES: usize = 10;

/// What a category sold in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategorySales {
    /// Its name; "No category" for products without one, "Products since deleted" for lines
    /// whose product is gone.
    pub name: String,
    /// ISO code.
    pub currency: String,
    /// Units sold.
    pub units: i64,
    /// The lines' total (before refunds).
    pub total_minor: i64,
}

/// A period's best sellers: the products and the categories.
#[derive(Debug, Clone)]
pub struct BestSellers {
    /// The [`TOP_PRODUCTS`] best products, by money (the shop's currency first).
    pub products: Vec<ProductSales>,
    /// The [`TOP_CATEGORIES`] best categories per currency.
    pub categories: Vec<CategorySales>,
}

/// One row of a best-sellers table: (name, units, ISO code, total in minor units).
pub type SalesRow<'a> = (&'a str, i64, &'a str, i64);

impl BestSellers {
    /// The products' rows.
    pub fn product_rows(&self) -> Vec<SalesRow<'_>> {
        self.products
            .iter()
            .map(|p| {
                (
                    p.title.as_str(),
                    p.units,
                    p.currency.as_str(),
                    p.total_minor,
                )
            })
            .collect()
    }

    /// The categories' rows.
    pub fn category_rows(&self) -> Vec<SalesRow<'_>> {
        self.categories
            .iter()
            .map(|c| (c.name.as_str(), c.units, c.currency.as_str(), c.total_minor))
            .collect()
    }
}

/// The best sellers of `period`, products and categories, from one query of every product's
/// sales (`orders::store::sales_by_product`), summed under each product's category as the
/// catalog has it now. Apart from the report: its cost grows with the orders paid in the
/// period, so the page asks for it after showing the rest, and it takes a turn at a long read
/// (`Db::long_read`): a burst of them cannot hold every connection.
pub async fn best_sellers(state: &AppState, period: Period) -> AppResult<BestSellers> {
    let _turn = state
        .db
        .long_read()
        .await
        .ok_or(AppError::Busy { retry_after: 5 })?;
    let (from, to) = period.instants(&state.settings.time_zone);
    let shop = state.settings.currency;
    let mut conn = state.db.pool().acquire().await?;
    let sales = crate::orders::store::sales_by_product(&mut conn, from, to).await?;
    let categories: HashMap<String, Option<String>> =
        crate::catalog::store::product_categories(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let categories = sum_by_category(&sales, &categories, shop);
    let mut products: Vec<ProductSales> = sales.into_iter().take(TOP_PRODUCTS).collect();
    crate::orders::store::name_sales(&mut conn, &mut products).await?;
    products.sort_by_key(|p| (p.currency != shop.code(), p.currency.clone()));
    Ok(BestSellers {
        products,
        categories,
    })
}

/// Sums `sales` by the category of each product (see [`top_categories`]).
fn sum_by_category(
    sales: &[ProductSales],
    categories: &HashMap<String, Option<String>>,
    shop: Currency,
) -> Vec<CategorySales> {
    let mut by_key: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for p in sales {
        let name = match p.product_id.as_ref().map(|id| categories.get(id)) {
            Some(Some(Some(name))) => name.clone(),
            Some(Some(None)) => "No category".to_owned(),
            _ => "Products since deleted".to_owned(),
        };
        let entry = by_key.entry((p.currency.clone(), name)).or_default();
        entry.0 += p.units;
        entry.1 += p.total_minor;
    }
    let mut out: Vec<CategorySales> = by_key
        .into_iter()
        .map(|((currency, name), (units, total_minor))| CategorySales {
            name,
            currency,
            units,
            total_minor,
        })
        .collect();
    out.sort_by_key(|c| {
        (
            c.currency != shop.code(),
            c.currency.clone(),
            std::cmp::Reverse(c.total_minor),
        )
    });
    let mut shown: BTreeMap<String, usize> = BTreeMap::new();
    out.retain(|c| {
        let n = shown.entry(c.currency.clone()).or_default();
        *n += 1;
        *n <= TOP_CATEGORIES
    });
    out
}

/// Builds the report for `period` in the studio's zone: one query for the money of every
/// bucket and both periods, two for abandoned checkouts.
pub async fn sales(state: &AppState, period: Period) -> AppResult<SalesReport> {
    let zone = &state.settings.time_zone;
    let pool = state.db.pool();
    let previous = period.previous();
    let buckets = period.buckets(zone);
    let (from, to) = period.instants(zone);
    let (prev_from, prev_to) = previous.instants(zone);
    let mut periods: Vec<(i64, i64)> = buckets.iter().map(|b| (b.lo, b.hi)).collect();
    let (whole, before) = (periods.len(), periods.len() + 1);
    periods.push((from, to));
    periods.push((prev_from, prev_to));
    let takings = crate::payments::store::takings(pool, &periods).await?;

    let shop = state.settings.currency;
    let mut by_code: BTreeMap<String, CurrencyReport> = BTreeMap::new();
    let width = buckets.len();
    for t in &takings {
        let r = entry(&mut by_code, &t.currency, width);
        if t.period == whole {
            r.current.add(t);
        } else if t.period == before {
            r.previous.add(t);
        } else if let (Some(net), Some(orders)) = (
            r.net_by_bucket.get_mut(t.period),
            r.orders_by_bucket.get_mut(t.period),
        ) {
            *net += t.captured_minor - t.refunded_minor;
            if t.purpose == "order" {
                *orders += t.paid;
            }
        }
    }
    for (code, n, minor) in crate::orders::store::abandoned_checkouts(pool, from, to).await? {
        let r = entry(&mut by_code, &code, width);
        r.current.abandoned = n;
        r.current.abandoned_minor = minor;
    }
    for (code, n, minor) in
        crate::orders::store::abandoned_checkouts(pool, prev_from, prev_to).await?
    {
        let r = entry(&mut by_code, &code, width);
        r.previous.abandoned = n;
        r.previous.abandoned_minor = minor;
    }
    let mut currencies: Vec<CurrencyReport> = by_code.into_values().collect();
    currencies.sort_by_key(|c| (c.code != shop.code(), c.code.clone()));

    Ok(SalesReport {
        period,
        previous,
        buckets,
        currencies,
    })
}

/// One currency's figures over each of `periods` (the dashboard's today and this week): the
/// same definitions as the report's, without its charts and best sellers. One query for the
/// money of every period, one per period for abandoned checkouts. Currencies in which nothing
/// happened in any of them are left out; the shop's comes first.
pub async fn figures(
    state: &AppState,
    periods: &[Period],
) -> AppResult<Vec<(String, Vec<Figures>)>> {
    let zone = &state.settings.time_zone;
    let pool = state.db.pool();
    let instants: Vec<(i64, i64)> = periods.iter().map(|p| p.instants(zone)).collect();
    let mut by_code: BTreeMap<String, Vec<Figures>> = BTreeMap::new();
    let width = periods.len();
    let blank = || vec![Figures::default(); width];
    for t in crate::payments::store::takings(pool, &instants).await? {
        let of_code = by_code.entry(t.currency.clone()).or_insert_with(blank);
        if let Some(f) = of_code.get_mut(t.period) {
            f.add(&t);
        }
    }
    for (i, (from, to)) in instants.iter().enumerate() {
        for (code, n, minor) in crate::orders::store::abandoned_checkouts(pool, *from, *to).await? {
            if let Some(f) = by_code.entry(code).or_insert_with(blank).get_mut(i) {
                f.abandoned = n;
                f.abandoned_minor = minor;
            }
        }
    }
    let shop = state.settings.currency;
    let mut out: Vec<(String, Vec<Figures>)> = by_code.into_iter().collect();
    out.sort_by_key(|(code, _)| (code != shop.code(), code.clone()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sold(id: Option<&str>, currency: &str, units: i64, total: i64) -> ProductSales {
        ProductSales {
            product_id: id.map(str::to_owned),
            title: "t".to_owned(),
            currency: currency.to_owned(),
            units,
            total_minor: total,
            latest_order: String::new(),
        }
    }

    #[test]
    fn categories_sum_their_products_per_currency_the_shops_first() {
        let categories = HashMap::from([
            ("a".to_owned(), Some("Prints".to_owned())),
            ("b".to_owned(), Some("Prints".to_owned())),
            ("c".to_owned(), None),
        ]);
        let sales = [
            sold(Some("a"), "EUR", 1, 500),
            sold(Some("a"), "SGD", 2, 2_000),
            sold(Some("b"), "SGD", 1, 1_500),
            sold(Some("c"), "SGD", 4, 4_000),
            sold(None, "SGD", 1, 100),
        ];
        let top = sum_by_category(&sales, &categories, Currency::parse("SGD").unwrap());
        let rows: Vec<(&str, &str, i64, i64)> = top
            .iter()
            .map(|c| (c.currency.as_str(), c.name.as_str(), c.units, c.total_minor))
            .collect();
        assert_eq!(
            rows,
            [
                ("SGD", "No category", 4, 4_000),
                ("SGD", "Prints", 3, 3_500),
                ("SGD", "Products since deleted", 1, 100),
                ("EUR", "Prints", 1, 500),
            ]
        );
    }
}
