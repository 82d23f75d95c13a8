//! Reports: the province's table of monthly progress reports.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::views;
use crate::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new().route("/reports/monthly", get(monthly))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MonthQuery {
    month: Option<String>,
}

async fn monthly(
    State(s): State<AppState>,
    Auth(actor): Auth,
    q: Result<Query<MonthQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = q.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let month = match q.month {
        Some(m) => {
            let ok =
                m.len() == 7 && chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_ok();
            if !ok {
                return Err(ApiError::invalid("month", "must be a month YYYY-MM"));
            }
            m
        }
        None => naxian_engine::reports::month_of(s.engine.clock().now()),
    };
    let rows = s.engine.monthly_reports(&actor, &month).await?;
    Ok(Json(json!({
        "month": month,
        "rows": rows.iter().map(|r| json!({
            "city": r.city.code,
            "name": r.city.name,
            "status": r.status,
            "instance_id": r.instance_id,
            "due_at": r.due_at.map(views::time),
            "submitted_at": r.submitted_at.map(views::time),
            "figures": r.figures,
        })).collect::<Vec<_>>(),
    })))
}
