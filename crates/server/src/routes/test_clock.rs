//! `POST /api/v1/test/clock {now}`: moves the service's clock. Mounted only
//! under `naxian serve --test-clock`; elsewhere the route does not exist.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::openapi::{BodyRefusals, Refusals, WriteRefusals};
use crate::views;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(set))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    #[schema(format = DateTime)]
    now: String,
}

/// Move the service's clock (only under --test-clock; admin).
#[utoipa::path(post, path = "/test/clock", operation_id = "setTestClock", security(("bearer" = [])),
    request_body = ClockBody, responses(
    (status = 200, description = "The new time", body = ClockBody),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn set(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(b): ApiJson<ClockBody>,
) -> ApiResult<Json<ClockBody>> {
    if !actor.is_admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only an administrator moves the clock",
        ));
    }
    let now = DateTime::parse_from_rfc3339(&b.now)
        .map_err(|_| ApiError::invalid("now", "must be an RFC 3339 time with offset"))?
        .with_timezone(&Utc);
    let clock = s
        .test_clock
        .as_ref()
        .ok_or_else(|| ApiError::not_found("no such route"))?;
    clock.set(now);
    Ok(Json(ClockBody {
        now: views::time(now),
    }))
}
