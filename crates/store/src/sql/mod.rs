//! The SQL both SQL backends share, one module per area of the store. Their
//! schemas differ in column types (TEXT vs TIMESTAMPTZ/JSONB/DATE) but not in
//! names, and every statement here runs unchanged on SQLite and PostgreSQL
//! (`$n` placeholders, `ON CONFLICT`, `substr` for path prefixes rather than
//! `LIKE`, whose `_` is a wildcard); where the dialects do differ, the
//! backend says how ([`SqlBackend`]).
//!
//! A backend type implements [`SqlBackend`], then calls
//! `naxian_store::sql_store!(Type, Db, apply = PATH)`.
//!
//! A transition's write is each backend's own (`apply`): both read the rows
//! out of one JSON document ([`crate::change_document`]) in the database,
//! in one call.

use crate::inbox;
use naxian_model::machine::TaskStatus;
use std::future::Future;

mod attachments;
mod common;
mod directory;
mod instances;
mod outbox;
mod reports;
pub mod rows;
mod schedules;
mod sessions;

/// A SQL backend as the shared SQL needs it: its pools, and where its
/// dialect differs.
pub trait SqlBackend: Send + Sync + 'static {
    type Db: sqlx::Database;
    /// `sqlite` or `postgres`, for logs and benchmarks.
    const NAME: &'static str;
    /// The database's clock in milliseconds since the epoch, as SQL: leases
    /// are measured by it, so that replicas whose clocks differ agree.
    const NOW_MS: &'static str;
    /// What ends the select of a claim: `FOR UPDATE SKIP LOCKED` where
    /// writers run side by side, nothing where one writer runs at a time.
    const SKIP_LOCKED: &'static str;

    fn reader(&self) -> &sqlx::Pool<Self::Db>;
    fn writer(&self) -> &sqlx::Pool<Self::Db>;
    /// Told of every database error.
    fn saw_error(_: &sqlx::Error) {}
    /// The inbox query (`$1` login, `$2` limit): [`inbox::sql`] unless the
    /// backend keeps it another way.
    fn inbox_sql(status: TaskStatus) -> String {
        inbox::sql(status)
    }
    /// The count of an open inbox (`$1` login): [`inbox::count_sql`] unless
    /// the backend keeps it another way.
    fn inbox_count_sql() -> String {
        inbox::count_sql()
    }
    /// The database's plan for the inbox query, one line a row.
    fn explain_inbox(
        &self,
        login: &str,
        status: TaskStatus,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<String>, sqlx::Error>> + Send;
}

/// Implements [`crate::Store`] and each of its areas for a backend type over
/// sqlx database `$db`; a change is written by `PATH(store, change, map_error)`.
#[macro_export]
macro_rules! sql_store {
    ($ty:ty, $db:ty, apply = $apply:path) => {
        $crate::sql_directory!($ty, $db);
        $crate::sql_sessions!($ty, $db);
        $crate::sql_instances!($ty, $db, $apply);
        $crate::sql_schedules!($ty, $db);
        $crate::sql_outbox!($ty, $db);
        $crate::sql_attachments!($ty, $db);
        $crate::sql_reports!($ty, $db);
        const _: () = {
            $crate::sql_common!($ty, $db);

            #[async_trait::async_trait]
            impl $crate::Store for $ty {
                fn backend(&self) -> &'static str {
                    <$ty as $crate::sql::SqlBackend>::NAME
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
