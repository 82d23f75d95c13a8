//! The state machine: given a definition, an instance with its tasks, a command,
//! the directory context and `now`, [`decide`] returns the [`Decision`] to
//! persist, or the reason the command is refused. It never does I/O.

use crate::calendar::{Calendar, Span};
use crate::definition::{
    template_field, ActionDef, AssignSpec, AutoPass, CommentRule, Definition, NoHolder, SignOff, Target,
    TimersDef, WithdrawDef,
};
use crate::directory::{DeptFunction, Level, OrgContext, Role};
use crate::error::{ModelError, Problem, Refusal};
use crate::fields::{self, get_str, merge, set_path};
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Completed,
}

impl Status {
    pub const ALL: &'static [Status] = &[Status::Active, Status::Completed];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Completed => "completed",
        }
    }
}

impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "active" => Ok(Status::Active),
            "completed" => Ok(Status::Completed),
            _ => Err("must be active or completed".into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Done,
    /// Closed without an action of its own (the instance moved on).
    Cancelled,
}

impl TaskStatus {
    pub const ALL: &'static [TaskStatus] = &[TaskStatus::Open, TaskStatus::Done, TaskStatus::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }
}

impl std::str::FromStr for TaskStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(TaskStatus::Open),
            "done" => Ok(TaskStatus::Done),
            "cancelled" => Ok(TaskStatus::Cancelled),
            _ => Err("must be open, done or cancelled".into()),
        }
    }
}

/// Who a task is for: a user (`user`), or whoever holds `role` at `unit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignee {
    /// Stable within an instance: the same department is the same key each round.
    pub key: String,
    pub role: Option<Role>,
    pub unit: String,
    pub unit_path: String,
    pub user: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub workflow: String,
    pub version: i64,
    pub step: String,
    pub status: Status,
    pub outcome: Option<String>,
    pub data: Value,
    pub creator: String,
    pub org_unit: String,
    pub org_path: String,
    /// Per step, the assignees who completed their part (kept across re-entry
    /// where the step says `keep_completed`).
    pub completed: BTreeMap<String, Vec<String>>,
    /// Optimistic-concurrency counter, bumped by the store on every change.
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub instance_id: String,
    pub step: String,
    pub assignee: Assignee,
    pub status: TaskStatus,
    pub action: Option<String>,
    pub comment: Option<String>,
    pub actor: Option<String>,
    /// Whom the actor stood for, as their delegate (代理): the part done is
    /// that person's, for the rules that ask who approved.
    pub on_behalf_of: Option<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
}

/// What an approver sends with an action on a task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionInput {
    pub action: String,
    pub comment: Option<String>,
    pub data: Option<Value>,
    /// Where to send the instance, for an action whose approver chooses the step.
    pub to_step: Option<String>,
    /// Taken with others in one batch (批量): only an action that says `batch: true`.
    #[serde(default)]
    pub batch: bool,
}

impl ActionInput {
    /// The action with nothing else.
    pub fn named(action: &str) -> ActionInput {
        ActionInput {
            action: action.into(),
            ..ActionInput::default()
        }
    }
}

/// Where an added signer (加签) stands to the holder who added them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerPosition {
    /// 前加签: acts first; the task then comes back to the holder, who decides.
    Before,
    /// 后加签: the holder's decision counts once the added signer has also completed.
    After,
    /// 并加签: one more task in the same sign-off.
    Parallel,
}

impl SignerPosition {
    pub const ALL: &'static [SignerPosition] = &[
        SignerPosition::Before,
        SignerPosition::After,
        SignerPosition::Parallel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SignerPosition::Before => "before",
            SignerPosition::After => "after",
            SignerPosition::Parallel => "parallel",
        }
    }
}

impl std::str::FromStr for SignerPosition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        SignerPosition::ALL
            .iter()
            .copied()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| "must be before, after or parallel".into())
    }
}

/// An added signer's part of a step, carried in its task's assignee key
/// (`+POSITION|LOGIN|ASKER|HOLDER_KEY`) so that the key alone says whose
/// task it stands beside and who asked: logins, codes and role names never
/// hold `|`, and no assignee resolved from a file starts with `+`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedSigner {
    pub position: SignerPosition,
    /// Who signs.
    pub login: String,
    /// Who added them: the holder of the task they stand beside.
    pub asker: String,
    /// That task's assignee key.
    pub holder_key: String,
}

impl AddedSigner {
    pub fn key(&self) -> String {
        format!(
            "+{}|{}|{}|{}",
            self.position.as_str(),
            self.login,
            self.asker,
            self.holder_key
        )
    }

    /// The added signer an assignee key stands for, if it is one.
    pub fn of_key(key: &str) -> Option<AddedSigner> {
        let mut parts = key.strip_prefix('+')?.splitn(4, '|');
        Some(AddedSigner {
            position: parts.next()?.parse().ok()?,
            login: parts.next()?.to_string(),
            asker: parts.next()?.to_string(),
            holder_key: parts.next()?.to_string(),
        })
    }
}

/// The history's action for adding a signer (加签); its note is
/// `POSITION|LOGIN`.
pub const ADD_SIGNER: &str = "add_signer";

/// What a user asks of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    Act {
        task_id: String,
        input: ActionInput,
    },
    Withdraw {
        comment: Option<String>,
    },
    /// 转交: the task becomes `to`'s. `anyone`: `to` need not hold the
    /// task's role (an administrator hands it on).
    Transfer {
        task_id: String,
        to: String,
        comment: Option<String>,
        anyone: bool,
    },
    /// 加签: `user` signs too, as `position` says.
    AddSigner {
        task_id: String,
        user: String,
        position: SignerPosition,
        comment: Option<String>,
    },
}

/// Facts from outside the model that a decision may use.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub org: &'a OrgContext,
    /// Working days and holidays, for due dates.
    pub calendar: &'a Calendar,
    pub now: DateTime<Utc>,
    /// The calendar date `now` falls on in the service's time zone.
    pub today: NaiveDate,
    /// A body whose term ends within this many days is due for a congress.
    pub congress_window_days: u64,
    /// The user the actor acts for, as their delegate (代理); the caller,
    /// who knows the delegations, found that the task is theirs.
    pub on_behalf_of: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskClose {
    pub task_id: String,
    pub status: TaskStatus,
    pub action: Option<String>,
    pub comment: Option<String>,
    pub actor: Option<String>,
    /// See [`Task::on_behalf_of`].
    pub on_behalf_of: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    Remind,
    Escalate,
    Timeout,
}

