//! Directory vocabulary: kinds of org unit, department functions, roles, and the
//! slice of the directory an instance's decisions depend on ([`OrgContext`]).

use crate::error::Problem;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal | $zh:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// The accepted spellings, for error messages.
            pub fn names() -> String {
                [$($text),+].join(", ")
            }
            /// The problem of a value that is none of these.
            pub fn not_one_of() -> Problem {
                Problem::NotOneOf {
                    choices: [$($text),+].iter().map(|t| t.to_string()).collect(),
                }
            }
            /// What Chinese-speaking users call it.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }
            /// From either the stored spelling or the Chinese label (as typed
            /// into an import sheet).
            pub fn from_label(s: &str) -> Result<Self, Problem> {
                let s = s.trim();
                match s {
                    $($zh => Ok($name::$variant),)+
                    _ => s.parse().map_err(|_| Self::not_one_of()),
                }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("must be one of: {}", Self::names())),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What an org unit is: a level of the association tree, another kind of
    /// association, or a government department.
    OrgKind {
        Province => "province" | "省",
        City => "city" | "市",
        County => "county" | "县",
        Township => "township" | "乡镇",
        Street => "street" | "街道",
        Village => "village" | "村",
        Community => "community" | "社区",
        Society => "society" | "学会",
        Agritech => "agritech" | "农技协",
        Enterprise => "enterprise" | "企业",
        Park => "park" | "园区",
        University => "university" | "高校",
        Department => "department" | "部门",
    }
);

/// A name from the catalogue (roles, department functions): lower-case
/// letters, digits and `_`, starting with a letter. Whether the catalogue
/// holds it is the catalogue's to say ([`crate::catalogue::Catalogue`]).
macro_rules! catalogue_name {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                check_catalogue_name(s).map(|()| $name(s.to_string()))
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                check_catalogue_name(&s).map(|()| $name(s))
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "pattern": CATALOGUE_NAME_PATTERN })
            }
        }
    };
}

/// The spelling of a catalogue name, for schemas.
pub const CATALOGUE_NAME_PATTERN: &str = "^[a-z][a-z0-9_]{0,39}$";

fn check_catalogue_name(s: &str) -> Result<(), String> {
    let mut chars = s.chars();
    let ok = s.len() <= 40
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not a name: lower-case letters, digits and `_`, starting with a letter, at most 40"
        ))
    }
}

catalogue_name!(
    /// What a department does (组织部, 卫生健康, …); decides who is consulted
    /// and who files. The functions there are come from the catalogue.
    DeptFunction
);

catalogue_name!(
    /// A role a user holds at an org unit (and the units below it). The roles
    /// there are, with their labels and what each may do beyond its own
    /// tasks, come from the catalogue.
    Role
);

impl OrgKind {
    /// Whether a unit of this kind may sit under `parent` (none: the root).
    /// The association tree keeps its levels — a city under the province, a
    /// county under a city, a township or street under a county, a village
    /// or community under a township or street — since every route and
    /// report finds "the county" or "the township" by walking up it. Other
    /// associations sit under any level; a department under the unit it
    /// serves (any but another department).
    pub fn check_parent(self, parent: Option<OrgKind>) -> Result<(), Problem> {
        use OrgKind::*;
        let allowed: &[OrgKind] = match self {
            Province => &[],
            City => &[Province],
            County => &[City],
            Township | Street => &[County],
            Village | Community => &[Township, Street],
            Society | Agritech | Enterprise | Park | University | Department => {
                &[Province, City, County, Township, Street, Village, Community]
            }
        };
        match parent {
            None if self == Province => Ok(()),
            None => Err(Problem::NeedsParent {
                kind: self.as_str().into(),
            }),
            Some(p) if allowed.contains(&p) => Ok(()),
            Some(p) => Err(Problem::WrongParent {
                kind: self.as_str().into(),
                parent: p.as_str().into(),
                allowed: allowed.iter().map(|k| k.as_str().to_string()).collect(),
            }),
        }
    }
}

#[cfg(test)]
mod tree_tests {
    use super::OrgKind::*;

