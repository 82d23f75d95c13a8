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
use indexmap::IndexMap;
use naxian_engine::campaigns::{CampaignView, NewCampaign};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(one))
        .routes(routes!(totals))
        .routes(routes!(ranking))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CampaignBody {
    /// A workflow marked `campaign: true`; by default the first by name whose
    /// required fields the campaign fills in itself (a plain deadline task).
    #[serde(default)]
    workflow: Option<String>,
    /// More of that workflow's fields, the same for every target (普查基准日,
    /// `reference_date`); the campaign sets `campaign`, `title`, `target`,
    /// `due_at` and `remind_before` itself.
    #[serde(default)]
    #[schema(value_type = Object)]
    data: Option<serde_json::Value>,
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
    workflow: String,
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
    workflow: String,
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
        workflow: r.workflow.clone(),
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
                workflow: b.workflow,
                data: b.data.unwrap_or_else(|| serde_json::json!({})),
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
                workflow: c.record.workflow,
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

/// A column of a number table.
#[derive(Serialize, ToSchema)]
struct TotalsColumn {
    key: String,
    label: String,
}

#[derive(Serialize, ToSchema)]
struct TotalsTable {
    field: String,
    label: String,
    columns: Vec<TotalsColumn>,
}

#[derive(Serialize, ToSchema)]
struct TotalsTarget {
    org_unit: String,
    name: String,
    city: String,
    #[schema(schema_with = target_status)]
    status: &'static str,
    /// field → column → total; null until the target's instance is complete.
    #[schema(value_type = Option<Object>)]
    totals: Option<naxian_engine::campaign_tables::Sums>,
}

#[derive(Serialize, ToSchema)]
struct TotalsCity {
    name: String,
    targets: usize,
    done: usize,
    #[schema(value_type = Object)]
    totals: naxian_engine::campaign_tables::Sums,
}

/// A campaign's number tables added up: each complete target, by city, in all.
#[derive(Serialize, ToSchema)]
struct CampaignTotals {
    id: String,
    workflow: String,
    title: String,
    tables: Vec<TotalsTable>,
    targets: Vec<TotalsTarget>,
    cities: Vec<TotalsCity>,
    #[schema(value_type = Object)]
    total: naxian_engine::campaign_tables::Sums,
    /// The names of the targets not complete yet.
    missing: Vec<String>,
}

/// The totals of a campaign's number tables (普查): complete targets
/// only, by city and in all, with the targets still missing.
#[utoipa::path(get, path = "/campaigns/{id}/totals", operation_id = "getCampaignTotals", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "The totals", body = CampaignTotals),
    Refusals,
))]
async fn totals(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CampaignTotals>> {
    let t = s.engine.campaign_tables(&actor, &id).await?;
    Ok(Json(CampaignTotals {
        id: t.view.record.id.clone(),
        workflow: t.view.record.workflow.clone(),
        title: t.view.record.title.clone(),
        tables: t
            .tables
            .into_iter()
            .map(|c| TotalsTable {
                field: c.field,
                label: c.label,
                columns: c
                    .columns
                    .into_iter()
                    .map(|(key, label)| TotalsColumn { key, label })
                    .collect(),
            })
            .collect(),
        targets: t
            .targets
            .into_iter()
            .map(|x| TotalsTarget {
                org_unit: x.code,
                name: x.name,
                city: x.city,
                status: x.status,
                totals: x.sums,
            })
            .collect(),
        cities: t
            .cities
            .into_iter()
            .map(|c| TotalsCity {
                name: c.name,
                targets: c.targets,
                done: c.done,
                totals: c.sums,
            })
            .collect(),
        total: t.total,
        missing: t.missing,
    }))
}

#[derive(Serialize, ToSchema)]
struct RankedTarget {
    /// Competition ranking: equal totals share a rank (1, 2, 2, 4).
    rank: usize,
    /// The unit's name.
    unit: String,
    instance_id: String,
    /// Column of the rank table → score.
    #[schema(value_type = Object)]
    scores: IndexMap<String, i64>,
    total: i64,
    /// The figures the instance was opened with, in `figures`' order.
    figures: Vec<i64>,
    /// The opinion the instance was closed with (评语).
    remarks: String,
}

/// A campaign's complete targets ranked by the total of its workflow's
/// `rank` table (总结评估).
#[derive(Serialize, ToSchema)]
struct CampaignRanking {
    id: String,
    title: String,
    columns: Vec<TotalsColumn>,
    /// The labels of the figures each row carries.
    figures: Vec<String>,
    rows: Vec<RankedTarget>,
}

/// A campaign's ranking (总结评估): its complete targets, best first; 404
/// when its workflow ranks nothing.
#[utoipa::path(get, path = "/campaigns/{id}/ranking", operation_id = "getCampaignRanking", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "The ranking", body = CampaignRanking),
    Refusals,
))]
async fn ranking(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CampaignRanking>> {
    let r = s.engine.campaign_ranking(&actor, &id).await?;
    Ok(Json(CampaignRanking {
        id: r.campaign,
        title: r.title,
        columns: r
            .score_columns
            .iter()
            .map(|(key, label)| TotalsColumn {
                key: key.clone(),
                label: label.clone(),
            })
            .collect(),
        figures: r.figure_columns,
        rows: r
            .rows
            .into_iter()
            .map(|row| RankedTarget {
                rank: row.rank,
                unit: row.unit,
                instance_id: row.instance_id,
                scores: r
                    .score_columns
                    .iter()
                    .map(|(k, _)| k.clone())
                    .zip(row.scores)
                    .collect(),
                total: row.total,
                figures: row.figures,
                remarks: row.remarks,
            })
            .collect(),
    }))
}
