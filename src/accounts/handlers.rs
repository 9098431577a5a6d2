//! Account handlers: register, log in and out, reset a password, edit the profile.

use std::time::Duration;

use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse as _, Request, Response, handler};
use serde::Deserialize;

use super::service::{self, ClientInfo, RegisterError};
use super::views::{self, ProfileForms, Sticky};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::context::Flash;
use crate::http::cookies::{CookieName, CookiePolicy};
use crate::http::extract::{Ctx, CurrentUser};
use crate::http::{redirect, redirect_with_flash, with_status};
use crate::identity::model::{Email, NewPassword, parse_display_name, safe_next};
use crate::rate_limit::{self, Limit};
use crate::state::AppState;

const REGISTER_PER_IP: Limit = Limit {
    name: "register-ip",
    max: 10,
    window: Duration::from_secs(60 * 60),
};
/// Failed logins per account from one client: the real brake on guessing.
const FAILED_LOGINS_PER_EMAIL_AND_CLIENT: Limit = Limit {
    name: "login-failed-email-client",
    max: 10,
    window: Duration::from_secs(15 * 60),
};
/// Failed logins per account from anywhere: only a distributed guesser reaches this, and the
/// owner, on another address, is not blocked by the per-client limit above.
const FAILED_LOGINS_PER_EMAIL: Limit = Limit {
    name: "login-failed-email",
    max: 100,
    window: Duration::from_secs(15 * 60),
};
/// Email and password changes from one address.
const ACCOUNT_CHANGES_PER_IP: Limit = Limit {
    name: "account-change-ip",
    max: 10,
    window: Duration::from_secs(60),
};
const RESET_PER_IP: Limit = Limit {
    name: "reset-ip",
    max: 10,
    window: Duration::from_secs(60 * 15),
};
const RESET_PER_EMAIL_AND_CLIENT: Limit = Limit {
    name: "reset-email-client",
    max: 3,
    window: Duration::from_secs(60 * 60),
};
const RESET_PER_EMAIL: Limit = Limit {
    name: "reset-email",
    max: 10,
    window: Duration::from_secs(60 * 60),
};

fn login_per_ip(state: &AppState) -> Limit {
    Limit {
        name: "login-ip",
        max: state.settings.login_rate_limit_per_minute,
        window: Duration::from_secs(60),
    }
}

fn client_info(ctx: &Ctx, req: &Request) -> ClientInfo {
    ClientInfo {
        user_agent: req.header(header::USER_AGENT).map(str::to_owned),
        ip: Some(ctx.client_ip.clone()),
    }
}

fn unprocessable(markup: maud::Markup) -> Response {
    with_status(markup, StatusCode::UNPROCESSABLE_ENTITY)
}

/// Query of `GET /login`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /login`.
#[handler]
pub fn show_login(ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    if ctx.user().is_some() {
        return redirect("/account");
    }
    let sticky = Sticky {
        next: safe_next(q.next.as_deref()),
        ..Sticky::default()
    };
    views::login_page(&ctx, &sticky, &FieldErrors::new()).into_response()
}

