//! The inbox (待办) and the done list (已办): the viewer's tasks, one query
//! whatever their number.

use super::form::field;
use super::layout::{nav, Nav};
use super::list::{ListQuery, Paged};
use super::message::message_page;
use super::{page, Browser, Posted};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use naxian_engine::notify::due_text;
use naxian_engine::sessions::WebSession;
use naxian_engine::EngineError;
use naxian_model::TaskStatus;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(inbox))
        .route("/inbox/batch", post(batch))
        .route("/done", get(done))
}

pub struct Row {
    pub id: String,
    /// The workflow's name, for the filter.
    pub workflow: String,
    pub title: String,
    /// The step the task (or the instance) stands at, for the filter.
    pub step: String,
    pub subject: String,
    pub unit: String,
    pub due: String,
    pub overdue: bool,
    pub done_action: String,
    /// Why the nomination came back to its creator (退回): who, and their opinion; empty otherwise.
    pub sent_back: String,
    /// The action a batch takes on this task (`agree`), and its title; empty when none.
    pub batch: String,
    pub batch_title: String,
}

impl super::list::Listed for Row {
    fn words(&self) -> Vec<&str> {
        vec![&self.title, &self.subject, &self.unit, &self.sent_back]
    }
    fn workflow(&self) -> &str {
        &self.workflow
    }
    fn overdue(&self) -> bool {
        self.overdue
    }
    fn step(&self) -> &str {
        &self.step
    }
    fn unit(&self) -> &str {
        &self.unit
    }
}

/// One task's answer to a batch, as the page lists it (kept in the flash
/// between the batch's POST and the inbox it redirects to).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct BatchLine {
    pub title: String,
    pub subject: String,
    /// 已办理, or why not.
    pub result: String,
    pub done: bool,
}

#[derive(Template)]
#[template(path = "inbox/inbox.html")]
pub struct InboxPage {
    pub nav: Option<Nav>,
    pub heading: &'static str,
    pub empty: &'static str,
    pub rows: Vec<Row>,
    /// Where the list stands: its search, filters and page.
    pub list: super::list::Paged<()>,
    /// What the filters offer: the workflows, steps and units of the rows.
    pub choices: Choices,
    /// The page's own path, for the search form and the paging links.
    pub path: &'static str,
    pub csrf: String,
    /// Some row offers a batch action: the page shows the batch form.
    pub batchable: bool,
    /// The answers of the batch just taken, one per chosen task.
    pub results: Vec<BatchLine>,
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
            workflow: item.row.workflow.clone(),
            step: item.title.clone(),
            title: match (&item.asked_by, &item.on_behalf_of, &item.done_by_delegate) {
                (Some(asker), _, _) => format!("{}（{asker}加签）", item.title),
                (None, Some((_, name)), _) => format!("{}（代 {name}）", item.title),
                (None, None, Some(delegate)) => format!("{}（{delegate}代办）", item.title),
                (None, None, None) => item.title,
            },
            subject: item.summary,
            sent_back: item
                .sent_back
                .map(|(by, how, reason)| format!("{by}{how}：{reason}"))
                .unwrap_or_default(),
            unit: item.row.unit_name,
            done_action: item.done_action.unwrap_or_default(),
            batch_title: item
                .batch_action
                .as_ref()
                .map(|a| a.1.clone())
                .unwrap_or_default(),
            batch: item.batch_action.map(|a| a.0).unwrap_or_default(),
        })
        .collect())
}

async fn task_list(s: &AppState, w: &WebSession, status: TaskStatus, q: &ListQuery) -> Response {
    task_list_with(s, w, status, q, Vec::new()).await
}

/// What a task list's filters offer: only values its rows have.
#[derive(Default)]
pub struct Choices {
    /// (name, title) of the workflows the rows come from.
    pub workflows: Vec<(String, String)>,
    /// The steps the rows stand at, by title.
    pub steps: Vec<String>,
    /// The units the rows are about, by name.
    pub units: Vec<String>,
}

/// The rows a list's query keeps, one page of them, and what the filters
/// offer (taken from all the rows, so a choice made stays on offer).
pub async fn listed(s: &AppState, rows: Vec<Row>, q: &ListQuery) -> (Vec<Row>, Paged<()>, Choices) {
    let all = s.engine.workflows().await.unwrap_or_default();
    let choices = Choices {
        workflows: all
            .iter()
            .filter(|w| rows.iter().any(|r| r.workflow == w.name))
            .map(|w| (w.name.clone(), w.title.clone()))
            .collect(),
        steps: super::list::choices(&rows, |r| &r.step),
        units: super::list::choices(&rows, |r| &r.unit),
    };
    let (rows, list) = q.apply(rows).split();
    (rows, list, choices)
}

