//! The SQL both SQL backends share, one module per area of the store. Their schemas differ in column types
//! (TEXT vs TIMESTAMPTZ/JSONB/DATE) but not in names, and every statement here
//! runs unchanged on SQLite and PostgreSQL (`$n` placeholders, `ON CONFLICT`,
//! `substr` for path prefixes rather than `LIKE`, whose `_` is a wildcard).
//!
//! A backend type provides `reader()` and `writer()` pools, `begin_write`,
//! `saw_error` (told of every database error) and `BACKEND`, then calls
//! `naxian_store::sql_store!(Type, Db, now_ms = SQL, skip_locked = SQL, apply = PATH)`;
//! `skip_locked` ends the select of a claim (`FOR UPDATE SKIP LOCKED` where
//! writers run side by side, empty where one writer runs at a time).
//!
//! A transition's write is each backend's own (`apply`): both read the rows
//! out of one JSON document ([`crate::change_document`]) in the database,
//! in one call.

mod attachments;
mod common;
mod directory;
mod instances;
mod outbox;
mod reports;
mod schedules;
mod sessions;

/// Implements [`crate::Store`] and each of its areas for a backend type over
/// sqlx database `$db`; a change is written by `PATH(store, change, map_error)`.
#[macro_export]
macro_rules! sql_store {
    ($ty:ty, $db:ty, now_ms = $now_ms:literal, skip_locked = $skip_locked:literal, apply = $apply:path) => {
        $crate::sql_directory!($ty, $db, $now_ms, $skip_locked, $apply);
        $crate::sql_sessions!($ty, $db, $now_ms, $skip_locked, $apply);
        $crate::sql_instances!($ty, $db, $now_ms, $skip_locked, $apply);
        $crate::sql_schedules!($ty, $db, $now_ms, $skip_locked, $apply);
        $crate::sql_outbox!($ty, $db, $now_ms, $skip_locked, $apply);
        $crate::sql_attachments!($ty, $db, $now_ms, $skip_locked, $apply);
        $crate::sql_reports!($ty, $db, $now_ms, $skip_locked, $apply);
        const _: () = {
            $crate::sql_common!($ty, $db, $now_ms, $skip_locked);

            #[async_trait::async_trait]
            impl $crate::Store for $ty {
                fn backend(&self) -> &'static str {
                    <$ty>::BACKEND
                }

                async fn ping(&self) -> Result<()> {
                    sqlx::query("SELECT 1")
                        .execute(self.reader())
                        .await
                        .map_err(e)?;
                    Ok(())
                }
            }
        };
    };
}
