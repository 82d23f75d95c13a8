//! Deadline campaigns: create one for a list of units, and follow each target.

use crate::auth::Auth;
use crate::error::ApiResult;
use crate::json::ApiJson;
use crate::openapi::{BodyRefusals, IdempotencyKey, Refusals, WriteRefusals};
use crate::views;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use naxian_engine::campaigns::{CampaignView, NewCampaign};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(one))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CampaignBody {
    title: String,
    #[schema(format = DateTime)]
    due_at: String,
    /// The codes of the units that must finish it.
    targets: Vec<String>,
    /// ISO 8601 durations before the deadline to remind at (`P3D`, `PT4H`).
    #[serde(default)]
    remind_before: Vec<String>,
}

/// A deadline campaign and each target's state.
#[derive(Serialize, ToSchema)]
struct Campaign {
    id: String,
    title: String,
    #[schema(format = DateTime)]
    due_at: String,
    remind_before: Vec<String>,
    created_by: String,
    #[schema(format = DateTime)]
    created_at: String,
    targets: Vec<Target>,
}

#[derive(Serialize, ToSchema)]
struct Target {
    org_unit: String,
    name: String,
    /// `open` (not done, not yet due), `done`, or `late` (past due and not done).
    #[schema(schema_with = target_status)]
    status: &'static str,
    instance_id: Option<String>,
    #[schema(format = DateTime)]
    completed_at: Option<String>,
    /// Done after the deadline.
    done_late: bool,
    /// Someone other than the campaign's creator has opened the task.
    opened: bool,
    /// The files attached to the target's task, oldest first.
    files: Vec<views::Attachment>,
}

/// A campaign in the list: its targets counted by where they stand.
#[derive(Serialize, ToSchema)]
struct CampaignSummary {
    id: String,
    title: String,
    #[schema(format = DateTime)]
    due_at: String,
    created_by: String,
    #[schema(format = DateTime)]
    created_at: String,
    targets: usize,
    done: usize,
    /// Past due and not done.
    late: usize,
    /// Not done and not opened by anyone but the campaign's creator (未响应).
    silent: usize,
}

fn target_status() -> utoipa::openapi::schema::ObjectBuilder {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(naxian_engine::campaigns::TARGET_STATES.iter().copied()))
}

fn view(v: &CampaignView) -> Campaign {
    let r = &v.record;
    Campaign {
        id: r.id.clone(),
        title: r.title.clone(),
        due_at: views::time(r.due_at),
        remind_before: r.remind_before.clone(),
        created_by: r.created_by.clone(),
        created_at: views::time(r.created_at),
        targets: v
            .targets
            .iter()
            .map(|t| Target {
                org_unit: t.org_unit.clone(),
                name: t.name.clone(),
                status: t.status,
                instance_id: t.instance_id.clone(),
                completed_at: t.completed_at.map(views::time),
                done_late: t.done_late,
                opened: t.opened,
                files: t.files.iter().cloned().map(Into::into).collect(),
            })
            .collect(),
    }
}

/// Open a deadline campaign: one task per target unit for its reporters.
#[utoipa::path(post, path = "/campaigns", operation_id = "createCampaign", security(("bearer" = [])),
    params(IdempotencyKey), request_body = CampaignBody, responses(
    (status = 201, description = "Created", body = Campaign),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn create(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(b): ApiJson<CampaignBody>,
) -> ApiResult<(StatusCode, Json<Campaign>)> {
    let v = s
        .engine
        .create_campaign(
            &actor,
            NewCampaign {
                title: b.title,
                due_at: b.due_at,
                targets: b.targets,
                remind_before: b.remind_before,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(view(&v))))
}

/// The campaigns the caller may follow (created, or addressed to a unit
/// they cover), newest first, with each one's counts.
#[utoipa::path(get, path = "/campaigns", operation_id = "listCampaigns", security(("bearer" = [])),
    responses(
    (status = 200, description = "Newest first", body = Vec<CampaignSummary>),
    Refusals,
))]
async fn list(State(s): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Vec<CampaignSummary>>> {
    let list = s.engine.campaigns(&actor).await?;
    Ok(Json(
        list.into_iter()
            .map(|c| CampaignSummary {
                id: c.record.id,
                title: c.record.title,
                due_at: views::time(c.record.due_at),
                created_by: c.record.created_by,
                created_at: views::time(c.record.created_at),
                targets: c.targets,
                done: c.done,
                late: c.late,
                silent: c.silent,
            })
            .collect(),
    ))
}

/// A campaign and each target's status.
#[utoipa::path(get, path = "/campaigns/{id}", operation_id = "getCampaign", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "The campaign", body = Campaign),
    Refusals,
))]
async fn one(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Campaign>> {
    let v = s.engine.campaign_view(&actor, &id).await?;
    Ok(Json(view(&v)))
}
