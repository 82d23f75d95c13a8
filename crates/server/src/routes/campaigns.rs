//! Deadline campaigns: create one for a list of units, and follow each target.

use crate::auth::Auth;
use crate::error::ApiResult;
use crate::json::ApiJson;
use crate::views;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use naxian_engine::campaigns::{CampaignView, NewCampaign};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/campaigns", post(create))
        .route("/campaigns/{id}", get(one))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignBody {
    title: String,
    due_at: String,
    targets: Vec<String>,
    #[serde(default)]
    remind_before: Vec<String>,
}

fn view(v: &CampaignView) -> Value {
    let r = &v.record;
    json!({
        "id": r.id,
        "title": r.title,
        "due_at": views::time(r.due_at),
        "remind_before": r.remind_before,
        "created_by": r.created_by,
        "created_at": views::time(r.created_at),
        "targets": v.targets.iter().map(|t| json!({
            "org_unit": t.org_unit,
            "name": t.name,
            "status": t.status,
            "instance_id": t.instance_id,
            "completed_at": t.completed_at.map(views::time),
            "done_late": t.done_late,
        })).collect::<Vec<_>>(),
    })
}

async fn create(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(b): ApiJson<CampaignBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
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

async fn one(State(s): State<AppState>, Auth(actor): Auth, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let v = s.engine.campaign_view(&actor, &id).await?;
    Ok(Json(view(&v)))
}
