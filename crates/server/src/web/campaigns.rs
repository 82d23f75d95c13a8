//! Deadline campaigns (专项督办): the list of those the user follows, the
//! form a supervisor opens one with, and a campaign's page of targets done,
//! late, in progress or silent, with the files each target attached.

use super::form::field;
use super::layout::{nav, Nav};
use super::message::message_page;
use super::table::Table;
use super::target_tree::Tree;
use super::text::zh_problem;
use super::{page, Browser, Posted};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use naxian_engine::campaign_tables::{CampaignTables, Sums};
use naxian_engine::notify::due_text;
use naxian_engine::sessions::WebSession;
use naxian_engine::EngineError;
use naxian_model::Refusal;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(campaign_list))
        .route("/campaigns/new", get(campaign_form).post(campaign_create))
        .route("/campaigns/{id}", get(campaign))
}

pub struct TargetLine {
    pub name: String,
    pub status: &'static str,
    pub status_text: &'static str,
    pub completed: String,
    /// 已查看 / 未查看 for a target not done.
    pub seen: &'static str,
    /// (attachment id, file name).
    pub files: Vec<(String, String)>,
}

struct CampaignLine {
    id: String,
    title: String,
    due: String,
    created: String,
    targets: usize,
    done: usize,
    late: usize,
    silent: usize,
}

impl super::list::Listed for CampaignLine {
    fn words(&self) -> Vec<&str> {
        vec![&self.title]
    }
    /// Some of its units are late.
    fn overdue(&self) -> bool {
        self.late > 0
    }
}

#[derive(Template)]
#[template(path = "campaigns/campaigns.html")]
struct CampaignsPage {
    nav: Option<Nav>,
    may_create: bool,
    campaigns: Vec<CampaignLine>,
    list: super::list::Paged<()>,
    path: &'static str,
}

/// The campaigns the viewer may see, searchable by title, those with late
/// units apart, fifty a page.
async fn campaign_list(
    State(s): State<AppState>,
    Browser(w): Browser,
    Query(q): Query<super::list::ListQuery>,
) -> Response {
    let list = match s.engine.campaigns(&w.actor).await {
        Ok(l) => l,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let campaigns = list
        .into_iter()
        .map(|c| CampaignLine {
            id: c.record.id,
            title: c.record.title,
            due: due_text(Some(c.record.due_at)),
            created: due_text(Some(c.record.created_at)),
            targets: c.targets,
            done: c.done,
            late: c.late,
            silent: c.silent,
        })
        .collect::<Vec<_>>();
    let (campaigns, list) = q.apply(campaigns).split();
    page(
        StatusCode::OK,
        CampaignsPage {
            nav: Some(nav(&s, &w, "campaigns").await),
            may_create: w.actor.may_somewhere(naxian_model::Capability::Campaigns),
            campaigns,
            list,
            path: "/campaigns",
        },
    )
}

#[derive(Template)]
#[template(path = "campaigns/campaign.html")]
struct CampaignPage {
    nav: Option<Nav>,
    title: String,
    due: String,
    remind: String,
    done: usize,
    silent: usize,
    targets: Vec<TargetLine>,
    /// The number tables added up (普查), with the campaign's id for the downloads.
    totals: Option<Table>,
    /// The targets complete, ranked (总结评估).
    ranking: Option<Table>,
    id: String,
    missing: String,
}

/// What a target's state reads as.
fn status_text(status: &str, done_late: bool) -> &'static str {
    match (status, done_late) {
        ("done", true) => "逾期完成",
        ("done", false) => "已完成",
        ("late", _) => "已逾期",
        _ => "办理中",
    }
}

