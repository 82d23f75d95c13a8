//! Attachments on the task page: the upload form's handler and the download,
//! both through the engine's rules on who may see and add files.

use super::message::{forbidden, message_page};
use super::task::render_task;
use super::{csrf_ok, Browser};
use crate::AppState;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use naxian_model::Problem;

pub fn router(state: &AppState) -> Router<AppState> {
    let limit = state.engine.settings().attachment_max_bytes + 64 * 1024;
    Router::new()
        .route(
            "/instances/{id}/attachments",
            post(upload).layer(DefaultBodyLimit::max(limit)),
        )
        .route("/attachments/{id}", get(download))
}

/// `POST /instances/{id}/attachments` from the task page (multipart, with
/// the CSRF token and the task to return to).
async fn upload(
    State(s): State<AppState>,
    headers: HeaderMap,
    Browser(w): Browser,
    Path(id): Path<String>,
    mp: Multipart,
) -> Response {
    let upload = match crate::upload::read(mp, "file").await {
        Ok(u) => u,
        Err(e) if e.status == StatusCode::PAYLOAD_TOO_LARGE => {
            return (StatusCode::PAYLOAD_TOO_LARGE, "文件过大").into_response()
        }
        Err(_) => return (StatusCode::BAD_REQUEST, "上传内容无法读取").into_response(),
    };
    if !csrf_ok(&headers, &w, upload.field("csrf")) {
        return forbidden();
    }
    let back = upload.field("back").unwrap_or_default().to_string();
    let slot = upload.field("slot").filter(|s| !s.is_empty()).map(str::to_string);
    let (name, bytes) = upload.file.unwrap_or_default();
    match s
        .engine
        .attach(&w.actor, &id, slot.as_deref(), &name, &bytes)
        .await
    {
        // Back to the task by a redirect, so that a refresh uploads nothing again.
        Ok(_) if super::task::is_id(&back) => {
            Redirect::to(&format!("/tasks/{back}?done=attached")).into_response()
        }
        Ok(a) => {
            let notice = format!("已上传附件“{}”。", a.file_name);
            render_task(&s, &w, &back, StatusCode::OK, None, Some(notice)).await
        }
        Err(naxian_engine::EngineError::Invalid { problem, .. }) => {
            let error = match problem {
                Problem::NotOneOf { choices } if slot.is_some() => {
                    format!("这一栏只接受 {} 文件。", choices.join("、"))
                }
                Problem::NotOneOf { .. } => "附件只接受 PDF、JPEG、PNG、Word 或 Excel 文件。".to_string(),
                Problem::FileTooLarge { max_mib } => format!("附件不能超过 {max_mib} MB。"),
                _ => "请选择要上传的文件。".to_string(),
            };
            render_task(&s, &w, &back, StatusCode::BAD_REQUEST, Some(error), None).await
        }
        Err(e) => message_page(&s, &w, e).await,
    }
}

/// `GET /attachments/{id}`: always a download, with the detected content type.
async fn download(State(s): State<AppState>, Browser(w): Browser, Path(id): Path<String>) -> Response {
    match s.engine.attachment(&w.actor, &id).await {
        Ok((a, bytes)) => super::table::attachment(&a.file_name, &a.content_type, bytes),
        Err(e) => message_page(&s, &w, e).await,
    }
}
