//! A task action sent with an `Idempotency-Key` records its HTTP response in
//! the same transaction as the action, so that a client whose request died
//! with its server after the commit gets that response when it sends the
//! request again, instead of "the task is already done". The server sets the
//! key and how the response is rendered around the engine call
//! ([`with_response`]); the engine renders the view it is about to write
//! and hands the record to the store with the change.

use crate::error::Result;
use crate::{Actor, Engine, InstanceView};
use chrono::{DateTime, Utc};
use naxian_store::{IdempotencyDone, IdempotencyState};
use std::future::Future;

/// The answer to a request (status and JSON body) from the instance as the
/// action leaves it.
pub type Render = Box<dyn Fn(&InstanceView) -> (u16, String) + Send + Sync>;

/// Whose key it is and how the answer to the request is rendered.
pub struct KeyedResponse {
    pub login: String,
    pub key: String,
    pub render: Render,
}

tokio::task_local! {
    static KEYED: KeyedResponse;
}

/// Runs `f` (an engine call) with its response recorded under the key.
pub async fn with_response<F: Future>(keyed: KeyedResponse, f: F) -> F::Output {
    KEYED.scope(keyed, f).await
}

/// Whether the running call records a response.
pub(crate) fn active() -> bool {
    KEYED.try_with(|_| ()).is_ok()
}

/// The record to write with the change that leaves the instance as `view`.
pub(crate) fn response_for(view: &InstanceView) -> Option<IdempotencyDone> {
    KEYED
        .try_with(|k| {
            let (status, body) = (k.render)(view);
            IdempotencyDone {
                login: k.login.clone(),
                key: k.key.clone(),
                status,
                body,
            }
        })
        .ok()
}

impl Engine {
    /// Claims `key` for this request (by the hash of its method, path and
    /// body), or tells what became of an earlier request under it; a claim
    /// made before `lost_before` is taken over. Both times are the server's
    /// wall clock: how long a request may take is not the workflows' time.
    pub async fn idempotency_begin(
        &self,
        actor: &Actor,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
        lost_before: DateTime<Utc>,
    ) -> Result<IdempotencyState> {
        Ok(self
            .store
            .idempotency_begin(&actor.login, key, request_hash, now, lost_before)
            .await?)
    }

    /// Records the response given under `key`, for a repeat to get.
    pub async fn idempotency_finish(&self, actor: &Actor, key: &str, status: u16, body: &str) -> Result<()> {
        Ok(self
            .store
            .idempotency_finish(&actor.login, key, status, body)
            .await?)
    }

    /// Gives `key` up, so that the request may be sent again.
    pub async fn idempotency_abort(&self, actor: &Actor, key: &str) -> Result<()> {
        Ok(self.store.idempotency_abort(&actor.login, key).await?)
    }
}
