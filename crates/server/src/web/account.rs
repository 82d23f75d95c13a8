//! 我的账户: the signed-in user's own settings — contact details, password,
//! common phrases (常用意见), and their delegation
//! while away (代理): whom, from when to when, for which workflows, and
//! ending it; and the people they stand in for. Every form redirects back.

use super::form::field;
use super::layout::{nav, Nav};
use super::message::message_page;
use super::text::zh_problem;
use super::{page, Browser, Posted};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use naxian_engine::delegations::DelegationRequest;
use naxian_engine::sessions::WebSession;
use naxian_engine::EngineError;
use naxian_model::calendar::shanghai;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(account_page))
        .route("/account/delegation", post(set_delegation))
        .route("/account/delegation/end", post(end_delegation))
        .route("/account/password", post(change_password))
        .route("/account/contact", post(set_contact))
        .route("/account/phrases", post(set_phrases))
}

/// A delegation as the page says it.
pub struct DelegationLine {
    pub who: String,
    pub from: String,
    pub until: String,
    /// The workflows' titles, or 全部事项.
    pub workflows: String,
}

#[derive(Template)]
#[template(path = "account/account.html")]
struct AccountPage {
    nav: Option<Nav>,
    csrf: String,
    name: String,
    error: Option<String>,
    notice: Option<String>,
    /// The viewer's own delegation, if any.
    mine: Option<DelegationLine>,
    /// Whom the viewer stands in for now.
    for_others: Vec<DelegationLine>,
    /// (login, name) of those who may be named.
    colleagues: Vec<(String, String)>,
    /// (name, title) of every workflow.
    workflows: Vec<(String, String)>,
    today: String,
    /// An administrator set the password: it must be changed first.
    must_change: bool,
    email: String,
    phone: String,
    digest: bool,
    /// The common phrases (常用意见), one a line.
    phrases: String,
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

fn day(t: DateTime<Utc>) -> String {
    t.with_timezone(&shanghai()).format("%Y-%m-%d").to_string()
}

async fn render(
    s: &AppState,
    w: &WebSession,
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let result: Result<AccountPage, EngineError> = async {
        let me = s.engine.own_record(&w.actor).await?;
        let all = s.engine.workflows().await?;
        let titles = |names: Option<Vec<String>>| async move {
            match names {
                None => Ok::<String, EngineError>("全部事项".to_string()),
                Some(list) => Ok(s.engine.workflow_titles(&list).await?.join("、")),
            }
        };
        let name_of = |login: String| async move {
            s.engine
                .names_of(&[login.as_str()])
                .await
                .map(|m| m.get(&login).cloned().unwrap_or(login))
        };
        let mine = match s.engine.delegation(&w.actor, &w.actor.login).await? {
            Some(d) => Some(DelegationLine {
                who: name_of(d.delegate.clone()).await?,
                from: day(d.from),
                until: day(d.until),
                workflows: titles(d.workflows.clone()).await?,
            }),
            None => None,
        };
        let mut for_others = Vec::new();
        for d in s.engine.delegations_to(&w.actor).await? {
            for_others.push(DelegationLine {
                who: name_of(d.login.clone()).await?,
                from: day(d.from),
                until: day(d.until),
                workflows: titles(d.workflows.clone()).await?,
            });
        }
        Ok(AccountPage {
            nav: Some(nav(s, w, "account").await),
            csrf: w.csrf.clone(),
            name: w.actor.name.clone(),
            error,
            notice,
            mine,
            for_others,
            colleagues: s.engine.colleagues(&w.actor).await?,
            workflows: all.iter().map(|w| (w.name.clone(), w.title.clone())).collect(),
            today: day(s.engine.clock().now()),
            must_change: w.must_change_password,
            email: me.email.clone(),
            phone: me.phone.clone().unwrap_or_default(),
            digest: me.digest,
            phrases: s.engine.phrases(&w.actor, &w.actor.login).await?.join("\n"),
        })
    }
    .await;
    match result {
        Ok(p) => page(status, p),
        Err(e) => message_page(s, w, e).await,
    }
}

async fn account_page(State(s): State<AppState>, Browser(w): Browser, Query(q): Query<Done>) -> Response {
    let notice = match q.done.as_deref() {
        Some("delegated") => Some("已设置委托代理，代理人将收到邮件通知。".to_string()),
        Some("ended") => Some("已结束委托代理。".to_string()),
        Some("password") => Some("密码已修改。".to_string()),
        Some("contact") => Some("联系方式已保存。".to_string()),
        Some("phrases") => Some("常用意见已保存。".to_string()),
        _ => None,
    };
    render(&s, &w, StatusCode::OK, None, notice).await
}

async fn set_delegation(State(s): State<AppState>, Posted { session: w, form }: Posted) -> Response {
    let get = |k: &str| field(&form, k).unwrap_or_default().to_string();
    let chosen: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "workflow")
        .map(|(_, v)| v.clone())
        .collect();
    let req = DelegationRequest {
        delegate: get("delegate"),
        from: get("from"),
        until: get("until"),
        // No box ticked: every workflow.
        workflows: (!chosen.is_empty()).then_some(chosen),
    };
    let login = w.actor.login.clone();
    let result = s.engine.set_delegation(&w.actor, &login, req).await.map(|_| ());
    let label = |field: &str| match field {
        "delegate" => "代理人",
        "from" => "开始日期",
        "until" => "结束日期",
        _ => "事项范围",
    };
    answered(&s, &w, result, "delegated", label).await
}

