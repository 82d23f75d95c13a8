//! Attachments on the task page: the upload form's handler and the download,
//! both through the engine's rules on who may see and add files.

use super::pages::{forbidden, message_page, render_task};
use super::{csrf_ok, Browser};
use crate::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use naxian_engine::attachments::ACCEPTED;
use naxian_engine::notify::due_text;
use naxian_model::Problem;
use naxian_store::AttachmentRecord;

pub struct AttachmentView {
    pub id: String,
    pub name: String,
    pub size: String,
    pub by: String,
    pub at: String,
}

impl AttachmentView {
    pub fn of(a: &AttachmentRecord) -> AttachmentView {
        let size = if a.size >= 1024 * 1024 {
            format!("{:.1} MB", a.size as f64 / (1024.0 * 1024.0))
        } else {
            format!("{} KB", (a.size + 1023) / 1024)
        };
        AttachmentView {
            id: a.id.clone(),
            name: a.file_name.clone(),
            size,
            by: a.uploaded_by.clone(),
            at: due_text(Some(a.created_at)),
        }
    }
}

/// The file input's `accept` list.
pub fn accept() -> String {
    ACCEPTED
        .iter()
        .map(|(mime, ext, _)| format!(".{ext},{mime}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `POST /instances/{id}/attachments` from the task page (multipart, with
/// the CSRF token and the task to return to).
pub async fn upload(
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
    let (name, bytes) = upload.file.unwrap_or_default();
    match s.engine.attach(&w.actor, &id, &name, &bytes).await {
        Ok(a) => {
            let notice = format!("已上传附件“{}”。", a.file_name);
            render_task(&s, &w, &back, StatusCode::OK, None, Some(notice)).await
        }
        Err(naxian_engine::EngineError::Invalid { problem, .. }) => {
            let error = match problem {
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
pub async fn download(State(s): State<AppState>, Browser(w): Browser, Path(id): Path<String>) -> Response {
    match s.engine.attachment(&w.actor, &id).await {
        Ok((a, bytes)) => super::table::attachment(&a.file_name, &a.content_type, bytes),
        Err(e) => message_page(&s, &w, e).await,
    }
}
