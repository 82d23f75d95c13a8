//! A transition's write in one round trip: the change as JSON to the
//! `naxian_apply` function (migrations 0012, 0015, 0016, 0018), which
//! writes every row out of it inside the one statement, on a connection kept
//! for writes (`crate::held`); with a keyed request's response, that and
//! the row of its key in one transaction. On loopback each statement costs about
//! 100 µs; a transition's write was `BEGIN`, five to eight statements and
//! `COMMIT`.

use crate::PostgresStore;
use chrono::{DateTime, SecondsFormat, Utc};
use naxian_store::{change_document, Change, Result, StoreError};

/// PostgreSQL keeps microseconds: the times go as text with exactly those,
/// so that what is stored is what the history's hash was taken over.
fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The function's own refusals are a conflict (SQLSTATE NX409) or a
/// directory that moved on (NX410); anything else is mapped as every other
/// statement's error is.
pub(crate) async fn in_one_call(
    store: &PostgresStore,
    c: &Change,
    map_error: fn(sqlx::Error) -> StoreError,
) -> Result<()> {
    let mut conn = store.held.take(store.pool()).await.map_err(map_error)?;
    let done = match &c.idempotency {
        None => sqlx::query("SELECT naxian_apply($1)")
            .bind(sqlx::types::Json(change_document(c, time)))
            .execute(&mut *conn)
            .await
            .map(drop),
        // With the response of a keyed request: both in one transaction.
        Some(done) => with_response(&mut conn, c, done).await,
    };
    match &done {
        // The connection is broken: the pool opens another in its place.
        Err(sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_)) => drop(conn.detach()),
        _ => store.held.put(conn),
    }
    done.map_err(|err| match &err {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("NX409") => {
            StoreError::Conflict(db.message().to_string())
        }
        sqlx::Error::Database(db) if db.code().as_deref() == Some("NX410") => {
            StoreError::DirectoryMoved(db.message().to_string())
        }
        _ => map_error(err),
    })?;
    Ok(())
}

/// The change and its request's response under the Idempotency-Key, in one
/// transaction: a client that never heard the answer gets it on retry.
async fn with_response(
    conn: &mut sqlx::PgConnection,
    c: &Change,
    done: &naxian_store::IdempotencyDone,
) -> std::result::Result<(), sqlx::Error> {
    let mut tx = sqlx::Connection::begin(conn).await?;
    sqlx::query("SELECT naxian_apply($1)")
        .bind(sqlx::types::Json(change_document(c, time)))
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
