//! The administration page: org units with their bodies' terms, users with
//! their role grants, a form for each, and the import of whole sheets (with
//! the templates to fill in). Everything goes through the engine's directory
//! rules, so an administrator acts only within the units they administer.

use super::layout::{nav, Nav};
use super::list::{ListQuery, Listed, Paged};
use super::message::{forbidden, message_page};
use super::table::{Format, Table};
use super::text::{zh_problem, zh_refusal};
use super::{csrf_ok, page, Browser, Posted};
use crate::AppState;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use naxian_engine::import::{read_table, ImportError, Sheet};
use naxian_engine::sessions::WebSession;
use naxian_engine::{EngineError, NewOrgUnit, NewUser};
use naxian_model::directory::{OrgKind, OrgUnit};
use naxian_model::{Capability, Refusal};
use naxian_store::Contact;
use serde::Deserialize;

pub fn router(state: &AppState) -> Router<AppState> {
    let limit = state.engine.settings().attachment_max_bytes + 64 * 1024;
    Router::new()
        .route("/admin", get(admin_page))
        .route("/admin/units", post(create_unit))
        .route("/admin/bodies", post(set_body))
        .route("/admin/seats", post(set_seats))
        .route("/admin/users", post(create_user))
        .route("/admin/grants", post(add_grant))
        .route("/admin/password", post(reset_password))
        .route("/admin/roles", post(put_role))
        .route("/admin/functions", post(put_function))
        .route("/admin/import", post(import).layer(DefaultBodyLimit::max(limit)))
        .route("/admin/templates/{file}", get(template))
}

pub struct UnitLine {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub parent: String,
    pub term: String,
}

pub struct ContactLine {
    pub login: String,
    pub name: String,
    pub role: String,
    pub unit: String,
    pub email: String,
}

/// A role of the catalogue as its form shows it: each capability with
/// whether the role has it.
pub struct RoleLine {
    pub name: String,
    pub label: String,
    pub may: Vec<(&'static str, &'static str, bool)>,
}

pub struct RowErrorLine {
    pub row: usize,
    pub column: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "admin/admin.html")]
struct AdminPage {
    nav: Option<Nav>,
    csrf: String,
    root: String,
    root_name: String,
    /// What the units and users are searched for.
    q: String,
    /// Where each list stands: its search and its page.
    unit_list: Paged<()>,
    user_list: Paged<()>,
    error: Option<String>,
    notice: Option<String>,
    row_errors: Vec<RowErrorLine>,
    sheets: Vec<(&'static str, &'static str)>,
    units: Vec<UnitLine>,
    contacts: Vec<ContactLine>,
    kinds: Vec<(&'static str, &'static str)>,
    functions: Vec<(String, String)>,
    /// (value, label) of each post a body has seats for.
    posts: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    /// The catalogue's forms, for a global administrator only.
    edits_catalogue: bool,
    role_lines: Vec<RoleLine>,
    capabilities: Vec<(&'static str, &'static str)>,
}

/// The unit the page opens at: the one asked for, else the highest unit the
/// user administers, else (global administrator) the province.
async fn admin_root(s: &AppState, w: &WebSession, under: Option<String>) -> Result<String, EngineError> {
    let own = w
        .actor
        .grants_for(Capability::Administer)
        .min_by_key(|g| g.org_path.len())
        .map(|g| g.org_unit.clone());
    s.engine.board_root(&w.actor, under.or(own)).await
}

/// What the page shows after a form: an error, a notice, or an import's bad rows.
#[derive(Default)]
struct Outcome {
    error: Option<String>,
    notice: Option<String>,
    rows: Vec<RowErrorLine>,
}

async fn render(
    s: &AppState,
    w: &WebSession,
    under: Option<String>,
    status: StatusCode,
    o: Outcome,
) -> Response {
    render_found(s, w, under, &Found::default(), status, o).await
}

/// What the lists are asked for: a search through both, and each one's page.
#[derive(Default)]
struct Found {
    q: String,
    units: Option<usize>,
    users: Option<usize>,
}

impl Listed for OrgUnit {
    fn words(&self) -> Vec<&str> {
        vec![&self.code, &self.name]
    }
}

impl Listed for Contact {
    fn words(&self) -> Vec<&str> {
        vec![&self.login, &self.name, &self.unit.name]
    }
}

