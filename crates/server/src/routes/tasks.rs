//! The inbox and task actions.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::views;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use naxian_model::TaskStatus;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(inbox))
        .route("/tasks/{id}/actions", post(act))
        .route("/tasks/{id}/urge", post(urge))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InboxQuery {
    status: Option<String>,
}

async fn inbox(
    State(s): State<AppState>,
    Auth(actor): Auth,
    q: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = q.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let status = match q.status.as_deref() {
        None | Some("open") => TaskStatus::Open,
        Some("done") => TaskStatus::Done,
        Some(_) => return Err(ApiError::invalid("status", "must be open or done")),
    };
    let rows = s.engine.inbox(&actor, status).await?;
    Ok(Json(
        rows.iter()
            .map(|item| views::inbox_row(&item.row, &item.actions, &item.title))
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActBody {
    action: String,
    comment: Option<String>,
    data: Option<Value>,
}

/// The answer to a task action or a withdrawal.
pub fn action_response(view: &naxian_engine::InstanceView) -> Value {
    json!({"instance": views::instance(view)})
}

/// Runs an engine call that moves an instance; under an Idempotency-Key its
/// answer is written in the same transaction (`naxian_engine::keyed`).
pub(crate) async fn keyed<F>(headers: &HeaderMap, login: &str, call: F) -> F::Output
where
    F: std::future::Future,
{
    match crate::idempotency::key_of(headers) {
        None => call.await,
        Some(key) => {
            let keyed = naxian_engine::keyed::KeyedResponse {
                login: login.to_string(),
                key,
                render: Box::new(|view| (200, action_response(view).to_string())),
            };
            naxian_engine::keyed::with_response(keyed, call).await
        }
    }
}

async fn act(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ActBody>,
) -> ApiResult<Json<Value>> {
    let view = keyed(
        &headers,
        &actor.login,
        s.engine.act(&actor, &id, &b.action, b.comment, b.data),
    )
    .await?;
    Ok(Json(action_response(&view)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct UrgeBody {
    comment: Option<String>,
}

async fn urge(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UrgeBody>,
) -> ApiResult<Json<Value>> {
    let notified = s.engine.urge(&actor, &id, b.comment).await?;
    Ok(Json(json!({"task_id": id, "notified": notified})))
}