impl TimerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TimerKind::Remind => "remind",
            TimerKind::Escalate => "escalate",
            TimerKind::Timeout => "timeout",
        }
    }
}

impl std::str::FromStr for TimerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "remind" => Ok(TimerKind::Remind),
            "escalate" => Ok(TimerKind::Escalate),
            "timeout" => Ok(TimerKind::Timeout),
            _ => Err("must be remind, escalate or timeout".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTimer {
    pub kind: TimerKind,
    pub fire_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTask {
    pub step: String,
    pub assignee: Assignee,
    pub due_at: Option<DateTime<Utc>>,
    /// Reminders, escalation and timeout of this task; cancelled when it closes.
    pub timers: Vec<NewTimer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub actor: String,
    /// The step the action was taken in.
    pub step: String,
    pub action: String,
    pub comment: Option<String>,
    /// What happened as a result: automatic routing with its reason, skips.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub org_unit: String,
    pub name: String,
    pub sector: String,
    pub post: String,
    pub mode: String,
    pub since: NaiveDate,
    pub term_end: Option<NaiveDate>,
    /// The appointment that made the member, if one did.
    pub instance_id: Option<String>,
    /// One of the three chiefs (三长): only chiefs cover a sector on the
    /// coverage board. Every appointed member is one.
    #[serde(default)]
    pub chief: bool,
    /// Where the person works, and their post there.
    #[serde(default)]
    pub employer: Option<String>,
    #[serde(default)]
    pub position: Option<String>,
    /// The day the person stopped being a member before the term's end (届中调整).
    #[serde(default)]
    pub left_on: Option<NaiveDate>,
    #[serde(default)]
    pub left_reason: Option<String>,
}

impl Member {
    /// On the body on `day`: the term not over and the person not gone.
    pub fn current_on(&self, day: NaiveDate) -> bool {
        self.term_end.is_none_or(|end| end >= day) && self.left_on.is_none_or(|left| left > day)
    }

    /// Whether the member counts for `sector` on the coverage board on `day`.
    pub fn covers(&self, sector: &str, day: NaiveDate) -> bool {
        self.chief && self.sector == sector && self.current_on(day)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    AddMember(Member),
    /// The unit's leadership body and its term, set or replaced.
    SetBody {
        org_unit: String,
        body: crate::directory::Body,
    },
    /// The instance's data after the change is kept as a version: the
    /// action amended it (a submission; each resubmission is another).
    KeepVersion,
}

/// Everything one accepted command changes, to be persisted in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The instance after the command (its `revision` still the one read).
    pub instance: Instance,
    pub close: Vec<TaskClose>,
    pub open: Vec<NewTask>,
    /// Exactly one entry per accepted command.
    pub history: HistoryEntry,
    pub effects: Vec<Effect>,
}

/// Checks creation data against the definition's fields at `now`.
pub fn prepare_data(def: &Definition, data: &Value, now: DateTime<Utc>) -> Result<Value, ModelError> {
    fields::validate(&def.fields, data, "data", crate::calendar::shanghai_day(now))
}

/// The code of the org unit named by validated creation data.
pub fn org_code<'a>(def: &Definition, data: &'a Value) -> Option<&'a str> {
    get_str(data, def.org_field.as_str())
}

