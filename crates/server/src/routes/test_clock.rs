//! `POST /api/v1/test/clock {now}`: moves the service's clock. Mounted only
//! under `naxian serve --test-clock`; elsewhere the route does not exist.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::views;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new().route("/test/clock", post(set))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    now: String,
}

async fn set(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(b): ApiJson<ClockBody>,
) -> ApiResult<Json<Value>> {
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
    Ok(Json(json!({"now": views::time(now)})))
}