/// Body of `POST /login`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// `POST /login`.
#[handler]
pub async fn login(
    ctx: Ctx,
    req: &Request,
    Data(state): Data<&AppState>,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    rate_limit::hit(&state.db, login_per_ip(state), &ctx.rate_key()).await?;
    let sticky = Sticky {
        email: Some(form.email.clone()),
        next: safe_next(form.next.as_deref()),
        ..Sticky::default()
    };
    let mut errors = FieldErrors::new();
    let email = Email::parse(&form.email)
        .map_err(|m| errors.add("email", m))
        .ok();
    if form.password.is_empty() {
        errors.add("password", "Enter your password.");
    }
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return Ok(unprocessable(views::login_page(&ctx, &sticky, &errors)));
    };
    let email_client = format!("{email}|{}", ctx.rate_key());
    rate_limit::peek(&state.db, FAILED_LOGINS_PER_EMAIL_AND_CLIENT, &email_client).await?;
    rate_limit::peek(&state.db, FAILED_LOGINS_PER_EMAIL, email.as_str()).await?;

    let Some(auth) = service::authenticate(state, email.as_str(), &form.password).await? else {
        for (limit, key) in [
            (FAILED_LOGINS_PER_EMAIL_AND_CLIENT, email_client.as_str()),
            (FAILED_LOGINS_PER_EMAIL, email.as_str()),
        ] {
            // Counting this failure may cross a limit; that is for the next attempt to meet.
            if let Err(e @ AppError::Internal(_)) = rate_limit::hit(&state.db, limit, key).await {
                return Err(e);
            }
        }
        errors.add("form", "That email and password do not match an account.");
        return Ok(unprocessable(views::login_page(&ctx, &sticky, &errors)));
    };
    let user = auth.user;
    let client = client_info(&ctx, req);
    let previous = ctx.session_id_hash();
    let Some(session) =
        service::start_session(state, &user, Some(&auth.verified_hash), previous, &client).await?
    else {
        // The password changed between the check and now: the old one no longer opens doors.
        errors.add("form", "That email and password do not match an account.");
        return Ok(unprocessable(views::login_page(&ctx, &sticky, &errors)));
    };
    tracing::info!(user.id = %user.id, "logged in");
    crate::orders::follow_cart_at_login(state, &ctx.visitor_id, &user.id).await?;
    let default = if user.is_admin() {
        "/admin"
    } else {
        "/account"
    };
    let target = sticky.next.as_deref().unwrap_or(default);
    let mut resp = redirect_with_flash(state, target, Flash::success("Welcome back."));
    resp.headers_mut().append(
        header::SET_COOKIE,
        CookiePolicy::of(state).set(CookieName::Session, &session.token, Some(session.max_age)),
    );
    Ok(resp)
}

/// `POST /logout`.
#[handler]
pub async fn logout(ctx: Ctx, Data(state): Data<&AppState>) -> AppResult<Response> {
    if let Some(id_hash) = ctx.session_id_hash() {
        service::end_session(state, id_hash).await?;
    }
    let mut resp = redirect_with_flash(state, "/", Flash::info("You have logged out."));
    resp.headers_mut().append(
        header::SET_COOKIE,
        CookiePolicy::of(state).remove(CookieName::Session),
    );
    Ok(resp)
}

/// `GET /register`.
#[handler]
pub fn show_register(ctx: Ctx) -> Response {
    if ctx.user().is_some() {
        return redirect("/account");
    }
    views::register_page(&ctx, &Sticky::default(), &FieldErrors::new()).into_response()
}

/// Body of `POST /register`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct RegisterForm {
    display_name: Option<String>,
    email: String,
    password: String,
    password_confirm: String,
}

/// `POST /register`.
#[handler]
pub async fn register(
    ctx: Ctx,
    req: &Request,
    Data(state): Data<&AppState>,
    Form(form): Form<RegisterForm>,
) -> AppResult<Response> {
    rate_limit::hit(&state.db, REGISTER_PER_IP, &ctx.rate_key()).await?;
    let sticky = Sticky {
        email: Some(form.email.clone()),
        display_name: form.display_name.clone(),
        next: None,
    };
    let mut errors = FieldErrors::new();
    let name = parse_display_name(form.display_name.as_deref())
        .map_err(|m| errors.add("display_name", m))
        .ok()
        .flatten();
    let email = Email::parse(&form.email)
        .map_err(|m| errors.add("email", m))
        .ok();
    let password = NewPassword::parse(&form.password, email.as_ref().map(Email::as_str))
        .map_err(|m| errors.add("password", m))
        .ok();
    if form.password != form.password_confirm {
        errors.add("password_confirm", "The two passwords are different.");
    }
    let (Some(email), Some(password)) = (email, password) else {
        return Ok(unprocessable(views::register_page(&ctx, &sticky, &errors)));
    };
    if !errors.is_empty() {
        return Ok(unprocessable(views::register_page(&ctx, &sticky, &errors)));
    }
    let user = match service::register(state, &email, &password, name.as_deref()).await {
        Ok(user) => user,
        Err(RegisterError::EmailTaken) => {
            errors.add(
                "email",
                "An account with this email exists. Log in, or reset its password.",
            );
            return Ok(unprocessable(views::register_page(&ctx, &sticky, &errors)));
        }
        Err(RegisterError::Other(e)) => return Err(e.into()),
    };
    let session = service::start_session(
        state,
        &user,
        None,
        ctx.session_id_hash(),
        &client_info(&ctx, req),
    )
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("new account has no session")))?;
    crate::orders::follow_cart_at_login(state, &ctx.visitor_id, &user.id).await?;
    let mut resp = redirect_with_flash(
        state,
        "/account",
        Flash::success("Your account is ready. We sent you a welcome email."),
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        CookiePolicy::of(state).set(CookieName::Session, &session.token, Some(session.max_age)),
    );
    Ok(resp)
}