/// Starts an instance: `data` has passed [`prepare_data`]; `ctx.org` is the
/// context of the unit it names.
pub fn start(
    def: &Definition,
    id: String,
    creator: String,
    data: Value,
    ctx: &Context<'_>,
) -> Result<Decision, ModelError> {
    let target = ctx.org.target();
    let org_field = def.org_field.as_str();
    if let Some(spec) = def.fields.get(org_field) {
        if !spec.kinds.contains(&target.kind) {
            let kinds: Vec<&str> = spec.kinds.iter().map(|k| k.as_str()).collect();
            return Err(ModelError::invalid(
                format!("data.{org_field}"),
                Problem::WrongKind {
                    allowed: kinds.iter().map(|k| k.to_string()).collect(),
                    actual: target.kind.to_string(),
                },
            ));
        }
    }
    let mut instance = Instance {
        id,
        workflow: def.name.to_string(),
        version: def.version,
        step: def.start.to_string(),
        status: Status::Active,
        outcome: None,
        data,
        creator: creator.clone(),
        org_unit: target.code.clone(),
        org_path: target.path.clone(),
        completed: BTreeMap::new(),
        revision: 0,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    let mut out = Outcome::default();
    enter(def, &mut instance, def.start.as_str(), &[], ctx, &mut out)?;
    let note = out.note();
    Ok(Decision {
        instance,
        close: Vec::new(),
        open: out.open,
        history: HistoryEntry {
            actor: creator,
            step: def.start.to_string(),
            action: "create".into(),
            comment: None,
            note,
        },
        effects: out.effects,
    })
}

/// Decides what `command` by `actor` does to `instance`, whose tasks are `tasks`.
/// Whether the actor holds the task is checked by the caller, who knows the grants.
pub fn decide(
    def: &Definition,
    instance: &Instance,
    tasks: &[Task],
    actor: &str,
    command: &Command,
    ctx: &Context<'_>,
) -> Result<Decision, ModelError> {
    if instance.status == Status::Completed {
        return Err(ModelError::Conflict(Refusal::Completed {
            outcome: instance.outcome.clone().unwrap_or_default(),
        }));
    }
    let mut next = instance.clone();
    next.updated_at = ctx.now;
    let mut out = Outcome::default();
    let open_here: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Open && t.step == instance.step)
        .collect();
    let history = match command {
        Command::Withdraw { comment } => {
            let w = withdrawal(def, instance, actor)?;
            out.cancel_all(&open_here);
            enter(def, &mut next, w.to.as_str(), tasks, ctx, &mut out)?;
            HistoryEntry {
                actor: actor.into(),
                step: instance.step.clone(),
                action: "withdraw".into(),
                comment: clean_comment(comment.as_deref()),
                note: out.note(),
            }
        }
        Command::Transfer {
            task_id,
            to,
            comment,
            anyone,
        } => {
            let (task, step) = open_task(def, instance, tasks, task_id)?;
            // An added signer's task is theirs by name (its key says so): they
            // are asked in person, and it is not handed on.
            if !step.allows_transfer() || AddedSigner::of_key(&task.assignee.key).is_some() {
                return Err(ModelError::NotAllowed(Refusal::TransferNotAllowed {
                    step: instance.step.clone(),
                }));
            }
            let comment = checked_comment(comment.as_deref())?;
            newcomer("to", to, instance, actor, &open_here)?;
            if !anyone && !could_hold(&task.assignee, to, ctx) {
                return Err(ModelError::invalid("to", Problem::CannotHoldTask));
            }
            out.close.push(TaskClose {
                task_id: task.id.clone(),
                status: TaskStatus::Done,
                action: Some(TRANSFER.into()),
                comment: comment.clone(),
                actor: Some(actor.into()),
                on_behalf_of: ctx.on_behalf_of.map(str::to_string),
            });
            let timers = timers_before(step.timers.as_ref(), &instance.data, ctx, task.due_at);
            out.open.push(NewTask {
                step: task.step.clone(),
                assignee: Assignee {
                    user: Some(to.clone()),
                    ..task.assignee.clone()
                },
                due_at: task.due_at,
                timers,
            });
            HistoryEntry {
                actor: actor.into(),
                step: instance.step.clone(),
                action: TRANSFER.into(),
                comment,
                note: Some(to.clone()),
            }
        }
        Command::AddSigner {
            task_id,
            user,
            position,
            comment,
        } => {
            let (task, step) = open_task(def, instance, tasks, task_id)?;
            if !step.allows_add_signer() || AddedSigner::of_key(&task.assignee.key).is_some() {
                return Err(ModelError::NotAllowed(Refusal::AddSignerNotAllowed {
                    step: instance.step.clone(),
                }));
            }
            let comment = checked_comment(comment.as_deref())?;
            newcomer("user", user, instance, actor, &open_here)?;
            // A delegate asks in their principal's name: a task sent back
            // (前加签) returns to the principal, whom the delegate stands for.
            let signer = AddedSigner {
                position: *position,
                login: user.clone(),
                asker: ctx.on_behalf_of.unwrap_or(actor).to_string(),
                holder_key: task.assignee.key.clone(),
            };
            if *position == SignerPosition::Before {
                // The holder's task waits, closed, until the signer is done.
                out.close.push(TaskClose {
                    task_id: task.id.clone(),
                    status: TaskStatus::Done,
                    action: Some(ADD_SIGNER.into()),
                    comment: comment.clone(),
                    actor: Some(actor.into()),
                    on_behalf_of: ctx.on_behalf_of.map(str::to_string),
                });
            }
            let timers = timers_before(step.timers.as_ref(), &instance.data, ctx, task.due_at);
            out.open.push(NewTask {
                step: task.step.clone(),
                assignee: Assignee {
                    key: signer.key(),
                    role: None,
                    unit: task.assignee.unit.clone(),
                    unit_path: task.assignee.unit_path.clone(),
                    user: Some(user.clone()),
                },
                due_at: task.due_at,
                timers,
            });
            HistoryEntry {
                actor: actor.into(),
                step: instance.step.clone(),
                action: ADD_SIGNER.into(),
                comment,
                note: Some(format!("{}|{user}", position.as_str())),
            }
        }
        Command::Act { task_id, input } => {
            let ActionInput {
                action,
                comment,
                data,
                to_step,
                batch,
            } = input;
            let (task, step) = open_task(def, instance, tasks, task_id)?;
            let adef = step.actions.get(action.as_str()).ok_or_else(|| {
                ModelError::NotAllowed(Refusal::ActionNotAllowed {
                    action: action.to_string(),
                    step: instance.step.clone(),
                    allowed: step.actions.keys().map(|k| k.to_string()).collect(),
                })
            })?;
            if *batch && !adef.batch {
                return Err(ModelError::NotAllowed(Refusal::NotBatchable {
                    action: action.to_string(),
                }));
            }
            let comment = checked_comment(comment.as_deref())?;
            if adef.comment == CommentRule::Required && comment.is_none() {
                return Err(ModelError::invalid(
                    "comment",
                    Problem::CommentRequired {
                        action: action.to_string(),
                    },
                ));
            }
            let today = crate::calendar::shanghai_day(ctx.now);
            apply_action_data(def, &instance.step, action, adef, data.as_ref(), &mut next, today)?;
            if adef.amend_data {
                out.effects.push(Effect::KeepVersion);
            }
            for field in &adef.requires {
                let filled = match fields::get_path(&next.data, field) {
                    Some(Value::String(s)) => !s.trim().is_empty(),
                    Some(Value::Null) | None => false,
                    Some(_) => true,
                };
                if !filled {
                    return Err(ModelError::invalid(
                        format!("data.{field}"),
                        Problem::RequiredTo {
                            action: action.to_string(),
                        },
                    ));
                }
            }
            out.close.push(TaskClose {
                task_id: task.id.clone(),
                status: TaskStatus::Done,
                action: Some(action.clone()),
                comment: comment.clone(),
                actor: Some(actor.into()),
                on_behalf_of: ctx.on_behalf_of.map(str::to_string),
            });
            if let Some(to) = &adef.to {
                let to = destination(def, instance, tasks, action, to, to_step.as_deref())?;
                let others: Vec<&Task> = open_here.iter().copied().filter(|t| t.id != task.id).collect();
                out.cancel_all(&others);
                enter(def, &mut next, &to, tasks, ctx, &mut out)?;
            } else {
                if to_step.is_some() {
                    return Err(ModelError::invalid(
                        "to_step",
                        Problem::ChoosesNoStep {
                            action: action.to_string(),
                        },
                    ));
                }
                let signer = AddedSigner::of_key(&task.assignee.key);
                let others: Vec<&Task> = open_here.iter().copied().filter(|t| t.id != task.id).collect();
                if let Some(back) = signer.as_ref().filter(|s| s.position == SignerPosition::Before) {
                    // 前加签 done: the task goes back to who asked, who decides.
                    out.open.push(returned_to_asker(
                        back,
                        tasks,
                        &instance.step,
                        step.timers.as_ref(),
                        &next.data,
                        ctx,
                    ));
                    return Ok(Decision {
                        instance: next,
                        close: out.close,
                        open: out.open,
                        history: HistoryEntry {
                            actor: actor.into(),
                            step: instance.step.clone(),
                            action: action.clone(),
                            comment,
                            note: None,
                        },
                        effects: out.effects,
                    });
                }
                let done = next.completed.entry(instance.step.clone()).or_default();
                if !done.contains(&task.assignee.key) {
                    done.push(task.assignee.key.clone());
                }
                // 后加签: a holder's part counts once every signer added after
                // them has completed too; such a signer's part is the holder's.
                let after_open = |key: &str| {
                    others.iter().any(|t| {
                        AddedSigner::of_key(&t.assignee.key)
                            .is_some_and(|s| s.position == SignerPosition::After && s.holder_key == key)
                    })
                };
                let part = match &signer {
                    Some(s) if s.position == SignerPosition::After => s.holder_key.clone(),
                    _ => task.assignee.key.clone(),
                };
                let done_here = next.completed.get(&instance.step).cloned().unwrap_or_default();
                let part_done = done_here.contains(&part) && !after_open(&part);
                // 并加签: each signer added beside a holder is one more part.
                let parallel = |key: &str| {
                    AddedSigner::of_key(key).is_some_and(|s| s.position == SignerPosition::Parallel)
                };
                let parallel_done = done_here.iter().filter(|k| parallel(k)).count();
                let parallel_open = others.iter().filter(|t| parallel(&t.assignee.key)).count();
                let met = match step.sign_off {
                    SignOff::All => others.is_empty(),
                    SignOff::Any => part_done,
                    SignOff::Sequential | SignOff::AtLeast(_) => {
                        // Every assignee was screened, and its passes and
                        // skips written, when the step was entered.
                        let assignees = resolve_step(def, &instance.step, &next, ctx)?;
                        let keys: Vec<String> = assignees.iter().map(|a| a.key.clone()).collect();
                        let (kept, pending) = split_completed(&next, &instance.step, assignees);
                        let waiting = screen(def, &mut next, &instance.step, pending, tasks, ctx, None)?;
                        let held_back = keys
                            .iter()
                            .filter(|k| done_here.contains(k) && after_open(k))
                            .count();
                        let total = kept + waiting.len() + parallel_done + parallel_open;
                        let met = kept - held_back + parallel_done >= step.sign_off.needed(total);
                        if !met && step.sign_off == SignOff::Sequential && others.is_empty() {
                            let first = waiting.into_iter().take(1).collect();
                            open_tasks(
                                &instance.step,
                                step.timers.as_ref(),
                                first,
                                &next.data,
                                ctx,
                                &mut out,
                            );
                        }
                        met
                    }
                };
                if met {
                    out.cancel_all(&others);
                    let next_step = step.next.as_ref().expect("validated: completing steps have next");
                    enter(def, &mut next, next_step.as_str(), tasks, ctx, &mut out)?;
                }
            }
            HistoryEntry {
                actor: actor.into(),
                step: instance.step.clone(),
                action: action.clone(),
                comment,
                note: out.note(),
            }
        }
    };
    Ok(Decision {
        instance: next,
        close: out.close,
        open: out.open,
        history,
        effects: out.effects,
    })
}

