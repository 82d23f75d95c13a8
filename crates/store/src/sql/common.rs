//! What the SQL of every area shares: the error mapping, the row readers,
//! the outbox insert, the lease claim and the instance's one-query read.

/// The helpers every area's SQL uses, defined in the area's own scope.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_common {
    ($ty:ty, $db:ty) => {
            #[allow(unused_imports)]
            use chrono::{DateTime, NaiveDate, Utc};
            #[allow(unused_imports)]
            use naxian_model::directory::{Body, OrgContext, OrgUnit, Role};
            #[allow(unused_imports)]
            use naxian_model::machine::{Assignee, Effect, Instance, Task, TaskStatus};
            #[allow(unused_imports)]
            use sqlx::types::Json;
            #[allow(unused_imports)]
            use sqlx::{FromRow, Row};
            #[allow(unused_imports)]
            use $crate::sql::SqlBackend as _;
            // One area's methods may call another's (a create through the import).
            #[allow(unused_imports)]
            use $crate::{
                AttachmentStore, DirectoryStore, InstanceStore, OutboxStore, ReportStore, ScheduleStore,
                SessionStore,
            };
            #[allow(unused_imports)]
            use $crate::{
                Change, Grant, HistoryRecord, IdempotencyState, InboxRow, InstanceFilter, InstanceRecord,
                CampaignRecord, MemberRecord, SessionRecord, NoticeRecord, NoticesRead, OutboxMessage, OutboxRecord, Recipient, Registered, Result, SlotRecord, StoreError, TimerRecord,
                TokenRecord, UserRecord, WorkflowRecord,
            };

            type DbRow = <$db as sqlx::Database>::Row;

            fn e(err: sqlx::Error) -> StoreError {
                <$ty as $crate::sql::SqlBackend>::saw_error(&err);
                let kind = match &err {
                    sqlx::Error::Database(db) if db.is_unique_violation() => $crate::ErrorKind::Unique,
                    sqlx::Error::Database(db) if db.is_foreign_key_violation() => $crate::ErrorKind::ForeignKey,
                    sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Io(_)
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::WorkerCrashed => $crate::ErrorKind::Unavailable,
                    _ => $crate::ErrorKind::Other,
                };
                $crate::classify(kind, err)
            }

            #[allow(unused_imports)]
            use $crate::sql::rows::parse;

            fn org_unit(r: &DbRow) -> Result<OrgUnit> {
                $crate::sql::rows::OrgUnitRow::from_row(r).map_err(e)?.into_model()
            }

            fn attachment(r: &DbRow) -> Result<$crate::AttachmentRecord> {
                $crate::AttachmentRecord::from_row(r).map_err(e)
            }

            fn member(r: &DbRow) -> Result<MemberRecord> {
                Ok($crate::sql::rows::MemberRow::from_row(r).map_err(e)?.into_model())
            }

            fn body(r: &DbRow) -> Result<Body> {
                Ok($crate::sql::rows::BodyRow::from_row(r).map_err(e)?.into_model())
            }

            fn user(r: &DbRow) -> Result<UserRecord> {
                UserRecord::from_row(r).map_err(e)
            }

            fn workflow(r: &DbRow) -> Result<WorkflowRecord> {
                WorkflowRecord::from_row(r).map_err(e)
            }

            fn instance(r: &DbRow) -> Result<Instance> {
                $crate::sql::rows::InstanceRow::from_row(r).map_err(e)?.into_model()
            }

            fn task(r: &DbRow) -> Result<Task> {
                $crate::sql::rows::TaskRow::from_row(r).map_err(e)?.into_model()
            }

            /// A row of [`$crate::inbox`]'s columns.
            fn inbox_row(r: &DbRow) -> Result<InboxRow> {
                $crate::sql::rows::InboxRowRow::from_row(r).map_err(e)?.into_model()
            }

            fn delegation(r: &DbRow) -> Result<naxian_model::Delegation> {
                Ok($crate::sql::rows::DelegationRow::from_row(r).map_err(e)?.into_model())
            }

            fn history(r: &DbRow) -> Result<HistoryRecord> {
                Ok($crate::sql::rows::HistoryRow::from_row(r).map_err(e)?.into_model())
            }

            fn timer(r: &DbRow) -> Result<TimerRecord> {
                $crate::sql::rows::TimerRow::from_row(r).map_err(e)?.into_model()
            }

            fn outbox(r: &DbRow) -> Result<OutboxRecord> {
                Ok($crate::sql::rows::OutboxRow::from_row(r).map_err(e)?.into_model())
            }

            #[allow(dead_code)]
            fn notice(r: &DbRow) -> Result<NoticeRecord> {
                Ok($crate::sql::rows::NoticeRow::from_row(r).map_err(e)?.into_model())
            }

            /// Queues an e-mail and, for a user, its notice under the same key.
            async fn insert_outbox(x: &mut <$db as sqlx::Database>::Connection, m: &OutboxMessage) -> Result<()> {
                sqlx::query(
                    "INSERT INTO outbox (id, dedupe_key, recipients, template, params, next_attempt_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (dedupe_key) DO NOTHING",
                )
                .bind(&m.id)
                .bind(&m.dedupe_key)
                .bind(Json(&m.recipients))
                .bind(&m.template)
                .bind(Json(&m.params))
                .bind(m.created_at)
                .execute(&mut *x)
                .await
                .map_err(e)?;
                if let Some(login) = &m.notice_for {
                    let (instance_id, task_id) = m.about();
                    sqlx::query(
                        "INSERT INTO notices (id, login, dedupe_key, template, params, instance_id, task_id, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING",
                    )
                    .bind(&m.id)
                    .bind(login)
                    .bind(&m.dedupe_key)
                    .bind(&m.template)
                    .bind(Json(&m.params))
                    .bind(instance_id)
                    .bind(task_id)
                    .bind(m.created_at)
                    .execute(&mut *x)
                    .await
                    .map_err(e)?;
                }
                Ok(())
            }

            /// Leases up to `limit` pending rows of `table` due by `now` (by `due`) to
            /// `owner`. The outer conditions are checked again on the row actually
            /// updated, so two replicas racing for one row cannot both lease it.
            async fn claim_rows(
                pool: &sqlx::Pool<$db>,
                table: &str,
                due: &str,
                owner: &str,
                now: DateTime<Utc>,
                lease_ms: i64,
                limit: i64,
            ) -> Result<Vec<DbRow>> {
                let now_ms = <$ty as $crate::sql::SqlBackend>::NOW_MS;
                let free = format!("status = 'pending' AND (lease_until IS NULL OR lease_until < {now_ms})");
                // The choice is made once (a materialized CTE): a subquery in the
                // WHERE may be scanned again, each scan choosing other rows, and the
                // claim then takes past its limit. Rows another claim has locked are
                // passed over, not waited for: a claim that waited would find them
                // taken and come back short.
                let skip_locked = <$ty as $crate::sql::SqlBackend>::SKIP_LOCKED;
                let sql = format!(
                    "WITH chosen AS MATERIALIZED (
                         SELECT id FROM {table} WHERE {free} AND {due} <= $3 ORDER BY {due} LIMIT $4 {skip_locked}
                     )
                     UPDATE {table} SET lease_owner = $1, lease_until = {now_ms} + $2
                     WHERE id IN (SELECT id FROM chosen) AND {free}
                     RETURNING *"
                );
                sqlx::query(&sql)
                    .bind(owner)
                    .bind(lease_ms)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(pool)
                    .await
                    .map_err(e)
            }

            /// The instance, its tasks and its history as the rows of one
            /// query: the three kinds (`part` 0, 1, 2) in one column list,
            /// each filling its own columns (under the names the row readers
            /// use) and typed NULLs elsewhere.
            fn instance_state_sql(key: $crate::InstanceKey<'_>) -> String {
                const COLUMNS: &[(&str, &str, &str)] = &[
                    // (name, type, parts that have it: i = instance, t = task, h = history)
                    ("id", "TEXT", "it"), ("instance_id", "TEXT", "th"), ("step", "TEXT", "ith"),
                    ("status", "TEXT", "it"), ("action", "TEXT", "th"), ("comment", "TEXT", "th"),
                    ("actor", "TEXT", "th"), ("created_at", "TIMESTAMPTZ", "it"),
                    ("workflow", "TEXT", "i"), ("version", "BIGINT", "i"), ("outcome", "TEXT", "i"),
                    ("data", "JSONB", "i"), ("creator", "TEXT", "i"), ("org_unit", "TEXT", "i"),
                    ("org_path", "TEXT", "i"), ("completed", "JSONB", "i"), ("revision", "BIGINT", "i"),
                    ("updated_at", "TIMESTAMPTZ", "i"), ("audit_seq", "BIGINT", "i"), ("audit_head", "TEXT", "i"),
                    ("directory_generation", "BIGINT", "i"),
                    ("assignee_key", "TEXT", "t"), ("role", "TEXT", "t"), ("unit", "TEXT", "t"),
                    ("unit_path", "TEXT", "t"), ("user_login", "TEXT", "t"), ("completed_at", "TIMESTAMPTZ", "t"),
                    ("due_at", "TIMESTAMPTZ", "t"),
                    ("seq", "BIGINT", "h"), ("at", "TIMESTAMPTZ", "h"), ("note", "TEXT", "h"),
                    ("prev_hash", "TEXT", "h"), ("hash", "TEXT", "h"), ("on_behalf_of", "TEXT", "th"),
                ];
                let select = |part: char, n: usize| {
                    let columns: Vec<String> = COLUMNS
                        .iter()
                        .map(|(name, ty, parts)| match (parts.contains(part), *name) {
                            (true, "directory_generation") => "g.generation AS directory_generation".to_string(),
                            (true, _) => format!("x.{name} AS {name}"),
                            (false, _) => format!("CAST(NULL AS {ty}) AS {name}"),
                        })
                        .collect();
                    format!("SELECT {n} AS part, {}", columns.join(", "))
                };
                let id = match key {
                    $crate::InstanceKey::Id(_) => "$1",
                    $crate::InstanceKey::Task(_) => "(SELECT instance_id FROM tasks WHERE id = $1)",
                };
                format!(
                    "{} FROM instances x CROSS JOIN directory_generation g WHERE x.id = {id}
                     UNION ALL {} FROM tasks x WHERE x.instance_id = {id}
                     UNION ALL {} FROM history x WHERE x.instance_id = {id}
                     ORDER BY part, created_at, id, seq",
                    select('i', 0),
                    select('t', 1),
                    select('h', 2)
                )
            }

            /// Placeholders `$from, $from+1, …` for an IN list of `n` values.
            fn placeholders(from: usize, n: usize) -> String {
                (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
            }

            const COVERS: &str = "substr(t.unit_path, 1, length(u.path)) = u.path";
    };
}
