//! The `naxian` binary's building blocks, public so that end-to-end tests and
//! benchmarks assemble the service exactly as `naxian serve` does.

pub mod bench;
pub mod config;
pub mod demo;
pub mod demo_census;
pub mod demo_extension;
pub mod import;
pub mod loadtest;
pub mod logging;
pub mod login_flood;
pub mod open;

use chrono::Utc;
use naxian_engine::{Clock, Engine, ManualClock, SystemClock};
use naxian_server::AppState;
use std::sync::Arc;

/// Opens the store, registers the workflows and (with `demo`) loads the demo
/// province; returns the application state the server runs on.
pub async fn build(config: &config::Config, demo: bool, test_clock: bool) -> anyhow::Result<AppState> {
    let store = crate::open::open_store(&config.database_url()).await?;
    let manual = test_clock.then(|| Arc::new(ManualClock::new(Utc::now())));
    let clock: Arc<dyn Clock> = match &manual {
        Some(m) => m.clone(),
        None => Arc::new(SystemClock),
    };
    let engine =
        Engine::new(store, clock, config.engine_settings()).with_mail_templates(config.mail_templates()?);
    let years = engine.load_holidays(&config.paths.holidays).await?;
    tracing::info!(?years, "holiday calendar loaded");
    if let Some(w) = engine.calendar_warning() {
        tracing::warn!("{w}");
    }
    let added = engine.seed_catalogue(&config.catalogue()?).await?;
    tracing::info!(added, "catalogue of roles and functions loaded");
    let loaded = engine.load_workflows(&config.paths.workflows).await?;
    for (name, version, outcome) in loaded {
        tracing::info!(workflow = %name, version, ?outcome, "workflow registered");
    }
    if demo {
        match demo::load(&engine, demo::PROVINCE).await? {
            Some(users) => {
                tracing::info!(users, "demo province loaded");
                if config.demo.whole_province {
                    let started = std::time::Instant::now();
                    let admin = engine.actor("admin").await?;
                    let hash = naxian_engine::auth::hash_password(demo::DEMO_PASSWORD)?;
                    let users =
                        demo_extension::extend(&engine, &admin, demo_extension::SHANDONG, &hash).await?;
                    let census = demo_census::run(&engine).await?;
                    tracing::info!(
                        users,
                        census,
                        ms = started.elapsed().as_millis() as u64,
                        "the rest of the demo province loaded, its census under way"
                    );
                }
            }
            None => tracing::info!("demo province already present"),
        }
    }
    Ok(AppState::new(engine, manual)
        .with_secure_cookies(config.server.secure_cookies)
        .with_lost_request_after(chrono::Duration::seconds(
            config.server.lost_request_after_seconds.max(1),
        ))
        .with_request_timeout(std::time::Duration::from_secs(
            config.server.request_timeout_seconds.max(1),
        )))
}
