//! Workflow definitions: the list, one definition as a client builds its
//! forms from it, and registering a new version (admin) as JSON or as YAML.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::openapi::{BodyRefusals, IdempotencyKey, Refusals, WriteRefusals};
use crate::workflow_view::{self, WorkflowDefinition};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use naxian_store::Registered;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, register))
        .routes(routes!(one))
}

#[derive(Serialize, ToSchema)]
struct Workflow {
    name: String,
    version: i64,
    title: String,
}

/// The newest version of each workflow.
#[utoipa::path(get, path = "/workflows", operation_id = "listWorkflows", security(("bearer" = [])), responses(
    (status = 200, description = "Workflows", body = Vec<Workflow>),
    Refusals,
))]
async fn list(State(s): State<AppState>, Auth(_): Auth) -> ApiResult<Json<Vec<Workflow>>> {
    let all = s.engine.workflows().await?;
    Ok(Json(
        all.into_iter()
            .map(|w| Workflow {
                name: w.name,
                version: w.version,
                title: w.title,
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct VersionQuery {
    /// A stored version; the newest by default.
    version: Option<i64>,
}

/// One workflow's definition: its fields, steps, actions and ends.
#[utoipa::path(get, path = "/workflows/{name}", operation_id = "getWorkflow", security(("bearer" = [])),
    params(("name" = String, Path), VersionQuery), responses(
    (status = 200, description = "The definition", body = WorkflowDefinition),
    Refusals,
))]
async fn one(
    State(s): State<AppState>,
    Auth(_): Auth,
    Path(name): Path<String>,
    q: Result<Query<VersionQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<WorkflowDefinition>> {
    let Query(q) = q.map_err(|e| ApiError::invalid("version", e.body_text()))?;
    let def = s.engine.find_definition(&name, q.version).await?;
    Ok(Json(workflow_view::definition(&def)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RegisterRequest {
    /// The YAML definition.
    source: String,
}

/// Register a workflow definition version (global administrator): the YAML
/// in `{"source": …}`, or sent as it is with `Content-Type: application/yaml`.
#[utoipa::path(post, path = "/workflows", operation_id = "registerWorkflow", security(("bearer" = [])),
    params(IdempotencyKey), request_body(content(
        (RegisterRequest = "application/json"),
        (String = "application/yaml"),
    )), responses(
    (status = 201, description = "Registered", body = Workflow),
    (status = 200, description = "Already registered with the same source", body = Workflow),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn register(
    State(s): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Workflow>)> {
    let source = if is_yaml(&headers) {
        let text =
            String::from_utf8(body.to_vec()).map_err(|_| ApiError::invalid("body", "must be UTF-8"))?;
        crate::input_guard::json(&serde_json::Value::String(text.clone()))
            .map_err(|_| ApiError::invalid("source", "must not contain control characters"))?;
        text
    } else {
        let ApiJson(r) = ApiJson::<RegisterRequest>::from_parts(&headers, &body)?;
        r.source
    };
    if !actor.is_admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only a global administrator registers workflows",
        ));
    }
    let (def, outcome) = s.engine.register_workflow("request", &source).await?;
    let status = match outcome {
        Registered::Inserted => StatusCode::CREATED,
        Registered::Unchanged => StatusCode::OK,
    };
    Ok((
        status,
        Json(Workflow {
            name: def.name.to_string(),
            version: def.version,
            title: def.title.clone(),
        }),
    ))
}

/// Whether the body is sent as YAML (`application/yaml`, or the older
/// `application/x-yaml` and `text/yaml`).
fn is_yaml(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|e| e.trim().to_ascii_lowercase())
        .is_some_and(|e| {
            matches!(
                e.as_str(),
                "application/yaml" | "application/x-yaml" | "text/yaml"
            )
        })
}
