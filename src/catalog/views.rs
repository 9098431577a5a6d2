//! Shop screens: the product grid with its filters, the product page, its live price and the
//! quick view.

use maud::{Markup, html};

use super::listing::{ShopFilter, Sort};
use super::model::{Category, Product, ProductKind};
use super::pricing::{self, OptionGroup, Selection};
use crate::http::context::RequestContext;
use crate::media::links::{Variant, page_path};
use crate::money::{Currency, Money};
use crate::state::AppState;
use crate::views::components::{csrf_field, page_hero, pagination, paragraphs};
use crate::views::{PageMeta, page};

/// Products per shop page.
pub const PER_PAGE: i64 = 12;

/// The shop's query as the visitor typed it (kept for the form and the links).
#[derive(Debug, Clone, Default)]
pub struct ShopParams {
    /// Search words.
    pub q: String,
    pub category: String,
    /// `print` / `digital`.
    pub kind: String,
    /// Lowest price as typed.
    pub min: String,
    /// Highest price as typed.
    pub max: String,
    pub sort: Sort,
    /// Page number from 1.
    pub page: i64,
}

impl ShopParams {
    /// Whether any filter is set (the phone layout then shows the filters open).
    pub fn is_filtered(&self) -> bool {
        [&self.q, &self.category, &self.kind, &self.min, &self.max]
            .iter()
            .any(|v| !v.trim().is_empty())
    }

    /// `/shop?…` for page `page`.
    pub fn href(&self, page: i64) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("category", &self.category),
            ("kind", &self.kind),
            ("min", &self.min),
            ("max", &self.max),
        ] {
            if !v.is_empty() {
                query.append_pair(k, v);
            }
        }
        if self.sort != Sort::default() {
            query.append_pair("sort", self.sort.as_str());
        }
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        let query = query.finish();
        if query.is_empty() {
            "/shop".to_owned()
        } else {
            format!("/shop?{query}")
        }
    }
}

/// One page of results.
#[derive(Debug)]
pub struct ShopResults<'a> {
    pub params: &'a ShopParams,
    /// The parsed filter.
    pub filter: &'a ShopFilter,
    /// Problems with the filter values (bad prices).
    pub filter_errors: &'a [String],
    /// Products on this page.
    pub products: &'a [&'a Product],
    /// Matches in all.
    pub total: i64,
}

/// A stored image's URL for pages (cacheable for about an hour).
pub fn image_src(state: &AppState, media_id: Option<&str>) -> Option<String> {
    media_id.map(|id| page_path(state, id, Variant::Full))
}

/// The card rendition of a stored picture (small places: cart lines, lists).
pub fn card_src(state: &AppState, media_id: Option<&str>) -> Option<String> {
    media_id.map(|id| page_path(state, id, Variant::Thumb))
}

/// Where a picture sits on the page, which decides how it loads and which rendition fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// In a grid of cards (about a third of the content width, all of it on phones): loaded
    /// lazily.
    Card,
    /// The page's main picture (a product, a film's poster): loaded at once, never lazily.
    Main,
    /// A full-bleed picture behind a page's title (the home page's showreel poster): loaded at
    /// once, as wide as the window.
    Hero,
}

/// The width `srcset` gives the full picture: the analysis job's rendition of a wider upload is
/// exactly this wide; a narrower original is served as it is, so for it the figure is an upper
/// bound (the browser then picks it where it would have wanted 1280 px, which it cannot have).
const FULL_WIDTH: u32 = crate::media::analyze::FULL_WIDTH;

/// An `<img>` of a stored picture with its renditions: the analysis job's card rendition (480
/// px, JPEG; the original until the job has run) and the full picture, described by `srcset`
/// and `sizes` so a 350 px card does not download a 1280 px image.
pub fn picture(
    state: &AppState,
    media_id: &str,
    class: &str,
    alt: &str,
    (width, height): (u32, u32),
    placement: Placement,
) -> Markup {
    let card = page_path(state, media_id, Variant::Thumb);
    let full = page_path(state, media_id, Variant::Full);
    let srcset = format!("{card} 480w, {full} {FULL_WIDTH}w");
    let sizes = match placement {
        Placement::Card => "(min-width: 75rem) 24rem, (min-width: 36rem) 45vw, 100vw",
        Placement::Main => "(min-width: 62rem) 60vw, 100vw",
        Placement::Hero => "100vw",
    };
    html! {
        @if placement != Placement::Card {
            img class=(class) src=(full) srcset=(srcset) sizes=(sizes) alt=(alt)
                width=(width) height=(height) fetchpriority="high";
        } @else {
            img class=(class) src=(card) srcset=(srcset) sizes=(sizes) alt=(alt)
                width=(width) height=(height) loading="lazy" decoding="async";
        }
    }
}

