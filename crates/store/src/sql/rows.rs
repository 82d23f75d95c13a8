//! Rows as the SQL backends read them (`sqlx::FromRow`, by column name),
//! for the records whose fields the model types: each becomes its record
//! with its text columns parsed into the model's enums. Records whose
//! columns are their fields derive `FromRow` themselves (`records.rs`).

use crate::{
    Contact, Grant, HistoryRecord, InboxRow, LaterTimer, NoticeRecord, OutboxMessage, OutboxRecord,
    Recipient, Result, StoreError, TimerRecord,
};
use chrono::{DateTime, NaiveDate, Utc};
use naxian_model::directory::{Body, OrgUnit};
use naxian_model::machine::{Assignee, Instance, Member, Task};
use sqlx::types::Json;
use std::collections::BTreeMap;

/// A text column's value as a model enum, or a database error naming it.
pub fn parse<T: std::str::FromStr<Err = String>>(what: &str, s: &str) -> Result<T> {
    s.parse()
        .map_err(|m| StoreError::database(format!("bad {what} `{s}` in database: {m}")))
}

#[derive(sqlx::FromRow)]
pub struct OrgUnitRow {
    code: String,
    name: String,
    kind: String,
    parent: Option<String>,
    function: Option<String>,
    path: String,
}

impl OrgUnitRow {
    pub fn into_model(self) -> Result<OrgUnit> {
        Ok(OrgUnit {
            code: self.code,
            name: self.name,
            kind: parse("kind", &self.kind)?,
            parent: self.parent,
            function: self.function.map(|f| parse("function", &f)).transpose()?,
            path: self.path,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct BodyRow {
    term_start: NaiveDate,
    term_end: NaiveDate,
    congress_date: Option<NaiveDate>,
}

impl BodyRow {
    pub fn into_model(self) -> Body {
        Body {
            term_start: self.term_start,
            term_end: self.term_end,
            congress_date: self.congress_date,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct MemberRow {
    id: i64,
    org_unit: String,
    name: String,
    sector: String,
    post: String,
    mode: String,
    since: NaiveDate,
    term_end: Option<NaiveDate>,
    instance_id: Option<String>,
    chief: bool,
    employer: Option<String>,
    position: Option<String>,
    left_on: Option<NaiveDate>,
    left_reason: Option<String>,
}

impl MemberRow {
    pub fn into_model(self) -> crate::MemberRecord {
        crate::MemberRecord {
            id: self.id,
            member: Member {
                org_unit: self.org_unit,
                name: self.name,
                sector: self.sector,
                post: self.post,
                mode: self.mode,
                since: self.since,
                term_end: self.term_end,
                instance_id: self.instance_id,
                chief: self.chief,
                employer: self.employer,
                position: self.position,
                left_on: self.left_on,
                left_reason: self.left_reason,
            },
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct InstanceRow {
    id: String,
    workflow: String,
    version: i64,
    step: String,
    status: String,
    outcome: Option<String>,
    data: Json<serde_json::Value>,
    creator: String,
    org_unit: String,
    org_path: String,
    completed: Json<BTreeMap<String, Vec<String>>>,
    revision: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl InstanceRow {
    pub fn into_model(self) -> Result<Instance> {
        Ok(Instance {
            id: self.id,
            workflow: self.workflow,
            version: self.version,
            step: self.step,
            status: parse("status", &self.status)?,
            outcome: self.outcome,
            data: self.data.0,
            creator: self.creator,
            org_unit: self.org_unit,
            org_path: self.org_path,
            completed: self.completed.0,
            revision: self.revision,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct TaskRow {
    id: String,
    instance_id: String,
    step: String,
    assignee_key: String,
    role: Option<String>,
    unit: String,
    unit_path: String,
    user_login: Option<String>,
    status: String,
    action: Option<String>,
    comment: Option<String>,
    actor: Option<String>,
    on_behalf_of: Option<String>,
    created_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
}

impl TaskRow {
    pub fn into_model(self) -> Result<Task> {
        Ok(Task {
            id: self.id,
            instance_id: self.instance_id,
            step: self.step,
            assignee: Assignee {
                key: self.assignee_key,
                role: self.role.map(|r| parse("role", &r)).transpose()?,
                unit: self.unit,
                unit_path: self.unit_path,
                user: self.user_login,
            },
            status: parse("task status", &self.status)?,
            action: self.action,
            comment: self.comment,
            actor: self.actor,
            on_behalf_of: self.on_behalf_of,
            created_at: self.created_at,
            completed_at: self.completed_at,
            due_at: self.due_at,
        })
    }
}

/// A row of [`crate::inbox`]'s columns: the task's, and its instance's under `i_`.
#[derive(sqlx::FromRow)]
pub struct InboxRowRow {
    #[sqlx(flatten)]
    task: TaskRow,
    i_workflow: String,
    i_version: i64,
    i_org_unit: String,
    i_unit_name: String,
    i_data: Json<serde_json::Value>,
    i_creator: String,
}

impl InboxRowRow {
    pub fn into_model(self) -> Result<InboxRow> {
        Ok(InboxRow {
            task: self.task.into_model()?,
            workflow: self.i_workflow,
            version: self.i_version,
            org_unit: self.i_org_unit,
            unit_name: self.i_unit_name,
            data: self.i_data.0,
            creator: self.i_creator,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct TimerRow {
    id: String,
    instance_id: String,
    task_id: String,
    kind: String,
    fire_at: DateTime<Utc>,
    later: Json<Vec<LaterTimer>>,
}

impl TimerRow {
    pub fn into_model(self) -> Result<TimerRecord> {
        Ok(TimerRecord {
            id: self.id,
            instance_id: self.instance_id,
            task_id: self.task_id,
            kind: parse("timer kind", &self.kind)?,
            fire_at: self.fire_at,
            later: self.later.0,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct OutboxRow {
    id: String,
    dedupe_key: String,
    recipients: Json<Vec<Recipient>>,
    template: String,
    params: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
    status: String,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    sent_at: Option<DateTime<Utc>>,
}

impl OutboxRow {
    pub fn into_model(self) -> OutboxRecord {
        OutboxRecord {
            message: OutboxMessage {
                id: self.id,
                dedupe_key: self.dedupe_key,
                recipients: self.recipients.0,
                template: self.template,
                params: self.params.0,
                created_at: self.created_at,
                notice_for: None,
            },
            status: self.status,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at,
            last_error: self.last_error,
            sent_at: self.sent_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct HistoryRow {
    instance_id: String,
    seq: i64,
    at: DateTime<Utc>,
    actor: String,
    step: String,
    action: String,
    comment: Option<String>,
    note: Option<String>,
    on_behalf_of: Option<String>,
    prev_hash: String,
    hash: String,
}

impl HistoryRow {
    pub fn into_model(self) -> HistoryRecord {
        HistoryRecord {
            instance_id: self.instance_id,
            seq: self.seq,
            at: self.at,
            actor: self.actor,
            step: self.step,
            action: self.action,
            comment: self.comment,
            note: self.note,
            on_behalf_of: self.on_behalf_of,
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct GrantRow {
    role: String,
    org_unit: String,
    path: String,
    /// The role's capabilities (JSON); none for a role the catalogue lacks.
    may: Option<Json<Vec<naxian_model::Capability>>>,
}

impl GrantRow {
    pub fn into_model(self) -> Result<Grant> {
        Ok(Grant {
            role: parse("role", &self.role)?,
            org_unit: self.org_unit,
            org_path: self.path,
            may: self.may.map(|m| m.0).unwrap_or_default(),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct RoleRow {
    name: String,
    label: String,
    may: Json<Vec<naxian_model::Capability>>,
}

impl RoleRow {
    pub fn into_model(self) -> Result<naxian_model::catalogue::RoleEntry> {
        Ok(naxian_model::catalogue::RoleEntry {
            name: parse("role", &self.name)?,
            label: self.label,
            may: self.may.0,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct FunctionRow {
    name: String,
    label: String,
}

impl FunctionRow {
    pub fn into_model(self) -> Result<naxian_model::catalogue::FunctionEntry> {
        Ok(naxian_model::catalogue::FunctionEntry {
            name: parse("function", &self.name)?,
            label: self.label,
        })
    }
}

/// A grant with its unit's columns and its user's.
#[derive(sqlx::FromRow)]
pub struct ContactRow {
    #[sqlx(flatten)]
    unit: OrgUnitRow,
    role: String,
    login: String,
    user_name: String,
    email: String,
    phone: Option<String>,
    position: Option<String>,
}

impl ContactRow {
    pub fn into_model(self) -> Result<Contact> {
        Ok(Contact {
            unit: self.unit.into_model()?,
            role: parse("role", &self.role)?,
            login: self.login,
            name: self.user_name,
            email: self.email,
            phone: self.phone,
            position: self.position,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct DelegationRow {
    login: String,
    delegate: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    workflows: Option<Json<Vec<String>>>,
    created_at: DateTime<Utc>,
}

impl DelegationRow {
    pub fn into_model(self) -> naxian_model::Delegation {
        naxian_model::Delegation {
            login: self.login,
            delegate: self.delegate,
            from: self.starts_at,
            until: self.ends_at,
            workflows: self.workflows.map(|w| w.0),
            created_at: self.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct NoticeRow {
    id: String,
    login: String,
    template: String,
    params: Json<serde_json::Value>,
    instance_id: Option<String>,
    task_id: Option<String>,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

impl NoticeRow {
    pub fn into_model(self) -> NoticeRecord {
        NoticeRecord {
            id: self.id,
            login: self.login,
            template: self.template,
            params: self.params.0,
            instance_id: self.instance_id,
            task_id: self.task_id,
            created_at: self.created_at,
            read_at: self.read_at,
        }
    }
}
