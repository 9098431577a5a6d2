//! `GET /admin/analytics`: the page, or only the report for htmx.

use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse as _, Request, Response, handler};

use super::period::{Period, today};
use super::views::{self, PeriodForm};
use crate::error::AppResult;
use crate::http::extract::{AdminUser, Ctx};
use crate::http::form::{FormPairs, vary_on_htmx, wants_fragment};
use crate::http::with_status;
use crate::state::AppState;
use crate::tables::export::csv_response;

/// The preset shown when none is chosen.
const DEFAULT_RANGE: &str = "30d";

/// The period the query asks for, and the form to show again: two dates make a custom
/// period, else a preset (`range`) does. Dates that do not make a period are refused with a
/// sentence, and the default period is shown meanwhile.
fn chosen(form: &FormPairs, today: jiff::civil::Date) -> (Period, PeriodForm) {
    let fallback = Period::preset(DEFAULT_RANGE, today).unwrap_or(Period {
        from: today,
        to: today,
    });
    let from = form.get("from").unwrap_or("").trim();
    let to = form.get("to").unwrap_or("").trim();
    if !from.is_empty() || !to.is_empty() {
        let (period, error) = match Period::custom(from, to) {
            Ok(period) => (period, None),
            Err(error) => (fallback, Some(error)),
        };
        let form = PeriodForm {
            range: "custom".to_owned(),
            from: from.chars().take(20).collect(),
            to: to.chars().take(20).collect(),
            error,
        };
        return (period, form);
    }
    let range = form
        .get("range")
        .filter(|r| Period::preset(r, today).is_some())
        .unwrap_or(DEFAULT_RANGE);
    let period = Period::preset(range, today).unwrap_or(fallback);
    (period, views::form_for(range, period))
}

/// `GET /admin/analytics`: the period form and the report; with htmx only the report.
#[handler]
pub async fn page(
    req: &Request,
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let (period, form) = chosen(&form, today(&state.settings.time_zone));
    let report = super::report::sales(state, period).await?;
    let services = super::services::report(state, period).await?;
    let status = if form.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    // htmx swaps only 2xx answers: a refused period's sentence comes in the fragment.
    let mut resp = if wants_fragment(req, "analytics-report") {
        views::report(&form, &report, &services).into_response()
    } else {
        with_status(views::page(&ctx, &form, &report, &services), status)
    };
    vary_on_htmx(&mut resp);
    Ok(resp)
}

/// `GET /admin/analytics/best-sellers`: the period's best sellers, as the section htmx puts
/// in the report once it is shown, or on a page of their own without JavaScript. Refused
/// dates show the default period's, as the report does.
#[handler]
pub async fn best_sellers(
    req: &Request,
    ctx: Ctx,
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let (period, form) = chosen(&form, today(&state.settings.time_zone));
    let best = super::report::best_sellers(state, period).await?;
    let shop = state.settings.currency;
    let mut resp = if req.header("hx-request") == Some("true") {
        views::best_sellers(&best, shop).into_response()
    } else {
        views::best_sellers_page(&ctx, &form, period, &best, shop).into_response()
    };
    vary_on_htmx(&mut resp);
    Ok(resp)
}

/// `GET /admin/analytics/export?table=figures|best-sellers|categories|bookings|quotes`: that table of the report, for the
/// period the page shows, as a CSV download (`bom=1` for Excel). An unknown table is 404.
#[handler]
pub async fn export(
    AdminUser(_admin): AdminUser,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let table = form
        .get("table")
        .and_then(super::export::Table::parse)
        .ok_or(crate::error::AppError::NotFound)?;
    let zone = &state.settings.time_zone;
    let (period, _) = chosen(&form, today(zone));
    let bom = form.get("bom") == Some("1");
    let bytes = match table {
        super::export::Table::Figures => {
            let report = super::report::sales(state, period).await?;
            super::export::figures_csv(&report, zone, bom)
        }
        super::export::Table::BestSellers => {
            let best = super::report::best_sellers(state, period).await?;
            super::export::sales_csv("Product", &best.product_rows(), bom)
        }
        super::export::Table::Categories => {
            let best = super::report::best_sellers(state, period).await?;
            super::export::sales_csv("Category", &best.category_rows(), bom)
        }
        super::export::Table::Bookings => {
            let services = super::services::report(state, period).await?;
            super::export::bookings_csv(&period.buckets(zone), &services, zone, bom)
        }
        super::export::Table::Quotes => {
            let services = super::services::report(state, period).await?;
            super::export::quotes_csv(&services, bom)
        }
    }
    .map_err(anyhow::Error::from)?;
    let name = format!("{}-{}-to-{}.csv", table.name(), period.from, period.to);
    Ok(csv_response(&name, bytes))
}
