//! Directory and accounts: tokens, org units, bodies, users, grants.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::views;
use crate::AppState;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use naxian_engine::{NewOrgUnit, NewUser};
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/org-units", post(create_org_unit))
        .route("/org-units/{code}", get(org_unit))
        .route("/org-units/{code}/body", put(set_body))
        .route("/users", post(create_user))
        .route("/users/{login}/grants", post(add_grant))
        .route("/users/{login}/preferences", put(preferences))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    login: String,
    password: String,
}

pub async fn token(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<TokenRequest>,
) -> ApiResult<Json<Value>> {
    let (token, expires_at) = s
        .engine
        .login(req.login.trim(), &req.password, &addr.ip().to_string())
        .await
        .map_err(|e| match e {
            naxian_engine::EngineError::Unauthorized => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "wrong login or password",
            ),
            other => other.into(),
        })?;
    Ok(Json(
        json!({"token": token, "expires_at": views::time(expires_at)}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgUnitRequest {
    code: String,
    name: String,
    kind: String,
    parent: Option<String>,
    function: Option<String>,
}

async fn create_org_unit(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(r): ApiJson<OrgUnitRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let unit = s
        .engine
        .create_org_unit(
            &actor,
            NewOrgUnit {
                code: r.code,
                name: r.name,
                kind: r.kind,
                parent: r.parent,
                function: r.function,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(views::org_unit(&unit))))
}

async fn org_unit(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let (unit, body, members) = s.engine.org_unit(&code).await?;
    if !actor.is_admin && !actor.covers(&unit.path) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this unit is outside your grants",
        ));
    }
    let mut out = views::org_unit(&unit);
    out["body"] = body.as_ref().map(views::body).unwrap_or(Value::Null);
    out["members"] = members.iter().map(views::member).collect();
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyRequest {
    term_start: String,
    term_end: String,
    congress_date: Option<String>,
}

async fn set_body(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(code): Path<String>,
    ApiJson(r): ApiJson<BodyRequest>,
) -> ApiResult<Json<Value>> {
    let body = s
        .engine
        .set_body(
            &actor,
            &code,
            &r.term_start,
            &r.term_end,
            r.congress_date.as_deref(),
        )
        .await?;
    Ok(Json(views::body(&body)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserRequest {
    login: String,
    name: String,
    email: String,
    password: String,
}

async fn create_user(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(r): ApiJson<UserRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let user = s
        .engine
        .create_user(
            Some(&actor),
            NewUser {
                login: r.login,
                name: r.name,
                email: r.email,
                password: r.password,
                is_admin: false,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"login": user.login, "name": user.name, "email": user.email})),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantRequest {
    role: String,
    org_unit: String,
}

async fn add_grant(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(login): Path<String>,
    ApiJson(r): ApiJson<GrantRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    s.engine.add_grant(&actor, &login, &r.role, &r.org_unit).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"login": login, "role": r.role, "org_unit": r.org_unit})),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreferencesRequest {
    digest: bool,
}

async fn preferences(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(login): Path<String>,
    ApiJson(r): ApiJson<PreferencesRequest>,
) -> ApiResult<Json<Value>> {
    s.engine.set_digest(&actor, &login, r.digest).await?;
    Ok(Json(json!({"login": login, "digest": r.digest})))
}
