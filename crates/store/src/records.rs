//! The records the store reads and writes, beyond the model's own types.

use chrono::{DateTime, Utc};
use naxian_model::directory::Role;
use naxian_model::machine::{Effect, Instance, Task, TaskClose, TimerKind};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct UserRecord {
    pub login: String,
    pub name: String,
    pub email: String,
    /// PHC string (argon2id).
    pub password_hash: String,
    /// A global administrator (bootstrap), beyond any `admin` grant.
    pub is_admin: bool,
    /// Wants a daily e-mail listing their open tasks.
    pub digest: bool,
    /// A phone number for the liaison list; personal data, which the log
    /// writer masks (`naxian::logging`).
    #[serde(default)]
    pub phone: Option<String>,
    /// 职务, or the department a liaison works in (责任部门).
    #[serde(default)]
    pub position: Option<String>,
    /// The password was set by an administrator: the user must change it.
    #[serde(default)]
    #[sqlx(default)]
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub org_unit: String,
    /// The path of the unit, so that coverage is a prefix test.
    pub org_path: String,
    /// What the role lets its holder do beyond tasks, as the catalogue says
    /// at the time of reading.
    pub may: Vec<naxian_model::Capability>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// sha256 of the token; the token itself is never stored.
    pub hash: String,
    pub login: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A current or past member of a body.
/// A member of a body as stored, with the row's id (the handle to leave by).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRecord {
    pub id: i64,
    pub member: naxian_model::machine::Member,
}

impl MemberRecord {
    /// `appointment` for a member an appointment made, `entered` for one
    /// entered by hand or imported.
    pub fn source(&self) -> &'static str {
        if self.member.instance_id.is_some() {
            "appointment"
        } else {
            "entered"
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct WorkflowRecord {
    pub name: String,
    pub version: i64,
    pub title: String,
    pub source: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    Inserted,
    /// The same version with the same source was already there.
    Unchanged,
}

/// An instance as stored: the model's state plus the head of its audit chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRecord {
    pub instance: Instance,
    pub audit_seq: i64,
    pub audit_head: String,
    /// The directory's generation when this was read (migration 0014):
    /// what was read of the directory at that generation or later still holds.
    pub directory_generation: i64,
}

/// An instance as a transition or a page needs it: the record, every task
/// (by creation) and the history (by sequence), read together.
#[derive(Debug, Clone)]
pub struct InstanceState {
    pub record: InstanceRecord,
    pub tasks: Vec<naxian_model::Task>,
    pub history: Vec<HistoryRecord>,
}

/// Which instance [`crate::Store::instance_state`] reads.
#[derive(Debug, Clone, Copy)]
pub enum InstanceKey<'a> {
    Id(&'a str),
    /// The instance one of whose tasks has this id.
    Task(&'a str),
}

/// One audit history entry.
pub type HistoryRecord = naxian_model::audit::StoredEntry;

#[derive(Debug, Clone, Default)]
pub struct InstanceFilter {
    pub workflow: Option<String>,
    pub status: Option<String>,
    /// Only instances of this unit or below it (a path prefix).
    pub under_path: Option<String>,
    /// Only instances this user may see; `None` for an administrator.
    pub visible_to: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// A task with what an inbox shows of its instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    pub task: Task,
    pub workflow: String,
    pub version: i64,
    pub org_unit: String,
    /// The unit's name, for the page.
    pub unit_name: String,
    /// The instance's data, from which the page's summary is made.
    pub data: serde_json::Value,
    /// Who started the instance.
    pub creator: String,
}

/// A pending reminder, escalation or timeout of a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerRecord {
    pub id: String,
    pub instance_id: String,
    pub task_id: String,
    pub kind: TimerKind,
    pub fire_at: DateTime<Utc>,
    /// The task's timers after this one, by time: a task has one timer row
    /// at a time, and completing it writes the next (if the task is open).
    pub later: Vec<LaterTimer>,
}

/// A timer of a task still to come after the one pending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaterTimer {
    pub id: String,
    pub kind: TimerKind,
    pub fire_at: DateTime<Utc>,
}

/// Someone an e-mail goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub name: String,
    pub email: String,
}

/// An e-mail to send: written in the same transaction as the change that
/// caused it, rendered and sent later by the dispatcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: String,
    /// At most one message per key is ever queued.
    pub dedupe_key: String,
    pub recipients: Vec<Recipient>,
    pub template: String,
    pub params: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// The login that also reads this in the app, as a notice (消息), under
    /// the same key; `None` for e-mail only (the daily digest). Not read
    /// back from the outbox.
    pub notice_for: Option<String>,
}

