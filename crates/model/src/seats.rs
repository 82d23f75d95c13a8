//! A body's seats: how many places each post has (1 主席, 3 副主席, 15 委员)
//! and how many of its members should be chiefs (三长); how many of them the
//! current members fill; whether a nomination for a post finds a free seat.

use crate::error::{ModelError, Problem};
use crate::machine::Member;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most seats one post may have: far above any county body.
pub const MAX_SEATS: u32 = 999;

/// A body's seat plan.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Seats {
    /// Seats by post (the value a workflow's post field holds, e.g. `vice_chair`).
    pub posts: BTreeMap<String, u32>,
    /// How many of the body's members should be chiefs, if the province set a target.
    pub chief_target: Option<u32>,
}

/// One post's seats and how many current members hold them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeatUse {
    pub post: String,
    pub seats: u32,
    pub filled: u32,
}

impl SeatUse {
    pub fn free(&self) -> u32 {
        self.seats.saturating_sub(self.filled)
    }
}

impl Seats {
    /// Checks a plan against the posts the workflows know (`known`: empty
    /// when no workflow names posts, and then any post is taken).
    pub fn checked(self, known: &[String]) -> Result<Seats, ModelError> {
        let invalid = |field: String, problem| ModelError::Invalid { field, problem };
        for (post, &n) in &self.posts {
            if !known.is_empty() && !known.contains(post) {
                return Err(invalid(
                    "posts".into(),
                    Problem::NotOneOf {
                        choices: known.to_vec(),
                    },
                ));
            }
            if n > MAX_SEATS {
                return Err(invalid(
                    format!("posts.{post}"),
                    Problem::TooLarge {
                        max: MAX_SEATS.into(),
                    },
                ));
            }
        }
        let total = self.total();
        if let Some(t) = self.chief_target {
            if t > total {
                return Err(invalid(
                    "chief_target".into(),
                    Problem::TooLarge { max: total.into() },
                ));
            }
        }
        Ok(self)
    }

    pub fn total(&self) -> u32 {
        self.posts.values().sum()
    }

    /// Each post of the plan with the members current on `day` who hold it.
    pub fn used_by<'a>(&self, members: impl IntoIterator<Item = &'a Member>, day: NaiveDate) -> Vec<SeatUse> {
        let mut filled: BTreeMap<&str, u32> = BTreeMap::new();
        for m in members.into_iter().filter(|m| m.current_on(day)) {
            *filled.entry(m.post.as_str()).or_default() += 1;
        }
        self.posts
            .iter()
            .map(|(post, &seats)| SeatUse {
                post: post.clone(),
                seats,
                filled: filled.get(post.as_str()).copied().unwrap_or(0),
            })
            .collect()
    }

    /// The post's use when a nomination for it finds no free seat; `None`
    /// when the plan has no such post (nothing to hold it to) or a seat is free.
    pub fn full<'a>(
        &self,
        post: &str,
        members: impl IntoIterator<Item = &'a Member>,
        day: NaiveDate,
    ) -> Option<SeatUse> {
        self.used_by(members, day)
            .into_iter()
            .find(|u| u.post == post && u.free() == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(post: &str, left_on: Option<NaiveDate>) -> Member {
        Member {
            org_unit: "U".into(),
            name: "张三".into(),
            sector: "health".into(),
            post: post.into(),
            mode: "by_election".into(),
            since: day("2025-01-01"),
            term_end: None,
            instance_id: None,
            chief: false,
            employer: None,
            position: None,
            left_on,
            left_reason: None,
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn plan() -> Seats {
        Seats {
            posts: [("chair".to_string(), 1), ("vice_chair".to_string(), 2)].into(),
            chief_target: Some(2),
        }
    }

    #[test]
    fn a_post_is_full_when_its_current_members_take_every_seat() {
        let today = day("2026-12-05");
        let members = [
            member("vice_chair", None),
            member("vice_chair", None),
            member("chair", None),
        ];
        let full = plan().full("vice_chair", &members, today).unwrap();
        assert_eq!((full.seats, full.filled, full.free()), (2, 2, 0));
        assert!(plan().full("chair", &members[..2], today).is_none());
        assert!(
            plan().full("member", &members, today).is_none(),
            "a post without a plan is never full"
        );
    }

    #[test]
    fn a_member_who_left_frees_the_seat() {
        let today = day("2026-12-05");
        let members = [
            member("vice_chair", None),
            member("vice_chair", Some(day("2026-11-01"))),
        ];
        assert!(plan().full("vice_chair", &members, today).is_none());
        let uses = plan().used_by(&members, today);
        assert_eq!(uses[1].filled, 1);
    }

    #[test]
    fn a_plan_names_known_posts_and_a_reachable_target() {
        let known = vec!["chair".to_string(), "vice_chair".to_string()];
        assert!(plan().checked(&known).is_ok());
        let mut p = plan();
        p.posts.insert("mayor".into(), 1);
        assert!(matches!(p.checked(&known), Err(ModelError::Invalid { field, .. }) if field == "posts"));
        let mut p = plan();
        p.chief_target = Some(4);
        assert!(
            matches!(p.checked(&known), Err(ModelError::Invalid { field, .. }) if field == "chief_target")
        );
        let mut p = plan();
        p.posts.insert("chair".into(), MAX_SEATS + 1);
        assert!(
            matches!(p.checked(&known), Err(ModelError::Invalid { field, .. }) if field == "posts.chair")
        );
    }
}
