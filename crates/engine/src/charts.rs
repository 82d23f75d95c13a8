//! The figures behind the coverage board's charts: how coverage grew month
//! by month in each city, where the appointments under way stand, and which
//! counties have overdue tasks.

use crate::auth::Actor;
use crate::error::Result;
use crate::Engine;
use chrono::{Datelike, NaiveDate};
use naxian_model::directory::OrgKind;
use naxian_model::{Instance, OrgUnit, Status};
use std::collections::{BTreeSet, HashMap};

/// Months the coverage line covers, the current one last.
pub const MONTHS: usize = 12;

pub struct BoardCharts {
    /// `YYYY-MM`, oldest first.
    pub months: Vec<String>,
    /// Per city (or the unit asked for, below city level): the share of
    /// township × sector places filled at each month's end, in percent.
    pub coverage_by_city: Vec<(String, Vec<f64>)>,
    /// Appointments under way by the step they are in, in workflow order.
    pub by_step: Vec<(String, usize)>,
    /// Appointments with an overdue task, per county (every county listed).
    pub overdue_by_county: Vec<(String, usize)>,
}

/// The last day of each of the `n` months ending with `today`'s, oldest first.
pub fn month_ends(today: NaiveDate, n: usize) -> Vec<NaiveDate> {
    let mut ends = Vec::with_capacity(n);
    let (mut y, mut m) = (today.year(), today.month());
    for _ in 0..n {
        let next = if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)
        };
        ends.push(next.and_then(|d| d.pred_opt()).unwrap_or(today));
        (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    }
    ends.reverse();
    ends
}

/// The unit of `kind` on the way up from `path`, among `units`.
pub(crate) fn ancestor<'a>(units: &'a [OrgUnit], path: &str, kind: OrgKind) -> Option<&'a OrgUnit> {
    units
        .iter()
        .filter(|u| u.kind == kind && path.starts_with(&u.path))
        .max_by_key(|u| u.path.len())
}

impl Engine {
    pub async fn board_charts(&self, actor: &Actor, under: &str) -> Result<BoardCharts> {
        let root = self.unit_in_reach(actor, under).await?;
        let today = self.clock.today();
        let units = self.store.units_under(&root.path).await?;
        let members = self.store.members_under(&root.path).await?;
        let instances: Vec<Instance> = self
            .appointments_under(&root.path)
            .await?
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        let mut overdue = Vec::new();
        for workflow in self.member_workflows().await? {
            overdue.extend(
                self.store
                    .overdue_tasks_under(&workflow, &root.path, self.clock.now())
                    .await?,
            );
        }

        // Coverage over time, per city.
        // The current month counts as of today.
        let ends: Vec<NaiveDate> = month_ends(today, MONTHS)
            .into_iter()
            .map(|e| e.min(today))
            .collect();
        let townships: Vec<&OrgUnit> = units
            .iter()
            .filter(|u| matches!(u.kind, OrgKind::Township | OrgKind::Street))
            .collect();
        let mut groups: Vec<(String, Vec<&OrgUnit>)> = Vec::new();
        for t in &townships {
            let city = ancestor(&units, &t.path, OrgKind::City).unwrap_or(&root);
            match groups.iter_mut().find(|(name, _)| *name == city.name) {
                Some((_, list)) => list.push(t),
                None => groups.push((city.name.clone(), vec![t])),
            }
        }
        let vocabulary = self.member_vocabulary().await?;
        let sectors = vocabulary.sector_values();
        let coverage_by_city = groups
            .into_iter()
            .map(|(city, list)| {
                let places = (list.len() * sectors.len()) as f64;
                let series = ends
                    .iter()
                    .map(|end| {
                        let filled = list
                            .iter()
                            .flat_map(|t| sectors.iter().map(move |s| (t, s)))
                            .filter(|(t, s)| {
                                members.iter().any(|(m, _)| {
                                    m.member.org_unit == t.code
                                        && m.member.since <= *end
                                        && m.member.covers(s, *end)
                                })
                            })
                            .count();
                        // No sector to cover (no appointment workflow says which): nothing is covered.
                        if places == 0.0 {
                            0.0
                        } else {
                            filled as f64 * 100.0 / places
                        }
                    })
                    .collect();
                (city, series)
            })
            .collect();

        // Appointments under way by step, in the order of the workflow.
        let active: Vec<_> = instances.iter().filter(|i| i.status == Status::Active).collect();
        let mut by_step: Vec<(String, usize)> = Vec::new();
        let mut versions: BTreeSet<(String, i64)> = BTreeSet::new();
        for i in &active {
            versions.insert((i.workflow.clone(), i.version));
        }
        let mut titles: HashMap<(String, i64, String), String> = HashMap::new();
        for (workflow, v) in versions {
            let def = self.definition(&workflow, v).await?;
            for (name, st) in &def.steps {
                let title = st.title.clone().unwrap_or_else(|| name.to_string());
                if !by_step.iter().any(|(t, _)| *t == title) {
                    by_step.push((title.clone(), 0));
                }
                titles.insert((workflow.clone(), v, name.to_string()), title);
            }
        }
        for i in &active {
            if let Some(title) = titles.get(&(i.workflow.clone(), i.version, i.step.clone())) {
                if let Some(slot) = by_step.iter_mut().find(|(t, _)| t == title) {
                    slot.1 += 1;
                }
            }
        }

        // Instances with an overdue task, per county.
        let late: BTreeSet<&str> = overdue.iter().map(|r| r.task.instance_id.as_str()).collect();
        let mut overdue_by_county: Vec<(String, usize)> = units
            .iter()
            .filter(|u| u.kind == OrgKind::County)
            .map(|u| (u.name.clone(), 0))
            .collect();
        for i in instances.iter().filter(|i| late.contains(i.id.as_str())) {
            if let Some(county) = ancestor(&units, &i.org_path, OrgKind::County) {
                if let Some(slot) = overdue_by_county.iter_mut().find(|(n, _)| *n == county.name) {
                    slot.1 += 1;
                }
            }
        }

        Ok(BoardCharts {
            months: ends.iter().map(|d| d.format("%Y-%m").to_string()).collect(),
            coverage_by_city,
            by_step,
            overdue_by_county,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::month_ends;
    use chrono::NaiveDate;

    #[test]
    fn month_ends_cross_the_year_and_february() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            month_ends(d(2027, 3, 15), 4),
            [d(2026, 12, 31), d(2027, 1, 31), d(2027, 2, 28), d(2027, 3, 31)]
        );
        assert_eq!(month_ends(d(2028, 2, 1), 1), [d(2028, 2, 29)]);
    }
}
