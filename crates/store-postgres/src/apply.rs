//! A transition's write in one round trip: the change as JSON to the
//! `naxian_apply` function (migration 0012), which does what the shared
//! statement-by-statement write does, inside the one statement. On loopback
//! each statement costs about 100 µs; a transition's write was `BEGIN`, five
//! to eight statements and `COMMIT`.

use crate::PostgresStore;
use chrono::{DateTime, SecondsFormat, Utc};
use naxian_model::machine::Effect;
use naxian_store::{Change, Result, StoreError};
use serde_json::{json, Value};

/// PostgreSQL keeps microseconds: the times go as text with exactly those,
/// so that what is stored is what the history's hash was taken over.
fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn change_json(c: &Change) -> Value {
    let i = &c.instance;
    let h = &c.history;
    json!({
        "expected_revision": c.expected_revision,
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
            "comment": cl.comment, "actor": cl.actor,
        })).collect::<Vec<_>>(),
        "open": c.open.iter().map(|t| json!({
            "id": t.id, "instance_id": t.instance_id, "step": t.step, "assignee_key": t.assignee.key,
            "role": t.assignee.role.map(|r| r.as_str()), "unit": t.assignee.unit,
            "unit_path": t.assignee.unit_path, "user_login": t.assignee.user,
            "created_at": time(t.created_at), "due_at": t.due_at.map(time),
        })).collect::<Vec<_>>(),
        "history": {
            "instance_id": h.instance_id, "seq": h.seq, "at": time(h.at), "actor": h.actor,
            "step": h.step, "action": h.action, "comment": h.comment, "note": h.note,
            "prev_hash": h.prev_hash, "hash": h.hash,
        },
        "members": c.effects.iter().map(|e| match e {
            Effect::AddMember(m) => json!({
                "org_unit": m.org_unit, "name": m.name, "sector": m.sector, "post": m.post,
                "mode": m.mode, "since": m.since, "term_end": m.term_end, "instance_id": m.instance_id,
            }),
        }).collect::<Vec<_>>(),
        "timers": c.timers.iter().map(|t| json!({
            "id": t.id, "instance_id": t.instance_id, "task_id": t.task_id,
            "kind": t.kind.as_str(), "fire_at": time(t.fire_at),
        })).collect::<Vec<_>>(),
        "outbox": c.outbox.iter().map(|m| json!({
            "id": m.id, "dedupe_key": m.dedupe_key, "recipients": m.recipients,
            "template": m.template, "params": m.params, "created_at": time(m.created_at),
        })).collect::<Vec<_>>(),
    })
}

/// The function's own refusal (SQLSTATE NX409) is a conflict; anything else
/// is mapped as every other statement's error is.
pub(crate) async fn in_one_call(
    store: &PostgresStore,
    c: &Change,
    map_error: fn(sqlx::Error) -> StoreError,
) -> Result<()> {
    sqlx::query("SELECT naxian_apply($1)")
        .bind(sqlx::types::Json(change_json(c)))
        .execute(store.pool())
        .await
        .map_err(|err| match &err {
            sqlx::Error::Database(db) if db.code().as_deref() == Some("NX409") => {
                StoreError::Conflict(db.message().to_string())
            }
            _ => map_error(err),
        })?;
    Ok(())
}
