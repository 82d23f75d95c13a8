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
            use sqlx::Row;
            #[allow(unused_imports)]
            use $crate::sql::SqlBackend as _;
            #[allow(unused_imports)]
            use $crate::{
                Change, Grant, HistoryRecord, IdempotencyState, InboxRow, InstanceFilter, InstanceRecord,
                CampaignRecord, MemberRecord, SessionRecord, OutboxMessage, OutboxRecord, Recipient, Registered, Result, SlotRecord, StoreError, TimerRecord,
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

            fn parse<T: std::str::FromStr<Err = String>>(what: &str, s: &str) -> Result<T> {
                s.parse().map_err(|m| StoreError::database(format!("bad {what} `{s}` in database: {m}")))
            }

            fn org_unit(r: &DbRow) -> Result<OrgUnit> {
                let kind: String = r.try_get("kind").map_err(e)?;
                let function: Option<String> = r.try_get("function").map_err(e)?;
                Ok(OrgUnit {
                    code: r.try_get("code").map_err(e)?,
                    name: r.try_get("name").map_err(e)?,
                    kind: parse("kind", &kind)?,
                    parent: r.try_get("parent").map_err(e)?,
                    function: function.map(|f| parse("function", &f)).transpose()?,
                    path: r.try_get("path").map_err(e)?,
                })
            }

            fn attachment(r: &DbRow) -> Result<$crate::AttachmentRecord> {
                Ok($crate::AttachmentRecord {
                    id: r.try_get("id").map_err(e)?,
                    instance_id: r.try_get("instance_id").map_err(e)?,
                    file_name: r.try_get("file_name").map_err(e)?,
                    content_type: r.try_get("content_type").map_err(e)?,
                    size: r.try_get("size").map_err(e)?,
                    sha256: r.try_get("sha256").map_err(e)?,
                    uploaded_by: r.try_get("uploaded_by").map_err(e)?,
                    created_at: r.try_get("created_at").map_err(e)?,
                })
            }

            fn body(r: &DbRow) -> Result<Body> {
                Ok(Body {
                    term_start: r.try_get("term_start").map_err(e)?,
                    term_end: r.try_get("term_end").map_err(e)?,
                    congress_date: r.try_get("congress_date").map_err(e)?,
                })
            }

            fn user(r: &DbRow) -> Result<UserRecord> {
                Ok(UserRecord {
                    login: r.try_get("login").map_err(e)?,
                    name: r.try_get("name").map_err(e)?,
                    email: r.try_get("email").map_err(e)?,
                    password_hash: r.try_get("password_hash").map_err(e)?,
                    is_admin: r.try_get("is_admin").map_err(e)?,
                    digest: r.try_get("digest").map_err(e)?,
                })
            }

            fn workflow(r: &DbRow) -> Result<WorkflowRecord> {
                Ok(WorkflowRecord {
                    name: r.try_get("name").map_err(e)?,
                    version: r.try_get("version").map_err(e)?,
                    title: r.try_get("title").map_err(e)?,
                    source: r.try_get("source").map_err(e)?,
                    sha256: r.try_get("sha256").map_err(e)?,
                })
            }

            fn instance(r: &DbRow) -> Result<Instance> {
                let status: String = r.try_get("status").map_err(e)?;
                let Json(data): Json<serde_json::Value> = r.try_get("data").map_err(e)?;
                let Json(completed): Json<std::collections::BTreeMap<String, Vec<String>>> =
                    r.try_get("completed").map_err(e)?;
                Ok(Instance {
                    id: r.try_get("id").map_err(e)?,
                    workflow: r.try_get("workflow").map_err(e)?,
                    version: r.try_get("version").map_err(e)?,
                    step: r.try_get("step").map_err(e)?,
                    status: parse("status", &status)?,
                    outcome: r.try_get("outcome").map_err(e)?,
                    data,
                    creator: r.try_get("creator").map_err(e)?,
                    org_unit: r.try_get("org_unit").map_err(e)?,
                    org_path: r.try_get("org_path").map_err(e)?,
                    completed,
                    revision: r.try_get("revision").map_err(e)?,
                    created_at: r.try_get("created_at").map_err(e)?,
                    updated_at: r.try_get("updated_at").map_err(e)?,
                })
            }

            fn task(r: &DbRow) -> Result<Task> {
                let status: String = r.try_get("status").map_err(e)?;
                let role: Option<String> = r.try_get("role").map_err(e)?;
                Ok(Task {
                    id: r.try_get("id").map_err(e)?,
                    instance_id: r.try_get("instance_id").map_err(e)?,
                    step: r.try_get("step").map_err(e)?,
                    assignee: Assignee {
                        key: r.try_get("assignee_key").map_err(e)?,
                        role: role.map(|x| parse::<Role>("role", &x)).transpose()?,
                        unit: r.try_get("unit").map_err(e)?,
                        unit_path: r.try_get("unit_path").map_err(e)?,
                        user: r.try_get("user_login").map_err(e)?,
                    },
                    status: parse::<TaskStatus>("task status", &status)?,
                    action: r.try_get("action").map_err(e)?,
                    comment: r.try_get("comment").map_err(e)?,
                    actor: r.try_get("actor").map_err(e)?,
                    created_at: r.try_get("created_at").map_err(e)?,
                    completed_at: r.try_get("completed_at").map_err(e)?,
                    due_at: r.try_get("due_at").map_err(e)?,
                })
            }

            /// A row of [`$crate::inbox`]'s columns.
            fn inbox_row(r: &DbRow) -> Result<InboxRow> {
                let Json(data): Json<serde_json::Value> = r.try_get("i_data").map_err(e)?;
                Ok(InboxRow {
                    task: task(r)?,
                    workflow: r.try_get("i_workflow").map_err(e)?,
                    version: r.try_get("i_version").map_err(e)?,
                    org_unit: r.try_get("i_org_unit").map_err(e)?,
                    unit_name: r.try_get("i_unit_name").map_err(e)?,
                    data,
                })
            }

            fn history(r: &DbRow) -> Result<HistoryRecord> {
                Ok(HistoryRecord {
                    instance_id: r.try_get("instance_id").map_err(e)?,
                    seq: r.try_get("seq").map_err(e)?,
                    at: r.try_get("at").map_err(e)?,
                    actor: r.try_get("actor").map_err(e)?,
                    step: r.try_get("step").map_err(e)?,
                    action: r.try_get("action").map_err(e)?,
                    comment: r.try_get("comment").map_err(e)?,
                    note: r.try_get("note").map_err(e)?,
                    prev_hash: r.try_get("prev_hash").map_err(e)?,
                    hash: r.try_get("hash").map_err(e)?,
                })
            }

            fn timer(r: &DbRow) -> Result<TimerRecord> {
                let kind: String = r.try_get("kind").map_err(e)?;
                Ok(TimerRecord {
                    id: r.try_get("id").map_err(e)?,
                    instance_id: r.try_get("instance_id").map_err(e)?,
                    task_id: r.try_get("task_id").map_err(e)?,
                    kind: parse("timer kind", &kind)?,
                    fire_at: r.try_get("fire_at").map_err(e)?,
                    later: r.try_get::<Json<Vec<$crate::LaterTimer>>, _>("later").map_err(e)?.0,
                })
            }

            fn outbox(r: &DbRow) -> Result<OutboxRecord> {
                let Json(recipients): Json<Vec<Recipient>> = r.try_get("recipients").map_err(e)?;
                let Json(params): Json<serde_json::Value> = r.try_get("params").map_err(e)?;
                Ok(OutboxRecord {
                    message: OutboxMessage {
                        id: r.try_get("id").map_err(e)?,
                        dedupe_key: r.try_get("dedupe_key").map_err(e)?,
                        recipients,
                        template: r.try_get("template").map_err(e)?,
                        params,
                        created_at: r.try_get("created_at").map_err(e)?,
                    },
                    status: r.try_get("status").map_err(e)?,
                    attempts: r.try_get("attempts").map_err(e)?,
                    next_attempt_at: r.try_get("next_attempt_at").map_err(e)?,
                    last_error: r.try_get("last_error").map_err(e)?,
                    sent_at: r.try_get("sent_at").map_err(e)?,
                })
            }

            async fn insert_outbox<'c, X>(x: X, m: &OutboxMessage) -> Result<()>
            where
                X: sqlx::Executor<'c, Database = $db>,
            {
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
                .execute(x)
                .await
                .map_err(e)?;
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
                    ("prev_hash", "TEXT", "h"), ("hash", "TEXT", "h"),
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
