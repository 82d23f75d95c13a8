//! Instances this process moved last, kept with their tasks and history, so
//! that the next action on one of them is decided without reading it again.
//! Nothing kept is trusted: a transition decided on a kept state is written
//! only if the instance's revision and the directory's generation are still
//! the ones it was decided on (checked in the write, migration 0018), and
//! when the decision or the write fails the engine forgets the entry and
//! decides again on a fresh read. Only active instances are kept: a
//! completed one takes no action, and the retention purge changes one
//! without moving its revision.

use naxian_model::machine::Status;
use naxian_store::{InstanceKey, InstanceState};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The least recently used instance goes past this many. An entry is the
/// instance's data, its tasks and history: a few KiB.
const MOST_INSTANCES: usize = 1_024;

#[derive(Default)]
struct Entries {
    /// Least recently used first.
    states: hashlink::LinkedHashMap<String, Arc<InstanceState>>,
    /// The open tasks of the instances kept, to the instance.
    by_task: HashMap<String, String>,
}

impl Entries {
    fn remove(&mut self, id: &str) {
        if let Some(old) = self.states.remove(id) {
            for t in open_tasks(&old) {
                self.by_task.remove(&t.id);
            }
        }
    }
}

fn open_tasks(s: &InstanceState) -> impl Iterator<Item = &naxian_model::Task> {
    s.tasks
        .iter()
        .filter(|t| t.status == naxian_model::TaskStatus::Open)
}

#[derive(Default)]
pub(crate) struct InstanceCache(Mutex<Entries>);

impl InstanceCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.0.lock().expect("instance cache lock")
    }

    /// The state kept of the instance, or of the instance an open task belongs to.
    pub(crate) fn get(&self, key: InstanceKey<'_>) -> Option<Arc<InstanceState>> {
        let mut e = self.entries();
        let id = match key {
            InstanceKey::Id(id) => id.to_string(),
            InstanceKey::Task(task) => e.by_task.get(task)?.clone(),
        };
        let state = e.states.get(&id)?.clone();
        e.states.to_back(&id);
        Some(state)
    }

    /// Keeps the state an instance was just written in, unless a later one is
    /// kept already (two transitions of one instance may finish in any order;
    /// the database let only one of them write each revision).
    pub(crate) fn keep(&self, state: InstanceState) {
        let id = state.record.instance.id.clone();
        let mut e = self.entries();
        if let Some(kept) = e.states.get(&id) {
            if kept.record.instance.revision >= state.record.instance.revision {
                return;
            }
        }
        e.remove(&id);
        if state.record.instance.status != Status::Active {
            return;
        }
        for t in open_tasks(&state) {
            e.by_task.insert(t.id.clone(), id.clone());
        }
        e.states.insert(id, Arc::new(state));
        while e.states.len() > MOST_INSTANCES {
            let Some((oldest, _)) = e.states.front().map(|(k, v)| (k.clone(), v.clone())) else {
                break;
            };
            e.remove(&oldest);
        }
    }

    /// Drops what is kept of an instance.
    pub(crate) fn forget(&self, id: &str) {
        self.entries().remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use naxian_model::{Assignee, Instance, Task, TaskStatus};
    use naxian_store::InstanceRecord;

    fn state(id: &str, revision: i64, status: Status, open: &[&str]) -> InstanceState {
        let now = Utc::now();
        InstanceState {
            record: InstanceRecord {
                instance: Instance {
                    id: id.into(),
                    workflow: "w".into(),
                    version: 1,
                    step: "s".into(),
                    status,
                    outcome: None,
                    data: serde_json::json!({}),
                    creator: "c".into(),
                    org_unit: "U".into(),
                    org_path: "/U/".into(),
                    completed: Default::default(),
                    revision,
                    created_at: now,
                    updated_at: now,
                },
                audit_seq: revision,
                audit_head: String::new(),
                directory_generation: 0,
            },
            tasks: open
                .iter()
                .map(|t| Task {
                    id: (*t).into(),
                    instance_id: id.into(),
                    step: "s".into(),
                    assignee: Assignee {
                        key: "u".into(),
                        role: None,
                        unit: "U".into(),
                        unit_path: "/U/".into(),
                        user: Some("u".into()),
                    },
                    status: TaskStatus::Open,
                    action: None,
                    comment: None,
                    actor: None,
                    on_behalf_of: None,
                    created_at: now,
                    completed_at: None,
                    due_at: None,
                })
                .collect(),
            history: Vec::new(),
        }
    }

    fn revision_by_task(c: &InstanceCache, task: &str) -> Option<i64> {
        c.get(InstanceKey::Task(task)).map(|s| s.record.instance.revision)
    }

    #[test]
    fn an_instance_is_found_by_its_open_tasks_as_last_written() {
        let c = InstanceCache::default();
        c.keep(state("i", 2, Status::Active, &["a", "b"]));
        assert_eq!(revision_by_task(&c, "a"), Some(2));
        c.keep(state("i", 3, Status::Active, &["c"]));
        assert_eq!(revision_by_task(&c, "a"), None, "a closed task leads nowhere");
        assert_eq!(revision_by_task(&c, "c"), Some(3));
        c.keep(state("i", 2, Status::Active, &["a"]));
        assert_eq!(
            revision_by_task(&c, "c"),
            Some(3),
            "an older state does not replace a newer"
        );
        c.keep(state("i", 4, Status::Completed, &[]));
        assert!(
            c.get(InstanceKey::Id("i")).is_none(),
            "a completed instance is not kept"
        );
    }

    #[test]
    fn the_least_recently_used_instance_goes_first() {
        let c = InstanceCache::default();
        for n in 0..MOST_INSTANCES {
            c.keep(state(&format!("i{n}"), 1, Status::Active, &[&format!("t{n}")]));
        }
        assert!(c.get(InstanceKey::Id("i0")).is_some());
        c.keep(state("new", 1, Status::Active, &["t-new"]));
        assert!(c.get(InstanceKey::Id("i0")).is_some(), "used just now");
        assert!(c.get(InstanceKey::Id("i1")).is_none(), "the least recently used");
        assert_eq!(revision_by_task(&c, "t1"), None);
        assert_eq!(c.entries().by_task.len(), MOST_INSTANCES);
        c.forget("new");
        assert_eq!(revision_by_task(&c, "t-new"), None);
    }
}
