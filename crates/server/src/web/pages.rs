//! The pages and their form handlers.

use super::text::{zh, zh_problem, zh_refusal};
use super::{cookie, csrf_ok, page, token_ok, Browser, COOKIE, LOGIN_COOKIE};
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use naxian_engine::notify::due_text;
use naxian_engine::sessions::WebSession;
use naxian_engine::{EngineError, InstanceView, StartRequest};
use naxian_model::fields::{get_path, set_path, FieldType};
use naxian_model::{Problem, Refusal, TaskStatus};
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// The first value of a form field.
fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

pub struct Nav {
    pub name: String,
    pub csrf: String,
    pub nominator: bool,
    pub reports: bool,
    pub board: bool,
    pub inbox_count: usize,
    pub current: &'static str,
    pub admin: bool,
}

pub(super) async fn nav(s: &AppState, w: &WebSession, current: &'static str) -> Nav {
    let count = s.engine.inbox_count(&w.actor).await.unwrap_or(0);
    Nav {
        name: w.actor.name.clone(),
        csrf: w.csrf.clone(),
        nominator: w
            .actor
            .grants
            .iter()
            .any(|g| g.role == naxian_model::Role::Nominator),
        reports: w.actor.is_admin
            || w.actor.grants.iter().any(|g| {
                matches!(
                    g.role,
                    naxian_model::Role::Reporter
                        | naxian_model::Role::Supervisor
                        | naxian_model::Role::Viewer
                        | naxian_model::Role::Admin
                )
            }),
        board: w.actor.is_admin
            || w.actor.grants.iter().any(|g| {
                matches!(
                    g.role,
                    naxian_model::Role::Supervisor | naxian_model::Role::Viewer | naxian_model::Role::Admin
                )
            }),
        inbox_count: count,
        current,
        admin: super::admin::is_admin(w),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Option<Nav>,
    error: Option<String>,
    login: String,
    csrf: String,
}

/// How long a login form stays good for.
const LOGIN_FORM_SECONDS: i64 = 2 * 60 * 60;

/// The login page with a fresh pre-session token, in its cookie and its form.
fn login_page(s: &AppState, status: StatusCode, error: Option<String>, login: String) -> Response {
    let token = naxian_engine::sessions::random_token();
    let cookie = named_cookie(LOGIN_COOKIE, &token, LOGIN_FORM_SECONDS, s.secure_cookies);
    let mut resp = page(
        status,
        LoginPage {
            nav: None,
            error,
            login,
            csrf: token,
        },
    );
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

pub async fn login_form(State(s): State<AppState>) -> Response {
    login_page(&s, StatusCode::OK, None, String::new())
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    csrf: Option<String>,
}

/// A cookie of this site: HttpOnly and SameSite=Lax always; over TLS also
/// Secure, with the `__Host-` prefix that pins it to this host and path.
fn named_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    if secure {
        format!("__Host-{name}={value}; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age={max_age}")
    } else {
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}")
    }
}

/// The session cookie.
pub fn session_cookie(value: &str, max_age: i64, secure: bool) -> String {
    named_cookie(COOKIE, value, max_age, secure)
}

#[cfg(test)]
mod tests {
    #[test]
    fn secure_cookies_are_host_bound() {
        let c = super::session_cookie("abc", 60, true);
        assert!(
            c.starts_with("__Host-naxian_session=abc;") && c.contains("; Secure;") && c.contains("HttpOnly")
        );
        let c = super::session_cookie("abc", 60, false);
        assert!(c.starts_with("naxian_session=abc;") && !c.contains("Secure"));
    }
}

