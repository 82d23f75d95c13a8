//! Workflow definitions, instances with their tasks and audit history, the
//! inbox, the one transition write ([`InstanceStore::apply`]), reads of
//! personal data and its retention.

use crate::{
    AccessRecord, Change, HistoryRecord, InboxRow, InstanceFilter, InstanceKey, InstanceRecord,
    InstanceState, Registered, Result, WorkflowRecord,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use naxian_model::machine::TaskStatus;

/// Definitions, instances, tasks, history, the inbox and the transition write.
#[async_trait]
pub trait InstanceStore: Send + Sync {
    /// Stores a definition version; an existing (name, version) with other source is a conflict.
    async fn register_workflow(&self, wf: &WorkflowRecord) -> Result<Registered>;
    async fn workflow(&self, name: &str, version: i64) -> Result<Option<WorkflowRecord>>;
    /// The newest version of every workflow.
    async fn latest_workflows(&self) -> Result<Vec<WorkflowRecord>>;
    async fn instance(&self, id: &str) -> Result<Option<InstanceRecord>>;
    /// An instance with its tasks and history, in one query.
    async fn instance_state(&self, key: InstanceKey<'_>) -> Result<Option<InstanceState>>;
    /// The id of the instance started with this unique key, if any.
    async fn instance_with_key(&self, unique_key: &str) -> Result<Option<String>>;
    async fn tasks_of(&self, instance_id: &str) -> Result<Vec<naxian_model::Task>>;
    async fn task(&self, id: &str) -> Result<Option<naxian_model::Task>>;
    async fn history(&self, instance_id: &str) -> Result<Vec<HistoryRecord>>;
    /// The histories of several instances in one query, each in `seq` order.
    async fn histories(&self, instance_ids: &[String]) -> Result<Vec<HistoryRecord>>;
    /// The data as each submission sent it, by the seq of its history entry, oldest first.
    async fn data_versions(&self, instance_id: &str) -> Result<Vec<(i64, serde_json::Value)>>;
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
    /// Every history entry, ordered by instance and sequence.
    async fn all_history(&self) -> Result<Vec<HistoryRecord>>;
    async fn log_access(&self, a: &AccessRecord) -> Result<()>;
    /// Reads of one instance's record, newest first.
    async fn access_log(&self, instance_id: &str, limit: i64) -> Result<Vec<AccessRecord>>;
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
}
