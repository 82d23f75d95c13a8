//! Running workflow schedules: each round plans every schedule against its
//! last recorded slot, records skipped slots with their reason, claims the slot
//! to fire under a lease (one replica wins), runs its job and completes the slot
//! together with the e-mails the job queues.

use crate::directory_cache::Seen;
use crate::error::{EngineError, Result};
use crate::notify::{due_text, step_title, Subject};
use crate::Engine;
use chrono::{DateTime, Utc};
use naxian_model::definition::ScheduleDef;
use naxian_model::directory::OrgKind;
use naxian_model::fields::get_str;
use naxian_model::schedule::{CatchUp, Schedule};
use naxian_model::{Definition, Refusal, Status};
use naxian_store::{OutboxMessage, StoreError, UserRecord};
use serde_json::json;
use std::sync::Arc;

const LEASE_MS: i64 = 10 * 60_000;

/// The name of the daily digest's schedule.
pub const DIGEST: &str = "system.digest";

/// A workflow's schedule: the definition it belongs to and what it does.
type WorkflowJob = (Arc<Definition>, ScheduleDef);

/// A schedule with its next firing, for `naxian schedule list`.
pub struct ScheduleInfo {
    pub name: String,
    pub cron: String,
    pub timezone: String,
    pub job: String,
    pub next: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

impl Engine {
    async fn schedules(&self) -> Result<Vec<(Arc<Definition>, Schedule, ScheduleDef)>> {
        let mut out = Vec::new();
        for wf in self.workflows().await? {
            let def = self.definition(&wf.name, wf.version).await?;
            for (sched, sdef) in def.parsed_schedules() {
                let sdef = sdef.clone();
                out.push((def.clone(), sched, sdef));
            }
        }
        Ok(out)
    }

    pub async fn schedule_list(&self) -> Result<Vec<ScheduleInfo>> {
        let now = self.clock.now();
        let mut out = Vec::new();
        for (_, s, d) in self.schedules().await? {
            out.push(ScheduleInfo {
                last: self.store.last_slot(&s.name).await?,
                next: s.next(now),
                name: s.name,
                cron: d.cron.to_string(),
                timezone: d.timezone.clone(),
                job: d.job.to_string(),
            });
        }
        let digest = self.digest_schedule()?;
        out.push(ScheduleInfo {
            last: self.store.last_slot(DIGEST).await?,
            next: digest.next(now),
            name: DIGEST.into(),
            cron: self.settings.digest_cron.clone(),
            timezone: "Asia/Shanghai".into(),
            job: "digest".into(),
        });
        Ok(out)
    }

    /// The service's own schedule: the daily digest of open tasks.
    fn digest_schedule(&self) -> Result<Schedule> {
        Schedule::new(DIGEST, &self.settings.digest_cron, "Asia/Shanghai", CatchUp::Skip)
            .map_err(|detail| EngineError::invalid("digest_cron", naxian_model::Problem::NotCron { detail }))
    }

