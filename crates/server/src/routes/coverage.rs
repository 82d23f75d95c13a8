//! The coverage board's data: every county and township under a unit with its
//! body's chiefs by sector.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::openapi::{names, Refusals};
use crate::AppState;
use axum::extract::{Query, State};
use axum::Json;
use naxian_model::OrgKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(coverage))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CoverageQuery {
    /// The code of the unit the board is under.
    #[param(required = true)]
    under: Option<String>,
}

/// The board under a unit.
#[derive(Serialize, ToSchema)]
struct Coverage {
    under: String,
    /// The sectors each unit is counted in.
    sectors: Vec<String>,
    units: Vec<UnitCoverage>,
}

/// One county or township on the board.
#[derive(Serialize, ToSchema)]
struct UnitCoverage {
    code: String,
    name: String,
    #[schema(schema_with = names::<OrgKind>)]
    kind: &'static str,
    /// The county it is in (its own name, for a county).
    county: String,
    /// Its body's current chiefs, by sector.
    members: BTreeMap<String, Vec<Chief>>,
    /// Whether the sector has a chief in the body, by sector.
    covered: BTreeMap<String, bool>,
    /// `covered`, `in_progress` or `blank`, by sector.
    state: BTreeMap<String, &'static str>,
    /// Every sector covered.
    full: bool,
    /// What the newest accepted facts table (普查) says the unit lacks (缺编制, 缺经费 …).
    lacks: Vec<String>,
    /// The facts' figures the board shows, by label (个人会员: 120).
    figures: BTreeMap<String, i64>,
}

#[derive(Serialize, ToSchema)]
struct Chief {
    name: String,
    post: String,
}

/// Coverage board: each county and township under a unit, its body's chiefs
/// by sector and whether each sector is covered.
#[utoipa::path(get, path = "/coverage", operation_id = "coverage", security(("bearer" = [])),
    params(CoverageQuery), responses(
    (status = 200, description = "The board", body = Coverage),
    Refusals,
))]
async fn coverage(
    State(s): State<AppState>,
    Auth(actor): Auth,
    q: Result<Query<CoverageQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Coverage>> {
    let Query(q) = q.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let under = q
        .under
        .ok_or_else(|| ApiError::invalid("under", "is required: the code of an org unit"))?;
    let rows = s.engine.coverage(&actor, &under).await?;
    let vocabulary = s.engine.member_vocabulary().await?;
    let sectors = vocabulary.sector_values();
    let units = rows
        .iter()
        .map(|r| UnitCoverage {
            code: r.unit.code.clone(),
            name: r.unit.name.clone(),
            kind: r.unit.kind.as_str(),
            county: r.county.clone(),
            members: sectors
                .iter()
                .map(|sector| {
                    let chiefs = r
                        .chiefs
                        .get(*sector)
                        .map(|m| {
                            m.iter()
                                .map(|(name, post)| Chief {
                                    name: name.clone(),
                                    post: post.clone(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (sector.to_string(), chiefs)
                })
                .collect(),
            lacks: r.facts.lacks.clone(),
            figures: r.facts.figures.iter().cloned().collect(),
            covered: sectors
                .iter()
                .map(|sector| (sector.to_string(), r.covered(sector)))
                .collect(),
            state: sectors
                .iter()
                .map(|sector| (sector.to_string(), r.state(sector)))
                .collect(),
            full: sectors.iter().all(|s| r.covered(s)),
        })
        .collect();
    Ok(Json(Coverage {
        under,
        sectors: sectors.iter().map(|s| s.to_string()).collect(),
        units,
    }))
}
