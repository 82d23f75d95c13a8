//! The pure heart of Naxian: directory vocabulary, workflow definitions (parsed
//! from YAML and validated), instance data validation, the state machine that
//! decides what an action does, and the audit hash chain.
//!
//! Nothing here does I/O or reads a clock: `now` and directory facts come in as
//! arguments, so every rule is testable without a database.

pub mod audit;
pub mod calendar;
pub mod catalogue;
pub mod condition;
pub mod definition;
pub mod delegation;
pub mod directory;
pub mod error;
pub mod fields;
pub mod figures;
pub mod graph;
pub mod machine;
pub mod schedule;
pub mod seats;

pub use catalogue::{Capability, Catalogue};
pub use definition::{Definition, DefinitionError};
pub use delegation::Delegation;
pub use directory::{Body, OrgContext, OrgKind, OrgUnit, Role};
pub use error::{Counted, ModelError, Problem, Refusal};
pub use machine::{Assignee, Command, Decision, Instance, Status, Task, TaskStatus};
