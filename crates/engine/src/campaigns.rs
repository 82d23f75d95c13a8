//! Deadline campaigns and urging: the province sets one task with a common
//! deadline for a list of units and follows who is done, late or silent; the
//! creator of an instance may urge (催办) the holders of an open task, once a day.

use crate::auth::Actor;
use crate::directory_cache::Seen;
use crate::error::{EngineError, Result};
use crate::notify::{due_text, step_title, Subject};
use crate::{Engine, StartRequest};
use chrono::{DateTime, Utc};
use naxian_model::calendar::Span;
use naxian_model::directory::OrgUnit;
use naxian_model::Capability;
use naxian_model::{Counted, Problem, Refusal, Status, TaskStatus};
use naxian_store::{AttachmentRecord, CampaignRecord};
use serde_json::{json, Value};
use std::collections::HashMap;

pub struct NewCampaign {
    /// A workflow with `campaign: true`; by default the deadline campaign.
    pub workflow: Option<String>,
    pub title: String,
    pub due_at: String,
    pub targets: Vec<String>,
    pub remind_before: Vec<String>,
    /// More of the workflow's fields for every target (普查基准日, say).
    pub data: Value,
}

/// Whether a campaign fills in this field itself on each target's instance.
pub(crate) fn set_by_campaign(field: &str) -> bool {
    naxian_model::definition::CAMPAIGN_FIELDS
        .iter()
        .any(|(f, _)| *f == field)
}

/// One target of a campaign and where it stands.
/// The states of a campaign's target (`TargetStatus::status`).
pub const TARGET_STATES: &[&str] = &["open", "done", "late"];

pub struct TargetStatus {
    pub org_unit: String,
    pub name: String,
    /// One of [`TARGET_STATES`]: `open` (not done, not yet due), `done`, or
    /// `late` (past due and not done).
    pub status: &'static str,
    pub instance_id: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Done after the deadline.
    pub done_late: bool,
    /// Someone other than the campaign's creator has opened the task.
    pub opened: bool,
    /// The files attached to the target's task (on a campaign's page only).
    pub files: Vec<AttachmentRecord>,
    /// The city the target lies in (code, name), if any.
    pub city: Option<(String, String)>,
    /// The task's data as it stands (null before it has an instance).
    pub data: Value,
}

impl TargetStatus {
    /// Not done, and nobody but the campaign's creator has opened it (未响应).
    pub fn silent(&self) -> bool {
        self.status != "done" && !self.opened
    }
}

pub struct CampaignView {
    pub record: CampaignRecord,
    pub targets: Vec<TargetStatus>,
}

/// A campaign as its list shows it: how many targets are done, late and silent.
pub struct CampaignSummary {
    pub record: CampaignRecord,
    pub targets: usize,
    pub done: usize,
    /// Past due and not done.
    pub late: usize,
    /// Not done and not opened by anyone but the creator (see [`TargetStatus::silent`]).
    pub silent: usize,
}

/// Every campaign task, who read it, and the units: what targets are read against.
struct Progress {
    /// The task of each (campaign, target unit).
    instances: HashMap<(String, String), naxian_model::Instance>,
    /// Who has read each instance.
    readers: HashMap<String, Vec<String>>,
    units: HashMap<String, OrgUnit>,
}

impl Progress {
    /// An administrator, the campaign's creator, or one whose grant covers
    /// one of its targets may follow a campaign.
    fn may_follow(&self, actor: &Actor, record: &CampaignRecord) -> bool {
        actor.is_admin
            || record.created_by == actor.login
            || record
                .targets
                .iter()
                .filter_map(|c| self.units.get(c))
                .any(|u| actor.covers(&u.path))
    }

