//! The engine runs commands: it loads what a decision needs, lets the model
//! decide, and has the store persist the decision in one transaction. It also
//! owns authentication, the directory's rules and the workflow registry.

pub mod accounts;
pub mod attachments;
pub mod auth;
mod calendar;
pub mod campaign_tables;
pub mod campaigns;
pub mod catalogue;
pub mod charts;
pub mod clock;
pub mod delegations;
mod directory;
mod directory_cache;
pub mod error;
mod figures;
pub mod import;
mod instance_cache;
mod instances;
pub mod keyed;
pub mod login;
pub mod members;
pub mod notices;
pub mod notify;
pub mod published;
pub mod ranking;
pub mod reports;
mod retention;
pub mod runner;
pub mod schedules;
pub mod seats;
pub mod sessions;
pub mod slots;
mod tables;
mod timer_chain;
pub mod unit_facts;
pub mod versions;
pub mod views;
mod workflows;

pub use auth::Actor;
pub use clock::{Clock, ManualClock, SystemClock};
pub use directory::{Administered, NewOrgUnit, NewUser, UnitDetail};
pub use error::EngineError;
pub use instances::{AuditReport, InboxItem, InstanceView, StartRequest};
pub use workflows::{check_definitions, definition_files};

use naxian_model::calendar::Calendar;
use naxian_model::Definition;
use naxian_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Settings the engine's rules depend on.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A body whose term ends within this many days is due for a congress election.
    pub congress_window_days: u64,
    /// How long an API token lives.
    pub token_ttl_hours: i64,
    /// When the daily digest goes out (cron, Asia/Shanghai).
    pub digest_cron: String,
    /// The largest attachment accepted, in bytes.
    pub attachment_max_bytes: usize,
    /// Days after which a finished instance's personal data is removed (0: never).
    pub retention_days: u32,
    /// How long background work (a timer, an e-mail) stays with the replica
    /// that took it, in milliseconds.
    pub lease_ms: i64,
    /// How many timers or e-mails one claim takes: smaller spreads a burst
    /// over more replicas, larger costs fewer round trips.
    pub claim_batch: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            congress_window_days: 180,
            token_ttl_hours: 24 * 7,
            digest_cron: "0 0 8 * * *".into(),
            attachment_max_bytes: 10 * 1024 * 1024,
            retention_days: 1095,
            lease_ms: 60_000,
            claim_batch: 50,
        }
    }
}

/// Parsed definitions by (name, version); a stored version never changes.
type DefinitionCache = Arc<RwLock<HashMap<(String, i64), Arc<Definition>>>>;

/// The engine: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Engine {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
    definitions: DefinitionCache,
    /// Swapped whole when reloaded, so a decision reads one consistent calendar.
    calendar: Arc<RwLock<Arc<Calendar>>>,
    directory_cache: Arc<directory_cache::DirectoryCache>,
    instance_cache: Arc<instance_cache::InstanceCache>,
    hash_pool: Arc<auth::HashPool>,
    /// The e-mail templates, whose subject lines are the notices' (消息) text.
    mail_templates: Option<Arc<naxian_mail::MailTemplates>>,
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: Settings) -> Engine {
        Engine {
            store,
            clock,
            settings: Arc::new(settings),
            definitions: Arc::default(),
            calendar: Arc::default(),
            directory_cache: Arc::default(),
            instance_cache: Arc::default(),
            hash_pool: Arc::default(),
            mail_templates: None,
        }
    }

    /// The engine whose notices read as its e-mails' subjects do; without
    /// templates a notice reads as its title.
    pub fn with_mail_templates(mut self, templates: Arc<naxian_mail::MailTemplates>) -> Engine {
        self.mail_templates = Some(templates);
        self
    }

    /// The store under the engine, for tests and operator tools that read
    /// rows directly. Request handlers ask the engine (a test in the server
    /// crate holds them to it).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Which database the store is (`sqlite` or `postgres`).
    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> error::Result<()> {
        Ok(self.store.ping().await?)
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// What a decision about a unit may know: its directory context, the
    /// calendar, and the time now.
    pub(crate) fn decision_context<'a>(
        &self,
        org: &'a naxian_model::OrgContext,
        calendar: &'a Calendar,
    ) -> naxian_model::machine::Context<'a> {
        naxian_model::machine::Context {
            org,
            calendar,
            now: self.clock.now(),
            today: self.clock.today(),
            congress_window_days: self.settings.congress_window_days,
            on_behalf_of: None,
        }
    }
}
