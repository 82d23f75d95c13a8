//! Workflow definitions: the list, and registering a new version (admin).

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::openapi::{BodyRefusals, IdempotencyKey, Refusals, WriteRefusals};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use naxian_store::Registered;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, register))
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RegisterRequest {
    /// The YAML definition.
    source: String,
}

/// Register a workflow definition version (global administrator).
#[utoipa::path(post, path = "/workflows", operation_id = "registerWorkflow", security(("bearer" = [])),
    params(IdempotencyKey), request_body = RegisterRequest, responses(
    (status = 201, description = "Registered", body = Workflow),
    (status = 200, description = "Already registered with the same source", body = Workflow),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn register(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(r): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<Workflow>)> {
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
        Json(Workflow {
            name: def.name.to_string(),
            version: def.version,
            title: def.title.clone(),
        }),
    ))
}
