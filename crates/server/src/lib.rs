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
mod openapi;
pub mod request_log;
mod routes;
mod upload;
mod views;
pub mod web;
mod workflow_view;

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
    /// The OpenAPI document's JSON, made with the router (`app`).
    pub openapi: Arc<std::sync::OnceLock<String>>,
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
            openapi: Arc::default(),
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

/// The routes the OpenAPI document describes, and the document.
pub fn documented(state: &AppState) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    use utoipa::OpenApi;
    utoipa_axum::router::OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(routes::service::router())
        .nest("/api/v1", routes::api(state))
        .split_for_parts()
}

/// The whole application as a router.
pub fn app(state: AppState) -> Router {
    let (api, doc) = documented(&state);
    let _ = state.openapi.set(openapi::json(&doc));
    api.merge(web::router(&state))
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
    /// Every `.rs` file under `src` (but the pages', `src/web`, when `pages`
    /// is false), squeezed of white space and cut before its unit tests.
    fn sources(pages: bool) -> Vec<(std::path::PathBuf, String)> {
        fn visit(dir: &std::path::Path, pages: bool, out: &mut Vec<(std::path::PathBuf, String)>) {
            for entry in std::fs::read_dir(dir).expect("read src") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    if pages || path.file_name().is_none_or(|n| n != "web") {
                        visit(&path, pages, out);
                    }
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("read source");
                    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                    out.push((path, code.split_whitespace().collect()));
                }
            }
        }
        let mut out = Vec::new();
        visit(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            pages,
            &mut out,
        );
        out
    }

    /// An API or service route registered with axum's `route` would be served
    /// without its operation in the OpenAPI document; `routes!(…)` registers
    /// a handler together with its `#[utoipa::path]`.
    #[test]
    fn every_api_route_is_registered_with_its_operation() {
        let plain: Vec<String> = sources(false)
            .into_iter()
            // Spelt in two, so that this file does not find itself.
            .filter(|(_, text)| text.contains(concat!(".", "route(")))
            .map(|(path, _)| path.display().to_string())
            .collect();
        assert!(
            plain.is_empty(),
            "routes registered past the document in {plain:?}"
        );
    }

    /// The engine and the server serve any workflow: what they do for one
    /// is what its file declares (an end that adds members, a schedule that
    /// opens reports, `campaign: true`), never its name. Tests included.
    #[test]
    fn no_shipped_workflow_is_named_in_the_engine_or_the_server() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let names: Vec<String> =
            naxian_engine::check_definitions(&root.join("workflows"), &naxian_model::Catalogue::shipped())
                .expect("the shipped workflows")
                .iter()
                .map(|d| d.name.to_string())
                .collect();
        assert!(names.len() >= 3, "{names:?}");
        fn visit(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
            for entry in std::fs::read_dir(dir).expect("read src") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    visit(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs" || e == "html") {
                    out.push((path.clone(), std::fs::read_to_string(&path).expect("read source")));
                }
            }
        }
        let mut files = Vec::new();
        for dir in [
            "crates/engine/src",
            "crates/server/src",
            "crates/server/templates",
        ] {
            visit(&root.join(dir), &mut files);
        }
        let found: Vec<String> = files
            .iter()
            .flat_map(|(path, text)| {
                names
                    .iter()
                    .filter(|n| text.contains(n.as_str()))
                    .map(move |n| format!("{} names {n}", path.display()))
            })
            .collect();
        assert!(found.is_empty(), "{found:?}");
    }

    /// Handlers ask the engine, whose rules decide what a request may see and
    /// do; a handler reading the store would answer past those rules.
    #[test]
    fn handlers_never_reach_past_the_engine() {
        let found: Vec<String> = sources(true)
            .into_iter()
            // Spelt in two, so that this file does not find itself.
            .filter(|(_, text)| text.contains(concat!(".", "store()")))
            .map(|(path, _)| path.display().to_string())
            .collect();
        assert!(
            found.is_empty(),
            "the store is reached past the engine in {found:?}"
        );
    }
}
