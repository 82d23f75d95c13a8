//! The published page (/published): what the province released (典型案例
//! and any other workflow's instances that ended at a publishing end), for
//! every signed-in user, with their data and files; and the rankings
//! published (总结评估).

use super::layout::{nav, Nav};
use super::message::message_page;
use super::task::{data_views, AttachmentView, DataView};
use super::{page, Browser};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use naxian_engine::notify::due_text;

pub fn router() -> Router<AppState> {
    Router::new().route("/published", get(published_page))
}

struct Case {
    workflow: String,
    subject: String,
    unit: String,
    at: String,
    fields: Vec<DataView>,
    files: Vec<AttachmentView>,
}

#[derive(Template)]
#[template(path = "published/published.html")]
struct PublishedPage {
    nav: Option<Nav>,
    cases: Vec<Case>,
    /// The rankings published (总结评估), newest first.
    rankings: Vec<super::table::Table>,
}

async fn published_page(State(s): State<AppState>, Browser(w): Browser) -> Response {
    let list = match s.engine.published(&w.actor).await {
        Ok(l) => l,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let rankings = match s.engine.published_rankings(&w.actor).await {
        Ok(r) => r.iter().map(super::ranking::table).collect(),
        Err(e) => return message_page(&s, &w, e).await,
    };
    let cases = list
        .iter()
        .map(|p| Case {
            workflow: p.definition.title.clone(),
            subject: p.definition.summarize(&p.instance.data, &p.unit_name),
            unit: p.unit_name.clone(),
            at: due_text(Some(p.instance.updated_at)),
            fields: data_views(&p.definition, &p.instance.data, &p.unit_name),
            files: p.attachments.iter().map(AttachmentView::of).collect(),
        })
        .collect();
    page(
        StatusCode::OK,
        PublishedPage {
            nav: Some(nav(&s, &w, "published").await),
            cases,
            rankings,
        },
    )
}
