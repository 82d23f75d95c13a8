//! The SQL both SQL backends share. Their schemas differ in column types
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

/// Implements [`crate::Store`] for a backend type over sqlx database `$db`;
/// a change is written by `PATH(store, change, map_error)`.
#[macro_export]
macro_rules! sql_store {
    ($ty:ty, $db:ty, now_ms = $now_ms:literal, skip_locked = $skip_locked:literal, apply = $apply:path) => {
        $crate::sql_store!(@impl $ty, $db, $now_ms, $skip_locked, $apply);
    };
    (@impl $ty:ty, $db:ty, $now_ms:literal, $skip_locked:literal, $apply:path) => {
        const _: () = {
            use chrono::{DateTime, NaiveDate, Utc};
            use naxian_model::directory::{Body, OrgContext, OrgUnit, Role};
            use naxian_model::machine::{Assignee, Effect, Instance, Task, TaskStatus};
            use sqlx::types::Json;
            use sqlx::Row;
            use $crate::{
                Change, Grant, HistoryRecord, IdempotencyState, InboxRow, InstanceFilter, InstanceRecord,
                CampaignRecord, MemberRecord, SessionRecord, OutboxMessage, OutboxRecord, Recipient, Registered, Result, SlotRecord, StoreError, TimerRecord,
                TokenRecord, UserRecord, WorkflowRecord,
            };

            type DbRow = <$db as sqlx::Database>::Row;

            fn e(err: sqlx::Error) -> StoreError {
                <$ty>::saw_error(&err);
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
                let now_ms = $now_ms;
                let free = format!("status = 'pending' AND (lease_until IS NULL OR lease_until < {now_ms})");
                // The choice is made once (a materialized CTE): a subquery in the
                // WHERE may be scanned again, each scan choosing other rows, and the
                // claim then takes past its limit. Rows another claim has locked are
                // passed over, not waited for: a claim that waited would find them
                // taken and come back short.
                let skip_locked = $skip_locked;
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

            #[async_trait::async_trait]
            impl $crate::Store for $ty {

                fn backend(&self) -> &'static str {
                    <$ty>::BACKEND
                }

                async fn ping(&self) -> Result<()> {
                    sqlx::query("SELECT 1").execute(self.reader()).await.map_err(e)?;
                    Ok(())
                }
            }

            #[async_trait::async_trait]
            impl $crate::DirectoryStore for $ty {
                async fn create_org_unit(&self, u: &OrgUnit) -> Result<()> {
                    // One statement, one place: the batch the import writes.
                    self.import_directory(&$crate::DirectoryBatch { units: vec![u.clone()], ..Default::default() }).await
                }

                async fn org_unit(&self, code: &str) -> Result<Option<OrgUnit>> {
                    let row = sqlx::query("SELECT * FROM org_units WHERE code = $1")
                        .bind(code)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    row.as_ref().map(org_unit).transpose()
                }

                async fn set_body(&self, code: &str, b: &Body) -> Result<()> {
                    self.import_directory(&$crate::DirectoryBatch { bodies: vec![(code.to_string(), b.clone())], ..Default::default() }).await
                }

                async fn body(&self, code: &str) -> Result<Option<Body>> {
                    let row = sqlx::query("SELECT * FROM bodies WHERE org_unit = $1")
                        .bind(code)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    row.as_ref().map(body).transpose()
                }

                async fn members(&self, code: &str) -> Result<Vec<MemberRecord>> {
                    let rows = sqlx::query("SELECT * FROM members WHERE org_unit = $1 ORDER BY since, name")
                        .bind(code)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter()
                        .map(|r| {
                            Ok(MemberRecord {
                                org_unit: r.try_get("org_unit").map_err(e)?,
                                name: r.try_get("name").map_err(e)?,
                                sector: r.try_get("sector").map_err(e)?,
                                post: r.try_get("post").map_err(e)?,
                                mode: r.try_get("mode").map_err(e)?,
                                since: r.try_get::<NaiveDate, _>("since").map_err(e)?,
                                term_end: r.try_get("term_end").map_err(e)?,
                                instance_id: r.try_get("instance_id").map_err(e)?,
                            })
                        })
                        .collect()
                }

                async fn bodies_under(&self, path: &str) -> Result<Vec<(String, Body)>> {
                    let rows = sqlx::query(
                        "SELECT b.* FROM bodies b JOIN org_units u ON u.code = b.org_unit
                         WHERE substr(u.path, 1, length($1)) = $1 ORDER BY u.path",
                    )
                    .bind(path)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter()
                        .map(|r| Ok((r.try_get("org_unit").map_err(e)?, body(r)?)))
                        .collect()
                }

                async fn import_directory(&self, b: &$crate::DirectoryBatch) -> Result<()> {
                    let now = Utc::now();
                    let mut tx = <$ty>::begin_write(self.writer()).await.map_err(e)?;
                    for u in &b.units {
                        sqlx::query(
                            "INSERT INTO org_units (code, name, kind, parent, function, path, created_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        )
                        .bind(&u.code)
                        .bind(&u.name)
                        .bind(u.kind.as_str())
                        .bind(&u.parent)
                        .bind(u.function.map(|f| f.as_str()))
                        .bind(&u.path)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    }
                    for (code, body) in &b.bodies {
                        sqlx::query(
                            "INSERT INTO bodies (org_unit, term_start, term_end, congress_date, updated_at)
                             VALUES ($1, $2, $3, $4, $5)
                             ON CONFLICT (org_unit) DO UPDATE SET term_start = excluded.term_start,
                               term_end = excluded.term_end, congress_date = excluded.congress_date,
                               updated_at = excluded.updated_at",
                        )
                        .bind(code)
                        .bind(body.term_start)
                        .bind(body.term_end)
                        .bind(body.congress_date)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    }
                    for u in &b.users {
                        sqlx::query(
                            "INSERT INTO users (login, name, email, password_hash, is_admin, created_at)
                             VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(&u.login)
                        .bind(&u.name)
                        .bind(&u.email)
                        .bind(&u.password_hash)
                        .bind(u.is_admin)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    }
                    for (login, role, unit) in &b.grants {
                        sqlx::query("INSERT INTO grants (login, role, org_unit, created_at) VALUES ($1, $2, $3, $4)")
                            .bind(login)
                            .bind(role.as_str())
                            .bind(unit)
                            .bind(now)
                            .execute(&mut *tx)
                            .await
                            .map_err(e)?;
                    }
                    tx.commit().await.map_err(e)?;
                    Ok(())
                }

                async fn org_context(&self, code: &str) -> Result<Option<OrgContext>> {
                    match self.org_unit(code).await? {
                        Some(target) => self.org_context_at(&target.path).await,
                        None => Ok(None),
                    }
                }

                async fn directory_generation(&self) -> Result<i64> {
                    sqlx::query_scalar("SELECT generation FROM directory_generation WHERE id = 1")
                        .fetch_one(self.reader())
                        .await
                        .map_err(e)
                }

                async fn org_context_at(&self, path: &str) -> Result<Option<OrgContext>> {
                    let codes: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
                    if codes.is_empty() {
                        return Ok(None);
                    }
                    // The chain, the departments hanging off it and the target's
                    // body, in one round trip.
                    let sql = format!(
                        "SELECT u.*, b.term_start AS b_term_start, b.term_end AS b_term_end,
                           b.congress_date AS b_congress_date
                         FROM org_units u LEFT JOIN bodies b ON b.org_unit = u.code
                         WHERE u.code IN ({}) OR (u.kind = 'department' AND u.parent IN ({}))",
                        placeholders(1, codes.len()),
                        placeholders(1, codes.len())
                    );
                    let mut q = sqlx::query(&sql);
                    for c in &codes {
                        q = q.bind(*c);
                    }
                    let rows = q.fetch_all(self.reader()).await.map_err(e)?;
                    let target_code = *codes.last().expect("not empty");
                    let mut body = None;
                    let mut units = Vec::with_capacity(rows.len());
                    for r in &rows {
                        let u = org_unit(r)?;
                        if u.code == target_code {
                            let start: Option<NaiveDate> = r.try_get("b_term_start").map_err(e)?;
                            let end: Option<NaiveDate> = r.try_get("b_term_end").map_err(e)?;
                            if let (Some(term_start), Some(term_end)) = (start, end) {
                                body = Some(Body {
                                    term_start,
                                    term_end,
                                    congress_date: r.try_get("b_congress_date").map_err(e)?,
                                });
                            }
                        }
                        units.push(u);
                    }
                    let mut chain = Vec::new();
                    for c in &codes {
                        match units.iter().find(|u| u.code == *c) {
                            Some(u) => chain.push(u.clone()),
                            None if *c == target_code => return Ok(None),
                            None => return Err(StoreError::database(format!("unit {c} on path {path} is missing"))),
                        }
                    }
                    let departments = units
                        .into_iter()
                        .filter(|u| u.kind == naxian_model::OrgKind::Department && !codes.contains(&u.code.as_str()))
                        .collect();
                    Ok(Some(OrgContext { chain, departments, body }))
                }

                async fn create_user(&self, u: &UserRecord) -> Result<()> {
                    self.import_directory(&$crate::DirectoryBatch { users: vec![u.clone()], ..Default::default() }).await
                }

                async fn user(&self, login: &str) -> Result<Option<UserRecord>> {
                    // Logins are compared without regard to case (migration 0019).
                    let row = sqlx::query("SELECT * FROM users WHERE lower(login) = lower($1)")
                        .bind(login)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    row.as_ref().map(user).transpose()
                }

                async fn add_grant(&self, login: &str, role: Role, org: &str) -> Result<()> {
                    self.import_directory(&$crate::DirectoryBatch {
                        grants: vec![(login.to_string(), role, org.to_string())],
                        ..Default::default()
                    })
                    .await
                }

                async fn grants(&self, login: &str) -> Result<Vec<Grant>> {
                    let rows = sqlx::query(
                        "SELECT g.role, g.org_unit, u.path FROM grants g JOIN org_units u ON u.code = g.org_unit
                         WHERE g.login = $1 ORDER BY u.path, g.role",
                    )
                    .bind(login)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter()
                        .map(|r| {
                            let role: String = r.try_get("role").map_err(e)?;
                            Ok(Grant {
                                role: parse("role", &role)?,
                                org_unit: r.try_get("org_unit").map_err(e)?,
                                org_path: r.try_get("path").map_err(e)?,
                            })
                        })
                        .collect()
                }

                async fn holders(&self, role: Role, unit_path: &str) -> Result<Vec<(UserRecord, String)>> {
                    // A grant covers the unit if it is at the unit or one of its
                    // ancestors: exactly the codes on its path.
                    let codes: Vec<&str> = unit_path.split('/').filter(|c| !c.is_empty()).collect();
                    if codes.is_empty() {
                        return Ok(Vec::new());
                    }
                    let sql = format!(
                        "SELECT us.*, u.path AS grant_path FROM grants g JOIN org_units u ON u.code = g.org_unit
                         JOIN users us ON us.login = g.login
                         WHERE g.role = $1 AND g.org_unit IN ({})
                         ORDER BY length(u.path) DESC, us.login",
                        placeholders(2, codes.len())
                    );
                    let mut q = sqlx::query(&sql).bind(role.as_str());
                    for c in &codes {
                        q = q.bind(*c);
                    }
                    let rows = q.fetch_all(self.reader()).await.map_err(e)?;
                    rows.iter()
                        .map(|r| Ok((user(r)?, r.try_get::<String, _>("grant_path").map_err(e)?)))
                        .collect()
                }

                async fn units_of_kind(&self, kind: naxian_model::OrgKind) -> Result<Vec<OrgUnit>> {
                    let rows = sqlx::query("SELECT * FROM org_units WHERE kind = $1 ORDER BY code")
                        .bind(kind.as_str())
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(org_unit).collect()
                }

                async fn units_under(&self, path: &str) -> Result<Vec<OrgUnit>> {
                    let rows = sqlx::query("SELECT * FROM org_units WHERE substr(path, 1, length($1)) = $1 ORDER BY path")
                        .bind(path)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(org_unit).collect()
                }

                async fn members_under(&self, path: &str) -> Result<Vec<(MemberRecord, String)>> {
                    let rows = sqlx::query(
                        "SELECT m.*, u.path AS unit_path FROM members m JOIN org_units u ON u.code = m.org_unit
                         WHERE substr(u.path, 1, length($1)) = $1 ORDER BY u.path, m.since",
                    )
                    .bind(path)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter()
                        .map(|r| {
                            Ok((
                                MemberRecord {
                                    org_unit: r.try_get("org_unit").map_err(e)?,
                                    name: r.try_get("name").map_err(e)?,
                                    sector: r.try_get("sector").map_err(e)?,
                                    post: r.try_get("post").map_err(e)?,
                                    mode: r.try_get("mode").map_err(e)?,
                                    since: r.try_get::<NaiveDate, _>("since").map_err(e)?,
                                    term_end: r.try_get("term_end").map_err(e)?,
                                    instance_id: r.try_get("instance_id").map_err(e)?,
                                },
                                r.try_get::<String, _>("unit_path").map_err(e)?,
                            ))
                        })
                        .collect()
                }

                async fn contacts_under(&self, path: &str) -> Result<Vec<$crate::Contact>> {
                    let rows = sqlx::query(
                        "SELECT u.*, g.role, us.login, us.name AS user_name, us.email
                         FROM grants g JOIN org_units u ON u.code = g.org_unit JOIN users us ON us.login = g.login
                         WHERE substr(u.path, 1, length($1)) = $1 ORDER BY u.path, g.role, us.login",
                    )
                    .bind(path)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter()
                        .map(|r| {
                            let role: String = r.try_get("role").map_err(e)?;
                            Ok($crate::Contact {
                                unit: org_unit(r)?,
                                role: parse("role", &role)?,
                                login: r.try_get("login").map_err(e)?,
                                name: r.try_get("user_name").map_err(e)?,
                                email: r.try_get("email").map_err(e)?,
                            })
                        })
                        .collect()
                }

                async fn set_digest(&self, login: &str, digest: bool) -> Result<bool> {
                    let done = sqlx::query("UPDATE users SET digest = $1 WHERE login = $2")
                        .bind(digest)
                        .bind(login)
                        .execute(self.writer())
                        .await
                        .map_err(e)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn digest_users(&self) -> Result<Vec<UserRecord>> {
                    let rows = sqlx::query("SELECT * FROM users WHERE digest = $1 ORDER BY login")
                        .bind(true)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(user).collect()
                }
            }

            #[async_trait::async_trait]
            impl $crate::SessionStore for $ty {
                async fn create_token(&self, t: &TokenRecord) -> Result<()> {
                    sqlx::query("INSERT INTO tokens (hash, login, expires_at, created_at) VALUES ($1, $2, $3, $4)")
                        .bind(&t.hash)
                        .bind(&t.login)
                        .bind(t.expires_at)
                        .bind(t.created_at)
                        .execute(self.writer())
                        .await
                        .map_err(e)?;
                    Ok(())
                }

                async fn token_user(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<UserRecord>> {
                    let row = sqlx::query(
                        "SELECT u.* FROM tokens t JOIN users u ON u.login = t.login
                         WHERE t.hash = $1 AND t.expires_at > $2",
                    )
                    .bind(hash)
                    .bind(now)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(e)?;
                    row.as_ref().map(user).transpose()
                }

                async fn create_session(&self, x: &SessionRecord) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO sessions (id_hash, login, csrf, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&x.id_hash)
                    .bind(&x.login)
                    .bind(&x.csrf)
                    .bind(x.created_at)
                    .bind(x.last_seen_at)
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    Ok(())
                }

                async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>> {
                    let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = $1")
                        .bind(id_hash)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    let Some(r) = row else { return Ok(None) };
                    Ok(Some(SessionRecord {
                        id_hash: r.try_get("id_hash").map_err(e)?,
                        login: r.try_get("login").map_err(e)?,
                        csrf: r.try_get("csrf").map_err(e)?,
                        created_at: r.try_get("created_at").map_err(e)?,
                        last_seen_at: r.try_get("last_seen_at").map_err(e)?,
                    }))
                }

                async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> Result<()> {
                    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                        .bind(at)
                        .bind(id_hash)
                        .execute(self.writer())
                        .await
                        .map_err(e)?;
                    Ok(())
                }

                async fn delete_session(&self, id_hash: &str) -> Result<()> {
                    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                        .bind(id_hash)
                        .execute(self.writer())
                        .await
                        .map_err(e)?;
                    Ok(())
                }

                async fn count_login_attempt(&self, key: &str, now: DateTime<Utc>, since: DateTime<Utc>) -> Result<i64> {
                    let row = sqlx::query(
                        "INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 1, $2)
                         ON CONFLICT (key) DO UPDATE SET
                           failures = CASE WHEN login_failures.window_start < $3 THEN 1 ELSE login_failures.failures + 1 END,
                           window_start = CASE WHEN login_failures.window_start < $3 THEN $2 ELSE login_failures.window_start END
                         RETURNING failures",
                    )
                    .bind(key)
                    .bind(now)
                    .bind(since)
                    .fetch_one(self.writer())
                    .await
                    .map_err(e)?;
                    Ok(i64::from(row.try_get::<i32, _>("failures").map_err(e)?))
                }

                async fn forgive_login_attempt(&self, key: &str) -> Result<()> {
                    sqlx::query("UPDATE login_failures SET failures = failures - 1 WHERE key = $1 AND failures > 0")
                        .bind(key)
                        .execute(self.writer())
                        .await
                        .map_err(e)?;
                    Ok(())
                }

                async fn clear_login_failures(&self, key: &str) -> Result<()> {
                    sqlx::query("DELETE FROM login_failures WHERE key = $1")
                        .bind(key)
                        .execute(self.writer())
                        .await
                        .map_err(e)?;
                    Ok(())
                }

                async fn idempotency_begin(
                    &self,
                    login: &str,
                    key: &str,
                    hash: &str,
                    now: DateTime<Utc>,
                    lost_before: DateTime<Utc>,
                ) -> Result<IdempotencyState> {
                    let done = sqlx::query(
                        "INSERT INTO idempotency (login, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (login, key) DO NOTHING",
                    )
                    .bind(login)
                    .bind(key)
                    .bind(hash)
                    .bind(now)
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    if done.rows_affected() == 1 {
                        return Ok(IdempotencyState::Started);
                    }
                    // One replica takes a lost request over: the update is its own check.
                    let taken = sqlx::query(
                        "UPDATE idempotency SET created_at = $1
                         WHERE login = $2 AND key = $3 AND request_hash = $4 AND status IS NULL AND created_at < $5",
                    )
                    .bind(now)
                    .bind(login)
                    .bind(key)
                    .bind(hash)
                    .bind(lost_before)
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    if taken.rows_affected() == 1 {
                        return Ok(IdempotencyState::Started);
                    }
                    let row = sqlx::query("SELECT request_hash, status, body FROM idempotency WHERE login = $1 AND key = $2")
                        .bind(login)
                        .bind(key)
                        .fetch_optional(self.writer())
                        .await
                        .map_err(e)?;
                    let Some(r) = row else {
                        // Aborted between our insert and read: the caller may simply retry.
                        return Ok(IdempotencyState::InProgress);
                    };
                    let stored: String = r.try_get("request_hash").map_err(e)?;
                    if stored != hash {
                        return Ok(IdempotencyState::Mismatch);
                    }
                    let status: Option<i32> = r.try_get("status").map_err(e)?;
                    let body: Option<String> = r.try_get("body").map_err(e)?;
                    Ok(match (status, body) {
                        (Some(s), Some(b)) => IdempotencyState::Completed { status: s as u16, body: b },
                        _ => IdempotencyState::InProgress,
                    })
                }

                async fn idempotency_finish(&self, login: &str, key: &str, status: u16, body: &str) -> Result<()> {
                    sqlx::query($crate::IDEMPOTENCY_DONE)
                        .bind(i32::from(status))
                        .bind(body)
                        .bind(login)
                        .bind(key)
                        .execute(self.writer())
                        .await
                        .map_err(e)?;
                    Ok(())
                }

                async fn idempotency_abort(&self, login: &str, key: &str) -> Result<()> {
                    sqlx::query("DELETE FROM idempotency WHERE login = $1 AND key = $2 AND status IS NULL")
                        .bind(login)
                        .bind(key)
                        .execute(self.writer())
                        .await
                        .map_err(e)?;
                    Ok(())
                }
            }

            #[async_trait::async_trait]
            impl $crate::InstanceStore for $ty {
                async fn register_workflow(&self, w: &WorkflowRecord) -> Result<Registered> {
                    let done = sqlx::query(
                        "INSERT INTO workflow_versions (name, version, title, source, sha256, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name, version) DO NOTHING",
                    )
                    .bind(&w.name)
                    .bind(w.version)
                    .bind(&w.title)
                    .bind(&w.source)
                    .bind(&w.sha256)
                    .bind(Utc::now())
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    if done.rows_affected() == 1 {
                        return Ok(Registered::Inserted);
                    }
                    match self.workflow(&w.name, w.version).await? {
                        Some(old) if old.sha256 == w.sha256 => Ok(Registered::Unchanged),
                        _ => Err(StoreError::Conflict(format!(
                            "{} version {} is already registered with other content: raise `version`",
                            w.name, w.version
                        ))),
                    }
                }

                async fn workflow(&self, name: &str, version: i64) -> Result<Option<WorkflowRecord>> {
                    let row = sqlx::query("SELECT * FROM workflow_versions WHERE name = $1 AND version = $2")
                        .bind(name)
                        .bind(version)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    row.as_ref().map(workflow).transpose()
                }

                async fn latest_workflows(&self) -> Result<Vec<WorkflowRecord>> {
                    let rows = sqlx::query(
                        "SELECT w.* FROM workflow_versions w
                         WHERE w.version = (SELECT max(v.version) FROM workflow_versions v WHERE v.name = w.name)
                         ORDER BY w.name",
                    )
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter().map(workflow).collect()
                }

                async fn instance_with_key(&self, unique_key: &str) -> Result<Option<String>> {
                    sqlx::query_scalar("SELECT id FROM instances WHERE unique_key = $1")
                        .bind(unique_key)
                        .fetch_optional(self.writer())
                        .await
                        .map_err(e)
                }

                async fn instance(&self, id: &str) -> Result<Option<InstanceRecord>> {
                    let row = sqlx::query(
                        "SELECT i.*, g.generation AS directory_generation
                         FROM instances i CROSS JOIN directory_generation g WHERE i.id = $1",
                    )
                    .bind(id)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(e)?;
                    match row {
                        None => Ok(None),
                        Some(r) => Ok(Some(InstanceRecord {
                            instance: instance(&r)?,
                            audit_seq: r.try_get("audit_seq").map_err(e)?,
                            audit_head: r.try_get("audit_head").map_err(e)?,
                            directory_generation: r.try_get("directory_generation").map_err(e)?,
                        })),
                    }
                }

                async fn instance_state(&self, key: $crate::InstanceKey<'_>) -> Result<Option<$crate::InstanceState>> {
                    let (($crate::InstanceKey::Id(k)) | ($crate::InstanceKey::Task(k))) = key;
                    let rows = sqlx::query(&instance_state_sql(key))
                        .bind(k)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    let mut record = None;
                    let (mut tasks, mut entries) = (Vec::new(), Vec::new());
                    for r in &rows {
                        match r.try_get::<i32, _>("part").map_err(e)? {
                            0 => {
                                record = Some(InstanceRecord {
                                    instance: instance(r)?,
                                    audit_seq: r.try_get("audit_seq").map_err(e)?,
                                    audit_head: r.try_get("audit_head").map_err(e)?,
                                    directory_generation: r.try_get("directory_generation").map_err(e)?,
                                })
                            }
                            1 => tasks.push(task(r)?),
                            _ => entries.push(history(r)?),
                        }
                    }
                    Ok(record.map(|record| $crate::InstanceState { record, tasks, history: entries }))
                }

                async fn tasks_of(&self, instance_id: &str) -> Result<Vec<Task>> {
                    let rows = sqlx::query("SELECT * FROM tasks WHERE instance_id = $1 ORDER BY created_at, id")
                        .bind(instance_id)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(task).collect()
                }

                async fn task(&self, id: &str) -> Result<Option<Task>> {
                    let row = sqlx::query("SELECT * FROM tasks WHERE id = $1")
                        .bind(id)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    row.as_ref().map(task).transpose()
                }

                async fn history(&self, instance_id: &str) -> Result<Vec<HistoryRecord>> {
                    let rows = sqlx::query("SELECT * FROM history WHERE instance_id = $1 ORDER BY seq")
                        .bind(instance_id)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(history).collect()
                }

                async fn all_history(&self) -> Result<Vec<HistoryRecord>> {
                    let rows = sqlx::query("SELECT * FROM history ORDER BY instance_id, seq")
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(history).collect()
                }

                async fn list_instances(&self, f: &InstanceFilter) -> Result<Vec<Instance>> {
                    let sql = format!(
                        "SELECT i.* FROM instances i
                         WHERE ($1 IS NULL OR i.workflow = $1)
                           AND ($2 IS NULL OR i.status = $2)
                           AND ($3 IS NULL OR substr(i.org_path, 1, length($3)) = $3)
                           AND ($4 IS NULL OR i.creator = $4
                             OR EXISTS (SELECT 1 FROM grants g JOIN org_units u ON u.code = g.org_unit
                                        WHERE g.login = $4 AND substr(i.org_path, 1, length(u.path)) = u.path)
                             OR EXISTS (SELECT 1 FROM tasks t WHERE t.instance_id = i.id AND (t.user_login = $4 OR t.actor = $4
                                  OR EXISTS (SELECT 1 FROM grants g JOIN org_units u ON u.code = g.org_unit
                                             WHERE g.login = $4 AND g.role = t.role AND {COVERS}))))
                         ORDER BY i.created_at DESC, i.id LIMIT $5 OFFSET $6"
                    );
                    let rows = sqlx::query(&sql)
                        .bind(&f.workflow)
                        .bind(&f.status)
                        .bind(&f.under_path)
                        .bind(&f.visible_to)
                        .bind(f.limit)
                        .bind(f.offset)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(instance).collect()
                }

                async fn inbox(&self, login: &str, status: TaskStatus, limit: i64) -> Result<Vec<InboxRow>> {
                    // PostgreSQL would plan the open inbox afresh at every
                    // call; its function keeps one plan (`$crate::inbox`).
                    let sql = if <$ty>::BACKEND == "postgres" && status == TaskStatus::Open {
                        $crate::inbox::postgres_open_call()
                    } else {
                        $crate::inbox::sql(status)
                    };
                    let rows = sqlx::query(&sql)
                        .bind(login)
                        .bind(limit)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(inbox_row).collect()
                }

                async fn inbox_count(&self, login: &str) -> Result<i64> {
                    let sql = if <$ty>::BACKEND == "postgres" {
                        $crate::inbox::postgres_count_call()
                    } else {
                        $crate::inbox::count_sql()
                    };
                    sqlx::query_scalar(&sql)
                        .bind(login)
                        .fetch_one(self.reader())
                        .await
                        .map_err(e)
                }

                async fn explain_inbox(&self, login: &str, status: TaskStatus, limit: i64) -> Result<Vec<String>> {
                    let postgres = <$ty>::BACKEND == "postgres";
                    let rows = if postgres && status == TaskStatus::Open {
                        // The plan the open inbox's function keeps is the
                        // generic one: prepare the same query that way and
                        // run it, on a connection closed afterwards so the
                        // setting and the statement go with it.
                        let mut conn = self.reader().acquire().await.map_err(e)?;
                        // Without arguments sqlx sends a simple query, so
                        // PREPARE keeps its own `$1` and `$2`; EXECUTE cannot
                        // take a message's parameters, hence the literals.
                        let prepare = format!(
                            "SET plan_cache_mode = force_generic_plan;
                             PREPARE naxian_inbox_explain(text, bigint) AS {}",
                            $crate::inbox::sql(status)
                        );
                        sqlx::Executor::execute(&mut *conn, prepare.as_str()).await.map_err(e)?;
                        // An E'' literal reads the same whatever
                        // standard_conforming_strings says.
                        let login = login.replace('\\', "\\\\").replace('\'', "''");
                        let explain = format!("EXPLAIN (ANALYZE, BUFFERS) EXECUTE naxian_inbox_explain(E'{login}', {limit})");
                        let rows = sqlx::query(&explain)
                            .fetch_all(&mut *conn)
                            .await
                            .map_err(e)?;
                        conn.close().await.map_err(e)?;
                        rows
                    } else {
                        let explain = if postgres { "EXPLAIN (ANALYZE, BUFFERS)" } else { "EXPLAIN QUERY PLAN" };
                        sqlx::query(&format!("{explain} {}", $crate::inbox::sql(status)))
                            .bind(login)
                            .bind(limit)
                            .fetch_all(self.reader())
                            .await
                            .map_err(e)?
                    };
                    rows.iter()
                        .map(|r| {
                            if postgres {
                                r.try_get::<String, _>(0).map_err(e)
                            } else {
                                let id: i64 = r.try_get("id").map_err(e)?;
                                let parent: i64 = r.try_get("parent").map_err(e)?;
                                let detail: String = r.try_get("detail").map_err(e)?;
                                Ok(format!("{id:>3} {parent:>3} {detail}"))
                            }
                        })
                        .collect()
                }

                async fn apply(&self, c: &Change) -> Result<()> {
                    $apply(self, c, e).await
                }

                async fn log_access(&self, a: &$crate::AccessRecord) -> Result<()> {
                    sqlx::query("INSERT INTO access_log (at, login, instance_id, what) VALUES ($1, $2, $3, $4)")
                        .bind(a.at)
                        .bind(&a.login)
                        .bind(&a.instance_id)
                        .bind(&a.what)
                        .execute(self.writer())
                        .await
                        .map_err(e)?;
                    Ok(())
                }

                async fn access_log(&self, instance_id: &str, limit: i64) -> Result<Vec<$crate::AccessRecord>> {
                    let rows = sqlx::query(
                        "SELECT * FROM access_log WHERE instance_id = $1 ORDER BY at DESC LIMIT $2",
                    )
                    .bind(instance_id)
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter()
                        .map(|r| {
                            Ok($crate::AccessRecord {
                                at: r.try_get("at").map_err(e)?,
                                login: r.try_get("login").map_err(e)?,
                                instance_id: r.try_get("instance_id").map_err(e)?,
                                what: r.try_get("what").map_err(e)?,
                            })
                        })
                        .collect()
                }

                async fn purge_candidates(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<Instance>> {
                    let rows = sqlx::query(
                        "SELECT * FROM instances WHERE purged_at IS NULL AND status = 'completed' AND updated_at < $1
                         ORDER BY updated_at LIMIT $2",
                    )
                    .bind(before)
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter().map(instance).collect()
                }

                async fn purge_instance(&self, id: &str, data: &serde_json::Value, at: DateTime<Utc>) -> Result<bool> {
                    let mut tx = <$ty>::begin_write(self.writer()).await.map_err(e)?;
                    let done = sqlx::query(
                        "UPDATE instances SET data = $1, purged_at = $2
                         WHERE id = $3 AND purged_at IS NULL AND status = 'completed'",
                    )
                    .bind(Json(data))
                    .bind(at)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(e)?;
                    if done.rows_affected() != 1 {
                        return Ok(false);
                    }
                    sqlx::query("DELETE FROM attachments WHERE instance_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    tx.commit().await.map_err(e)?;
                    Ok(true)
                }
            }

            #[async_trait::async_trait]
            impl $crate::ScheduleStore for $ty {
                async fn save_calendar_year(&self, year: i32, holidays: &[NaiveDate], workdays: &[NaiveDate]) -> Result<()> {
                    let mut tx = <$ty>::begin_write(self.writer()).await.map_err(e)?;
                    sqlx::query("DELETE FROM calendar_days WHERE year = $1")
                        .bind(year)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    for (days, kind) in [(holidays, "holiday"), (workdays, "workday")] {
                        for d in days {
                            sqlx::query("INSERT INTO calendar_days (day, year, kind) VALUES ($1, $2, $3)")
                                .bind(*d)
                                .bind(year)
                                .bind(kind)
                                .execute(&mut *tx)
                                .await
                                .map_err(e)?;
                        }
                    }
                    tx.commit().await.map_err(e)?;
                    Ok(())
                }

                async fn calendar(&self) -> Result<Vec<(i32, Vec<NaiveDate>, Vec<NaiveDate>)>> {
                    let rows = sqlx::query("SELECT day, year, kind FROM calendar_days ORDER BY year, day")
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    let mut out: Vec<(i32, Vec<NaiveDate>, Vec<NaiveDate>)> = Vec::new();
                    for r in &rows {
                        let year: i32 = r.try_get("year").map_err(e)?;
                        let day: NaiveDate = r.try_get("day").map_err(e)?;
                        let kind: String = r.try_get("kind").map_err(e)?;
                        if out.last().is_none_or(|(y, _, _)| *y != year) {
                            out.push((year, Vec::new(), Vec::new()));
                        }
                        let entry = out.last_mut().expect("just pushed");
                        if kind == "holiday" {
                            entry.1.push(day);
                        } else {
                            entry.2.push(day);
                        }
                    }
                    Ok(out)
                }

                async fn claim_timers(&self, owner: &str, now: DateTime<Utc>, lease_ms: i64, limit: i64) -> Result<Vec<TimerRecord>> {
                    let rows = claim_rows(self.writer(), "timers", "fire_at", owner, now, lease_ms, limit).await?;
                    rows.iter().map(timer).collect()
                }

                async fn complete_timer(
                    &self,
                    id: &str,
                    owner: &str,
                    at: DateTime<Utc>,
                    next: Option<&TimerRecord>,
                    out: &[OutboxMessage],
                ) -> Result<()> {
                    let mut tx = <$ty>::begin_write(self.writer()).await.map_err(e)?;
                    let done = sqlx::query(concat!(
                        "UPDATE timers SET status = 'done', fired_at = $1
                         WHERE id = $2 AND lease_owner = $3 AND status = 'pending' AND lease_until >= ", $now_ms
                    ))
                    .bind(at)
                    .bind(id)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await
                    .map_err(e)?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::Conflict(format!("the lease on timer {id} was lost")));
                    }
                    // The guard stays here: a task closed since is not reminded again.
                    if let Some(next) = next {
                        sqlx::query(
                            "INSERT INTO timers (id, instance_id, task_id, kind, fire_at, later)
                             SELECT $1, $2, $3, $4, $5, $6
                              WHERE EXISTS (SELECT 1 FROM tasks WHERE id = $3 AND status = 'open')",
                        )
                        .bind(&next.id)
                        .bind(&next.instance_id)
                        .bind(&next.task_id)
                        .bind(next.kind.as_str())
                        .bind(next.fire_at)
                        .bind(Json(&next.later))
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    }
                    for m in out {
                        insert_outbox(&mut *tx, m).await?;
                    }
                    tx.commit().await.map_err(e)?;
                    Ok(())
                }

                async fn last_slot(&self, schedule: &str) -> Result<Option<DateTime<Utc>>> {
                    let row = sqlx::query("SELECT slot FROM schedule_slots WHERE schedule = $1 ORDER BY slot DESC LIMIT 1")
                        .bind(schedule)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    row.map(|r| r.try_get("slot").map_err(e)).transpose()
                }

                async fn skip_slots(&self, schedule: &str, slots: &[(DateTime<Utc>, String)]) -> Result<()> {
                    let mut tx = <$ty>::begin_write(self.writer()).await.map_err(e)?;
                    for (slot, note) in slots {
                        sqlx::query(
                            "INSERT INTO schedule_slots (schedule, slot, status, note) VALUES ($1, $2, 'skipped', $3)
                             ON CONFLICT (schedule, slot) DO NOTHING",
                        )
                        .bind(schedule)
                        .bind(*slot)
                        .bind(note)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    }
                    tx.commit().await.map_err(e)?;
                    Ok(())
                }

                async fn claim_slot(&self, schedule: &str, slot: DateTime<Utc>, owner: &str, lease_ms: i64) -> Result<bool> {
                    sqlx::query(
                        "INSERT INTO schedule_slots (schedule, slot, status) VALUES ($1, $2, 'pending')
                         ON CONFLICT (schedule, slot) DO NOTHING",
                    )
                    .bind(schedule)
                    .bind(slot)
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    let done = sqlx::query(concat!(
                        "UPDATE schedule_slots SET lease_owner = $1, lease_until = ", $now_ms, " + $2
                         WHERE schedule = $3 AND slot = $4 AND status = 'pending'
                           AND (lease_until IS NULL OR lease_until < ", $now_ms, ")"
                    ))
                    .bind(owner)
                    .bind(lease_ms)
                    .bind(schedule)
                    .bind(slot)
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn complete_slot(
                    &self,
                    schedule: &str,
                    slot: DateTime<Utc>,
                    owner: &str,
                    at: DateTime<Utc>,
                    note: &str,
                    out: &[OutboxMessage],
                ) -> Result<()> {
                    let mut tx = <$ty>::begin_write(self.writer()).await.map_err(e)?;
                    let done = sqlx::query(concat!(
                        "UPDATE schedule_slots SET status = 'done', fired_at = $1, note = $2
                         WHERE schedule = $3 AND slot = $4 AND lease_owner = $5 AND status = 'pending'
                           AND lease_until >= ", $now_ms
                    ))
                    .bind(at)
                    .bind(note)
                    .bind(schedule)
                    .bind(slot)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await
                    .map_err(e)?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::Conflict(format!("the lease on {schedule} at {slot} was lost")));
                    }
                    for m in out {
                        insert_outbox(&mut *tx, m).await?;
                    }
                    tx.commit().await.map_err(e)?;
                    Ok(())
                }

                async fn slots(&self, schedule: &str, limit: i64) -> Result<Vec<SlotRecord>> {
                    let rows = sqlx::query("SELECT * FROM schedule_slots WHERE schedule = $1 ORDER BY slot DESC LIMIT $2")
                        .bind(schedule)
                        .bind(limit)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter()
                        .map(|r| {
                            Ok(SlotRecord {
                                schedule: r.try_get("schedule").map_err(e)?,
                                slot: r.try_get("slot").map_err(e)?,
                                status: r.try_get("status").map_err(e)?,
                                fired_at: r.try_get("fired_at").map_err(e)?,
                                note: r.try_get("note").map_err(e)?,
                            })
                        })
                        .collect()
                }
            }

            #[async_trait::async_trait]
            impl $crate::OutboxStore for $ty {
                async fn enqueue(&self, out: &[OutboxMessage]) -> Result<()> {
                    let mut tx = <$ty>::begin_write(self.writer()).await.map_err(e)?;
                    for m in out {
                        insert_outbox(&mut *tx, m).await?;
                    }
                    tx.commit().await.map_err(e)?;
                    Ok(())
                }

                async fn claim_outbox(&self, owner: &str, now: DateTime<Utc>, lease_ms: i64, limit: i64) -> Result<Vec<OutboxRecord>> {
                    let rows = claim_rows(self.writer(), "outbox", "next_attempt_at", owner, now, lease_ms, limit).await?;
                    rows.iter().map(outbox).collect()
                }

                async fn outbox_sent(&self, id: &str, owner: &str, at: DateTime<Utc>) -> Result<()> {
                    let mut tx = <$ty>::begin_write(self.writer()).await.map_err(e)?;
                    let done = sqlx::query(
                        "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, lease_owner = NULL,
                           lease_until = NULL, last_error = NULL
                         WHERE id = $2 AND lease_owner = $3 AND status = 'pending'",
                    )
                    .bind(at)
                    .bind(id)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await
                    .map_err(e)?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::Conflict(format!("the lease on e-mail {id} was lost")));
                    }
                    sqlx::query("INSERT INTO outbox_attempts (outbox_id, at, ok, error) VALUES ($1, $2, $3, NULL)")
                        .bind(id)
                        .bind(at)
                        .bind(true)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    tx.commit().await.map_err(e)?;
                    Ok(())
                }

                async fn outbox_failed(
                    &self,
                    id: &str,
                    owner: &str,
                    at: DateTime<Utc>,
                    error: &str,
                    retry_at: Option<DateTime<Utc>>,
                ) -> Result<()> {
                    let mut tx = <$ty>::begin_write(self.writer()).await.map_err(e)?;
                    let status = if retry_at.is_some() { "pending" } else { "dead" };
                    let done = sqlx::query(
                        "UPDATE outbox SET status = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3,
                           lease_owner = NULL, lease_until = NULL
                         WHERE id = $4 AND lease_owner = $5 AND status = 'pending'",
                    )
                    .bind(status)
                    .bind(retry_at.unwrap_or(at))
                    .bind(error)
                    .bind(id)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await
                    .map_err(e)?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::Conflict(format!("the lease on e-mail {id} was lost")));
                    }
                    sqlx::query("INSERT INTO outbox_attempts (outbox_id, at, ok, error) VALUES ($1, $2, $3, $4)")
                        .bind(id)
                        .bind(at)
                        .bind(false)
                        .bind(error)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    tx.commit().await.map_err(e)?;
                    Ok(())
                }

                async fn outbox_list(&self, status: Option<&str>, limit: i64) -> Result<Vec<OutboxRecord>> {
                    let rows = sqlx::query(
                        "SELECT * FROM outbox WHERE ($1 IS NULL OR status = $1) ORDER BY created_at DESC, id LIMIT $2",
                    )
                    .bind(status)
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter().map(outbox).collect()
                }

                async fn outbox_retry(&self, id: &str, now: DateTime<Utc>) -> Result<bool> {
                    let done = sqlx::query(
                        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, last_error = NULL
                         WHERE id = $2 AND status = 'dead'",
                    )
                    .bind(now)
                    .bind(id)
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    Ok(done.rows_affected() == 1)
                }
            }

            #[async_trait::async_trait]
            impl $crate::AttachmentStore for $ty {
                async fn add_attachment(&self, a: &$crate::AttachmentRecord, content: &[u8]) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO attachments (id, instance_id, file_name, content_type, size, sha256, content, uploaded_by, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&a.id)
                    .bind(&a.instance_id)
                    .bind(&a.file_name)
                    .bind(&a.content_type)
                    .bind(a.size)
                    .bind(&a.sha256)
                    .bind(content)
                    .bind(&a.uploaded_by)
                    .bind(a.created_at)
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    Ok(())
                }

                async fn attachments(&self, instance_id: &str) -> Result<Vec<$crate::AttachmentRecord>> {
                    let rows = sqlx::query(
                        "SELECT id, instance_id, file_name, content_type, size, sha256, uploaded_by, created_at
                         FROM attachments WHERE instance_id = $1 ORDER BY created_at, id",
                    )
                    .bind(instance_id)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter().map(attachment).collect()
                }

                async fn attachment(&self, id: &str) -> Result<Option<($crate::AttachmentRecord, Vec<u8>)>> {
                    let row = sqlx::query("SELECT * FROM attachments WHERE id = $1")
                        .bind(id)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    match row {
                        Some(r) => Ok(Some((attachment(&r)?, r.try_get("content").map_err(e)?))),
                        None => Ok(None),
                    }
                }
            }

            #[async_trait::async_trait]
            impl $crate::ReportStore for $ty {
                async fn instances_under(&self, workflow: &str, path: &str) -> Result<Vec<Instance>> {
                    let rows = sqlx::query(
                        "SELECT * FROM instances WHERE workflow = $1 AND substr(org_path, 1, length($2)) = $2
                         ORDER BY created_at, id",
                    )
                    .bind(workflow)
                    .bind(path)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter().map(instance).collect()
                }

                async fn overdue_tasks_under(&self, workflow: &str, path: &str, now: DateTime<Utc>) -> Result<Vec<InboxRow>> {
                    let rows = sqlx::query(&$crate::inbox::tasks_where(
                        "i.workflow = $1 AND substr(i.org_path, 1, length($2)) = $2
                           AND t.status = 'open' AND t.due_at < $3 ORDER BY t.due_at, t.id",
                    ))
                    .bind(workflow)
                    .bind(path)
                    .bind(now)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter().map(inbox_row).collect()
                }

                async fn open_tasks_in(&self, workflow: &str, step: &str) -> Result<Vec<InboxRow>> {
                    let rows = sqlx::query(&$crate::inbox::tasks_where(
                        "i.workflow = $1 AND t.step = $2 AND t.status = 'open' ORDER BY t.created_at, t.id",
                    ))
                    .bind(workflow)
                    .bind(step)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter().map(inbox_row).collect()
                }

                async fn create_campaign(&self, c: &CampaignRecord) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO campaigns (id, title, due_at, remind_before, targets, created_by, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&c.id)
                    .bind(&c.title)
                    .bind(c.due_at)
                    .bind(Json(&c.remind_before))
                    .bind(Json(&c.targets))
                    .bind(&c.created_by)
                    .bind(c.created_at)
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    Ok(())
                }

                async fn campaign(&self, id: &str) -> Result<Option<CampaignRecord>> {
                    let row = sqlx::query("SELECT * FROM campaigns WHERE id = $1")
                        .bind(id)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    let Some(r) = row else { return Ok(None) };
                    let Json(remind_before): Json<Vec<String>> = r.try_get("remind_before").map_err(e)?;
                    let Json(targets): Json<Vec<String>> = r.try_get("targets").map_err(e)?;
                    Ok(Some(CampaignRecord {
                        id: r.try_get("id").map_err(e)?,
                        title: r.try_get("title").map_err(e)?,
                        due_at: r.try_get("due_at").map_err(e)?,
                        remind_before,
                        targets,
                        created_by: r.try_get("created_by").map_err(e)?,
                        created_at: r.try_get("created_at").map_err(e)?,
                    }))
                }

                async fn urge(
                    &self,
                    task_id: &str,
                    day: NaiveDate,
                    login: &str,
                    at: DateTime<Utc>,
                    out: &[OutboxMessage],
                ) -> Result<bool> {
                    let mut tx = <$ty>::begin_write(self.writer()).await.map_err(e)?;
                    let done = sqlx::query(
                        "INSERT INTO urges (task_id, day, login, at) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (task_id, day) DO NOTHING",
                    )
                    .bind(task_id)
                    .bind(day)
                    .bind(login)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(e)?;
                    if done.rows_affected() != 1 {
                        return Ok(false);
                    }
                    for m in out {
                        insert_outbox(&mut *tx, m).await?;
                    }
                    tx.commit().await.map_err(e)?;
                    Ok(true)
                }
            }
        };
    };
}
