//! 消息 and 抄送我的: what the service told the viewer — new tasks, returns,
//! urges, copies, delegations — newest first, unread ones marked, searchable
//! and paged. Opening one (a POST, so reading is never a side effect of a
//! link) marks it read and goes to its task; opening a task marks its
//! notices read too.

use super::layout::{nav, Nav};
use super::list::{ListQuery, Listed, Paged};
use super::message::message_page;
use super::{page, Browser, Posted};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use naxian_engine::notices::{Notice, NoticeFilter};
use naxian_model::calendar::shanghai;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notices", get(all))
        .route("/notices/unread", get(unread))
        .route("/copies", get(copies))
        .route("/notices/{id}/open", post(open))
        .route("/notices/read-all", post(read_all))
}

pub struct Row {
    pub id: String,
    pub text: String,
    pub subject: String,
    pub comment: String,
    pub at: String,
    pub read: bool,
}

impl Listed for Row {
    fn words(&self) -> Vec<&str> {
        vec![&self.text, &self.subject, &self.comment]
    }
}

#[derive(Template)]
#[template(path = "notices/notices.html")]
struct NoticesPage {
    nav: Option<Nav>,
    csrf: String,
    heading: &'static str,
    /// `all`, `unread` or `copies`: the tab shown.
    tab: &'static str,
    path: &'static str,
    rows: Vec<Row>,
    list: Paged<()>,
    unread: usize,
}

fn row(n: Notice) -> Row {
    Row {
        at: n
            .created_at
            .with_timezone(&shanghai())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        id: n.id,
        text: n.text,
        subject: n.subject,
        comment: n.comment,
        read: n.read,
    }
}

async fn list(
    s: &AppState,
    w: &naxian_engine::sessions::WebSession,
    tab: &'static str,
    q: &ListQuery,
) -> Response {
    let filter = NoticeFilter {
        unread_only: tab == "unread",
        copies_only: tab == "copies",
    };
    let (heading, path) = match tab {
        "unread" => ("未读消息", "/notices/unread"),
        "copies" => ("抄送我的", "/copies"),
        _ => ("消息", "/notices"),
    };
    let result = async {
        let rows: Vec<Row> = s
            .engine
            .notices(&w.actor, filter)
            .await?
            .into_iter()
            .map(row)
            .collect();
        let unread = s.engine.unread_notices(&w.actor).await?;
        Ok::<_, naxian_engine::EngineError>((rows, unread))
    }
    .await;
    match result {
        Ok((rows, unread)) => {
            let (rows, list) = q.apply(rows).split();
            page(
                StatusCode::OK,
                NoticesPage {
                    nav: Some(nav(s, w, "notices").await),
                    csrf: w.csrf.clone(),
                    heading,
                    tab,
                    path,
                    rows,
                    list,
                    unread,
                },
            )
        }
        Err(e) => message_page(s, w, e).await,
    }
}

async fn all(State(s): State<AppState>, Browser(w): Browser, Query(q): Query<ListQuery>) -> Response {
    list(&s, &w, "all", &q).await
}

async fn unread(State(s): State<AppState>, Browser(w): Browser, Query(q): Query<ListQuery>) -> Response {
    list(&s, &w, "unread", &q).await
}

async fn copies(State(s): State<AppState>, Browser(w): Browser, Query(q): Query<ListQuery>) -> Response {
    list(&s, &w, "copies", &q).await
}

/// Reads the notice and goes where it points: its task, the inbox for a
/// delegation (the tasks come there), else back to the list.
async fn open(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { session: w, form: _ }: Posted,
) -> Response {
    match s.engine.open_notice(&w.actor, &id).await {
        Ok(n) => {
            let to = match (&n.task_id, n.kind.as_str()) {
                (Some(task), _) => format!("/tasks/{task}"),
                (None, "delegated") => "/inbox".to_string(),
                (None, _) => "/notices".to_string(),
            };
            Redirect::to(&to).into_response()
        }
        Err(e) => message_page(&s, &w, e).await,
    }
}

async fn read_all(State(s): State<AppState>, Posted { session: w, form: _ }: Posted) -> Response {
    match s.engine.read_all_notices(&w.actor).await {
        Ok(_) => Redirect::to("/notices").into_response(),
        Err(e) => message_page(&s, &w, e).await,
    }
}
