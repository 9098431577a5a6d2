//! The storefront's handlers: the product grid, product pages, the live price, the quick view,
//! and the two forms of a product page (add to cart, write a review), whose errors re-render
//! that page with the reviews section.

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{IntoResponse as _, Request, Response, handler};

use crate::cart::{self, Owner};
use crate::catalog::listing::{self, ShopFilter, Sort};
use crate::catalog::model::{Product, ProductKind};
use crate::catalog::pricing::{self, OfferedValue};
use crate::catalog::shelf::Shelf;
use crate::catalog::store;
use crate::catalog::views::{self, PER_PAGE, ProductView, ShopParams, ShopResults};
use crate::db::parse_id;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::context::Flash;
use crate::http::extract::{Ctx, CurrentUser};
use crate::http::form::{FormPairs, vary_on_htmx, wants_fragment};
use crate::http::{redirect, redirect_with_flash, with_status};
use crate::media::links::page_epoch;
use crate::rate_limit;
use crate::reviews::{
    self,
    model::{ReviewForm, Status},
};
use crate::state::AppState;

/// Longest search accepted (longer input is cut, not refused).
const MAX_QUERY_CHARS: usize = 100;

fn clip(raw: Option<&str>, max: usize) -> String {
    raw.unwrap_or("").chars().take(max).collect()
}

/// `GET /shop`: search, category, type and price filters, sort and pages. An htmx request
/// targeting `#shop-results` gets just the results.
#[handler]
pub async fn shop(
    req: &Request,
    ctx: Ctx,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let currency = state.settings.currency;
    let content = state.content.get::<Shelf>(&state.db).await?;
    let categories = &content.categories;
    let params = ShopParams {
        q: clip(form.get("q"), MAX_QUERY_CHARS),
        category: clip(form.get("category"), 80),
        kind: clip(form.get("kind"), 10),
        min: clip(form.get("min"), 20),
        max: clip(form.get("max"), 20),
        sort: Sort::parse(form.get("sort").unwrap_or("")),
        page: form
            .get("page")
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| (1..=10_000).contains(p))
            .unwrap_or(1),
    };
    let mut filter_errors = Vec::new();
    let mut price = |raw: &str, label: &str| -> Option<i64> {
        if raw.is_empty() {
            return None;
        }
        match currency.parse_amount(raw, false) {
            Ok(v) => Some(v),
            Err(e) => {
                filter_errors.push(format!("{label} price: {e} It was ignored."));
                None
            }
        }
    };
    let filter = ShopFilter {
        q: Some(params.q.clone()).filter(|q| !q.trim().is_empty()),
        category: categories
            .iter()
            .find(|c| c.slug == params.category)
            .map(|c| c.slug.clone()),
        kind: ProductKind::parse(&params.kind),
        min_minor: price(&params.min, "Lowest"),
        max_minor: price(&params.max, "Highest"),
        sort: params.sort,
    };
    // The results are the same for everyone asking the same query in the same hour: a query
    // already answered since the catalog last changed is not searched again.
    let key = format!("shop:{}:{}", params.href(params.page), page_epoch());
    let fragment = match content.memo.get(&key) {
        Some(hit) => hit,
        None => {
            let matching = listing::search(&content.products, &filter);
            let total = i64::try_from(matching.len()).unwrap_or(i64::MAX);
            let offset = usize::try_from((params.page - 1) * PER_PAGE).unwrap_or(usize::MAX);
            let products: Vec<&Product> = matching
                .into_iter()
                .skip(offset)
                .take(PER_PAGE as usize)
                .collect();
            let results = ShopResults {
                params: &params,
                filter: &filter,
                filter_errors: &filter_errors,
                products: &products,
                total,
            };
            let fresh = views::shop_results(state, &results);
            content.memo.put(&key, &fresh);
            fresh
        }
    };
    let mut resp = if wants_fragment(req, "shop-results") {
        fragment.into_response()
    } else {
        views::shop_page(&ctx, state, categories, &params, fragment).into_response()
    };
    vary_on_htmx(&mut resp);
    Ok(resp)
}

