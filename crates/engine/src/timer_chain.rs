//! A task's reminders, escalation and timeout as a chain: one timer row at a
//! time, the first written when the task opens carrying the rest by time,
//! each next one written when the one before it fires. A task has its
//! timers' index entries and foreign-key checks once, not once per timer.

use naxian_model::machine::NewTimer;
use naxian_store::{LaterTimer, TimerRecord};

/// The row written with the task: its earliest timer, carrying the others.
pub(crate) fn first(instance_id: &str, task_id: &str, timers: &[NewTimer]) -> Option<TimerRecord> {
    let mut chain: Vec<LaterTimer> = timers
        .iter()
        .map(|t| LaterTimer {
            id: uuid::Uuid::now_v7().to_string(),
            kind: t.kind,
            fire_at: t.fire_at,
        })
        .collect();
    chain.sort_by_key(|t| t.fire_at);
    if chain.is_empty() {
        return None;
    }
    let head = chain.remove(0);
    Some(TimerRecord {
        id: head.id,
        instance_id: instance_id.to_string(),
        task_id: task_id.to_string(),
        kind: head.kind,
        fire_at: head.fire_at,
        later: chain,
    })
}

/// The row written when `fired` fires: the next of its chain, if any.
pub(crate) fn next(fired: &TimerRecord) -> Option<TimerRecord> {
    let (head, rest) = fired.later.split_first()?;
    Some(TimerRecord {
        id: head.id.clone(),
        instance_id: fired.instance_id.clone(),
        task_id: fired.task_id.clone(),
        kind: head.kind,
        fire_at: head.fire_at,
        later: rest.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use naxian_model::machine::TimerKind;

    #[test]
    fn the_chain_fires_in_time_order_and_ends() {
        let at = |h| Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap();
        let timers = [
            NewTimer {
                kind: TimerKind::Timeout,
                fire_at: at(9),
            },
            NewTimer {
                kind: TimerKind::Remind,
                fire_at: at(3),
            },
            NewTimer {
                kind: TimerKind::Escalate,
                fire_at: at(6),
            },
        ];
        let mut row = first("i", "t", &timers);
        let mut seen = Vec::new();
        while let Some(r) = row {
            assert_eq!((r.instance_id.as_str(), r.task_id.as_str()), ("i", "t"));
            seen.push((r.kind, r.fire_at));
            row = next(&r);
        }
        assert_eq!(
            seen,
            [
                (TimerKind::Remind, at(3)),
                (TimerKind::Escalate, at(6)),
                (TimerKind::Timeout, at(9))
            ]
        );
        assert!(first("i", "t", &[]).is_none());
    }
}