async fn end_delegation(State(s): State<AppState>, Posted { session: w, form: _ }: Posted) -> Response {
    let login = w.actor.login.clone();
    match s.engine.end_delegation(&w.actor, &login).await {
        Ok(()) => Redirect::to("/account?done=ended").into_response(),
        Err(e) => message_page(&s, &w, e).await,
    }
}

/// 修改密码: the current password, then the new one twice.
async fn change_password(State(s): State<AppState>, Posted { session: w, form }: Posted) -> Response {
    let get = |k: &str| field(&form, k).unwrap_or_default().to_string();
    let (current, new) = (get("current_password"), get("new_password"));
    if new != get("repeat_password") {
        let error = "再次输入新密码：两次输入的新密码不一致".to_string();
        return render(&s, &w, StatusCode::BAD_REQUEST, Some(error), None).await;
    }
    let result = s.engine.change_password(&w.actor, &current, &new).await;
    let label = |field: &str| {
        if field == "current_password" {
            "当前密码"
        } else {
            "新密码"
        }
    };
    answered(&s, &w, result, "password", label).await
}

/// 联系方式: e-mail, phone and the daily digest of open tasks.
async fn set_contact(State(s): State<AppState>, Posted { session: w, form }: Posted) -> Response {
    let get = |k: &str| field(&form, k).unwrap_or_default().to_string();
    let digest = field(&form, "digest").is_some();
    let result = s
        .engine
        .set_contact(&w.actor, &get("email"), &get("phone"), digest)
        .await;
    let label = |field: &str| {
        if field == "phone" {
            "手机或电话"
        } else {
            "电子邮箱"
        }
    };
    answered(&s, &w, result, "contact", label).await
}

/// 常用意见: one a line; blank lines are no phrase.
async fn set_phrases(State(s): State<AppState>, Posted { session: w, form }: Posted) -> Response {
    let texts: Vec<String> = field(&form, "phrases")
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let login = w.actor.login.clone();
    let result = s.engine.set_phrases(&w.actor, &login, &texts).await.map(|_| ());
    answered(&s, &w, result, "phrases", |_| "常用意见").await
}

/// What a form of the account page answers: back to the page by a redirect
/// saying what was done, or the page again with the field at fault in words.
async fn answered(
    s: &AppState,
    w: &WebSession,
    result: Result<(), EngineError>,
    done: &str,
    label: impl Fn(&str) -> &'static str,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/account?done={done}")).into_response(),
        Err(EngineError::Invalid { field, problem }) => {
            let error = format!("{}：{}", label(&field), zh_problem(&problem));
            render(s, w, StatusCode::BAD_REQUEST, Some(error), None).await
        }
        Err(e) => message_page(s, w, e).await,
    }
}