/// A campaign's number tables added up, as one table: a row per city (its
/// total over the targets complete) followed by its targets, then the
/// province's total; a column per table column. None without tables.
pub fn totals_table(t: &CampaignTables) -> Option<Table> {
    if t.tables.is_empty() {
        return None;
    }
    let mut headers = vec!["单位".to_string(), "状态".to_string()];
    for table in &t.tables {
        for (_, label) in &table.columns {
            headers.push(format!("{}·{label}", table.label));
        }
    }
    let cells = |sums: Option<&Sums>| -> Vec<String> {
        t.tables
            .iter()
            .flat_map(|table| {
                table.columns.iter().map(move |(col, _)| {
                    sums.and_then(|s| s.get(&table.field))
                        .and_then(|c| c.get(col))
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                })
            })
            .collect()
    };
    let mut rows = Vec::new();
    for city in &t.cities {
        let mut row = vec![
            format!(
                "{}（合计）",
                if city.name.is_empty() {
                    "其他"
                } else {
                    &city.name
                }
            ),
            format!("已通过 {}/{}", city.done, city.targets),
        ];
        row.extend(cells(Some(&city.sums)));
        rows.push(row);
        for target in t.targets.iter().filter(|x| x.city == city.name) {
            let done_late = t
                .view
                .targets
                .iter()
                .any(|v| v.org_unit == target.code && v.done_late);
            let mut row = vec![
                target.name.clone(),
                status_text(target.status, done_late).to_string(),
            ];
            row.extend(cells(target.sums.as_ref()));
            rows.push(row);
        }
    }
    let done: usize = t.cities.iter().map(|c| c.done).sum();
    let mut row = vec![
        "全省合计".to_string(),
        format!("已通过 {done}/{}", t.targets.len()),
    ];
    row.extend(cells(Some(&t.total)));
    rows.push(row);
    Some(Table {
        title: format!("{}汇总", t.view.record.title),
        headers,
        rows,
    })
}