/// `GET /password/forgot`.
#[handler]
pub fn show_forgot_password(ctx: Ctx) -> Response {
    views::forgot_page(&ctx, &Sticky::default(), &FieldErrors::new()).into_response()
}

/// Body of `POST /password/forgot`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

/// `POST /password/forgot`: always the same answer, so it cannot reveal who has an account.
#[handler]
pub async fn forgot_password(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Form(form): Form<ForgotForm>,
) -> AppResult<Response> {
    rate_limit::hit(&state.db, RESET_PER_IP, &ctx.rate_key()).await?;
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(m) => {
            let mut errors = FieldErrors::new();
            errors.add("email", m);
            let sticky = Sticky {
                email: Some(form.email),
                ..Sticky::default()
            };
            return Ok(unprocessable(views::forgot_page(&ctx, &sticky, &errors)));
        }
    };
    let email_client = format!("{email}|{}", ctx.rate_key());
    rate_limit::hit(&state.db, RESET_PER_EMAIL_AND_CLIENT, &email_client).await?;
    rate_limit::hit(&state.db, RESET_PER_EMAIL, email.as_str()).await?;
    service::request_password_reset(state, &email).await?;
    Ok(views::forgot_sent_page(&ctx, email.as_str()).into_response())
}

/// `GET /password/reset/:token`.
#[handler]
pub async fn show_reset_password(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path(token): Path<String>,
) -> AppResult<Response> {
    if service::reset_token_email(state, &token).await?.is_none() {
        return Ok(with_status(
            views::reset_invalid_page(&ctx),
            StatusCode::GONE,
        ));
    }
    Ok(views::reset_page(&ctx, &token, &FieldErrors::new()).into_response())
}

/// Body of `POST /password/reset/:token`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    password: String,
    password_confirm: String,
}

/// `POST /password/reset/:token`.
#[handler]
pub async fn reset_password(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> AppResult<Response> {
    rate_limit::hit(&state.db, RESET_PER_IP, &ctx.rate_key()).await?;
    let Some(email) = service::reset_token_email(state, &token).await? else {
        return Ok(with_status(
            views::reset_invalid_page(&ctx),
            StatusCode::GONE,
        ));
    };
    let mut errors = FieldErrors::new();
    let password = NewPassword::parse(&form.password, Some(&email))
        .map_err(|m| errors.add("password", m))
        .ok();
    if form.password != form.password_confirm {
        errors.add("password_confirm", "The two passwords are different.");
    }
    let Some(password) = password.filter(|_| errors.is_empty()) else {
        return Ok(unprocessable(views::reset_page(&ctx, &token, &errors)));
    };
    if !service::reset_password(state, &token, &password).await? {
        return Ok(with_status(
            views::reset_invalid_page(&ctx),
            StatusCode::GONE,
        ));
    }
    let mut resp = redirect_with_flash(
        state,
        "/login",
        Flash::success("Your password has changed. Log in with the new one."),
    );
    // Every session of the account was ended; this browser's too.
    resp.headers_mut().append(
        header::SET_COOKIE,
        CookiePolicy::of(state).remove(CookieName::Session),
    );
    Ok(resp)
}

/// `GET /account`.
#[handler]
pub async fn show_account(
    ctx: Ctx,
    CurrentUser(user): CurrentUser,
    Data(state): Data<&AppState>,
) -> AppResult<Response> {
    let forms = ProfileForms {
        unconfirmed: !crate::identity::store::email_verified(state.db.pool(), &user.id).await?,
        ..ProfileForms::default()
    };
    Ok(views::account_page(&ctx, &user, &forms).into_response())
}

/// `POST /account/confirm-email`: the confirmation link again.
#[handler]
pub async fn resend_confirmation(
    ctx: Ctx,
    CurrentUser(user): CurrentUser,
    Data(state): Data<&AppState>,
) -> AppResult<Response> {
    rate_limit::hit(&state.db, ACCOUNT_CHANGES_PER_IP, &ctx.rate_key()).await?;
    service::resend_confirmation(state, &user).await?;
    Ok(redirect_with_flash(
        state,
        "/account",
        Flash::info(format!("We sent the link again to {}.", user.email)),
    ))
}

/// `GET /confirm-email/{user}/{sig}`: the page with the confirming button.
#[handler]
pub async fn show_confirm_email(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((user_id, sig)): Path<(String, String)>,
) -> AppResult<Response> {
    let email = service::confirmable_email(state, &user_id, &sig)
        .await?
        .ok_or(AppError::Gone(CONFIRM_GONE))?;
    let action = format!("/confirm-email/{user_id}/{sig}");
    Ok(views::confirm_email_page(&ctx, &email, &action).into_response())
}

const CONFIRM_GONE: &str = "This confirmation link is not valid any more (the address changed since it was sent). Ask for a new one on your account page.";

/// `POST /confirm-email/{user}/{sig}`: confirms the address; the account gets the orders
/// placed as a guest with it.
#[handler]
pub async fn confirm_email(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((user_id, sig)): Path<(String, String)>,
) -> AppResult<Response> {
    let joined = service::confirm_email(state, &user_id, &sig)
        .await?
        .ok_or(AppError::Gone(CONFIRM_GONE))?;
    let said = match joined {
        0 => "Your email address is confirmed.".to_owned(),
        1 => "Your email address is confirmed, and an order you placed as a guest is now in your account.".to_owned(),
        n => format!("Your email address is confirmed, and {n} orders you placed as a guest are now in your account."),
    };
    let signed_in = ctx.user().is_some_and(|u| u.id == user_id);
    Ok(redirect_with_flash(
        state,
        if signed_in {
            "/account/orders"
        } else {
            "/login"
        },
        Flash::success(said),
    ))
}

/// Body of `POST /account/email`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct EmailForm {
    email: String,
    current_password: String,
}

