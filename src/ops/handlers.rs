//! Probes and metrics for operators: `/health`, `/ready`, `/metrics`.

use std::time::Duration;

use poem::http::{StatusCode, header};
use poem::web::{Data, Json};
use poem::{IntoResponse, Request, Response, handler};

use crate::app::AppState;
use crate::crypto::constant_time_eq;
use crate::jobs::store as job_store;

/// `GET /health`: the process is alive (no dependencies checked).
#[handler]
pub fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /ready`: the database answers and every migration is applied. 503 otherwise, so the
/// load balancer stops sending traffic here.
#[handler]
pub async fn ready(Data(state): Data<&AppState>) -> Response {
    let check = tokio::time::timeout(Duration::from_secs(2), state.db.is_migrated()).await;
    let (status, database) = match check {
        Ok(Ok(true)) => (StatusCode::OK, "ok"),
        Ok(Ok(false)) => (StatusCode::SERVICE_UNAVAILABLE, "not migrated"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "unreachable")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
    };
    let body = serde_json::json!({
        "status": if status == StatusCode::OK { "ready" } else { "unavailable" },
        "checks": { "database": database },
    });
    let mut resp = Json(body).into_response();
    resp.set_status(status);
    resp
}

/// `GET /metrics`: Prometheus text format; wants `Authorization: Bearer METRICS_TOKEN` when
/// that setting is present.
#[handler]
pub async fn metrics(req: &Request, Data(state): Data<&AppState>) -> Response {
    if let Some(token) = &state.settings.metrics_token {
        let given = req
            .header(header::AUTHORIZATION)
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !constant_time_eq(given, token.expose()) {
            return Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .header(header::WWW_AUTHENTICATE, "Bearer")
                .body("metrics need a bearer token\n");
        }
    }
    match job_store::count_by_status(state.db.pool()).await {
        Ok(counts) => state.metrics.set_job_queue(&counts),
        Err(e) => tracing::warn!(error = %e, "metrics: could not read the job queue"),
    }
    Response::builder()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.encode())
}
