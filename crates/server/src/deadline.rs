//! Every request is answered within `AppState::request_timeout`: when the
//! database stops passing bytes (a network that freezes without closing its
//! connections) a query never returns, and without a deadline every request
//! waiting on it would hang for the whole outage. Past the deadline the
//! request's future is dropped, which drops its database work, and the
//! answer is 503 in the API's shape. Multipart uploads are left unbounded:
//! their bodies may come slowly over a county's line.

use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/"));
    if multipart {
        return next.run(req).await;
    }
    let path = req.uri().path().to_string();
    match tokio::time::timeout(state.request_timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the request could not be completed in time: try again",
        )
        .with_detail(format!("{path} timed out after {:?}", state.request_timeout))
        .into_response(),
    }
}
