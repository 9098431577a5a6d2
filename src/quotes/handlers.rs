//! The customer's quote pages: the request form and a quote's own page (by its signed link),
//! with the answers to a proposal.

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{IntoResponse as _, Request, Response, handler};

use super::model::{self, Quote};
use super::service::{self, AcceptForm, NotAnswered, RequestForm};
use super::views;
use crate::bookings::deposits::DepositStart;
use crate::db::now;
use crate::error::{AppResult, FieldErrors};
use crate::http::context::{Flash, FlashKind};
use crate::http::extract::{Ctx, CurrentUser};
use crate::http::form::{FormPairs, vary_on_htmx, wants_fragment};
use crate::http::{redirect_with_flash, with_status};
use crate::site::content::SiteContent;
use crate::state::AppState;

/// The request form's hidden start time, signed: `{epoch}.{signature}`.
fn started_token(state: &AppState) -> String {
    let t = now();
    format!("{t}.{}", state.keys.urls.sign(&format!("quote-form:{t}")))
}

/// Whether the form was filled by a person: its start time is ours and long enough ago.
fn filled_by_a_person(state: &AppState, token: Option<&str>) -> bool {
    let Some((t, sig)) = token.and_then(|t| t.split_once('.')) else {
        return false;
    };
    let Ok(started) = t.parse::<i64>() else {
        return false;
    };
    state
        .keys
        .urls
        .verify(&format!("quote-form:{started}"), sig)
        && now() - started >= service::MIN_FILL_SECS
        && now() - started < 24 * 3600
}

fn request_form(form: &FormPairs) -> RequestForm {
    let get = |k: &str| form.get(k).unwrap_or("").to_owned();
    RequestForm {
        name: get("name"),
        email: get("email"),
        phone: get("phone"),
        company: get("company"),
        service: get("service"),
        date_from: get("date_from"),
        date_to: get("date_to"),
        location: get("location"),
        budget: get("budget"),
        description: get("description"),
    }
}

/// `GET /quote?package=slug&service=…`: the request form, prefilled from the link.
#[handler]
pub async fn show_request(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let content = state.content.get::<SiteContent>(&state.db).await?;
    let mut prefill = request_form(&form);
    if let Some(p) = form.get("package").and_then(|slug| content.package(slug)) {
        prefill.service = p.name.clone();
    }
    prefill.service = prefill.service.chars().take(160).collect();
    if let Some(user) = ctx.user() {
        prefill.email = user.email.clone();
    }
    let form_page = views::request_page(
        &ctx,
        &content.packages,
        &prefill,
        &FieldErrors::new(),
        &started_token(state),
    );
    Ok(form_page.into_response())
}

