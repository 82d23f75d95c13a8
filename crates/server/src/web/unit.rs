//! A unit's page (/units/{code}): its body and term, the current members
//! with the chiefs marked and where each came from, and its current facts
//! (the last accepted 普查: what it lacks, its membership), for an
//! administrator or one whose grant covers the unit.

use super::layout::{nav, Nav};
use super::message::message_page;
use super::{page, Browser};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().route("/units/{code}", get(unit_page))
}

struct MemberLine {
    name: String,
    sector: String,
    post: String,
    mode: String,
    since: String,
    chief: bool,
    employer: String,
    source: &'static str,
}

#[derive(Template)]
#[template(path = "unit/unit.html")]
struct UnitPage {
    nav: Option<Nav>,
    name: String,
    term: String,
    members: Vec<MemberLine>,
    /// (post, seats, filled, free) of each post of the plan.
    seats: Vec<(String, u32, u32, u32)>,
    /// 三长 2 / 目标 3, when the plan sets a target.
    chief_target: String,
    lacks: Vec<String>,
    figures: Vec<(String, i64)>,
    facts_as_of: String,
}

async fn unit_page(State(s): State<AppState>, Browser(w): Browser, Path(code): Path<String>) -> Response {
    let naxian_engine::UnitDetail {
        unit,
        body,
        members,
        seats,
    } = match s.engine.org_unit(&w.actor, &code).await {
        Ok(v) => v,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let vocabulary = match s.engine.member_vocabulary().await {
        Ok(v) => v,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let facts = match s.engine.unit_facts_under(&unit.path).await {
        Ok(mut f) => f.remove(&unit.code).unwrap_or_default(),
        Err(e) => return message_page(&s, &w, e).await,
    };
    let term = match &body {
        Some(b) => {
            let mut t = format!("本届 {} 至 {}", b.term_start, b.term_end);
            if let Some(c) = b.congress_date {
                t.push_str(&format!("，换届大会 {c}"));
            }
            t
        }
        None => "尚未登记领导机构".into(),
    };
    let members: Vec<MemberLine> = members
        .iter()
        .map(|m| MemberLine {
            name: m.member.name.clone(),
            sector: vocabulary.label(&m.member.sector).to_string(),
            post: vocabulary.label(&m.member.post).to_string(),
            mode: vocabulary.label(&m.member.mode).to_string(),
            since: m.member.since.to_string(),
            chief: m.member.chief,
            employer: m.member.employer.clone().unwrap_or_default(),
            source: if m.source() == "appointment" {
                "提名任职"
            } else {
                "录入"
            },
        })
        .collect();
    let chiefs = members.iter().filter(|m| m.chief).count();
    let (seat_lines, chief_target) = match &seats {
        Some((plan, uses)) => (
            uses.iter()
                .map(|u| (vocabulary.label(&u.post).to_string(), u.seats, u.filled, u.free()))
                .collect(),
            plan.chief_target
                .map(|t| format!("现任“三长” {chiefs} 人，目标 {t} 人"))
                .unwrap_or_default(),
        ),
        None => (Vec::new(), String::new()),
    };
    page(
        StatusCode::OK,
        UnitPage {
            seats: seat_lines,
            chief_target,
            nav: Some(nav(&s, &w, "coverage").await),
            name: unit.name.clone(),
            term,
            members,
            lacks: facts.lacks,
            figures: facts.figures,
            facts_as_of: naxian_engine::notify::due_text(facts.as_of),
        },
    )
}
