//! A transition's write as one statement: the change goes as one JSON
//! document into the `apply_change` view, whose trigger (migrations 0013, 0018)
//! writes every row out of it. One statement is its own transaction and one
//! call to sqlx's worker thread; statement by statement, with `BEGIN` and
//! `COMMIT`, every statement was such a call. The document goes in as
//! JSONB, parsed once rather than by each of the trigger's statements.

use crate::SqliteStore;
use chrono::{DateTime, SecondsFormat, Utc};
use naxian_store::{change_document, Change, Result, StoreError};

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
    sqlx::query("INSERT INTO apply_change (document) VALUES (jsonb($1))")
        .bind(change_document(c, time).to_string())
        .execute(store.writer())
        .await
        .map_err(|err| match &err {
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
