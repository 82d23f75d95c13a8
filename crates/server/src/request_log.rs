//! Gives every request an id and logs every failed one (5xx) exactly once,
//! here: handlers attach what went wrong to their response ([`ErrorDetail`])
//! instead of logging it themselves. The id is the caller's `X-Request-Id`
//! when it is a sane one (a proxy's), else a new UUID; the response carries
//! it back, and a 500's message names it so a user can quote it.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being answered, inside the layer.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// What made a response a failure, for the one log line of it.
#[derive(Debug, Clone)]
pub struct ErrorDetail(pub String);

/// `response` with `detail` attached for the log.
pub fn with_detail(mut response: Response, detail: impl Into<String>) -> Response {
    response.extensions_mut().insert(ErrorDetail(detail.into()));
    response
}

pub async fn layer(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut response = REQUEST_ID.scope(id.clone(), next.run(req)).await;
    let status = response.status();
    if status.is_server_error() {
        let detail = response.extensions_mut().remove::<ErrorDetail>();
        let detail = detail.as_ref().map_or("", |d| d.0.as_str());
        if status == axum::http::StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(request_id = %id, %method, %path, status = status.as_u16(), error = detail, "request failed");
        } else {
            tracing::warn!(request_id = %id, %method, %path, status = status.as_u16(), error = detail, "request refused");
        }
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use crate::error::ApiError;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use axum::Router;
    use naxian_engine::EngineError;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    /// Log lines written while the test runs, one string per event.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn app() -> Router {
        Router::new()
            .route(
                "/broken",
                get(|| async {
                    let cause = naxian_store::StoreError::database_from(
                        "the query failed",
                        std::io::Error::other("disk on fire"),
                    );
                    Err::<(), _>(ApiError::from(EngineError::from(cause)))
                }),
            )
            .route(
                "/missing",
                get(|| async {
                    Err::<(), _>(ApiError::from(EngineError::NotFound(
                        naxian_model::Refusal::NoExport,
                    )))
                }),
            )
            .layer(axum::middleware::from_fn(super::layer))
    }

    async fn call(path: &str, id: Option<&str>) -> (StatusCode, Option<String>, String) {
        let mut req = Request::get(path);
        if let Some(id) = id {
            req = req.header(super::HEADER, id);
        }
        let resp = app().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        let status = resp.status();
        let header = resp
            .headers()
            .get(super::HEADER)
            .map(|v| v.to_str().unwrap().to_string());
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16).await.unwrap();
        (status, header, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_failed_request_is_logged_once_with_its_id_and_cause() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        let (status, header, body) = call("/broken", Some("req-42")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(header.as_deref(), Some("req-42"));
        assert!(body.contains("reference req-42"), "{body}");
        assert!(
            !body.contains("disk on fire"),
            "the cause stays out of the answer: {body}"
        );

        let (status, header, _) = call("/missing", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let fresh = header.expect("a request without an id is given one");
        assert!(uuid::Uuid::parse_str(&fresh).is_ok(), "{fresh}");

        let log = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let logged: Vec<&str> = log.lines().collect();
        assert_eq!(logged.len(), 1, "one line for the 500, none for the 404: {log}");
        assert!(logged[0].contains("req-42"), "{log}");
        assert!(
            logged[0].contains("disk on fire"),
            "the cause under the store error: {log}"
        );
    }
}
