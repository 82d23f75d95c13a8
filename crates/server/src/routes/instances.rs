//! Instances: start, read, list, withdraw, and their attachments.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::views;
use crate::AppState;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use naxian_engine::StartRequest;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/instances", post(start).get(list))
        .route("/instances/{id}", get(one))
        .route("/instances/{id}/withdraw", post(withdraw))
        .route(
            "/instances/{id}/attachments",
            get(attachments).post(attach).layer(DefaultBodyLimit::max(
                state.engine.settings().attachment_max_bytes + 64 * 1024,
            )),
        )
        .route("/attachments/{id}", get(download))
        .route("/instances/{id}/access-log", get(access_log))
}

async fn attach(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mp = mp.map_err(|_| ApiError::invalid("file", "must be sent as multipart/form-data"))?;
    let upload = crate::upload::read(mp, "file").await?;
    let Some((name, bytes)) = upload.file else {
        return Err(ApiError::invalid("file", "is required"));
    };
    let record = s.engine.attach(&actor, &id, &name, &bytes).await?;
    Ok((StatusCode::CREATED, Json(json!(record))))
}

async fn attachments(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.engine.attachments(&actor, &id).await?)))
}

async fn download(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (record, bytes) = s.engine.attachment(&actor, &id).await?;
    Ok(crate::web::file_download(
        &record.file_name,
        &record.content_type,
        bytes,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    workflow: String,
    data: Value,
}

async fn start(
    State(s): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    ApiJson(b): ApiJson<StartBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let req = StartRequest {
        workflow: b.workflow,
        data: b.data,
    };
    // The key reaches here only when the idempotency layer let the request run.
    let view = match crate::idempotency::key_of(&headers) {
        Some(key) => s.engine.start_once(&actor, req, &key).await?,
        None => s.engine.start(&actor, req).await?,
    };
    Ok((StatusCode::CREATED, Json(views::instance(&view))))
}

async fn one(State(s): State<AppState>, Auth(actor): Auth, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let view = s.engine.read_record(&actor, &id, "api").await?;
    Ok(Json(views::instance(&view)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    workflow: Option<String>,
    status: Option<String>,
    org_unit: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = q.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 200"));
    }
    let offset = q.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid("offset", "must not be negative"));
    }
    let items = s
        .engine
        .list_instances(&actor, q.workflow, q.status, q.org_unit, limit, offset)
        .await?;
    Ok(Json(json!({
        "items": items.iter().map(views::instance_summary).collect::<Vec<_>>(),
        "limit": limit,
        "offset": offset,
    })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WithdrawBody {
    comment: Option<String>,
}

async fn withdraw(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<WithdrawBody>,
) -> ApiResult<Json<Value>> {
    let view = super::tasks::keyed(&headers, &actor.login, s.engine.withdraw(&actor, &id, b.comment)).await?;
    Ok(Json(super::tasks::action_response(&view)))
}

async fn access_log(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let rows = s.engine.access_log(&actor, &id).await?;
    Ok(Json(json!(rows
        .iter()
        .map(|a| json!({"at": views::time(a.at), "login": a.login, "what": a.what}))
        .collect::<Vec<_>>())))
}
