//! A transition's write in one round trip: the change as JSON to the
//! function of `apply.sql` beside this file, which writes every row out of
//! it inside the one statement, on a connection kept
//! for writes (`crate::held`); with a keyed request's response, that and
//! the row of its key in one transaction. On loopback each statement costs about
//! 100 µs; a transition's write was `BEGIN`, five to eight statements and
//! `COMMIT`.

use crate::PostgresStore;
use chrono::{DateTime, SecondsFormat, Utc};
use naxian_store::{change_document, Change, Result, StoreError};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const APPLY_SQL: &str = include_str!("apply.sql");

/// The function's name carries a hash of its text: a release calls the
/// function it was built with, whatever another release on the same
/// database installed.
static FUNCTION: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(APPLY_SQL.as_bytes());
    format!("naxian_apply_{}", &hex::encode(digest)[..12])
});
static CALL: LazyLock<String> = LazyLock::new(|| format!("SELECT {}($1)", *FUNCTION));

/// Creates this release's function unless it is there; replicas starting
/// at once take turns on an advisory lock.
pub(crate) async fn install(pool: &sqlx::PgPool) -> std::result::Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('naxian_apply'))")
        .execute(&mut *tx)
        .await?;
    let present: bool = sqlx::query_scalar("SELECT to_regprocedure($1) IS NOT NULL")
        .bind(format!("{}(jsonb)", *FUNCTION))
        .fetch_one(&mut *tx)
        .await?;
    if !present {
        sqlx::raw_sql(&APPLY_SQL.replace("{name}", &FUNCTION))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

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
        None => sqlx::query(&CALL)
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
    sqlx::query(&CALL)
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