    fn targets(&self, record: &CampaignRecord, now: DateTime<Utc>) -> Vec<TargetStatus> {
        record
            .targets
            .iter()
            .filter_map(|code| self.units.get(code))
            .map(|unit| {
                let inst = self.instances.get(&(record.id.clone(), unit.code.clone()));
                let completed_at = match inst {
                    Some(i) if i.status == Status::Completed => Some(i.updated_at),
                    _ => None,
                };
                let status = match completed_at {
                    Some(_) => "done",
                    None if now > record.due_at => "late",
                    None => "open",
                };
                let opened = inst
                    .and_then(|i| self.readers.get(&i.id))
                    .is_some_and(|r| r.iter().any(|l| *l != record.created_by));
                TargetStatus {
                    org_unit: unit.code.clone(),
                    name: unit.name.clone(),
                    status,
                    instance_id: inst.map(|i| i.id.clone()),
                    done_late: completed_at.is_some_and(|c| c > record.due_at),
                    completed_at,
                    opened: opened || completed_at.is_some(),
                    files: Vec::new(),
                    city: unit
                        .path
                        .split('/')
                        .filter_map(|c| self.units.get(c))
                        .find(|u| u.kind == naxian_model::OrgKind::City)
                        .map(|u| (u.code.clone(), u.name.clone())),
                    data: inst.map(|i| i.data.clone()).unwrap_or(Value::Null),
                }
            })
            .collect()
    }
}

/// Whether `actor` may urge (催办) the open tasks of `inst`: its creator, a
/// role over its unit that opens campaigns (a supervisor), or an administrator.
pub fn may_urge(actor: &Actor, inst: &naxian_model::Instance) -> bool {
    inst.creator == actor.login || actor.may(Capability::Campaigns, &inst.org_path)
}

/// Whether `actor` may address a campaign to `unit`.
fn may_target(actor: &Actor, unit: &OrgUnit) -> bool {
    actor.may(Capability::Campaigns, &unit.path)
}

impl Engine {
    /// The units `actor` may address a campaign to, of the kinds the campaign
    /// workflow targets, in directory order: the choices of the web form.
    pub async fn campaign_targets(&self, actor: &Actor, workflow: Option<&str>) -> Result<Vec<OrgUnit>> {
        let def = self.campaign_workflow(workflow).await?;
        let kinds = def
            .fields
            .get("target")
            .map(|f| f.kinds.clone())
            .unwrap_or_default();
        // A global administrator may address any unit; others look under their grants.
        let roots: Vec<&str> = if actor.is_admin {
            vec![""]
        } else {
            actor
                .grants_for(Capability::Campaigns)
                .map(|g| g.org_path.as_str())
                .collect()
        };
        let mut out: Vec<OrgUnit> = Vec::new();
        for root in roots {
            for u in self.store.units_under(root).await? {
                if kinds.contains(&u.kind) && may_target(actor, &u) && !out.iter().any(|o| o.code == u.code) {
                    out.push(u);
                }
            }
        }
        Ok(out)
    }