    #[test]
    fn the_tree_keeps_its_levels() {
        assert!(Province.check_parent(None).is_ok());
        assert!(Province.check_parent(Some(City)).is_err());
        assert!(City.check_parent(Some(Province)).is_ok());
        assert!(City.check_parent(None).is_err());
        assert!(County.check_parent(Some(City)).is_ok());
        assert!(County.check_parent(Some(Province)).is_err());
        assert!(Township.check_parent(Some(County)).is_ok());
        assert!(Street.check_parent(Some(County)).is_ok());
        assert!(Township.check_parent(Some(City)).is_err());
        assert!(Township.check_parent(Some(Township)).is_err());
        assert!(Village.check_parent(Some(Street)).is_ok());
        assert!(Village.check_parent(Some(County)).is_err());
        assert!(Department.check_parent(Some(Township)).is_ok());
        assert!(Department.check_parent(Some(Department)).is_err());
        assert!(Department.check_parent(None).is_err());
        assert!(Society.check_parent(Some(Province)).is_ok());
        assert!(Enterprise.check_parent(Some(Park)).is_err());
    }
}

/// The level a workflow names when it asks for "the department of the county"
/// or "of the township": the nearest unit of that level on the way to the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    City,
    County,
    /// A township or a street (they sit at the same level).
    Township,
    /// The unit itself.
    Target,
}

impl Level {
    pub fn matches(self, kind: OrgKind) -> bool {
        match self {
            Level::Province => kind == OrgKind::Province,
            Level::City => kind == OrgKind::City,
            Level::County => kind == OrgKind::County,
            Level::Township => matches!(kind, OrgKind::Township | OrgKind::Street),
            Level::Target => true,
        }
    }
}

/// Checks an org-unit code: the tree path is built from codes joined by `/`.
pub fn validate_code(code: &str) -> Result<(), Problem> {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(Problem::NotCode)
    }
}

/// One unit of the org tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    pub parent: Option<String>,
    pub function: Option<DeptFunction>,
    /// `/ROOT/CHILD/.../CODE/`: a unit covers every unit whose path starts with its own.
    pub path: String,
}

impl OrgUnit {
    /// The path of a child of `parent_path` with this code.
    pub fn child_path(parent_path: Option<&str>, code: &str) -> String {
        format!("{}{}/", parent_path.unwrap_or("/"), code)
    }

    /// Whether a grant at this unit reaches `other` (itself or a unit below it).
    pub fn covers_path(&self, other_path: &str) -> bool {
        other_path.starts_with(&self.path)
    }
}

/// A unit's leadership body and its term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
    pub congress_date: Option<NaiveDate>,
}

/// One user holding one role at one unit (a grant), as decisions see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holding {
    pub login: String,
    pub role: Role,
    /// The code of the unit the grant is at; it covers the units below too.
    pub unit: String,
}

/// What decisions about one instance may know of the directory: the unit the
/// instance belongs to, its ancestors, the departments hanging off them, the
/// unit's body, and who holds which role at any of those units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgContext {
    /// From the root down to the target, the target last.
    pub chain: Vec<OrgUnit>,
    /// Departments whose parent is one of the units in `chain`.
    pub departments: Vec<OrgUnit>,
    pub body: Option<Body>,
    /// The grants at the units of `chain` and `departments`.
    pub holdings: Vec<Holding>,
}

impl OrgContext {
    pub fn target(&self) -> &OrgUnit {
        self.chain.last().expect("an org context always holds its target")
    }

    /// The nearest unit of `level` on the way from the target to the root.
    pub fn at_level(&self, level: Level) -> Option<&OrgUnit> {
        if level == Level::Target {
            return self.chain.last();
        }
        self.chain.iter().rev().find(|u| level.matches(u.kind))
    }

    /// Who holds `role` at the unit at `unit_path` (one of this context's
    /// units) or at a unit above it.
    pub fn holders(&self, role: &Role, unit_path: &str) -> Vec<&str> {
        let on_path: Vec<&str> = unit_path.split('/').filter(|c| !c.is_empty()).collect();
        self.holdings
            .iter()
            .filter(|h| h.role == *role && on_path.contains(&h.unit.as_str()))
            .map(|h| h.login.as_str())
            .collect()
    }

    /// The name of one of this context's units, or its code.
    pub fn unit_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.chain
            .iter()
            .chain(&self.departments)
            .find(|u| u.code == code)
            .map_or(code, |u| u.name.as_str())
    }

    /// The department with `function` directly under `unit`.
    pub fn department(&self, unit: &OrgUnit, function: &DeptFunction) -> Option<&OrgUnit> {
        self.departments.iter().find(|d| {
            d.parent.as_deref() == Some(unit.code.as_str()) && d.function.as_ref() == Some(function)
        })
    }
}
