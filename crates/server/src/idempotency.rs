//! `Idempotency-Key` on POST: the first response for a (user, key) is stored;
//! the same key with the same request replays it without doing anything again,
//! with a different request it is refused (422), and while the first is still
//! running a repeat gets 409. A first request that never finished (its server
//! was killed) is taken as lost after `AppState::lost_request_after`, and the
//! key runs afresh: what it changes is guarded in the database anyway (a task
//! acts once; a creation under a key starts one instance). A task action or
//! a withdrawal writes its response under the key in its own transaction
//! (`naxian_engine::keyed`), so one that committed before its server died is
//! replayed, not run again.

use crate::auth::bearer;
use crate::error::ApiError;
use crate::{AppState, BODY_LIMIT};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use naxian_store::IdempotencyState;
use sha2::{Digest, Sha256};

pub const HEADER: &str = "idempotency-key";

/// What makes two requests under one key the same request.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// The key a request carries, as the layer took it (present in a handler
/// only when the layer let the request run).
pub fn key_of(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(HEADER)
        .and_then(|k| k.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string)
}

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER) else {
        return next.run(req).await;
    };
    let key = match key.to_str() {
        Ok(k) if !k.trim().is_empty() && k.len() <= 200 => k.trim().to_string(),
        _ => {
            return ApiError::invalid("Idempotency-Key", "must be 1 to 200 visible characters")
                .into_response()
        }
    };
    let Some(token) = bearer(req.headers()) else {
        // Unauthenticated requests are refused by the handler itself.
        return next.run(req).await;
    };
    let actor = match state.engine.authenticate(token).await {
        Ok(a) => a,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request body is too large",
            )
            .into_response()
        }
    };
    let hash = request_hash(parts.method.as_str(), parts.uri.path(), &bytes);
    let engine = &state.engine;
    let now = chrono::Utc::now();
    let lost_before = now - state.lost_request_after;
    match engine
        .idempotency_begin(&actor, &key, &hash, now, lost_before)
        .await
    {
        Err(e) => ApiError::from(e).into_response(),
        Ok(IdempotencyState::Mismatch) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_mismatch",
            "this Idempotency-Key was used with a different request",
        )
        .into_response(),
        Ok(IdempotencyState::InProgress) => ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_in_progress",
            "a request with this Idempotency-Key is still being processed",
        )
        .into_response(),
        Ok(IdempotencyState::Completed { status, body }) => {
            let mut resp = Response::new(Body::from(body));
            *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            resp.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            resp
        }
        Ok(IdempotencyState::Started) => {
            let mut req = Request::from_parts(parts, Body::from(bytes));
            req.extensions_mut().insert(actor.clone());
            let resp = next.run(req).await;
            let (rparts, rbody) = resp.into_parts();
            let rbytes = to_bytes(rbody, usize::MAX).await.unwrap_or_default();
            let saved = if rparts.status.is_server_error() {
                engine.idempotency_abort(&actor, &key).await
            } else {
                engine
                    .idempotency_finish(
                        &actor,
                        &key,
                        rparts.status.as_u16(),
                        &String::from_utf8_lossy(&rbytes),
                    )
                    .await
            };
            if let Err(e) = saved {
                tracing::warn!(error = %e, "could not record the idempotent response");
            }
            Response::from_parts(rparts, Body::from(rbytes))
        }
    }
}
