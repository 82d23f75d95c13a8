//! The JSON shapes of API.md, built from engine and store types. Times are
//! RFC 3339 in Asia/Shanghai.

use chrono::{DateTime, SecondsFormat, Utc};
use naxian_engine::clock::shanghai;
use naxian_engine::InstanceView;
use naxian_model::directory::{Body, OrgUnit};
use naxian_model::machine::task_actions;
use naxian_model::{Definition, Instance, Task};
use naxian_store::{InboxRow, MemberRecord};
use serde_json::{json, Value};

pub fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&shanghai())
        .to_rfc3339_opts(SecondsFormat::Millis, false)
}

fn opt_time(t: Option<DateTime<Utc>>) -> Value {
    t.map(time).map(Value::String).unwrap_or(Value::Null)
}

pub fn instance_summary(i: &Instance) -> Value {
    json!({
        "id": i.id,
        "workflow": i.workflow,
        "version": i.version,
        "step": i.step,
        "status": i.status.as_str(),
        "outcome": i.outcome,
        "org_unit": i.org_unit,
        "creator": i.creator,
        "data": i.data,
        "created_at": time(i.created_at),
        "updated_at": time(i.updated_at),
    })
}

pub fn task(def: &Definition, t: &Task, workflow: &str, org_unit: &str) -> Value {
    let step_title = def
        .step(&t.step)
        .and_then(|s| s.title.clone())
        .unwrap_or_else(|| t.step.clone());
    let title = format!("{}：{step_title}", def.title);
    task_json(t, workflow, org_unit, &title, &task_actions(def, t))
}

fn task_json(t: &Task, workflow: &str, org_unit: &str, title: &str, actions: &[String]) -> Value {
    json!({
        "id": t.id,
        "instance_id": t.instance_id,
        "workflow": workflow,
        "step": t.step,
        "title": title,
        "org_unit": org_unit,
        "assignee": {
            "role": t.assignee.role.map(|r| r.as_str()),
            "unit": t.assignee.unit,
            "user": t.assignee.user,
        },
        "due_at": opt_time(t.due_at),
        "status": t.status.as_str(),
        "actions": actions,
        "action": t.action,
        "comment": t.comment,
        "actor": t.actor,
        "created_at": time(t.created_at),
        "completed_at": opt_time(t.completed_at),
    })
}

pub fn inbox_row(row: &InboxRow, actions: &[String], title: &str) -> Value {
    task_json(&row.task, &row.workflow, &row.org_unit, title, actions)
}

pub fn instance(v: &InstanceView) -> Value {
    let mut out = instance_summary(&v.instance);
    let i = &v.instance;
    out["tasks"] = v
        .tasks
        .iter()
        .map(|t| task(&v.definition, t, &i.workflow, &i.org_unit))
        .collect();
    out["history"] = v
        .history
        .iter()
        .map(|h| {
            json!({
                "seq": h.seq,
                "at": time(h.at),
                "actor": h.actor,
                "step": h.step,
                "action": h.action,
                "comment": h.comment,
                "note": h.note,
                "hash": h.hash,
            })
        })
        .collect();
    out
}

pub fn org_unit(u: &OrgUnit) -> Value {
    json!({
        "code": u.code,
        "name": u.name,
        "kind": u.kind.as_str(),
        "parent": u.parent,
        "function": u.function.map(|f| f.as_str()),
    })
}

pub fn body(b: &Body) -> Value {
    json!({
        "term_start": b.term_start.to_string(),
        "term_end": b.term_end.to_string(),
        "congress_date": b.congress_date.map(|d| d.to_string()),
    })
}

pub fn member(m: &MemberRecord) -> Value {
    json!({
        "name": m.name,
        "sector": m.sector,
        "post": m.post,
        "mode": m.mode,
        "since": m.since.to_string(),
        "term_end": m.term_end.map(|d| d.to_string()),
        "instance_id": m.instance_id,
    })
}
