//! What the boards, reports and campaigns read across many instances, and
//! the campaigns and urges they write.

use crate::{CampaignRecord, InboxRow, OutboxMessage, Result};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

/// Reads across instances for boards and reports; campaigns and urges.
#[async_trait]
pub trait ReportStore: Send + Sync {
    async fn create_campaign(&self, c: &CampaignRecord) -> Result<()>;
    async fn campaign(&self, id: &str) -> Result<Option<CampaignRecord>>;
    /// Every campaign, newest first.
    async fn campaigns(&self) -> Result<Vec<CampaignRecord>>;
    /// Who has read each instance of a workflow: distinct (instance id, login)
    /// pairs of the access log, for telling an opened task from a silent one.
    async fn readers_of(&self, workflow: &str) -> Result<Vec<(String, String)>>;
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
}
