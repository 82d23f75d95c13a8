//! 代理 (delegation while away): for a window, and for all or some
//! workflows, the tasks that reach a user also reach their delegate, who may
//! act in the user's name. Whether a delegation covers a task is decided
//! here, and only here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegation {
    /// Whose tasks: the user away.
    pub login: String,
    /// Who acts for them meanwhile.
    pub delegate: String,
    pub from: DateTime<Utc>,
    /// The last moment it holds.
    pub until: DateTime<Utc>,
    /// Only tasks of these workflows; `None` for all.
    pub workflows: Option<Vec<String>>,
    pub created_at: DateTime<Utc>,
}

impl Delegation {
    /// Whether, at `now`, a task of `workflow` of the user reaches the delegate.
    pub fn covers(&self, now: DateTime<Utc>, workflow: &str) -> bool {
        self.from <= now
            && now <= self.until
            && self
                .workflows
                .as_ref()
                .is_none_or(|w| w.iter().any(|n| n == workflow))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, 8, 0, 0).unwrap()
    }

    fn delegation(workflows: Option<Vec<String>>) -> Delegation {
        Delegation {
            login: "li".into(),
            delegate: "zhao".into(),
            from: at(7),
            until: at(10),
            workflows,
            created_at: at(1),
        }
    }

    #[test]
    fn covers_its_window_only() {
        let d = delegation(None);
        assert!(!d.covers(at(6), "report"));
        assert!(d.covers(at(7), "report"));
        assert!(d.covers(at(10), "report"));
        assert!(!d.covers(at(11), "report"));
    }

    #[test]
    fn covers_the_chosen_workflows_only() {
        let d = delegation(Some(vec!["sanzhang-appointment".into()]));
        assert!(d.covers(at(8), "sanzhang-appointment"));
        assert!(!d.covers(at(8), "census"));
        assert!(!delegation(Some(vec![])).covers(at(8), "census"));
    }
}
