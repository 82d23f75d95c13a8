//! The shared SQL of schedules: the working-day calendar, task timers and
//! schedule slots, claimed under leases: [`crate::ScheduleStore`] for a SQL backend, by
//! [`sql_schedules!`] (called by [`crate::sql_store!`]).

/// Implements [`crate::ScheduleStore`] for `$ty` over sqlx database `$db`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_schedules {
    ($ty:ty, $db:ty) => {
        const _: () = {
            $crate::sql_common!($ty, $db);

            #[async_trait::async_trait]
            impl $crate::ScheduleStore for $ty {
                async fn save_calendar_year(&self, year: i32, holidays: &[NaiveDate], workdays: &[NaiveDate]) -> Result<()> {
                    let mut tx = self.writer().begin().await.map_err(e)?;
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
                    let mut tx = self.writer().begin().await.map_err(e)?;
                    let done = sqlx::query(&format!(
                        "UPDATE timers SET status = 'done', fired_at = $1
                         WHERE id = $2 AND lease_owner = $3 AND status = 'pending' AND lease_until >= {}",
                        <$ty as $crate::sql::SqlBackend>::NOW_MS
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
                    let mut tx = self.writer().begin().await.map_err(e)?;
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
                    let done = sqlx::query(&format!(
                        "UPDATE schedule_slots SET lease_owner = $1, lease_until = {now_ms} + $2
                         WHERE schedule = $3 AND slot = $4 AND status = 'pending'
                           AND (lease_until IS NULL OR lease_until < {now_ms})",
                        now_ms = <$ty as $crate::sql::SqlBackend>::NOW_MS
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
                    let mut tx = self.writer().begin().await.map_err(e)?;
                    let done = sqlx::query(&format!(
                        "UPDATE schedule_slots SET status = 'done', fired_at = $1, note = $2
                         WHERE schedule = $3 AND slot = $4 AND lease_owner = $5 AND status = 'pending'
                           AND lease_until >= {}",
                        <$ty as $crate::sql::SqlBackend>::NOW_MS
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
                    rows.iter().map(|r| SlotRecord::from_row(r).map_err(e)).collect()
                }
            }
        };
    };
}