async fn campaign(State(s): State<AppState>, Browser(w): Browser, Path(id): Path<String>) -> Response {
    let t = match s.engine.campaign_tables(&w.actor, &id).await {
        Ok(t) => t,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let totals = totals_table(&t);
    let ranking = match s.engine.campaign_ranking(&w.actor, &id).await {
        Ok(r) => Some(super::ranking::table(&r)),
        Err(EngineError::NotFound(_)) => None,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let v = &t.view;
    let targets: Vec<TargetLine> = v
        .targets
        .iter()
        .map(|t| TargetLine {
            name: t.name.clone(),
            status: t.status,
            status_text: status_text(t.status, t.done_late),
            completed: due_text(t.completed_at),
            seen: match (t.status, t.opened) {
                ("done", _) => "",
                (_, true) => "已查看",
                (_, false) => "未查看",
            },
            files: t
                .files
                .iter()
                .map(|f| (f.id.clone(), f.file_name.clone()))
                .collect(),
        })
        .collect();
    page(
        StatusCode::OK,
        CampaignPage {
            nav: Some(nav(&s, &w, "campaigns").await),
            title: v.record.title.clone(),
            due: due_text(Some(v.record.due_at)),
            remind: v
                .record
                .remind_before
                .iter()
                .map(|r| super::text::zh_span(r))
                .collect::<Vec<_>>()
                .join("、"),
            done: targets.iter().filter(|t| t.status == "done").count(),
            silent: v.targets.iter().filter(|t| t.silent()).count(),
            targets,
            totals,
            ranking,
            id: v.record.id.clone(),
            missing: t.missing.join("、"),
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
    tree: Tree,
    /// The codes chosen before a refused submission, kept checked.
    chosen: Vec<String>,
    /// Every campaign workflow (name, title), and the one this form opens.
    workflows: Vec<(String, String)>,
    workflow: String,
    /// The workflow's own fields a campaign needs besides its own (普查基准日).
    extra: Vec<ExtraField>,
}

struct ExtraField {
    name: String,
    label: String,
    input: &'static str,
    value: String,
}

/// The form's workflow (the one asked for, else the default), with every
/// campaign workflow to switch to and the fields it needs filled.
async fn form_workflow(
    s: &AppState,
    asked: Option<&str>,
    form: &[(String, String)],
) -> Result<(String, Vec<(String, String)>, Vec<ExtraField>), EngineError> {
    let def = s
        .engine
        .campaign_workflow(asked.filter(|w| !w.is_empty()))
        .await?;
    let workflows = s
        .engine
        .campaign_workflows()
        .await?
        .iter()
        .map(|d| (d.name.to_string(), d.title.clone()))
        .collect();
    let extra = def
        .fields
        .iter()
        .filter(|(name, spec)| {
            spec.required
                && !naxian_model::definition::CAMPAIGN_FIELDS
                    .iter()
                    .any(|(f, _)| *f == name.as_str())
        })
        .map(|(name, spec)| ExtraField {
            name: name.to_string(),
            label: spec.label.clone().unwrap_or_else(|| name.to_string()),
            input: super::form::input_type(spec.kind),
            value: field(form, &format!("data.{}", name.as_str()))
                .unwrap_or_default()
                .to_string(),
        })
        .collect();
    Ok((def.name.to_string(), workflows, extra))
}

/// The units the user may give a campaign of `workflow` to, grouped by city and county.
async fn campaign_units(s: &AppState, w: &WebSession, workflow: &str) -> Tree {
    let units = s
        .engine
        .campaign_targets(&w.actor, Some(workflow))
        .await
        .unwrap_or_default();
    let mut names: HashMap<String, String> = units.iter().map(|u| (u.code.clone(), u.name.clone())).collect();
    // The cities and counties the units lie under, where not themselves choosable.
    for u in &units {
        for code in u.path.split('/').filter(|c| !c.is_empty()).skip(1).take(2) {
            if !names.contains_key(code) {
                if let Ok(above) = s.engine.unit(code).await {
                    names.insert(code.to_string(), above.name);
                }
            }
        }
    }
    Tree::new(&units, &names)
}

#[derive(serde::Deserialize)]
struct FormQuery {
    workflow: Option<String>,
}

async fn campaign_form(
    State(s): State<AppState>,
    Browser(w): Browser,
    axum::extract::Query(q): axum::extract::Query<FormQuery>,
) -> Response {
    let (workflow, workflows, extra) = match form_workflow(&s, q.workflow.as_deref(), &[]).await {
        Ok(f) => f,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let tree = campaign_units(&s, &w, &workflow).await;
    if tree.groups.is_empty() {
        return message_page(&s, &w, EngineError::Forbidden(Refusal::NeedsSupervisor)).await;
    }
    page(
        StatusCode::OK,
        NewCampaignPage {
            nav: Some(nav(&s, &w, "campaigns").await),
            csrf: w.csrf.clone(),
            error: None,
            title: String::new(),
            due_at: String::new(),
            remind: "3,1".into(),
            tree,
            chosen: Vec::new(),
            workflows,
            workflow,
            extra,
        },
    )
}

async fn campaign_create(State(s): State<AppState>, Posted { session: w, form }: Posted) -> Response {
    let get = |k: &str| field(&form, k).map(str::trim).unwrap_or_default().to_string();
    let values = |name: &str| -> Vec<String> {
        form.iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let (workflow, workflows, extra) = match form_workflow(&s, Some(&get("workflow")), &form).await {
        Ok(f) => f,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let tree = campaign_units(&s, &w, &workflow).await;
    let targets = tree.expand(&values("targets"), &values("all"));
    let mut data = serde_json::Map::new();
    for f in &extra {
        if !f.value.trim().is_empty() {
            let v = match f.input {
                "number" => f
                    .value
                    .trim()
                    .parse::<i64>()
                    .map(serde_json::Value::from)
                    .unwrap_or_else(|_| f.value.trim().into()),
                _ => f.value.trim().into(),
            };
            data.insert(f.name.clone(), v);
        }
    }
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
        workflow: Some(workflow.clone()),
        data: serde_json::Value::Object(data),
        title: get("title"),
        due_at,
        targets: targets.clone(),
        remind_before: remind,
    };
    match s.engine.create_campaign(&w.actor, req).await {
        Ok(v) => Redirect::to(&format!("/campaigns/{}", v.record.id)).into_response(),
        Err(EngineError::Invalid { field, problem }) => {
            let label = match field.split(['[', '.']).next().unwrap_or("") {
                "title" => "任务内容",
                "due_at" => "截止时间",
                "targets" => "承办单位",
                "remind_before" => "提前提醒",
                "data" => extra
                    .iter()
                    .find(|f| field == format!("data.{}", f.name))
                    .map_or("输入", |f| f.label.as_str()),
                _ => "输入",
            };
            page(
                StatusCode::BAD_REQUEST,
                NewCampaignPage {
                    nav: Some(nav(&s, &w, "campaigns").await),
                    csrf: w.csrf.clone(),
                    error: Some(format!("{label}：{}", zh_problem(&problem))),
                    title: get("title"),
                    due_at: get("due_at"),
                    remind: get("remind"),
                    tree,
                    chosen: targets,
                    workflows,
                    workflow,
                    extra,
                },
            )
        }
        Err(e) => message_page(&s, &w, e).await,
    }
}
