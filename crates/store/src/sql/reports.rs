//! The shared SQL of reports: reads across instances for boards and
//! reports, campaigns and urges: [`crate::ReportStore`] for a SQL backend, by
//! [`sql_reports!`] (called by [`crate::sql_store!`]).

/// Implements [`crate::ReportStore`] for `$ty` over sqlx database `$db`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_reports {
    ($ty:ty, $db:ty) => {
        const _: () = {
            $crate::sql_common!($ty, $db);

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
                        "INSERT INTO campaigns (id, title, due_at, remind_before, targets, created_by, created_at, workflow, data)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&c.id)
                    .bind(&c.title)
                    .bind(c.due_at)
                    .bind(Json(&c.remind_before))
                    .bind(Json(&c.targets))
                    .bind(&c.created_by)
                    .bind(c.created_at)
                    .bind(&c.workflow)
                    .bind(Json(&c.data))
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
                    row.map(|r| CampaignRecord::from_row(&r).map_err(e)).transpose()
                }

                async fn campaigns(&self) -> Result<Vec<CampaignRecord>> {
                    let rows = sqlx::query("SELECT * FROM campaigns ORDER BY created_at DESC, id DESC")
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(|r| CampaignRecord::from_row(r).map_err(e)).collect()
                }

                async fn readers_of(&self, workflow: &str) -> Result<Vec<(String, String)>> {
                    let rows = sqlx::query(
                        "SELECT DISTINCT a.instance_id, a.login FROM access_log a
                         JOIN instances i ON i.id = a.instance_id WHERE i.workflow = $1",
                    )
                    .bind(workflow)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter()
                        .map(|r| Ok((r.try_get("instance_id").map_err(e)?, r.try_get("login").map_err(e)?)))
                        .collect()
                }

                async fn urge(
                    &self,
                    task_id: &str,
                    day: NaiveDate,
                    login: &str,
                    at: DateTime<Utc>,
                    out: &[OutboxMessage],
                ) -> Result<bool> {
                    let mut tx = self.writer().begin().await.map_err(e)?;
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
