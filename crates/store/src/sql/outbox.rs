//! The shared SQL of the e-mail outbox: [`crate::OutboxStore`] for a SQL backend, by
//! [`sql_outbox!`] (called by [`crate::sql_store!`]).

/// Implements [`crate::OutboxStore`] for `$ty` over sqlx database `$db`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_outbox {
    ($ty:ty, $db:ty) => {
        const _: () = {
            $crate::sql_common!($ty, $db);

            #[async_trait::async_trait]
            impl $crate::OutboxStore for $ty {
                async fn enqueue(&self, out: &[OutboxMessage]) -> Result<()> {
                    let mut tx = self.writer().begin().await.map_err(e)?;
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
                    let mut tx = self.writer().begin().await.map_err(e)?;
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
                    let mut tx = self.writer().begin().await.map_err(e)?;
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

                async fn notices(
                    &self,
                    login: &str,
                    unread_only: bool,
                    template: Option<&str>,
                    limit: i64,
                ) -> Result<Vec<NoticeRecord>> {
                    let rows = sqlx::query(
                        "SELECT * FROM notices
                         WHERE login = $1 AND ($2 IS NULL OR template = $2) AND (read_at IS NULL OR NOT $3)
                         ORDER BY created_at DESC, id DESC LIMIT $4",
                    )
                    .bind(login)
                    .bind(template)
                    .bind(unread_only)
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter().map(notice).collect()
                }

                async fn notice(&self, login: &str, id: &str) -> Result<Option<NoticeRecord>> {
                    let row = sqlx::query("SELECT * FROM notices WHERE login = $1 AND id = $2")
                        .bind(login)
                        .bind(id)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    row.as_ref().map(notice).transpose()
                }

                async fn unread_notices(&self, login: &str) -> Result<i64> {
                    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notices WHERE login = $1 AND read_at IS NULL")
                        .bind(login)
                        .fetch_one(self.reader())
                        .await
                        .map_err(e)?;
                    Ok(n)
                }

                async fn read_notices(&self, login: &str, which: NoticesRead<'_>, at: DateTime<Utc>) -> Result<u64> {
                    let (filter, key) = match which {
                        NoticesRead::One(id) => (" AND id = $3", Some(id)),
                        NoticesRead::OfTask(task) => (" AND task_id = $3", Some(task)),
                        NoticesRead::All => (" AND $3 IS NULL", None),
                    };
                    let done = sqlx::query(&format!(
                        "UPDATE notices SET read_at = $1 WHERE login = $2 AND read_at IS NULL{filter}"
                    ))
                    .bind(at)
                    .bind(login)
                    .bind(key)
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}
