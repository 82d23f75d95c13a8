//! Starting an appointment: the nomination form generated from the
//! workflow's fields, its submission, and the list of one's own nominations.

use super::form::{choice_options, field, input_type};
use super::inbox::{InboxPage, Row};
use super::layout::{nav, Nav};
use super::message::{forbidden, message_page};
use super::text::zh_problem;
use super::{csrf_ok, page, Browser};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use naxian_engine::sessions::WebSession;
use naxian_engine::{EngineError, StartRequest};
use naxian_model::fields::{get_path, set_path, FieldType};
use naxian_model::machine::ActionInput;
use naxian_model::{Problem, Refusal, TaskStatus};
use serde_json::{json, Value};

/// The workflow this page starts.
const APPOINTMENT: &str = "sanzhang-appointment";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/nominations", get(nominations))
        .route("/nominations/new", get(nominate_form).post(nominate))
}

async fn nominations(State(s): State<AppState>, Browser(w): Browser) -> Response {
    let list = match s.engine.own_instances(&w.actor, APPOINTMENT).await {
        Ok(list) => list,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let rows = list
        .into_iter()
        .map(|n| Row {
            id: n.task_id.unwrap_or_default(),
            title: n.definition.summarize(&n.instance.data),
            subject: format!("当前：{}", n.at),
            unit: n.unit_name,
            due: String::new(),
            overdue: false,
            done_action: String::new(),
        })
        .collect();
    page(
        StatusCode::OK,
        InboxPage {
            nav: Some(nav(&s, &w, "nominations").await),
            heading: "我的提名",
            empty: "您还没有提名。",
            rows,
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
    error: Option<String>,
    fields: Vec<FieldView>,
}

async fn nominate_page(
    s: &AppState,
    w: &WebSession,
    values: &Value,
    error: Option<(String, Problem)>,
) -> Result<NominatePage, EngineError> {
    let def = s.engine.latest_definition(APPOINTMENT).await?;
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
        let err = match &error {
            Some((field, problem)) if field.strip_prefix("data.") == Some(name.as_str()) => {
                zh_problem(problem)
            }
            _ => String::new(),
        };
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
    let general = error.and_then(|(field, problem)| {
        (!fields.iter().any(|f| !f.error.is_empty())).then(|| format!("{field}：{}", zh_problem(&problem)))
    });
    Ok(NominatePage {
        nav: Some(nav(s, w, "new").await),
        csrf: w.csrf.clone(),
        error: general,
        fields,
    })
}

async fn nominate_form(State(s): State<AppState>, Browser(w): Browser) -> Response {
    match nominate_page(&s, &w, &json!({}), None).await {
        Ok(p) => page(StatusCode::OK, p),
        Err(e) => message_page(&s, &w, e).await,
    }
}

async fn nominate(
    State(s): State<AppState>,
    headers: HeaderMap,
    Browser(w): Browser,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| field(&form, k);
    if !csrf_ok(&headers, &w, get("csrf")) {
        return forbidden();
    }
    let Ok(def) = s.engine.latest_definition(APPOINTMENT).await else {
        return (StatusCode::SERVICE_UNAVAILABLE, "系统暂时无法使用").into_response();
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
    let started = s
        .engine
        .start(
            &w.actor,
            StartRequest {
                workflow: APPOINTMENT.into(),
                data: data.clone(),
            },
        )
        .await;
    let view = match started {
        Ok(v) => v,
        Err(EngineError::Invalid { field, problem }) => {
            return match nominate_page(&s, &w, &data, Some((field, problem))).await {
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
    if get("then") == Some("submit") {
        if let Err(e) = s.engine.act(&w.actor, &task, ActionInput::named("submit")).await {
            return message_page(&s, &w, e).await;
        }
    }
    Redirect::to(&format!("/tasks/{task}")).into_response()
}