    pub async fn create_campaign(&self, actor: &Actor, req: NewCampaign) -> Result<CampaignView> {
        let title = req.title.trim().to_string();
        if title.is_empty() {
            return Err(EngineError::invalid("title", Problem::Required));
        }
        if title.chars().count() > 200 {
            return Err(EngineError::invalid("title", Problem::TooLong { max: 200 }));
        }
        if title.chars().any(char::is_control) {
            return Err(EngineError::invalid("title", Problem::NotOneLine));
        }
        let due_at = DateTime::parse_from_rfc3339(req.due_at.trim())
            .map_err(|_| EngineError::invalid("due_at", Problem::NotTime))?
            .with_timezone(&Utc);
        if due_at <= self.clock.now() {
            return Err(EngineError::invalid("due_at", Problem::NotFuture));
        }
        if req.targets.is_empty() {
            return Err(EngineError::invalid(
                "targets",
                Problem::NoneChosen {
                    what: Counted::OrgUnits,
                },
            ));
        }
        if req.targets.len() > 1000 {
            return Err(EngineError::invalid(
                "targets",
                Problem::TooMany {
                    max: 1000,
                    what: Counted::OrgUnits,
                },
            ));
        }
        if req.remind_before.len() > 10 {
            return Err(EngineError::invalid(
                "remind_before",
                Problem::TooMany {
                    max: 10,
                    what: Counted::Durations,
                },
            ));
        }
        for (i, r) in req.remind_before.iter().enumerate() {
            Span::parse(r).map_err(|_| {
                EngineError::invalid(
                    format!("remind_before[{i}]"),
                    Problem::NotDuration { text: r.clone() },
                )
            })?;
        }
        let def = self.campaign_workflow(req.workflow.as_deref()).await?;
        let Some(extra) = req.data.as_object() else {
            return Err(EngineError::invalid("data", Problem::NotObject));
        };
        if let Some(k) = extra.keys().find(|k| set_by_campaign(k)) {
            return Err(EngineError::invalid(
                format!("data.{k}"),
                Problem::Reserved { name: k.clone() },
            ));
        }
        let kinds = def
            .fields
            .get("target")
            .map(|f| f.kinds.clone())
            .unwrap_or_default();
        let mut units = Vec::new();
        for (i, code) in req.targets.iter().enumerate() {
            let field = format!("targets[{i}]");
            if req.targets[..i].contains(code) {
                return Err(EngineError::invalid(
                    field,
                    Problem::ListedTwice { value: code.clone() },
                ));
            }
            let unit = self
                .store
                .org_unit(code)
                .await?
                .ok_or_else(|| EngineError::invalid(&field, Problem::NoOrgUnit { code: code.clone() }))?;
            if !kinds.contains(&unit.kind) {
                return Err(EngineError::invalid(
                    &field,
                    Problem::NotCampaignTarget {
                        kind: unit.kind.to_string(),
                    },
                ));
            }
            if !may_target(actor, &unit) {
                return Err(EngineError::Forbidden(Refusal::OutsideSupervision {
                    code: code.clone(),
                }));
            }
            units.push(unit);
        }
        let id = uuid::Uuid::now_v7().to_string();
        let data_for = |unit: &str| {
            let mut data = req.data.clone();
            naxian_model::fields::merge(
                &mut data,
                &json!({
                    "campaign": id, "title": title, "target": unit,
                    "due_at": due_at.to_rfc3339(), "remind_before": req.remind_before,
                }),
            );
            data
        };
        // The first target's data is checked before anything is written, so
        // a bad field refuses the whole campaign.
        if let Some(first) = units.first() {
            naxian_model::machine::prepare_data(&def, &data_for(&first.code), self.clock.now())?;
        }
        let record = CampaignRecord {
            id: id.clone(),
            workflow: def.name.to_string(),
            title: title.clone(),
            due_at,
            remind_before: req.remind_before.clone(),
            targets: req.targets.clone(),
            data: req.data.clone(),
            created_by: actor.login.clone(),
            created_at: self.clock.now(),
        };
        self.store.create_campaign(&record).await?;
        // Every target was checked above; each start is keyed, so a retry cannot double one.
        // One who holds the campaign workflow's starting role over every target
        // starts the tasks as themselves; anyone else allowed to open the
        // campaign (a global administrator, a role the catalogue lets open
        // campaigns) has the service start them.
        let starts_as_self = match def.started_by.parse::<naxian_model::Role>() {
            Ok(role) => units.iter().all(|u| actor.holds(&role, &u.path)),
            Err(_) => false,
        };
        for unit in &units {
            let data = data_for(&unit.code);
            let key = format!("campaign:{}:{}", record.id, unit.code);
            if starts_as_self {
                let start = StartRequest {
                    workflow: def.name.to_string(),
                    data,
                };
                self.start_keyed(actor, start, Some(key)).await?;
            } else {
                self.start_as_system(&def, data, key).await?;
            }
        }
        self.campaign_view(actor, &record.id).await
    }

    pub async fn campaign_view(&self, actor: &Actor, id: &str) -> Result<CampaignView> {
        let record = self
            .store
            .campaign(id)
            .await?
            .ok_or_else(|| EngineError::NotFound(Refusal::NoCampaign { id: id.to_string() }))?;
        let progress = self.campaign_progress().await?;
        if !progress.may_follow(actor, &record) {
            return Err(EngineError::Forbidden(Refusal::CampaignHidden));
        }
        let mut targets = progress.targets(&record, self.clock.now());
        let files = self.store.attachments_of_workflow(&record.workflow).await?;
        for t in &mut targets {
            if let Some(inst) = &t.instance_id {
                t.files = files.iter().filter(|f| &f.instance_id == inst).cloned().collect();
            }
        }
        Ok(CampaignView { record, targets })
    }

