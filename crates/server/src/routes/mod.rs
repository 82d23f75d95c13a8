//! The API's routes, one module per area, assembled into `/api/v1`.

pub mod campaigns;
pub mod coverage;
pub mod directory;
pub mod instances;
pub mod reports;
pub mod service;
pub mod tasks;
pub mod test_clock;
pub mod workflows;

use crate::AppState;
use axum::routing::post;
use axum::Router;

pub fn api(state: &AppState) -> Router<AppState> {
    let mut router = Router::new()
        .route("/auth/token", post(directory::token))
        .merge(directory::router())
        .merge(workflows::router())
        .merge(instances::router(state))
        .merge(tasks::router())
        .merge(reports::router())
        .merge(campaigns::router())
        .merge(coverage::router());
    if state.test_clock.is_some() {
        router = router.merge(test_clock::router());
    }
    router.fallback(|| async { crate::ApiError::not_found("no such route") })
}
