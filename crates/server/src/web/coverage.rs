//! The coverage board (挂图作战): every county and township under a unit
//! with its chiefs by sector, grouped by county and filterable by name and
//! state (a card per unit on a phone), and the board's charts.

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
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/coverage", get(coverage))
}

pub struct Cell {
    pub state: &'static str,
    pub text: String,
}

pub struct CoverageLine {
    /// The first row of its county's group: the group's heading (the
    /// city's and the county's names) goes before it.
    pub group: Option<String>,
    pub city: String,
    pub code: String,
    pub name: String,
    pub county: String,
    pub cells: Vec<Cell>,
    /// What the newest accepted facts table (普查) says the unit lacks.
    pub lacks: Vec<String>,
    /// Its figures: 个人会员 120 · 科技工作者 300.
    pub figures: String,
    /// 已任 12 / 19 席 · 空缺 7, and the chiefs against their target.
    pub seats: String,
}

#[derive(Template)]
#[template(path = "coverage/coverage.html")]
struct CoveragePage {
    nav: Option<Nav>,
    root: String,
    root_name: String,
    townships: usize,
    sector_chart: super::charts::BarChart,
    step_chart: super::charts::BarChart,
    overdue_chart: super::charts::BarChart,
    coverage_chart: super::charts::LineChart,
    sectors: Vec<(String, String)>,
    rows: Vec<CoverageLine>,
    /// All the units, before the filter.
    total: usize,
    q: String,
    state: String,
}

#[derive(Deserialize)]
struct UnderQuery {
    under: Option<String>,
    /// Units whose name holds this.
    q: Option<String>,
    /// Units with a sector in this state: `blank`, `in_progress` or `covered`.
    state: Option<String>,
}

async fn coverage(State(s): State<AppState>, Browser(w): Browser, Query(q): Query<UnderQuery>) -> Response {
    let root = match s.engine.board_root(&w.actor, q.under).await {
        Ok(r) => r,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let rows = match s.engine.coverage(&w.actor, &root).await {
        Ok(r) => r,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let root_name = match s.engine.unit_name(&root).await {
        Ok(name) => name,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let vocabulary = match s.engine.member_vocabulary().await {
        Ok(v) => v,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let sectors = vocabulary.sectors.clone();
    let townships: Vec<_> = rows
        .iter()
        .filter(|r| r.unit.kind != naxian_model::OrgKind::County)
        .collect();
    let covered: Vec<(String, usize)> = sectors
        .iter()
        .map(|(sector, label)| {
            (
                label.to_string(),
                townships.iter().filter(|r| r.covered(sector)).count(),
            )
        })
        .collect();
    let figures = match s.engine.board_charts(&w.actor, &root).await {
        Ok(f) => f,
        Err(e) => return message_page(&s, &w, e).await,
    };
    let q_text = q.q.as_deref().map(str::trim).unwrap_or_default().to_string();
    let state = q
        .state
        .clone()
        .filter(|st| ["blank", "in_progress", "covered"].contains(&st.as_str()))
        .unwrap_or_default();
    let mut lines: Vec<CoverageLine> = rows
        .iter()
        .filter(|r| {
            q_text.is_empty()
                || [&r.unit.name, &r.county, &r.city]
                    .iter()
                    .any(|n| n.contains(q_text.as_str()))
        })
        .filter(|r| state.is_empty() || sectors.iter().any(|(sector, _)| r.state(sector) == state))
        .map(|r| CoverageLine {
            group: None,
            lacks: r.facts.lacks.clone(),
            figures: r
                .facts
                .figures
                .iter()
                .map(|(l, n)| format!("{l} {n}"))
                .collect::<Vec<_>>()
                .join(" · "),
            seats: seats_text(r),
            code: r.unit.code.clone(),
            name: r.unit.name.clone(),
            county: r.county.clone(),
            city: r.city.clone(),
            cells: sectors
                .iter()
                .map(|(sector, _)| {
                    let state = r.state(sector);
                    let text = match state {
                        "covered" => {
                            let names: Vec<String> = r.chiefs[sector]
                                .iter()
                                .map(|(n, p)| format!("{n}（{}）", vocabulary.label(p)))
                                .collect();
                            format!("已覆盖：{}", names.join("、"))
                        }
                        "in_progress" => "推进中".to_string(),
                        _ => "空白".to_string(),
                    };
                    Cell { state, text }
                })
                .collect(),
        })
        .collect();
    // Grouped by city and county, in the order the rows come (a county,
    // then its townships; the counties of a city together).
    let mut last: Option<(String, String)> = None;
    for line in &mut lines {
        let key = (line.city.clone(), line.county.clone());
        if last.as_ref() != Some(&key) {
            line.group = Some(match key.0.is_empty() {
                true => key.1.clone(),
                false => format!("{} · {}", key.0, key.1),
            });
            last = Some(key);
        }
    }
    page(
        StatusCode::OK,
        CoveragePage {
            total: rows.len(),
            q: q_text,
            state,
            nav: Some(nav(&s, &w, "coverage").await),
            root,
            root_name,
            townships: townships.len(),
            sector_chart: super::charts::bars(&covered, townships.len()),
            step_chart: super::charts::bars(&figures.by_step, 0),
            overdue_chart: super::charts::bars(&figures.overdue_by_county, 0),
            coverage_chart: super::charts::lines(&figures.months, &figures.coverage_by_city),
            sectors,
            rows: lines,
        },
    )
}

/// A body's seats as the board shows them: filled of all, the free ones,
/// and the chiefs against their target.
fn seats_text(r: &naxian_engine::reports::CoverageRow) -> String {
    let Some((plan, uses)) = &r.seats else {
        return "未设定".into();
    };
    let filled: u32 = uses.iter().map(|u| u.filled.min(u.seats)).sum();
    let free: u32 = uses.iter().map(|u| u.free()).sum();
    let mut text = format!("已任 {filled}/{} 席 · 空缺 {free}", plan.total());
    if let Some(target) = plan.chief_target {
        let chiefs: usize = r.chiefs.values().map(Vec::len).sum();
        text.push_str(&format!(" · “三长” {chiefs}/{target}"));
    }
    text
}