/// The step or end an action moves the instance to: the one its file
/// names, or the one its approver chose (`to_step`) among those offered.
fn destination(
    def: &Definition,
    instance: &Instance,
    tasks: &[Task],
    action: &str,
    to: &Target,
    to_step: Option<&str>,
) -> Result<String, ModelError> {
    if let Some(fixed) = to.fixed() {
        return match to_step {
            None => Ok(fixed.to_string()),
            Some(_) => Err(ModelError::invalid(
                "to_step",
                Problem::ChoosesNoStep {
                    action: action.to_string(),
                },
            )),
        };
    }
    let allowed = return_steps(def, instance, tasks, to);
    let chosen = to_step.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
        ModelError::invalid(
            "to_step",
            Problem::RequiredTo {
                action: action.to_string(),
            },
        )
    })?;
    if !allowed.iter().any(|s| s == chosen) {
        return Err(ModelError::NotAllowed(Refusal::StepNotOffered {
            step: chosen.to_string(),
            allowed,
        }));
    }
    Ok(chosen.to_string())
}

/// The steps an approver may choose for an action leading to `to`: those
/// listed, or (`to: passed`) the human steps the instance had tasks in
/// before its current one, in the order it first reached them.
pub fn return_steps(def: &Definition, instance: &Instance, tasks: &[Task], to: &Target) -> Vec<String> {
    match to {
        Target::Choose(list) => list.clone(),
        Target::Step(_) if to.fixed().is_some() => Vec::new(),
        Target::Step(_) => {
            let mut seen: Vec<&Task> = tasks.iter().filter(|t| t.step != instance.step).collect();
            seen.sort_by_key(|t| t.created_at);
            let mut out: Vec<String> = Vec::new();
            for t in seen {
                if def.step(&t.step).is_some() && !out.contains(&t.step) {
                    out.push(t.step.clone());
                }
            }
            out
        }
    }
}

fn clean_comment(c: Option<&str>) -> Option<String> {
    c.map(str::trim).filter(|c| !c.is_empty()).map(str::to_string)
}

/// The history's and the closed task's action for a transfer (转交).
pub const TRANSFER: &str = "transfer";

/// An opinion as it is kept: trimmed, empty as none, at most 2,000 characters.
fn checked_comment(c: Option<&str>) -> Result<Option<String>, ModelError> {
    let comment = clean_comment(c);
    if comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
        return Err(ModelError::invalid("comment", Problem::TooLong { max: 2000 }));
    }
    Ok(comment)
}

