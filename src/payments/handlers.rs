//! `POST /webhooks/stripe` and the dev gateway's checkout page.

use maud::html;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, IntoResponse as _, Request, Response, handler};
use serde_json::json;

use super::dev;
use super::store;
use super::webhook::{self, Receipt, WebhookError};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::http::deadlines::body_timeout;
use crate::http::extract::Ctx;
use crate::http::form::FormPairs;
use crate::http::redirect;
use crate::money::Money;
use crate::ports::payments::{CheckoutSummary, GatewayKind, PaymentPurpose};
use crate::state::AppState;
use crate::views::components::csrf_field;
use crate::views::layout::{PageMeta, page};

/// Stripe's events are small; anything larger is not one.
const MAX_EVENT_BYTES: usize = 256 * 1024;

fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .header("cache-control", "no-store")
        .body(body.to_string())
}

/// `POST /webhooks/stripe`: verified over the raw body, stored once, applied; fast.
#[handler]
pub async fn stripe_webhook(req: &Request, body: Body, Data(state): Data<&AppState>) -> Response {
    let Ok(bytes) = body.into_bytes_limit(MAX_EVENT_BYTES).await else {
        // Too slow for the webhook deadlines (`http::deadlines`): the gateway will retry.
        if body_timeout(req).is_some() {
            return json_response(
                StatusCode::REQUEST_TIMEOUT,
                json!({"error": "event body arrived too slowly"}),
            );
        }
        return json_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"error": "event body too large or unreadable"}),
        );
    };
    let signature = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    match webhook::receive(state, signature, &bytes, "stripe").await {
        Ok(Receipt::Duplicate) => {
            json_response(StatusCode::OK, json!({"received": true, "duplicate": true}))
        }
        Ok(Receipt::Processed(outcome)) => json_response(
            StatusCode::OK,
            json!({"received": true, "outcome": outcome.as_str()}),
        ),
        Err(e @ (WebhookError::Signature(_) | WebhookError::Malformed(_))) => {
            tracing::warn!(error = %e, "webhook refused");
            json_response(StatusCode::BAD_REQUEST, json!({"error": e.to_string()}))
        }
        Err(WebhookError::Internal(e)) => {
            tracing::error!(error = %e, "webhook failed; the gateway will retry");
            json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "temporary failure, retry later"}),
            )
        }
    }
}

async fn dev_payment(
    state: &AppState,
    session_id: &str,
) -> AppResult<(store::Payment, CheckoutSummary)> {
    if state.gateway.kind() != GatewayKind::Dev
        || !session_id.starts_with("cs_dev_")
        || session_id.len() > 64
    {
        return Err(AppError::NotFound);
    }
    let payment = store::find_by_session(state.db.pool(), session_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let summary = state
        .payment_effects
        .of(payment.purpose())
        .summary(state, &payment.order_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((payment, summary))
}

/// `GET /dev-gateway/{session}`: the dev gateway's "hosted checkout".
#[handler]
pub async fn dev_checkout(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path(session_id): Path<String>,
) -> AppResult<Response> {
    let (payment, summary) = dev_payment(state, &session_id).await?;
    let open = payment.status() == super::state::PaymentStatus::Unpaid
        && payment.session_expires_at.is_none_or(|e| e > now());
    let body = html! {
        section.section.section-tight {
            div.container.narrow {
                div.dev-gateway.panel {
                    p.eyebrow { "Dev gateway · test mode · no real money" }
                    h1 { "Pay " (Money::of_code(payment.amount_minor, &payment.currency)) }
                    p.muted { (payment.purpose().label()) " " (summary.reference) " for " (summary.email) }
                    ul.plain-list {
                        @for line in &summary.lines { li { (line) } }
                    }
                    @if open {
                        form.stack method="post" action={"/dev-gateway/" (session_id)} {
                            (csrf_field(&ctx))
                            button.button.button-primary.button-block type="submit" name="action" value="pay" { "Pay (test card succeeds)" }
                            button.button.button-secondary.button-block type="submit" name="action" value="decline" { "Decline (test card is refused)" }
                            button.button.button-ghost.button-block type="submit" name="action" value="cancel" { "Cancel and go back" }
                        }
                        p.muted.small { "In production this page is Stripe Checkout; here each button sends the same signed event Stripe would." }
                    } @else {
                        p.alert.alert-info { "This checkout is closed (" (payment.status().label().to_lowercase()) ")." }
                        a.button.button-secondary href=(summary.return_path) { "See the order" }
                    }
                }
            }
        }
    };
    Ok(page(&ctx, PageMeta::titled("Dev gateway checkout"), body).into_response())
}

/// `POST /dev-gateway/{session}`: `action` = pay | decline | cancel.
#[handler]
pub async fn dev_checkout_action(
    Data(state): Data<&AppState>,
    Path(session_id): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let (payment, summary) = dev_payment(state, &session_id).await?;
    let kind = match form.get("action") {
        Some("pay") => "checkout.session.completed",
        Some("decline") => "checkout.session.async_payment_failed",
        // Back where the customer came from: the cart, or the booking waiting for its deposit.
        Some("cancel") => {
            return Ok(redirect(&match payment.purpose() {
                PaymentPurpose::Order => "/cart?payment=cancelled".to_owned(),
                PaymentPurpose::Booking => format!("{}?payment=cancelled", summary.return_path),
                PaymentPurpose::Quote => summary.return_path.clone(),
            }));
        }
        _ => {
            return Err(AppError::BadRequest(
                "Choose pay, decline or cancel.".into(),
            ));
        }
    };
    let paid = kind == "checkout.session.completed";
    let event = dev_event(&payment, &summary, kind, paid);
    let body = event.to_string();
    let secret = state
        .gateway
        .webhook_secrets()
        .into_iter()
        .next()
        .unwrap_or_default();
    let header = webhook::sign(&secret, now(), body.as_bytes());
    webhook::receive(state, Some(&header), body.as_bytes(), "dev")
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("dev gateway event: {e}")))?;
    // Only a payment comes back as "paid" (the order page then waits for its confirmation);
    // a declined card comes back to the plain order page, as Stripe's cancel path does.
    Ok(redirect(&if paid {
        format!("{}?paid=1", summary.return_path)
    } else {
        summary.return_path
    }))
}

/// A Stripe-shaped checkout session event for a dev payment.
pub fn dev_event(
    payment: &store::Payment,
    summary: &CheckoutSummary,
    kind: &str,
    paid: bool,
) -> serde_json::Value {
    let session_id = payment.session_id.clone().unwrap_or_default();
    json!({
        "id": format!("evt_dev_{}", uuid::Uuid::now_v7().simple()),
        "object": "event",
        "type": kind,
        "created": now(),
        "livemode": false,
        "data": {"object": {
            "id": session_id,
            "object": "checkout.session",
            "client_reference_id": payment.order_id,
            "customer_email": summary.email,
            "metadata": {
                "order_id": payment.order_id,
                "order_number": summary.reference,
                "purpose": payment.purpose,
                "payment_id": payment.id,
                "attempt": payment.attempt.to_string(),
            },
            "mode": "payment",
            "status": if paid { "complete" } else { "open" },
            "payment_status": if paid { "paid" } else { "unpaid" },
            "payment_intent": dev::intent_for(&session_id),
            "amount_total": payment.amount_minor,
            "currency": payment.currency.to_lowercase(),
        }}
    })
}
