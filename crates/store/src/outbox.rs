//! The e-mail outbox: queued, leased to a sender, sent, retried or dead;
//! and the notices (消息) written with it, read or unread.

use crate::{NoticeRecord, NoticesRead, OutboxMessage, OutboxRecord, Result};
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
    /// A user's notices, newest first: unread ones only, or those of one
    /// template (`copy` for 抄送我的), at most `limit`.
    async fn notices(
        &self,
        login: &str,
        unread_only: bool,
        template: Option<&str>,
        limit: i64,
    ) -> Result<Vec<NoticeRecord>>;
    /// One of a user's notices; `None` if it is not theirs.
    async fn notice(&self, login: &str, id: &str) -> Result<Option<NoticeRecord>>;
    /// How many of a user's notices are unread.
    async fn unread_notices(&self, login: &str) -> Result<i64>;
    /// Marks notices read at `at`; how many were unread.
    async fn read_notices(&self, login: &str, which: NoticesRead<'_>, at: DateTime<Utc>) -> Result<u64>;
}
