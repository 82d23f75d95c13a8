//! Deadline campaigns (专项督办): the form a supervisor opens one with, and
//! its page of targets done, late or in progress.

use super::form::field;
use super::layout::{nav, Nav};
use super::message::{forbidden, message_page};
use super::text::zh_problem;
use super::{csrf_ok, page, Browser};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use naxian_engine::notify::due_text;
use naxian_engine::sessions::WebSession;
use naxian_engine::EngineError;
use naxian_model::Refusal;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/campaigns/new", get(campaign_form).post(campaign_create))
        .route("/campaigns/{id}", get(campaign))
}

pub struct TargetLine {
    pub name: String,
    pub status: &'static str,
    pub status_text: &'static str,
    pub completed: String,
}

#[derive(Template)]
#[template(path = "campaigns/campaign.html")]
struct CampaignPage {
    nav: Option<Nav>,
    title: String,
    due: String,
    remind: String,
    done: usize,
    targets: Vec<TargetLine>,
}

async fn campaign(State(s): State<AppState>, Browser(w): Browser, Path(id): Path<String>) -> Response {
    let v = match s.engine.campaign_view(&w.actor, &id).await {
        Ok(v) => v,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let targets: Vec<TargetLine> = v
        .targets
        .iter()
        .map(|t| TargetLine {
            name: t.name.clone(),
            status: t.status,
            status_text: match (t.status, t.done_late) {
                ("done", true) => "逾期完成",
                ("done", false) => "已完成",
                ("late", _) => "已逾期",
                _ => "办理中",
            },
            completed: due_text(t.completed_at),
        })
        .collect();
    page(
        StatusCode::OK,
        CampaignPage {
            nav: Some(nav(&s, &w, "").await),
            title: v.record.title.clone(),
            due: due_text(Some(v.record.due_at)),
            remind: v.record.remind_before.join("、"),
            done: targets.iter().filter(|t| t.status == "done").count(),
            targets,
        },
    )
}

#[derive(Template)]
#[template(path = "campaigns/campaign_new.html")]
struct NewCampaignPage {
    nav: Option<Nav>,
    csrf: String,
    error: Option<String>,
    title: String,
    due_at: String,
    remind: String,
    units: Vec<(String, String)>,
}

/// The units a supervisor may give a campaign to: the cities and counties under their grants.
/// The form offers the cities and counties the user may address; the API
/// takes any unit the campaign workflow targets.
async fn campaign_units(s: &AppState, w: &WebSession) -> Vec<(String, String)> {
    s.engine
        .campaign_targets(&w.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|u| {
            matches!(
                u.kind,
                naxian_model::OrgKind::City | naxian_model::OrgKind::County
            )
        })
        .map(|u| (u.code, u.name))
        .collect()
}

async fn campaign_form(State(s): State<AppState>, Browser(w): Browser) -> Response {
    let units = campaign_units(&s, &w).await;
    if units.is_empty() {
        return message_page(&s, &w, EngineError::Forbidden(Refusal::NeedsSupervisor)).await;
    }
    page(
        StatusCode::OK,
        NewCampaignPage {
            nav: Some(nav(&s, &w, "").await),
            csrf: w.csrf.clone(),
            error: None,
            title: String::new(),
            due_at: String::new(),
            remind: "3,1".into(),
            units,
        },
    )
}

async fn campaign_create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Browser(w): Browser,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| field(&form, k).map(str::trim).unwrap_or_default().to_string();
    if !csrf_ok(&headers, &w, Some(&get("csrf"))) {
        return forbidden();
    }
    let targets: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "targets")
        .map(|(_, v)| v.clone())
        .collect();
    // A datetime-local field has no zone: it is Shanghai time.
    let due_at = if get("due_at").len() == 16 {
        format!("{}:00+08:00", get("due_at"))
    } else {
        get("due_at")
    };
    let remind: Vec<String> = get("remind")
        .split([',', '，', '、'])
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| format!("P{d}D"))
        .collect();
    let req = naxian_engine::campaigns::NewCampaign {
        title: get("title"),
        due_at,
        targets,
        remind_before: remind,
    };
    match s.engine.create_campaign(&w.actor, req).await {
        Ok(v) => Redirect::to(&format!("/campaigns/{}", v.record.id)).into_response(),
        Err(EngineError::Invalid { field, problem }) => {
            let label = match field.split('[').next().unwrap_or("") {
                "title" => "任务内容",
                "due_at" => "截止时间",
                "targets" => "承办单位",
                "remind_before" => "提前提醒",
                _ => "输入",
            };
            let units = campaign_units(&s, &w).await;
            page(
                StatusCode::BAD_REQUEST,
                NewCampaignPage {
                    nav: Some(nav(&s, &w, "").await),
                    csrf: w.csrf.clone(),
                    error: Some(format!("{label}：{}", zh_problem(&problem))),
                    title: get("title"),
                    due_at: get("due_at"),
                    remind: get("remind"),
                    units,
                },
            )
        }
        Err(e) => message_page(&s, &w, e).await,
    }
}
