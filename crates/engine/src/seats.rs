//! Bodies' seat plans (席位): setting one, each post's seats filled and
//! free, and the warning a nomination gets when its post has no free seat —
//! at submission and on the consulted departments' tasks, for any workflow
//! whose end adds a member.

use crate::auth::Actor;
use crate::directory::require_admin;
use crate::error::{EngineError, Result};
use crate::instances::InstanceView;
use crate::Engine;
use naxian_model::definition::Definition;
use naxian_model::directory::OrgKind;
use naxian_model::seats::{SeatUse, Seats};
use naxian_model::{Problem, Status};
use serde_json::Value;
use std::collections::BTreeMap;

/// A nomination for a post whose seats are all taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatWarning {
    /// The data field holding the post.
    pub field: String,
    /// The post's label (副主席).
    pub label: String,
    pub seats: u32,
    pub filled: u32,
}

impl Engine {
    /// Sets the seat plan of unit `code`'s body: posts by value or label.
    pub async fn set_seats(
        &self,
        actor: &Actor,
        code: &str,
        posts: BTreeMap<String, u32>,
        chief_target: Option<u32>,
    ) -> Result<Seats> {
        let unit = self.unit(code).await?;
        require_admin(actor, &unit.path)?;
        if unit.kind == OrgKind::Department {
            return Err(EngineError::invalid("code", Problem::NoBody));
        }
        let vocabulary = self.member_vocabulary().await?;
        let known: Vec<String> = vocabulary.posts().iter().map(|(v, _)| v.clone()).collect();
        let mut by_value = BTreeMap::new();
        for (post, n) in posts {
            // A label (副主席) names its value; anything else is checked as given.
            let value = vocabulary.value_of("post", &post).unwrap_or(post);
            by_value.insert(value, n);
        }
        let seats = Seats {
            posts: by_value,
            chief_target,
        }
        .checked(&known)?;
        self.store.set_seats(code, &seats).await?;
        Ok(seats)
    }

    /// The seat plan of unit `code`'s body, if it has one.
    pub async fn seats(&self, code: &str) -> Result<Option<Seats>> {
        let unit = self.unit(code).await?;
        self.plan_of(&unit).await
    }

    async fn plan_of(&self, unit: &naxian_model::OrgUnit) -> Result<Option<Seats>> {
        Ok(self
            .store
            .seats_under(&unit.path)
            .await?
            .into_iter()
            .find(|(c, _)| *c == unit.code)
            .map(|(_, s)| s))
    }

    /// Each post of unit `code`'s plan with the current members holding it.
    pub async fn seat_use(&self, code: &str) -> Result<Option<(Seats, Vec<SeatUse>)>> {
        let Some(seats) = self.seats(code).await? else {
            return Ok(None);
        };
        let members = self.store.members(code).await?;
        let uses = seats.used_by(members.iter().map(|m| &m.member), self.clock.today());
        Ok(Some((seats, uses)))
    }

    /// The warning for a nomination by `def` with `data` when its post has no
    /// free seat at its unit; none for a workflow that adds no member, a unit
    /// without a plan, or a post the plan does not list.
    pub async fn seat_warning(&self, def: &Definition, data: &Value) -> Result<Option<SeatWarning>> {
        let Some(add) = def.ends.values().find_map(|e| e.add_member.as_ref()) else {
            return Ok(None);
        };
        let (Some(code), Some(post)) = (
            naxian_model::machine::org_code(def, data),
            naxian_model::fields::get_str(data, &add.post),
        ) else {
            return Ok(None);
        };
        let Some(unit) = self.store.org_unit(code).await? else {
            return Ok(None);
        };
        let Some(seats) = self.plan_of(&unit).await? else {
            return Ok(None);
        };
        let members = self.store.members(code).await?;
        let Some(full) = seats.full(post, members.iter().map(|m| &m.member), self.clock.today()) else {
            return Ok(None);
        };
        let label = def
            .fields
            .get(add.post.as_str())
            .and_then(|f| f.choices.label(post).map(str::to_string))
            .unwrap_or_else(|| post.to_string());
        Ok(Some(SeatWarning {
            field: format!("data.{}", add.post),
            label,
            seats: full.seats,
            filled: full.filled,
        }))
    }

    /// The warnings an open instance carries (its post has no free seat).
    pub async fn instance_warnings(&self, view: &InstanceView) -> Result<Vec<SeatWarning>> {
        if view.instance.status != Status::Active {
            return Ok(Vec::new());
        }
        Ok(self
            .seat_warning(&view.definition, &view.instance.data)
            .await?
            .into_iter()
            .collect())
    }
}
