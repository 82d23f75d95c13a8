//! The API's routes, one module per area, assembled into `/api/v1`; each
//! route is registered with its documented operation (`openapi`).

pub mod campaigns;
pub mod catalogue;
pub mod coverage;
pub mod delegations;
pub mod directory;
pub mod instances;
pub mod members;
pub mod notices;
pub mod reports;
pub mod service;
pub mod tasks;
pub mod test_clock;
pub mod workflows;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn api(state: &AppState) -> OpenApiRouter<AppState> {
    let mut router = OpenApiRouter::new()
        .merge(directory::router())
        .merge(delegations::router())
        .merge(members::router())
        .merge(catalogue::router())
        .merge(workflows::router())
        .merge(instances::router(state))
        .merge(tasks::router())
        .merge(notices::router())
        .merge(reports::router())
        .merge(campaigns::router())
        .merge(coverage::router());
    if state.test_clock.is_some() {
        router = router.merge(test_clock::router());
    }
    router
        .layer(axum::middleware::from_fn(no_such_method))
        .fallback(|| async { crate::ApiError::not_found("no such route") })
}

/// A method a path does not take is no route either: the same 404 in the
/// API's error shape as an unknown path, never a bare 405 (`/tasks/{id}`
/// reads with GET; `POST /tasks/batch` is a route of its own).
async fn no_such_method(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let response = next.run(req).await;
    if response.status() == axum::http::StatusCode::METHOD_NOT_ALLOWED {
        return crate::ApiError::not_found("no such route").into_response();
    }
    response
}
