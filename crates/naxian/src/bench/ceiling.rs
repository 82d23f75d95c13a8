//! The database's own ceiling for one transition: a version-checked UPDATE of
//! the instance row, one history INSERT, one outbox INSERT and its notice's in a
//! transaction, in plain sqlx on the very pool the store uses, against the
//! real tables (their indexes, triggers and foreign keys included).

use anyhow::Context as _;
use chrono::{SubsecRound, Utc};
use naxian_model::audit::GENESIS;
use naxian_store::HistoryRecord;
use sqlx::{Database, Executor, IntoArguments, Pool};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows an UPDATE touched, for either backend's result type.
pub trait Affected {
    fn rows(&self) -> u64;
}

impl Affected for sqlx::sqlite::SqliteQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

impl Affected for sqlx::postgres::PgQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

/// One history entry of a ceiling instance, sealed.
fn entry(prev_hash: String, id: &str, seq: i64, at: chrono::DateTime<Utc>) -> HistoryRecord {
    HistoryRecord::seal(
        prev_hash,
        id.to_string(),
        seq,
        at,
        "bench".into(),
        "drafting".into(),
        "submit".into(),
        None,
        None,
        None,
    )
}

async fn insert_history<'c, DB, E>(executor: E, e: &HistoryRecord) -> anyhow::Result<()>
where
    DB: Database,
    E: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> chrono::DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(
        "INSERT INTO history (instance_id, seq, at, actor, step, action, comment, note, prev_hash, hash)
         VALUES ($1, $2, $3, 'bench', 'drafting', 'submit', NULL, NULL, $4, $5)",
    )
    .bind(e.instance_id.clone())
    .bind(e.seq)
    .bind(e.at)
    .bind(e.prev_hash.clone())
    .bind(e.hash.clone())
    .execute(executor)
    .await?;
    Ok(())
}

/// Instances the ceiling's transactions update, each by one worker in one round.
fn instance_id(round: usize, worker: usize, n: usize) -> String {
    format!("ceiling-{round}-{worker}-{n}")
}

/// Sets up `workers × per_worker` instance rows for this round, then runs
/// `transactions` transactions on `workers` concurrent tasks; returns the
/// time they took.
pub async fn run<DB>(
    pool: Pool<DB>,
    version: i64,
    round: usize,
    workers: usize,
    transactions: usize,
) -> anyhow::Result<Duration>
where
    DB: Database,
    DB::QueryResult: Affected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> chrono::DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> sqlx::types::Json<serde_json::Value>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    // A handful of instances per worker, each moved once per visit, so that
    // rows and history grow as they do under the engine.
    let per_worker = 8;
    let now = Utc::now().trunc_subsecs(6);
    let mut heads = Vec::new();
    for w in 0..workers {
        let mut mine = Vec::new();
        for n in 0..per_worker {
            let id = instance_id(round, w, n);
            let first = entry(GENESIS.to_string(), &id, 1, now);
            sqlx::query(
                "INSERT INTO instances (id, workflow, version, step, status, outcome, data, creator, org_unit,
                   org_path, completed, revision, audit_seq, audit_head, created_at, updated_at)
                 VALUES ($1, 'sanzhang-appointment', $5, 'drafting', 'active', NULL, $2, 'bench', 'JN-PY-MG',
                   '/SD/JN/JN-PY/JN-PY-MG/', $3, 1, 1, $6, $4, $4)",
            )
            .bind(id.clone())
            .bind(sqlx::types::Json(serde_json::json!({"candidate": {"name": "候选人"}})))
            .bind(sqlx::types::Json(serde_json::json!({})))
            .bind(now)
            .bind(version)
            .bind(first.hash.clone())
            .execute(&pool)
            .await
            .context("setting up the ceiling's instances")?;
            insert_history(&pool, &first).await?;
            mine.push(first.hash);
        }
        heads.push(mine);
    }
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (w, mut heads) in heads.into_iter().enumerate() {
        let (pool, next) = (pool.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut revisions = vec![1i64; per_worker];
            let mut seqs = vec![1i64; per_worker];
            let mut k = 0;
            while next.fetch_add(1, Ordering::Relaxed) < transactions {
                let n = k % per_worker;
                k += 1;
                let id = instance_id(round, w, n);
                // Sealed as the engine seals its entries: the audit verified
                // after the run covers these chains too.
                let e = entry(heads[n].clone(), &id, seqs[n] + 1, Utc::now().trunc_subsecs(6));
                let mut tx = pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE instances SET step = $1, revision = revision + 1, audit_seq = $2, audit_head = $3,
                       updated_at = $4 WHERE id = $5 AND revision = $6",
                )
                .bind(format!("step-{k}"))
                .bind(e.seq)
                .bind(e.hash.clone())
                .bind(e.at)
                .bind(id.clone())
                .bind(revisions[n])
                .execute(&mut *tx)
                .await?;
                anyhow::ensure!(done.rows() == 1, "version check failed on {id}");
                insert_history(&mut *tx, &e).await?;
                sqlx::query(
                    "INSERT INTO outbox (id, dedupe_key, recipients, template, params, next_attempt_at, created_at)
                     VALUES ($1, $2, $3, 'assigned', $4, $5, $5)",
                )
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(format!("{id}:{k}"))
                .bind(sqlx::types::Json(serde_json::json!([{"name": "部门", "email": "d@example.cn"}])))
                .bind(sqlx::types::Json(serde_json::json!({"title": "征求意见"})))
                .bind(e.at)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO notices (id, login, dedupe_key, template, params, instance_id, created_at)
                     VALUES ($1, 'department', $2, 'assigned', $3, $4, $5)",
                )
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(format!("{id}:{k}"))
                .bind(sqlx::types::Json(serde_json::json!({"title": "征求意见"})))
                .bind(id.clone())
                .bind(e.at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                revisions[n] += 1;
                seqs[n] += 1;
                heads[n] = e.hash;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(started.elapsed())
}
