//! Members already on a body: entered by hand (not through an appointment)
//! and leaving before the term's end (届中调整).

use crate::auth::Auth;
use crate::error::ApiResult;
use crate::json::ApiJson;
use crate::openapi::{BodyRefusals, IdempotencyKey, Refusals, WriteRefusals};
use crate::views;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use naxian_engine::members::NewMember;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_member))
        .routes(routes!(leave_member))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MemberRequest {
    name: String,
    /// A value (or label) of the appointment's sector choices; likewise `post` and `mode`.
    sector: String,
    post: String,
    mode: String,
    #[schema(format = Date)]
    since: String,
    /// One of the three chiefs (三长): only chiefs cover a sector on the coverage board.
    chief: bool,
    employer: Option<String>,
    position: Option<String>,
}

/// Enter a member already on the unit's body (an administrator of the unit or above).
#[utoipa::path(post, path = "/org-units/{code}/members", operation_id = "addMember", security(("bearer" = [])),
    params(("code" = String, Path), IdempotencyKey), request_body = MemberRequest, responses(
    (status = 201, description = "Entered", body = views::Member),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn add_member(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(code): Path<String>,
    ApiJson(r): ApiJson<MemberRequest>,
) -> ApiResult<(StatusCode, Json<views::Member>)> {
    let member = s
        .engine
        .add_member(
            &actor,
            &code,
            NewMember {
                name: r.name,
                sector: r.sector,
                post: r.post,
                mode: r.mode,
                since: r.since,
                chief: r.chief,
                employer: r.employer,
                position: r.position,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(views::member(&member))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LeaveRequest {
    /// The first day the person is no longer a member.
    #[schema(format = Date)]
    on: String,
    reason: Option<String>,
}

/// A member leaves the body before the term's end (届中调整).
#[utoipa::path(post, path = "/org-units/{code}/members/{id}/leave", operation_id = "leaveMember",
    security(("bearer" = [])),
    params(("code" = String, Path), ("id" = String, Path), IdempotencyKey), request_body = LeaveRequest, responses(
    (status = 200, description = "The member, with the day they left", body = views::Member),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn leave_member(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path((code, id)): Path<(String, String)>,
    ApiJson(r): ApiJson<LeaveRequest>,
) -> ApiResult<Json<views::Member>> {
    // An id that is not a number names no member: the same 404 as a missing one.
    let id = id.parse().unwrap_or(-1);
    let member = s
        .engine
        .leave_member(&actor, &code, id, &r.on, r.reason.as_deref())
        .await?;
    Ok(Json(views::member(&member)))
}
