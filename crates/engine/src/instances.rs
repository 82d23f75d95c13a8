//! Instances and tasks: start, act, withdraw, and what a user may see. Each
//! command loads what the decision needs, lets the model decide, and applies
//! the decision in one version-checked transaction.

use crate::auth::Actor;
use crate::directory_cache::Seen;
use crate::error::{EngineError, Result};
use crate::Engine;
use naxian_model::audit::{verify_chain, BrokenLink, GENESIS};
use naxian_model::machine::{self, ActionInput, Command, Decision, SignerPosition};
use naxian_model::{Counted, Definition, Instance, Problem, Refusal, Task, TaskStatus};
use naxian_store::{
    Change, HistoryRecord, InboxRow, InstanceFilter, InstanceKey, InstanceRecord, InstanceState, StoreError,
};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// The most tasks one batch (批量) takes.
pub const BATCH_MAX: usize = 100;

/// Times a transition is decided again because the directory moved on
/// while it was being decided (an import of the directory moves it often).
const DIRECTORY_MOVES: usize = 3;

/// Times a transition is decided again because another transition of the
/// same instance was written first (the three consulted departments agree at
/// one moment: each of them acts on a task of its own, and only a decision
/// on the fresh state can tell whether they really conflict).
const INSTANCE_MOVES: usize = 8;

/// Who may give a command, checked on the instance as read.
#[derive(Debug, Clone, Copy)]
enum Check {
    /// The holder of the task acted on (of the role that starts a workflow).
    Holder,
    /// Anyone who may see the instance (the model checks the rest).
    Viewer,
    /// Checked already, or the service's own.
    Done,
}

pub struct StartRequest {
    pub workflow: String,
    pub data: Value,
}

/// An instance with its tasks, history and the definition it runs on.
pub struct InstanceView {
    pub instance: Instance,
    pub tasks: Vec<Task>,
    pub history: Vec<HistoryRecord>,
    pub definition: Arc<Definition>,
}

impl InstanceView {
    /// Whether it ended at an end that publishes it (`publish: true`).
    pub fn published(&self) -> bool {
        self.instance
            .outcome
            .as_deref()
            .and_then(|o| self.definition.end(o))
            .is_some_and(|e| e.publish)
    }
}

/// The result of checking every audit chain.
pub struct AuditReport {
    pub instances: usize,
    pub entries: usize,
    pub broken: Option<BrokenLink>,
}

/// The instance as `change` leaves it, from what was read with what is
/// written: nothing is read back.
fn view_after(
    mut tasks: Vec<Task>,
    mut history: Vec<HistoryRecord>,
    rec: &InstanceRecord,
    change: Change,
    definition: Arc<Definition>,
) -> InstanceView {
    for close in &change.close {
        if let Some(t) = tasks.iter_mut().find(|t| t.id == close.task_id) {
            t.status = close.status;
            t.action = close.action.clone();
            t.comment = close.comment.clone();
            t.actor = close.actor.clone();
            t.completed_at = Some(change.at);
        }
    }
    tasks.extend(change.open);
    let mut instance = change.instance;
    instance.revision = rec.instance.revision + 1;
    history.push(change.history);
    InstanceView {
        history,
        instance,
        tasks,
        definition,
    }
}

/// One row of a user's inbox, with what the viewer is shown of it.
#[derive(Debug, Clone)]
pub struct InboxItem {
    pub row: InboxRow,
    /// The actions the task offers.
    pub actions: Vec<String>,
    /// The workflow's and the step's titles (`三长任职：征求意见`).
    pub title: String,
    /// The instance in a line (`def.summarize`).
    pub summary: String,
    /// A done task: the title of the action it was done with.
    pub done_action: Option<String>,
    /// An open task's action that may be taken in a batch (批量), as (name, title).
    pub batch_action: Option<(String, String)>,
    /// An added signer's task (加签): the name of who asked.
    pub asked_by: Option<String>,
    /// A task that reached the viewer as a delegate (代理), or that they
    /// completed as one: the person they stand for, as (login, name).
    pub on_behalf_of: Option<(String, String)>,
    /// A task a delegate completed in the viewer's name: the delegate's name.
    pub done_by_delegate: Option<String>,
    /// A nomination returned or objected to (退回, 有异议) and now with its
    /// creator: who sent it back (their name), how (the action's title), and their opinion.
    pub sent_back: Option<(String, String, String)>,
}