/// The page with its units and users kept to those whose code, name, login
/// or unit holds `q` (all when empty), each list a page at a time.
async fn render_found(
    s: &AppState,
    w: &WebSession,
    under: Option<String>,
    found: &Found,
    status: StatusCode,
    o: Outcome,
) -> Response {
    if !w.actor.administers_any() {
        return message_page(s, w, EngineError::Forbidden(Refusal::NeedsAdmin)).await;
    }
    let root = match admin_root(s, w, under).await {
        Ok(r) => r,
        Err(e) => return message_page(s, w, e).await,
    };
    let naxian_engine::Administered {
        unit,
        units,
        bodies,
        contacts,
    } = match s.engine.administered(&w.actor, &root).await {
        Ok(x) => x,
        Err(e) => return message_page(s, w, e).await,
    };
    // Each list's links keep the other's page, the search and the unit.
    let kept = |other: &'static str, page: Option<usize>| -> Vec<(&'static str, String)> {
        vec![
            ("under", root.clone()),
            (other, page.map(|p| p.to_string()).unwrap_or_default()),
        ]
    };
    let asked = |page: Option<usize>| ListQuery {
        q: Some(found.q.clone()),
        page,
        ..Default::default()
    };
    let (units, unit_list) = asked(found.units)
        .apply_at(units, "units", "units-", &kept("users", found.users))
        .split();
    let (contacts, user_list) = asked(found.users)
        .apply_at(contacts, "users", "users-", &kept("units", found.units))
        .split();
    let units = units
        .into_iter()
        .map(|u| UnitLine {
            term: bodies
                .iter()
                .find(|(c, _)| *c == u.code)
                .map(|(_, b)| format!("{} 至 {}", b.term_start, b.term_end))
                .unwrap_or_default(),
            kind: u.kind.label(),
            parent: u.parent.unwrap_or_default(),
            code: u.code,
            name: u.name,
        })
        .collect();
    let catalogue = match s.engine.catalogue().await {
        Ok(c) => c,
        Err(e) => return message_page(s, w, e).await,
    };
    let posts = match s.engine.member_vocabulary().await {
        Ok(v) => v.posts().to_vec(),
        Err(e) => return message_page(s, w, e).await,
    };
    let contacts = contacts
        .into_iter()
        .map(|c| ContactLine {
            role: catalogue.role_label(c.role.as_str()).to_string(),
            login: c.login,
            name: c.name,
            unit: c.unit.name,
            email: c.email,
        })
        .collect();
    page(
        status,
        AdminPage {
            nav: Some(nav(s, w, "admin").await),
            csrf: w.csrf.clone(),
            root,
            root_name: unit.name,
            q: unit_list.q.clone(),
            unit_list,
            user_list,
            error: o.error,
            notice: o.notice,
            row_errors: o.rows,
            sheets: Sheet::ALL.iter().map(|s| (s.name(), s.title())).collect(),
            units,
            contacts,
            kinds: OrgKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
            functions: catalogue
                .functions
                .iter()
                .map(|f| (f.name.to_string(), f.label.clone()))
                .collect(),
            posts,
            roles: catalogue
                .roles
                .iter()
                .map(|r| (r.name.to_string(), r.label.clone()))
                .collect(),
            edits_catalogue: w.actor.is_admin,
            role_lines: catalogue
                .roles
                .iter()
                .map(|r| RoleLine {
                    name: r.name.to_string(),
                    label: r.label.clone(),
                    may: Capability::ALL
                        .iter()
                        .map(|c| (c.as_str(), c.label(), r.may.contains(c)))
                        .collect(),
                })
                .collect(),
            capabilities: Capability::ALL.iter().map(|c| (c.as_str(), c.label())).collect(),
        },
    )
}

#[derive(Deserialize)]
struct UnderQuery {
    under: Option<String>,
    /// Set by the redirect after a form done: its notice is in the flash.
    done: Option<String>,
    q: Option<String>,
    /// The page of units, and of users, shown.
    units: Option<usize>,
    users: Option<usize>,
}

/// What a form done leaves for the page it redirects to.
#[derive(serde::Serialize, serde::Deserialize)]
struct Done {
    notice: String,
}

async fn admin_page(State(s): State<AppState>, Browser(w): Browser, Query(q): Query<UnderQuery>) -> Response {
    let notice = match q.done {
        Some(_) => s
            .engine
            .take_flash::<Done>(&w)
            .await
            .ok()
            .flatten()
            .map(|d| d.notice),
        None => None,
    };
    let outcome = Outcome {
        notice,
        ..Default::default()
    };
    let found = Found {
        q: q.q.unwrap_or_default(),
        units: q.units,
        users: q.users,
    };
    render_found(&s, &w, q.under, &found, StatusCode::OK, outcome).await
}

/// A form done: back to the page by a redirect (a refresh sends nothing
/// again), which shows the notice.
async fn done(s: &AppState, w: &WebSession, notice: String) -> Response {
    match s.engine.put_flash(w, &Done { notice }).await {
        Ok(()) => Redirect::to("/admin?done=1").into_response(),
        Err(e) => message_page(s, w, e).await,
    }
}