async fn task_list_with(
    s: &AppState,
    w: &WebSession,
    status: TaskStatus,
    q: &ListQuery,
    results: Vec<BatchLine>,
) -> Response {
    let (current, heading, empty, path) = match status {
        TaskStatus::Open => ("inbox", "待办", "暂无待办事项。", "/inbox"),
        _ => ("done", "已办", "暂无已办事项。", "/done"),
    };
    match task_rows(s, w, status).await {
        Ok(rows) => {
            let (rows, list, choices) = listed(s, rows, q).await;
            page(
                StatusCode::OK,
                InboxPage {
                    nav: Some(nav(s, w, current).await),
                    heading,
                    empty,
                    batchable: rows.iter().any(|r| !r.batch.is_empty()),
                    rows,
                    list,
                    choices,
                    path,
                    csrf: w.csrf.clone(),
                    results,
                },
            )
        }
        Err(e) => message_page(s, w, e).await,
    }
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

/// 待办; after a batch (`?done=batch`), with what became of each task.
async fn inbox(
    State(s): State<AppState>,
    Browser(w): Browser,
    Query(q): Query<ListQuery>,
    Query(done): Query<Done>,
) -> Response {
    let results = match done.done.as_deref() {
        Some("batch") => s.engine.take_flash(&w).await.ok().flatten().unwrap_or_default(),
        _ => Vec::new(),
    };
    task_list_with(&s, &w, TaskStatus::Open, &q, results).await
}

async fn done(State(s): State<AppState>, Browser(w): Browser, Query(q): Query<ListQuery>) -> Response {
    task_list(&s, &w, TaskStatus::Done, &q).await
}

/// 批量: the chosen tasks (`task` = `ID|ACTION`), each with its own batch
/// action and the one opinion, each its own transaction; the inbox then
/// lists what became of each.
async fn batch(State(s): State<AppState>, Posted { session: w, form }: Posted) -> Response {
    let comment = field(&form, "comment")
        .map(str::to_string)
        .filter(|c| !c.trim().is_empty());
    let chosen: Vec<(&str, &str)> = form
        .iter()
        .filter(|(k, _)| k == "task")
        .filter_map(|(_, v)| v.split_once('|'))
        .collect();
    let before = s
        .engine
        .inbox(&w.actor, TaskStatus::Open)
        .await
        .unwrap_or_default();
    let mut results = Vec::new();
    if chosen.is_empty() {
        results.push(BatchLine {
            title: "批量办理".into(),
            subject: String::new(),
            result: "请先勾选要办理的事项。".into(),
            done: false,
        });
    }
    // One batch per action: rows of several workflows may be chosen together.
    let mut actions: Vec<&str> = chosen.iter().map(|(_, a)| *a).collect();
    actions.sort_unstable();
    actions.dedup();
    for action in actions {
        let ids: Vec<String> = chosen
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(id, _)| id.to_string())
            .collect();
        let answers: Vec<Result<(), String>> =
            match s.engine.act_batch(&w.actor, &ids, action, comment.clone()).await {
                Ok(answers) => {
                    let mut out = Vec::with_capacity(answers.len());
                    for a in answers {
                        out.push(match a {
                            Ok(_) => Ok(()),
                            Err(e) => Err(super::message::zh_error(&s, &e).await),
                        });
                    }
                    out
                }
                Err(e) => {
                    let text = super::message::zh_error(&s, &e).await;
                    ids.iter().map(|_| Err(text.clone())).collect()
                }
            };
        for (id, answer) in ids.iter().zip(answers) {
            let item = before.iter().find(|i| &i.row.task.id == id);
            results.push(BatchLine {
                title: item.map(|i| i.title.clone()).unwrap_or_else(|| "事项".into()),
                subject: item.map(|i| i.summary.clone()).unwrap_or_default(),
                done: answer.is_ok(),
                result: answer.err().unwrap_or_else(|| "已办理".into()),
            });
        }
    }
    match s.engine.put_flash(&w, &results).await {
        Ok(()) => Redirect::to("/inbox?done=batch").into_response(),
        Err(e) => message_page(&s, &w, e).await,
    }
}
