//! The one mapping from errors to HTTP: `{"error": {code, message, field?}}`
//! with the status API.md lists. A 500 hides its details and logs them.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use naxian_engine::EngineError;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Invalid { field, message } => ApiError::invalid(field, message),
            EngineError::Unauthorized => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid token is required",
            ),
            EngineError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            EngineError::NotFound(m) => ApiError::not_found(m),
            EngineError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            e @ (EngineError::DirectoryMoved(_) | EngineError::InstanceMoved(_)) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            EngineError::NotAllowed(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_allowed", m),
            EngineError::TooMany(m) => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many", m),
            EngineError::Busy(m) => {
                tracing::warn!(reason = %m, "refused: busy");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "the service is busy: try again in a moment",
                )
            }
            EngineError::Unavailable(m) => {
                tracing::warn!(error = %m, "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is unavailable",
                )
            }
            EngineError::Internal(m) => {
                let id = uuid::Uuid::new_v4();
                tracing::error!(error_id = %id, error = %m, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    format!("internal error (reference {id})"),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(f) = self.field {
            error["field"] = json!(f);
        }
        let mut response = (self.status, axum::Json(json!({ "error": error }))).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
