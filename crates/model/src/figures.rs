//! A unit's work in figures (工作数据), as a table field with
//! `prefill: unit_figures` is filled in when its instance opens (总结评估):
//! which column names are figures, and each figure's value from the counts
//! the engine gathers. The engine counts; what the names mean lives here.

use std::collections::BTreeMap;

/// What a table field's `prefill` may name.
pub const KNOWN_FIELD_PREFILLS: &[&str] = &["unit_figures"];

/// Figures that are not about a level of units.
const PLAIN: &[&str] = &[
    "appointments_started",
    "appointments_completed",
    "appointments_in_progress",
    "reports_due",
    "reports_on_time",
    "reports_on_time_pct",
    "census_counties",
    "census_pct",
];

/// A level of units below the one evaluated, and how its chiefs cover it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Level {
    pub total: i64,
    /// Units with a current chief (三长) of the sector.
    pub covered: BTreeMap<String, i64>,
    /// Units with a current chief of every sector.
    pub all: i64,
}

/// The counts a unit's figures are made of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitCounts {
    pub counties: Level,
    /// Townships and streets.
    pub townships: Level,
    pub appointments_started: i64,
    pub appointments_completed: i64,
    pub appointments_in_progress: i64,
    /// Periodic reports whose due date has passed or that were submitted.
    pub reports_due: i64,
    /// Of those, the ones submitted by their due date.
    pub reports_on_time: i64,
    /// Counties whose facts an accepted census gives.
    pub counties_with_facts: i64,
}

/// What a figure's name says: a plain figure, or one of a level
/// (`counties`, `townships`) — its total, its units covered in a sector or in
/// all (`counties_health`, `townships_all`), as a count or a percentage (`_pct`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Figure<'a> {
    Plain(&'a str),
    Total(&'a str),
    Covered {
        level: &'a str,
        sector: Option<&'a str>,
        pct: bool,
    },
}

/// Reads a column name as a figure; `None` when it names none.
pub fn parse(name: &str) -> Option<Figure<'_>> {
    if PLAIN.contains(&name) {
        return Some(Figure::Plain(name));
    }
    for level in ["counties", "townships"] {
        if name == level {
            return Some(Figure::Total(level));
        }
        let Some(rest) = name.strip_prefix(level).and_then(|r| r.strip_prefix('_')) else {
            continue;
        };
        if rest == "pct" {
            return None;
        }
        let (what, pct) = match rest.strip_suffix("_pct") {
            Some(w) => (w, true),
            None => (rest, false),
        };
        if what.is_empty() || !what.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return None;
        }
        let sector = (what != "all").then_some(what);
        return Some(Figure::Covered { level, sector, pct });
    }
    None
}

/// `part` of `whole` in whole percent, rounded down; 0 of nothing is 0.
fn pct(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        0
    } else {
        part * 100 / whole
    }
}

impl UnitCounts {
    fn level(&self, name: &str) -> &Level {
        if name == "counties" {
            &self.counties
        } else {
            &self.townships
        }
    }

    /// The value of the figure a column names; `None` for a name that is no
    /// figure. A sector nobody covers counts 0.
    pub fn figure(&self, name: &str) -> Option<i64> {
        Some(match parse(name)? {
            Figure::Plain(p) => match p {
                "appointments_started" => self.appointments_started,
                "appointments_completed" => self.appointments_completed,
                "appointments_in_progress" => self.appointments_in_progress,
                "reports_due" => self.reports_due,
                "reports_on_time" => self.reports_on_time,
                "reports_on_time_pct" => pct(self.reports_on_time, self.reports_due),
                "census_counties" => self.counties_with_facts,
                "census_pct" => pct(self.counties_with_facts, self.counties.total),
                _ => return None,
            },
            Figure::Total(level) => self.level(level).total,
            Figure::Covered {
                level,
                sector,
                pct: as_pct,
            } => {
                let l = self.level(level);
                let n = match sector {
                    Some(s) => l.covered.get(s).copied().unwrap_or(0),
                    None => l.all,
                };
                if as_pct {
                    pct(n, l.total)
                } else {
                    n
                }
            }
        })
    }
}

/// Competition ranking (1, 2, 2, 4) of totals, highest first: the rank of
/// each total, in the order given.
pub fn ranks(totals: &[i64]) -> Vec<usize> {
    totals
        .iter()
        .map(|t| 1 + totals.iter().filter(|o| *o > t).count())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts() -> UnitCounts {
        UnitCounts {
            counties: Level {
                total: 4,
                covered: [("health".to_string(), 3), ("education".to_string(), 1)].into(),
                all: 1,
            },
            townships: Level {
                total: 0,
                ..Level::default()
            },
            reports_due: 3,
            reports_on_time: 2,
            counties_with_facts: 1,
            ..UnitCounts::default()
        }
    }

    #[test]
    fn names_read_as_figures() {
        assert_eq!(parse("counties"), Some(Figure::Total("counties")));
        assert_eq!(
            parse("townships_health_pct"),
            Some(Figure::Covered {
                level: "townships",
                sector: Some("health"),
                pct: true
            })
        );
        assert_eq!(
            parse("counties_all"),
            Some(Figure::Covered {
                level: "counties",
                sector: None,
                pct: false
            })
        );
        for bad in [
            "county",
            "counties_",
            "counties_pct",
            "counties_Health",
            "score",
            "reports",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn figures_count_and_take_percentages_of_their_level() {
        let c = counts();
        assert_eq!(c.figure("counties_health"), Some(3));
        assert_eq!(c.figure("counties_health_pct"), Some(75));
        assert_eq!(c.figure("counties_education_pct"), Some(25));
        assert_eq!(c.figure("counties_agriculture"), Some(0));
        assert_eq!(c.figure("counties_all_pct"), Some(25));
        assert_eq!(c.figure("townships_health_pct"), Some(0), "0 of no townships");
        assert_eq!(c.figure("reports_on_time_pct"), Some(66));
        assert_eq!(c.figure("census_pct"), Some(25));
        assert_eq!(c.figure("remarks"), None);
    }

    #[test]
    fn ties_share_a_rank_and_the_next_is_skipped() {
        assert_eq!(ranks(&[70, 90, 70, 100, 10]), vec![3, 2, 3, 1, 5]);
        assert!(ranks(&[]).is_empty());
    }
}
