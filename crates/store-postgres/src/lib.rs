//! The PostgreSQL store, for deployments with several replicas: one pool for
//! reads and writes, migrations run on connect.

use naxian_model::machine::TaskStatus;
use naxian_store::inbox as inbox_query;
use naxian_store::sql::SqlBackend;
use naxian_store::{Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Row};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub struct PostgresStore {
    pool: PgPool,
    held: held::Held,
}

/// A pooled connection idle longer than this is pinged before it is used.
const IDLE_CHECK: Duration = Duration::from_secs(1);
/// After the server was lost, every connection is pinged this long.
const AFTER_LOSS: Duration = Duration::from_secs(30);

/// When a connection to the server last failed (ms since the epoch; 0: never).
static LOST_AT_MS: AtomicU64 = AtomicU64::new(0);

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn recently_lost() -> bool {
    let at = LOST_AT_MS.load(Ordering::Relaxed);
    at != 0 && now_ms().saturating_sub(at) < AFTER_LOSS.as_millis() as u64
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Set on every connection. No statement or open transaction lasts longer
/// than a request may (a transaction left open by a client that froze holds
/// its row locks until then), and the server probes a silent client so that
/// a connection whose network froze is closed on its side. sqlx 0.8 sets no
/// keepalive on its own sockets; the service's request deadline is what
/// bounds the wait on this side.
const SESSION_SETTINGS: [(&str, &str); 5] = [
    ("statement_timeout", "15s"),
    ("idle_in_transaction_session_timeout", "15s"),
    ("tcp_keepalives_idle", "10"),
    ("tcp_keepalives_interval", "5"),
    ("tcp_keepalives_count", "3"),
];

impl PostgresStore {
    /// Connects to a `postgres://` URL and brings its schema up to date.
    pub async fn connect(url: &str, max_connections: u32) -> Result<PostgresStore> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::unavailable_from("bad PostgreSQL URL", e))?
            .options(SESSION_SETTINGS);
        // sqlx pings a connection before every use by default: a round trip
        // per query, which doubled a transition's reads. Only a connection
        // idle for a while is asked whether the server still holds it, and
        // every one for a while after the server was seen to go away (a
        // connection idle through a short outage is broken too).
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > IDLE_CHECK || recently_lost() {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| {
                StoreError::unavailable_from(format!("cannot reach PostgreSQL at {}", redact(url)), e)
            })?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::database_from("migrating PostgreSQL", e))?;
        apply::install(&pool)
            .await
            .map_err(|e| StoreError::database_from("installing the transition write", e))?;
        inbox::install(&pool)
            .await
            .map_err(|e| StoreError::database_from("installing the inbox functions", e))?;
        Ok(PostgresStore {
            pool,
            held: held::Held::for_pool(max_connections),
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection, those kept for writes included.
    pub async fn close(&self) {
        self.held.clear();
        self.pool.close().await;
    }
}

impl SqlBackend for PostgresStore {
    type Db = Postgres;
    const NAME: &'static str = "postgres";
    const NOW_MS: &'static str = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";
    const SKIP_LOCKED: &'static str = "FOR UPDATE SKIP LOCKED";

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    /// A connection-level failure: the pooled connections may all be broken.
    fn saw_error(err: &sqlx::Error) {
        if matches!(
            err,
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_)
        ) {
            LOST_AT_MS.store(now_ms(), Ordering::Relaxed);
        }
    }

    /// PostgreSQL would plan the open inbox afresh at every call; its
    /// function keeps one plan (`naxian_store::inbox`).
    fn inbox_sql(status: TaskStatus) -> String {
        match status {
            TaskStatus::Open => inbox_query::postgres_open_call(),
            _ => inbox_query::sql(status),
        }
    }

    fn inbox_count_sql() -> String {
        inbox_query::postgres_count_call()
    }

    async fn explain_inbox(
        &self,
        login: &str,
        status: TaskStatus,
        limit: i64,
    ) -> std::result::Result<Vec<String>, sqlx::Error> {
        let explain = "EXPLAIN (ANALYZE, BUFFERS)";
        let rows = if status == TaskStatus::Open {
            // The plan the open inbox's function keeps: prepare the same query
            // with its settings and run it, on a connection closed afterwards
            // so the settings and the statement go with it.
            let mut conn = self.pool.acquire().await?;
            // Without arguments sqlx sends a simple query, so PREPARE keeps
            // its own `$1` and `$2`; EXECUTE cannot take a message's
            // parameters, hence the literals.
            let settings: String = inbox_query::POSTGRES_OPEN_SETTINGS
                .iter()
                .map(|(name, value)| format!("SET {name} = {value}; "))
                .collect();
            let prepare = format!(
                "{settings}PREPARE naxian_inbox_explain(text, bigint) AS {}",
                inbox_query::sql(status)
            );
            sqlx::Executor::execute(&mut *conn, prepare.as_str()).await?;
            // An E'' literal reads the same whatever standard_conforming_strings says.
            let login = login.replace('\\', "\\\\").replace('\'', "''");
            let rows = sqlx::query(&format!(
                "{explain} EXECUTE naxian_inbox_explain(E'{login}', {limit})"
            ))
            .fetch_all(&mut *conn)
            .await?;
            conn.close().await?;
            rows
        } else {
            sqlx::query(&format!("{explain} {}", inbox_query::sql(status)))
                .bind(login)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
        };
        rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

naxian_store::sql_store!(PostgresStore, sqlx::Postgres, apply = crate::apply::in_one_call);

mod apply;
mod held;
mod inbox;

pub mod testing;
