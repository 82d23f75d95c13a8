//! 代理: a user's delegation while away (the user themself or an administrator).

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::openapi::{BodyRefusals, Refusals, WriteRefusals};
use crate::views::time;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use naxian_engine::delegations::DelegationRequest;
use naxian_model::Delegation;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(set_delegation, delegation, end_delegation))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DelegationBody {
    /// The login of who acts for the user meanwhile.
    delegate: String,
    /// The first day (`YYYY-MM-DD`, from its start in Asia/Shanghai) or an RFC 3339 time.
    from: String,
    /// The last day (`YYYY-MM-DD`, to its end in Asia/Shanghai) or an RFC 3339 time.
    until: String,
    /// Only tasks of these workflows; all when absent.
    workflows: Option<Vec<String>>,
}

/// Spelled out rather than reusing the request: the answer has more.
#[derive(Serialize, ToSchema)]
struct DelegationView {
    login: String,
    delegate: String,
    #[schema(format = DateTime)]
    from: String,
    #[schema(format = DateTime)]
    until: String,
    /// The workflows it covers; absent: all.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    workflows: Option<Vec<String>>,
}

fn view(d: Delegation) -> DelegationView {
    DelegationView {
        login: d.login,
        delegate: d.delegate,
        from: time(d.from),
        until: time(d.until),
        workflows: d.workflows,
    }
}

/// Set a user's delegation (代理): meanwhile their tasks also reach the
/// delegate, who may act in their name. Replaces the one they had.
#[utoipa::path(put, path = "/users/{login}/delegation", operation_id = "setDelegation", security(("bearer" = [])),
    params(("login" = String, Path)), request_body = DelegationBody, responses(
    (status = 200, description = "Set", body = DelegationView),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn set_delegation(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(login): Path<String>,
    ApiJson(b): ApiJson<DelegationBody>,
) -> ApiResult<Json<DelegationView>> {
    let req = DelegationRequest {
        delegate: b.delegate,
        from: b.from,
        until: b.until,
        workflows: b.workflows,
    };
    Ok(Json(view(s.engine.set_delegation(&actor, &login, req).await?)))
}

/// A user's delegation, if they have one (404 if not).
#[utoipa::path(get, path = "/users/{login}/delegation", operation_id = "getDelegation", security(("bearer" = [])),
    params(("login" = String, Path)), responses(
    (status = 200, description = "The delegation", body = DelegationView),
    Refusals,
))]
async fn delegation(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(login): Path<String>,
) -> ApiResult<Json<DelegationView>> {
    match s.engine.delegation(&actor, &login).await? {
        Some(d) => Ok(Json(view(d))),
        None => Err(ApiError::not_found(format!("`{login}` has no delegation"))),
    }
}

/// End a user's delegation.
#[utoipa::path(delete, path = "/users/{login}/delegation", operation_id = "endDelegation", security(("bearer" = [])),
    params(("login" = String, Path)), responses(
    (status = 204, description = "Ended"),
    Refusals,
    WriteRefusals,
))]
async fn end_delegation(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(login): Path<String>,
) -> ApiResult<StatusCode> {
    s.engine.end_delegation(&actor, &login).await?;
    Ok(StatusCode::NO_CONTENT)
}
