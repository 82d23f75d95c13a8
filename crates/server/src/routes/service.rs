//! Service routes: liveness, readiness, metrics and the OpenAPI document.

use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use naxian_engine::EngineError;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(openapi))
}

#[derive(Serialize, ToSchema)]
struct Health {
    /// `ok`
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", responses((status = 200, description = "Up", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
struct Readiness {
    /// `ready` or `unavailable`
    status: &'static str,
    /// `sqlite` or `postgres`
    database: &'static str,
    /// What an operator should see to (a holiday calendar running out).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    warnings: Option<Vec<String>>,
}

/// `/readyz` answers within this, whatever the database does: a load
/// balancer asks often and must not pile up waiting requests.
const READY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

/// The database answers.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", responses(
    (status = 200, description = "Ready", body = Readiness),
    (status = 503, description = "Database unavailable", body = Readiness),
))]
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
            let ready = Readiness {
                status: "ready",
                database: s.engine.backend(),
                warnings: Some(warnings),
            };
            (StatusCode::OK, Json(ready)).into_response()
        }
        Err(e) => {
            let unavailable = Readiness {
                status: "unavailable",
                database: s.engine.backend(),
                warnings: None,
            };
            crate::request_log::with_detail(
                (StatusCode::SERVICE_UNAVAILABLE, Json(unavailable)).into_response(),
                format!("readiness check failed: {}", e.detail()),
            )
        }
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", responses(
    (status = 200, description = "OpenMetrics text", body = String, content_type = "application/openmetrics-text"),
))]
async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.render(),
    )
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", operation_id = "openapi", responses(
    (status = 200, description = "OpenAPI 3.1", body = Object),
))]
async fn openapi(State(s): State<AppState>) -> impl IntoResponse {
    let doc = s.openapi.get().cloned().unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], doc)
}
