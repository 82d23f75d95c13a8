//! Transitions' writes, committed together: each `apply` hands its change
//! to one writer task, which takes every change waiting at that moment and
//! writes them all in one statement — an insert of their documents into the
//! `transition` view, whose trigger (`apply.sql` beside this file) writes
//! each one's rows — and one commit, then reads back which were refused and
//! answers each caller on its own. SQLite has one writer anyway; what bounded
//! it was the calls to sqlx's worker thread, each a wake-up of two threads:
//! one such call a batch, whatever its size, instead of one a change.
//!
//! A change refused by a guard (the revision, the directory's generation, a
//! start's unique key, a task already done) writes nothing and never fails
//! the others. A batch whose statement fails otherwise (a foreign key, say)
//! is written again one change at a time, so that the error reaches only the
//! change that caused it.

use crate::SqliteStore;
use chrono::{DateTime, SecondsFormat, Utc};
use naxian_store::{change_document, Change, Result, StoreError};
use serde_json::{json, Value};
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

const APPLY_SQL: &str = include_str!("apply.sql");

/// At most this many changes in one statement.
const MAX_BATCH: usize = 64;

/// Creates the view, its trigger and the refusals' table in a writer
/// connection's temporary schema, as the connection opens.
pub(crate) fn install(
    conn: &mut sqlx::SqliteConnection,
) -> futures::future::BoxFuture<'_, std::result::Result<(), sqlx::Error>> {
    Box::pin(async move { sqlx::Executor::execute(conn, APPLY_SQL).await.map(drop) })
}

/// Times as sqlx writes them to SQLite, so that text comparisons and the
/// history's hash see the same text whichever path wrote a row.
fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

type MapError = fn(sqlx::Error) -> StoreError;

struct Pending {
    document: Value,
    map_error: MapError,
    answer: oneshot::Sender<Result<()>>,
}

/// The way to the writer task; the task ends when the store is dropped.
pub(crate) struct Writer(mpsc::UnboundedSender<Pending>);

impl Writer {
    pub(crate) fn start(pool: SqlitePool) -> Writer {
        let (send, receive) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, receive));
        Writer(send)
    }
}

/// The `apply` of the store: queues the change and waits for its answer.
pub(crate) async fn in_batch(store: &SqliteStore, c: &Change, map_error: MapError) -> Result<()> {
    let mut document = change_document(c, time);
    document["idempotency"] = match &c.idempotency {
        None => Value::Null,
        Some(done) => json!({
            "login": done.login, "key": done.key, "status": done.status, "body": done.body,
        }),
    };
    let (answer, answered) = oneshot::channel();
    let gone = || StoreError::unavailable("the SQLite writer has stopped");
    store
        .applier()
        .0
        .send(Pending {
            document,
            map_error,
            answer,
        })
        .map_err(|_| gone())?;
    answered.await.map_err(|_| gone())?
}

async fn run(pool: SqlitePool, mut receive: mpsc::UnboundedReceiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receive.recv_many(&mut batch, MAX_BATCH).await > 0 {
        commit(&pool, std::mem::take(&mut batch)).await;
    }
}

async fn commit(pool: &SqlitePool, batch: Vec<Pending>) {
    match write(pool, &batch).await {
        Ok(refused) => {
            for (n, p) in batch.into_iter().enumerate() {
                let verdict = match refused.iter().find(|(at, _)| *at == n as i64) {
                    None => Ok(()),
                    Some((_, code)) => Err(refusal(code)),
                };
                let _ = p.answer.send(verdict);
            }
        }
        Err(err) if batch.len() > 1 => {
            tracing::debug!(changes = batch.len(), error = %err, "batch failed: each change alone");
            // Refusals of the failed statement went with it; nothing stale is read.
            for p in batch {
                commit_one(pool, p).await;
            }
        }
        Err(err) => {
            let Some(p) = batch.into_iter().next() else { return };
            let _ = p.answer.send(Err((p.map_error)(err)));
        }
    }
}

async fn commit_one(pool: &SqlitePool, p: Pending) {
    let verdict = match write(pool, std::slice::from_ref(&p)).await {
        Ok(refused) => match refused.first() {
            None => Ok(()),
            Some((_, code)) => Err(refusal(code)),
        },
        Err(err) => Err((p.map_error)(err)),
    };
    let _ = p.answer.send(verdict);
}

/// Writes the batch in one statement (its own transaction) and returns the
/// refused changes' places and codes.
async fn write(pool: &SqlitePool, batch: &[Pending]) -> std::result::Result<Vec<(i64, String)>, sqlx::Error> {
    let documents: Vec<Value> = batch
        .iter()
        .enumerate()
        .map(|(n, p)| {
            let mut d = p.document.clone();
            d["n"] = json!(n);
            d
        })
        .collect();
    // Both statements in one call to the connection's worker thread, on the
    // one connection whose temporary schema holds the refusals: the insert
    // commits on its own, then the refusals it recorded are taken.
    sqlx::query_as(
        "INSERT INTO transition (document) SELECT jsonb(value) FROM json_each($1);
         DELETE FROM temp.refusal RETURNING n, code",
    )
    .bind(Value::Array(documents).to_string())
    .fetch_all(pool)
    .await
}

/// A guard's code, as the engine is told it.
fn refusal(code: &str) -> StoreError {
    match code {
        "directory_moved" => StoreError::DirectoryMoved(
            "the directory changed after the instance was read: decide again".into(),
        ),
        "task_done" => StoreError::Conflict("the task is already done".into()),
        "unique_key" => StoreError::Conflict("an instance with this key exists already".into()),
        _ => StoreError::Conflict("the instance changed under you: reload and retry".into()),
    }
}
