//! The inbox and task actions.

use crate::auth::Auth;
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::openapi::{BodyRefusals, IdempotencyKey, Refusals, WriteRefusals};
use crate::views;
use crate::workflow_view::{self, TaskDetail};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use naxian_model::machine::ActionInput;
use naxian_model::TaskStatus;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(inbox))
        .routes(routes!(one))
        .routes(routes!(act))
        .routes(routes!(batch))
        .routes(routes!(transfer))
        .routes(routes!(add_signer))
        .routes(routes!(urge))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct InboxQuery {
    /// `open` (the inbox, by due date) or `done`.
    #[param(schema_with = open_or_done)]
    status: Option<String>,
}

fn open_or_done() -> utoipa::openapi::schema::ObjectBuilder {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["open", "done"]))
        .default(Some("open".into()))
}

/// The caller's inbox (open, by due date) or done tasks.
#[utoipa::path(get, path = "/tasks", operation_id = "listTasks", security(("bearer" = [])),
    params(InboxQuery), responses(
    (status = 200, description = "Tasks", body = Vec<views::Task>),
    Refusals,
))]
async fn inbox(
    State(s): State<AppState>,
    Auth(actor): Auth,
    q: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<views::Task>>> {
    let Query(q) = q.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let status = match q.status.as_deref() {
        None | Some("open") => TaskStatus::Open,
        Some("done") => TaskStatus::Done,
        Some(_) => return Err(ApiError::invalid("status", "must be open or done")),
    };
    let rows = s.engine.inbox(&actor, status).await?;
    Ok(Json(
        rows.iter()
            .map(|item| {
                let principal = item.on_behalf_of.as_ref().map(|(login, _)| login.as_str());
                views::inbox_row(&item.row, &item.actions, &item.title, principal)
            })
            .collect(),
    ))
}

/// One task the caller may see, with the actions they may take on it as a
/// form needs them, and its instance's summary.
#[utoipa::path(get, path = "/tasks/{id}", operation_id = "getTask", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "The task", body = TaskDetail),
    Refusals,
))]
async fn one(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<TaskDetail>> {
    let read = s.engine.task_read(&actor, &id).await?;
    Ok(Json(workflow_view::task_detail(&read)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ActionRequest)]
struct ActBody {
    /// One of the task's `actions`.
    action: String,
    comment: Option<String>,
    /// The fields the action carries, or (for an action that amends the
    /// instance) the instance fields it changes.
    #[schema(value_type = Option<Object>)]
    data: Option<Value>,
    /// For an action whose approver chooses where the instance goes (e.g. a
    /// return to a chosen step): one of the steps the action offers.
    to_step: Option<String>,
}

/// The JSON answer to a task action or a withdrawal, as an idempotent
/// request records it.
pub fn action_response(view: &naxian_engine::InstanceView) -> String {
    serde_json::to_string(&views::envelope(view)).unwrap_or_default()
}

/// Runs an engine call that moves an instance; under an Idempotency-Key its
/// answer is written in the same transaction (`naxian_engine::keyed`).
pub(crate) async fn keyed<F>(headers: &HeaderMap, login: &str, call: F) -> F::Output
where
    F: std::future::Future,
{
    match crate::idempotency::key_of(headers) {
        None => call.await,
        Some(key) => {
            let keyed = naxian_engine::keyed::KeyedResponse {
                login: login.to_string(),
                key,
                render: Box::new(|view| (200, action_response(view))),
            };
            naxian_engine::keyed::with_response(keyed, call).await
        }
    }
}

/// Act on a task: one of its listed actions.
#[utoipa::path(post, path = "/tasks/{id}/actions", operation_id = "actOnTask", security(("bearer" = [])),
    params(("id" = String, Path), IdempotencyKey), request_body = ActBody, responses(
    (status = 200, description = "The instance after the action", body = views::InstanceEnvelope),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn act(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ActBody>,
) -> ApiResult<Json<views::InstanceEnvelope>> {
    let view = keyed(
        &headers,
        &actor.login,
        s.engine.act(
            &actor,
            &id,
            ActionInput {
                action: b.action,
                comment: b.comment,
                data: b.data,
                to_step: b.to_step,
                batch: false,
            },
        ),
    )
    .await?;
    Ok(Json(views::envelope(&view)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TransferBody {
    /// The login of the user the task goes to.
    to: String,
    /// Why, for the new holder (转交说明).
    comment: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct Transferred {
    /// The task it opened, as its new holder has it.
    task: views::Task,
    instance: views::Instance,
}

/// Transfer (转交) an open task to another user: its holder, to one who
/// holds the task's role at its unit or above; an administrator of the
/// instance's unit, to anyone but the instance's creator.
#[utoipa::path(post, path = "/tasks/{id}/transfer", operation_id = "transferTask", security(("bearer" = [])),
    params(("id" = String, Path), IdempotencyKey), request_body = TransferBody, responses(
    (status = 200, description = "The task, now the named user's", body = Transferred),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn transfer(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TransferBody>,
) -> ApiResult<Json<Transferred>> {
    let view = s.engine.transfer(&actor, &id, &b.to, b.comment).await?;
    opened_task(view)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AddSignerBody {
    /// The login of the user who signs too.
    user: String,
    /// `before` (they act first, then the task comes back), `after` (the
    /// caller's decision counts once they have also completed) or `parallel`
    /// (one more task in the same sign-off).
    #[schema(schema_with = positions)]
    position: String,
    comment: Option<String>,
}

fn positions() -> utoipa::openapi::schema::ObjectBuilder {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["before", "after", "parallel"]))
}

/// Add a signer (加签) to the caller's open task: before, after or beside them.
#[utoipa::path(post, path = "/tasks/{id}/add-signer", operation_id = "addSigner", security(("bearer" = [])),
    params(("id" = String, Path), IdempotencyKey), request_body = AddSignerBody, responses(
    (status = 200, description = "The added signer's task", body = Transferred),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn add_signer(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AddSignerBody>,
) -> ApiResult<Json<Transferred>> {
    let view = s
        .engine
        .add_signer(&actor, &id, &b.user, &b.position, b.comment)
        .await?;
    opened_task(view)
}

/// The answer to a transfer or an added signer: the task it opened, with the instance.
fn opened_task(view: naxian_engine::InstanceView) -> ApiResult<Json<Transferred>> {
    let task = view
        .tasks
        .last()
        .ok_or_else(|| ApiError::from(naxian_engine::EngineError::Internal("no task was opened".into())))?;
    Ok(Json(Transferred {
        task: views::task(
            &view.definition,
            task,
            &view.instance.workflow,
            &view.instance.org_unit,
        ),
        instance: views::instance(&view),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    /// At most 100 tasks, each listed once.
    task_ids: Vec<String>,
    /// An action each task's step declares `batch: true` (同意, 已备案 …).
    action: String,
    /// The one opinion (审批意见) given on every task.
    comment: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct BatchResult {
    task_id: String,
    /// `done`, or `refused` with the error that task alone would have had.
    #[schema(schema_with = done_or_refused)]
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    error: Option<crate::error::ErrorDetail>,
}

fn done_or_refused() -> utoipa::openapi::schema::ObjectBuilder {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["done", "refused"]))
}

#[derive(Serialize, ToSchema)]
struct BatchAnswer {
    /// One per task, in the order asked.
    results: Vec<BatchResult>,
}

/// Batch approval (批量): one action and one opinion on several tasks, each
/// its own transaction as if posted alone, each answered.
#[utoipa::path(post, path = "/tasks/batch", operation_id = "actOnTasks", security(("bearer" = [])),
    request_body = BatchBody, responses(
    (status = 200, description = "Each task's result", body = BatchAnswer),
    Refusals,
    BodyRefusals,
))]
async fn batch(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(b): ApiJson<BatchBody>,
) -> ApiResult<Json<BatchAnswer>> {
    let results = s
        .engine
        .act_batch(&actor, &b.task_ids, &b.action, b.comment)
        .await?;
    Ok(Json(BatchAnswer {
        results: b
            .task_ids
            .into_iter()
            .zip(results)
            .map(|(task_id, r)| match r {
                Ok(_) => BatchResult {
                    task_id,
                    status: "done",
                    error: None,
                },
                Err(e) => BatchResult {
                    task_id,
                    status: "refused",
                    error: Some(ApiError::from(e).into()),
                },
            })
            .collect(),
    }))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct UrgeBody {
    comment: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct Urged {
    task_id: String,
    /// How many holders were e-mailed.
    notified: usize,
}

/// Urge (催办) the holders of an open task: e-mail, at most once per task per day.
#[utoipa::path(post, path = "/tasks/{id}/urge", operation_id = "urgeTask", security(("bearer" = [])),
    params(("id" = String, Path), IdempotencyKey), request_body = UrgeBody, responses(
    (status = 200, description = "Urged", body = Urged),
    (status = 429, description = "Already urged today", body = ErrorBody),
    Refusals,
    BodyRefusals,
    WriteRefusals,
))]
async fn urge(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UrgeBody>,
) -> ApiResult<Json<Urged>> {
    let notified = s.engine.urge(&actor, &id, b.comment).await?;
    Ok(Json(Urged {
        task_id: id,
        notified,
    }))
}
