//! Who is calling: API tokens, browser sessions, the login throttle and
//! the idempotency keys of repeated requests.

use crate::{IdempotencyState, Result, SessionRecord, TokenRecord, UserRecord};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Tokens, browser sessions, login throttling and idempotency keys.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_token(&self, token: &TokenRecord) -> Result<()>;
    /// The user a token hash belongs to, if it has not expired at `now`.
    async fn token_user(
        &self,
        token_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<UserRecord>>;
    async fn create_session(&self, s: &SessionRecord) -> Result<()>;
    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>>;
    async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> Result<()>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;
    /// Keeps what a form's answer says for the session's next page, replacing any left.
    async fn put_flash(&self, id_hash: &str, body: &serde_json::Value) -> Result<()>;
    /// Takes (and removes) what was kept for the session's next page.
    async fn take_flash(&self, id_hash: &str) -> Result<Option<serde_json::Value>>;
    /// Counts one more login attempt for `key` and returns the count, in one
    /// atomic statement, starting a new window at `now` if the old one began
    /// before `since`. Concurrent attempts each get a count of their own.
    async fn count_login_attempt(&self, key: &str, now: DateTime<Utc>, since: DateTime<Utc>) -> Result<i64>;
    /// Takes one counted attempt back (it succeeded, or was never checked).
    async fn forgive_login_attempt(&self, key: &str) -> Result<()>;
    async fn clear_login_failures(&self, key: &str) -> Result<()>;
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
