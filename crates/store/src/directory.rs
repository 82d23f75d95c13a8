//! The directory: org units, their bodies and members, users and their
//! role grants, who holds a role where, and the catalogue of roles and
//! department functions.

use crate::{Contact, DirectoryBatch, Grant, MemberRecord, Result, UserRecord};
use async_trait::async_trait;
use naxian_model::catalogue::{Catalogue, FunctionEntry, RoleEntry};
use naxian_model::directory::{Body, OrgContext, OrgUnit, Role};
use naxian_model::seats::Seats;

/// The directory: units, bodies, members, users, grants.
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    async fn create_org_unit(&self, unit: &OrgUnit) -> Result<()>;
    async fn org_unit(&self, code: &str) -> Result<Option<OrgUnit>>;
    async fn set_body(&self, code: &str, body: &Body) -> Result<()>;
    async fn body(&self, code: &str) -> Result<Option<Body>>;
    async fn members(&self, code: &str) -> Result<Vec<MemberRecord>>;
    /// Adds a member to a unit's body; returns the new row's id.
    async fn add_member(&self, member: &naxian_model::machine::Member) -> Result<i64>;
    /// Records that member `id` of unit `code` left on `on`. False when there
    /// is no such member there or they have already left: the row is changed
    /// only if it still reads as current, so two racing leaves cannot both win.
    async fn leave_member(
        &self,
        code: &str,
        id: i64,
        on: chrono::NaiveDate,
        reason: Option<&str>,
    ) -> Result<bool>;
    /// Sets a body's seat plan (replacing any before).
    async fn set_seats(&self, code: &str, seats: &Seats) -> Result<()>;
    /// Seat plans of units at or below `path`, by unit code.
    async fn seats_under(&self, path: &str) -> Result<Vec<(String, Seats)>>;
    /// Bodies of units at or below `path`, by unit code.
    async fn bodies_under(&self, path: &str) -> Result<Vec<(String, Body)>>;
    /// Writes a whole import in one transaction: on any failure nothing is kept.
    async fn import_directory(&self, batch: &DirectoryBatch) -> Result<()>;
    /// The unit, its ancestors, the departments under them and its body.
    async fn org_context(&self, code: &str) -> Result<Option<OrgContext>>;
    /// The same for the unit at `path` (known from an instance), in one query.
    async fn org_context_at(&self, path: &str) -> Result<Option<OrgContext>>;
    /// The directory's generation now (migration 0014).
    async fn directory_generation(&self) -> Result<i64>;
    async fn create_user(&self, user: &UserRecord) -> Result<()>;
    async fn user(&self, login: &str) -> Result<Option<UserRecord>>;
    /// Sets a user's delegation (代理), replacing the one they had.
    async fn put_delegation(&self, d: &naxian_model::Delegation) -> Result<()>;
    async fn delegation(&self, login: &str) -> Result<Option<naxian_model::Delegation>>;
    /// Ends a user's delegation; false if they had none.
    async fn end_delegation(&self, login: &str) -> Result<bool>;
    /// The delegations made by any of `logins`, whatever their window.
    async fn delegations_of(&self, logins: &[String]) -> Result<Vec<naxian_model::Delegation>>;
    /// The delegations made to `delegate`, whatever their window.
    async fn delegations_to(&self, delegate: &str) -> Result<Vec<naxian_model::Delegation>>;
    async fn add_grant(&self, login: &str, role: &Role, org_unit: &str) -> Result<()>;
    /// Takes a role at a unit away from a user; false if they did not hold
    /// it. Taking the last one marks when their roles ended (migration 0028).
    async fn remove_grant(
        &self,
        login: &str,
        role: &Role,
        org_unit: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool>;
    /// Removes the phone of every user who has held no role since before
    /// `before`; returns how many.
    async fn purge_user_phones(&self, before: chrono::DateTime<chrono::Utc>) -> Result<u64>;
    /// Turns a user's daily digest on or off; false if there is no such user.
    async fn set_digest(&self, login: &str, digest: bool) -> Result<bool>;
    /// A user's own contact details and digest choice, as they keep them; false if there is no such user.
    async fn set_contact(&self, login: &str, email: &str, phone: Option<&str>, digest: bool) -> Result<bool>;
    /// A user's common phrases (常用意见); `None` if they never kept any.
    async fn phrases(&self, login: &str) -> Result<Option<Vec<String>>>;
    /// Keeps a user's common phrases, replacing those they had.
    async fn set_phrases(&self, login: &str, texts: &[String]) -> Result<()>;
    /// Replaces a user's password hash; `must_change` marks one an
    /// administrator set, which also ends the user's sessions and API
    /// tokens. False if there is no such user.
    async fn set_password(&self, login: &str, password_hash: &str, must_change: bool) -> Result<bool>;
    async fn digest_users(&self) -> Result<Vec<UserRecord>>;
    async fn grants(&self, login: &str) -> Result<Vec<Grant>>;
    /// Users holding `role` at a unit whose path is a prefix of `unit_path`,
    /// each with the path of the unit of that grant (nearest first).
    async fn holders(&self, role: &Role, unit_path: &str) -> Result<Vec<(UserRecord, String)>>;
    /// Units of a kind, in code order.
    async fn units_of_kind(&self, kind: naxian_model::OrgKind) -> Result<Vec<OrgUnit>>;
    /// The unit at `path` and every unit below it.
    async fn units_under(&self, path: &str) -> Result<Vec<OrgUnit>>;
    /// Current and past members of bodies at or below `path`, with the unit's path.
    async fn members_under(&self, path: &str) -> Result<Vec<(MemberRecord, String)>>;
    /// Every grant at or below `path` with its unit and user: the liaison
    /// list (联络表) and the administration pages read this.
    async fn contacts_under(&self, path: &str) -> Result<Vec<Contact>>;
    /// The catalogue of roles and department functions, in their order.
    async fn catalogue(&self) -> Result<Catalogue>;
    /// Adds the entries of `shipped` the store does not hold yet, after the
    /// others; those it holds keep what administrators made of them.
    /// Returns how many were added.
    async fn seed_catalogue(&self, shipped: &Catalogue) -> Result<usize>;
    /// Adds a role, or changes the label and capabilities of the one so named.
    /// A label another role has is a conflict.
    async fn put_role(&self, role: &RoleEntry) -> Result<()>;
    /// The same for a department function.
    async fn put_function(&self, function: &FunctionEntry) -> Result<()>;
}