pub async fn login(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    // Checked before the password: a forged login form learns nothing.
    if !token_ok(&headers, cookie(&headers, LOGIN_COOKIE), f.csrf.as_deref()) {
        return login_page(
            &s,
            StatusCode::FORBIDDEN,
            Some("登录页面已过期或来源不明，请重新输入登录名和密码。".into()),
            f.login,
        );
    }
    match s
        .engine
        .open_session(f.login.trim(), &f.password, &addr.ip().to_string())
        .await
    {
        Ok(id) => {
            let session = session_cookie(
                &id,
                naxian_engine::sessions::ABSOLUTE.num_seconds(),
                s.secure_cookies,
            );
            let spent = named_cookie(LOGIN_COOKIE, "", 0, s.secure_cookies);
            let mut resp = Redirect::to("/inbox").into_response();
            for c in [session, spent] {
                if let Ok(v) = header::HeaderValue::from_str(&c) {
                    resp.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            resp
        }
        Err(e) => {
            let (status, code) = crate::status_of(&e);
            let error = match code {
                "too_many" => "登录失败次数过多，请15分钟后再试。",
                "busy" => "系统繁忙，请稍后再试。",
                _ if status.is_server_error() => "系统暂时无法使用，请稍后再试。",
                _ => "登录名或密码错误。",
            };
            let status = if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                status
            } else {
                StatusCode::UNAUTHORIZED
            };
            let response = login_page(&s, status, Some(error.into()), f.login);
            if status.is_server_error() {
                crate::request_log::with_detail(response, e.detail())
            } else {
                response
            }
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

pub async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    Browser(w): Browser,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if !csrf_ok(&headers, &w, f.csrf.as_deref()) {
        return forbidden();
    }
    if let Some(v) = cookie(&headers, COOKIE) {
        let _ = s.engine.close_session(v).await;
    }
    (
        [(header::SET_COOKIE, session_cookie("", 0, s.secure_cookies))],
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    nav: Option<Nav>,
    heading: String,
    text: String,
}

/// A form or address holding a control character (see `input_guard`).
pub fn bad_input() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        MessagePage {
            nav: None,
            heading: "无法提交".into(),
            text: "提交的内容含有不允许的控制字符，请删除后重试。".into(),
        },
    )
}

pub(super) fn forbidden() -> Response {
    page(
        StatusCode::FORBIDDEN,
        MessagePage {
            nav: None,
            heading: "无法办理".into(),
            text: "请求未通过安全校验，或您无权访问此页面。".into(),
        },
    )
}

pub struct Row {
    pub id: String,
    pub title: String,
    pub subject: String,
    pub unit: String,
    pub due: String,
    pub overdue: bool,
    pub done_action: String,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    nav: Option<Nav>,
    heading: &'static str,
    empty: &'static str,
    rows: Vec<Row>,
}

async fn task_rows(s: &AppState, w: &WebSession, status: TaskStatus) -> Result<Vec<Row>, EngineError> {
    let now = s.engine.clock().now();
    let items = s.engine.inbox(&w.actor, status).await?;
    Ok(items
        .into_iter()
        .map(|item| Row {
            due: due_text(item.row.task.due_at),
            overdue: status == TaskStatus::Open && item.row.task.due_at.is_some_and(|d| d < now),
            id: item.row.task.id,
            title: item.title,
            subject: item.summary,
            unit: item.row.unit_name,
            done_action: item.done_action.unwrap_or_default(),
        })
        .collect())
}

async fn task_list(s: &AppState, w: &WebSession, status: TaskStatus) -> Response {
    let (current, heading, empty) = match status {
        TaskStatus::Open => ("inbox", "待办", "暂无待办事项。"),
        _ => ("done", "已办", "暂无已办事项。"),
    };
    match task_rows(s, w, status).await {
        Ok(rows) => page(
            StatusCode::OK,
            InboxPage {
                nav: Some(nav(s, w, current).await),
                heading,
                empty,
                rows,
            },
        ),
        Err(e) => crate::ApiError::from(e).into_response(),
    }
}

pub async fn inbox(State(s): State<AppState>, Browser(w): Browser) -> Response {
    task_list(&s, &w, TaskStatus::Open).await
}

pub async fn done(State(s): State<AppState>, Browser(w): Browser) -> Response {
    task_list(&s, &w, TaskStatus::Done).await
}

pub async fn nominations(State(s): State<AppState>, Browser(w): Browser) -> Response {
    let list = s
        .engine
        .store()
        .list_instances(&naxian_store::InstanceFilter {
            workflow: Some("sanzhang-appointment".into()),
            visible_to: Some(w.actor.login.clone()),
            limit: 200,
            ..Default::default()
        })
        .await;
    let Ok(list) = list else {
        return (StatusCode::SERVICE_UNAVAILABLE, "系统暂时无法使用").into_response();
    };
    let mut rows = Vec::new();
    for i in list.iter().filter(|i| i.creator == w.actor.login) {
        let Ok(def) = s.engine.definition(&i.workflow, i.version).await else {
            continue;
        };
        let step = def
            .step(&i.step)
            .and_then(|st| st.title.clone())
            .or_else(|| def.end(&i.step).and_then(|e| e.title.clone()))
            .unwrap_or_else(|| i.step.clone());
        let tasks = s.engine.store().tasks_of(&i.id).await.unwrap_or_default();
        let link = tasks
            .iter()
            .rev()
            .find(|t| t.status == TaskStatus::Open)
            .or(tasks.last());
        rows.push(Row {
            id: link.map(|t| t.id.clone()).unwrap_or_default(),
            title: def.summarize(&i.data),
            subject: format!("当前：{step}"),
            unit: i.org_unit.clone(),
            due: String::new(),
            overdue: false,
            done_action: String::new(),
        });
    }
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
#[template(path = "nominate.html")]
struct NominatePage {
    nav: Option<Nav>,
    csrf: String,
    error: Option<String>,
    fields: Vec<FieldView>,
}

fn input_type(kind: FieldType) -> &'static str {
    match kind {
        FieldType::Integer => "number",
        FieldType::Email => "email",
        FieldType::Phone => "tel",
        FieldType::Date => "date",
        _ => "text",
    }
}

async fn nominate_page(
    s: &AppState,
    w: &WebSession,
    values: &Value,
    error: Option<(String, Problem)>,
) -> Result<NominatePage, EngineError> {
    let def = s.engine.latest_definition("sanzhang-appointment").await?;
    // The units this nominator may nominate for, as the choices of the unit field.
    let mut units: Vec<(String, String)> = Vec::new();
    for g in w
        .actor
        .grants
        .iter()
        .filter(|g| g.role == naxian_model::Role::Nominator)
    {
        for u in s.engine.store().units_under(&g.org_path).await? {
            let allowed = def
                .fields
                .get(def.org_field.as_str())
                .is_some_and(|f| f.kinds.contains(&u.kind));
            if allowed && !units.iter().any(|(c, _)| *c == u.code) {
                units.push((u.code, u.name));
            }
        }
    }
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
                spec.choices
                    .iter()
                    .map(|c| (c.clone(), zh(c).to_string()))
                    .collect()
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

pub async fn nominate_form(State(s): State<AppState>, Browser(w): Browser) -> Response {
    match nominate_page(&s, &w, &json!({}), None).await {
        Ok(p) => page(StatusCode::OK, p),
        Err(e) => message_page(&s, &w, e).await,
    }
}

pub async fn nominate(
    State(s): State<AppState>,
    headers: HeaderMap,
    Browser(w): Browser,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| field(&form, k);
    if !csrf_ok(&headers, &w, get("csrf")) {
        return forbidden();
    }
    let Ok(def) = s.engine.latest_definition("sanzhang-appointment").await else {
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
                workflow: "sanzhang-appointment".into(),
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
        if let Err(e) = s.engine.act(&w.actor, &task, "submit", None, None).await {
            return message_page(&s, &w, e).await;
        }
    }
    Redirect::to(&format!("/tasks/{task}")).into_response()
}

pub async fn message_page(s: &AppState, w: &WebSession, e: EngineError) -> Response {
    let (status, code) = crate::status_of(&e);
    let heading = match code {
        "forbidden" => "无权办理",
        "not_found" => "未找到",
        "conflict" => "已被处理",
        "unavailable" => "系统暂时无法使用",
        "busy" => "系统繁忙",
        "internal" => "系统出错",
        _ => "无法办理",
    };
    let text = match &e {
        EngineError::Invalid { field, problem } => format!("{field}：{}", zh_problem(problem)),
        EngineError::Forbidden(r)
        | EngineError::NotFound(r)
        | EngineError::Conflict(r)
        | EngineError::NotAllowed(r)
        | EngineError::TooMany(r) => zh_refusal(r),
        _ if status.is_server_error() => match crate::request_log::current() {
            Some(id) if status == StatusCode::INTERNAL_SERVER_ERROR => {
                format!("请稍后再试。如问题持续，请将编号 {id} 告知管理员。")
            }
            _ => "请稍后再试。".to_string(),
        },
        other => other.to_string(),
    };
    let response = page(
        status,
        MessagePage {
            nav: Some(nav(s, w, "").await),
            heading: heading.into(),
            text,
        },
    );
    if status.is_server_error() {
        crate::request_log::with_detail(response, e.detail())
    } else {
        response
    }
}

pub struct StepView {
    pub title: String,
    pub class: &'static str,
}

pub struct DataView {
    pub label: String,
    pub value: String,
}

pub struct ActionFieldView {
    pub name: String,
    pub label: String,
    /// `textarea`, `select` or an input type.
    pub input: &'static str,
    pub required: bool,
    pub value: String,
    pub choices: Vec<(String, String)>,
}

pub struct ActionView {
    pub name: String,
    pub title: String,
    pub comment_required: bool,
    pub fields: Vec<ActionFieldView>,
}

/// An input for one field, filled with its current value.
fn field_input(
    name: &str,
    spec: &naxian_model::fields::FieldSpec,
    value: Option<&Value>,
    required: bool,
) -> ActionFieldView {
    let value = match value {
        Some(Value::String(v)) => v.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    };
    let input = if !spec.choices.is_empty() {
        "select"
    } else if spec.multiline() {
        "textarea"
    } else {
        input_type(spec.kind)
    };
    ActionFieldView {
        name: name.to_string(),
        label: spec.label.clone().unwrap_or_else(|| name.to_string()),
        input,
        required: required || spec.required,
        value,
        choices: spec
            .choices
            .iter()
            .map(|c| (c.clone(), zh(c).to_string()))
            .collect(),
    }
}

pub struct HistoryView {
    pub at: String,
    pub actor: String,
    pub step: String,
    pub action: String,
    pub comment: String,
    pub note: String,
}

pub struct PendingView {
    pub id: String,
    pub holder: String,
    pub due: String,
}

#[derive(Template)]
#[template(path = "task.html")]
struct TaskPage {
    nav: Option<Nav>,
    csrf: String,
    task_id: String,
    instance_id: String,
    pending: Vec<PendingView>,
    can_urge: bool,
    can_withdraw: bool,
    title: String,
    subject: String,
    unit: String,
    status: String,
    error: Option<String>,
    notice: Option<String>,
    steps: Vec<StepView>,
    diagram: super::diagram::Diagram,
    fields: Vec<DataView>,
    actions: Vec<ActionView>,
    history: Vec<HistoryView>,
    attachments: Vec<super::attachments::AttachmentView>,
    can_attach: bool,
    accept: String,
    max_mib: usize,
}

async fn task_view(
    s: &AppState,
    w: &WebSession,
    task_id: &str,
) -> Result<(InstanceView, naxian_model::Task), EngineError> {
    let task = s.engine.store().task(task_id).await?.ok_or_else(|| {
        EngineError::NotFound(Refusal::NoTask {
            id: task_id.to_string(),
        })
    })?;
    let view = s.engine.read_record(&w.actor, &task.instance_id, "page").await?;
    Ok((view, task))
}

pub(super) async fn render_task(
    s: &AppState,
    w: &WebSession,
    task_id: &str,
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let (view, task) = match task_view(s, w, task_id).await {
        Ok(x) => x,
        Err(e) => return message_page(s, w, e).await,
    };
    let def = &view.definition;
    let inst = &view.instance;
    let unit = s
        .engine
        .store()
        .org_unit(&inst.org_unit)
        .await
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_default();
    let visited: Vec<&str> = view.history.iter().map(|h| h.step.as_str()).collect();
    let steps = def
        .steps
        .iter()
        .filter(|(_, st)| !st.is_route())
        .map(|(name, st)| StepView {
            title: st.title.clone().unwrap_or_else(|| name.to_string()),
            class: if name.as_str() == inst.step {
                "current"
            } else if visited.contains(&name.as_str()) {
                "done"
            } else {
                ""
            },
        })
        .collect();
    let fields = def
        .fields
        .iter()
        .filter_map(|(name, spec)| {
            let v = get_path(&inst.data, name)?;
            let text = match v {
                Value::String(_)
                    if spec.kind == FieldType::OrgUnit && name.as_str() == def.org_field.as_str() =>
                {
                    unit.clone()
                }
                Value::String(x) => zh(x).to_string(),
                Value::Null => return None,
                Value::Object(_) | Value::Array(_) => return None,
                other => other.to_string(),
            };
            Some(DataView {
                label: spec.label.clone().unwrap_or_else(|| name.to_string()),
                value: text,
            })
        })
        .collect();
    let mine = task.status == TaskStatus::Open && w.actor.holds_task(&task) && task.step == inst.step;
    let actions = if mine {
        def.step(&task.step)
            .map(|st| {
                st.actions
                    .iter()
                    .map(|(name, a)| ActionView {
                        name: name.to_string(),
                        title: a.title.clone().unwrap_or_else(|| name.to_string()),
                        comment_required: a.comment == naxian_model::definition::CommentRule::Required,
                        fields: if a.amend_data {
                            // The instance's own fields, as they stand, to amend with the action.
                            def.fields
                                .iter()
                                .filter(|(f, spec)| {
                                    !spec.readonly
                                        && f.as_str() != def.org_field.as_str()
                                        && spec.kind != FieldType::Json
                                })
                                .map(|(f, spec)| {
                                    field_input(
                                        f,
                                        spec,
                                        get_path(&inst.data, f),
                                        a.requires.iter().any(|r| r == f.as_str()),
                                    )
                                })
                                .collect()
                        } else {
                            a.data
                                .iter()
                                .map(|(f, spec)| field_input(f, spec, None, spec.required))
                                .collect()
                        },
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let step_title = |step: &str| {
        def.step(step)
            .and_then(|st| st.title.clone())
            .unwrap_or_else(|| step.to_string())
    };
    let history = view
        .history
        .iter()
        .map(|h| HistoryView {
            at: due_text(Some(h.at)),
            actor: h.actor.clone(),
            step: step_title(&h.step),
            action: def
                .step(&h.step)
                .and_then(|st| st.actions.get(h.action.as_str()))
                .and_then(|a| a.title.clone())
                .unwrap_or_else(|| zh(&h.action).to_string()),
            comment: h.comment.clone().unwrap_or_default(),
            note: h.note.clone().unwrap_or_default(),
        })
        .collect();
    let active = inst.status == naxian_model::Status::Active;
    // The engine's and the model's own rules, so the buttons show what an action would allow.
    let can_urge = active && naxian_engine::campaigns::may_urge(&w.actor, inst);
    let can_withdraw = active && naxian_model::machine::withdrawal(def, inst, &w.actor.login).is_ok();
    let mut pending = Vec::new();
    for t in view
        .tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Open && !w.actor.holds_task(t))
    {
        let holder = s
            .engine
            .store()
            .org_unit(&t.assignee.unit)
            .await
            .ok()
            .flatten()
            .map(|u| u.name)
            .unwrap_or_default();
        pending.push(PendingView {
            id: t.id.clone(),
            holder,
            due: due_text(t.due_at),
        });
    }
    let attachments = match s.engine.store().attachments(&inst.id).await {
        Ok(list) => list.iter().map(super::attachments::AttachmentView::of).collect(),
        Err(e) => return message_page(s, w, e.into()).await,
    };
    let status_text = match &inst.outcome {
        Some(o) => def
            .end(o)
            .and_then(|e| e.title.clone())
            .unwrap_or_else(|| o.clone()),
        None => format!("{}中", step_title(&inst.step)),
    };
    page(
        status,
        TaskPage {
            nav: Some(nav(s, w, "").await),
            csrf: w.csrf.clone(),
            task_id: task.id.clone(),
            instance_id: inst.id.clone(),
            pending,
            can_urge,
            can_withdraw,
            title: format!("{}：{}", def.title, step_title(&task.step)),
            subject: def.summarize(&inst.data),
            unit,
            status: status_text,
            error,
            notice,
            steps,
            diagram: super::diagram::draw(def, inst.outcome.as_deref().unwrap_or(&inst.step), &visited),
            fields,
            actions,
            history,
            attachments,
            can_attach: naxian_engine::attachments::may_attach(&w.actor, &view),
            accept: super::attachments::accept(),
            max_mib: s.engine.settings().attachment_max_bytes / (1024 * 1024),
        },
    )
}

pub async fn task_page(State(s): State<AppState>, Browser(w): Browser, Path(id): Path<String>) -> Response {
    render_task(&s, &w, &id, StatusCode::OK, None, None).await
}

pub async fn act(
    State(s): State<AppState>,
    headers: HeaderMap,
    Browser(w): Browser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| field(&form, k);
    if !csrf_ok(&headers, &w, get("csrf")) {
        return forbidden();
    }
    let action = get("action").unwrap_or_default().to_string();
    let comment = get("comment")
        .map(str::to_string)
        .filter(|c| !c.trim().is_empty());
    // Values are typed by the field they fill: only integer fields become numbers.
    let kinds = field_kinds(&s, &id, &action).await;
    let mut data = json!({});
    for (k, v) in &form {
        if let Some(field) = k.strip_prefix("data.") {
            if !v.trim().is_empty() {
                let value = match kinds.iter().find(|(f, _)| f == field) {
                    Some((_, FieldType::Integer)) => v
                        .trim()
                        .parse::<i64>()
                        .map(Value::from)
                        .unwrap_or_else(|_| json!(v.trim())),
                    _ => json!(v.trim()),
                };
                set_path(&mut data, field, value);
            }
        }
    }
    let data = (data.as_object().is_some_and(|o| !o.is_empty())).then_some(data);
    match s.engine.act(&w.actor, &id, &action, comment, data).await {
        Ok(_) => render_task(&s, &w, &id, StatusCode::OK, None, Some("已办理。".into())).await,
        Err(EngineError::Invalid { field, problem }) => {
            let label = field_label(&s, &id, &field).await;
            let error = format!("{label}：{}", zh_problem(&problem));
            render_task(&s, &w, &id, StatusCode::BAD_REQUEST, Some(error), None).await
        }
        Err(e) => message_page(&s, &w, e).await,
    }
}

pub struct Cell {
    pub state: &'static str,
    pub text: String,
}

pub struct CoverageLine {
    pub name: String,
    pub county: String,
    pub cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage {
    nav: Option<Nav>,
    root: String,
    root_name: String,
    townships: usize,
    sector_chart: super::charts::BarChart,
    step_chart: super::charts::BarChart,
    overdue_chart: super::charts::BarChart,
    coverage_chart: super::charts::LineChart,
    sectors: Vec<(&'static str, &'static str)>,
    rows: Vec<CoverageLine>,
}

#[derive(Deserialize)]
pub struct UnderQuery {
    under: Option<String>,
}

/// The unit a board or list opens at: the one asked for, else the highest
/// unit the user's grants reach, else (for a global administrator) the province.
pub async fn board_root(s: &AppState, w: &WebSession, under: Option<String>) -> Result<String, EngineError> {
    if let Some(root) = under.or_else(|| {
        w.actor
            .grants
            .iter()
            .min_by_key(|g| g.org_path.len())
            .map(|g| g.org_unit.clone())
    }) {
        return Ok(root);
    }
    s.engine
        .store()
        .units_of_kind(naxian_model::OrgKind::Province)
        .await?
        .into_iter()
        .next()
        .map(|p| p.code)
        .ok_or(EngineError::NotFound(Refusal::NoUnitToShow))
}

pub async fn coverage(
    State(s): State<AppState>,
    Browser(w): Browser,
    axum::extract::Query(q): axum::extract::Query<UnderQuery>,
) -> Response {
    let root = match board_root(&s, &w, q.under).await {
        Ok(r) => r,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let rows = match s.engine.coverage(&w.actor, &root).await {
        Ok(r) => r,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let root_name = s
        .engine
        .store()
        .org_unit(&root)
        .await
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| root.clone());
    let sectors: Vec<(&'static str, &'static str)> = naxian_engine::reports::SECTORS
        .iter()
        .map(|s| (*s, zh(s)))
        .collect();
    let townships: Vec<_> = rows
        .iter()
        .filter(|r| r.unit.kind != naxian_model::OrgKind::County)
        .collect();
    let covered: Vec<(String, usize)> = sectors
        .iter()
        .map(|(sector, label)| {
            (
                label.to_string(),
                townships.iter().filter(|r| r.covered(sector)).count(),
            )
        })
        .collect();
    let figures = match s.engine.board_charts(&w.actor, &root).await {
        Ok(f) => f,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let lines = rows
        .iter()
        .map(|r| CoverageLine {
            name: r.unit.name.clone(),
            county: r.county.clone(),
            cells: sectors
                .iter()
                .map(|(sector, _)| {
                    let state = r.state(sector);
                    let text = match state {
                        "covered" => {
                            let names: Vec<String> = r.members[*sector]
                                .iter()
                                .map(|(n, p)| format!("{n}（{}）", zh(p)))
                                .collect();
                            format!("已覆盖：{}", names.join("、"))
                        }
                        "in_progress" => "推进中".to_string(),
                        _ => "空白".to_string(),
                    };
                    Cell { state, text }
                })
                .collect(),
        })
        .collect();
    page(
        StatusCode::OK,
        CoveragePage {
            nav: Some(nav(&s, &w, "coverage").await),
            root,
            root_name,
            townships: townships.len(),
            sector_chart: super::charts::bars(&covered, townships.len()),
            step_chart: super::charts::bars(&figures.by_step, 0),
            overdue_chart: super::charts::bars(&figures.overdue_by_county, 0),
            coverage_chart: super::charts::lines(&figures.months, &figures.coverage_by_city),
            sectors,
            rows: lines,
        },
    )
}

pub async fn urge(
    State(s): State<AppState>,
    headers: HeaderMap,
    Browser(w): Browser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| field(&form, k).map(str::to_string);
    if !csrf_ok(&headers, &w, get("csrf").as_deref()) {
        return forbidden();
    }
    let back = get("back").unwrap_or_else(|| id.clone());
    match s.engine.urge(&w.actor, &id, None).await {
        Ok(_) => {
            render_task(
                &s,
                &w,
                &back,
                StatusCode::OK,
                None,
                Some("已催办，办理人将收到邮件。".into()),
            )
            .await
        }
        Err(EngineError::TooMany(_)) => {
            render_task(
                &s,
                &w,
                &back,
                StatusCode::TOO_MANY_REQUESTS,
                Some("今天已催办过此事项，请明天再试。".into()),
                None,
            )
            .await
        }
        Err(e) => message_page(&s, &w, e).await,
    }
}

pub async fn withdraw(
    State(s): State<AppState>,
    headers: HeaderMap,
    Browser(w): Browser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| field(&form, k).map(str::to_string);
    if !csrf_ok(&headers, &w, get("csrf").as_deref()) {
        return forbidden();
    }
    let comment = get("comment").filter(|c| !c.trim().is_empty());
    match s.engine.withdraw(&w.actor, &id, comment).await {
        Ok(_) => {
            let back = get("back").unwrap_or_default();
            render_task(&s, &w, &back, StatusCode::OK, None, Some("已撤回。".into())).await
        }
        Err(e) => message_page(&s, &w, e).await,
    }
}

/// The fields an action on a task can fill, with their types.
async fn field_kinds(s: &AppState, task_id: &str, action: &str) -> Vec<(String, FieldType)> {
    let Ok(Some(task)) = s.engine.store().task(task_id).await else {
        return Vec::new();
    };
    let Ok(Some(rec)) = s.engine.store().instance(&task.instance_id).await else {
        return Vec::new();
    };
    let Ok(def) = s
        .engine
        .definition(&rec.instance.workflow, rec.instance.version)
        .await
    else {
        return Vec::new();
    };
    let Some(a) = def.step(&task.step).and_then(|st| st.actions.get(action)) else {
        return Vec::new();
    };
    if a.amend_data {
        def.fields
            .iter()
            .map(|(f, spec)| (f.to_string(), spec.kind))
            .collect()
    } else {
        a.data.iter().map(|(f, spec)| (f.clone(), spec.kind)).collect()
    }
}

pub struct ReportLine {
    pub name: String,
    pub status: &'static str,
    pub status_text: &'static str,
    pub due: String,
    pub submitted: String,
    pub appointed: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    nav: Option<Nav>,
    month: String,
    rows: Vec<ReportLine>,
}

#[derive(Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
}

pub async fn reports(
    State(s): State<AppState>,
    Browser(w): Browser,
    axum::extract::Query(q): axum::extract::Query<MonthQuery>,
) -> Response {
    let month = q
        .month
        .filter(|m| m.len() == 7 && chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_ok())
        .unwrap_or_else(|| naxian_engine::reports::month_of(s.engine.clock().now()));
    let rows = match s.engine.monthly_reports(&w.actor, &month).await {
        Ok(r) => r,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let mut lines = Vec::new();
    for r in rows {
        let link = match &r.instance_id {
            Some(id) => s
                .engine
                .store()
                .tasks_of(id)
                .await
                .ok()
                .and_then(|t| t.last().map(|t| t.id.clone())),
            None => None,
        };
        lines.push(ReportLine {
            name: r.city.name.clone(),
            status: r.status,
            status_text: match r.status {
                "open" => "填报中",
                "overdue" => "逾期未报",
                "submitted" => "已提交",
                "accepted" => "已接收",
                _ => "未生成",
            },
            due: due_text(r.due_at),
            submitted: due_text(r.submitted_at),
            appointed: r.figures["appointments"]["appointed"]
                .as_u64()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            link: link.unwrap_or_default(),
        });
    }
    page(
        StatusCode::OK,
        ReportsPage {
            nav: Some(nav(&s, &w, "reports").await),
            month,
            rows: lines,
        },
    )
}

/// The label of the field an error names (`data.narrative.progress` → 工作进展), or `意见` for the comment.
async fn field_label(s: &AppState, task_id: &str, field: &str) -> String {
    if field == "comment" {
        return "意见".into();
    }
    let path = field.strip_prefix("data.").unwrap_or(field);
    let Ok(Some(task)) = s.engine.store().task(task_id).await else {
        return field.to_string();
    };
    let Ok(Some(rec)) = s.engine.store().instance(&task.instance_id).await else {
        return field.to_string();
    };
    let Ok(def) = s
        .engine
        .definition(&rec.instance.workflow, rec.instance.version)
        .await
    else {
        return field.to_string();
    };
    let from_action = def
        .step(&task.step)
        .and_then(|st| st.actions.values().find_map(|a| a.data.get(path)))
        .and_then(|f| f.label.clone());
    from_action
        .or_else(|| def.fields.get(path).and_then(|f| f.label.clone()))
        .unwrap_or_else(|| field.to_string())
}

pub struct TargetLine {
    pub name: String,
    pub status: &'static str,
    pub status_text: &'static str,
    pub completed: String,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    nav: Option<Nav>,
    title: String,
    due: String,
    remind: String,
    done: usize,
    targets: Vec<TargetLine>,
}

pub async fn campaign(State(s): State<AppState>, Browser(w): Browser, Path(id): Path<String>) -> Response {
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
#[template(path = "campaign_new.html")]
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

pub async fn campaign_form(State(s): State<AppState>, Browser(w): Browser) -> Response {
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

pub async fn campaign_create(
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
