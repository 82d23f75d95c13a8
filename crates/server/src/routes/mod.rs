//! The API's routes, one module per area, assembled into `/api/v1`; each
//! route is registered with its documented operation (`openapi`).

pub mod campaigns;
pub mod catalogue;
pub mod coverage;
pub mod delegations;
pub mod directory;
pub mod instances;
pub mod members;
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
        .merge(reports::router())
        .merge(campaigns::router())
        .merge(coverage::router());
    if state.test_clock.is_some() {
        router = router.merge(test_clock::router());
    }
    router.fallback(|| async { crate::ApiError::not_found("no such route") })
}