    /// The campaigns `actor` may follow, newest first, each with its counts.
    pub async fn campaigns(&self, actor: &Actor) -> Result<Vec<CampaignSummary>> {
        let progress = self.campaign_progress().await?;
        let now = self.clock.now();
        Ok(self
            .store
            .campaigns()
            .await?
            .into_iter()
            .filter(|r| progress.may_follow(actor, r))
            .map(|record| {
                let targets = progress.targets(&record, now);
                let count = |f: &dyn Fn(&TargetStatus) -> bool| targets.iter().filter(|t| f(t)).count();
                CampaignSummary {
                    targets: targets.len(),
                    done: count(&|t| t.status == "done"),
                    late: count(&|t| t.status == "late"),
                    silent: count(&|t| t.silent()),
                    record,
                }
            })
            .collect())
    }

    /// What every campaign's targets are read against: two queries per
    /// campaign workflow and one for the units.
    async fn campaign_progress(&self) -> Result<Progress> {
        let mut instances = HashMap::new();
        let mut readers: HashMap<String, Vec<String>> = HashMap::new();
        for def in self.campaign_workflows().await? {
            let workflow = def.name.as_str();
            for i in self.store.instances_under(workflow, "").await? {
                if let Some(c) = naxian_model::fields::get_str(&i.data, "campaign") {
                    instances.insert((c.to_string(), i.org_unit.clone()), i);
                }
            }
            for (inst, login) in self.store.readers_of(workflow).await? {
                readers.entry(inst).or_default().push(login);
            }
        }
        let units = self
            .store
            .units_under("")
            .await?
            .into_iter()
            .map(|u| (u.code.clone(), u))
            .collect();
        Ok(Progress {
            instances,
            readers,
            units,
        })
    }

    /// 催办: e-mails the holders of an open task; at most once per task and day.
    pub async fn urge(&self, actor: &Actor, task_id: &str, comment: Option<String>) -> Result<usize> {
        let task = self.store.task(task_id).await?.ok_or_else(|| {
            EngineError::NotFound(Refusal::NoTask {
                id: task_id.to_string(),
            })
        })?;
        let rec = self.store.instance(&task.instance_id).await?.ok_or_else(|| {
            EngineError::NotFound(Refusal::NoInstance {
                id: task.instance_id.clone(),
            })
        })?;
        let inst = &rec.instance;
        if !may_urge(actor, inst) {
            return Err(EngineError::Forbidden(Refusal::UrgeNotYours));
        }
        if task.status != TaskStatus::Open {
            return Err(EngineError::Conflict(Refusal::TaskDone));
        }
        if comment.as_ref().is_some_and(|c| c.chars().count() > 500) {
            return Err(EngineError::invalid("comment", Problem::TooLong { max: 500 }));
        }
        let def = self.definition(&inst.workflow, inst.version).await?;
        let unit = self
            .store
            .org_unit(&inst.org_unit)
            .await?
            .map(|u| u.name)
            .unwrap_or_default();
        let subject = Subject::new(&def, inst, &unit);
        let users = self.recipients_of(Seen::Now, &task.assignee).await?;
        let day = self.clock.today();
        let by = match comment.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => format!("{}（{c}）", actor.name),
            None => actor.name.clone(),
        };
        let params = json!({
            "title": format!("{}：{}", subject.workflow_title, step_title(&def, &task.step)),
            "subject": subject.text,
            "due_at": due_text(task.due_at),
            "by": by,
            "instance_id": inst.id,
            "task_id": task.id,
            "workflow": def.name.as_str(),
        });
        let mail = self.messages(&format!("urge:{}:{day}", task.id), &users, "urge", params);
        if !self
            .store
            .urge(&task.id, day, &actor.login, self.clock.now(), &mail)
            .await?
        {
            return Err(EngineError::TooMany(Refusal::UrgedToday));
        }
        Ok(mail.len())
    }
}
