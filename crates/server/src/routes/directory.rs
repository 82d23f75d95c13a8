//! Directory and accounts: tokens, org units, bodies, users, grants.

use crate::auth::Auth;
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::openapi::{names, BodyRefusals, IdempotencyKey, Refusals, WriteRefusals};
use crate::views;
use crate::AppState;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::Json;
use naxian_engine::{NewOrgUnit, NewUser};
use naxian_model::directory::OrgKind;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token))
        .routes(routes!(create_org_unit))
        .routes(routes!(org_unit))
        .routes(routes!(set_body))
        .routes(routes!(set_seats))
        .routes(routes!(create_user))
        .routes(routes!(add_grant))
        .routes(routes!(remove_grant))
        .routes(routes!(preferences))
        .routes(routes!(phrases, set_phrases))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    login: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct Token {
    token: String,
    #[schema(format = DateTime)]
    expires_at: String,
}

/// Log in and get a token; 403 while the password is one an administrator
/// set and the user has not changed yet (on 我的账户).
#[utoipa::path(post, path = "/auth/token", operation_id = "createToken", request_body = TokenRequest, responses(
    (status = 200, description = "A token", body = Token),
    (status = 429, description = "Too many failed logins; try again later", body = ErrorBody),
    Refusals,
    BodyRefusals,
))]
async fn token(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<TokenRequest>,
) -> ApiResult<Json<Token>> {
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
    Ok(Json(Token {
        token,
        expires_at: views::time(expires_at),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OrgUnitRequest {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    code: String,
    name: String,
    #[schema(schema_with = names::<OrgKind>)]
    kind: String,
    parent: Option<String>,
    /// For a department: what it does in the consultation.
    #[schema(schema_with = crate::openapi::catalogue_name_or_null)]
    function: Option<String>,
}

/// Create an org unit (admin).
#[utoipa::path(post, path = "/org-units", operation_id = "createOrgUnit", security(("bearer" = [])),
    params(IdempotencyKey), request_body = OrgUnitRequest, responses(
    (status = 201, description = "Created", body = views::OrgUnit),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn create_org_unit(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(r): ApiJson<OrgUnitRequest>,
) -> ApiResult<(StatusCode, Json<views::OrgUnit>)> {
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

/// An org unit with its body and current members.
#[utoipa::path(get, path = "/org-units/{code}", operation_id = "getOrgUnit", security(("bearer" = [])),
    params(("code" = String, Path)), responses(
    (status = 200, description = "The unit", body = views::OrgUnitDetail),
    Refusals,
))]
async fn org_unit(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<views::OrgUnitDetail>> {
    let detail = s.engine.org_unit(&actor, &code).await?;
    Ok(Json(views::org_unit_detail(&detail)))
}

/// Set the seats of the unit's body per post, and its target of chiefs (admin).
#[utoipa::path(put, path = "/org-units/{code}/seats", operation_id = "setSeats", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = views::SeatsRequest, responses(
    (status = 200, description = "The unit with its seat plan", body = views::OrgUnitDetail),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn set_seats(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(code): Path<String>,
    ApiJson(r): ApiJson<views::SeatsRequest>,
) -> ApiResult<Json<views::OrgUnitDetail>> {
    s.engine.set_seats(&actor, &code, r.posts, r.chief_target).await?;
    let detail = s.engine.org_unit(&actor, &code).await?;
    Ok(Json(views::org_unit_detail(&detail)))
}

/// Set the unit's leadership body and term (admin).
#[utoipa::path(put, path = "/org-units/{code}/body", operation_id = "setBody", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = views::Body, responses(
    (status = 200, description = "The body", body = views::Body),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn set_body(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(code): Path<String>,
    ApiJson(r): ApiJson<views::Body>,
) -> ApiResult<Json<views::Body>> {
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UserRequest {
    login: String,
    name: String,
    #[schema(format = Email)]
    email: String,
    #[schema(min_length = 8)]
    password: String,
    /// For the liaison list (联络表); personal data, shown whole only there.
    #[serde(default)]
    phone: Option<String>,
    /// 职务, or the responsible department (责任部门) of a liaison.
    #[serde(default)]
    position: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct User {
    login: String,
    name: String,
    email: String,
    phone: Option<String>,
    position: Option<String>,
}

/// Create a user (admin).
#[utoipa::path(post, path = "/users", operation_id = "createUser", security(("bearer" = [])),
    params(IdempotencyKey), request_body = UserRequest, responses(
    (status = 201, description = "Created", body = User),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn create_user(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(r): ApiJson<UserRequest>,
) -> ApiResult<(StatusCode, Json<User>)> {
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
                phone: r.phone,
                position: r.position,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(User {
            login: user.login,
            name: user.name,
            email: user.email,
            phone: user.phone,
            position: user.position,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GrantRequest {
    #[schema(schema_with = crate::openapi::catalogue_name)]
    role: String,
    org_unit: String,
}

#[derive(Serialize, ToSchema)]
struct Grant {
    login: String,
    role: String,
    org_unit: String,
}

/// Grant a role at a unit (admin); covers the units below it.
#[utoipa::path(post, path = "/users/{login}/grants", operation_id = "addGrant", security(("bearer" = [])),
    params(("login" = String, Path), IdempotencyKey), request_body = GrantRequest, responses(
    (status = 201, description = "Granted", body = Grant),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn add_grant(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(login): Path<String>,
    ApiJson(r): ApiJson<GrantRequest>,
) -> ApiResult<(StatusCode, Json<Grant>)> {
    s.engine.add_grant(&actor, &login, &r.role, &r.org_unit).await?;
    Ok((
        StatusCode::CREATED,
        Json(Grant {
            login,
            role: r.role,
            org_unit: r.org_unit,
        }),
    ))
}

/// Take a role at a unit away from a user (admin over the unit). A user
/// left with no role keeps their phone only for the retention period.
#[utoipa::path(delete, path = "/users/{login}/grants/{role}/{org_unit}", operation_id = "removeGrant", security(("bearer" = [])),
    params(("login" = String, Path), ("role" = String, Path), ("org_unit" = String, Path)), responses(
    (status = 204, description = "Taken away"),
    Refusals,
    WriteRefusals,
))]
async fn remove_grant(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path((login, role, org_unit)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    s.engine.remove_grant(&actor, &login, &role, &org_unit).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Preferences {
    /// A daily e-mail listing one's open tasks.
    digest: bool,
}

/// Spelled out rather than flattening `Preferences`: the document would
/// carry that request schema's `additionalProperties: false` into the answer.
#[derive(Serialize, ToSchema)]
struct UserPreferences {
    login: String,
    /// A daily e-mail listing one's open tasks.
    digest: bool,
}

/// A user's preferences: the daily digest of open tasks (the user or an administrator).
#[utoipa::path(put, path = "/users/{login}/preferences", operation_id = "setPreferences", security(("bearer" = [])),
    params(("login" = String, Path)), request_body = Preferences, responses(
    (status = 200, description = "Saved", body = UserPreferences),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn preferences(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(login): Path<String>,
    ApiJson(r): ApiJson<Preferences>,
) -> ApiResult<Json<UserPreferences>> {
    s.engine.set_digest(&actor, &login, r.digest).await?;
    Ok(Json(UserPreferences {
        login,
        digest: r.digest,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PhrasesBody {
    /// In the order offered; at most 20, each one line of at most 100 characters.
    phrases: Vec<String>,
}

#[derive(Serialize, ToSchema)]
struct UserPhrases {
    login: String,
    phrases: Vec<String>,
}

/// A user's common phrases (常用意见), offered beside every opinion box; the
/// service's defaults until they keep their own (the user or an administrator).
#[utoipa::path(get, path = "/users/{login}/phrases", operation_id = "getPhrases", security(("bearer" = [])),
    params(("login" = String, Path)), responses(
    (status = 200, description = "The phrases", body = UserPhrases),
    Refusals,
))]
async fn phrases(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(login): Path<String>,
) -> ApiResult<Json<UserPhrases>> {
    let phrases = s.engine.phrases(&actor, &login).await?;
    Ok(Json(UserPhrases { login, phrases }))
}

/// Keep a user's common phrases, replacing those they had (an empty list keeps none).
#[utoipa::path(put, path = "/users/{login}/phrases", operation_id = "setPhrases", security(("bearer" = [])),
    params(("login" = String, Path)), request_body = PhrasesBody, responses(
    (status = 200, description = "Kept", body = UserPhrases),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn set_phrases(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(login): Path<String>,
    ApiJson(b): ApiJson<PhrasesBody>,
) -> ApiResult<Json<UserPhrases>> {
    let phrases = s.engine.set_phrases(&actor, &login, &b.phrases).await?;
    Ok(Json(UserPhrases { login, phrases }))
}
