//! Background work: firing schedules and task timers (reminders, escalations,
//! timeouts) and dispatching the e-mail outbox. Both claim rows under leases from the
//! database's clock, so any number of replicas share the work and none does
//! a row twice; `*_once` functions run one round, for the loop and for tests.

use crate::directory_cache::Seen;
use crate::error::{EngineError, Result};
use crate::notify::{due_text, step_title, Subject};
use crate::{Actor, Engine};
use chrono::Duration;
use naxian_mail::{MailError, Outgoing, Transport};
use naxian_model::machine::{self, ActionInput, TimerKind};
use naxian_model::{Refusal, TaskStatus};
use naxian_store::{OutboxMessage, StoreError, TimerRecord};
use serde_json::json;
use std::time::Duration as StdDuration;

/// How the dispatcher sends.
#[derive(Clone)]
pub struct Mailer {
    pub transport: Transport,
    /// The templates every e-mail is rendered from.
    pub templates: std::sync::Arc<naxian_mail::MailTemplates>,
    /// Where users reach the service (`server.public_url`): e-mails link to its pages.
    pub public_url: String,
    /// The sender, e.g. `纳贤 <noreply@example.cn>`.
    pub from: String,
    /// After this many failed attempts an e-mail is dead (kept, retryable by hand).
    pub max_attempts: i32,
    /// The first retry waits this long; each later one twice as long, up to an hour.
    pub backoff: Duration,
}

/// An outbox row's parameters with where its e-mail links to: the service
/// (`public_url`) and, for an e-mail about a task, the task's page (`link`).
fn linked(params: &serde_json::Value, public_url: &str) -> serde_json::Value {
    let mut p = params.clone();
    let base = public_url.trim_end_matches('/');
    if let Some(task) = p.get("task_id").and_then(|t| t.as_str()).map(str::to_string) {
        p["link"] = serde_json::json!(format!("{base}/tasks/{task}"));
    }
    p["public_url"] = serde_json::json!(base);
    p
}

/// A claimed batch, used only while the lease is surely still ours: past a
/// quarter before its end (by this process's monotonic clock, which runs on
/// while the process is paused) the rest is left for whoever claims it next,
/// so that a replica paused past its lease does not send what another took over.
struct Lease {
    taken: std::time::Instant,
    usable: StdDuration,
}

impl Lease {
    fn new(lease_ms: i64) -> Lease {
        Lease {
            taken: std::time::Instant::now(),
            usable: StdDuration::from_millis(lease_ms.max(0) as u64 * 3 / 4),
        }
    }

    fn held(&self) -> bool {
        self.taken.elapsed() < self.usable
    }
}

/// The pseudo-user automatic actions are recorded under.
pub const SYSTEM: &str = "system";

/// The actor automatic actions are taken as.
pub fn system_actor() -> Actor {
    Actor {
        login: SYSTEM.into(),
        name: "系统".into(),
        is_admin: true,
        grants: Vec::new(),
    }
}

impl Engine {
    /// Fires every timer due now; returns how many fired.
    pub async fn fire_timers_once(&self, owner: &str) -> Result<usize> {
        let mut fired = 0;
        loop {
            let lease_ms = self.settings.lease_ms;
            let batch = self
                .store
                .claim_timers(owner, self.clock.now(), lease_ms, self.settings.claim_batch)
                .await?;
            if batch.is_empty() {
                return Ok(fired);
            }
            let lease = Lease::new(lease_ms);
            for timer in batch {
                if !lease.held() {
                    tracing::warn!(timer = %timer.id, "lease running out: the rest of the batch is left to the next claim");
                    break;
                }
                match self.fire(owner, &timer).await {
                    Ok(()) => fired += 1,
                    Err(e @ EngineError::Conflict(_)) => {
                        tracing::info!(timer = %timer.id, "timer skipped: {e}")
                    }
                    Err(e) => {
                        // Left leased: another attempt follows when the lease runs out.
                        tracing::warn!(timer = %timer.id, error = %e, "timer failed");
                    }
                }
            }
        }
    }

