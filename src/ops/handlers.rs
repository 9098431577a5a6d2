//! Probes and metrics for operators: `/health`, `/ready`, `/metrics`.

use std::time::Duration;

use poem::http::{StatusCode, header};
use poem::web::{Data, Json};
use poem::{IntoResponse, Request, Response, handler};

use crate::crypto::constant_time_eq;
use crate::jobs::store as job_store;
use crate::state::AppState;

/// `GET /health`: the process is alive (no dependencies checked).
#[handler]
pub fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /ready`: the database answers with every migration applied, the file store answers,
/// and a payment gateway is configured. 503 otherwise (the body says which check failed), so
/// the load balancer stops sending traffic here; 503 `draining` from SIGTERM on.
#[handler]
pub async fn ready(Data(state): Data<&AppState>) -> Response {
    const LIMIT: Duration = Duration::from_secs(2);
    if state.drain.is_draining() {
        // Stopping: out of rotation at once, whatever the dependencies say.
        let mut resp = Json(serde_json::json!({ "status": "draining" })).into_response();
        resp.set_status(StatusCode::SERVICE_UNAVAILABLE);
        return resp;
    }
    let database = async {
        match tokio::time::timeout(LIMIT, state.db.is_migrated()).await {
            Ok(Ok(true)) => Ok("ok"),
            Ok(Ok(false)) => Err("not migrated"),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "readiness: database unavailable");
                Err("unreachable")
            }
            Err(_) => Err("timeout"),
        }
    };
    let storage = async {
        match tokio::time::timeout(LIMIT, state.storage.check()).await {
            Ok(Ok(())) => Ok("ok"),
            Ok(Err(crate::storage::StorageError::NotFound)) => {
                tracing::warn!("readiness: the storage container or directory is missing");
                Err("missing")
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "readiness: storage unavailable");
                Err("unreachable")
            }
            Err(_) => Err("timeout"),
        }
    };
    let (database, storage) = tokio::join!(database, storage);
    // Settings are checked at start (production refuses the dev gateway and missing keys);
    // the probe reports which gateway this process took.
    let payments = state.gateway.name();
    let ready = database.is_ok() && storage.is_ok();
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "unavailable" },
        "checks": {
            "database": database.unwrap_or_else(|e| e),
            "storage": storage.unwrap_or_else(|e| e),
            "payments": payments,
        },
    });
    let mut resp = Json(body).into_response();
    if !ready {
        resp.set_status(StatusCode::SERVICE_UNAVAILABLE);
    }
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
