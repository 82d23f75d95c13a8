//! Reports: the province's table of monthly progress reports.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::openapi::Refusals;
use crate::views;
use crate::AppState;
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(monthly))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct MonthQuery {
    /// Default: the month the reports opened most recently are about (the
    /// month just ended, for reports opened on the 1st).
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$")]
    month: Option<String>,
}

/// The province's table of monthly reports.
#[derive(Serialize, ToSchema)]
struct MonthlyReports {
    month: String,
    rows: Vec<MonthlyReport>,
}

/// One city's report of the month.
#[derive(Serialize, ToSchema)]
struct MonthlyReport {
    /// The city's code.
    city: String,
    name: String,
    /// `not_opened`, `open`, `overdue`, `submitted` or `accepted`.
    #[schema(schema_with = report_status)]
    status: &'static str,
    instance_id: Option<String>,
    #[schema(format = DateTime)]
    due_at: Option<String>,
    #[schema(format = DateTime)]
    submitted_at: Option<String>,
    /// The figures of the month as the report holds them.
    figures: Value,
}

fn report_status() -> utoipa::openapi::schema::ObjectBuilder {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(naxian_engine::reports::REPORT_STATES.iter().copied()))
}

/// Monthly progress reports, one row per city the caller may see.
#[utoipa::path(get, path = "/reports/monthly", operation_id = "monthlyReports", security(("bearer" = [])),
    params(MonthQuery), responses(
    (status = 200, description = "The table", body = MonthlyReports),
    Refusals,
))]
async fn monthly(
    State(s): State<AppState>,
    Auth(actor): Auth,
    q: Result<Query<MonthQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<MonthlyReports>> {
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
        None => s.engine.current_report_month().await?,
    };
    let rows = s.engine.monthly_reports(&actor, &month).await?;
    Ok(Json(MonthlyReports {
        month,
        rows: rows
            .into_iter()
            .map(|r| MonthlyReport {
                city: r.city.code,
                name: r.city.name,
                status: r.status,
                instance_id: r.instance_id,
                due_at: r.due_at.map(views::time),
                submitted_at: r.submitted_at.map(views::time),
                figures: r.figures,
            })
            .collect(),
    }))
}
