//! Workflow definitions: the list, and registering a new version (admin).

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use naxian_store::Registered;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new().route("/workflows", get(list).post(register))
}

async fn list(State(s): State<AppState>, Auth(_): Auth) -> ApiResult<Json<Value>> {
    let all = s.engine.workflows().await?;
    Ok(Json(
        all.iter()
            .map(|w| json!({"name": w.name, "version": w.version, "title": w.title}))
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterRequest {
    source: String,
}

async fn register(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(r): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if !actor.is_admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only a global administrator registers workflows",
        ));
    }
    let (def, outcome) = s.engine.register_workflow("request", &r.source).await?;
    let status = match outcome {
        Registered::Inserted => StatusCode::CREATED,
        Registered::Unchanged => StatusCode::OK,
    };
    Ok((
        status,
        Json(json!({"name": def.name.as_str(), "version": def.version, "title": def.title})),
    ))
}
