//! Instances: start, read, list, withdraw, and their attachments.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::openapi::{names, BodyRefusals, IdempotencyKey, Refusals, WriteRefusals};
use crate::views;
use crate::views::Attachment;
use crate::AppState;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use naxian_engine::StartRequest;
use naxian_model::Status;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    let (schemas, paths, files) = routes!(attachments, attach);
    let files = files.layer(DefaultBodyLimit::max(
        state.engine.settings().attachment_max_bytes + 64 * 1024,
    ));
    OpenApiRouter::new()
        .routes(routes!(start, list))
        .routes(routes!(one))
        .routes(routes!(withdraw))
        .routes((schemas, paths, files))
        .routes(routes!(download))
        .routes(routes!(access_log))
        .routes(routes!(versions))
}

/// The data each submission sent (an action amending the data: a report
/// submitted, returned and submitted again), oldest first.
#[utoipa::path(get, path = "/instances/{id}/versions", operation_id = "listDataVersions", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "Oldest first", body = Vec<views::DataVersion>),
    Refusals,
))]
async fn versions(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<views::DataVersion>>> {
    let list = s.engine.data_versions(&actor, &id, "api versions").await?;
    Ok(Json(list.iter().map(views::data_version).collect()))
}

/// The upload form: one file, and the workflow's attachment slot it fills, if any.
#[derive(ToSchema)]
#[allow(dead_code)]
struct AttachmentUpload {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// One of the workflow's `attachments:` slots; the file must be of its types.
    slot: Option<String>,
}

/// Attach a file (the creator, a holder of an open task, or an administrator).
#[utoipa::path(post, path = "/instances/{id}/attachments", operation_id = "addAttachment", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses(
    (status = 201, description = "Stored", body = Attachment),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn attach(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, Json<Attachment>)> {
    let mp = mp.map_err(|_| ApiError::invalid("file", "must be sent as multipart/form-data"))?;
    let upload = crate::upload::read(mp, "file").await?;
    let Some((name, bytes)) = &upload.file else {
        return Err(ApiError::invalid("file", "is required"));
    };
    let slot = upload
        .fields
        .iter()
        .find(|(n, v)| n == "slot" && !v.is_empty())
        .map(|(_, v)| v.as_str());
    let record = s.engine.attach(&actor, &id, slot, name, bytes).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// The instance's attachments (whoever may see the instance).
#[utoipa::path(get, path = "/instances/{id}/attachments", operation_id = "listAttachments", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "Oldest first", body = Vec<Attachment>),
    Refusals,
))]
async fn attachments(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Attachment>>> {
    let list = s.engine.attachments(&actor, &id).await?;
    Ok(Json(list.into_iter().map(Attachment::from).collect()))
}

/// Download an attachment (Content-Disposition: attachment, detected content type).
#[utoipa::path(get, path = "/attachments/{id}", operation_id = "getAttachment", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "The file, as the type its content was detected as", content(
        (Vec<u8> = "application/pdf"),
        (Vec<u8> = "image/jpeg"),
        (Vec<u8> = "image/png"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (Vec<u8> = "application/msword"),
        (Vec<u8> = "application/vnd.ms-excel"),
    )),
    Refusals,
))]
async fn download(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (record, bytes) = s.engine.attachment(&actor, &id).await?;
    Ok(crate::web::file_download(
        &record.file_name,
        &record.content_type,
        bytes,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = StartRequest)]
struct StartBody {
    workflow: String,
    /// The workflow's fields (its `fields:`), e.g. for the appointment of a chief:
    /// candidate {name, gender, birth_year, phone, email, employer, position,
    /// sector, title?}, target_org, post, mode, reason.
    #[schema(value_type = Object)]
    data: Value,
}

/// Start an instance; the first step's task goes to the creator.
#[utoipa::path(post, path = "/instances", operation_id = "startInstance", security(("bearer" = [])),
    params(IdempotencyKey), request_body = StartBody, responses(
    (status = 201, description = "Started", body = views::Instance),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn start(
    State(s): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    ApiJson(b): ApiJson<StartBody>,
) -> ApiResult<(StatusCode, Json<views::Instance>)> {
    let req = StartRequest {
        workflow: b.workflow,
        data: b.data,
    };
    // The key reaches here only when the idempotency layer let the request run.
    let view = match crate::idempotency::key_of(&headers) {
        Some(key) => s.engine.start_once(&actor, req, &key).await?,
        None => s.engine.start(&actor, req).await?,
    };
    let warnings = s.engine.instance_warnings(&view).await?;
    Ok((
        StatusCode::CREATED,
        Json(views::instance_warned(&view, &warnings)),
    ))
}

/// An instance with its tasks and history.
#[utoipa::path(get, path = "/instances/{id}", operation_id = "getInstance", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "The instance", body = views::Instance),
    Refusals,
))]
async fn one(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<views::Instance>> {
    let view = s.engine.read_record(&actor, &id, "api").await?;
    let warnings = s.engine.instance_warnings(&view).await?;
    Ok(Json(views::instance_warned(&view, &warnings)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    workflow: Option<String>,
    #[param(schema_with = names::<Status>)]
    status: Option<String>,
    /// Only this unit and the units below it.
    org_unit: Option<String>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    limit: Option<i64>,
    #[param(minimum = 0, default = 0)]
    offset: Option<i64>,
}

/// A page of instances.
#[derive(Serialize, ToSchema)]
struct InstancePage {
    items: Vec<views::InstanceSummary>,
    limit: i64,
    offset: i64,
}

/// A page of instances the caller may see.
#[utoipa::path(get, path = "/instances", operation_id = "listInstances", security(("bearer" = [])),
    params(ListQuery), responses(
    (status = 200, description = "A page", body = InstancePage),
    Refusals,
))]
async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<InstancePage>> {
    let Query(q) = q.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 200"));
    }
    let offset = q.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid("offset", "must not be negative"));
    }
    let items = s
        .engine
        .list_instances(&actor, q.workflow, q.status, q.org_unit, limit, offset)
        .await?;
    Ok(Json(InstancePage {
        items: items.iter().map(views::instance_summary).collect(),
        limit,
        offset,
    }))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct WithdrawBody {
    comment: Option<String>,
}

/// The creator withdraws the instance.
#[utoipa::path(post, path = "/instances/{id}/withdraw", operation_id = "withdrawInstance", security(("bearer" = [])),
    params(("id" = String, Path), IdempotencyKey), request_body = WithdrawBody, responses(
    (status = 200, description = "Withdrawn", body = views::InstanceEnvelope),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn withdraw(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<WithdrawBody>,
) -> ApiResult<Json<views::InstanceEnvelope>> {
    let view = super::tasks::keyed(&headers, &actor.login, s.engine.withdraw(&actor, &id, b.comment)).await?;
    Ok(Json(views::envelope(&view)))
}

/// One read of an instance's record.
#[derive(Serialize, ToSchema)]
struct Access {
    #[schema(format = DateTime)]
    at: String,
    login: String,
    /// `api`, `page`, `attachment NAME`, …
    what: String,
}

/// Who read the instance's record (candidate data), newest first: administrators of its unit.
#[utoipa::path(get, path = "/instances/{id}/access-log", operation_id = "instanceAccessLog", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "Reads, newest first (at most 500)", body = Vec<Access>),
    Refusals,
))]
async fn access_log(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Access>>> {
    let rows = s.engine.access_log(&actor, &id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|a| Access {
                at: views::time(a.at),
                login: a.login,
                what: a.what,
            })
            .collect(),
    ))
}
