//! Starting any workflow (发起): the list of the workflows one may start,
//! the start form generated from a workflow's fields, its submission, and
//! the list of what one started (我发起的).

use super::form::{choice_options, field, input_type};
use super::inbox::{InboxPage, Row};
use super::layout::{nav, Nav};
use super::message::message_page;
use super::text::zh_problem;
use super::{page, Browser, Posted};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use naxian_engine::sessions::WebSession;
use naxian_engine::{EngineError, StartRequest};
use naxian_model::fields::{get_path, set_path, FieldType};
use naxian_model::machine::ActionInput;
use naxian_model::{Problem, Refusal, TaskStatus};
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/start", get(start_list))
        .route("/nominations", get(nominations))
        .route("/nominations/new", get(nominate_form).post(nominate))
}

#[derive(Template)]
#[template(path = "nominate/start.html")]
struct StartPage {
    nav: Option<Nav>,
    /// (name, title) of each workflow the user may start.
    workflows: Vec<(String, String)>,
}

/// `GET /start` (发起): the workflows the user may start, each linking to its form.
async fn start_list(State(s): State<AppState>, Browser(w): Browser) -> Response {
    match s.engine.startable(&w.actor).await {
        Ok(defs) => page(
            StatusCode::OK,
            StartPage {
                nav: Some(nav(&s, &w, "start").await),
                workflows: defs
                    .iter()
                    .map(|d| (d.name.to_string(), d.title.clone()))
                    .collect(),
            },
        ),
        Err(e) => message_page(&s, &w, e).await,
    }
}

/// `GET /nominations` (我发起的): everything the user started, in any workflow.
async fn nominations(
    State(s): State<AppState>,
    Browser(w): Browser,
    Query(q): Query<super::list::ListQuery>,
) -> Response {
    let mut list = Vec::new();
    let workflows = match s.engine.workflows().await {
        Ok(w) => w,
        Err(e) => return message_page(&s, &w, e).await,
    };
    for workflow in workflows {
        match s.engine.own_instances(&w.actor, &workflow.name).await {
            Ok(mine) => list.extend(mine),
            Err(e) => return message_page(&s, &w, e).await,
        }
    }
    list.sort_by_key(|n| std::cmp::Reverse(n.instance.created_at));
    let rows = list
        .into_iter()
        .map(|n| Row {
            id: n.task_id.unwrap_or_default(),
            title: format!(
                "{}：{}",
                n.definition.title,
                n.definition.summarize(&n.instance.data, &n.unit_name)
            ),
            subject: format!("当前：{}", n.at),
            step: n.at,
            unit: n.unit_name,
            due: String::new(),
            overdue: false,
            done_action: String::new(),
            workflow: n.instance.workflow.clone(),
            batch: String::new(),
            batch_title: String::new(),
            sent_back: String::new(),
        })
        .collect();
    let (rows, list, choices) = super::inbox::listed(&s, rows, &q).await;
    page(
        StatusCode::OK,
        InboxPage {
            nav: Some(nav(&s, &w, "nominations").await),
            heading: "我发起的",
            empty: "您还没有发起过事项。",
            rows,
            list,
            choices,
            path: "/nominations",
            csrf: w.csrf.clone(),
            batchable: false,
            results: Vec::new(),
        },
    )
}

pub struct FieldView {
    pub name: String,
    pub label: String,
    pub input: &'static str,
    pub required: bool,
    pub value: String,
    pub error: String,
    pub choices: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "nominate/nominate.html")]
struct NominatePage {
    nav: Option<Nav>,
    csrf: String,
    heading: String,
    workflow: String,
    error: Option<String>,
    /// A post with no free seat: the form asks to confirm before submitting.
    warning: Option<String>,
    /// Every field with a problem, for the summary above the form.
    summary: Vec<(String, String, String)>,
    fields: Vec<FieldView>,
}

/// Which workflow the form starts: `?workflow=NAME`, else the first whose
/// end adds members (a nomination).
#[derive(serde::Deserialize)]
struct Which {
    workflow: Option<String>,
}

async fn workflow_to_start(
    s: &AppState,
    asked: Option<&str>,
) -> Result<std::sync::Arc<naxian_model::Definition>, EngineError> {
    let name = match asked.filter(|w| !w.is_empty()) {
        Some(w) => w.to_string(),
        None => s
            .engine
            .member_workflows()
            .await?
            .into_iter()
            .next()
            .ok_or(EngineError::Forbidden(Refusal::NothingToNominate))?,
    };
    s.engine.latest_definition(&name).await
}