/// `POST /account/email`: needs the current password.
#[handler]
pub async fn change_email(
    ctx: Ctx,
    CurrentUser(user): CurrentUser,
    Data(state): Data<&AppState>,
    Form(form): Form<EmailForm>,
) -> AppResult<Response> {
    rate_limit::hit(&state.db, ACCOUNT_CHANGES_PER_IP, &ctx.rate_key()).await?;
    let mut forms = ProfileForms {
        new_email: Some(form.email.clone()),
        ..ProfileForms::default()
    };
    let email = Email::parse(&form.email)
        .map_err(|m| forms.email_errors.add("email", m))
        .ok();
    if !service::current_password_matches(state, &user.id, &form.current_password).await? {
        forms
            .email_errors
            .add("current_password", "That is not your current password.");
    }
    let Some(email) = email.filter(|_| forms.email_errors.is_empty()) else {
        return Ok(unprocessable(views::account_page(&ctx, &user, &forms)));
    };
    if !service::change_email(state, &user, &email).await? {
        forms
            .email_errors
            .add("email", "Another account uses this email.");
        return Ok(unprocessable(views::account_page(&ctx, &user, &forms)));
    }
    Ok(redirect_with_flash(
        state,
        "/account",
        Flash::success("Your email has changed."),
    ))
}

/// Body of `POST /account/password`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    password: String,
    password_confirm: String,
}

/// `POST /account/password`: needs the current password; signs out other devices.
#[handler]
pub async fn change_password(
    ctx: Ctx,
    CurrentUser(user): CurrentUser,
    Data(state): Data<&AppState>,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    rate_limit::hit(&state.db, ACCOUNT_CHANGES_PER_IP, &ctx.rate_key()).await?;
    let mut forms = ProfileForms::default();
    let errors = &mut forms.password_errors;
    if !service::current_password_matches(state, &user.id, &form.current_password).await? {
        errors.add("current_password", "That is not your current password.");
    }
    let password = NewPassword::parse(&form.password, Some(&user.email))
        .map_err(|m| errors.add("password", m))
        .ok();
    if form.password != form.password_confirm {
        errors.add("password_confirm", "The two passwords are different.");
    }
    let Some(password) = password.filter(|_| forms.password_errors.is_empty()) else {
        return Ok(unprocessable(views::account_page(&ctx, &user, &forms)));
    };
    service::change_password(state, &user.id, &password, ctx.session_id_hash()).await?;
    Ok(redirect_with_flash(
        state,
        "/account",
        Flash::success("Your password has changed. Other devices have been signed out."),
    ))
}
