//! `GET /admin/customer/{id}` and what staff do to the account behind it.

use poem::web::{Data, Path};
use poem::{IntoResponse as _, Response, handler};

use super::store;
use super::timeline::{self, Whose};
use super::views::{self, Account};
use crate::accounts::staff;
use crate::db::parse_id;
use crate::error::{AppError, AppResult};
use crate::http::context::Flash;
use crate::http::extract::{AdminUser, Ctx};
use crate::http::redirect_with_flash;
use crate::state::AppState;

/// `GET /admin/customer/{id}`.
#[handler]
pub async fn show(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let pool = state.db.pool();
    let customer = store::find(pool, &id).await?.ok_or(AppError::NotFound)?;
    let account = match customer.user_id.as_deref() {
        Some(user_id) => crate::identity::store::find_user(pool, user_id)
            .await?
            .map(|(user, disabled_at)| Account { user, disabled_at }),
        None => None,
    };
    let spend = store::spend(pool, &customer.email).await?;
    let timeline = timeline::of(
        state,
        Whose {
            user_id: customer.user_id.as_deref(),
            email: &customer.email,
            account_created_at: account.as_ref().map(|a| a.user.created_at),
        },
    )
    .await?;
    let page = views::Page {
        customer: &customer,
        account: account.as_ref(),
        spend: &spend,
        timeline: &timeline,
        viewer: &admin,
    };
    Ok(views::page(&ctx, &page).into_response())
}

/// Back to the customer page of the account `user_id` (the customers list if it has none).
async fn back(state: &AppState, user_id: &str, flash: Flash) -> AppResult<Response> {
    let path = match store::id_of_account(state.db.pool(), user_id).await? {
        Some(id) => format!("/admin/customer/{id}"),
        None => "/admin/customers".to_owned(),
    };
    Ok(redirect_with_flash(state, &path, flash))
}

async fn set_disabled(
    state: &AppState,
    admin: &crate::identity::model::User,
    user_id: &str,
    disabled: bool,
) -> AppResult<Response> {
    let user_id = parse_id(user_id).ok_or(AppError::NotFound)?;
    let flash = match staff::set_disabled(state, admin, &user_id, disabled).await {
        Ok(true) if disabled => Flash::success("Account disabled; every session it had has ended."),
        Ok(true) => Flash::success("Account enabled; they can sign in again."),
        Ok(false) => Flash::info("Nothing changed: the account already was so."),
        Err(AppError::Conflict(why)) => Flash::error(why),
        Err(e) => return Err(e),
    };
    back(state, &user_id, flash).await
}

/// `POST /admin/customer-account/{user_id}/disable`.
#[handler]
pub async fn disable(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(user_id): Path<String>,
) -> AppResult<Response> {
    set_disabled(state, &admin, &user_id, true).await
}

/// `POST /admin/customer-account/{user_id}/enable`.
#[handler]
pub async fn enable(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(user_id): Path<String>,
) -> AppResult<Response> {
    set_disabled(state, &admin, &user_id, false).await
}

/// `POST /admin/customer-account/{user_id}/password-reset`.
#[handler]
pub async fn password_reset(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(user_id): Path<String>,
) -> AppResult<Response> {
    let user_id = parse_id(&user_id).ok_or(AppError::NotFound)?;
    let flash = match staff::send_password_reset(state, &admin, &user_id).await {
        Ok(()) => {
            Flash::success("A password-reset link is on its way to them (valid for an hour).")
        }
        Err(AppError::Conflict(why)) => Flash::error(why),
        Err(e) => return Err(e),
    };
    back(state, &user_id, flash).await
}
