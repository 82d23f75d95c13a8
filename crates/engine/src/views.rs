//! What one person is shown of the work, for pages: a task with its instance
//! and what the viewer may do with it, their own instances, the units they
//! may start a workflow for, and where a board opens. Each "may" is the rule
//! the action itself checks, so a page offers exactly what would be allowed.

use crate::directory_cache::Seen;
use crate::error::{EngineError, Result};
use crate::{Actor, Engine, InstanceView};
use naxian_model::directory::OrgUnit;
use naxian_model::{machine, Definition, Instance, OrgKind, Refusal, Status, Task, TaskStatus};
use naxian_store::{AttachmentRecord, InstanceFilter};
use std::sync::Arc;

/// What the viewer of a task may do on its page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct May {
    /// Act on this task (its actions are offered).
    pub act: bool,
    /// Urge (催办) the instance's open tasks.
    pub urge: bool,
    /// Withdraw (撤回) the instance.
    pub withdraw: bool,
    /// Attach files to the instance.
    pub attach: bool,
}

/// One task as the API shows it.
pub struct TaskRead {
    pub task: Task,
    pub record: InstanceView,
    /// The name of the instance's unit.
    pub unit_name: String,
    /// The viewer may act on it (its actions are offered).
    pub may_act: bool,
}

/// An open task the viewer does not hold, with the unit that holds it.
pub struct Pending {
    pub task: Task,
    pub holder: String,
}

/// A task's page: the task, its instance as the viewer may read it, and what
/// the viewer may do.
pub struct TaskPage {
    pub task: Task,
    pub record: InstanceView,
    /// The name of the instance's unit.
    pub unit_name: String,
    pub pending: Vec<Pending>,
    pub attachments: Vec<AttachmentRecord>,
    pub may: May,
    /// What the people acting should weigh (a post with no free seat).
    pub warnings: Vec<crate::seats::SeatWarning>,
    /// What each submission sent, oldest first.
    pub versions: Vec<crate::versions::DataVersion>,
    /// Whom the viewer may transfer (转交) the task to, as (login, name);
    /// empty when they may not transfer it.
    pub transfer_to: Vec<(String, String)>,
    /// Whom the viewer may add as a signer (加签), as (login, name); empty
    /// when they may not add one.
    pub add_signer_to: Vec<(String, String)>,
    /// The people the history names (who acted, to whom a task went), by login.
    pub names: std::collections::HashMap<String, String>,
}

/// One instance the viewer started, with the task a link should open.
pub struct OwnInstance {
    pub instance: Instance,
    pub definition: Arc<Definition>,
    /// The title of the step or end it is at.
    pub at: String,
    /// The name of its unit.
    pub unit_name: String,
    /// Its newest open task, else its newest task.
    pub task_id: Option<String>,
}

impl Engine {
    /// A unit by its code.
    pub async fn unit(&self, code: &str) -> Result<OrgUnit> {
        self.store.org_unit(code).await?.ok_or_else(|| {
            EngineError::NotFound(Refusal::NoOrgUnit {
                code: code.to_string(),
            })
        })
    }

    /// A unit's name, or its code when it is gone.
    pub async fn unit_name(&self, code: &str) -> Result<String> {
        Ok(self
            .store
            .org_unit(code)
            .await?
            .map(|u| u.name)
            .unwrap_or_else(|| code.to_string()))
    }

    /// A task and the definition it runs on, for reading what its actions
    /// take; only for someone who may see its instance.
    pub async fn task_form(&self, actor: &Actor, task_id: &str) -> Result<(Task, Arc<Definition>)> {
        let (task, view) = self.task_instance(actor, task_id, None).await?;
        Ok((task, view.definition))
    }

    /// A task as its instance holds it, with the instance as the viewer may
    /// see it (read into the access log as `how`, when given).
    async fn task_instance(
        &self,
        actor: &Actor,
        task_id: &str,
        how: Option<&str>,
    ) -> Result<(Task, InstanceView)> {
        let task = self.store.task(task_id).await?.ok_or_else(|| no_task(task_id))?;
        let record = match how {
            Some(how) => self.read_record(actor, &task.instance_id, how).await?,
            None => self.instance_view(actor, &task.instance_id).await?,
        };
        let task = record
            .tasks
            .iter()
            .find(|t| t.id == task_id)
            .cloned()
            .ok_or_else(|| no_task(task_id))?;
        Ok((task, record))
    }

    /// One task for the API: the task, its instance as the viewer may read
    /// it, its unit's name, and whether the viewer may act on it; the read
    /// goes to the access log.
    pub async fn task_read(&self, actor: &Actor, task_id: &str) -> Result<TaskRead> {
        let (task, record) = self.task_instance(actor, task_id, Some("api")).await?;
        Ok(TaskRead {
            unit_name: self.unit_name(&record.instance.org_unit).await?,
            may_act: self.may_act(actor, &task, &record.instance).await?,
            task,
            record,
        })
    }