/// The open task `task_id` of the instance's current step, and that step.
fn open_task<'a, 'd>(
    def: &'d Definition,
    instance: &Instance,
    tasks: &'a [Task],
    task_id: &str,
) -> Result<(&'a Task, &'d crate::definition::StepDef), ModelError> {
    let task = tasks
        .iter()
        .find(|t| t.id == task_id)
        .ok_or(ModelError::Conflict(Refusal::TaskOfAnotherInstance))?;
    if task.status != TaskStatus::Open {
        return Err(ModelError::Conflict(Refusal::TaskDone));
    }
    if task.step != instance.step {
        return Err(ModelError::Conflict(Refusal::MovedOn));
    }
    let step = def.step(&instance.step).ok_or_else(|| {
        ModelError::Conflict(Refusal::UnknownStep {
            step: instance.step.clone(),
        })
    })?;
    Ok((task, step))
}

/// The task a holder who added a signer before them (前加签) gets back: their
/// own, as it was when they added, now assigned to them by name.
fn returned_to_asker(
    signer: &AddedSigner,
    tasks: &[Task],
    step: &str,
    timers: Option<&TimersDef>,
    data: &Value,
    ctx: &Context<'_>,
) -> NewTask {
    let theirs = tasks
        .iter()
        .filter(|t| t.step == step && t.assignee.key == signer.holder_key)
        .filter(|t| t.action.as_deref() == Some(ADD_SIGNER))
        .max_by_key(|t| t.created_at);
    let (unit, unit_path, role, due_at) = match theirs {
        Some(t) => (
            t.assignee.unit.clone(),
            t.assignee.unit_path.clone(),
            t.assignee.role.clone(),
            t.due_at,
        ),
        None => (String::new(), String::new(), None, None),
    };
    let timers = timers_before(timers, data, ctx, due_at);
    NewTask {
        step: step.to_string(),
        assignee: Assignee {
            key: signer.holder_key.clone(),
            role,
            unit,
            unit_path,
            user: Some(signer.asker.clone()),
        },
        due_at,
        timers,
    }
}

/// Whether `login` may be given a task of the instance's current step (by a
/// transfer or as an added signer): never its creator, who never decides on
/// their own matter, nor the one handing it on, nor one who has a task of
/// the step already. `field` is the request's name for the person.
fn newcomer(
    field: &str,
    login: &str,
    instance: &Instance,
    actor: &str,
    open_here: &[&Task],
) -> Result<(), ModelError> {
    if login == instance.creator {
        return Err(ModelError::invalid(field, Problem::CreatorCannotHold));
    }
    let holds_here = open_here
        .iter()
        .any(|t| t.assignee.user.as_deref() == Some(login));
    if login == actor || holds_here {
        return Err(ModelError::invalid(field, Problem::HoldsItAlready));
    }
    Ok(())
}

/// Whether `login` could hold a task of assignee `a` by their grants: the
/// task's role at its unit or above.
pub fn could_hold(a: &Assignee, login: &str, ctx: &Context<'_>) -> bool {
    a.role
        .as_ref()
        .is_some_and(|role| ctx.org.holders(role, &a.unit_path).contains(&login))
}

/// Validates and stores the data an action carries.
fn apply_action_data(
    def: &Definition,
    step: &str,
    action: &str,
    adef: &ActionDef,
    data: Option<&Value>,
    inst: &mut Instance,
    today: NaiveDate,
) -> Result<(), ModelError> {
    let data = data.filter(|d| !d.is_null() && d.as_object().is_none_or(|o| !o.is_empty()));
    if adef.amend_data {
        if let Some(patch) = data {
            if !patch.is_object() {
                return Err(ModelError::invalid("data", Problem::NotObject));
            }
            let fixed = def
                .fields
                .iter()
                .filter(|(_, s)| s.readonly)
                .map(|(k, _)| k.as_str())
                .chain(std::iter::once(def.org_field.as_str()));
            for field in fixed {
                if let Some(v) = fields::get_path(patch, field) {
                    if Some(v) != fields::get_path(&inst.data, field) {
                        return Err(ModelError::invalid(format!("data.{field}"), Problem::Immutable));
                    }
                }
            }
            let mut merged = inst.data.clone();
            merge(&mut merged, patch);
            inst.data = fields::validate(&def.fields, &merged, "data", today)?;
        }
        return Ok(());
    }
    if adef.data.is_empty() {
        if data.is_some() {
            return Err(ModelError::invalid(
                "data",
                Problem::TakesNoData {
                    action: action.to_string(),
                },
            ));
        }
        return Ok(());
    }
    let empty = Value::Object(Default::default());
    let checked = fields::validate(&adef.data, data.unwrap_or(&empty), "data", today)?;
    let key = adef.data_key.as_deref().unwrap_or(step);
    set_path(&mut inst.data, key, checked);
    Ok(())
}

/// What entering steps produced along the way.
#[derive(Default)]
struct Outcome {
    close: Vec<TaskClose>,
    open: Vec<NewTask>,
    effects: Vec<Effect>,
    notes: Vec<String>,
}

impl Outcome {
    fn cancel_all(&mut self, tasks: &[&Task]) {
        for t in tasks {
            self.close.push(TaskClose {
                task_id: t.id.clone(),
                status: TaskStatus::Cancelled,
                action: None,
                comment: None,
                actor: None,
                on_behalf_of: None,
            });
        }
    }

    fn note(&self) -> Option<String> {
        (!self.notes.is_empty()).then(|| self.notes.join("; "))
    }
}

