//! The catalogue: the roles users hold and the functions departments have,
//! each with its Chinese label and, for a role, what it may do beyond its own
//! tasks. It is data: shipped as `config/catalogue.yaml`, loaded into the
//! store, edited by administrators; workflow files are checked against it
//! when they load, so a new role or function needs no code.

use crate::definition::{DefinitionError, DefinitionErrors};
use crate::directory::{DeptFunction, Role};
use crate::error::Problem;
use indexmap::IndexMap;
use marked_yaml::{LoaderOptions, Spanned};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a role lets its holders do at the unit of the grant and below,
/// beyond the tasks a workflow gives them. A closed list: each is a feature
/// of the service that checks it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Administer the units below: units, users, grants, imports.
    Administer,
    /// See the coverage board (挂图作战), its charts and exports.
    Coverage,
    /// See the monthly reports of the units below.
    Reports,
    /// Open deadline campaigns (限时任务) for the units below and follow them.
    Campaigns,
}

impl Capability {
    pub const ALL: &'static [Capability] = &[
        Capability::Administer,
        Capability::Coverage,
        Capability::Reports,
        Capability::Campaigns,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Administer => "administer",
            Capability::Coverage => "coverage",
            Capability::Reports => "reports",
            Capability::Campaigns => "campaigns",
        }
    }

    /// What Chinese-speaking users call it.
    pub fn label(self) -> &'static str {
        match self {
            Capability::Administer => "管理下级单位和用户",
            Capability::Coverage => "查看挂图作战",
            Capability::Reports => "查看月度报告",
            Capability::Campaigns => "发起限时任务",
        }
    }
}

impl FromStr for Capability {
    type Err = Problem;
    fn from_str(s: &str) -> Result<Self, Problem> {
        Capability::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| Problem::NotOneOf {
                choices: Capability::ALL.iter().map(|c| c.as_str().to_string()).collect(),
            })
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One role of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleEntry {
    pub name: Role,
    pub label: String,
    pub may: Vec<Capability>,
}

/// One department function of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionEntry {
    pub name: DeptFunction,
    pub label: String,
}

/// The roles and department functions there are, in the order they are shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    pub roles: Vec<RoleEntry>,
    pub functions: Vec<FunctionEntry>,
}

/// The pseudo-role of workflow files naming the user who started an
/// instance; no role of the catalogue may take its name.
const RESERVED_ROLE: &str = crate::definition::CREATOR;

/// The longest label, in characters.
pub const LABEL_MAX: usize = 40;

/// Checks a label: one line, not empty, at most [`LABEL_MAX`] characters.
pub fn check_label(label: &str) -> Result<(), Problem> {
    let label = label.trim();
    if label.is_empty() {
        Err(Problem::Empty)
    } else if label.chars().count() > LABEL_MAX {
        Err(Problem::TooLong { max: LABEL_MAX })
    } else if label.chars().any(char::is_control) {
        Err(Problem::NotOneLine)
    } else {
        Ok(())
    }
}

