//! The HTTP face of Naxian: the REST API under `/api/v1`, the service routes
//! (`/healthz`, `/readyz`, `/metrics`, `/api/openapi.json`), authentication,
//! idempotency keys and the one place errors become HTTP responses.

mod auth;
mod deadline;
mod error;
pub mod idempotency;
mod input_guard;
mod json;
mod metrics;
pub mod request_log;
mod routes;
mod upload;
mod views;
pub mod web;

pub use error::{status_of, ApiError};
pub use metrics::Metrics;
pub use routes::tasks::action_response;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use naxian_engine::{Engine, ManualClock};
use std::sync::Arc;

/// Largest request body accepted (413 beyond).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub metrics: Arc<Metrics>,
    /// Present only under `--test-clock`: the clock `POST /api/v1/test/clock` sets.
    pub test_clock: Option<Arc<ManualClock>>,
    /// Served over TLS (directly or behind a proxy): session cookies are `Secure`
    /// and take the `__Host-` prefix.
    pub secure_cookies: bool,
    /// A request with an Idempotency-Key unfinished after this long is taken as
    /// lost (its server stopped) and may run again.
    pub lost_request_after: chrono::Duration,
    /// Every request is answered within this (`deadline`).
    pub request_timeout: std::time::Duration,
}

impl AppState {
    pub fn new(engine: Engine, test_clock: Option<Arc<ManualClock>>) -> AppState {
        AppState {
            engine,
            metrics: Arc::new(Metrics::new()),
            test_clock,
            secure_cookies: false,
            lost_request_after: chrono::Duration::seconds(60),
            request_timeout: std::time::Duration::from_secs(10),
        }
    }

    pub fn with_secure_cookies(mut self, secure: bool) -> AppState {
        self.secure_cookies = secure;
        self
    }

    pub fn with_lost_request_after(mut self, after: chrono::Duration) -> AppState {
        self.lost_request_after = after;
        self
    }

    pub fn with_request_timeout(mut self, timeout: std::time::Duration) -> AppState {
        self.request_timeout = timeout;
        self
    }
}

/// The whole application as a router.
pub fn app(state: AppState) -> Router {
    let api = routes::api(&state);
    Router::new()
        .merge(routes::service::router())
        .merge(web::router(&state))
        .nest("/api/v1", api)
        .route("/api/openapi.json", axum::routing::get(routes::service::openapi))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::layer,
        ))
        .layer(axum::middleware::from_fn(input_guard::layer))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            deadline::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::security_headers,
        ))
        .layer(axum::middleware::from_fn(request_log::layer))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` resolves, finishing requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod layering {
    /// Handlers ask the engine, whose rules decide what a request may see and
    /// do; a handler reading the store would answer past those rules.
    #[test]
    fn handlers_never_reach_past_the_engine() {
        fn visit(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).expect("read src") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    visit(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("read source");
                    let squeezed: String = text.split_whitespace().collect();
                    // Spelt in two, so that this file does not find itself.
                    if squeezed.contains(concat!(".", "store()")) {
                        found.push(path.display().to_string());
                    }
                }
            }
        }
        let mut found = Vec::new();
        visit(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(
            found.is_empty(),
            "the store is reached past the engine in {found:?}"
        );
    }
}