async fn nominate_page(
    s: &AppState,
    w: &WebSession,
    asked: Option<&str>,
    values: &Value,
    errors: Vec<(String, Problem)>,
) -> Result<NominatePage, EngineError> {
    let def = workflow_to_start(s, asked).await?;
    // The units this nominator may nominate for, as the choices of the unit field.
    let units: Vec<(String, String)> = s
        .engine
        .start_units(&w.actor, &def)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    if units.is_empty() {
        // A form with nothing to choose would only end in a refusal.
        return Err(EngineError::Forbidden(Refusal::NothingToNominate));
    }
    let mut fields = Vec::new();
    for (name, spec) in &def.fields {
        let name = name.to_string();
        let value = match get_path(values, &name) {
            Some(Value::String(v)) => v.clone(),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        };
        let err = errors
            .iter()
            .find(|(field, _)| field.strip_prefix("data.") == Some(name.as_str()))
            .map(|(_, problem)| zh_problem(problem))
            .unwrap_or_default();
        fields.push(FieldView {
            label: spec.label.clone().unwrap_or_else(|| name.clone()),
            input: input_type(spec.kind),
            required: spec.required,
            choices: if spec.kind == FieldType::OrgUnit {
                units.clone()
            } else {
                choice_options(&spec.choices)
            },
            name,
            value,
            error: err,
        });
    }
    // A problem no field of the form shows (the unit outside one's grants).
    let general = errors
        .iter()
        .find(|(field, _)| {
            !fields
                .iter()
                .any(|f| Some(f.name.as_str()) == field.strip_prefix("data."))
        })
        .map(|(field, problem)| format!("{field}：{}", zh_problem(problem)));
    let summary = fields
        .iter()
        .filter(|f| !f.error.is_empty())
        .map(|f| (f.name.clone(), f.label.clone(), f.error.clone()))
        .collect();
    Ok(NominatePage {
        nav: Some(nav(s, w, "new").await),
        csrf: w.csrf.clone(),
        heading: if def.adds_members() {
            "新建提名".to_string()
        } else {
            format!("发起：{}", def.title)
        },
        workflow: def.name.to_string(),
        error: general,
        warning: None,
        summary,
        fields,
    })
}

async fn nominate_form(
    State(s): State<AppState>,
    Browser(w): Browser,
    Query(which): Query<Which>,
) -> Response {
    match nominate_page(&s, &w, which.workflow.as_deref(), &json!({}), Vec::new()).await {
        Ok(p) => page(StatusCode::OK, p),
        Err(e) => message_page(&s, &w, e).await,
    }
}

async fn nominate(State(s): State<AppState>, Posted { session: w, form }: Posted) -> Response {
    let get = |k: &str| field(&form, k);
    let def = match workflow_to_start(&s, get("workflow")).await {
        Ok(def) => def,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let mut data = json!({});
    for (name, spec) in &def.fields {
        let Some(raw) = get(name).map(str::trim).filter(|v| !v.is_empty()) else {
            continue;
        };
        let value = match spec.kind {
            FieldType::Integer => raw.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(raw)),
            _ => json!(raw),
        };
        set_path(&mut data, name, value);
    }
    // Every problem of the form at once; the engine still decides the rest.
    let today = naxian_model::calendar::shanghai_day(s.engine.clock().now());
    let problems = naxian_model::fields::problems(&def.fields, &data, "data", today);
    if !problems.is_empty() {
        return match nominate_page(&s, &w, Some(def.name.as_str()), &data, problems).await {
            Ok(p) => page(StatusCode::BAD_REQUEST, p),
            Err(e) => message_page(&s, &w, e).await,
        };
    }
    // A post with no free seat is let through only once the nominator has seen it.
    if get("seats_confirmed") != Some("1") {
        match s.engine.seat_warning(&def, &data).await {
            Ok(None) => {}
            Ok(Some(warn)) => {
                return match nominate_page(&s, &w, Some(def.name.as_str()), &data, Vec::new()).await {
                    Ok(mut p) => {
                        p.warning = Some(zh_seat_warning(&warn));
                        page(StatusCode::OK, p)
                    }
                    Err(e) => message_page(&s, &w, e).await,
                };
            }
            Err(e) => return message_page(&s, &w, e).await,
        }
    }
    let started = s
        .engine
        .start(
            &w.actor,
            StartRequest {
                workflow: def.name.to_string(),
                data: data.clone(),
            },
        )
        .await;
    let view = match started {
        Ok(v) => v,
        Err(EngineError::Invalid { field, problem }) => {
            return match nominate_page(&s, &w, Some(def.name.as_str()), &data, vec![(field, problem)]).await {
                Ok(p) => page(StatusCode::BAD_REQUEST, p),
                Err(e) => crate::ApiError::from(e).into_response(),
            }
        }
        Err(e) => return message_page(&s, &w, e).await,
    };
    let task = view
        .tasks
        .iter()
        .find(|t| t.status == TaskStatus::Open)
        .map(|t| t.id.clone())
        .unwrap_or_default();
    let submits = def
        .step(def.start.as_str())
        .is_some_and(|st| st.actions.contains_key("submit"));
    if get("then") == Some("submit") && submits {
        if let Err(e) = s.engine.act(&w.actor, &task, ActionInput::named("submit")).await {
            return message_page(&s, &w, e).await;
        }
    }
    Redirect::to(&format!("/tasks/{task}")).into_response()
}

/// The warning of a nomination for a full post, as pages show it.
pub(super) fn zh_seat_warning(w: &naxian_engine::seats::SeatWarning) -> String {
    format!(
        "拟任职务“{}”已无空缺席位（共 {} 席，现任 {} 人）。",
        w.label, w.seats, w.filled
    )
}