/// Moves the instance into `name` (a step or an end), following automatic
/// routes and auto-passes until it rests in a human step or an end.
fn enter(
    def: &Definition,
    inst: &mut Instance,
    name: &str,
    tasks: &[Task],
    ctx: &Context<'_>,
    out: &mut Outcome,
) -> Result<(), ModelError> {
    let mut name = name.to_string();
    // Definitions are validated, but a route cycle must still not hang a request.
    for _ in 0..64 {
        if let Some(end) = def.end(&name) {
            inst.step = name.clone();
            inst.status = Status::Completed;
            inst.outcome = Some(name.clone());
            if let Some(set) = &end.set_body {
                let start = get_str(&inst.data, &set.term_start)
                    .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                    .unwrap_or(ctx.today);
                let end = start
                    .checked_add_months(chrono::Months::new(12 * set.years))
                    .unwrap_or(start);
                out.effects.push(Effect::SetBody {
                    org_unit: inst.org_unit.clone(),
                    body: crate::directory::Body {
                        term_start: start,
                        term_end: end,
                        congress_date: None,
                    },
                });
            }
            if let Some(add) = &end.add_member {
                let read = |path: &str| get_str(&inst.data, path).unwrap_or_default().to_string();
                let since = add
                    .since
                    .as_deref()
                    .and_then(|p| get_str(&inst.data, p))
                    .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                    .unwrap_or(ctx.today);
                out.effects.push(Effect::AddMember(Member {
                    org_unit: inst.org_unit.clone(),
                    name: read(&add.name),
                    sector: read(&add.sector),
                    post: read(&add.post),
                    mode: read(&add.mode),
                    since,
                    term_end: ctx.org.body.as_ref().map(|b| b.term_end),
                    instance_id: Some(inst.id.clone()),
                    chief: true,
                    employer: None,
                    position: None,
                    left_on: None,
                    left_reason: None,
                }));
            }
            return Ok(());
        }
        let step = def
            .step(&name)
            .ok_or_else(|| ModelError::Conflict(Refusal::UnknownStep { step: name.clone() }))?;
        inst.step = name.clone();
        if step.is_route() {
            let mut chosen = None;
            let mut declined = Vec::new();
            for r in &step.route {
                match &r.when {
                    None => {
                        let why = if declined.is_empty() {
                            "otherwise".to_string()
                        } else {
                            format!("otherwise ({})", declined.join("; "))
                        };
                        chosen = Some((r.to.to_string(), why));
                        break;
                    }
                    Some(when) => {
                        let (holds, reason) = holds(def, when, &inst.data, ctx)?;
                        if holds {
                            chosen = Some((r.to.to_string(), reason));
                            break;
                        }
                        declined.push(format!("not {}: {reason}", when.as_str()));
                    }
                }
            }
            let (to, reason) =
                chosen.ok_or_else(|| ModelError::Conflict(Refusal::NoRoute { step: name.clone() }))?;
            out.notes.push(format!("{name} → {to}: {reason}"));
            name = to;
            continue;
        }
        if !step.keep_completed {
            inst.completed.remove(&name);
        }
        let assignees = resolve_step(def, &name, inst, ctx)?;
        let (kept, pending) = split_completed(inst, &name, assignees);
        let before = inst.completed.get(&name).map_or(0, Vec::len);
        let mut pending = screen(def, inst, &name, pending, tasks, ctx, Some(&mut out.notes))?;
        let passed = inst.completed.get(&name).map_or(0, Vec::len) - before;
        let done = kept + passed;
        if pending.is_empty() || (done > 0 && done >= step.sign_off.needed(done + pending.len())) {
            let Some(next) = &step.next else {
                return Err(ModelError::Conflict(Refusal::Nobody {
                    step: name.clone(),
                    unit: inst.org_unit.clone(),
                }));
            };
            if kept > 0 {
                out.notes.push(format!(
                    "{name} skipped: {kept} assignee(s) had already completed it, enough for its sign-off"
                ));
            } else if passed == 0 {
                out.notes.push(format!("{name} skipped: no one is left to ask"));
            }
            name = next.to_string();
            continue;
        }
        if step.sign_off == SignOff::Sequential {
            pending.truncate(1);
        }
        open_tasks(&name, step.timers.as_ref(), pending, &inst.data, ctx, out);
        return Ok(());
    }
    Err(ModelError::Conflict(Refusal::RoutesInCycle))
}

/// Who holds an assignee's task: its user, or whoever holds its role at its unit or above.
pub fn holders_of<'c>(a: &'c Assignee, ctx: &'c Context<'_>) -> Vec<&'c str> {
    match (&a.user, &a.role) {
        (Some(user), _) => vec![user.as_str()],
        (None, Some(role)) => ctx.org.holders(role, &a.unit_path),
        (None, None) => Vec::new(),
    }
}

/// The pending assignees of `step` that still need a task: those whose role
/// nobody holds are skipped, refused or replaced as the step's `no_holder`
/// says, and those its `auto_pass` names are counted as completed. With
/// `notes`, each pass and skip is written there for the history.
#[allow(clippy::too_many_arguments)]
fn screen(
    def: &Definition,
    inst: &mut Instance,
    step: &str,
    pending: Vec<Assignee>,
    tasks: &[Task],
    ctx: &Context<'_>,
    mut notes: Option<&mut Vec<String>>,
) -> Result<Vec<Assignee>, ModelError> {
    let sdef = def.step(step).ok_or_else(|| {
        ModelError::Conflict(Refusal::UnknownStep {
            step: step.to_string(),
        })
    })?;
    let mut note = |text: String| {
        if let Some(n) = notes.as_deref_mut() {
            n.push(text);
        }
    };
    // Read only by `approved_before`, and every entered step screens.
    let approvers = if sdef.auto_pass.contains(&AutoPass::ApprovedBefore) {
        earlier_approvers(def, step, tasks)
    } else {
        Vec::new()
    };
    let mut waiting = Vec::new();
    for mut a in pending {
        let mut holders: Vec<String> = holders_of(&a, ctx).into_iter().map(str::to_string).collect();
        if holders.is_empty() {
            let nobody = |a: &Assignee| {
                ModelError::Directory(Refusal::NoHolder {
                    step: step.to_string(),
                    role: a.role.as_ref().map(|r| r.to_string()).unwrap_or_default(),
                    unit: a.unit.clone(),
                    unit_name: ctx.org.unit_name(&a.unit).to_string(),
                })
            };
            match &sdef.no_holder {
                NoHolder::Refuse => return Err(nobody(&a)),
                NoHolder::Skip => {
                    note(format!("{step}: {} skipped: nobody holds it", a.key));
                    continue;
                }
                NoHolder::EscalateTo(spec) => {
                    let to = resolve_role(spec, inst, ctx)?.ok_or_else(|| nobody(&a))?;
                    holders = holders_of(&to, ctx).into_iter().map(str::to_string).collect();
                    if holders.is_empty() {
                        return Err(nobody(&to));
                    }
                    note(format!("{step}: nobody holds {}: sent to {}", a.key, to.key));
                    a = to;
                }
            }
        }
        let pass = if sdef.auto_pass.contains(&AutoPass::Creator) && holders.contains(&inst.creator) {
            Some(format!(
                "{step}: {} passed: its holder {} started this instance",
                a.key, inst.creator
            ))
        } else if sdef.auto_pass.contains(&AutoPass::ApprovedBefore) {
            holders.iter().find(|h| approvers.contains(h)).map(|h| {
                format!(
                    "{step}: {} passed: its holder {h} approved an earlier step",
                    a.key
                )
            })
        } else {
            None
        };
        match pass {
            Some(reason) => {
                note(reason);
                let done = inst.completed.entry(step.to_string()).or_default();
                if !done.contains(&a.key) {
                    done.push(a.key.clone());
                }
            }
            None => waiting.push(a),
        }
    }
    Ok(waiting)
}

