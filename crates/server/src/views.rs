//! The JSON shapes of API.md as types, built from engine and store types:
//! the handlers answer with them, and the OpenAPI document describes them
//! (`openapi`). Times are RFC 3339 in Asia/Shanghai.

use crate::openapi::names;
use chrono::{DateTime, SecondsFormat, Utc};
use naxian_engine::clock::shanghai;
use naxian_engine::InstanceView;
use naxian_model::directory::{Body as ModelBody, OrgKind, OrgUnit as ModelUnit};
use naxian_model::machine::task_actions;
use naxian_model::{Definition, Status, Task as ModelTask, TaskStatus};
use naxian_store::{AttachmentRecord, HistoryRecord, InboxRow, MemberRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

pub fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&shanghai())
        .to_rfc3339_opts(SecondsFormat::Millis, false)
}

#[derive(Serialize, ToSchema)]
pub struct InstanceSummary {
    id: String,
    workflow: String,
    version: i64,
    step: String,
    #[schema(schema_with = names::<Status>)]
    status: Status,
    outcome: Option<String>,
    org_unit: String,
    creator: String,
    #[schema(value_type = Object)]
    data: Value,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

pub fn instance_summary(i: &naxian_model::Instance) -> InstanceSummary {
    InstanceSummary {
        id: i.id.clone(),
        workflow: i.workflow.clone(),
        version: i.version,
        step: i.step.clone(),
        status: i.status,
        outcome: i.outcome.clone(),
        org_unit: i.org_unit.clone(),
        creator: i.creator.clone(),
        data: i.data.clone(),
        created_at: time(i.created_at),
        updated_at: time(i.updated_at),
    }
}

/// Who a task is for: a role at a unit, or one user.
#[derive(Serialize, ToSchema)]
pub struct Assignee {
    #[schema(schema_with = crate::openapi::catalogue_name_or_null)]
    role: Option<String>,
    unit: String,
    user: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Task {
    #[serde(flatten)]
    core: TaskCore,
    /// The actions it offers (none once it is closed).
    actions: Vec<String>,
    /// In a delegate's inbox (代理): the login of whom the task is theirs for;
    /// on a task a delegate completed: whom they stood for.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    on_behalf_of: Option<String>,
}

/// A task without what it offers: the part a list row and a task's own view share.
#[derive(Serialize, ToSchema)]
pub struct TaskCore {
    id: String,
    instance_id: String,
    workflow: String,
    step: String,
    /// The workflow's and the step's titles (`三长任职：征求意见`).
    title: String,
    org_unit: String,
    assignee: Assignee,
    #[schema(format = DateTime)]
    due_at: Option<String>,
    #[schema(schema_with = names::<TaskStatus>)]
    status: TaskStatus,
    /// A closed task: the action it was closed with.
    action: Option<String>,
    comment: Option<String>,
    actor: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    completed_at: Option<String>,
}

pub fn task(def: &Definition, t: &ModelTask, workflow: &str, org_unit: &str) -> Task {
    task_of(t, workflow, org_unit, &task_title(def, t), &task_actions(def, t))
}

/// The workflow's and the step's titles (`三长任职：征求意见`).
pub fn task_title(def: &Definition, t: &ModelTask) -> String {
    let step_title = def
        .step(&t.step)
        .and_then(|s| s.title.clone())
        .unwrap_or_else(|| t.step.clone());
    format!("{}：{step_title}", def.title)
}

fn task_of(t: &ModelTask, workflow: &str, org_unit: &str, title: &str, actions: &[String]) -> Task {
    Task {
        core: task_core(t, workflow, org_unit, title),
        actions: actions.to_vec(),
        on_behalf_of: t.on_behalf_of.clone(),
    }
}

/// A task's own fields; `title` is the workflow's and the step's.
pub fn task_core(t: &ModelTask, workflow: &str, org_unit: &str, title: &str) -> TaskCore {
    TaskCore {
        id: t.id.clone(),
        instance_id: t.instance_id.clone(),
        workflow: workflow.to_string(),
        step: t.step.clone(),
        title: title.to_string(),
        org_unit: org_unit.to_string(),
        assignee: Assignee {
            role: t.assignee.role.as_ref().map(|r| r.to_string()),
            unit: t.assignee.unit.clone(),
            user: t.assignee.user.clone(),
        },
        due_at: t.due_at.map(time),
        status: t.status,
        action: t.action.clone(),
        comment: t.comment.clone(),
        actor: t.actor.clone(),
        created_at: time(t.created_at),
        completed_at: t.completed_at.map(time),
    }
}

pub fn inbox_row(row: &InboxRow, actions: &[String], title: &str, on_behalf_of: Option<&str>) -> Task {
    let task = task_of(&row.task, &row.workflow, &row.org_unit, title, actions);
    Task {
        on_behalf_of: on_behalf_of.map(str::to_string).or(task.on_behalf_of.clone()),
        ..task
    }
}

/// One link of an instance's audit chain.
#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    seq: i64,
    #[schema(format = DateTime)]
    at: String,
    actor: String,
    step: String,
    action: String,
    comment: Option<String>,
    note: Option<String>,
    /// A delegate's action (代理): whom the actor stood for.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    on_behalf_of: Option<String>,
    /// sha256 over this entry and the one before it.
    hash: String,
}

/// What one submission sent, with its history entry.
#[derive(Serialize, ToSchema)]
pub struct DataVersion {
    /// 1 for the first submission.
    number: usize,
    entry: HistoryEntry,
    #[schema(value_type = Object)]
    data: Value,
}

pub fn data_version(v: &naxian_engine::versions::DataVersion) -> DataVersion {
    DataVersion {
        number: v.number,
        entry: history_entry(&v.entry),
        data: v.data.clone(),
    }
}

fn history_entry(h: &HistoryRecord) -> HistoryEntry {
    HistoryEntry {
        seq: h.seq,
        at: time(h.at),
        actor: h.actor.clone(),
        step: h.step.clone(),
        action: h.action.clone(),
        comment: h.comment.clone(),
        note: h.note.clone(),
        on_behalf_of: h.on_behalf_of.clone(),
        hash: h.hash.clone(),
    }
}

/// An instance with its tasks and its history.
#[derive(Serialize, ToSchema)]
pub struct Instance {
    #[serde(flatten)]
    summary: InstanceSummary,
    tasks: Vec<Task>,
    history: Vec<HistoryEntry>,
    /// What the people acting on it should know and was let through: a
    /// nomination for a post with no free seat (`no_free_seat`). Only on
    /// the answers to starting and reading an instance.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<Warning>,
}

/// Something let through that a person should weigh.
#[derive(Serialize, ToSchema)]
pub struct Warning {
    #[schema(pattern = "^no_free_seat$")]
    code: &'static str,
    message: String,
    field: String,
}

/// An instance with the warnings it carries.
pub fn instance_warned(v: &InstanceView, warnings: &[naxian_engine::seats::SeatWarning]) -> Instance {
    let mut out = instance(v);
    out.warnings = warnings
        .iter()
        .map(|w| Warning {
            code: "no_free_seat",
            message: format!(
                "the post {} has no free seat: {} of {} taken",
                w.label, w.filled, w.seats
            ),
            field: w.field.clone(),
        })
        .collect();
    out
}

pub fn instance(v: &InstanceView) -> Instance {
    let i = &v.instance;
    Instance {
        summary: instance_summary(i),
        tasks: v
            .tasks
            .iter()
            .map(|t| task(&v.definition, t, &i.workflow, &i.org_unit))
            .collect(),
        history: v.history.iter().map(history_entry).collect(),
        warnings: Vec::new(),
    }
}

/// The answer to a task action or a withdrawal.
#[derive(Serialize, ToSchema)]
pub struct InstanceEnvelope {
    instance: Instance,
}

pub fn envelope(v: &InstanceView) -> InstanceEnvelope {
    InstanceEnvelope {
        instance: instance(v),
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrgUnit {
    code: String,
    name: String,
    #[schema(schema_with = names::<OrgKind>)]
    kind: &'static str,
    parent: Option<String>,
    #[schema(schema_with = crate::openapi::catalogue_name_or_null)]
    function: Option<String>,
}

pub fn org_unit(u: &ModelUnit) -> OrgUnit {
    OrgUnit {
        code: u.code.clone(),
        name: u.name.clone(),
        kind: u.kind.as_str(),
        parent: u.parent.clone(),
        function: u.function.as_ref().map(|f| f.to_string()),
    }
}

/// A body's term (换届 dates), as answered and as set.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    #[schema(format = Date)]
    pub term_start: String,
    #[schema(format = Date)]
    pub term_end: String,
    #[schema(format = Date)]
    pub congress_date: Option<String>,
}

pub fn body(b: &ModelBody) -> Body {
    Body {
        term_start: b.term_start.to_string(),
        term_end: b.term_end.to_string(),
        congress_date: b.congress_date.map(|d| d.to_string()),
    }
}

/// A member of a body. `source` says how they came: `appointment` (an
/// appointment made them; `instance_id` names it) or `entered` (entered by
/// hand or imported).
#[derive(Serialize, ToSchema)]
pub struct Member {
    id: i64,
    name: String,
    sector: String,
    post: String,
    mode: String,
    #[schema(format = Date)]
    since: String,
    #[schema(format = Date)]
    term_end: Option<String>,
    instance_id: Option<String>,
    /// One of the three chiefs (三长): only chiefs cover a sector.
    chief: bool,
    #[schema(pattern = "^(appointment|entered)$")]
    source: &'static str,
    employer: Option<String>,
    position: Option<String>,
    /// The day the person left before the term's end, if they did.
    #[schema(format = Date)]
    left_on: Option<String>,
    left_reason: Option<String>,
}

pub fn member(r: &MemberRecord) -> Member {
    let m = &r.member;
    Member {
        id: r.id,
        name: m.name.clone(),
        sector: m.sector.clone(),
        post: m.post.clone(),
        mode: m.mode.clone(),
        since: m.since.to_string(),
        term_end: m.term_end.map(|d| d.to_string()),
        instance_id: m.instance_id.clone(),
        chief: m.chief,
        source: r.source(),
        employer: m.employer.clone(),
        position: m.position.clone(),
        left_on: m.left_on.map(|d| d.to_string()),
        left_reason: m.left_reason.clone(),
    }
}

/// A unit with its body, current members and seat plan.
#[derive(Serialize, ToSchema)]
pub struct OrgUnitDetail {
    #[serde(flatten)]
    unit: OrgUnit,
    body: Option<Body>,
    members: Vec<Member>,
    /// The body's seats per post and how many are filled, if a plan is set.
    seats: Option<SeatPlan>,
}

pub fn org_unit_detail(d: &naxian_engine::UnitDetail) -> OrgUnitDetail {
    OrgUnitDetail {
        unit: org_unit(&d.unit),
        body: d.body.as_ref().map(body),
        members: d.members.iter().map(member).collect(),
        seats: d.seats.as_ref().map(|(plan, uses)| SeatPlan {
            posts: uses
                .iter()
                .map(|u| PostSeats {
                    post: u.post.clone(),
                    seats: u.seats,
                    filled: u.filled,
                    free: u.free(),
                })
                .collect(),
            chief_target: plan.chief_target,
            chiefs: d.members.iter().filter(|m| m.member.chief).count() as u32,
        }),
    }
}

/// A body's seat plan (席位) as set: seats by post value (or label), and
/// optionally how many members should be chiefs (三长).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatsRequest {
    #[schema(value_type = std::collections::BTreeMap<String, u32>)]
    pub posts: std::collections::BTreeMap<String, u32>,
    #[serde(default)]
    pub chief_target: Option<u32>,
}

/// A body's seat plan as answered, each post with its seats filled and free.
#[derive(Serialize, ToSchema)]
pub struct SeatPlan {
    posts: Vec<PostSeats>,
    chief_target: Option<u32>,
    /// Current members who are chiefs.
    chiefs: u32,
}

#[derive(Serialize, ToSchema)]
pub struct PostSeats {
    post: String,
    seats: u32,
    filled: u32,
    free: u32,
}

/// A file attached to an instance.
#[derive(Serialize, ToSchema)]
pub struct Attachment {
    id: String,
    instance_id: String,
    /// The workflow's attachment slot the file fills, if any.
    slot: Option<String>,
    /// Cleaned of directories and control characters; ends in the detected extension.
    file_name: String,
    /// Detected from the bytes: PDF, JPEG, PNG, Word or Excel.
    content_type: String,
    size: i64,
    sha256: String,
    uploaded_by: String,
    #[schema(value_type = String, format = DateTime)]
    created_at: DateTime<Utc>,
}

impl From<AttachmentRecord> for Attachment {
    fn from(a: AttachmentRecord) -> Attachment {
        Attachment {
            id: a.id,
            instance_id: a.instance_id,
            slot: a.slot,
            file_name: a.file_name,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            uploaded_by: a.uploaded_by,
            created_at: a.created_at,
        }
    }
}
