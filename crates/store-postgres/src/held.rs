//! Connections kept out of the pool for transitions' writes. sqlx pings a
//! connection every time it goes back to its pool (`return_to_pool` in
//! sqlx-core 0.8, with no setting to turn it off): a second round trip for
//! every one-statement write, and a task spawned for it. A connection used
//! for a write goes back to this list instead, and is pinged before its
//! next use only when it has been idle a while or the server was lost
//! lately, as the pool's own are (`before_acquire` in `crate::PostgresStore::connect`).
//! The list keeps at most a quarter of the pool, so that reads always find
//! connections; past that a connection goes back to the pool.

use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres};
use std::sync::Mutex;
use std::time::Instant;

pub(crate) struct Held {
    /// Each with when it was last put back.
    conns: Mutex<Vec<(PoolConnection<Postgres>, Instant)>>,
    most: usize,
}

impl Held {
    /// Keeps up to a quarter of a pool of `pool_size`.
    pub(crate) fn for_pool(pool_size: u32) -> Held {
        Held {
            conns: Mutex::new(Vec::new()),
            most: (pool_size as usize / 4).max(1),
        }
    }

    fn conns(&self) -> std::sync::MutexGuard<'_, Vec<(PoolConnection<Postgres>, Instant)>> {
        self.conns.lock().expect("held connections")
    }

    /// A kept connection that answers, else one from the pool.
    pub(crate) async fn take(&self, pool: &PgPool) -> Result<PoolConnection<Postgres>, sqlx::Error> {
        loop {
            let kept = self.conns().pop();
            let Some((mut conn, since)) = kept else {
                return pool.acquire().await;
            };
            if since.elapsed() > crate::IDLE_CHECK || crate::recently_lost() {
                if let Err(err) = sqlx::Connection::ping(&mut *conn).await {
                    <crate::PostgresStore as naxian_store::sql::SqlBackend>::saw_error(&err);
                    drop(conn.detach());
                    continue;
                }
            }
            return Ok(conn);
        }
    }

    /// Keeps a connection after a write that left it sound.
    pub(crate) fn put(&self, conn: PoolConnection<Postgres>) {
        let mut conns = self.conns();
        if conns.len() < self.most {
            conns.push((conn, Instant::now()));
        }
    }

    /// Lets every kept connection go back to the pool.
    pub(crate) fn clear(&self) {
        self.conns().clear();
    }
}