/// A valid label that none of `others` has.
fn label_of_its_own<'a>(
    label: &str,
    mut others: impl Iterator<Item = &'a str>,
) -> Result<(), (&'static str, Problem)> {
    check_label(label).map_err(|p| ("label", p))?;
    let label = label.trim();
    if others.any(|o| o == label) {
        return Err((
            "label",
            Problem::ListedTwice {
                value: label.to_string(),
            },
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    roles: IndexMap<Spanned<String>, RoleSpec>,
    functions: IndexMap<Spanned<String>, FunctionSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleSpec {
    label: Spanned<String>,
    #[serde(default)]
    may: Vec<Capability>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FunctionSpec {
    label: Spanned<String>,
}

fn line_of<T>(s: &Spanned<T>) -> usize {
    s.span().start().map(|m| m.line()).unwrap_or(0)
}

impl Catalogue {
    /// The catalogue the service ships (`config/catalogue.yaml`), for tests
    /// and tools that have no store to read one from.
    pub fn shipped() -> Catalogue {
        Catalogue::parse(
            "config/catalogue.yaml",
            include_str!("../../../config/catalogue.yaml"),
        )
        .expect("the shipped catalogue is valid")
    }

    /// Parses and checks a catalogue file; `file` names it in errors.
    pub fn parse(file: &str, source: &str) -> Result<Catalogue, DefinitionErrors> {
        let errors = |v: Vec<(usize, String)>| {
            DefinitionErrors(
                v.into_iter()
                    .map(|(line, message)| DefinitionError {
                        file: file.to_string(),
                        line,
                        message,
                    })
                    .collect(),
            )
        };
        let options = LoaderOptions::default().error_on_duplicate_keys(true);
        let node = marked_yaml::parse_yaml_with_options(0, source, options).map_err(|load| {
            let text = load.to_string();
            errors(vec![(crate::definition::leading_line(&text), text)])
        })?;
        let parsed: CatalogueFile = marked_yaml::from_node(&node)
            .map_err(|e| errors(vec![(crate::definition::error_line(&node, &e), e.to_string())]))?;
        let mut out = Vec::new();
        let mut cat = Catalogue::default();
        for (name, spec) in parsed.roles {
            if name.as_str() == RESERVED_ROLE {
                out.push((
                    line_of(&name),
                    format!("`{RESERVED_ROLE}` is reserved for the one who starts an instance"),
                ));
                continue;
            }
            let role = match name.parse::<Role>() {
                Ok(r) => r,
                Err(m) => {
                    out.push((line_of(&name), m));
                    continue;
                }
            };
            let entry = RoleEntry {
                name: role,
                label: spec.label.trim().to_string(),
                may: spec.may,
            };
            if let Err((_, p)) = cat.check_role(&entry) {
                out.push((line_of(&spec.label), format!("label {p}")));
            }
            cat.roles.push(entry);
        }
        for (name, spec) in parsed.functions {
            let function = match name.parse::<DeptFunction>() {
                Ok(f) => f,
                Err(m) => {
                    out.push((line_of(&name), m));
                    continue;
                }
            };
            let entry = FunctionEntry {
                name: function,
                label: spec.label.trim().to_string(),
            };
            if let Err((_, p)) = cat.check_function(&entry) {
                out.push((line_of(&spec.label), format!("label {p}")));
            }
            cat.functions.push(entry);
        }
        if out.is_empty() {
            Ok(cat)
        } else {
            Err(errors(out))
        }
    }

    /// Whether `entry` may join the catalogue or replace the role of its
    /// name: a label of its own (an import sheet names roles by label).
    pub fn check_role(&self, entry: &RoleEntry) -> Result<(), (&'static str, Problem)> {
        if entry.name == RESERVED_ROLE {
            return Err((
                "name",
                Problem::Reserved {
                    name: RESERVED_ROLE.to_string(),
                },
            ));
        }
        let others = self.roles.iter().filter(|r| r.name != entry.name);
        label_of_its_own(&entry.label, others.map(|r| r.label.as_str()))
    }

    /// The same for a department function.
    pub fn check_function(&self, entry: &FunctionEntry) -> Result<(), (&'static str, Problem)> {
        let others = self.functions.iter().filter(|f| f.name != entry.name);
        label_of_its_own(&entry.label, others.map(|f| f.label.as_str()))
    }

    pub fn role(&self, name: &str) -> Option<&RoleEntry> {
        self.roles.iter().find(|r| r.name == name)
    }

    pub fn function(&self, name: &str) -> Option<&FunctionEntry> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// A role's label, or its name when the catalogue has no such role.
    pub fn role_label<'a>(&'a self, name: &'a str) -> &'a str {
        self.role(name).map_or(name, |r| r.label.as_str())
    }

    /// A function's label, or its name when the catalogue has none such.
    pub fn function_label<'a>(&'a self, name: &'a str) -> &'a str {
        self.function(name).map_or(name, |f| f.label.as_str())
    }

    /// The role named or labelled `text` (an import sheet may use either).
    pub fn find_role(&self, text: &str) -> Result<Role, Problem> {
        let text = text.trim();
        self.roles
            .iter()
            .find(|r| r.name == text || r.label == text)
            .map(|r| r.name.clone())
            .ok_or_else(|| self.not_a_role())
    }

    /// The function named or labelled `text`.
    pub fn find_function(&self, text: &str) -> Result<DeptFunction, Problem> {
        let text = text.trim();
        self.functions
            .iter()
            .find(|f| f.name == text || f.label == text)
            .map(|f| f.name.clone())
            .ok_or_else(|| self.not_a_function())
    }

    /// The problem of a value that names no role.
    pub fn not_a_role(&self) -> Problem {
        Problem::NotOneOf {
            choices: self.roles.iter().map(|r| r.name.to_string()).collect(),
        }
    }

    /// The problem of a value that names no function.
    pub fn not_a_function(&self) -> Problem {
        Problem::NotOneOf {
            choices: self.functions.iter().map(|f| f.name.to_string()).collect(),
        }
    }

    /// The role names, for messages.
    pub fn role_names(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The function names, for messages.
    pub fn function_names(&self) -> String {
        self.functions
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether holding `role` lets one do `what`.
    pub fn grants(&self, role: &Role, what: Capability) -> bool {
        self.role(role.as_str()).is_some_and(|r| r.may.contains(&what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogue_loads() {
        let c = Catalogue::shipped();
        assert_eq!(c.role_label("department"), "部门经办人");
        assert_eq!(c.function_label("party_committee"), "乡镇党委");
        assert!(c.grants(&"supervisor".parse().unwrap(), Capability::Campaigns));
        assert!(!c.grants(&"viewer".parse().unwrap(), Capability::Campaigns));
        assert_eq!(c.find_role("提名人").unwrap(), "nominator");
        assert_eq!(c.find_function("health").unwrap(), "health");
        assert!(c.find_role("nobody").is_err());
    }

    #[test]
    fn problems_are_named_with_their_line() {
        let src = "roles:\n  ok:\n    label: 好\n  Bad-Name:\n    label: 坏\n  creator:\n    label: 发起人\n  twin:\n    label: 好\n  rich:\n    label: 富\n    may: [everything]\nfunctions: {}\n";
        let err = Catalogue::parse("c.yaml", src).unwrap_err().to_string();
        assert!(err.contains("c.yaml:12:"), "{err}");
        let src = "roles:\n  ok:\n    label: 好\n  Bad-Name:\n    label: 坏\n  creator:\n    label: 发起人\n  twin:\n    label: 好\nfunctions:\n  f:\n    label: ''\n";
        let err = Catalogue::parse("c.yaml", src).unwrap_err().to_string();
        assert!(err.contains("c.yaml:4: `Bad-Name` is not a name"), "{err}");
        assert!(err.contains("c.yaml:6: `creator` is reserved"), "{err}");
        assert!(err.contains("c.yaml:9: label `好` is listed twice"), "{err}");
        assert!(err.contains("c.yaml:12: label must not be empty"), "{err}");
    }
}
