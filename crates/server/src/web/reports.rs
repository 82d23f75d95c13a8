//! The monthly progress reports (月报) of the cities, month by month, with
//! their state against the due date before the 25th.

use super::layout::{nav, Nav};
use super::message::message_page;
use super::{page, Browser};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use naxian_engine::notify::due_text;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/reports", get(reports))
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
#[template(path = "reports/reports.html")]
struct ReportsPage {
    nav: Option<Nav>,
    month: String,
    rows: Vec<ReportLine>,
}

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

async fn reports(State(s): State<AppState>, Browser(w): Browser, Query(q): Query<MonthQuery>) -> Response {
    let month = match q
        .month
        .filter(|m| m.len() == 7 && chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_ok())
    {
        Some(m) => m,
        None => match s.engine.current_report_month().await {
            Ok(m) => m,
            Err(e) => return message_page(&s, &w, e).await,
        },
    };
    let rows = match s.engine.monthly_reports(&w.actor, &month).await {
        Ok(r) => r,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let mut lines = Vec::new();
    for r in rows {
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
            link: r.task_id.unwrap_or_default(),
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
