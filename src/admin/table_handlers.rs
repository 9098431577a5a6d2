//! Handlers of every inline-edit table (`/admin/{table}…`), resolved through
//! [`crate::admin::tables::spec`]: an unknown table or field is 404.

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, IntoResponse as _, Request, Response, handler};

use super::tables;
use crate::audit::AuditEntry;
use crate::db::parse_id;
use crate::error::{AppError, AppResult};
use crate::http::context::Flash;
use crate::http::extract::{AdminUser, Ctx};
use crate::http::form::{FormPairs, vary_on_htmx, wants_fragment};
use crate::http::{redirect, redirect_with_flash, with_status};
use crate::state::AppState;
use crate::tables::export::{CsvOptions, csv_response, csv_stream};
use crate::tables::views::{self, Refs};
use crate::tables::{self as table, ListQuery, Row, SaveError, TableSpec};

fn spec_of(name: &str) -> AppResult<&'static TableSpec> {
    tables::spec(name).ok_or(AppError::NotFound)
}

fn list_query(spec: &'static TableSpec, form: &FormPairs) -> ListQuery {
    let (sort, desc) = match form.get("sort") {
        Some(s) => {
            let (desc, key) = s.strip_prefix('-').map_or((false, s), |k| (true, k));
            (spec.column(key).filter(|c| c.sortable).map(|c| c.key), desc)
        }
        None => (None, false),
    };
    ListQuery {
        q: form.get("q").unwrap_or("").chars().take(100).collect(),
        filters: spec
            .filters
            .iter()
            .flat_map(|f| {
                let is_date = spec
                    .column(f.key)
                    .is_some_and(|c| matches!(c.kind, table::Kind::Timestamp));
                if is_date {
                    // A date range: `f.{key}.from` and `f.{key}.to`, days in UTC.
                    ["from", "to"]
                        .into_iter()
                        .filter_map(|end| {
                            form.get(&format!("f.{}.{end}", f.key))
                                .filter(|v| table::parse_day(v).is_some())
                                .map(|v| (f.key, format!("{end}:{v}")))
                        })
                        .collect::<Vec<_>>()
                } else {
                    form.get(&format!("f.{}", f.key))
                        .map(|v| (f.key, v.chars().take(100).collect()))
                        .into_iter()
                        .collect()
                }
            })
            .collect(),
        sort,
        desc,
        page: form
            .get("page")
            .and_then(|p| p.parse().ok())
            .filter(|p| (1..=100_000).contains(p))
            .unwrap_or(1),
        after: form.get("after").and_then(crate::db::parse_id),
        before: form.get("before").and_then(crate::db::parse_id),
    }
}

/// `GET /admin/{table}`: the table page, or just the table for htmx.
#[handler]
pub async fn list(
    req: &Request,
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(name): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let spec = spec_of(&name)?;
    let fragment = wants_fragment(req, &format!("table-{}", spec.name));
    let mut resp = render_listing(state, spec, &list_query(spec, &form), |listing| {
        if fragment {
            views::table(&ctx, listing)
        } else {
            views::page(&ctx, listing, &[])
        }
    })
    .await?
    .into_response();
    vary_on_htmx(&mut resp);
    Ok(resp)
}

/// `GET /admin/{table}/export`: every row the list's search, filters and sort select (not only
/// the page shown), as a CSV download streamed from the database; `bom=1` starts it with a
/// byte order mark for Excel. Audited: who took which rows. It takes a turn at a long read
/// (`Db::long_read`) for as long as it streams.
#[handler]
pub async fn export(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(name): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let spec = spec_of(&name)?;
    let q = list_query(spec, &form);
    let options = CsvOptions {
        bom: form.get("bom") == Some("1"),
    };
    let turn = state
        .db
        .long_read()
        .await
        .ok_or(AppError::Busy { retry_after: 5 })?;
    let action = format!("{}.export", spec.entity);
    let entry = AuditEntry {
        after: Some(serde_json::json!({
            "q": q.q,
            "filters": q.filters,
            "sort": q.sort,
            "desc": q.desc,
        })),
        ..AuditEntry::by(&admin, &action, spec.entity, "")
    };
    crate::audit::insert_audit(state.db.pool(), &entry, crate::db::now()).await?;
    let today = crate::analytics::period::today(&state.settings.time_zone);
    Ok(csv_response(
        &format!("{}-{today}.csv", spec.name),
        Body::from_bytes_stream(csv_stream(state, spec, q, options, turn)),
    ))
}