/// Who completed their part (an action with `complete: true`) of a step
/// other than `step`: the actor, and whom they stood for as a delegate.
fn earlier_approvers(def: &Definition, step: &str, tasks: &[Task]) -> Vec<String> {
    tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Done && t.step != step)
        .filter(|t| {
            let action = t.action.as_deref().unwrap_or_default();
            def.step(&t.step)
                .and_then(|s| s.actions.get(action))
                .is_some_and(|a| a.complete)
        })
        .flat_map(|t| t.actor.iter().chain(&t.on_behalf_of).cloned())
        .collect()
}

/// How many of a step's `assignees` completed it already (kept from an
/// earlier round), and the others, in `assign` order.
fn split_completed(inst: &Instance, step: &str, assignees: Vec<Assignee>) -> (usize, Vec<Assignee>) {
    let already = inst.completed.get(step).map(Vec::as_slice).unwrap_or_default();
    let pending: Vec<Assignee> = assignees
        .iter()
        .filter(|a| !already.contains(&a.key))
        .cloned()
        .collect();
    (assignees.len() - pending.len(), pending)
}

/// Opens one task per assignee in `step`, each with the step's clock.
fn open_tasks(
    step: &str,
    timers: Option<&TimersDef>,
    assignees: Vec<Assignee>,
    data: &Value,
    ctx: &Context<'_>,
    out: &mut Outcome,
) {
    let (due_at, timers) = task_clock(timers, data, ctx);
    out.open.extend(assignees.into_iter().map(|assignee| NewTask {
        step: step.to_string(),
        assignee,
        due_at,
        timers: timers.clone(),
    }));
}

/// The due date and timers of a task opened now in a step with `timers`.
fn task_clock(
    timers: Option<&TimersDef>,
    data: &Value,
    ctx: &Context<'_>,
) -> (Option<DateTime<Utc>>, Vec<NewTimer>) {
    let Some(t) = timers else {
        return (None, Vec::new());
    };
    let cal = ctx.calendar;
    let Some(due) = t.due_at(cal, ctx.now, data) else {
        return (None, Vec::new());
    };
    (Some(due), clock_from(t, data, ctx, due))
}

/// The reminders, escalation and timeout of a task due at `due`.
fn clock_from(t: &TimersDef, data: &Value, ctx: &Context<'_>, due: DateTime<Utc>) -> Vec<NewTimer> {
    let cal = ctx.calendar;
    let mut out = Vec::new();
    for span in t.reminders(data) {
        {
            let at = cal.before(due, span);
            // A reminder whose moment has passed already would only be noise.
            if at > ctx.now {
                out.push(NewTimer {
                    kind: TimerKind::Remind,
                    fire_at: at,
                });
            }
        }
    }
    if let Some(span) = t.escalate_after.as_ref().and_then(|s| Span::parse(s).ok()) {
        out.push(NewTimer {
            kind: TimerKind::Escalate,
            fire_at: cal.after(due, span),
        });
    }
    if let Some(span) = t.timeout_after.as_ref().and_then(|s| Span::parse(s).ok()) {
        out.push(NewTimer {
            kind: TimerKind::Timeout,
            fire_at: cal.after(due, span),
        });
    }
    out
}

/// The timers still ahead of a task whose due date is `due`: a task handed
/// on keeps its clock, and a reminder already past is not sent again.
fn timers_before(
    timers: Option<&TimersDef>,
    data: &Value,
    ctx: &Context<'_>,
    due: Option<DateTime<Utc>>,
) -> Vec<NewTimer> {
    let (Some(t), Some(due)) = (timers, due) else {
        return Vec::new();
    };
    clock_from(t, data, ctx, due)
        .into_iter()
        .filter(|timer| timer.fire_at > ctx.now)
        .collect()
}

/// Whether a workflow's condition holds for an instance with `data`, and
/// why: the reasons of the facts it names.
pub fn holds(
    def: &Definition,
    when: &str,
    data: &Value,
    ctx: &Context<'_>,
) -> Result<(bool, String), ModelError> {
    let scope = def.condition_scope();
    let mut facts = BTreeMap::new();
    let mut reasons = Vec::new();
    for fact in scope.facts {
        let (value, reason) = evaluate_fact(fact, ctx);
        facts.insert(*fact, value);
        if mentions(when, fact) {
            reasons.push(reason);
        }
    }
    let paths: Vec<&str> = scope.fields.keys().map(String::as_str).collect();
    let value = crate::condition::evaluate(when, data, &paths, &facts).map_err(|detail| {
        ModelError::Conflict(Refusal::ConditionFailed {
            condition: when.to_string(),
            detail,
        })
    })?;
    let reason = if reasons.is_empty() {
        format!("{when}: {value}")
    } else {
        reasons.join("; ")
    };
    Ok((value, reason))
}

/// Whether `text` names `word` as a whole identifier.
fn mentions(text: &str, word: &str) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w == word)
}

