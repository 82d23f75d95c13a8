//! A transition's write as one statement (with a keyed request's
//! response, that and the row of its key in one transaction): the change goes as one JSON
//! document into the `transition` view, whose trigger (`apply.sql` beside
//! this file) writes every row out of it. One statement is its own transaction and one
//! call to sqlx's worker thread; statement by statement, with `BEGIN` and
//! `COMMIT`, every statement was such a call. The document goes in as
//! JSONB, parsed once rather than by each of the trigger's statements.

use crate::SqliteStore;
use chrono::{DateTime, SecondsFormat, Utc};
use naxian_store::{change_document, Change, Result, StoreError};

const APPLY_SQL: &str = include_str!("apply.sql");

/// Creates the view and its trigger in a writer connection's temporary
/// schema, as the connection opens.
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

/// A failed check is a conflict (message `NX409 …`) or a directory that
/// moved on (`NX410 …`); anything else is mapped as every other statement's
/// error is.
pub(crate) async fn in_one_statement(
    store: &SqliteStore,
    c: &Change,
    map_error: fn(sqlx::Error) -> StoreError,
) -> Result<()> {
    let document = change_document(c, time).to_string();
    let done = match &c.idempotency {
        None => sqlx::query("INSERT INTO transition (document) VALUES (jsonb($1))")
            .bind(document)
            .execute(store.writer())
            .await
            .map(drop),
        // With the response of a keyed request: both in one transaction.
        Some(done) => with_response(store, document, done).await,
    };
    done.map_err(|err| match &err {
        sqlx::Error::Database(db) if db.message().starts_with("NX409 ") => {
            StoreError::Conflict(db.message()["NX409 ".len()..].to_string())
        }
        sqlx::Error::Database(db) if db.message().starts_with("NX410 ") => {
            StoreError::DirectoryMoved(db.message()["NX410 ".len()..].to_string())
        }
        _ => map_error(err),
    })?;
    Ok(())
}

/// The change and its request's response under the Idempotency-Key, in one
/// transaction: a client that never heard the answer gets it on retry.
async fn with_response(
    store: &SqliteStore,
    document: String,
    done: &naxian_store::IdempotencyDone,
) -> std::result::Result<(), sqlx::Error> {
    let mut tx = store.writer().begin().await?;
    sqlx::query("INSERT INTO transition (document) VALUES (jsonb($1))")
        .bind(document)
        .execute(&mut *tx)
        .await?;
    sqlx::query(naxian_store::IDEMPOTENCY_DONE)
        .bind(i32::from(done.status))
        .bind(&done.body)
        .bind(&done.login)
        .bind(&done.key)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