/// `POST /quote`: stored, acknowledged, staff told; then the customer's quote page. Errors
/// re-render the form with what was typed.
#[handler]
pub async fn send_request(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let typed = request_form(&form);
    // A field people never see (hidden by the style sheet and from assistive technology):
    // only a robot fills it in. It is thanked and nothing is stored.
    if form.get("website").is_some_and(|v| !v.trim().is_empty()) {
        tracing::info!("quote request with the honeypot filled in, not stored");
        return Ok(views::request_thanks(&ctx).into_response());
    }
    let content = state.content.get::<SiteContent>(&state.db).await?;
    let again = |errors: &FieldErrors| {
        with_status(
            views::request_page(
                &ctx,
                &content.packages,
                &typed,
                errors,
                &started_token(state),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    if !filled_by_a_person(state, form.get("started")) {
        let mut errors = FieldErrors::new();
        errors.add(
            "form",
            "That was quicker than a person types. Check the form and send it again.",
        );
        return Ok(again(&errors));
    }
    match service::request(state, &typed, ctx.user(), &ctx.rate_key()).await? {
        Err(errors) => Ok(again(&errors)),
        Ok(quote) => Ok(thanked(state, &quote)),
    }
}

/// To a new request's page, with thanks.
fn thanked(state: &AppState, quote: &Quote) -> Response {
    let message = format!(
        "Thank you: your request {} is with a producer. We emailed you this page's link.",
        quote.reference
    );
    redirect_with_flash(
        state,
        &service::link_path(state, quote),
        Flash {
            kind: FlashKind::Success,
            message,
        },
    )
}

/// The extras chosen in `?extra=…` that are extras of the proposal (others are ignored on a
/// page view; accepting refuses them).
fn chosen_on_page(p: Option<&model::Proposal>, form: &FormPairs) -> Vec<i64> {
    let Some(p) = p else {
        return Vec::new();
    };
    form.all("extra")
        .into_iter()
        .filter_map(|raw| model::chosen_extras(&p.lines, &[raw]).ok())
        .flatten()
        .collect()
}

/// `GET /quotes/{id}/{sig}?extra=…`: the quote, its proposal with the chosen extras, and the
/// answers; an htmx request for `#quote-answer` gets the totals and the accept form only.
#[handler]
pub async fn page(
    req: &Request,
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
    form: FormPairs,
) -> AppResult<Response> {
    let q = service::by_link(state, &id, &sig).await?;
    let proposal = service::current_proposal(state, &q).await?;
    let mut chosen = chosen_on_page(proposal.as_ref(), &form);
    chosen.sort_unstable();
    chosen.dedup();
    let view = views::QuoteView {
        quote: &q,
        proposal: proposal.as_ref(),
        chosen: &chosen,
        path: &service::link_path(state, &q),
        messages: &service::messages(state, &q.id).await?,
        files: &super::files::of(state, &q.id).await?,
        today: &service::studio_today(state).to_string(),
    };
    let mut resp = if wants_fragment(req, "quote-answer") {
        views::answer_region(&ctx, &view, &FieldErrors::new()).into_response()
    } else {
        views::quote_page(&ctx, &view, &FieldErrors::new()).into_response()
    };
    vary_on_htmx(&mut resp);
    Ok(resp)
}

/// The quote page again with `errors` (422), or a conflict's sentence (409).
async fn page_with(
    ctx: &Ctx,
    state: &AppState,
    q: &Quote,
    chosen: &[i64],
    errors: &FieldErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let fresh = service::find(state, &q.id).await?;
    let proposal = service::current_proposal(state, &fresh).await?;
    let view = views::QuoteView {
        quote: &fresh,
        proposal: proposal.as_ref(),
        chosen,
        path: &service::link_path(state, &fresh),
        messages: &service::messages(state, &fresh.id).await?,
        files: &super::files::of(state, &fresh.id).await?,
        today: &service::studio_today(state).to_string(),
    };
    Ok(with_status(views::quote_page(ctx, &view, errors), status))
}

fn not_answered(why: &NotAnswered) -> (FieldErrors, StatusCode) {
    let mut errors = FieldErrors::new();
    match why {
        NotAnswered::Invalid(e) => return (e.clone(), StatusCode::UNPROCESSABLE_ENTITY),
        NotAnswered::Stale => errors.add(
            "form",
            "The proposal changed since you opened this page (a new revision, or an answer from another tab). Here it is as it stands now.",
        ),
        NotAnswered::Lapsed => errors.add(
            "form",
            "This proposal can no longer be accepted: its last day has passed. Ask us a question below for a new one.",
        ),
        NotAnswered::DateTaken => errors.add(
            "form",
            "The proposed date is no longer free, so nothing was accepted or held. We told the studio, who will propose another date.",
        ),
    }
    (errors, StatusCode::CONFLICT)
}

/// `POST /quotes/{id}/{sig}/accept`: revision, extras, typed signature and the terms box.
#[handler]
pub async fn accept(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
    form: FormPairs,
) -> AppResult<Response> {
    let q = service::by_link(state, &id, &sig).await?;
    let answer = AcceptForm {
        revision: form
            .get("revision")
            .and_then(|r| r.parse().ok())
            .unwrap_or(0),
        extras: form.all("extra"),
        signature: form.get("signature").unwrap_or(""),
        agreed: form.get("agree").is_some(),
    };
    match service::accept(state, &q, &answer, &ctx.client_ip).await? {
        Ok(accepted) if accepted.deposit_due.is_some() => to_checkout(state, &accepted.quote).await,
        Ok(accepted) => Ok(redirect_with_flash(
            state,
            &service::link_path(state, &accepted.quote),
            Flash {
                kind: FlashKind::Success,
                message: "Thank you: the proposal is accepted. We emailed you a copy.".into(),
            },
        )),
        Err(why) => {
            let chosen =
                chosen_on_page(service::current_proposal(state, &q).await?.as_ref(), &form);
            let (errors, status) = not_answered(&why);
            page_with(&ctx, state, &q, &chosen, &errors, status).await
        }
    }
}

/// To the checkout of the deposit `q` waits for, or back to its page with a sentence.
async fn to_checkout(state: &AppState, q: &Quote) -> AppResult<Response> {
    let started = service::pay_deposit(state, q).await?;
    Ok(checkout_or_back(state, q, started, "the deposit"))
}

/// To the gateway's checkout that was opened for `what` ("the deposit"), or back to the quote's
/// page with a sentence.
fn checkout_or_back(
    state: &AppState,
    q: &Quote,
    started: Option<DepositStart>,
    what: &str,
) -> Response {
    let flash = match started {
        Some(DepositStart::Redirect(url)) => return crate::http::redirect(&url),
        Some(DepositStart::GatewayFailed(e)) => {
            tracing::warn!(quote = %q.reference, error = %e, what, "checkout failed");
            Flash::error(format!(
                "The payment service did not answer. Try to pay {what} again in a moment."
            ))
        }
        Some(DepositStart::Closed) | None => Flash::info(format!(
            "There is nothing to pay for {what} on this quote now."
        )),
    };
    redirect_with_flash(state, &service::link_path(state, q), flash)
}

/// `POST /quotes/{id}/{sig}/pay`: to the checkout of the deposit an accepted quote waits for.
#[handler]
pub async fn pay(
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
) -> AppResult<Response> {
    let q = service::by_link(state, &id, &sig).await?;
    to_checkout(state, &q).await
}

/// `POST /quotes/{id}/{sig}/balance`: to the checkout of an accepted quote's balance.
#[handler]
pub async fn pay_balance(
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
) -> AppResult<Response> {
    let q = service::by_link(state, &id, &sig).await?;
    let started = super::balance::start_payment(state, &q.id).await?;
    Ok(checkout_or_back(state, &q, Some(started), "the balance"))
}

/// `POST /quotes/{id}/{sig}/decline`: the revision and an optional reason.
#[handler]
pub async fn decline(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
    form: FormPairs,
) -> AppResult<Response> {
    let q = service::by_link(state, &id, &sig).await?;
    let revision = form
        .get("revision")
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    match service::decline(state, &q, revision, form.get("reason").unwrap_or("")).await? {
        Ok(after) => Ok(redirect_with_flash(
            state,
            &service::link_path(state, &after),
            Flash {
                kind: FlashKind::Info,
                message: "You declined the proposal. Thank you for telling us.".into(),
            },
        )),
        Err(why) => {
            let (errors, status) = not_answered(&why);
            page_with(&ctx, state, &q, &[], &errors, status).await
        }
    }
}

/// `POST /quotes/{id}/{sig}/messages`: a question to the studio.
#[handler]
pub async fn ask(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
    form: FormPairs,
) -> AppResult<Response> {
    let q = service::by_link(state, &id, &sig).await?;
    match service::post_message(state, &q, None, form.get("body").unwrap_or("")).await? {
        Ok(()) => Ok(redirect_with_flash(
            state,
            &format!("{}#thread", service::link_path(state, &q)),
            Flash {
                kind: FlashKind::Success,
                message:
                    "Your question is with the studio; the answer will appear here and by email."
                        .into(),
            },
        )),
        Err(errors) => {
            page_with(
                &ctx,
                state,
                &q,
                &[],
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `GET /account/quotes`: the signed-in customer's quotes, newest first.
#[handler]
pub async fn account_quotes(
    ctx: Ctx,
    CurrentUser(user): CurrentUser,
    Data(state): Data<&AppState>,
) -> AppResult<Response> {
    let quotes = super::store::of_user(state.db.pool(), &user.id).await?;
    let rows: Vec<(Quote, String)> = quotes
        .into_iter()
        .map(|q| {
            let link = service::link_path(state, &q);
            (q, link)
        })
        .collect();
    Ok(views::account_quotes(&ctx, &rows).into_response())
}

/// `POST /contact`: a message about a quote becomes a quote request (the contact form's
/// subject is the package or service, its message the project); any other message goes to
/// the inbox as before. Errors re-render the contact form with what was typed.
#[handler]
pub async fn send_contact(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    if form.get("kind") != Some("quote") {
        return crate::site::handlers::contact_response(&ctx, state, &form).await;
    }
    let typed = crate::site::handlers::contact_form(&form);
    let request = RequestForm {
        name: typed.name.clone(),
        email: typed.email.clone(),
        phone: typed.phone.clone(),
        company: typed.company.clone(),
        service: typed.subject.clone(),
        description: typed.message.clone(),
        ..RequestForm::default()
    };
    match service::request(state, &request, ctx.user(), &ctx.rate_key()).await? {
        Ok(quote) => Ok(thanked(state, &quote)),
        Err(errors) => {
            let mut on_contact_form = FieldErrors::new();
            for (field, message) in errors.iter() {
                let field = match field {
                    "service" => "subject",
                    "description" => "message",
                    other => other,
                };
                on_contact_form.add(field, message);
            }
            crate::site::handlers::contact_again(&ctx, state, &typed, &on_contact_form).await
        }
    }
}

/// `POST /quotes/{id}/{sig}/files?csrf_token=…` (multipart, one `file`): attaches a reference
/// file to the quote; back to its page with a sentence either way.
#[handler]
pub async fn add_file(
    req: &Request,
    Data(state): Data<&AppState>,
    Path((id, sig)): Path<(String, String)>,
    multipart: poem::web::Multipart,
) -> AppResult<Response> {
    let q = service::by_link(state, &id, &sig).await?;
    let back = format!("{}#files", service::link_path(state, &q));
    let flash = match super::files::receive(state, req, &q, multipart).await? {
        Ok(file) => Flash::success(format!("{} is with the studio now.", file.file_name)),
        Err(crate::media::attachments::Refused(why)) => Flash::error(why),
    };
    Ok(redirect_with_flash(state, &back, flash))
}