    async fn fire(&self, owner: &str, timer: &TimerRecord) -> Result<()> {
        let now = self.clock.now();
        let next = crate::timer_chain::next(timer);
        let task = self.store.task(&timer.task_id).await?;
        let Some(task) = task.filter(|t| t.status == TaskStatus::Open) else {
            // The task closed after the claim: nothing to say any more.
            return Ok(self
                .store
                .complete_timer(&timer.id, owner, now, next.as_ref(), &[])
                .await?);
        };
        let rec = self
            .store
            .instance(&task.instance_id)
            .await?
            .ok_or_else(|| EngineError::Internal(format!("timer {} without its instance", timer.id)))?;
        let def = self
            .definition(&rec.instance.workflow, rec.instance.version)
            .await?;
        let org = self
            .store
            .org_context_at(&rec.instance.org_path)
            .await?
            .ok_or_else(|| EngineError::Internal(format!("unit {} is gone", rec.instance.org_unit)))?;
        let subject = Subject::new(&def, &rec.instance, &org.target().name);
        let title = format!("{}：{}", subject.workflow_title, step_title(&def, &task.step));
        let params = json!({
            "title": title,
            "subject": subject.text,
            "due_at": due_text(task.due_at),
            "instance_id": rec.instance.id,
            "task_id": task.id,
            "workflow": def.name.as_str(),
        });
        let step_timers = def.step(&task.step).and_then(|s| s.timers.as_ref());
        let mail: Vec<OutboxMessage> = match timer.kind {
            TimerKind::Remind => {
                let users = self.recipients_of(Seen::Now, &task.assignee).await?;
                let template = def.mail_template(&task.step, true);
                let params = crate::notify::task_params(params, &def, &rec.instance);
                self.messages(&format!("remind:{}", timer.id), &users, &template, params)
            }
            TimerKind::Escalate => {
                let Some(to) = step_timers.and_then(|t| t.escalate_to.as_ref()) else {
                    return Ok(self
                        .store
                        .complete_timer(&timer.id, owner, now, next.as_ref(), &[])
                        .await?);
                };
                let calendar = self.calendar();
                let ctx = self.decision_context(&org, &calendar);
                let users = match machine::resolve_role(to, &rec.instance, &ctx)? {
                    Some(a) => self.nearest_holders(Seen::Now, &a).await?,
                    None => Vec::new(),
                };
                if users.is_empty() {
                    tracing::warn!(timer = %timer.id, "escalation has no one to go to");
                }
                let holder = self
                    .store
                    .org_unit(&task.assignee.unit)
                    .await?
                    .map(|u| u.name)
                    .unwrap_or_else(|| task.assignee.unit.clone());
                let mut params = params;
                params["holder"] = json!(holder);
                self.messages(&format!("escalate:{}", timer.id), &users, "task_overdue", params)
            }
            TimerKind::Timeout => {
                let Some(action) = step_timers.and_then(|t| t.timeout_action.as_ref()) else {
                    return Ok(self
                        .store
                        .complete_timer(&timer.id, owner, now, next.as_ref(), &[])
                        .await?);
                };
                let system = system_actor();
                match self
                    .run_task_action(
                        &system,
                        &task,
                        ActionInput {
                            comment: Some("到期未办理，系统自动处理".into()),
                            ..ActionInput::named(action.as_str())
                        },
                    )
                    .await
                {
                    // The action closed the task, which cancelled this very timer: done.
                    Ok(_) => return Ok(()),
                    Err(EngineError::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
                Vec::new()
            }
        };
        self.store
            .complete_timer(&timer.id, owner, now, next.as_ref(), &mail)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(detail) => EngineError::Conflict(Refusal::Stale { detail }),
                other => other.into(),
            })
    }

