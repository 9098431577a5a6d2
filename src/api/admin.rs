//! `/admin/api-tokens`: list, create (the secret shown once) and revoke API tokens.

use maud::{Markup, html};
use poem::web::{Data, Form, Path};
use poem::{IntoResponse as _, Response, handler};
use serde::Deserialize;

use super::tokens::{self, ApiToken};
use crate::audit::{AuditEntry, insert_audit};
use crate::db::{now, parse_id};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::context::{Flash, RequestContext};
use crate::http::extract::{AdminUser, Ctx};
use crate::http::{redirect_with_flash, with_status};
use crate::state::AppState;
use crate::views::admin::admin_page;
use crate::views::components::{Field, csrf_field, error_summary, timestamp};

/// `GET /admin/api-tokens`.
#[handler]
pub async fn list(
    ctx: Ctx,
    AdminUser(_a): AdminUser,
    Data(state): Data<&AppState>,
) -> AppResult<Response> {
    let tokens = tokens::list(state.db.pool()).await?;
    Ok(page(&ctx, &tokens, &FieldErrors::default(), None, None).into_response())
}

#[derive(Debug, Deserialize)]
pub struct NewTokenForm {
    name: String,
}

/// `POST /admin/api-tokens`.
#[handler]
pub async fn create(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Form(form): Form<NewTokenForm>,
) -> AppResult<Response> {
    let name = match tokens::validate_name(&form.name) {
        Ok(name) => name,
        Err(message) => {
            let mut errors = FieldErrors::default();
            errors.add("name", message);
            let all = tokens::list(state.db.pool()).await?;
            return Ok(with_status(
                page(&ctx, &all, &errors, Some(&form.name), None),
                poem::http::StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let mut tx = state.db.begin().await?;
    let (token, secret) = tokens::create(&mut *tx, &name, Some(&admin.id)).await?;
    insert_audit(
        &mut *tx,
        &AuditEntry {
            after: Some(serde_json::json!({ "name": token.name, "prefix": token.prefix })),
            ..AuditEntry::by(&admin, "api_token.create", "api_tokens", &token.id)
        },
        now(),
    )
    .await?;
    tx.commit().await?;
    let all = tokens::list(state.db.pool()).await?;
    Ok(page(&ctx, &all, &FieldErrors::default(), None, Some(&secret)).into_response())
}

/// `POST /admin/api-tokens/:id/revoke`.
#[handler]
pub async fn revoke(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let Some(token) = tokens::revoke(&mut tx, &id).await? else {
        return Err(AppError::NotFound);
    };
    insert_audit(
        &mut *tx,
        &AuditEntry::by(&admin, "api_token.revoke", "api_tokens", &token.id),
        now(),
    )
    .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        state,
        "/admin/api-tokens",
        Flash::success(format!("Revoked the token “{}”.", token.name)),
    ))
}

fn page(
    ctx: &RequestContext,
    tokens: &[ApiToken],
    errors: &FieldErrors,
    name: Option<&str>,
    secret: Option<&str>,
) -> Markup {
    admin_page(
        ctx,
        "API tokens",
        "/admin/api-tokens",
        html! {
            div.page-header {
                h1 { "API tokens" }
                p.lead {
                    "Tokens let scripts and other systems use the "
                    a href="/api/docs" { "JSON API" } ". Send one as "
                    code { "Authorization: Bearer fs_…" } "."
                }
            }
            @if let Some(secret) = secret {
                div.alert.flash-success role="status" {
                    p { strong { "Copy this token now: it will not be shown again." } }
                    div.link-row {
                        input #new-token type="text" readonly value=(secret) aria-label="New token";
                        button.button.button-small.js-only type="button" data-copy="#new-token" { "Copy" }
                    }
                }
            }
            section.panel {
                h2 { "New token" }
                (error_summary(errors))
                form method="post" action="/admin/api-tokens" {
                    (csrf_field(ctx))
                    (Field::new("name", "What will use it?", "text").value(name).hint("For example: editing suite sync").render(errors))
                    div.form-actions { button.button.button-primary type="submit" { "Create token" } }
                }
            }
            @if tokens.is_empty() {
                p.empty-state { "No tokens yet." }
            } @else {
                div.table-wrap role="region" aria-label="Tokens" tabindex="0" {
                    table.data-table {
                        thead { tr {
                            th { "Name" } th { "Token" } th { "Created" } th { "Last used" } th { "Status" }
                            th.actions { span.visually-hidden { "Actions" } }
                        } }
                        tbody {
                            @for t in tokens {
                                tr {
                                    td { (t.name) }
                                    td.mono { (t.prefix) "…" }
                                    td { (timestamp(t.created_at)) }
                                    td { @if let Some(at) = t.last_used_at { (timestamp(at)) } @else { span.muted { "never" } } }
                                    td {
                                        @if t.revoked_at.is_some() {
                                            span.status-badge.status-dead { "revoked" }
                                        } @else {
                                            span.status-badge.status-done { "active" }
                                        }
                                    }
                                    td.actions {
                                        @if t.revoked_at.is_none() {
                                            form.inline-form method="post" action=(format!("/admin/api-tokens/{}/revoke", t.id))
                                                hx-confirm=(format!("Revoke “{}”? Anything using it stops working.", t.name)) {
                                                (csrf_field(ctx))
                                                button.button.button-small.button-danger type="submit" { "Revoke" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            script src=(crate::http::assets::url("media.js")) defer {}
        },
    )
}
