//! Downloads of what the pages show, as XLSX or CSV: the instances list, the
//! coverage matrix, the monthly report table, the liaison list (联络表), a
//! campaign's totals (普查) and its ranking (总结评估).
//! Each export asks the engine exactly what its page asks, so a user downloads
//! no more than they may see.

use super::message::message_page;
use super::table::{Format, Table};
use super::text::zh;
use super::Browser;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use naxian_engine::notify::due_text;
use naxian_engine::reports::month_of;
use naxian_engine::sessions::WebSession;
use naxian_engine::EngineError;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/exports/{file}", get(export))
}

#[derive(Deserialize)]
struct ExportQuery {
    under: Option<String>,
    month: Option<String>,
}

/// `GET /exports/{name}.{csv|xlsx}`.
async fn export(
    State(s): State<AppState>,
    Browser(w): Browser,
    Path(file): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Response {
    let Some((name, format)) = file
        .rsplit_once('.')
        .and_then(|(n, ext)| Some((n, Format::from_extension(ext)?)))
    else {
        return message_page(&s, &w, EngineError::NotFound(naxian_model::Refusal::NoExport)).await;
    };
    let table = match name {
        "instances" => instances(&s, &w).await,
        "coverage" => coverage(&s, &w, q.under).await,
        "reports" => reports(&s, &w, q.month).await,
        "liaison" => super::liaison::form(&s, &w, q.under).await,
        "contacts" => super::liaison::table(&s, &w, q.under).await,
        _ => match (name.strip_prefix("campaign-"), name.strip_prefix("ranking-")) {
            (Some(id), _) => campaign_totals(&s, &w, id).await,
            (_, Some(id)) => campaign_ranking(&s, &w, id).await,
            _ => Err(EngineError::NotFound(naxian_model::Refusal::NoExport)),
        },
    };
    match table {
        Ok(t) => t.download(format),
        Err(e) => message_page(&s, &w, e).await,
    }
}

/// A campaign's number tables added up (普查), as its page shows them.
async fn campaign_totals(s: &AppState, w: &WebSession, id: &str) -> Result<Table, EngineError> {
    let t = s.engine.campaign_tables(&w.actor, id).await?;
    super::campaigns::totals_table(&t).ok_or(EngineError::NotFound(naxian_model::Refusal::NoExport))
}

/// A campaign's ranking (总结评估), as its page shows it.
async fn campaign_ranking(s: &AppState, w: &WebSession, id: &str) -> Result<Table, EngineError> {
    let r = s.engine.campaign_ranking(&w.actor, id).await?;
    Ok(super::ranking::table(&r))
}

fn strings<const N: usize>(v: [&str; N]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

async fn instances(s: &AppState, w: &WebSession) -> Result<Table, EngineError> {
    s.engine.log_access(&w.actor, None, "export instances").await?;
    let list = s
        .engine
        .list_instances(&w.actor, None, None, None, 100_000, 0)
        .await?;
    let mut rows = Vec::with_capacity(list.len());
    let mut unit_names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for i in list {
        let def = s.engine.definition(&i.workflow, i.version).await?;
        let step = def
            .step(&i.step)
            .and_then(|st| st.title.clone())
            .or_else(|| def.end(&i.step).and_then(|e| e.title.clone()))
            .unwrap_or_else(|| i.step.clone());
        let unit = match unit_names.get(&i.org_unit) {
            Some(name) => name.clone(),
            None => {
                let name = s.engine.unit_name(&i.org_unit).await?;
                unit_names.insert(i.org_unit.clone(), name.clone());
                name
            }
        };
        rows.push(vec![
            i.id.clone(),
            def.title.clone(),
            def.summarize(&i.data, &unit),
            unit,
            zh(i.status.as_str()).to_string(),
            step,
            i.creator.clone(),
            due_text(Some(i.created_at)),
            due_text(Some(i.updated_at)),
        ]);
    }
    Ok(Table {
        title: "办理事项".into(),
        headers: strings([
            "编号",
            "流程",
            "摘要",
            "单位",
            "状态",
            "当前环节",
            "发起人",
            "发起时间",
            "最后更新",
        ]),
        rows,
    })
}

async fn coverage(s: &AppState, w: &WebSession, under: Option<String>) -> Result<Table, EngineError> {
    let root = s.engine.board_root(&w.actor, under).await?;
    let rows = s.engine.coverage(&w.actor, &root).await?;
    let vocabulary = s.engine.member_vocabulary().await?;
    let mut headers = strings(["县（市、区）", "乡镇（街道）"]);
    for (_, label) in &vocabulary.sectors {
        headers.push(format!("{label}状态"));
        headers.push(format!("{label}人选"));
    }
    let rows = rows
        .iter()
        .map(|r| {
            let mut line = vec![
                r.county.clone(),
                if r.unit.kind == naxian_model::OrgKind::County {
                    String::new()
                } else {
                    r.unit.name.clone()
                },
            ];
            for sector in vocabulary.sector_values() {
                line.push(
                    match r.state(sector) {
                        "covered" => "已覆盖",
                        "in_progress" => "推进中",
                        _ => "空白",
                    }
                    .to_string(),
                );
                let names: Vec<String> = r
                    .chiefs
                    .get(sector)
                    .into_iter()
                    .flatten()
                    .map(|(n, p)| format!("{n}（{}）", vocabulary.label(p)))
                    .collect();
                line.push(names.join("、"));
            }
            line
        })
        .collect();
    Ok(Table {
        title: "三长覆盖情况".into(),
        headers,
        rows,
    })
}

async fn reports(s: &AppState, w: &WebSession, month: Option<String>) -> Result<Table, EngineError> {
    let month = match month {
        Some(m)
            if m.len() == 7 && chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_ok() =>
        {
            m
        }
        Some(_) => return Err(EngineError::invalid("month", naxian_model::Problem::NotMonth)),
        None => month_of(s.engine.clock().now()),
    };
    let rows = s.engine.monthly_reports(&w.actor, &month).await?;
    let count = |r: &naxian_engine::reports::MonthlyRow, key: &str| {
        r.figures["appointments"][key]
            .as_u64()
            .map(|n| n.to_string())
            .unwrap_or_default()
    };
    let rows = rows
        .iter()
        .map(|r| {
            vec![
                r.city.name.clone(),
                match r.status {
                    "open" => "填报中",
                    "overdue" => "逾期未报",
                    "submitted" => "已提交",
                    "accepted" => "已接收",
                    _ => "未生成",
                }
                .to_string(),
                due_text(r.due_at),
                due_text(r.submitted_at),
                count(r, "started"),
                count(r, "in_progress"),
                count(r, "appointed"),
                count(r, "overdue"),
            ]
        })
        .collect();
    Ok(Table {
        title: format!("{month}月度进展"),
        headers: strings([
            "市",
            "状态",
            "截止时间",
            "提交时间",
            "本月新提名",
            "办理中",
            "已任职",
            "逾期",
        ]),
        rows,
    })
}