    /// Sends every e-mail due now; returns how many were delivered.
    pub async fn dispatch_once(&self, mailer: &Mailer, owner: &str) -> Result<usize> {
        let mut sent = 0;
        loop {
            let now = self.clock.now();
            let lease_ms = self.settings.lease_ms;
            let batch = self
                .store
                .claim_outbox(owner, now, lease_ms, self.settings.claim_batch)
                .await?;
            if batch.is_empty() {
                return Ok(sent);
            }
            let lease = Lease::new(lease_ms);
            for row in batch {
                if !lease.held() {
                    tracing::warn!(outbox = %row.message.id, "lease running out: the rest of the batch is left to the next claim");
                    break;
                }
                let m = &row.message;
                let params = linked(&m.params, &mailer.public_url);
                let workflow = params.get("workflow").and_then(|w| w.as_str());
                let outcome = match mailer.templates.render(&m.template, workflow, &params) {
                    None => Err(MailError::Permanent(format!("unknown template `{}`", m.template))),
                    Some(r) => {
                        let mail = Outgoing {
                            id: m.id.clone(),
                            from: mailer.from.clone(),
                            to: m
                                .recipients
                                .iter()
                                .map(|r| (r.name.clone(), r.email.clone()))
                                .collect(),
                            subject: r.subject,
                            body: r.body,
                            html: r.html,
                        };
                        mailer.transport.send(&mail).await
                    }
                };
                let at = self.clock.now();
                let recorded = match outcome {
                    Ok(()) => {
                        sent += 1;
                        tracing::info!(outbox = %m.id, key = %m.dedupe_key, "e-mail sent");
                        self.store.outbox_sent(&m.id, owner, at).await
                    }
                    Err(e) => {
                        let attempts = row.attempts + 1;
                        let retry_at = match &e {
                            MailError::Transient(_) if attempts < mailer.max_attempts => {
                                Some(at + retry_delay(mailer.backoff, attempts))
                            }
                            _ => None,
                        };
                        tracing::warn!(outbox = %m.id, attempts, dead = retry_at.is_none(), error = %e, "e-mail not sent");
                        self.store
                            .outbox_failed(&m.id, owner, at, &e.to_string(), retry_at)
                            .await
                    }
                };
                if let Err(e) = recorded {
                    tracing::warn!(outbox = %m.id, error = %e, "could not record the delivery");
                }
            }
        }
    }

    /// Runs timers and the dispatcher every `every` until `shutdown` turns true.
    pub async fn run_background(
        &self,
        mailer: Mailer,
        every: StdDuration,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        let owner = format!("{}-{}", hostname(), uuid::Uuid::new_v4().simple());
        tracing::info!(%owner, transport = %mailer.transport.describe(), "background work started");
        let mut last_purge: Option<std::time::Instant> = None;
        loop {
            let days = self.settings.retention_days;
            if days > 0 && last_purge.is_none_or(|t| t.elapsed() >= StdDuration::from_secs(3600)) {
                last_purge = Some(std::time::Instant::now());
                if let Err(e) = self.purge_personal_data(days).await {
                    tracing::warn!(error = %e, "retention round failed");
                }
            }
            if let Err(e) = self.run_schedules_once(&owner).await {
                tracing::warn!(error = %e, "schedules round failed");
            }
            if let Err(e) = self.fire_timers_once(&owner).await {
                tracing::warn!(error = %e, "timers round failed");
            }
            if let Err(e) = self.dispatch_once(&mailer, &owner).await {
                tracing::warn!(error = %e, "outbox round failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                tracing::info!("background work stopped");
                return;
            }
        }
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "naxian".into())
}

/// How long a failed e-mail waits after its `attempts`-th try: the backoff,
/// doubling with each try, never more than an hour.
fn retry_delay(backoff: Duration, attempts: i32) -> Duration {
    let factor = 1i32 << (attempts - 1).clamp(0, 16);
    (backoff * factor).min(Duration::hours(1))
}

impl Engine {
    /// The outbox for an operator, newest first (`status`: pending, sent, dead).
    pub async fn outbox_list(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<naxian_store::OutboxRecord>> {
        Ok(self.store.outbox_list(status, limit).await?)
    }

    /// Sends a dead e-mail again; false when there is no dead e-mail of that id.
    pub async fn outbox_retry(&self, id: &str) -> Result<bool> {
        Ok(self.store.outbox_retry(id, self.clock.now()).await?)
    }
}

#[cfg(test)]
mod retry_tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_an_hour() {
        let b = Duration::seconds(30);
        let delays: Vec<i64> = (1..=10).map(|n| retry_delay(b, n).num_seconds()).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(retry_delay(b, 0), b, "never less than the backoff");
        assert_eq!(
            retry_delay(Duration::seconds(1), 1000),
            Duration::hours(1),
            "no overflow"
        );
    }
}
