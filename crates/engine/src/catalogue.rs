//! The catalogue of roles and department functions as the service keeps it:
//! seeded from `config/catalogue.yaml` at start, read from the store, and
//! changed by global administrators (a role's label and what it may do, or a
//! new role or function). Nothing is taken out of it: grants, departments
//! and registered workflows name its entries.

use crate::auth::Actor;
use crate::error::{EngineError, Result};
use crate::Engine;
use naxian_model::catalogue::{Capability, FunctionEntry, RoleEntry};
use naxian_model::directory::{DeptFunction, Role};
use naxian_model::{Catalogue, Problem, Refusal};
use naxian_store::StoreError;

/// A role as an administrator writes it.
#[derive(Debug, Clone, Default)]
pub struct RoleInput {
    pub label: String,
    /// Capability names (`administer`, `coverage`, `reports`, `campaigns`).
    pub may: Vec<String>,
}

impl Engine {
    /// The catalogue as the store holds it now.
    pub async fn catalogue(&self) -> Result<Catalogue> {
        Ok(self.store.catalogue().await?)
    }

    /// Adds the entries of the catalogue file (read and checked by the
    /// binary) that the store lacks. Returns how many entries were added.
    pub async fn seed_catalogue(&self, file: &Catalogue) -> Result<usize> {
        self.store.seed_catalogue(file).await.map_err(|e| match e {
            // A label an administrator gave another entry meanwhile.
            StoreError::Conflict(detail) => EngineError::invalid(
                "catalogue",
                Problem::BadFile {
                    detail: format!("a label of the file is taken in the stored catalogue: {detail}"),
                },
            ),
            other => other.into(),
        })
    }

    /// Adds the role `name` or changes its label and capabilities.
    pub async fn put_role(&self, actor: &Actor, name: &str, input: RoleInput) -> Result<RoleEntry> {
        require_global_admin(actor)?;
        let name: Role = name
            .parse()
            .map_err(|_: String| EngineError::invalid("name", Problem::NotName))?;
        let mut may = Vec::new();
        for m in &input.may {
            let c: Capability = m.parse().map_err(|p| EngineError::invalid("may", p))?;
            if may.contains(&c) {
                return Err(EngineError::invalid(
                    "may",
                    Problem::ListedTwice { value: m.clone() },
                ));
            }
            may.push(c);
        }
        let entry = RoleEntry {
            name,
            label: input.label.trim().to_string(),
            may,
        };
        let catalogue = self.store.catalogue().await?;
        catalogue
            .check_role(&entry)
            .map_err(|(field, p)| EngineError::invalid(field, p))?;
        self.store
            .put_role(&entry)
            .await
            .map_err(|e| label_taken(e, &entry.label))?;
        Ok(entry)
    }

    /// Adds the department function `name` or changes its label.
    pub async fn put_function(&self, actor: &Actor, name: &str, label: &str) -> Result<FunctionEntry> {
        require_global_admin(actor)?;
        let name: DeptFunction = name
            .parse()
            .map_err(|_: String| EngineError::invalid("name", Problem::NotName))?;
        let entry = FunctionEntry {
            name,
            label: label.trim().to_string(),
        };
        let catalogue = self.store.catalogue().await?;
        catalogue
            .check_function(&entry)
            .map_err(|(field, p)| EngineError::invalid(field, p))?;
        self.store
            .put_function(&entry)
            .await
            .map_err(|e| label_taken(e, &entry.label))?;
        Ok(entry)
    }
}

/// The catalogue is the whole service's: a unit administrator could
/// otherwise give their own role more rights.
fn require_global_admin(actor: &Actor) -> Result<()> {
    if actor.is_admin {
        Ok(())
    } else {
        Err(EngineError::Forbidden(Refusal::CatalogueNeedsGlobalAdmin))
    }
}

/// A label taken by another entry between the check and the write: the
/// unique key decides.
fn label_taken(e: StoreError, label: &str) -> EngineError {
    match e {
        StoreError::Conflict(_) => EngineError::invalid(
            "label",
            Problem::ListedTwice {
                value: label.to_string(),
            },
        ),
        other => other.into(),
    }
}
