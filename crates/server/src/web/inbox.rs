//! The inbox (待办) and the done list (已办): the viewer's tasks, one query
//! whatever their number.

use super::layout::{nav, Nav};
use super::{page, Browser};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use naxian_engine::notify::due_text;
use naxian_engine::sessions::WebSession;
use naxian_engine::EngineError;
use naxian_model::TaskStatus;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(inbox))
        .route("/done", get(done))
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
#[template(path = "inbox/inbox.html")]
pub struct InboxPage {
    pub nav: Option<Nav>,
    pub heading: &'static str,
    pub empty: &'static str,
    pub rows: Vec<Row>,
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

async fn inbox(State(s): State<AppState>, Browser(w): Browser) -> Response {
    task_list(&s, &w, TaskStatus::Open).await
}

async fn done(State(s): State<AppState>, Browser(w): Browser) -> Response {
    task_list(&s, &w, TaskStatus::Done).await
}
