//! Review handlers: a customer's submission from the product page, and the admin's delete
//! (approving, hiding and replying are the admin table's).

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{IntoResponse as _, Response, handler};

use super::model::{ReviewForm, Status};
use super::views;
use crate::catalog::views::{self as catalog_views, ProductView};
use crate::db::parse_id;
use crate::error::{AppError, AppResult};
use crate::http::context::Flash;
use crate::http::extract::{AdminUser, Ctx, CurrentUser};
use crate::http::form::FormPairs;
use crate::http::{redirect_with_flash, with_status};
use crate::rate_limit;
use crate::state::AppState;

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
            let reviews =
                super::product_section(state, &ctx, product, Some((&typed, &errors))).await?;
            return Ok(with_status(
                catalog_views::product_page(&ctx, state, &view, reviews),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    rate_limit::hit(&state.db, super::REVIEWS_PER_USER, &user.id).await?;
    let status = super::submit(state, &user, &product.id, &review).await?;
    let message = match status {
        Status::Approved => "Thank you! Your review is published.",
        Status::Pending | Status::Hidden => {
            "Thank you! Your review will appear once the studio has checked it."
        }
    };
    Ok(redirect_with_flash(
        state,
        &format!("/products/{}#{}", product.slug, views::SECTION_ID),
        Flash::success(message),
    ))
}

async fn find(state: &AppState, id: &str) -> AppResult<super::store::AdminReview> {
    let id = parse_id(id).ok_or(AppError::NotFound)?;
    super::store::find_for_admin(state.db.pool(), &id)
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /admin/review-delete/{id}`: the review in full and a confirmation.
#[handler]
pub async fn confirm_delete(
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let review = find(state, &id).await?;
    Ok(views::confirm_delete(&ctx, &review).into_response())
}

/// `POST /admin/review-delete/{id}`: deletes it (audited) and returns to the reviews table.
#[handler]
pub async fn delete_review(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let row = super::delete(state, &admin, &id).await?;
    let what = if row.title.is_empty() {
        "the review".to_owned()
    } else {
        format!("the review “{}”", row.title)
    };
    Ok(redirect_with_flash(
        state,
        "/admin/reviews",
        Flash::success(format!("Deleted {what}.")),
    ))
}