fn product_image(state: &AppState, p: &Product, class: &str, placement: Placement) -> Markup {
    html! {
        @if let Some(id) = p.image_media_id.as_deref() {
            (picture(state, id, class, &p.title, (800, 600), placement))
        } @else {
            div class=(format!("{class} image-placeholder")) aria-hidden="true" { "▶" }
        }
    }
}

/// A product card of the grid.
pub fn product_card(state: &AppState, p: &Product) -> Markup {
    let currency = state.settings.currency;
    let href = format!("/products/{}", p.slug);
    html! {
        article.product-card {
            a.product-card-media href=(href) tabindex="-1" aria-hidden="true" {
                (product_image(state, p, "product-card-image", Placement::Card))
            }
            div.product-card-body {
                p.product-card-meta {
                    span.kind-badge { (if p.is_print() { "Print" } else { "Digital" }) }
                    @if let Some(c) = &p.category_name { span { (c) } }
                }
                h3 { a href=(href) { (p.title) } }
                p.muted { (p.summary) }
                div.product-card-footer {
                    span.price { (p.price(currency)) }
                    span class=(if p.in_stock() { "stock" } else { "stock stock-out" }) { (p.stock_label()) }
                }
                a.button.button-small.button-ghost href=(href)
                    hx-get=(format!("/products/{}/quick-view", p.slug))
                    hx-target="#quick-view" hx-swap="innerHTML" { "Quick view" }
            }
        }
    }
}

/// `GET /shop`.
pub fn shop_page(
    ctx: &RequestContext,
    state: &AppState,
    categories: &[Category],
    p: &ShopParams,
    results: Markup,
) -> Markup {
    let body = html! {
        (page_hero("Shop", "Prints and digital downloads", Some("Stills from our films as museum-grade prints, and footage, presets and templates to download.")))
        section.section.section-tight {
            div.container.shop-layout {
                // Collapsed behind "Filters" on phones (no JS needed); always open on wider
                // screens, where the stylesheet hides the summary.
                details.filters-disclosure open[p.is_filtered()] {
                summary.filters-toggle { "Filters" }
                form #shop-filters .shop-filters method="get" action="/shop" role="search"
                    hx-get="/shop" hx-target="#shop-results" hx-swap="outerHTML" hx-push-url="true"
                    hx-trigger="change, submit, keyup changed delay:400ms from:#shop-q" {
                    div.field {
                        label for="shop-q" { "Search" }
                        input #shop-q type="search" name="q" value=(p.q) placeholder="Title or keyword" autocomplete="off";
                    }
                    div.field {
                        label for="shop-category" { "Category" }
                        select #shop-category name="category" {
                            option value="" { "All categories" }
                            @for c in categories {
                                option value=(c.slug) selected[p.category == c.slug] { (c.name) }
                            }
                        }
                    }
                    div.field {
                        label for="shop-kind" { "Type" }
                        select #shop-kind name="kind" {
                            option value="" { "Prints and digital" }
                            option value="print" selected[ProductKind::parse(&p.kind) == Some(ProductKind::Print)] { "Prints" }
                            option value="digital" selected[ProductKind::parse(&p.kind) == Some(ProductKind::Digital)] { "Digital" }
                        }
                    }
                    fieldset.field.price-range {
                        legend { "Price (" (state.settings.currency.code()) ")" }
                        div.price-range-inputs {
                            label.visually-hidden for="shop-min" { "Lowest price" }
                            input #shop-min type="text" inputmode="decimal" name="min" value=(p.min) placeholder="Min" size="6";
                            span aria-hidden="true" { "–" }
                            label.visually-hidden for="shop-max" { "Highest price" }
                            input #shop-max type="text" inputmode="decimal" name="max" value=(p.max) placeholder="Max" size="6";
                        }
                    }
                    div.field {
                        label for="shop-sort" { "Sort by" }
                        select #shop-sort name="sort" {
                            @for (sort, value, label) in Sort::ALL {
                                option value=(value) selected[p.sort == *sort] { (label) }
                            }
                        }
                    }
                    button.button.button-secondary type="submit" { "Show results" }
                }
                }
                (results)
            }
        }
        div #quick-view .quick-view aria-live="polite" {}
    };
    page(
        ctx,
        PageMeta {
            title: "Shop prints and downloads",
            description: "Buy prints of FlashStudio's films and digital downloads: stock footage, \
                          LUTs and templates, priced in Singapore dollars.",
        },
        body,
    )
}

