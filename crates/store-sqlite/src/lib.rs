//! The embedded default store: SQLite (bundled) in WAL mode, one writer
//! connection (SQLite has a single writer anyway, so transactions queue here
//! instead of failing with "database is locked"), transitions committed
//! together by one writer task (`apply`), and a small reader pool.

use naxian_model::machine::TaskStatus;
use naxian_store::sql::SqlBackend;
use naxian_store::{Result, StoreError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    applier: apply::Writer,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

impl SqliteStore {
    /// Opens (creating if needed) the database at a `sqlite://PATH` URL and
    /// brings its schema up to date.
    pub async fn connect(url: &str) -> Result<SqliteStore> {
        let unavailable = |e: sqlx::Error| StoreError::unavailable_from(format!("cannot open {url}"), e);
        let options = SqliteConnectOptions::from_str(url)
            .map_err(unavailable)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // The schema first, on a connection of its own: the writer's
        // connections create the transition trigger over it when they open.
        let mut migrating = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&options)
            .await
            .map_err(unavailable)?;
        MIGRATOR
            .run(&mut migrating)
            .await
            .map_err(|e| StoreError::database_from(format!("migrating {url}"), e))?;
        sqlx::Connection::close(migrating).await.map_err(unavailable)?;
        // A file this process opened does not go away under it: no ping
        // before each use (a round trip through sqlx's worker thread).
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _| apply::install(conn))
            .connect_with(options.clone())
            .await
            .map_err(unavailable)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await
            .map_err(unavailable)?;
        let applier = apply::Writer::start(writer.clone());
        Ok(SqliteStore {
            writer,
            reader,
            applier,
        })
    }

    /// The single writer connection's pool, for the benchmark that measures
    /// what bare transactions on the same settings achieve.
    pub fn writer_pool(&self) -> &SqlitePool {
        &self.writer
    }

    fn applier(&self) -> &apply::Writer {
        &self.applier
    }
}

impl SqlBackend for SqliteStore {
    type Db = Sqlite;
    const NAME: &'static str = "sqlite";
    const NOW_MS: &'static str = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
    /// One writer: no claim ever waits on another's lock.
    const SKIP_LOCKED: &'static str = "";

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    async fn explain_inbox(
        &self,
        login: &str,
        status: TaskStatus,
        limit: i64,
    ) -> std::result::Result<Vec<String>, sqlx::Error> {
        let rows = sqlx::query(&format!(
            "EXPLAIN QUERY PLAN {}",
            naxian_store::inbox::sql(status)
        ))
        .bind(login)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                let parent: i64 = r.try_get("parent")?;
                let detail: String = r.try_get("detail")?;
                Ok(format!("{id:>3} {parent:>3} {detail}"))
            })
            .collect()
    }
}

naxian_store::sql_store!(SqliteStore, sqlx::Sqlite, apply = crate::apply::in_batch);

mod apply;
