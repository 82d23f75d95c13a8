//! Persistence for Naxian: the [`Store`] trait every backend implements, the
//! records it reads and writes, its error type and the SQL shared by the SQL
//! backends ([`sql_store!`]). What every backend must do is checked by the
//! `naxian-store-conformance` suite, run by each backend's tests.

mod change_document;
pub mod inbox;
mod records;
mod sql;

pub use change_document::change_document;
pub use records::*;

/// Records a request's response under its key (status, body, login, key),
/// after the request or in the transaction of the change it made.
pub const IDEMPOTENCY_DONE: &str =
    "UPDATE idempotency SET status = $1, body = $2 WHERE login = $3 AND key = $4";

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
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
    /// The directory's generation moved on after the change was decided
    /// (`Change::expected_generation`): decide again on a fresh read.
    #[error("the directory changed: {0}")]
    DirectoryMoved(String),
    /// The database cannot be reached.
    #[error("database unavailable: {message}")]
    Unavailable {
        message: String,
        #[source]
        cause: Option<Cause>,
    },
    #[error("database error: {message}")]
    Database {
        message: String,
        #[source]
        cause: Option<Cause>,
    },
}

/// The failure underneath a [`StoreError`] (the driver's error), kept for the log.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

impl StoreError {
    pub fn unavailable(message: impl Into<String>) -> StoreError {
        StoreError::Unavailable {
            message: message.into(),
            cause: None,
        }
    }

    pub fn unavailable_from(message: impl Into<String>, cause: impl Into<Cause>) -> StoreError {
        StoreError::Unavailable {
            message: message.into(),
            cause: Some(cause.into()),
        }
    }

    pub fn database(message: impl Into<String>) -> StoreError {
        StoreError::Database {
            message: message.into(),
            cause: None,
        }
    }

    pub fn database_from(message: impl Into<String>, cause: impl Into<Cause>) -> StoreError {
        StoreError::Database {
            message: message.into(),
            cause: Some(cause.into()),
        }
    }
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
    /// Bodies of units at or below `path`, by unit code.
    async fn bodies_under(&self, path: &str) -> Result<Vec<(String, Body)>>;
    /// Writes a whole import in one transaction: on any failure nothing is kept.
    async fn import_directory(&self, batch: &DirectoryBatch) -> Result<()>;
    /// The unit, its ancestors, the departments under them and its body.
    async fn org_context(&self, code: &str) -> Result<Option<OrgContext>>;
    /// The same for the unit at `path` (known from an instance), in one query.
    async fn org_context_at(&self, path: &str) -> Result<Option<OrgContext>>;
    /// The directory's generation now (migration 0014).
    async fn directory_generation(&self) -> Result<i64>;