/// The results: count, grid and pages (the htmx fragment of the filters).
pub fn shop_results(state: &AppState, r: &ShopResults<'_>) -> Markup {
    let pages = (r.total + PER_PAGE - 1) / PER_PAGE;
    html! {
        div #shop-results .shop-results {
            @for e in r.filter_errors {
                p.alert.alert-error role="alert" { (e) }
            }
            p.muted.results-summary aria-live="polite" {
                (r.total) " product" @if r.total != 1 { "s" }
                @if let Some(q) = r.filter.q.as_deref() { " matching “" (q) "”" }
            }
            @if r.products.is_empty() {
                div.empty-state {
                    p { "Nothing matches these filters." }
                    a.button.button-secondary href="/shop" { "Clear filters" }
                }
            } @else {
                // The cards' titles are h3, as under the home page's section headings.
                h2.visually-hidden { "Products" }
                div.product-grid {
                    @for p in r.products { (product_card(state, p)) }
                }
            }
            (pagination(r.params.page, pages, false, |n| r.params.href(n), "shop-results"))
        }
    }
}

/// What the product page shows about the current choice.
#[derive(Debug)]
pub struct ProductView<'a> {
    pub product: &'a Product,
    /// Its option groups.
    pub groups: &'a [OptionGroup],
    /// The current choice (defaults filled in).
    pub selection: &'a Selection,
    pub quantity: i64,
    /// An error to show by the form.
    pub error: Option<&'a str>,
    /// Where fragments the same for every visitor are kept (browsing pages), if anywhere.
    pub memo: Option<&'a super::shelf::Shelf>,
}

impl ProductView<'_> {
    /// `render()`, kept in the snapshot under `key` (with the product, the choice, the quantity
    /// and the hour of the signed image URLs) when there is one and no error is shown.
    fn cached(&self, part: &str, render: impl FnOnce() -> Markup) -> Markup {
        match (self.memo, self.error) {
            (Some(snapshot), None) => {
                let key = format!(
                    "product:{part}:{}:{}:{}:{}",
                    self.product.id,
                    self.selection.key(),
                    self.quantity,
                    crate::media::links::page_epoch()
                );
                snapshot.memo.get_or(&key, render)
            }
            _ => render(),
        }
    }
}

/// The live price: unit price for the choice, total for the quantity, stock.
pub fn price_block(currency: Currency, v: &ProductView<'_>) -> Markup {
    let p = v.product;
    let unit = pricing::unit_price(p.price_minor, v.selection);
    let cur = p.currency(currency);
    let quantity = v.quantity.clamp(1, p.max_quantity().max(1));
    html! {
        div #price-block .price-block aria-live="polite" {
            p.price-now { (Money::new(unit, cur)) }
            @if quantity > 1 {
                p.muted { (quantity) " × " (Money::new(unit, cur)) " = " strong { (Money::new(unit.saturating_mul(quantity), cur)) } }
            }
            @if !v.selection.values.is_empty() {
                p.muted.selection-summary { (v.selection.describe()) }
            }
            p class=(if p.in_stock() { "stock" } else { "stock stock-out" }) { (p.stock_label()) }
        }
    }
}

/// The options + quantity + add-to-cart form (product page and quick view).
pub fn add_form(ctx: &RequestContext, currency: Currency, v: &ProductView<'_>) -> Markup {
    html! {
        form.add-form method="post" action="/cart/add"
            hx-post="/cart/add" hx-target="#add-result" hx-swap="innerHTML" {
            (csrf_field(ctx))
            (v.cached("form", || add_form_fields(currency, v)))
        }
    }
}

