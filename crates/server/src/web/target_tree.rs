//! The units a form lets a user address (a campaign's targets), grouped as
//! the province is: city, then county, then the units below a county, with a
//! select-all (`all=CODE`) at the city and the county level. A form posts
//! `targets` for single units and `all` for groups; [`Tree::expand`] turns
//! both into the list of codes the engine is given.

use naxian_model::directory::OrgUnit;
use std::collections::HashMap;

/// A unit under a group: a county, with what lies below it.
pub struct Child {
    pub code: String,
    pub name: String,
    /// Whether the unit itself may be chosen (not only what lies below it).
    pub selectable: bool,
    /// The units below it that may be chosen: (code, name).
    pub below: Vec<(String, String)>,
}

/// A top-level group: a city (or a unit directly under the province).
pub struct Group {
    pub code: String,
    pub name: String,
    pub selectable: bool,
    pub children: Vec<Child>,
}

pub struct Tree {
    pub groups: Vec<Group>,
}

/// The codes on a path below the root (the province): `/P/C/K/T/` → [C, K, T].
fn below_root(path: &str) -> Vec<&str> {
    path.split('/').filter(|c| !c.is_empty()).skip(1).collect()
}

impl Tree {
    /// Groups `choosable` (in path order); `names` gives the names of the
    /// cities and counties they lie under, which may not be choosable
    /// themselves.
    pub fn new(choosable: &[OrgUnit], names: &HashMap<String, String>) -> Tree {
        let name_of = |code: &str| names.get(code).cloned().unwrap_or_else(|| code.to_string());
        let mut groups: Vec<Group> = Vec::new();
        for u in choosable {
            let codes = below_root(&u.path);
            // The province itself (or a unit with no city above it) is its own group.
            let group_code = codes.first().copied().unwrap_or(u.code.as_str());
            let gi = match groups.iter().position(|g| g.code == group_code) {
                Some(i) => i,
                None => {
                    groups.push(Group {
                        code: group_code.to_string(),
                        name: name_of(group_code),
                        selectable: false,
                        children: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            let group = &mut groups[gi];
            if codes.len() <= 1 {
                group.selectable = true;
                continue;
            }
            let child_code = codes[1];
            let ci = match group.children.iter().position(|c| c.code == child_code) {
                Some(i) => i,
                None => {
                    group.children.push(Child {
                        code: child_code.to_string(),
                        name: name_of(child_code),
                        selectable: false,
                        below: Vec::new(),
                    });
                    group.children.len() - 1
                }
            };
            let child = &mut group.children[ci];
            if codes.len() == 2 {
                child.selectable = true;
            } else {
                child.below.push((u.code.clone(), u.name.clone()));
            }
        }
        Tree { groups }
    }

    /// The codes a form chose: each of `targets`, and for each of `all` the
    /// choosable units of that group (a city's counties and the units
    /// directly in it; a county's units below it), in tree order, once each.
    pub fn expand(&self, targets: &[String], all: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |code: &str| {
            if !out.iter().any(|c| c == code) {
                out.push(code.to_string());
            }
        };
        for g in &self.groups {
            if g.selectable && targets.contains(&g.code) {
                add(&g.code);
            }
            let whole_group = all.contains(&g.code);
            for c in &g.children {
                if c.selectable && (whole_group || targets.contains(&c.code)) {
                    add(&c.code);
                }
                let whole_child = all.contains(&c.code);
                for (code, _) in &c.below {
                    if whole_child || targets.contains(code) {
                        add(code);
                    }
                }
            }
        }
        // A code the tree does not offer still goes to the engine, which
        // names it in its refusal rather than dropping it unseen.
        for t in targets {
            add(t);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use naxian_model::OrgKind;

    fn unit(code: &str, path: &str, kind: OrgKind) -> OrgUnit {
        OrgUnit {
            code: code.into(),
            name: format!("{code}名"),
            kind,
            parent: None,
            function: None,
            path: path.into(),
        }
    }

    fn tree() -> Tree {
        let units = vec![
            unit("C1", "/P/C1/", OrgKind::City),
            unit("K1", "/P/C1/K1/", OrgKind::County),
            unit("T1", "/P/C1/K1/T1/", OrgKind::Township),
            unit("T2", "/P/C1/K1/T2/", OrgKind::Township),
            unit("K2", "/P/C1/K2/", OrgKind::County),
            unit("K3", "/P/C2/K3/", OrgKind::County),
            unit("S1", "/P/S1/", OrgKind::Society),
        ];
        let names = HashMap::from([("C2".to_string(), "二市".to_string())]);
        Tree::new(&units, &names)
    }

    #[test]
    fn units_group_by_city_then_county() {
        let t = tree();
        type Shape<'a> = (&'a str, bool, Vec<(&'a str, bool, usize)>);
        let shape: Vec<Shape> = t
            .groups
            .iter()
            .map(|g| {
                (
                    g.code.as_str(),
                    g.selectable,
                    g.children
                        .iter()
                        .map(|c| (c.code.as_str(), c.selectable, c.below.len()))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("C1", true, vec![("K1", true, 2), ("K2", true, 0)]),
                ("C2", false, vec![("K3", true, 0)]),
                ("S1", true, vec![]),
            ]
        );
        assert_eq!(t.groups[1].name, "二市", "a group not itself choosable is named");
    }

    #[test]
    fn select_all_takes_a_citys_counties_or_a_countys_units() {
        let t = tree();
        assert_eq!(t.expand(&[], &["C1".into()]), ["K1", "K2"]);
        assert_eq!(t.expand(&[], &["K1".into()]), ["T1", "T2"]);
        assert_eq!(
            t.expand(&["K1".into(), "S1".into()], &["C1".into(), "C2".into()]),
            ["K1", "K2", "K3", "S1"],
            "each once, in tree order"
        );
        assert_eq!(t.expand(&["X9".into()], &[]), ["X9"], "unknown codes pass on");
    }
}
