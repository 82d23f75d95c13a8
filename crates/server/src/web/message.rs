//! The message page: what a refused or failed request shows, and the two
//! fixed refusals of a form (a bad token, a control character).

use super::layout::{nav, Nav};
use super::page;
use super::text::{zh_problem, zh_refusal};
use crate::AppState;
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use naxian_engine::sessions::WebSession;
use naxian_engine::EngineError;

#[derive(Template)]
#[template(path = "layout/message.html")]
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

pub fn forbidden() -> Response {
    page(
        StatusCode::FORBIDDEN,
        MessagePage {
            nav: None,
            heading: "无法办理".into(),
            text: "请求未通过安全校验，或您无权访问此页面。".into(),
        },
    )
}

/// What a page tells a person about a refused or failed request, in Chinese.
pub async fn zh_error(s: &AppState, e: &EngineError) -> String {
    let (status, _) = crate::status_of(e);
    match e {
        EngineError::Invalid { field, problem } => format!("{field}：{}", zh_problem(problem)),
        EngineError::Forbidden(r)
        | EngineError::NotFound(r)
        | EngineError::Conflict(r)
        | EngineError::NotAllowed(r)
        | EngineError::TooMany(r) => zh_refusal(r, &s.engine.catalogue().await.unwrap_or_default()),
        _ if status.is_server_error() => match crate::request_log::current() {
            Some(id) if status == StatusCode::INTERNAL_SERVER_ERROR => {
                format!("请稍后再试。如问题持续，请将编号 {id} 告知管理员。")
            }
            _ => "请稍后再试。".to_string(),
        },
        other => other.to_string(),
    }
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
    let text = zh_error(s, &e).await;
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
