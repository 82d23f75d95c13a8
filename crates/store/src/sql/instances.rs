//! The shared SQL of instances: workflow definitions, instances, tasks,
//! history, the inbox and the transition write (by the backend's own `apply`): [`crate::InstanceStore`] for a SQL backend, by
//! [`sql_instances!`] (called by [`crate::sql_store!`]).

/// Implements [`crate::InstanceStore`] for `$ty` over sqlx database `$db`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_instances {
    ($ty:ty, $db:ty, $apply:path) => {
        const _: () = {
            $crate::sql_common!($ty, $db);

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

                async fn histories(&self, instance_ids: &[String]) -> Result<Vec<HistoryRecord>> {
                    if instance_ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    let sql = format!(
                        "SELECT * FROM history WHERE instance_id IN ({}) ORDER BY instance_id, seq",
                        placeholders(1, instance_ids.len())
                    );
                    let mut q = sqlx::query(&sql);
                    for id in instance_ids {
                        q = q.bind(id);
                    }
                    let rows = q.fetch_all(self.reader()).await.map_err(e)?;
                    rows.iter().map(history).collect()
                }

                async fn data_versions(&self, instance_id: &str) -> Result<Vec<(i64, serde_json::Value)>> {
                    let rows = sqlx::query("SELECT seq, data FROM data_versions WHERE instance_id = $1 ORDER BY seq")
                        .bind(instance_id)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter()
                        .map(|r| {
                            let data: Json<serde_json::Value> = r.try_get("data").map_err(e)?;
                            Ok((r.try_get("seq").map_err(e)?, data.0))
                        })
                        .collect()
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
                    let sql = <$ty as $crate::sql::SqlBackend>::inbox_sql(status);
                    let rows = sqlx::query(&sql)
                        .bind(login)
                        .bind(limit)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(inbox_row).collect()
                }

                async fn inbox_count(&self, login: &str) -> Result<i64> {
                    let sql = <$ty as $crate::sql::SqlBackend>::inbox_count_sql();
                    sqlx::query_scalar(&sql)
                        .bind(login)
                        .fetch_one(self.reader())
                        .await
                        .map_err(e)
                }

                async fn explain_inbox(&self, login: &str, status: TaskStatus, limit: i64) -> Result<Vec<String>> {
                    <$ty as $crate::sql::SqlBackend>::explain_inbox(self, login, status, limit)
                        .await
                        .map_err(e)
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
                        .map(|r| $crate::AccessRecord::from_row(r).map_err(e))
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
                    let mut tx = self.writer().begin().await.map_err(e)?;
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
                    for table in ["attachments", "data_versions", "notices"] {
                        sqlx::query(&format!("DELETE FROM {table} WHERE instance_id = $1"))
                            .bind(id)
                            .execute(&mut *tx)
                            .await
                            .map_err(e)?;
                    }
                    tx.commit().await.map_err(e)?;
                    Ok(true)
                }
            }
        };
    };
}
