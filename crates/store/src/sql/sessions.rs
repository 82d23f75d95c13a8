//! The shared SQL of sessions: API tokens, browser sessions, the login
//! throttle and idempotency keys: [`crate::SessionStore`] for a SQL backend, by
//! [`sql_sessions!`] (called by [`crate::sql_store!`]).

/// Implements [`crate::SessionStore`] for `$ty` over sqlx database `$db`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_sessions {
    ($ty:ty, $db:ty) => {
        const _: () = {
            $crate::sql_common!($ty, $db);

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
                    row.map(|r| SessionRecord::from_row(&r).map_err(e)).transpose()
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

                async fn put_flash(&self, id_hash: &str, body: &serde_json::Value) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO flashes (session_hash, body) VALUES ($1, $2)
                         ON CONFLICT (session_hash) DO UPDATE SET body = excluded.body",
                    )
                    .bind(id_hash)
                    .bind(Json(body))
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    Ok(())
                }

                async fn take_flash(&self, id_hash: &str) -> Result<Option<serde_json::Value>> {
                    let body: Option<Json<serde_json::Value>> =
                        sqlx::query_scalar("DELETE FROM flashes WHERE session_hash = $1 RETURNING body")
                            .bind(id_hash)
                            .fetch_optional(self.writer())
                            .await
                            .map_err(e)?;
                    Ok(body.map(|b| b.0))
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
        };
    };
}