impl Engine {
    /// The directory slice for an instance's unit, by the path it stores.
    async fn context(&self, seen: Seen, inst: &Instance) -> Result<Arc<naxian_model::OrgContext>> {
        self.org_context_seen(seen, &inst.org_path).await?.ok_or_else(|| {
            EngineError::Conflict(Refusal::UnitGone {
                code: inst.org_unit.clone(),
            })
        })
    }

    pub async fn start(&self, actor: &Actor, req: StartRequest) -> Result<InstanceView> {
        self.start_keyed(actor, req, None).await
    }

    /// Starts an instance once per (caller, `request_key`): a repeat of a
    /// request that already started one (its answer lost with a server that
    /// died) returns that instance instead of starting a second.
    pub async fn start_once(
        &self,
        actor: &Actor,
        req: StartRequest,
        request_key: &str,
    ) -> Result<InstanceView> {
        let unique_key = format!("request:{}:{request_key}", actor.login);
        match self.start_keyed(actor, req, Some(unique_key.clone())).await {
            Err(EngineError::Conflict(m)) => match self.store.instance_with_key(&unique_key).await? {
                Some(id) => self.instance_view(actor, &id).await,
                None => Err(EngineError::Conflict(m)),
            },
            other => other,
        }
    }

    /// Starts an instance; with `unique_key`, at most one instance ever has it.
    pub(crate) async fn start_keyed(
        &self,
        actor: &Actor,
        req: StartRequest,
        unique_key: Option<String>,
    ) -> Result<InstanceView> {
        let def = self.latest_definition(&req.workflow).await?;
        let mut data = machine::prepare_data(&def, &req.data, self.clock.now())?;
        self.prefill_tables(&def, &mut data).await?;
        self.begin(&def, data, actor, Check::Holder, unique_key).await
    }

