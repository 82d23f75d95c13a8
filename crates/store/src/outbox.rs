//! The e-mail outbox: queued, leased to a sender, sent, retried or dead.

use crate::{OutboxMessage, OutboxRecord, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The e-mail outbox.
#[async_trait]
pub trait OutboxStore: Send + Sync {
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
    /// Puts a dead e-mail back in the queue; false if there is no dead row with that id.
    async fn outbox_retry(&self, id: &str, now: DateTime<Utc>) -> Result<bool>;
}
