//! Service routes: liveness, readiness, metrics and the OpenAPI document.

use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use naxian_engine::EngineError;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// `/readyz` answers within this, whatever the database does: a load
/// balancer asks often and must not pile up waiting requests.
const READY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

async fn readyz(State(s): State<AppState>) -> Response {
    let ping = tokio::time::timeout(READY_DEADLINE, s.engine.ping())
        .await
        .unwrap_or_else(|_| {
            Err(EngineError::Unavailable(naxian_store::StoreError::unavailable(
                "no answer within the deadline",
            )))
        });
    match ping {
        Ok(()) => {
            let warnings: Vec<String> = s.engine.calendar_warning().into_iter().collect();
            (
                StatusCode::OK,
                Json(json!({"status": "ready", "database": s.engine.backend(), "warnings": warnings})),
            )
                .into_response()
        }
        Err(e) => crate::request_log::with_detail(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": s.engine.backend()})),
            )
                .into_response(),
            format!("readiness check failed: {}", e.detail()),
        ),
    }
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.render(),
    )
}

/// The OpenAPI 3.1 document of the API, kept beside the code it describes.
pub const OPENAPI: &str = include_str!("../openapi.json");

pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
