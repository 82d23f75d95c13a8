//! The coverage board's data: every county and township under a unit with its
//! body's chiefs by sector.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use naxian_engine::reports::SECTORS;
use serde::Deserialize;
use serde_json::{json, Map, Value};

pub fn router() -> Router<AppState> {
    Router::new().route("/coverage", get(coverage))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CoverageQuery {
    under: Option<String>,
}

async fn coverage(
    State(s): State<AppState>,
    Auth(actor): Auth,
    q: Result<Query<CoverageQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = q.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let under = q
        .under
        .ok_or_else(|| ApiError::invalid("under", "is required: the code of an org unit"))?;
    let rows = s.engine.coverage(&actor, &under).await?;
    let units: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut members = Map::new();
            let mut covered = Map::new();
            let mut state = Map::new();
            for sector in SECTORS {
                let list: Vec<Value> = r
                    .members
                    .get(*sector)
                    .map(|m| m.iter().map(|(n, p)| json!({"name": n, "post": p})).collect())
                    .unwrap_or_default();
                members.insert((*sector).into(), Value::Array(list));
                covered.insert((*sector).into(), json!(r.covered(sector)));
                state.insert((*sector).into(), json!(r.state(sector)));
            }
            json!({
                "code": r.unit.code,
                "name": r.unit.name,
                "kind": r.unit.kind.as_str(),
                "county": r.county,
                "members": members,
                "covered": covered,
                "state": state,
                "full": SECTORS.iter().all(|s| r.covered(s)),
            })
        })
        .collect();
    Ok(Json(json!({"under": under, "sectors": SECTORS, "units": units})))
}