    // Users, grants, tokens
    async fn create_user(&self, user: &UserRecord) -> Result<()>;
    async fn user(&self, login: &str) -> Result<Option<UserRecord>>;
    async fn add_grant(&self, login: &str, role: Role, org_unit: &str) -> Result<()>;
    /// Turns a user's daily digest on or off; false if there is no such user.
    async fn set_digest(&self, login: &str, digest: bool) -> Result<bool>;
    async fn digest_users(&self) -> Result<Vec<UserRecord>>;
    async fn grants(&self, login: &str) -> Result<Vec<Grant>>;
    async fn create_token(&self, token: &TokenRecord) -> Result<()>;
    /// The user a token hash belongs to, if it has not expired at `now`.
    async fn token_user(
        &self,
        token_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<UserRecord>>;

    // Browser sessions and login throttling
    async fn create_session(&self, s: &SessionRecord) -> Result<()>;
    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>>;
    async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> Result<()>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;
    /// Counts one more login attempt for `key` and returns the count, in one
    /// atomic statement, starting a new window at `now` if the old one began
    /// before `since`. Concurrent attempts each get a count of their own.
    async fn count_login_attempt(&self, key: &str, now: DateTime<Utc>, since: DateTime<Utc>) -> Result<i64>;
    /// Takes one counted attempt back (it succeeded, or was never checked).
    async fn forgive_login_attempt(&self, key: &str) -> Result<()>;
    async fn clear_login_failures(&self, key: &str) -> Result<()>;

    // Workflow definitions
    /// Stores a definition version; an existing (name, version) with other source is a conflict.
    async fn register_workflow(&self, wf: &WorkflowRecord) -> Result<Registered>;
    async fn workflow(&self, name: &str, version: i64) -> Result<Option<WorkflowRecord>>;
    /// The newest version of every workflow.
    async fn latest_workflows(&self) -> Result<Vec<WorkflowRecord>>;

    // Instances and tasks
    async fn instance(&self, id: &str) -> Result<Option<InstanceRecord>>;
    /// An instance with its tasks and history, in one query.
    async fn instance_state(&self, key: InstanceKey<'_>) -> Result<Option<InstanceState>>;
    /// The id of the instance started with this unique key, if any.
    async fn instance_with_key(&self, unique_key: &str) -> Result<Option<String>>;
    async fn tasks_of(&self, instance_id: &str) -> Result<Vec<naxian_model::Task>>;
    async fn task(&self, id: &str) -> Result<Option<naxian_model::Task>>;
    async fn history(&self, instance_id: &str) -> Result<Vec<HistoryRecord>>;
    async fn list_instances(&self, filter: &InstanceFilter) -> Result<Vec<naxian_model::Instance>>;
    /// Tasks assigned to `login`, or to a role they hold at a unit covering the task's unit.
    async fn inbox(&self, login: &str, status: TaskStatus, limit: i64) -> Result<Vec<InboxRow>>;
    /// How many open tasks the inbox of `login` holds (all of them, not a page).
    async fn inbox_count(&self, login: &str) -> Result<i64>;
    /// The database's plan for that inbox query, one line a row: measured
    /// (`EXPLAIN ANALYZE`) on PostgreSQL, `EXPLAIN QUERY PLAN` on SQLite.
    async fn explain_inbox(&self, login: &str, status: TaskStatus, limit: i64) -> Result<Vec<String>>;
    /// Persists one decision atomically. For an update, `change.expected_revision`
    /// must still be the stored revision, else [`StoreError::Conflict`]; with
    /// `change.expected_generation`, the directory's generation must still be
    /// that one, else [`StoreError::DirectoryMoved`]. Nothing is written then.
    async fn apply(&self, change: &Change) -> Result<()>;

    // Audit
    /// Every history entry, ordered by instance and sequence.
    async fn all_history(&self) -> Result<Vec<HistoryRecord>>;

    // Working-day calendar
    /// Replaces one year's holidays and make-up working days.
    async fn save_calendar_year(
        &self,
        year: i32,
        holidays: &[NaiveDate],
        workdays: &[NaiveDate],
    ) -> Result<()>;
    /// Every stored year with its holidays and make-up working days.
    async fn calendar(&self) -> Result<Vec<(i32, Vec<NaiveDate>, Vec<NaiveDate>)>>;

    /// Users holding `role` at a unit whose path is a prefix of `unit_path`,
    /// each with the path of the unit of that grant (nearest first).
    async fn holders(&self, role: Role, unit_path: &str) -> Result<Vec<(UserRecord, String)>>;

    // Timers
    /// Leases up to `limit` pending timers due at `now` to `owner` for `lease_ms`
    /// of the database's clock; a timer whose lease ran out may be taken over.
    async fn claim_timers(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<TimerRecord>>;
    /// Marks a leased timer fired, queues its e-mails and writes `next` (the
    /// task's next timer, as the engine states it) if the task is still
    /// open, atomically; fails with a conflict when `owner` no longer holds
    /// the lease.
    async fn complete_timer(
        &self,
        id: &str,
        owner: &str,
        at: DateTime<Utc>,
        next: Option<&TimerRecord>,
        outbox: &[OutboxMessage],
    ) -> Result<()>;

    // Outbox
    /// Queues e-mails outside a transition; a dedupe key already queued is skipped.
    async fn enqueue(&self, outbox: &[OutboxMessage]) -> Result<()>;
    /// Leases up to `limit` pending e-mails whose next attempt is due at `now`.
    async fn claim_outbox(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<OutboxRecord>>;
    /// Records a delivery; fenced by the lease like `complete_timer`.
    async fn outbox_sent(&self, id: &str, owner: &str, at: DateTime<Utc>) -> Result<()>;
    /// Records a failed attempt: retry at `retry_at`, or dead when `None`.
    async fn outbox_failed(
        &self,
        id: &str,
        owner: &str,
        at: DateTime<Utc>,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()>;
    async fn outbox_list(&self, status: Option<&str>, limit: i64) -> Result<Vec<OutboxRecord>>;

    // Schedules
    /// The latest slot of a schedule recorded in any state.
    async fn last_slot(&self, schedule: &str) -> Result<Option<DateTime<Utc>>>;
    /// Records slots that will not fire, with why; a slot already recorded is left alone.
    async fn skip_slots(&self, schedule: &str, slots: &[(DateTime<Utc>, String)]) -> Result<()>;
    /// Creates the slot if needed and leases it to `owner`; false if another has it or it is done.
    async fn claim_slot(
        &self,
        schedule: &str,
        slot: DateTime<Utc>,
        owner: &str,
        lease_ms: i64,
    ) -> Result<bool>;
    /// Marks a leased slot fired and queues its e-mails, atomically; fenced by the lease.
    async fn complete_slot(
        &self,
        schedule: &str,
        slot: DateTime<Utc>,
        owner: &str,
        at: DateTime<Utc>,
        note: &str,
        outbox: &[OutboxMessage],
    ) -> Result<()>;
    async fn slots(&self, schedule: &str, limit: i64) -> Result<Vec<SlotRecord>>;

    // Campaigns and urges
    async fn create_campaign(&self, c: &CampaignRecord) -> Result<()>;
    async fn campaign(&self, id: &str) -> Result<Option<CampaignRecord>>;
    /// Records an urge of a task on `day` and queues its e-mails, atomically;
    /// false (and nothing queued) if the task was already urged that day.
    async fn urge(
        &self,
        task_id: &str,
        day: NaiveDate,
        login: &str,
        at: DateTime<Utc>,
        outbox: &[OutboxMessage],
    ) -> Result<bool>;

    // Access to personal data
    async fn log_access(&self, a: &AccessRecord) -> Result<()>;
    /// Reads of one instance's record, newest first.
    async fn access_log(&self, instance_id: &str, limit: i64) -> Result<Vec<AccessRecord>>;

    // Retention
    /// Finished instances not yet purged whose last change is before `before`, oldest first.
    async fn purge_candidates(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<naxian_model::Instance>>;
    /// Replaces a finished instance's data with `data` (its personal fields
    /// removed) and deletes its attachments, in one transaction; false if it
    /// was purged already.
    async fn purge_instance(&self, id: &str, data: &serde_json::Value, at: DateTime<Utc>) -> Result<bool>;

    // Attachments
    async fn add_attachment(&self, a: &AttachmentRecord, content: &[u8]) -> Result<()>;
    /// An instance's attachments, oldest first, without their content.
    async fn attachments(&self, instance_id: &str) -> Result<Vec<AttachmentRecord>>;
    async fn attachment(&self, id: &str) -> Result<Option<(AttachmentRecord, Vec<u8>)>>;

    // Reporting reads
    /// Units of a kind, in code order.
    async fn units_of_kind(&self, kind: naxian_model::OrgKind) -> Result<Vec<OrgUnit>>;
    /// The unit at `path` and every unit below it.
    async fn units_under(&self, path: &str) -> Result<Vec<OrgUnit>>;
    /// Current and past members of bodies at or below `path`, with the unit's path.
    async fn members_under(&self, path: &str) -> Result<Vec<(MemberRecord, String)>>;
    /// Every grant at or below `path` with its unit and user: the liaison
    /// list (联络表) and the administration pages read this.
    async fn contacts_under(&self, path: &str) -> Result<Vec<Contact>>;
    /// Instances of a workflow at or below `path`.
    async fn instances_under(&self, workflow: &str, path: &str) -> Result<Vec<naxian_model::Instance>>;
    /// Open tasks past their due time on a workflow's instances at or below `path`.
    async fn overdue_tasks_under(
        &self,
        workflow: &str,
        path: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<InboxRow>>;
    /// Open tasks of a workflow's instances in `step`.
    async fn open_tasks_in(&self, workflow: &str, step: &str) -> Result<Vec<InboxRow>>;
    /// Puts a dead e-mail back in the queue; false if there is no dead row with that id.
    async fn outbox_retry(&self, id: &str, now: DateTime<Utc>) -> Result<bool>;

    // Idempotency keys
    /// Records that a request with this key started at `now`. A started
    /// request never finished and begun before `lost_before` is taken as lost
    /// (its server stopped): the key starts afresh.
    async fn idempotency_begin(
        &self,
        login: &str,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
        lost_before: DateTime<Utc>,
    ) -> Result<IdempotencyState>;
    async fn idempotency_finish(&self, login: &str, key: &str, status: u16, body: &str) -> Result<()>;
    async fn idempotency_abort(&self, login: &str, key: &str) -> Result<()>;
}

/// Maps a sqlx error to the store's error kinds.
#[doc(hidden)]
pub fn classify(kind: ErrorKind, err: impl Into<Cause>) -> StoreError {
    let err = err.into();
    match kind {
        ErrorKind::Unique => StoreError::Conflict(err.to_string()),
        ErrorKind::ForeignKey => StoreError::NotFound(err.to_string()),
        ErrorKind::Unavailable => StoreError::unavailable_from("the query did not reach the database", err),
        ErrorKind::Other => StoreError::database_from("the query failed", err),
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