/// A named fact and the reason it holds or not.
pub fn evaluate_fact(fact: &str, ctx: &Context<'_>) -> (bool, String) {
    match fact {
        "congress_due" => match &ctx.org.body {
            None => (false, "the unit has no body on record".into()),
            Some(body) => {
                if let Some(d) = body.congress_date.filter(|d| *d >= ctx.today) {
                    return (true, format!("congress scheduled on {d}"));
                }
                let horizon = ctx
                    .today
                    .checked_add_days(Days::new(ctx.congress_window_days))
                    .unwrap_or(NaiveDate::MAX);
                if body.term_end <= horizon {
                    (
                        true,
                        format!(
                            "term ends {}, within {} days",
                            body.term_end, ctx.congress_window_days
                        ),
                    )
                } else {
                    (false, format!("mid-term: term ends {}", body.term_end))
                }
            }
        },
        "target_is_township" => {
            let holds = Level::Township.matches(ctx.org.target().kind);
            (holds, format!("the unit is a {}", ctx.org.target().kind))
        }
        other => (false, format!("unknown fact {other}")),
    }
}

/// The assignees of a step for this instance, resolved from the directory.
pub fn resolve_step(
    def: &Definition,
    step: &str,
    inst: &Instance,
    ctx: &Context<'_>,
) -> Result<Vec<Assignee>, ModelError> {
    let sdef = def.step(step).ok_or_else(|| {
        ModelError::Conflict(Refusal::UnknownStep {
            step: step.to_string(),
        })
    })?;
    let mut out: Vec<Assignee> = Vec::new();
    for spec in &sdef.assign {
        if let Some(when) = &spec.when {
            if !holds(def, when, &inst.data, ctx)?.0 {
                continue;
            }
        }
        let a = if spec.is_creator() {
            Some(Assignee {
                key: "creator".into(),
                role: None,
                unit: inst.org_unit.clone(),
                unit_path: inst.org_path.clone(),
                user: Some(inst.creator.clone()),
            })
        } else {
            resolve_role(spec, inst, ctx)?
        };
        if let Some(a) = a {
            if !out.iter().any(|o| o.key == a.key) {
                out.push(a);
            }
        }
    }
    if out.is_empty() {
        return Err(ModelError::Directory(Refusal::Nobody {
            step: step.to_string(),
            unit: inst.org_unit.clone(),
        }));
    }
    Ok(out)
}

/// Resolves one role assignment for an instance; `None` when it does not apply.
pub fn resolve_role(
    r: &AssignSpec,
    inst: &Instance,
    ctx: &Context<'_>,
) -> Result<Option<Assignee>, ModelError> {
    let role: Role = r.role.parse().map_err(|_: String| {
        ModelError::Directory(Refusal::UnknownRole {
            role: r.role.to_string(),
        })
    })?;
    let Some(dept) = &r.department else {
        let level = r.unit.unwrap_or(Level::Target);
        let unit = ctx.org.at_level(level).ok_or_else(|| {
            ModelError::Directory(Refusal::NoLevel {
                unit: inst.org_unit.clone(),
                level: format!("{level:?}"),
            })
        })?;
        return Ok(Some(Assignee {
            key: format!("{role}@{}", unit.code),
            role: Some(role.clone()),
            unit: unit.code.clone(),
            unit_path: unit.path.clone(),
            user: None,
        }));
    };
    let level = r.of.unwrap_or(Level::Target);
    let Some(unit) = ctx.org.at_level(level) else {
        return Ok(None);
    };
    let function_text = match template_field(dept) {
        Some(field) => get_str(&inst.data, field).unwrap_or_default(),
        None => dept.as_str(),
    };
    let found = function_text
        .parse::<DeptFunction>()
        .ok()
        .and_then(|f| ctx.org.department(unit, &f));
    match found {
        Some(d) => Ok(Some(Assignee {
            key: format!("{role}@{}", d.code),
            role: Some(role.clone()),
            unit: d.code.clone(),
            unit_path: d.path.clone(),
            user: None,
        })),
        None if r.optional => Ok(None),
        None => Err(ModelError::Directory(Refusal::NoDepartment {
            unit: unit.code.clone(),
            unit_name: unit.name.clone(),
            function: function_text.to_string(),
        })),
    }
}

/// How `actor` may withdraw the active `instance` (撤回), or why not: only
/// its creator, only in the steps the workflow lists.
pub fn withdrawal<'d>(
    def: &'d Definition,
    instance: &Instance,
    actor: &str,
) -> Result<&'d WithdrawDef, ModelError> {
    let w = def
        .withdraw
        .as_ref()
        .ok_or(ModelError::NotAllowed(Refusal::NoWithdraw))?;
    if actor != instance.creator {
        return Err(ModelError::Forbidden(Refusal::OnlyCreatorWithdraws));
    }
    if !w.steps.iter().any(|s| s.as_str() == instance.step) {
        return Err(ModelError::NotAllowed(Refusal::NotWithdrawableHere {
            step: instance.step.clone(),
        }));
    }
    Ok(w)
}

/// The history entry that sent the instance back to the step it is at (退回,
/// 有异议), if that is why it is there: the last entry whose action moves
/// the instance is one that needs an opinion, taken in another step, and
/// the instance is still active.
pub fn sent_back<'h>(
    def: &Definition,
    inst: &Instance,
    history: &'h [crate::audit::StoredEntry],
) -> Option<&'h crate::audit::StoredEntry> {
    if inst.status != Status::Active {
        return None;
    }
    sent_back_to(def, &inst.step, history)
}

/// [`sent_back`] for an active instance at `step` (an open task's own).
pub fn sent_back_to<'h>(
    def: &Definition,
    step: &str,
    history: &'h [crate::audit::StoredEntry],
) -> Option<&'h crate::audit::StoredEntry> {
    let action =
        |h: &crate::audit::StoredEntry| def.step(&h.step).and_then(|st| st.actions.get(h.action.as_str()));
    let last = history
        .iter()
        .rev()
        .find(|h| action(h).is_some_and(|a| a.to.is_some()))?;
    let needs_opinion = action(last).is_some_and(|a| a.comment == CommentRule::Required);
    (needs_opinion && last.step != step && last.comment.is_some()).then_some(last)
}

/// The actions a task offers in the step it belongs to.
pub fn task_actions(def: &Definition, task: &Task) -> Vec<String> {
    if task.status != TaskStatus::Open {
        return Vec::new();
    }
    def.step(&task.step)
        .map(|s| s.actions.keys().map(|k| k.to_string()).collect())
        .unwrap_or_default()
}
