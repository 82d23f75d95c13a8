//! Persistence for Naxian: the [`Store`] trait every backend implements, the
//! records it reads and writes, its error type, the SQL shared by the SQL
//! backends ([`sql_store!`]) and the conformance suite they must all pass.

pub mod conformance;
mod records;
mod sql;

pub use records::*;

use async_trait::async_trait;
use naxian_model::directory::{Body, OrgContext, OrgUnit, Role};
use naxian_model::machine::TaskStatus;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A row the operation needs does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A unique key already holds this, or the row changed since it was read.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything Naxian keeps. Reads may run anywhere; [`Store::apply`] is the one
/// write of a workflow transition and must be atomic and version-checked.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is (`sqlite`, `postgres`), for logs and benchmarks.
    fn backend(&self) -> &'static str;
    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;

    // Directory
    async fn create_org_unit(&self, unit: &OrgUnit) -> Result<()>;
    async fn org_unit(&self, code: &str) -> Result<Option<OrgUnit>>;
    async fn set_body(&self, code: &str, body: &Body) -> Result<()>;
    async fn body(&self, code: &str) -> Result<Option<Body>>;
    async fn members(&self, code: &str) -> Result<Vec<MemberRecord>>;
    /// The unit, its ancestors, the departments under them and its body.
    async fn org_context(&self, code: &str) -> Result<Option<OrgContext>>;

    // Users, grants, tokens
    async fn create_user(&self, user: &UserRecord) -> Result<()>;
    async fn user(&self, login: &str) -> Result<Option<UserRecord>>;
    async fn add_grant(&self, login: &str, role: Role, org_unit: &str) -> Result<()>;
    async fn grants(&self, login: &str) -> Result<Vec<Grant>>;
    async fn create_token(&self, token: &TokenRecord) -> Result<()>;
    /// The user a token hash belongs to, if it has not expired at `now`.
    async fn token_user(
        &self,
        token_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<UserRecord>>;

    // Workflow definitions
    /// Stores a definition version; an existing (name, version) with other source is a conflict.
    async fn register_workflow(&self, wf: &WorkflowRecord) -> Result<Registered>;
    async fn workflow(&self, name: &str, version: i64) -> Result<Option<WorkflowRecord>>;
    /// The newest version of every workflow.
    async fn latest_workflows(&self) -> Result<Vec<WorkflowRecord>>;

    // Instances and tasks
    async fn instance(&self, id: &str) -> Result<Option<InstanceRecord>>;
    async fn tasks_of(&self, instance_id: &str) -> Result<Vec<naxian_model::Task>>;
    async fn task(&self, id: &str) -> Result<Option<naxian_model::Task>>;
    async fn history(&self, instance_id: &str) -> Result<Vec<HistoryRecord>>;
    async fn list_instances(&self, filter: &InstanceFilter) -> Result<Vec<naxian_model::Instance>>;
    /// Tasks assigned to `login`, or to a role they hold at a unit covering the task's unit.
    async fn inbox(&self, login: &str, status: TaskStatus, limit: i64) -> Result<Vec<InboxRow>>;
    /// Persists one decision atomically. For an update, `change.expected_revision`
    /// must still be the stored revision, else [`StoreError::Conflict`].
    async fn apply(&self, change: &Change) -> Result<()>;

    // Audit
    /// Every history entry, ordered by instance and sequence.
    async fn all_history(&self) -> Result<Vec<HistoryRecord>>;

    // Idempotency keys
    async fn idempotency_begin(&self, login: &str, key: &str, request_hash: &str)
        -> Result<IdempotencyState>;
    async fn idempotency_finish(&self, login: &str, key: &str, status: u16, body: &str) -> Result<()>;
    async fn idempotency_abort(&self, login: &str, key: &str) -> Result<()>;
}

/// Maps a sqlx error to the store's error kinds.
#[doc(hidden)]
pub fn classify(kind: ErrorKind, message: String) -> StoreError {
    match kind {
        ErrorKind::Unique => StoreError::Conflict(message),
        ErrorKind::ForeignKey => StoreError::NotFound(message),
        ErrorKind::Unavailable => StoreError::Unavailable(message),
        ErrorKind::Other => StoreError::Database(message),
    }
}

/// Backend-neutral classes of database failure.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum ErrorKind {
    Unique,
    ForeignKey,
    Unavailable,
    Other,
}

/// The `TaskStatus` text, re-exported for SQL.
pub fn status_text(s: TaskStatus) -> &'static str {
    s.as_str()
}
