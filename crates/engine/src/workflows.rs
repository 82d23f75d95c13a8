//! The workflow registry: definitions are parsed and validated, stored by
//! (name, version) with their source, and cached parsed. A running instance
//! always runs on the version it started with.

use crate::error::{EngineError, Result};
use crate::Engine;
use naxian_model::definition::DefinitionErrors;
use naxian_model::{Catalogue, Definition, Problem};
use naxian_store::{Registered, WorkflowRecord};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The `*.yaml` files of a directory, or the one file named.
pub fn definition_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    Ok(files)
}

/// Validates every definition under `path` against `catalogue`; returns what
/// is wrong, file by file.
pub fn check_definitions(
    path: &Path,
    catalogue: &Catalogue,
) -> std::result::Result<Vec<Definition>, Vec<String>> {
    let files = definition_files(path).map_err(|e| vec![format!("{}: {e}", path.display())])?;
    if files.is_empty() {
        return Err(vec![format!("{}: no workflow files (*.yaml)", path.display())]);
    }
    let mut defs = Vec::new();
    let mut problems = Vec::new();
    for f in files {
        let name = f.display().to_string();
        match std::fs::read_to_string(&f) {
            Err(e) => problems.push(format!("{name}: {e}")),
            Ok(src) => match Definition::parse(&name, &src, catalogue) {
                Ok(d) => defs.push(d),
                Err(DefinitionErrors(errs)) => problems.extend(errs.iter().map(|e| e.to_string())),
            },
        }
    }
    problems.extend(figure_sectors(&defs));
    if problems.is_empty() {
        Ok(defs)
    } else {
        Err(problems)
    }
}

/// A figure of a sector's coverage (`counties_health_pct`) counts the
/// chiefs the appointments add: its sector must be one they cover.
fn figure_sectors(defs: &[Definition]) -> Vec<String> {
    let covered: Vec<&str> = defs
        .iter()
        .flat_map(|d| d.ends.values())
        .filter_map(|e| e.add_member.as_ref())
        .flat_map(|a| a.covers.iter().map(String::as_str))
        .collect();
    let mut out = Vec::new();
    for d in defs {
        for (field, spec) in d.fields.iter().filter(|(_, s)| s.prefill.is_some()) {
            for column in spec.columns.keys() {
                if let Some(naxian_model::figures::Figure::Covered { sector: Some(s), .. }) =
                    naxian_model::figures::parse(column)
                {
                    if !covered.contains(&s) {
                        out.push(format!(
                            "{}: field `{}`: column `{column}`: no appointment covers sector `{s}` (covered: {})",
                            d.name.as_str(),
                            field.as_str(),
                            covered.join(", ")
                        ));
                    }
                }
            }
        }
    }
    out
}

impl Engine {
    /// Validates and stores one definition source.
    pub async fn register_workflow(&self, file: &str, source: &str) -> Result<(Arc<Definition>, Registered)> {
        let catalogue = self.store.catalogue().await?;
        let def = Definition::parse(file, source, &catalogue).map_err(|e| {
            EngineError::invalid(
                "source",
                Problem::BadFile {
                    detail: e.to_string(),
                },
            )
        })?;
        let record = WorkflowRecord {
            name: def.name.to_string(),
            version: def.version,
            title: def.title.clone(),
            source: source.to_string(),
            sha256: hex::encode(Sha256::digest(source.as_bytes())),
        };
        let outcome = self.store.register_workflow(&record).await?;
        let def = Arc::new(def);
        self.definitions
            .write()
            .expect("definitions lock")
            .insert((record.name, record.version), def.clone());
        Ok((def, outcome))
    }

    /// Registers every definition in a directory; nothing is stored if any is invalid.
    pub async fn load_workflows(&self, dir: &Path) -> Result<Vec<(String, i64, Registered)>> {
        let catalogue = self.store.catalogue().await?;
        check_definitions(dir, &catalogue)
            .map_err(|p| EngineError::invalid("workflows", Problem::BadFile { detail: p.join("\n") }))?;
        let mut out = Vec::new();
        for f in definition_files(dir).map_err(|e| EngineError::Internal(e.to_string()))? {
            let src = std::fs::read_to_string(&f).map_err(|e| EngineError::Internal(e.to_string()))?;
            let (def, reg) = self.register_workflow(&f.display().to_string(), &src).await?;
            out.push((def.name.to_string(), def.version, reg));
        }
        Ok(out)
    }