    /// Fires what is due on every schedule; returns how many slots fired.
    pub async fn run_schedules_once(&self, owner: &str) -> Result<usize> {
        let mut jobs: Vec<(Schedule, Option<WorkflowJob>)> = self
            .schedules()
            .await?
            .into_iter()
            .map(|(def, sched, sdef)| (sched, Some((def, sdef))))
            .collect();
        jobs.push((self.digest_schedule()?, None));
        let mut fired = 0;
        for (sched, job) in jobs {
            let now = self.clock.now();
            let last = self.store.last_slot(&sched.name).await?;
            let plan = sched.plan(last, now);
            if !plan.skip.is_empty() {
                for (slot, why) in &plan.skip {
                    tracing::warn!(schedule = %sched.name, %slot, "slot skipped: {why}");
                }
                self.store.skip_slots(&sched.name, &plan.skip).await?;
            }
            let Some(slot) = plan.fire else { continue };
            if !self.store.claim_slot(&sched.name, slot, owner, LEASE_MS).await? {
                continue;
            }
            let (note, mail) = match &job {
                Some((def, sdef)) => self.run_job(def, &sched, sdef, slot).await?,
                None => self.digest(&sched, slot).await?,
            };
            match self
                .store
                .complete_slot(&sched.name, slot, owner, self.clock.now(), &note, &mail)
                .await
            {
                Ok(()) => {
                    tracing::info!(schedule = %sched.name, %slot, "{note}");
                    fired += 1;
                }
                Err(StoreError::Conflict(m)) => tracing::warn!(schedule = %sched.name, "{m}"),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(fired)
    }

    async fn run_job(
        &self,
        def: &Arc<Definition>,
        sched: &Schedule,
        sdef: &ScheduleDef,
        slot: DateTime<Utc>,
    ) -> Result<(String, Vec<OutboxMessage>)> {
        let period = sdef
            .period
            .month(slot.with_timezone(&sched.timezone).date_naive());
        let key = format!("{}:{}", sched.name, slot.timestamp());
        match sdef.job.as_str() {
            "open_for_each" => {
                let kind = sdef.for_each.unwrap_or(OrgKind::City);
                let mut opened = 0;
                let mut unheld = Vec::new();
                let units = self.store.units_of_kind(kind).await?;
                for unit in &units {
                    let mut data = json!({ "month": period });
                    naxian_model::fields::set_path(&mut data, def.org_field.as_str(), json!(unit.code));
                    if sdef.prefill.as_deref() == Some("appointment_figures") {
                        data["figures"] = self.appointment_figures(unit, &period).await?;
                    }
                    // Keyed by the month the slot falls in, whatever month the
                    // report is about: one report per unit per slot, also across
                    // a change of `period`.
                    let unique = format!(
                        "{}:{}:{}",
                        def.name.as_str(),
                        unit.code,
                        crate::reports::month_of(slot)
                    );
                    match self.start_as_system(def, data, unique).await {
                        Ok(Some(_)) => opened += 1,
                        Ok(None) => {}
                        // One unit the directory lacks a holder for must not keep
                        // the others' from opening; the run's result names it.
                        Err(EngineError::NotAllowed(r @ Refusal::NoHolder { .. })) => {
                            tracing::warn!(schedule = %sched.name, unit = %unit.code, "{r}");
                            unheld.push(unit.code.clone());
                        }
                        Err(e) => return Err(e),
                    }
                }
                let mut result = format!("opened {opened} of {} for {period}", units.len());
                if !unheld.is_empty() {
                    result.push_str(&format!("; nobody to hold it at {}", unheld.join(", ")));
                }
                Ok((result, Vec::new()))
            }
            "remind_open" => {
                let step = sdef.step.as_deref().map(String::as_str).unwrap_or_default();
                let mut mail = Vec::new();
                let tasks = self.store.open_tasks_in(def.name.as_str(), step).await?;
                for row in &tasks {
                    let Some(rec) = self.store.instance(&row.task.instance_id).await? else {
                        continue;
                    };
                    let unit = self
                        .store
                        .org_unit(&rec.instance.org_unit)
                        .await?
                        .map(|u| u.name)
                        .unwrap_or_default();
                    let subject = Subject::new(def, &rec.instance, &unit);
                    let users = self.recipients_of(Seen::Now, &row.task.assignee).await?;
                    let params = json!({
                        "title": format!("{}：{}", subject.workflow_title, step_title(def, step)),
                        "subject": subject.text,
                        "due_at": due_text(row.task.due_at),
                        "instance_id": rec.instance.id,
                        "task_id": row.task.id,
                    });
                    mail.extend(self.messages(
                        &format!("{key}:{}", row.task.id),
                        &users,
                        &def.mail_template(step, true),
                        crate::notify::task_params(params, def, &rec.instance),
                    ));
                }
                Ok((
                    format!("reminded the holders of {} open tasks", tasks.len()),
                    mail,
                ))
            }
            "report_missed" => {
                let step = sdef.step.as_deref().map(String::as_str).unwrap_or_default();
                let mut late = Vec::new();
                for unit in self
                    .store
                    .units_of_kind(sdef.for_each.unwrap_or(OrgKind::City))
                    .await?
                {
                    let instances = self.store.instances_under(def.name.as_str(), &unit.path).await?;
                    let missed = instances.iter().any(|i| {
                        i.org_unit == unit.code
                            && i.status == Status::Active
                            && i.step == step
                            && get_str(&i.data, "month") == Some(period.as_str())
                    });
                    if missed {
                        late.push(unit.name.clone());
                    }
                }
                if late.is_empty() {
                    return Ok((format!("every report for {period} was submitted"), Vec::new()));
                }
                let users = self.notify_targets(sdef).await?;
                let params = json!({"month": period, "cities": late.join("\n"), "title": def.title, "workflow": def.name.as_str()});
                let mail = self.messages(&key, &users, "report_missed", params);
                Ok((
                    format!("{} late for {period}: {}", late.len(), late.join("、")),
                    mail,
                ))
            }
            other => Err(EngineError::Internal(format!("unknown job `{other}`"))),
        }
    }

    /// One e-mail per user who asked for it and has open tasks.
    async fn digest(&self, sched: &Schedule, slot: DateTime<Utc>) -> Result<(String, Vec<OutboxMessage>)> {
        let key = format!("{}:{}", sched.name, slot.timestamp());
        let mut mail = Vec::new();
        for user in self.store.digest_users().await? {
            let rows = self
                .store
                .inbox(&user.login, naxian_model::TaskStatus::Open, 200)
                .await?;
            if rows.is_empty() {
                continue;
            }
            let mut items = Vec::new();
            for row in &rows {
                let def = self.definition(&row.workflow, row.version).await?;
                let due = row
                    .task
                    .due_at
                    .map(|d| format!("，期限 {}", due_text(Some(d))))
                    .unwrap_or_default();
                let late = if row.task.due_at.is_some_and(|d| d < self.clock.now()) {
                    "【已逾期】"
                } else {
                    ""
                };
                items.push(format!(
                    "· {late}{}：{}{due}",
                    def.title,
                    step_title(&def, &row.task.step)
                ));
            }
            let params = json!({"count": rows.len().to_string(), "items": items.join("\n")});
            mail.extend(self.messages(&key, std::slice::from_ref(&user), "digest", params));
        }
        Ok((format!("{} digests", mail.len()), mail))
    }

    /// Who a schedule's `notify` names: the role's holders nearest to each unit of its level.
    async fn notify_targets(&self, sdef: &ScheduleDef) -> Result<Vec<UserRecord>> {
        let Some(spec) = &sdef.notify else {
            return Ok(Vec::new());
        };
        let role: naxian_model::Role = spec.role.parse().map_err(EngineError::Internal)?;
        let kind = match spec.unit {
            Some(naxian_model::directory::Level::Province) | None => OrgKind::Province,
            Some(naxian_model::directory::Level::City) => OrgKind::City,
            Some(naxian_model::directory::Level::County) => OrgKind::County,
            Some(naxian_model::directory::Level::Township) => OrgKind::Township,
            Some(naxian_model::directory::Level::Target) => OrgKind::Province,
        };
        let mut users: Vec<UserRecord> = Vec::new();
        for unit in self.store.units_of_kind(kind).await? {
            let a = naxian_model::Assignee {
                key: String::new(),
                role: Some(role.clone()),
                unit: unit.code.clone(),
                unit_path: unit.path.clone(),
                user: None,
            };
            for u in self.nearest_holders(Seen::Now, &a).await? {
                if !users.iter().any(|x| x.login == u.login) {
                    users.push(u);
                }
            }
        }
        Ok(users)
    }
}