/// Lists a page of `spec` for `q` and renders it with `render`.
async fn render_listing(
    state: &AppState,
    spec: &'static TableSpec,
    q: &ListQuery,
    render: impl FnOnce(&views::Listing<'_>) -> maud::Markup,
) -> AppResult<maud::Markup> {
    let (rows, total) = table::list(state, spec, q).await?;
    let refs = table::ref_options(state, spec).await?;
    Ok(render(&views::Listing {
        spec,
        q,
        rows: &rows,
        total,
        currency: state.settings.currency,
        refs: &refs,
    }))
}

async fn row_and_column(
    state: &AppState,
    name: &str,
    id: &str,
    field: &str,
) -> AppResult<(&'static TableSpec, Row, &'static table::Column)> {
    let spec = spec_of(name)?;
    let col = spec.column(field).ok_or(AppError::NotFound)?;
    let id = parse_id(id).ok_or(AppError::NotFound)?;
    let row = table::find(state.db.pool(), spec, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((spec, row, col))
}

/// `GET /admin/{table}/{id}/{field}/edit`: the cell's editor (a small page without JS).
#[handler]
pub async fn edit(
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    Path((name, id, field)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let (spec, row, col) = row_and_column(state, &name, &id, &field).await?;
    if !col.editable {
        return Err(AppError::NotFound);
    }
    let refs = table::ref_options(state, spec).await?;
    let value = row.input_text(spec, col, state.settings.currency);
    Ok(if ctx.is_htmx {
        views::edit_cell(&ctx, spec, &row.id, row.version, col, &value, &refs, None).into_response()
    } else {
        views::edit_page(&ctx, spec, &row, col, &value, &refs, None).into_response()
    })
}

/// `GET /admin/{table}/{id}/{field}`: the display cell (cancel); plain visits go to the table.
#[handler]
pub async fn show(
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    Path((name, id, field)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let (spec, row, col) = row_and_column(state, &name, &id, &field).await?;
    if !ctx.is_htmx {
        return Ok(redirect(&format!("/admin/{}", spec.name)));
    }
    let refs = table::ref_options(state, spec).await?;
    Ok(views::display_cell(spec, &row, col, state.settings.currency, &refs, None).into_response())
}

/// `POST /admin/{table}/{id}/{field}`: `value` and the `version` the editor was opened at.
/// Invalid → the editor again with the error (422); stale → the current value and a notice
/// (409), nothing overwritten.
#[handler]
pub async fn save(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path((name, id, field)): Path<(String, String, String)>,
    form: FormPairs,
) -> AppResult<Response> {
    let (spec, row, col) = row_and_column(state, &name, &id, &field).await?;
    if !col.editable {
        return Err(AppError::NotFound);
    }
    let refs: Refs = table::ref_options(state, spec).await?;
    let currency = state.settings.currency;
    let raw = form
        .0
        .iter()
        .find(|(k, _)| k == "value")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let version: i64 = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::BadRequest("The form is missing the row version.".into()))?;
    let invalid = |message: &str| -> Response {
        let markup = if ctx.is_htmx {
            views::edit_cell(&ctx, spec, &row.id, version, col, raw, &refs, Some(message))
        } else {
            let mut at_version = row.clone();
            at_version.version = version;
            views::edit_page(&ctx, spec, &at_version, col, raw, &refs, Some(message))
        };
        with_status(markup, StatusCode::UNPROCESSABLE_ENTITY)
    };
    let value = match table::parse_value(currency, col, raw, &refs) {
        Ok(v) => v,
        Err(message) => return Ok(invalid(&message)),
    };
    let actor = AuditEntry::by(&admin, "", spec.entity, &row.id);
    let saved = table::save(state, spec, &actor, &row.id, col, value, version).await;
    if saved.is_ok() {
        state.content.invalidate();
    }
    match saved {
        Ok(saved) => Ok(if ctx.is_htmx {
            views::display_cell(spec, &saved, col, currency, &refs, None).into_response()
        } else {
            redirect_with_flash(
                state,
                &format!("/admin/{}", spec.name),
                Flash::success(format!("{} saved.", col.label)),
            )
        }),
        Err(SaveError::Invalid(message)) => Ok(invalid(&message)),
        Err(SaveError::Stale(current)) => {
            let now_text = views::display_text(col, current.get(spec, col.key), currency, &refs);
            let note = format!(
                "Not saved: someone changed this row after you opened it. It now reads “{}”. \
                 Edit again to replace it.",
                if now_text.is_empty() {
                    "—"
                } else {
                    &now_text
                }
            );
            let markup = if ctx.is_htmx {
                views::display_cell(spec, &current, col, currency, &refs, Some(&note))
            } else {
                let value = current.input_text(spec, col, currency);
                views::edit_page(&ctx, spec, &current, col, &value, &refs, Some(&note))
            };
            Ok(with_status(markup, StatusCode::CONFLICT))
        }
        Err(SaveError::App(e)) => Err(e),
    }
}

/// `POST /admin/{table}/bulk`: `action` and `ids`.
#[handler]
pub async fn bulk(
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(name): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let spec = spec_of(&name)?;
    let action = form
        .get("action")
        .and_then(|a| spec.bulk.iter().find(|b| b.name == a))
        .ok_or_else(|| AppError::BadRequest("Choose an action.".into()))?;
    let ids: Vec<String> = form.all("ids").into_iter().filter_map(parse_id).collect();
    let back = format!("/admin/{}", spec.name);
    if ids.is_empty() {
        return Ok(redirect_with_flash(
            state,
            &back,
            Flash::info("Select some rows first."),
        ));
    }
    let actor = AuditEntry::by(&admin, "", spec.entity, "");
    let changed = table::bulk(state, spec, &actor, action, &ids).await?;
    state.content.invalidate();
    Ok(redirect_with_flash(
        state,
        &back,
        Flash::success(format!(
            "{}: {changed} row{} changed.",
            action.label,
            if changed == 1 { "" } else { "s" }
        )),
    ))
}

/// `POST /admin/{table}/new`: the quick-create form.
#[handler]
pub async fn create(
    ctx: Ctx,
    AdminUser(admin): AdminUser,
    Data(state): Data<&AppState>,
    Path(name): Path<String>,
    form: FormPairs,
) -> AppResult<Response> {
    let spec = spec_of(&name)?;
    let actor = AuditEntry::by(&admin, "", spec.entity, "");
    let created = table::create(state, spec, &actor, &form).await?;
    state.content.invalidate();
    match created {
        Ok(_) => Ok(redirect_with_flash(
            state,
            &format!("/admin/{}", spec.name),
            Flash::success("Added. Click its values to fill in the rest."),
        )),
        Err(errors) => {
            let q = ListQuery {
                page: 1,
                ..ListQuery::default()
            };
            let page = render_listing(state, spec, &q, |listing| {
                views::page(&ctx, listing, &errors)
            })
            .await?;
            Ok(with_status(page, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}