/// A form's result as the page shows it: the engine's message in Chinese,
/// with the field it names.
async fn after(s: &AppState, w: &WebSession, result: Result<String, EngineError>) -> Response {
    match result {
        Ok(notice) => done(s, w, notice).await,
        Err(EngineError::Invalid { field, problem }) => {
            let error = Some(format!("{}：{}", field_label(&field), zh_problem(&problem)));
            render(
                s,
                w,
                None,
                StatusCode::BAD_REQUEST,
                Outcome {
                    error,
                    ..Default::default()
                },
            )
            .await
        }
        Err(EngineError::Conflict(r) | EngineError::NotFound(r)) => {
            let error = Some(zh_refusal(&r, &s.engine.catalogue().await.unwrap_or_default()));
            render(
                s,
                w,
                None,
                StatusCode::CONFLICT,
                Outcome {
                    error,
                    ..Default::default()
                },
            )
            .await
        }
        Err(e) => message_page(s, w, e).await,
    }
}

fn field_label(field: &str) -> &str {
    Sheet::ALL
        .iter()
        .flat_map(|s| s.columns())
        .find(|c| c.key == field)
        .map(|c| c.header)
        .unwrap_or(match field {
            "role" => "角色",
            "org_unit" => "单位代码",
            "name" => "名称",
            "label" => "显示名称",
            "may" => "可以",
            other => other,
        })
}

/// A form field's value, trimmed; empty when absent.
fn value<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    super::form::field(form, name).map(str::trim).unwrap_or("")
}

fn optional(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_string())
}

async fn create_unit(State(s): State<AppState>, Posted { session: w, form: f }: Posted) -> Response {
    let req = NewOrgUnit {
        code: value(&f, "code").into(),
        name: value(&f, "name").into(),
        kind: value(&f, "kind").into(),
        parent: optional(value(&f, "parent")),
        function: optional(value(&f, "function")),
    };
    let result = s.engine.create_org_unit(&w.actor, req).await;
    after(&s, &w, result.map(|u| format!("已新建单位“{}”。", u.name))).await
}

async fn set_body(State(s): State<AppState>, Posted { session: w, form: f }: Posted) -> Response {
    let code = value(&f, "org_unit");
    let congress = optional(value(&f, "congress_date"));
    let result = s
        .engine
        .set_body(
            &w.actor,
            code,
            value(&f, "term_start"),
            value(&f, "term_end"),
            congress.as_deref(),
        )
        .await;
    after(
        &s,
        &w,
        result.map(|b| format!("已设置 {code} 的届期：{} 至 {}。", b.term_start, b.term_end)),
    )
    .await
}