    /// Starts an instance on the service's own account (a schedule's job),
    /// once per `unique_key`: `Ok(None)` when that key already has its instance.
    pub async fn start_as_system(
        &self,
        def: &Arc<Definition>,
        data: Value,
        unique_key: String,
    ) -> Result<Option<String>> {
        let mut data = machine::prepare_data(def, &data, self.clock.now())?;
        self.prefill_tables(def, &mut data).await?;
        let system = crate::runner::system_actor();
        match self
            .begin(def, data, &system, Check::Done, Some(unique_key))
            .await
        {
            Ok(view) => Ok(Some(view.instance.id)),
            Err(EngineError::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Decides and writes a new instance, on the directory as this process
    /// last saw it; decided again when the write finds the directory moved on.
    /// `Check::Holder`: the actor must hold the role that starts the workflow.
    async fn begin(
        &self,
        def: &Arc<Definition>,
        data: Value,
        actor: &Actor,
        check: Check,
        unique_key: Option<String>,
    ) -> Result<InstanceView> {
        let mut generation = self.directory_generation().await?;
        let mut moved = 0;
        loop {
            match self
                .begin_at(generation, def, &data, actor, check, unique_key.clone())
                .await
            {
                Err(EngineError::DirectoryMoved(_)) if moved < DIRECTORY_MOVES => {
                    moved += 1;
                    generation = self.store.directory_generation().await?;
                    self.directory_cache.observe(generation);
                }
                other => return other,
            }
        }
    }

    async fn begin_at(
        &self,
        generation: i64,
        def: &Arc<Definition>,
        data: &Value,
        actor: &Actor,
        check: Check,
        unique_key: Option<String>,
    ) -> Result<InstanceView> {
        let field = || format!("data.{}", def.org_field.as_str());
        let code = machine::org_code(def, data)
            .ok_or_else(|| EngineError::invalid(field(), Problem::Required))?
            .to_string();
        let org = self
            .org_context_of(Seen::At(generation), &code)
            .await?
            .ok_or_else(|| EngineError::invalid(field(), Problem::NoOrgUnit { code: code.clone() }))?;
        let calendar = self.calendar();
        let ctx = self.decision_context(&org, &calendar);
        let id = uuid::Uuid::now_v7().to_string();
        // Deciding first reports invalid input (a unit of the wrong kind) as such, before rights.
        let decision = machine::start(def, id, actor.login.clone(), data.clone(), &ctx)?;
        self.check_unit_tables(def, &decision.instance.data, &org.target().path)
            .await?;
        if let Check::Holder = check {
            let role = def.started_by.parse().map_err(EngineError::Internal)?;
            if !actor.holds(&role, &org.target().path) {
                return Err(EngineError::Forbidden(Refusal::StartNeedsRole {
                    workflow: def.name.to_string(),
                    unit: code.clone(),
                    role: role.to_string(),
                }));
            }
        }
        let change = self
            .persist(
                def,
                decision,
                None,
                generation,
                actor,
                &org.target().name,
                unique_key,
            )
            .await?;
        let mut instance = change.instance;
        instance.revision = 1;
        let view = InstanceView {
            instance,
            tasks: change.open,
            history: vec![change.history],
            definition: def.clone(),
        };
        self.keep(&view, generation);
        Ok(view)
    }

    /// Keeps the state a transition left an instance in, at the directory
    /// generation it was decided on, for the next action on it.
    fn keep(&self, view: &InstanceView, generation: i64) {
        let last = view.history.last().expect("a transition writes an entry");
        self.instance_cache.keep(InstanceState {
            record: InstanceRecord {
                instance: view.instance.clone(),
                audit_seq: last.seq,
                audit_head: last.hash.clone(),
                directory_generation: generation,
            },
            tasks: view.tasks.clone(),
            history: view.history.clone(),
        });
    }

    pub async fn act(&self, actor: &Actor, task_id: &str, input: ActionInput) -> Result<InstanceView> {
        let command = Command::Act {
            task_id: task_id.into(),
            input,
        };
        self.decide(actor, InstanceKey::Task(task_id), &command, Check::Holder)
            .await
    }

    /// Acts on a task whose holder has been checked (or on behalf of the system).
    pub(crate) async fn run_task_action(
        &self,
        actor: &Actor,
        task: &Task,
        input: ActionInput,
    ) -> Result<InstanceView> {
        let command = Command::Act {
            task_id: task.id.clone(),
            input,
        };
        self.decide(actor, InstanceKey::Id(&task.instance_id), &command, Check::Done)
            .await
    }

    /// 批量: takes `action` with one opinion on each of `task_ids`, each in
    /// its own transaction as if posted alone; one answer per task, in order.
    /// Only an action that declares `batch: true` is taken so.
    pub async fn act_batch(
        &self,
        actor: &Actor,
        task_ids: &[String],
        action: &str,
        comment: Option<String>,
    ) -> Result<Vec<Result<InstanceView>>> {
        if task_ids.is_empty() {
            return Err(EngineError::invalid(
                "task_ids",
                Problem::NoneChosen { what: Counted::Tasks },
            ));
        }
        if task_ids.len() > BATCH_MAX {
            return Err(EngineError::invalid(
                "task_ids",
                Problem::TooMany {
                    max: BATCH_MAX,
                    what: Counted::Tasks,
                },
            ));
        }
        for (i, id) in task_ids.iter().enumerate() {
            if task_ids[..i].contains(id) {
                return Err(EngineError::invalid(
                    format!("task_ids[{i}]"),
                    Problem::ListedTwice { value: id.clone() },
                ));
            }
        }
        if action.trim().is_empty() {
            return Err(EngineError::invalid("action", Problem::Required));
        }
        let mut out = Vec::with_capacity(task_ids.len());
        for id in task_ids {
            let input = ActionInput {
                action: action.to_string(),
                comment: comment.clone(),
                batch: true,
                ..ActionInput::default()
            };
            out.push(self.act(actor, id, input).await);
        }
        Ok(out)
    }

    /// 转交: hands the open task `task_id` to the user `to`. Its holder may
    /// hand it to one who could hold it; an administrator of the instance's
    /// unit to anyone (the model checks the rest).
    pub async fn transfer(
        &self,
        actor: &Actor,
        task_id: &str,
        to: &str,
        comment: Option<String>,
    ) -> Result<InstanceView> {
        let to = self.existing_user("to", to).await?;
        let command = Command::Transfer {
            task_id: task_id.into(),
            to,
            comment,
            anyone: false,
        };
        self.decide(actor, InstanceKey::Task(task_id), &command, Check::Holder)
            .await
    }

    /// 加签: `user` signs the task's step too, before, after or beside its
    /// holder (`position`); only the task's holder adds.
    pub async fn add_signer(
        &self,
        actor: &Actor,
        task_id: &str,
        user: &str,
        position: &str,
        comment: Option<String>,
    ) -> Result<InstanceView> {
        let position: SignerPosition = position.trim().parse().map_err(|_| {
            EngineError::invalid(
                "position",
                Problem::NotOneOf {
                    choices: SignerPosition::ALL
                        .iter()
                        .map(|p| p.as_str().to_string())
                        .collect(),
                },
            )
        })?;
        let user = self.existing_user("user", user).await?;
        let command = Command::AddSigner {
            task_id: task_id.into(),
            user,
            position,
            comment,
        };
        self.decide(actor, InstanceKey::Task(task_id), &command, Check::Holder)
            .await
    }

    /// The login of the user a request names in `field`, or 400 naming it.
    pub(crate) async fn existing_user(&self, field: &str, login: &str) -> Result<String> {
        let login = login.trim();
        if login.is_empty() {
            return Err(EngineError::invalid(field, Problem::Required));
        }
        let user = self.store.user(login).await?.ok_or_else(|| {
            EngineError::invalid(
                field,
                Problem::NoSuchUser {
                    login: login.to_string(),
                },
            )
        })?;
        Ok(user.login)
    }

    pub async fn withdraw(
        &self,
        actor: &Actor,
        instance_id: &str,
        comment: Option<String>,
    ) -> Result<InstanceView> {
        let command = Command::Withdraw { comment };
        self.decide(actor, InstanceKey::Id(instance_id), &command, Check::Viewer)
            .await
    }

    /// Decides a command on an existing instance and writes it: on the state
    /// kept from this process's last transition of it if there is one, else
    /// (or when that fails: it may be stale) on a fresh read. A write refused
    /// because the directory moved on meanwhile is decided again.
    async fn decide(
        &self,
        actor: &Actor,
        key: InstanceKey<'_>,
        command: &Command,
        check: Check,
    ) -> Result<InstanceView> {
        if let Some(kept) = self.instance_cache.get(key) {
            match self.run_on(actor, (*kept).clone(), command, check).await {
                Ok(view) => return Ok(view),
                // Nothing was written, and deciding again on a fresh read
                // would not help the database come back.
                Err(
                    e @ (EngineError::Unavailable(_) | EngineError::Database(_) | EngineError::Internal(_)),
                ) => {
                    self.instance_cache.forget(&kept.record.instance.id);
                    return Err(e);
                }
                Err(_) => self.instance_cache.forget(&kept.record.instance.id),
            }
        }
        let (mut directory_moves, mut instance_moves) = (0, 0);
        loop {
            let state = self.store.instance_state(key).await?.ok_or_else(|| match key {
                InstanceKey::Id(id) => EngineError::NotFound(Refusal::NoInstance { id: id.to_string() }),
                InstanceKey::Task(id) => EngineError::NotFound(Refusal::NoTask { id: id.to_string() }),
            })?;
            match self.run_on(actor, state, command, check).await {
                Err(EngineError::DirectoryMoved(_)) if directory_moves < DIRECTORY_MOVES => {
                    directory_moves += 1
                }
                Err(EngineError::InstanceMoved(_)) if instance_moves < INSTANCE_MOVES => {
                    instance_moves += 1;
                    // Racers that lost together should not meet again at once.
                    let jitter = rand::random::<u64>() % (2 * instance_moves as u64 + 1);
                    tokio::time::sleep(std::time::Duration::from_millis(jitter)).await;
                }
                // Given up: to the caller it is the conflict it looks like.
                Err(EngineError::InstanceMoved(detail)) => {
                    return Err(EngineError::Conflict(Refusal::Stale { detail }))
                }
                other => return other,
            }
        }
    }

    async fn instance_state(&self, id: &str) -> Result<InstanceState> {
        self.store
            .instance_state(InstanceKey::Id(id))
            .await?
            .ok_or_else(|| EngineError::NotFound(Refusal::NoInstance { id: id.to_string() }))
    }

    /// Decides and persists a command on an instance as read (or kept), and
    /// keeps the state it leaves the instance in.
    async fn run_on(
        &self,
        actor: &Actor,
        state: InstanceState,
        command: &Command,
        check: Check,
    ) -> Result<InstanceView> {
        let InstanceState {
            record: rec,
            tasks,
            history,
        } = state;
        let task_of = |task_id: &str| {
            tasks.iter().find(|t| t.id == task_id).ok_or_else(|| {
                EngineError::NotFound(Refusal::NoTask {
                    id: task_id.to_string(),
                })
            })
        };
        let mut command = std::borrow::Cow::Borrowed(command);
        let mut on_behalf_of = None;
        match (check, command.as_ref()) {
            (Check::Holder, Command::Act { task_id, .. } | Command::AddSigner { task_id, .. })
                if !actor.holds_task(task_of(task_id)?) =>
            {
                // A delegate acts in the name of whom they stand for (代理).
                let principal = self
                    .principal_for(actor, task_of(task_id)?, &rec.instance)
                    .await?;
                match principal {
                    Some(p) => on_behalf_of = Some(p.login),
                    None => return Err(EngineError::Forbidden(Refusal::NotYourTask)),
                }
            }
            // An administrator of the unit hands anyone's task to anyone.
            (Check::Holder, Command::Transfer { task_id, .. }) if !actor.holds_task(task_of(task_id)?) => {
                if !actor.administers(&rec.instance.org_path) {
                    return Err(EngineError::Forbidden(Refusal::NotYourTask));
                }
                if let Command::Transfer { anyone, .. } = command.to_mut() {
                    *anyone = true;
                }
            }
            (Check::Viewer, _) if !self.may_see(actor, &rec.instance, &tasks) => {
                return Err(EngineError::Forbidden(Refusal::InstanceHidden));
            }
            _ => {}
        }
        let command = command.as_ref();
        let def = self
            .definition(&rec.instance.workflow, rec.instance.version)
            .await?;
        self.directory_cache.observe(rec.directory_generation);
        let seen = Seen::At(rec.directory_generation);
        let org = self.context(seen, &rec.instance).await?;
        let calendar = self.calendar();
        let mut ctx = self.decision_context(&org, &calendar);
        ctx.on_behalf_of = on_behalf_of.as_deref();
        let decision = machine::decide(&def, &rec.instance, &tasks, &actor.login, command, &ctx)?;
        self.check_unit_tables(&def, &decision.instance.data, &rec.instance.org_path)
            .await?;
        self.check_required_slots(&def, &rec.instance.id, &tasks, command)
            .await?;
        let mut change = self
            .change_for(
                &def,
                decision,
                &tasks,
                on_behalf_of,
                Some(&rec),
                rec.directory_generation,
                actor,
                &org.target().name,
                None,
            )
            .await?;
        // A keyed request's answer is written with the change: rendered from
        // the view the change leaves, before it is written.
        if crate::keyed::active() {
            // Copies only here: an unkeyed transition moves what it wrote into its answer.
            let view = view_after(tasks.clone(), history.clone(), &rec, change.clone(), def.clone());
            change.idempotency = crate::keyed::response_for(&view);
        }
        self.write(&change).await.map_err(|e| match e {
            // The revision decided on is no longer the instance's: another
            // transition was written first. Whether this one still holds
            // is for a decision on the fresh state to say.
            EngineError::Conflict(r) => EngineError::InstanceMoved(r.to_string()),
            other => other,
        })?;
        let view = view_after(tasks, history, &rec, change, def);
        self.keep(&view, rec.directory_generation);
        Ok(view)
    }

    /// Turns a decision into a change, with its timers and e-mails, and applies it.
    #[allow(clippy::too_many_arguments)]
    async fn persist(
        &self,
        def: &Definition,
        d: Decision,
        prev: Option<&InstanceRecord>,
        generation: i64,
        actor: &Actor,
        unit_name: &str,
        unique_key: Option<String>,
    ) -> Result<Change> {
        let change = self
            .change_for(def, d, &[], None, prev, generation, actor, unit_name, unique_key)
            .await?;
        self.write(&change).await?;
        Ok(change)
    }

    async fn write(&self, change: &Change) -> Result<()> {
        self.store.apply(change).await.map_err(|e| match e {
            StoreError::Conflict(detail) => EngineError::Conflict(Refusal::Stale { detail }),
            other => other.into(),
        })
    }

    /// Turns a decision into a change, with its timers and e-mails;
    /// `before` are the instance's tasks the decision was made on.
    #[allow(clippy::too_many_arguments)]
    async fn change_for(
        &self,
        def: &Definition,
        d: Decision,
        before: &[Task],
        on_behalf_of: Option<String>,
        prev: Option<&InstanceRecord>,
        generation: i64,
        actor: &Actor,
        unit_name: &str,
        unique_key: Option<String>,
    ) -> Result<Change> {
        // What the decision read of the directory, the e-mails read too.
        let seen = Seen::At(generation);
        let at = d.instance.updated_at;
        let seq = prev.map_or(0, |p| p.audit_seq) + 1;
        let prev_hash = prev.map_or(GENESIS.to_string(), |p| p.audit_head.clone());
        let h = d.history;
        let history = HistoryRecord::seal(
            prev_hash,
            d.instance.id.clone(),
            seq,
            at,
            h.actor,
            h.step,
            h.action,
            h.comment,
            h.note,
            on_behalf_of,
        );
        let mut timers = Vec::new();
        let open: Vec<Task> = d
            .open
            .into_iter()
            .map(|n| {
                let id = uuid::Uuid::now_v7().to_string();
                timers.extend(crate::timer_chain::first(&d.instance.id, &id, &n.timers));
                Task {
                    id,
                    instance_id: d.instance.id.clone(),
                    step: n.step,
                    assignee: n.assignee,
                    status: TaskStatus::Open,
                    action: None,
                    comment: None,
                    actor: None,
                    on_behalf_of: None,
                    created_at: at,
                    completed_at: None,
                    due_at: n.due_at,
                }
            })
            .collect();
        let outbox = self
            .mails_of_decision(
                def,
                &d.instance,
                &history,
                before,
                &open,
                &d.close,
                actor,
                unit_name,
                seen,
            )
            .await?;
        // A closed task says nothing more: its pending reminder, escalation
        // or timeout ends with it.
        let cancel_timers_of = d.close.iter().map(|c| c.task_id.clone()).collect();
        let change = Change {
            unique_key,
            cancel_timers_of,
            expected_revision: prev.map(|p| p.instance.revision),
            expected_generation: Some(generation),
            instance: d.instance,
            close: d.close,
            open,
            history,
            effects: d.effects,
            timers,
            outbox,
            at,
            idempotency: None,
        };
        Ok(change)
    }

    async fn load_view(&self, id: &str) -> Result<InstanceView> {
        let state = self.instance_state(id).await?;
        let definition = self
            .definition(&state.record.instance.workflow, state.record.instance.version)
            .await?;
        Ok(InstanceView {
            instance: state.record.instance,
            tasks: state.tasks,
            history: state.history,
            definition,
        })
    }

    pub(crate) fn may_see(&self, actor: &Actor, inst: &Instance, tasks: &[Task]) -> bool {
        actor.is_admin
            || inst.creator == actor.login
            || actor.covers(&inst.org_path)
            || tasks
                .iter()
                .any(|t| actor.holds_task(t) || t.actor.as_deref() == Some(actor.login.as_str()))
    }

    /// One instance, if the actor may see it.
    pub async fn instance_view(&self, actor: &Actor, id: &str) -> Result<InstanceView> {
        let view = self.load_view(id).await?;
        if !self.may_see(actor, &view.instance, &view.tasks)
            && !view.published()
            && !self.sees_as_delegate(actor, &view.instance, &view.tasks).await?
        {
            return Err(EngineError::Forbidden(Refusal::InstanceHidden));
        }
        Ok(view)
    }

    /// One instance's record for a person to read (a page, the API): as
    /// [`Engine::instance_view`], and the read is written to the access log.
    pub async fn read_record(&self, actor: &Actor, id: &str, how: &str) -> Result<InstanceView> {
        let view = self.instance_view(actor, id).await?;
        self.log_access(actor, Some(id), how).await?;
        Ok(view)
    }

    /// Records a read of personal data; a read that cannot be recorded fails.
    pub async fn log_access(&self, actor: &Actor, instance_id: Option<&str>, how: &str) -> Result<()> {
        self.store
            .log_access(&naxian_store::AccessRecord {
                at: self.clock.now(),
                login: actor.login.clone(),
                instance_id: instance_id.map(str::to_string),
                what: how.to_string(),
            })
            .await?;
        Ok(())
    }

    /// Who read an instance's record, newest first: for administrators of its unit.
    pub async fn access_log(&self, actor: &Actor, id: &str) -> Result<Vec<naxian_store::AccessRecord>> {
        let rec = self
            .store
            .instance(id)
            .await?
            .ok_or_else(|| EngineError::NotFound(Refusal::NoInstance { id: id.to_string() }))?;
        if !actor.administers(&rec.instance.org_path) {
            return Err(EngineError::Forbidden(Refusal::AccessLogForAdmins));
        }
        Ok(self.store.access_log(id, 500).await?)
    }

    pub async fn list_instances(
        &self,
        actor: &Actor,
        workflow: Option<String>,
        status: Option<String>,
        org_unit: Option<String>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Instance>> {
        if let Some(s) = &status {
            s.parse::<naxian_model::Status>().map_err(|_| {
                EngineError::invalid(
                    "status",
                    Problem::NotOneOf {
                        choices: vec!["active".into(), "completed".into()],
                    },
                )
            })?;
        }
        let under_path = match &org_unit {
            Some(code) => Some(
                self.store
                    .org_unit(code)
                    .await?
                    .ok_or_else(|| {
                        EngineError::invalid("org_unit", Problem::NoOrgUnit { code: code.clone() })
                    })?
                    .path,
            ),
            None => None,
        };
        let filter = InstanceFilter {
            workflow,
            status,
            under_path,
            visible_to: (!actor.is_admin).then(|| actor.login.clone()),
            limit,
            offset,
        };
        Ok(self.store.list_instances(&filter).await?)
    }

    /// How many open tasks the actor has, for a badge: their own, and those
    /// that reach them as a delegate.
    pub async fn inbox_count(&self, actor: &Actor) -> Result<usize> {
        let own = self.store.inbox_count(&actor.login).await?.max(0) as usize;
        if self.delegations_to(actor).await?.is_empty() {
            return Ok(own);
        }
        let own_rows: Vec<(InboxRow, Option<(String, String)>)> = Vec::new();
        Ok(own + self.delegated_rows(actor, &own_rows).await?.len())
    }

    /// The open tasks that reach `actor` as a delegate (代理), each with the
    /// name of whom they stand for: one inbox query per delegation in force,
    /// leaving out tasks the actor has already (`own`) and instances started
    /// by the actor or the person represented, on which neither may act.
    async fn delegated_rows(
        &self,
        actor: &Actor,
        own: &[(InboxRow, Option<(String, String)>)],
    ) -> Result<Vec<(InboxRow, Option<(String, String)>)>> {
        let now = self.clock.now();
        let mut out: Vec<(InboxRow, Option<(String, String)>)> = Vec::new();
        for d in self.delegations_to(actor).await? {
            let name = self
                .store
                .user(&d.login)
                .await?
                .map_or(d.login.clone(), |u| u.name);
            for row in self.store.inbox(&d.login, TaskStatus::Open, 500).await? {
                let seen = own
                    .iter()
                    .chain(out.iter())
                    .any(|(r, _)| r.task.id == row.task.id);
                if seen || !d.covers(now, &row.workflow) || [&actor.login, &d.login].contains(&&row.creator) {
                    continue;
                }
                out.push((row, Some((d.login.clone(), name.clone()))));
            }
        }
        Ok(out)
    }

    /// The actor's open or done tasks, each with the actions it offers.
    pub async fn inbox(&self, actor: &Actor, status: TaskStatus) -> Result<Vec<InboxItem>> {
        // One query, whatever the number of rows (plus one for the histories of
        // nominations sent back, one for names); definitions come from memory.
        let mut rows: Vec<(InboxRow, Option<(String, String)>)> = self
            .store
            .inbox(&actor.login, status, 500)
            .await?
            .into_iter()
            .map(|r| (r, None))
            .collect();
        if status == TaskStatus::Open {
            rows.extend(self.delegated_rows(actor, &rows).await?);
        }
        // Why a creator has their nomination again (退回): one query for all such rows.
        let with_creator: Vec<String> = rows
            .iter()
            .filter(|(r, _)| {
                r.task.status == TaskStatus::Open && r.task.assignee.user.as_ref() == Some(&r.creator)
            })
            .map(|(r, _)| r.task.instance_id.clone())
            .collect();
        let histories = self.store.histories(&with_creator).await?;
        let mut sent_back: HashMap<String, (String, String, String)> = HashMap::new();
        for (row, _) in rows
            .iter()
            .filter(|(r, _)| with_creator.contains(&r.task.instance_id))
        {
            let def = self.definition(&row.workflow, row.version).await?;
            let own: Vec<_> = histories
                .iter()
                .filter(|h| h.instance_id == row.task.instance_id)
                .cloned()
                .collect();
            if let Some(h) = machine::sent_back_to(&def, &row.task.step, &own) {
                let how = def
                    .step(&h.step)
                    .and_then(|st| st.actions.get(h.action.as_str()))
                    .and_then(|a| a.title.clone())
                    .unwrap_or_else(|| h.action.clone());
                let reason = h.comment.clone().unwrap_or_default();
                sent_back.insert(row.task.id.clone(), (h.actor.clone(), how, reason));
            }
        }
        let mut people: Vec<String> = rows
            .iter()
            .filter_map(|(r, _)| machine::AddedSigner::of_key(&r.task.assignee.key).map(|a| a.asker))
            .collect();
        people.extend(sent_back.values().map(|(by, _, _)| by.clone()));
        // Done as a delegate, or by one: whom, by name.
        people.extend(rows.iter().filter_map(|(r, _)| r.task.on_behalf_of.clone()));
        people.extend(
            rows.iter()
                .filter(|(r, _)| r.task.on_behalf_of.as_ref() == Some(&actor.login))
                .filter_map(|(r, _)| r.task.actor.clone()),
        );
        let askers = self
            .names_of(&people.iter().map(String::as_str).collect::<Vec<_>>())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (row, on_behalf_of) in rows {
            let name = |login: &String| askers.get(login).cloned().unwrap_or_else(|| login.clone());
            let (on_behalf_of, done_by_delegate) = match (&row.task.on_behalf_of, &row.task.actor) {
                (Some(principal), Some(delegate)) if *principal == actor.login => {
                    (None, Some(name(delegate)))
                }
                (Some(principal), _) => (Some((principal.clone(), name(principal))), None),
                _ => (on_behalf_of, None),
            };
            let def = self.definition(&row.workflow, row.version).await?;
            let step = def.step(&row.task.step);
            let title = step
                .and_then(|s| s.title.clone())
                .unwrap_or_else(|| row.task.step.clone());
            let done_action = row.task.action.as_deref().map(|a| {
                step.and_then(|s| s.actions.get(a))
                    .and_then(|d| d.title.clone())
                    .unwrap_or_else(|| a.to_string())
            });
            let batch_action = step
                .filter(|_| row.task.status == TaskStatus::Open)
                .and_then(|s| s.actions.iter().find(|(_, a)| a.batch))
                .map(|(name, a)| {
                    (
                        name.to_string(),
                        a.title.clone().unwrap_or_else(|| name.to_string()),
                    )
                });
            let asked_by = machine::AddedSigner::of_key(&row.task.assignee.key)
                .map(|a| askers.get(&a.asker).cloned().unwrap_or(a.asker));
            let sent_back = sent_back
                .remove(&row.task.id)
                .map(|(by, how, reason)| (askers.get(&by).cloned().unwrap_or(by), how, reason));
            out.push(InboxItem {
                sent_back,
                on_behalf_of,
                done_by_delegate,
                asked_by,
                batch_action,
                actions: machine::task_actions(&def, &row.task),
                title: format!("{}：{title}", def.title),
                summary: def.summarize(&row.data, &row.unit_name),
                done_action,
                row,
            });
        }
        Ok(out)
    }

    /// Recomputes every audit chain; reports the first broken link.
    pub async fn verify_audit(&self) -> Result<AuditReport> {
        let all = self.store.all_history().await?;
        let entries = all.len();
        let mut instances = 0;
        let mut chunk: Vec<HistoryRecord> = Vec::new();
        let mut broken = None;
        let mut iter = all.into_iter().peekable();
        while let Some(h) = iter.next() {
            let last_of_instance = iter.peek().is_none_or(|n| n.instance_id != h.instance_id);
            chunk.push(h);
            if last_of_instance {
                instances += 1;
                if broken.is_none() {
                    broken = verify_chain(&chunk).err();
                }
                chunk.clear();
            }
        }
        // The chain head on the instance row must be the last entry: a deleted tail shows here.
        if broken.is_none() {
            let mut offset = 0;
            loop {
                let page = self
                    .store
                    .list_instances(&InstanceFilter {
                        limit: 1000,
                        offset,
                        ..Default::default()
                    })
                    .await?;
                if page.is_empty() {
                    break;
                }
                for inst in &page {
                    let rec = self.store.instance(&inst.id).await?;
                    let hist = self.store.history(&inst.id).await?;
                    if let Some(rec) = rec {
                        let last = hist.last();
                        if last.map(|h| (h.seq, h.hash.as_str()))
                            != Some((rec.audit_seq, rec.audit_head.as_str()))
                        {
                            broken = Some(BrokenLink {
                                instance_id: inst.id.clone(),
                                seq: rec.audit_seq,
                                reason: "the instance's chain head does not match its last entry".into(),
                            });
                            break;
                        }
                    }
                }
                if broken.is_some() {
                    break;
                }
                offset += page.len() as i64;
            }
        }
        Ok(AuditReport {
            instances,
            entries,
            broken,
        })
    }
}
