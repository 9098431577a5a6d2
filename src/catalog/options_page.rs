//! `/admin/product-options/{id}`: which option values a product offers (checkboxes per group),
//! saved against the product's version like any inline edit, and audited.

use maud::{Markup, html};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{IntoResponse as _, Response, handler};
use serde_json::json;

use super::model::Product;
use super::pricing::{self, OfferedValue};
use super::store as catalog_store;
use crate::audit::{AuditEntry, insert_audit};
use crate::db::{now, parse_id};
use crate::error::{AppError, AppResult};
use crate::http::context::{Flash, RequestContext};
use crate::http::extract::{AdminUser, Ctx};
use crate::http::form::FormPairs;
use crate::http::{redirect_with_flash, with_status};
use crate::money::Money;
use crate::state::AppState;
use crate::views::admin::admin_page;
use crate::views::components::csrf_field;

fn page(
    ctx: &RequestContext,
    state: &AppState,
    product: &Product,
    all: &[OfferedValue],
    offered: &[String],
    error: Option<&str>,
) -> Markup {
    let currency = state.settings.currency;
    admin_page(
        ctx,
        "Product options",
        "/admin/products",
        html! {
            div.page-header {
                h1 { "Options of “" (product.title) "”" }
                p.lead { "Tick the values buyers may choose. A product offering any value of a group asks for one value of that group." }
                p { a href="/admin/products" { "← Products" } " · " a href="/admin/option-values" { "Edit option values" } }
            }
            @if let Some(e) = error { p.alert.alert-error role="alert" { (e) } }
            form.panel method="post" action=(format!("/admin/product-options/{}", product.id)) {
                (csrf_field(ctx))
                input type="hidden" name="version" value=(product.version);
                @for g in pricing::groups(all) {
                    fieldset.field {
                        legend { (g.name) }
                        @for v in &g.values {
                            label.checkbox {
                                input type="checkbox" name="values" value=(v.id) checked[offered.iter().any(|o| **o == *v.id)];
                                " " (v.label)
                                @if v.delta_minor != 0 { " (" (Money::new(v.delta_minor, currency).signed()) ")" }
                            }
                        }
                    }
                }
                button.button.button-primary type="submit" { "Save options" }
            }
        },
    )
}

async fn load(state: &AppState, id: &str) -> AppResult<(Product, Vec<OfferedValue>, Vec<String>)> {
    let id = parse_id(id).ok_or(AppError::NotFound)?;
    let product = catalog_store::find_by_id(state.db.pool(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let all = catalog_store::all_values(state.db.pool()).await?;
    let offered = catalog_store::offered_for(state.db.pool(), &product.id)
        .await?
        .into_iter()
        .map(|v| v.id.to_string())
        .collect();
    Ok((product, all, offered))
}

/// `GET /admin/product-options/{id}`.
#[handler]
pub async fn show(
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (product, all, offered) = load(state, &id).await?;
    Ok(page(&ctx, state, &product, &all, &offered, None).into_response())
}

/// `POST /admin/product-options/{id}`: `values` (ids) and `version`.
#[handler]
pub async fn save(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let (product, all, offered) = load(state, &id).await?;
    let version: i64 = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::BadRequest("The form is missing the row version.".into()))?;
    let mut chosen: Vec<String> = Vec::new();
    for v in form.all("values") {
        if !all.iter().any(|a| *a.id == *v) {
            let markup = page(
                &ctx,
                state,
                &product,
                &all,
                &offered,
                Some("One of those values no longer exists. Review and save again."),
            );
            return Ok(with_status(markup, StatusCode::UNPROCESSABLE_ENTITY));
        }
        if !chosen.iter().any(|c| c == v) {
            chosen.push(v.to_owned());
        }
    }
    let now = now();
    let mut tx = state.db.begin().await?;
    if !catalog_store::replace_product_options(&mut tx, &product.id, version, &chosen, now).await? {
        tx.rollback().await?;
        let (product, all, offered) = load(state, &id).await?;
        let markup = page(
            &ctx,
            state,
            &product,
            &all,
            &offered,
            Some(
                "Not saved: someone changed this product after you opened the page. These are its options now.",
            ),
        );
        return Ok(with_status(markup, StatusCode::CONFLICT));
    }
    let entry = AuditEntry::by(&admin, "product.options", "product", &product.id).change(
        json!({ "option_values": offered }),
        json!({ "option_values": chosen }),
    );
    insert_audit(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    state.content.invalidate();
    Ok(redirect_with_flash(
        state,
        "/admin/products",
        Flash::success(format!("Options of “{}” saved.", product.title)),
    ))
}