    /// A definition by exact version, from the cache or the store.
    pub async fn definition(&self, name: &str, version: i64) -> Result<Arc<Definition>> {
        if let Some(d) = self
            .definitions
            .read()
            .expect("definitions lock")
            .get(&(name.to_string(), version))
        {
            return Ok(d.clone());
        }
        let rec = self.store.workflow(name, version).await?.ok_or_else(|| {
            EngineError::NotFound(naxian_model::Refusal::NoWorkflowVersion {
                name: name.to_string(),
                version,
            })
        })?;
        // Roles and functions are never taken out of the catalogue, so what
        // was registered against it still reads against it.
        let catalogue = self.store.catalogue().await?;
        let def = Arc::new(
            Definition::parse(&format!("{name}@{version}"), &rec.source, &catalogue)
                .map_err(|e| EngineError::Internal(format!("stored definition no longer parses: {e}")))?,
        );
        self.definitions
            .write()
            .expect("definitions lock")
            .insert((name.to_string(), version), def.clone());
        Ok(def)
    }

    /// The newest version of every workflow.
    pub async fn workflows(&self) -> Result<Vec<WorkflowRecord>> {
        Ok(self.store.latest_workflows().await?)
    }

    /// One workflow's definition: the version asked for, else its newest.
    pub async fn find_definition(&self, name: &str, version: Option<i64>) -> Result<Arc<Definition>> {
        let version = match version {
            Some(v) => v,
            None => self
                .store
                .latest_workflows()
                .await?
                .into_iter()
                .find(|w| w.name == name)
                .map(|w| w.version)
                .ok_or_else(|| {
                    EngineError::NotFound(naxian_model::Refusal::NoWorkflow { name: name.into() })
                })?,
        };
        self.definition(name, version).await
    }

    /// The newest version of every workflow's definition.
    pub async fn latest_definitions(&self) -> Result<Vec<Arc<Definition>>> {
        let mut out = Vec::new();
        for w in self.store.latest_workflows().await? {
            out.push(self.definition(&w.name, w.version).await?);
        }
        Ok(out)
    }

    /// The workflows whose ends add members (the appointments), by name.
    pub async fn member_workflows(&self) -> Result<Vec<String>> {
        Ok(self
            .latest_definitions()
            .await?
            .iter()
            .filter(|d| d.adds_members())
            .map(|d| d.name.to_string())
            .collect())
    }

    /// The workflows of the periodic progress reports, by name.
    pub async fn report_workflows(&self) -> Result<Vec<String>> {
        Ok(self
            .latest_definitions()
            .await?
            .iter()
            .filter(|d| d.is_report())
            .map(|d| d.name.to_string())
            .collect())
    }

    /// The workflow a campaign opens: the one named, which must say
    /// `campaign: true`; by default the first by name whose required fields
    /// a campaign fills in itself (a plain deadline task, not a form that
    /// needs more to start).
    pub async fn campaign_workflow(&self, name: Option<&str>) -> Result<Arc<Definition>> {
        let campaigns = self.campaign_workflows().await?;
        let found = match name {
            Some(n) => campaigns.iter().find(|d| d.name.as_str() == n),
            None => campaigns.iter().find(|d| {
                d.fields
                    .iter()
                    .all(|(k, f)| !f.required || crate::campaigns::set_by_campaign(k.as_str()))
            }),
        };
        found.cloned().ok_or_else(|| {
            EngineError::invalid(
                "workflow",
                Problem::NoWorkflow {
                    name: name.unwrap_or("campaign: true").into(),
                },
            )
        })
    }

    /// Every workflow a campaign may open (`campaign: true`), by name.
    pub async fn campaign_workflows(&self) -> Result<Vec<Arc<Definition>>> {
        let mut list: Vec<Arc<Definition>> = self
            .latest_definitions()
            .await?
            .into_iter()
            .filter(|d| d.campaign)
            .collect();
        list.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        Ok(list)
    }

    /// The newest version of one workflow.
    pub async fn latest_definition(&self, name: &str) -> Result<Arc<Definition>> {
        let latest = self.store.latest_workflows().await?;
        let rec = latest
            .iter()
            .find(|w| w.name == name)
            .ok_or_else(|| EngineError::invalid("workflow", Problem::NoWorkflow { name: name.into() }))?;
        self.definition(&rec.name, rec.version).await
    }
}