async fn set_seats(State(s): State<AppState>, Posted { session: w, form: f }: Posted) -> Response {
    let code = value(&f, "org_unit");
    let count = |field: &str, v: &str| {
        v.parse::<u32>()
            .map_err(|_| EngineError::invalid(field, naxian_model::Problem::NotInteger))
    };
    let mut posts = std::collections::BTreeMap::new();
    let mut result = Ok(());
    for (name, v) in f.iter().filter(|(_, v)| !v.trim().is_empty()) {
        if let Some(post) = name.strip_prefix("seats.") {
            match count(name, v.trim()) {
                Ok(n) => {
                    posts.insert(post.to_string(), n);
                }
                Err(e) => result = Err(e),
            }
        }
    }
    let target = optional(value(&f, "chief_target"))
        .map(|t| count("chief_target", &t))
        .transpose();
    let result = match (result, target) {
        (Ok(()), Ok(target)) => s.engine.set_seats(&w.actor, code, posts, target).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    after(
        &s,
        &w,
        result.map(|p| format!("已设置 {code} 的席位：共 {} 席。", p.total())),
    )
    .await
}

async fn create_user(State(s): State<AppState>, Posted { session: w, form: f }: Posted) -> Response {
    let req = NewUser {
        login: value(&f, "login").into(),
        name: value(&f, "name").into(),
        email: value(&f, "email").into(),
        password: value(&f, "password").into(),
        is_admin: false,
        phone: Some(value(&f, "phone").into()),
        position: Some(value(&f, "position").into()),
    };
    let result = s.engine.create_user(Some(&w.actor), req).await;
    after(
        &s,
        &w,
        result.map(|u| format!("已新建用户 {}，请授予角色。", u.login)),
    )
    .await
}

/// 重置密码: the user must change it when they next sign in.
async fn reset_password(State(s): State<AppState>, Posted { session: w, form: f }: Posted) -> Response {
    let login = value(&f, "login");
    let result = s
        .engine
        .reset_password(&w.actor, login, value(&f, "password"))
        .await;
    let name = s
        .engine
        .names_of(&[login])
        .await
        .ok()
        .and_then(|m| m.get(login).cloned())
        .unwrap_or_default();
    after(
        &s,
        &w,
        result.map(|()| format!("已重置{name}的密码，其下次登录时须先修改密码。")),
    )
    .await
}

async fn add_grant(State(s): State<AppState>, Posted { session: w, form: f }: Posted) -> Response {
    let (login, role, unit) = (value(&f, "login"), value(&f, "role"), value(&f, "org_unit"));
    let result = s.engine.add_grant(&w.actor, login, role, unit).await;
    after(
        &s,
        &w,
        result.map(|g| format!("已授权：{}在{}担任{}。", g.name, g.unit_name, g.role)),
    )
    .await
}

/// `POST /admin/roles`: a role added, or its label and capabilities changed.
async fn put_role(State(s): State<AppState>, Posted { session: w, form: f }: Posted) -> Response {
    let input = naxian_engine::catalogue::RoleInput {
        label: value(&f, "label").into(),
        may: f
            .iter()
            .filter(|(k, _)| k == "may")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    let result = s.engine.put_role(&w.actor, value(&f, "name"), input).await;
    after(&s, &w, result.map(|r| format!("已保存角色“{}”。", r.label))).await
}

/// `POST /admin/functions`: a department function added or relabelled.
async fn put_function(State(s): State<AppState>, Posted { session: w, form: f }: Posted) -> Response {
    let result = s
        .engine
        .put_function(&w.actor, value(&f, "name"), value(&f, "label"))
        .await;
    after(&s, &w, result.map(|f| format!("已保存部门职能“{}”。", f.label))).await
}

/// `POST /admin/import`: a sheet, all of it or none.
async fn import(
    State(s): State<AppState>,
    headers: HeaderMap,
    Browser(w): Browser,
    mp: Multipart,
) -> Response {
    let upload = match crate::upload::read(mp, "file").await {
        Ok(u) => u,
        Err(e) => return (e.status, "上传内容无法读取或过大").into_response(),
    };
    if !csrf_ok(&headers, &w, upload.field("csrf")) {
        return forbidden();
    }
    if !w.actor.administers_any() {
        return message_page(&s, &w, EngineError::Forbidden(Refusal::NeedsAdmin)).await;
    }
    let Some(sheet) = upload.field("sheet").and_then(Sheet::from_name) else {
        return after(
            &s,
            &w,
            Err(EngineError::invalid(
                "sheet",
                naxian_model::Problem::NotOneOf {
                    choices: vec!["org_units".into(), "bodies".into(), "users".into()],
                },
            )),
        )
        .await;
    };
    let (_, bytes) = upload.file.unwrap_or_default();
    let result = match read_table(&bytes) {
        Ok(table) => s.engine.import(&w.actor, sheet, &table, &|_, _, _| {}).await,
        Err(e) => Err(e),
    };
    let fail = |error: String, rows: Vec<RowErrorLine>| Outcome {
        error: Some(error),
        rows,
        ..Default::default()
    };
    match result {
        Ok(r) => {
            let notice = format!(
                "已导入：单位 {} 个，届期 {} 个，用户 {} 个，角色 {} 项，成员 {} 名。",
                r.units, r.bodies, r.users, r.grants, r.members
            );
            done(&s, &w, notice).await
        }
        Err(ImportError::Rows(rows)) => {
            let lines = rows
                .into_iter()
                .map(|e| RowErrorLine {
                    row: e.row,
                    column: field_label(&e.field).to_string(),
                    message: e.problem.as_ref().map(zh_problem).unwrap_or(e.message),
                })
                .collect();
            let error = format!("“{}”表有误，未导入任何数据。", sheet.title());
            render(&s, &w, None, StatusCode::BAD_REQUEST, fail(error, lines)).await
        }
        Err(ImportError::Unreadable(m)) => {
            let error = format!("文件无法读取（请上传 Excel .xlsx 或 UTF-8 编码的 CSV）：{m}");
            render(&s, &w, None, StatusCode::BAD_REQUEST, fail(error, Vec::new())).await
        }
        Err(ImportError::Engine(e)) => after(&s, &w, Err(e)).await,
    }
}

/// `GET /admin/templates/{sheet}.{csv|xlsx}`: the headers and one example row.
async fn template(State(s): State<AppState>, Browser(w): Browser, Path(file): Path<String>) -> Response {
    if !w.actor.administers_any() {
        return message_page(&s, &w, EngineError::Forbidden(Refusal::NeedsAdmin)).await;
    }
    let parsed = file
        .rsplit_once('.')
        .and_then(|(name, ext)| Some((Sheet::from_name(name)?, Format::from_extension(ext)?)));
    let Some((sheet, format)) = parsed else {
        return message_page(&s, &w, EngineError::NotFound(Refusal::NoTemplate)).await;
    };
    Table {
        title: format!("{}导入模板", sheet.title()),
        headers: sheet.columns().iter().map(|c| c.header.to_string()).collect(),
        rows: vec![sheet.columns().iter().map(|c| c.example.to_string()).collect()],
    }
    .download(format)
}
