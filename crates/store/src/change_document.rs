//! A transition's change as one JSON document, for backends that write it in
//! one call (PostgreSQL's transition function, SQLite's transition trigger)
//! and read the rows out of the document in SQL. Each backend says how its
//! times are written, so that the stored text is what it would bind itself.

use crate::Change;
use chrono::{DateTime, Utc};
use naxian_model::machine::Effect;
use serde_json::{json, Value};

/// The change with every time written by `time`.
pub fn change_document(c: &Change, time: fn(DateTime<Utc>) -> String) -> Value {
    let i = &c.instance;
    let h = &c.history;
    json!({
        "expected_revision": c.expected_revision,
        "expected_generation": c.expected_generation,
        "unique_key": c.unique_key,
        "at": time(c.at),
        "instance": {
            "id": i.id, "workflow": i.workflow, "version": i.version, "step": i.step,
            "status": i.status.as_str(), "outcome": i.outcome, "data": i.data,
            "creator": i.creator, "org_unit": i.org_unit, "org_path": i.org_path,
            "completed": i.completed,
        },
        "close": c.close.iter().map(|cl| json!({
            "task_id": cl.task_id, "status": cl.status.as_str(), "action": cl.action,
            "comment": cl.comment, "actor": cl.actor, "on_behalf_of": cl.on_behalf_of,
        })).collect::<Vec<_>>(),
        "open": c.open.iter().map(|t| json!({
            "id": t.id, "instance_id": t.instance_id, "step": t.step, "assignee_key": t.assignee.key,
            "role": t.assignee.role.as_ref().map(|r| r.as_str()), "unit": t.assignee.unit,
            "unit_path": t.assignee.unit_path, "user_login": t.assignee.user,
            "created_at": time(t.created_at), "due_at": t.due_at.map(time),
        })).collect::<Vec<_>>(),
        "history": {
            "instance_id": h.instance_id, "seq": h.seq, "at": time(h.at), "actor": h.actor,
            "step": h.step, "action": h.action, "comment": h.comment, "note": h.note,
            "on_behalf_of": h.on_behalf_of,
            "prev_hash": h.prev_hash, "hash": h.hash,
        },
        "members": c.effects.iter().filter_map(|e| match e {
            Effect::AddMember(m) => Some(json!({
                "org_unit": m.org_unit, "name": m.name, "sector": m.sector, "post": m.post,
                "mode": m.mode, "since": m.since, "term_end": m.term_end, "instance_id": m.instance_id,
                "chief": m.chief,
            })),
            Effect::SetBody { .. } | Effect::KeepVersion => None,
        }).collect::<Vec<_>>(),
        "bodies": c.effects.iter().filter_map(|e| match e {
            Effect::SetBody { org_unit, body } => Some(json!({
                "org_unit": org_unit, "term_start": body.term_start, "term_end": body.term_end,
                "congress_date": body.congress_date,
            })),
            Effect::AddMember(_) | Effect::KeepVersion => None,
        }).collect::<Vec<_>>(),
        "keep_version": c.effects.contains(&Effect::KeepVersion),
        "timers": c.timers.iter().map(|t| json!({
            "id": t.id, "instance_id": t.instance_id, "task_id": t.task_id,
            "kind": t.kind.as_str(), "fire_at": time(t.fire_at), "later": t.later,
        })).collect::<Vec<_>>(),
        "cancel_timers_of": c.cancel_timers_of,
        "outbox": c.outbox.iter().map(|m| json!({
            "id": m.id, "dedupe_key": m.dedupe_key, "recipients": m.recipients,
            "template": m.template, "params": m.params, "created_at": time(m.created_at),
            "notice_for": m.notice_for,
            "instance_id": m.about().0,
            "task_id": m.about().1,
        })).collect::<Vec<_>>(),
    })
}