    /// A task's page for `actor`; the read goes to the access log.
    pub async fn task_page(&self, actor: &Actor, task_id: &str) -> Result<TaskPage> {
        let (task, record) = self.task_instance(actor, task_id, Some("page")).await?;
        let inst = &record.instance;
        let active = inst.status == Status::Active;
        let may = May {
            act: self.may_act(actor, &task, inst).await?,
            urge: active && crate::campaigns::may_urge(actor, inst),
            withdraw: active && machine::withdrawal(&record.definition, inst, &actor.login).is_ok(),
            attach: crate::attachments::may_attach(actor, &record),
        };
        let mut pending = Vec::new();
        for t in record
            .tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Open && !actor.holds_task(t))
        {
            pending.push(Pending {
                holder: self.unit_name(&t.assignee.unit).await?,
                task: t.clone(),
            });
        }
        let transfer_to = if may.act && active {
            self.transfer_candidates(actor, &task, &record).await?
        } else {
            Vec::new()
        };
        let add_signer_to = if may.act && active {
            self.signer_candidates(actor, &task, &record).await?
        } else {
            Vec::new()
        };
        let mut named: Vec<&str> = Vec::new();
        for h in &record.history {
            named.push(&h.actor);
            named.extend(h.on_behalf_of.as_deref());
            match h.action.as_str() {
                machine::TRANSFER => named.extend(h.note.as_deref()),
                machine::ADD_SIGNER => {
                    named.extend(h.note.as_deref().and_then(|n| n.split_once('|')).map(|(_, l)| l))
                }
                _ => {}
            }
        }
        let attachments = self.store.attachments(&inst.id).await?;
        named.extend(attachments.iter().map(|a| a.uploaded_by.as_str()));
        let names = self.names_of(&named).await?;
        Ok(TaskPage {
            add_signer_to,
            names,
            transfer_to,
            warnings: self.instance_warnings(&record).await?,
            versions: self.versions_of(&record.history, &inst.id).await?,
            unit_name: self.unit_name(&inst.org_unit).await?,
            attachments,
            pending,
            may,
            task,
            record,
        })
    }

    /// The names of the users with these logins; a login no user has any
    /// more (or the service's own) is left out.
    pub async fn names_of(&self, logins: &[&str]) -> Result<std::collections::HashMap<String, String>> {
        let mut out = std::collections::HashMap::new();
        for &login in logins {
            if !out.contains_key(login) {
                if let Some(u) = self.user_seen(Seen::Now, login).await? {
                    out.insert(u.login, u.name);
                }
            }
        }
        Ok(out)
    }

    /// Whether `actor` may act on `task`: it is open in the current step and
    /// theirs, or theirs to act on as a delegate (代理) — the rule `act` checks.
    async fn may_act(&self, actor: &Actor, task: &Task, inst: &Instance) -> Result<bool> {
        if task.status != TaskStatus::Open || task.step != inst.step {
            return Ok(false);
        }
        if actor.holds_task(task) {
            return Ok(true);
        }
        Ok(matches!(self.principal_for(actor, task, inst).await, Ok(Some(_))))
    }

    /// Whom `actor` may hand `task` to (转交), by name: those who could hold
    /// it (the rule the transfer itself checks), never the instance's
    /// creator, the actor or whom it is assigned to already.
    async fn transfer_candidates(
        &self,
        actor: &Actor,
        task: &Task,
        record: &InstanceView,
    ) -> Result<Vec<(String, String)>> {
        let inst = &record.instance;
        let allowed = record
            .definition
            .step(&task.step)
            .is_some_and(|s| s.allows_transfer())
            && machine::AddedSigner::of_key(&task.assignee.key).is_none();
        let Some(role) = task
            .assignee
            .role
            .as_ref()
            .filter(|_| allowed && task.status == TaskStatus::Open)
        else {
            return Ok(Vec::new());
        };
        let Some(org) = self.org_context_seen(Seen::Now, &inst.org_path).await? else {
            return Ok(Vec::new());
        };
        let mut logins: Vec<&str> = org
            .holders(role, &task.assignee.unit_path)
            .into_iter()
            .filter(|l| *l != inst.creator && *l != actor.login && task.assignee.user.as_deref() != Some(*l))
            .collect();
        logins.sort_unstable();
        logins.dedup();
        let mut out = Vec::with_capacity(logins.len());
        for login in logins {
            if let Some(u) = self.user_seen(Seen::Now, login).await? {
                out.push((u.login, u.name));
            }
        }
        Ok(out)
    }

    /// Whom `actor` may add as a signer (加签) to `task`, by name: the people
    /// of the instance's units and their departments, never its creator, the
    /// actor or one who has a task of the step already.
    async fn signer_candidates(
        &self,
        actor: &Actor,
        task: &Task,
        record: &InstanceView,
    ) -> Result<Vec<(String, String)>> {
        let inst = &record.instance;
        let allowed = record
            .definition
            .step(&task.step)
            .is_some_and(|s| s.allows_add_signer());
        if !allowed
            || task.status != TaskStatus::Open
            || machine::AddedSigner::of_key(&task.assignee.key).is_some()
        {
            return Ok(Vec::new());
        }
        let Some(org) = self.org_context_seen(Seen::Now, &inst.org_path).await? else {
            return Ok(Vec::new());
        };
        let busy: Vec<&str> = record
            .tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Open && t.step == task.step)
            .filter_map(|t| t.assignee.user.as_deref())
            .collect();
        let mut logins: Vec<&str> = org
            .holdings
            .iter()
            .map(|h| h.login.as_str())
            .filter(|l| *l != inst.creator && *l != actor.login && !busy.contains(l))
            .collect();
        logins.sort_unstable();
        logins.dedup();
        let mut out = Vec::with_capacity(logins.len());
        for login in logins {
            if let Some(u) = self.user_seen(Seen::Now, login).await? {
                out.push((u.login, u.name));
            }
        }
        Ok(out)
    }

    /// The instances of `workflow` that `actor` started, newest first.
    pub async fn own_instances(&self, actor: &Actor, workflow: &str) -> Result<Vec<OwnInstance>> {
        let list = self
            .store
            .list_instances(&InstanceFilter {
                workflow: Some(workflow.to_string()),
                visible_to: Some(actor.login.clone()),
                limit: 200,
                ..Default::default()
            })
            .await?;
        let mut out = Vec::new();
        // A nominator's instances are of a few units: each name read once.
        let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for instance in list.into_iter().filter(|i| i.creator == actor.login) {
            let definition = self.definition(&instance.workflow, instance.version).await?;
            let at = definition
                .step(&instance.step)
                .and_then(|st| st.title.clone())
                .or_else(|| definition.end(&instance.step).and_then(|e| e.title.clone()))
                .unwrap_or_else(|| instance.step.clone());
            let tasks = self.store.tasks_of(&instance.id).await?;
            let task_id = tasks
                .iter()
                .rev()
                .find(|t| t.status == TaskStatus::Open)
                .or(tasks.last())
                .map(|t| t.id.clone());
            let unit_name = match names.get(&instance.org_unit) {
                Some(name) => name.clone(),
                None => {
                    let name = self.unit_name(&instance.org_unit).await?;
                    names.insert(instance.org_unit.clone(), name.clone());
                    name
                }
            };
            out.push(OwnInstance {
                unit_name,
                instance,
                definition,
                at,
                task_id,
            });
        }
        Ok(out)
    }

    /// The workflows `actor` may start by hand (发起), newest versions, by
    /// title: those whose starting role they hold somewhere.
    pub async fn startable(&self, actor: &Actor) -> Result<Vec<Arc<Definition>>> {
        let mut out = Vec::new();
        for w in self.workflows().await? {
            let def = self.definition(&w.name, w.version).await?;
            let holds = actor.grants.iter().any(|g| g.role == def.started_by.as_str());
            if def.started_by_hand() && holds {
                out.push(def);
            }
        }
        out.sort_by(|a, b| a.title.cmp(&b.title));
        Ok(out)
    }

    /// The units `actor` may start `def` for: under the grants of the role
    /// that starts it, of the kinds its unit field takes, in directory order.
    pub async fn start_units(&self, actor: &Actor, def: &Definition) -> Result<Vec<OrgUnit>> {
        let role: naxian_model::Role = def.started_by.parse().map_err(EngineError::Internal)?;
        let kinds = def
            .fields
            .get(def.org_field.as_str())
            .map(|f| f.kinds.clone())
            .unwrap_or_default();
        let mut units: Vec<OrgUnit> = Vec::new();
        for g in actor.grants.iter().filter(|g| g.role == role) {
            for u in self.store.units_under(&g.org_path).await? {
                if kinds.contains(&u.kind) && !units.iter().any(|x| x.code == u.code) {
                    units.push(u);
                }
            }
        }
        Ok(units)
    }

    /// The unit a board or list opens at, by code: the one asked for, else
    /// the highest unit the actor's grants reach, else (for a global
    /// administrator) the province. Whether the actor may see it is the
    /// board's own check.
    pub async fn board_root(&self, actor: &Actor, under: Option<String>) -> Result<String> {
        if let Some(code) = under.or_else(|| {
            actor
                .grants
                .iter()
                .min_by_key(|g| g.org_path.len())
                .map(|g| g.org_unit.clone())
        }) {
            return Ok(code);
        }
        self.store
            .units_of_kind(OrgKind::Province)
            .await?
            .into_iter()
            .next()
            .map(|p| p.code)
            .ok_or(EngineError::NotFound(Refusal::NoUnitToShow))
    }
}

fn no_task(id: &str) -> EngineError {
    EngineError::NotFound(Refusal::NoTask { id: id.to_string() })
}
