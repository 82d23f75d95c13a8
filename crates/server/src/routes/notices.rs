//! 消息: the caller's in-app notices, and marking them read.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::openapi::{Refusals, WriteRefusals};
use crate::views::time;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use naxian_engine::notices::{Notice, NoticeFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(notices))
        .routes(routes!(read_one))
        .routes(routes!(read_all))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct NoticeQuery {
    /// Only the unread ones.
    unread: Option<bool>,
    /// Only copies (`copy`, 抄送我的).
    kind: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct NoticeView {
    id: String,
    /// What it tells: the e-mail template it went out with (`task_assigned`,
    /// `returned`, `objected`, `transferred`, `urge`, `copy`, `delegated`,
    /// `outcome`, `task_reminder`, `task_overdue`…).
    kind: String,
    /// Its line, as the e-mail's subject reads.
    text: String,
    /// What it is about (candidate and unit); empty when it concerns no instance.
    subject: String,
    /// The opinion that came with it; may be empty.
    comment: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    task_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    instance_id: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    read: bool,
}

#[derive(Serialize, ToSchema)]
struct NoticeList {
    notices: Vec<NoticeView>,
    /// How many of all the caller's notices are unread.
    unread: usize,
}

#[derive(Serialize, ToSchema)]
struct ReadAll {
    /// How many were unread.
    read: u64,
}

fn view(n: Notice) -> NoticeView {
    NoticeView {
        id: n.id,
        kind: n.kind,
        text: n.text,
        subject: n.subject,
        comment: n.comment,
        task_id: n.task_id,
        instance_id: n.instance_id,
        created_at: time(n.created_at),
        read: n.read,
    }
}

/// The caller's notices (消息), newest first, with the unread count.
#[utoipa::path(get, path = "/notices", operation_id = "listNotices", security(("bearer" = [])),
    params(NoticeQuery), responses(
    (status = 200, description = "Notices", body = NoticeList),
    Refusals,
))]
async fn notices(
    State(s): State<AppState>,
    Auth(actor): Auth,
    q: Result<Query<NoticeQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<NoticeList>> {
    let Query(q) = q.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let copies_only = match q.kind.as_deref() {
        None => false,
        Some("copy") => true,
        Some(_) => return Err(ApiError::invalid("kind", "must be copy")),
    };
    let filter = NoticeFilter {
        unread_only: q.unread.unwrap_or(false),
        copies_only,
    };
    let list = s.engine.notices(&actor, filter).await?;
    Ok(Json(NoticeList {
        notices: list.into_iter().map(view).collect(),
        unread: s.engine.unread_notices(&actor).await?,
    }))
}

/// Mark one notice read.
#[utoipa::path(post, path = "/notices/{id}/read", operation_id = "readNotice", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "Read", body = NoticeView),
    Refusals,
    WriteRefusals,
))]
async fn read_one(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<NoticeView>> {
    Ok(Json(view(s.engine.open_notice(&actor, &id).await?)))
}

/// Mark all of the caller's notices read.
#[utoipa::path(post, path = "/notices/read-all", operation_id = "readAllNotices", security(("bearer" = [])),
    responses(
    (status = 200, description = "Read", body = ReadAll),
    Refusals,
    WriteRefusals,
))]
async fn read_all(State(s): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<ReadAll>> {
    Ok(Json(ReadAll {
        read: s.engine.read_all_notices(&actor).await?,
    }))
}
