//! The one mapping from errors to HTTP: [`status_of`] gives an engine error's
//! status and code, for the API's `{"error": {code, message, field?}}` and the
//! pages alike. A 5xx hides its details from the caller and hands them to the
//! request log (`request_log`), which writes them once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use naxian_engine::EngineError;
use serde::Serialize;
use utoipa::ToSchema;

/// How an engine error is answered: its status and the API's code. The one
/// table the API (JSON) and the pages (a page, or a message beside a field)
/// both answer by.
pub fn status_of(e: &EngineError) -> (StatusCode, &'static str) {
    match e {
        EngineError::Invalid { .. } => (StatusCode::BAD_REQUEST, "invalid"),
        EngineError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
        EngineError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        EngineError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        EngineError::Conflict(_) | EngineError::DirectoryMoved(_) | EngineError::InstanceMoved(_) => {
            (StatusCode::CONFLICT, "conflict")
        }
        EngineError::NotAllowed(_) => (StatusCode::UNPROCESSABLE_ENTITY, "not_allowed"),
        EngineError::TooMany(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many"),
        EngineError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        EngineError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        EngineError::Database(_) | EngineError::Internal(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// What went wrong inside, for the log line of a 5xx (never the body).
    pub detail: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            detail: None,
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            field: Some(field.into()),
            ..ApiError::new(StatusCode::BAD_REQUEST, "invalid", message)
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> ApiError {
        self.detail = Some(detail.into());
        self
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let (status, code) = status_of(&e);
        let message = match &e {
            EngineError::Invalid { problem, .. } => problem.to_string(),
            EngineError::Unauthorized => "a valid token is required".into(),
            EngineError::Busy(_) => "the service is busy: try again in a moment".into(),
            EngineError::Unavailable(_) => "the database is unavailable".into(),
            EngineError::Database(_) | EngineError::Internal(_) => format!(
                "internal error (reference {})",
                crate::request_log::current().unwrap_or_default()
            ),
            other => other.to_string(),
        };
        let mut error = ApiError::new(status, code, message);
        if let EngineError::Invalid { field, .. } = &e {
            error.field = Some(field.clone());
        }
        if status.is_server_error() {
            error.detail = Some(e.detail());
        }
        error
    }
}

/// The API's answer to a refused or failed request.
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `invalid`, `unauthorized`, `forbidden`, `not_found`, `conflict`, `not_allowed`, …
    code: &'static str,
    message: String,
    /// The input field at fault, for `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    field: Option<String>,
}

impl From<ApiError> for ErrorDetail {
    fn from(e: ApiError) -> ErrorDetail {
        ErrorDetail {
            code: e.code,
            message: e.message,
            field: e.field,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, detail) = (self.status, self.detail.clone());
        let body = ErrorBody { error: self.into() };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(detail) = detail {
            response = crate::request_log::with_detail(response, detail);
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
