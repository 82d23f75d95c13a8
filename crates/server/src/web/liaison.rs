//! The liaison list (联络表) under a unit: the notice's form (附件1) — a
//! line per city and county association with its responsible leader,
//! department and full-time contact — and every contact with their role,
//! position and phone; as a printable page and, from the same tables, the
//! XLSX/CSV downloads (`liaison`, `contacts`). Reading either is written to
//! the access log, since they show phone numbers whole.

use super::layout::{nav, Nav};
use super::message::message_page;
use super::table::Table;
use super::{page, Browser};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use naxian_engine::sessions::WebSession;
use naxian_engine::EngineError;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/liaison", get(liaison_page))
}

/// The form (附件1) under `under` (by default the viewer's board root).
pub async fn form(s: &AppState, w: &WebSession, under: Option<String>) -> Result<Table, EngineError> {
    let root = s.engine.board_root(&w.actor, under).await?;
    let lines = s.engine.liaison_lines(&w.actor, &root).await?;
    s.engine
        .log_access(&w.actor, None, &format!("liaison list {root}"))
        .await?;
    let join = |people: &[naxian_store::Contact], part: fn(&naxian_store::Contact) -> String| {
        people.iter().map(part).collect::<Vec<_>>().join("、")
    };
    let rows = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            vec![
                (i + 1).to_string(),
                l.unit.name.clone(),
                join(&l.leaders, |c| c.name.clone()),
                join(&l.leaders, |c| c.position.clone().unwrap_or_default()),
                join(&l.leaders, |c| c.phone.clone().unwrap_or_default()),
                join(&l.contacts, |c| c.position.clone().unwrap_or_default()),
                join(&l.contacts, |c| c.name.clone()),
                join(&l.contacts, |c| c.phone.clone().unwrap_or_default()),
                join(&l.contacts, |c| c.email.clone()),
            ]
        })
        .collect();
    Ok(Table {
        title: "“3+1”工作联络表".into(),
        headers: [
            "序号",
            "单位",
            "分管领导",
            "职务",
            "联系电话",
            "责任部门",
            "专职人员",
            "联系电话",
            "电子邮箱",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect(),
        rows,
    })
}

/// Every contact under `under` with their role (by default the viewer's board root).
pub async fn table(s: &AppState, w: &WebSession, under: Option<String>) -> Result<Table, EngineError> {
    let root = s.engine.board_root(&w.actor, under).await?;
    let contacts = s.engine.contacts(&w.actor, &root).await?;
    s.engine
        .log_access(&w.actor, None, &format!("contacts {root}"))
        .await?;
    let catalogue = s.engine.catalogue().await?;
    let rows = contacts
        .into_iter()
        .map(|c| {
            vec![
                c.unit.name,
                c.unit.code,
                catalogue.role_label(c.role.as_str()).to_string(),
                c.name,
                c.position.unwrap_or_default(),
                c.phone.unwrap_or_default(),
                c.email,
            ]
        })
        .collect();
    Ok(Table {
        title: "“3+1”工作联系人".into(),
        headers: [
            "单位",
            "单位代码",
            "职责",
            "姓名",
            "职务或部门",
            "联系电话",
            "电子邮箱",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect(),
        rows,
    })
}

#[derive(Deserialize)]
struct UnderQuery {
    under: Option<String>,
}

#[derive(Template)]
#[template(path = "liaison/liaison.html")]
struct LiaisonPage {
    nav: Option<Nav>,
    form: Table,
    table: Table,
    under: String,
}

async fn liaison_page(
    State(s): State<AppState>,
    Browser(w): Browser,
    Query(q): Query<UnderQuery>,
) -> Response {
    let under = q.under.clone().unwrap_or_default();
    let tables = match form(&s, &w, q.under.clone()).await {
        Ok(f) => table(&s, &w, q.under).await.map(|t| (f, t)),
        Err(e) => Err(e),
    };
    match tables {
        Ok((form, mut table)) => {
            // The page names units; their codes are for the export, which an import reads back.
            if let Some(i) = table.headers.iter().position(|h| h == "单位代码") {
                table.headers.remove(i);
                for row in &mut table.rows {
                    row.remove(i);
                }
            }
            page(
                StatusCode::OK,
                LiaisonPage {
                    nav: Some(nav(&s, &w, "coverage").await),
                    form,
                    table,
                    under,
                },
            )
        }
        Err(e) => message_page(&s, &w, e).await,
    }
}