/// Everything in the add-to-cart form but the CSRF token (the same for every visitor).
fn add_form_fields(currency: Currency, v: &ProductView<'_>) -> Markup {
    let p = v.product;
    let cur = p.currency(currency);
    let price_url = format!("/products/{}/price", p.slug);
    html! {
            input type="hidden" name="product" value=(p.id);
            // The price request is a GET: everything of the form but the CSRF token, which must
            // never end up in a URL.
            div.option-pickers hx-get=(price_url) hx-trigger="change, input delay:300ms"
                hx-include="closest form" hx-params="not csrf_token" hx-target="#price-block" hx-swap="outerHTML" {
                @for g in v.groups {
                    div.field {
                        label for=(format!("opt-{}", g.id)) { (g.name) }
                        select id=(format!("opt-{}", g.id)) name="options" {
                            @for val in &g.values {
                                option value=(val.id) selected[v.selection.values.iter().any(|s| s.id == val.id)] {
                                    (val.label)
                                    @if val.delta_minor != 0 { " (" (Money::new(val.delta_minor, cur).signed()) ")" }
                                }
                            }
                        }
                    }
                }
                div.field.quantity-field {
                    label for="quantity" { "Quantity" }
                    input #quantity type="number" name="quantity" min="1" max=(p.max_quantity().max(1))
                        value=(v.quantity.clamp(1, p.max_quantity().max(1))) inputmode="numeric";
                }
            }
            (price_block(currency, v))
            @if let Some(e) = v.error {
                p.alert.alert-error role="alert" { (e) }
            }
            div.add-actions {
                @if p.in_stock() {
                    button.button.button-primary type="submit" { "Add to cart" }
                } @else {
                    button.button.button-primary type="submit" disabled { "Sold out" }
                }
                @if !v.groups.is_empty() {
                    // Without JS: the page again, priced for the choice. A POST (nothing is
                    // stored) so the form's CSRF token stays out of the URL.
                    noscript {
                        button.button.button-secondary type="submit"
                            formaction=(format!("/products/{}", p.slug)) { "Update price" }
                    }
                }
            }
            div #add-result aria-live="polite" {}
    }
}

/// `GET /products/{slug}`, with the reviews section (`reviews::product_section`) under it.
pub fn product_page(
    ctx: &RequestContext,
    state: &AppState,
    v: &ProductView<'_>,
    reviews: Markup,
) -> Markup {
    let p = v.product;
    let currency = state.settings.currency;
    let media = v.cached("media", || {
        html! { div.product-media { (product_image(state, p, "product-image", Placement::Main)) } }
    });
    let body = html! {
        div.container.breadcrumbs {
            a href="/shop" { "Shop" }
            @if let (Some(name), Some(slug)) = (&p.category_name, &p.category_slug) {
                " / " a href=(format!("/shop?category={slug}")) { (name) }
            }
        }
        section.section.section-tight {
            div.container.product-layout {
                (media)
                div.product-info {
                    p.product-card-meta {
                        span.kind-badge { (if p.is_print() { "Print" } else { "Digital download" }) }
                    }
                    h1 { (p.title) }
                    p.lead { (p.summary) }
                    (add_form(ctx, currency, v))
                    (v.cached("about", || html! {
                        div.prose { (paragraphs(&p.description)) }
                        @if p.is_print() {
                            p.muted { "Printed to order in Singapore and shipped within 5 working days." }
                        } @else {
                            p.muted { "Delivered as a private download link by email after payment." }
                        }
                    }))
                }
            }
        }
        (reviews)
    };
    let description = if p.summary.is_empty() {
        p.title.as_str()
    } else {
        p.summary.as_str()
    };
    page(
        ctx,
        PageMeta {
            title: &p.title,
            description,
        },
        body,
    )
}

/// `GET /products/{slug}/quick-view` (htmx fragment).
pub fn quick_view(ctx: &RequestContext, state: &AppState, v: &ProductView<'_>) -> Markup {
    let p = v.product;
    html! {
        div.quick-view-panel role="dialog" aria-modal="false" aria-labelledby="qv-title" {
            button.quick-view-close type="button" data-dismiss="quick-view" aria-label="Close" { "×" }
            div.quick-view-grid {
                (product_image(state, p, "product-card-image", Placement::Card))
                div {
                    h2 #qv-title { (p.title) }
                    p.muted { (p.summary) }
                    (add_form(ctx, state.settings.currency, v))
                    a href=(format!("/products/{}", p.slug)) { "Full details →" }
                }
            }
        }
    }
}

/// The confirmation under the add-to-cart button (htmx), with the header badge updated
/// out of band.
pub fn added(message: &str, notice: Option<&str>, units: i64) -> Markup {
    html! {
        p.alert.alert-success {
            (message) " " a href="/cart" { "View cart" }
        }
        @if let Some(n) = notice { p.alert.alert-info { (n) } }
        (crate::views::components::cart_badge(units, true))
    }
}

/// An error under the add-to-cart button (htmx).
pub fn add_error(message: &str) -> Markup {
    html! { p.alert.alert-error role="alert" { (message) } }
}