/// A product by slug with what it offers, or 404.
async fn product_with_options(
    state: &AppState,
    slug: &str,
) -> AppResult<(Product, Vec<OfferedValue>)> {
    if !crate::catalog::model::is_slug(slug) {
        return Err(AppError::NotFound);
    }
    let product = store::find_active_by_slug(state.db.pool(), slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let offered = store::offered_for(state.db.pool(), &product.id).await?;
    Ok((product, offered))
}

fn quantity_of(form: &FormPairs) -> i64 {
    form.get("quantity")
        .and_then(|q| q.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, crate::catalog::model::MAX_LINE_QUANTITY)
}

/// `GET /products/{slug}`: the page; `?options=…` (or the no-JS "Update price" POST)
/// preselects values. Options the product does not offer are 422. Nothing is stored.
#[handler]
pub async fn show(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path(slug): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let content = state.content.get::<Shelf>(&state.db).await?;
    let product = content.product(&slug).ok_or(AppError::NotFound)?;
    let (groups, default) = content.options_for(&product.id).ok_or(AppError::NotFound)?;
    let chosen = form.all("options");
    // Most visits choose nothing: the snapshot has that choice ready.
    let picked = if chosen.is_empty() {
        None
    } else {
        Some(pricing::select(
            content.offered_for(&product.id),
            &chosen,
            true,
        ))
    };
    let (selection, error, status) = match &picked {
        None => (default, None, poem::http::StatusCode::OK),
        Some(Ok(s)) => (s, None, poem::http::StatusCode::OK),
        Some(Err(e)) => (
            default,
            Some(e.to_string()),
            poem::http::StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    let view = ProductView {
        product,
        groups,
        selection,
        quantity: quantity_of(&form),
        error: error.as_deref(),
        memo: Some(&content),
    };
    product_page(&ctx, state, &view, None, status).await
}

/// The product page with its reviews section: `typed` is a refused review, shown again in
/// its form with the errors.
async fn product_page(
    ctx: &Ctx,
    state: &AppState,
    view: &ProductView<'_>,
    typed: Option<(&ReviewForm, &FieldErrors)>,
    status: StatusCode,
) -> AppResult<Response> {
    let reviews = reviews::product_section(state, ctx, view.product, typed).await?;
    Ok(with_status(
        views::product_page(ctx, state, view, reviews),
        status,
    ))
}

/// `GET /products/{slug}/price?options=…&quantity=…`: the price block for a choice (htmx).
/// A value the product does not offer is 422 with the message in the block.
#[handler]
pub async fn live_price(
    Data(state): Data<&AppState>,
    Path(slug): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let (product, offered) = product_with_options(state, &slug).await?;
    let groups = pricing::groups(&offered);
    let chosen = form.all("options");
    match pricing::select(&offered, &chosen, true) {
        Ok(selection) => {
            let view = ProductView {
                product: &product,
                groups: &groups,
                selection: &selection,
                quantity: quantity_of(&form),
                error: None,
                memo: None,
            };
            Ok(views::price_block(state.settings.currency, &view).into_response())
        }
        Err(e) => Ok(with_status(
            maud::html! { div #price-block .price-block { p.alert.alert-error role="alert" { (e.to_string()) } } },
            poem::http::StatusCode::UNPROCESSABLE_ENTITY,
        )),
    }
}

/// `GET /products/{slug}/quick-view`: the quick view (htmx); a plain visit goes to the page.
#[handler]
pub async fn quick_view(
    req: &Request,
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path(slug): Path<String>,
) -> AppResult<Response> {
    let content = state.content.get::<Shelf>(&state.db).await?;
    let product = content.product(&slug).ok_or(AppError::NotFound)?;
    if req.header("hx-request") != Some("true") {
        return Ok(redirect(&format!("/products/{}", product.slug)));
    }
    let (groups, selection) = content.options_for(&product.id).ok_or(AppError::NotFound)?;
    let view = ProductView {
        product,
        groups,
        selection,
        quantity: 1,
        error: None,
        memo: Some(&content),
    };
    Ok(views::quick_view(&ctx, state, &view).into_response())
}

/// `POST /cart/add`: `product` (id), `options` (value ids, one per group), `quantity`.
/// The price is never read from the form; a value the product does not offer is refused.
#[handler]
pub async fn add_to_cart(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let product_id = form
        .get("product")
        .and_then(parse_id)
        .ok_or(AppError::NotFound)?;
    let product = store::find_by_id(state.db.pool(), &product_id)
        .await?
        .filter(|p| p.active)
        .ok_or(AppError::NotFound)?;
    let offered = store::offered_for(state.db.pool(), &product.id).await?;
    let owner = Owner::of(&ctx);
    let result = match cart::parse_quantity(form.get("quantity")) {
        Ok(quantity) => {
            cart::add(
                state,
                &owner,
                &product,
                &offered,
                &form.all("options"),
                quantity,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(added) => {
            let message = format!("Added “{}” to your cart.", product.title);
            let mut resp = if ctx.is_htmx {
                let units = cart::units(state, &owner).await?;
                views::added(&message, added.limited.as_deref(), units).into_response()
            } else {
                let flash = match added.limited {
                    Some(n) => Flash::info(format!("{message} {n}")),
                    None => Flash::success(message),
                };
                redirect_with_flash(state, "/cart", flash)
            };
            cart::handlers::set_cart_hint(state, &mut resp);
            Ok(resp)
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            let message = cart::handlers::message_of(&e);
            if ctx.is_htmx {
                return Ok(with_status(views::add_error(&message), status));
            }
            // Re-render the product page with the message, keeping a valid choice.
            let groups = pricing::groups(&offered);
            let chosen = form.all("options");
            let selection = pricing::select(&offered, &chosen, true)
                .or_else(|_| pricing::select(&offered, &[], true))
                .map_err(|_| AppError::NotFound)?;
            let view = views::ProductView {
                product: &product,
                groups: &groups,
                selection: &selection,
                quantity: 1,
                error: Some(&message),
                memo: None,
            };
            product_page(&ctx, state, &view, None, status).await
        }
        Err(e) => Err(e),
    }
}

fn review_form(form: &FormPairs) -> ReviewForm {
    let text = |name: &str| form.get(name).unwrap_or("").to_owned();
    ReviewForm {
        rating: text("rating"),
        title: text("title"),
        body: text("body"),
    }
}

/// `POST /products/{slug}/reviews`: writes the reader's review, or rewrites their earlier
/// one. Errors re-render the product page with the form (422); success goes back to the
/// reviews with a message saying whether it is published or waiting for moderation.
#[handler]
pub async fn submit_review(
    ctx: Ctx,
    CurrentUser(user): CurrentUser,
    Data(state): Data<&AppState>,
    Path(slug): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let content = state
        .content
        .get::<crate::catalog::shelf::Shelf>(&state.db)
        .await?;
    let product = content.product(&slug).ok_or(AppError::NotFound)?;
    let typed = review_form(&form);
    let review = match typed.parse() {
        Ok(review) => review,
        Err(errors) => {
            let (groups, selection) = content.options_for(&product.id).ok_or(AppError::NotFound)?;
            let view = ProductView {
                product,
                groups,
                selection,
                quantity: 1,
                error: None,
                memo: Some(&content),
            };
            let typed = Some((&typed, &errors));
            return product_page(&ctx, state, &view, typed, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    rate_limit::hit(&state.db, reviews::REVIEWS_PER_USER, &user.id).await?;
    let status = reviews::submit(state, &user, &product.id, &review).await?;
    let message = match status {
        Status::Approved => "Thank you! Your review is published.",
        Status::Pending | Status::Hidden => {
            "Thank you! Your review will appear once the studio has checked it."
        }
    };
    Ok(redirect_with_flash(
        state,
        &format!("/products/{}#{}", product.slug, reviews::views::SECTION_ID),
        Flash::success(message),
    ))
}
