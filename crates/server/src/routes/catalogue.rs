//! The catalogue of roles and department functions: read by anyone signed
//! in (clients label roles and functions from it), changed by a global
//! administrator.

use crate::auth::Auth;
use crate::error::ApiResult;
use crate::json::ApiJson;
use crate::openapi::{names, BodyRefusals, Refusals, WriteRefusals};
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use naxian_engine::catalogue::RoleInput;
use naxian_model::catalogue::{Capability, FunctionEntry as ModelFunction, RoleEntry as ModelRole};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::ArrayBuilder;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(catalogue))
        .routes(routes!(put_role))
        .routes(routes!(put_function))
}

/// A list of capability names.
fn capabilities() -> ArrayBuilder {
    ArrayBuilder::new().items(names::<Capability>())
}

#[derive(Serialize, ToSchema)]
struct Role {
    #[schema(schema_with = crate::openapi::catalogue_name)]
    name: String,
    label: String,
    /// What holders may do at the unit of a grant and below, beyond their tasks.
    #[schema(schema_with = capabilities)]
    may: Vec<&'static str>,
}

impl From<ModelRole> for Role {
    fn from(r: ModelRole) -> Role {
        Role {
            name: r.name.to_string(),
            label: r.label,
            may: r.may.iter().map(|c| c.as_str()).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct Function {
    #[schema(schema_with = crate::openapi::catalogue_name)]
    name: String,
    label: String,
}

impl From<ModelFunction> for Function {
    fn from(f: ModelFunction) -> Function {
        Function {
            name: f.name.to_string(),
            label: f.label,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct Catalogue {
    roles: Vec<Role>,
    functions: Vec<Function>,
}

/// The roles and department functions, in their order, with their labels.
#[utoipa::path(get, path = "/catalogue", operation_id = "getCatalogue", security(("bearer" = [])), responses(
    (status = 200, description = "The catalogue", body = Catalogue),
    Refusals,
))]
async fn catalogue(State(s): State<AppState>, Auth(_): Auth) -> ApiResult<Json<Catalogue>> {
    let c = s.engine.catalogue().await?;
    Ok(Json(Catalogue {
        roles: c.roles.into_iter().map(Role::from).collect(),
        functions: c.functions.into_iter().map(Function::from).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RoleRequest {
    #[schema(min_length = 1, max_length = 40)]
    label: String,
    #[serde(default)]
    #[schema(schema_with = capabilities)]
    may: Vec<String>,
}

/// Add a role, or change its label and what it may do (global administrator).
#[utoipa::path(put, path = "/roles/{name}", operation_id = "putRole", security(("bearer" = [])),
    params(("name" = String, Path, pattern = "^[a-z][a-z0-9_]{0,39}$")), request_body = RoleRequest, responses(
    (status = 200, description = "Saved", body = Role),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn put_role(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(name): Path<String>,
    ApiJson(r): ApiJson<RoleRequest>,
) -> ApiResult<Json<Role>> {
    let role = s
        .engine
        .put_role(
            &actor,
            &name,
            RoleInput {
                label: r.label,
                may: r.may,
            },
        )
        .await?;
    Ok(Json(role.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FunctionRequest {
    #[schema(min_length = 1, max_length = 40)]
    label: String,
}

/// Add a department function, or change its label (global administrator).
#[utoipa::path(put, path = "/functions/{name}", operation_id = "putFunction", security(("bearer" = [])),
    params(("name" = String, Path, pattern = "^[a-z][a-z0-9_]{0,39}$")), request_body = FunctionRequest, responses(
    (status = 200, description = "Saved", body = Function),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn put_function(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(name): Path<String>,
    ApiJson(r): ApiJson<FunctionRequest>,
) -> ApiResult<Json<Function>> {
    let f = s.engine.put_function(&actor, &name, &r.label).await?;
    Ok(Json(f.into()))
}