impl OutboxMessage {
    /// The instance and the task it is about, as its parameters name them
    /// (the notice's columns, for marking read and purging).
    pub fn about(&self) -> (Option<&str>, Option<&str>) {
        let text = |k: &str| self.params.get(k).and_then(|v| v.as_str());
        (text("instance_id"), text("task_id"))
    }
}

/// A notice (消息): what a user was told, kept in the app beside the e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRecord {
    pub id: String,
    pub login: String,
    /// The e-mail template it was sent with (`task_assigned`, `copy`…): its kind.
    pub template: String,
    pub params: serde_json::Value,
    pub instance_id: Option<String>,
    pub task_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// Which of a user's notices to mark read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticesRead<'a> {
    One(&'a str),
    /// Those about a task, when it is opened.
    OfTask(&'a str),
    All,
}

/// An outbox row with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRecord {
    pub message: OutboxMessage,
    /// `pending`, `sent` or `dead`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// One transition to persist: the instance's new state, task changes, the
/// audit entry, effects, timers and e-mails, all in one transaction.
#[derive(Debug, Clone)]
pub struct Change {
    pub instance: Instance,
    /// For a new instance: a key no other instance may have (one report per city and month).
    pub unique_key: Option<String>,
    /// `None` to insert a new instance; else the revision it was read at.
    pub expected_revision: Option<i64>,
    /// The directory's generation the decision read the directory at: the
    /// write is refused if it has moved on since. `None` checks nothing.
    pub expected_generation: Option<i64>,
    pub close: Vec<TaskClose>,
    pub open: Vec<Task>,
    pub history: HistoryRecord,
    pub effects: Vec<Effect>,
    /// The first timer of each opened task (carrying the rest of its chain).
    pub timers: Vec<TimerRecord>,
    /// Tasks whose pending timer ends with this change (those it closes).
    pub cancel_timers_of: Vec<String>,
    pub outbox: Vec<OutboxMessage>,
    pub at: DateTime<Utc>,
    /// The response to the request that made this change, recorded under
    /// its Idempotency-Key in the same transaction.
    pub idempotency: Option<IdempotencyDone>,
}

/// A finished request's response, for its key's row in `idempotency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyDone {
    pub login: String,
    pub key: String,
    pub status: u16,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyState {
    /// First use of the key: go ahead, then finish or abort.
    Started,
    /// Done before with the same request: replay this.
    Completed { status: u16, body: String },
    /// The same key is being processed right now.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// One schedule slot as recorded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SlotRecord {
    pub schedule: String,
    pub slot: DateTime<Utc>,
    /// `pending`, `done` or `skipped`.
    pub status: String,
    pub fired_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

/// A deadline campaign: one task per target unit with a common due date.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CampaignRecord {
    pub id: String,
    /// The workflow each target's instance is of.
    pub workflow: String,
    pub title: String,
    pub due_at: DateTime<Utc>,
    #[sqlx(json)]
    pub remind_before: Vec<String>,
    #[sqlx(json)]
    pub targets: Vec<String>,
    /// The workflow's own fields every target's instance starts with (a
    /// census's reference date).
    #[sqlx(json)]
    pub data: serde_json::Value,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// A browser session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRecord {
    /// sha256 of the cookie value; the value itself is never stored.
    pub id_hash: String,
    pub login: String,
    /// The token every form of this session must carry.
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// A user holding a role at a unit, with what a contact list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub unit: naxian_model::directory::OrgUnit,
    pub role: Role,
    pub login: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub position: Option<String>,
}

/// A file attached to an instance, without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AttachmentRecord {
    pub id: String,
    pub instance_id: String,
    /// The workflow's attachment slot it was uploaded into, if any.
    pub slot: Option<String>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
}

/// Directory rows written together by an import: all or none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryBatch {
    /// Parents before their children.
    pub units: Vec<naxian_model::directory::OrgUnit>,
    pub bodies: Vec<(String, naxian_model::directory::Body)>,
    pub users: Vec<UserRecord>,
    /// (login, role, org unit code).
    pub grants: Vec<(String, Role, String)>,
    /// Members already on a body (not made by an appointment).
    pub members: Vec<naxian_model::machine::Member>,
    /// Seat plans of bodies, by unit code.
    pub seats: Vec<(String, naxian_model::seats::Seats)>,
}

/// One read of personal data: who, when, which instance (none for a list or
/// an export of many), and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AccessRecord {
    pub at: DateTime<Utc>,
    pub login: String,
    pub instance_id: Option<String>,
    pub what: String,
}
