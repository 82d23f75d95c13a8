//! The OpenAPI 3.1 document of the API, generated (utoipa): each handler
//! carries its operation (`#[utoipa::path]`), each request and answer type
//! its schema, and the routes are registered together with their operations
//! (`utoipa_axum::routes!`), so that no route is served undocumented. What
//! the handlers share — the error answers, the Idempotency-Key header, the
//! names of the model's enums — is here.

use crate::error::ErrorBody;
use naxian_model::definition::CommentRule;
use naxian_model::directory::{OrgKind, CATALOGUE_NAME_PATTERN};
use naxian_model::fields::FieldType;
use naxian_model::Capability;
use naxian_model::{Status, TaskStatus};
use serde::Deserialize;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Naxian (纳贤) workflow and approval engine",
        description = "REST API of Naxian. Errors: {\"error\": {code, message, field?}}. Times are RFC 3339; the default zone is Asia/Shanghai."
    ),
    servers((url = "http://127.0.0.1:8080")),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

/// The `bearer` scheme the operations' `security` names.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The JSON text of `doc`, as `/api/openapi.json` serves it.
pub fn json(doc: &utoipa::openapi::OpenApi) -> String {
    doc.to_json().expect("the OpenAPI document serializes")
}

/// A model enum whose wire names a schema lists.
pub trait Names {
    fn names() -> Vec<Option<&'static str>>;
}

macro_rules! names_of_all {
    ($($t:ty),*) => {$(
        impl Names for $t {
            fn names() -> Vec<Option<&'static str>> {
                <$t>::ALL.iter().map(|v| Some(v.as_str())).collect()
            }
        }
    )*};
}
names_of_all!(OrgKind, Capability, Status, TaskStatus, FieldType, CommentRule);

/// The same names, or null.
impl<T: Names> Names for Option<T> {
    fn names() -> Vec<Option<&'static str>> {
        let mut all = T::names();
        all.push(None);
        all
    }
}

/// A string schema listing `T`'s names (and null, for an `Option`).
pub fn names<T: Names>() -> ObjectBuilder {
    let all = T::names();
    let ty = if all.contains(&None) {
        utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null])
    } else {
        utoipa::openapi::schema::SchemaType::new(Type::String)
    };
    ObjectBuilder::new().schema_type(ty).enum_values(Some(all))
}

/// A name of the catalogue (a role, a department function): which names
/// exist is data (`GET /api/v1/catalogue`), so the document gives their spelling.
pub fn catalogue_name() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::new(Type::String))
        .pattern(Some(CATALOGUE_NAME_PATTERN))
}

/// The same, or null.
pub fn catalogue_name_or_null() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]))
        .pattern(Some(CATALOGUE_NAME_PATTERN))
}

/// The optional header that makes a write safe to send again.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// Same key and body: the first response is replayed; other body: 422.
    #[serde(rename = "Idempotency-Key")]
    #[param(max_length = 200, nullable = false)]
    _key: Option<String>,
}

/// How any request may be refused. These enums describe answers for the
/// document only: `ApiError` builds the bodies.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Refusals {
    #[response(status = 400, description = "Invalid input; `field` names it")]
    Invalid(ErrorBody),
    #[response(status = 401, description = "No or bad token, or a wrong login or password")]
    Unauthorized(ErrorBody),
    #[response(status = 403, description = "Not allowed for this user")]
    Forbidden(ErrorBody),
    #[response(status = 404, description = "Not found")]
    NotFound(ErrorBody),
    #[response(status = 503, description = "Database unavailable, or busy; try again")]
    Unavailable(ErrorBody),
}

/// How a request with a body may be refused besides.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum BodyRefusals {
    #[response(status = 413, description = "Body too large")]
    TooLarge(ErrorBody),
    #[response(status = 415, description = "The body is not sent as application/json")]
    NotJson(ErrorBody),
}

/// How a write may be refused besides.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum WriteRefusals {
    #[response(
        status = 409,
        description = "Conflict: already there, already done, or changed meanwhile"
    )]
    Conflict(ErrorBody),
    #[response(
        status = 422,
        description = "Not allowed in this state, or an Idempotency-Key reused with another body"
    )]
    NotAllowed(ErrorBody),
}
