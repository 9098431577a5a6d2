//! Review handlers: the admin's delete (approving, hiding and replying are the admin table's;
//! a customer writes a review on the product page, `shop::handlers::submit_review`).

use poem::web::{Data, Path};
use poem::{IntoResponse as _, Response, handler};

use super::views;
use crate::db::parse_id;
use crate::error::{AppError, AppResult};
use crate::http::context::Flash;
use crate::http::extract::{AdminUser, Ctx};
use crate::http::redirect_with_flash;
use crate::state::AppState;

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
