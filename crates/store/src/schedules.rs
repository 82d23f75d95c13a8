//! The clock's rows: the working-day calendar, task timers and the slots
//! of schedules, each claimed under a lease.

use crate::{OutboxMessage, Result, SlotRecord, TimerRecord};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

/// The calendar, task timers and schedule slots.
#[async_trait]
pub trait ScheduleStore: Send + Sync {
    /// Replaces one year's holidays and make-up working days.
    async fn save_calendar_year(
        &self,
        year: i32,
        holidays: &[NaiveDate],
        workdays: &[NaiveDate],
    ) -> Result<()>;
    /// Every stored year with its holidays and make-up working days.
    async fn calendar(&self) -> Result<Vec<(i32, Vec<NaiveDate>, Vec<NaiveDate>)>>;
    /// Leases up to `limit` pending timers due at `now` to `owner` for `lease_ms`
    /// of the database's clock; a timer whose lease ran out may be taken over.
    async fn claim_timers(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<TimerRecord>>;
    /// Marks a leased timer fired, queues its e-mails and writes `next` (the
    /// task's next timer, as the engine states it) if the task is still
    /// open, atomically; fails with a conflict when `owner` no longer holds
    /// the lease.
    async fn complete_timer(
        &self,
        id: &str,
        owner: &str,
        at: DateTime<Utc>,
        next: Option<&TimerRecord>,
        outbox: &[OutboxMessage],
    ) -> Result<()>;
    /// The latest slot of a schedule recorded in any state.
    async fn last_slot(&self, schedule: &str) -> Result<Option<DateTime<Utc>>>;
    /// Records slots that will not fire, with why; a slot already recorded is left alone.
    async fn skip_slots(&self, schedule: &str, slots: &[(DateTime<Utc>, String)]) -> Result<()>;
    /// Creates the slot if needed and leases it to `owner`; false if another has it or it is done.
    async fn claim_slot(
        &self,
        schedule: &str,
        slot: DateTime<Utc>,
        owner: &str,
        lease_ms: i64,
    ) -> Result<bool>;
    /// Marks a leased slot fired and queues its e-mails, atomically; fenced by the lease.
    async fn complete_slot(
        &self,
        schedule: &str,
        slot: DateTime<Utc>,
        owner: &str,
        at: DateTime<Utc>,
        note: &str,
        outbox: &[OutboxMessage],
    ) -> Result<()>;
    async fn slots(&self, schedule: &str, limit: i64) -> Result<Vec<SlotRecord>>;
}
