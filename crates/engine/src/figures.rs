//! Tables the engine fills in when an instance opens (`prefill:
//! unit_figures`, 总结评估): the counts of a unit's work — coverage of its
//! counties and townships by the board's rule, its appointments, its
//! periodic reports on time, its counties' facts (普查) — gathered here and read
//! as figures by the model.

use crate::error::Result;
use crate::reports::writing_step;
use crate::Engine;
use naxian_model::directory::OrgKind;
use naxian_model::fields::{FieldType, Rows};
use naxian_model::figures::{Level, UnitCounts};
use naxian_model::{Definition, OrgUnit, Status};
use serde_json::{Map, Value};

impl Engine {
    /// Fills every prefilled table of `def` in `data` with the figures of
    /// the instance's unit, whatever the starter sent for it.
    pub(crate) async fn prefill_tables(&self, def: &Definition, data: &mut Value) -> Result<()> {
        let tables: Vec<_> = def
            .fields
            .iter()
            .filter(|(_, s)| s.kind == FieldType::Table && s.prefill.is_some())
            .collect();
        if tables.is_empty() {
            return Ok(());
        }
        let Some(code) = naxian_model::machine::org_code(def, data).map(str::to_string) else {
            return Ok(());
        };
        let Some(unit) = self.store.org_unit(&code).await? else {
            return Ok(());
        };
        let counts = self.unit_counts(&unit).await?;
        for (name, spec) in tables {
            let Some(Rows::Named(rows)) = &spec.rows else {
                continue;
            };
            let row: Map<String, Value> = spec
                .columns
                .keys()
                .map(|c| (c.clone(), Value::from(counts.figure(c).unwrap_or(0))))
                .collect();
            let table: Map<String, Value> = rows
                .values()
                .into_iter()
                .map(|r| (r.to_string(), Value::Object(row.clone())))
                .collect();
            naxian_model::fields::set_path(data, name, Value::Object(table));
        }
        Ok(())
    }

    /// The counts of a unit's work as of now.
    pub async fn unit_counts(&self, unit: &OrgUnit) -> Result<UnitCounts> {
        let system = crate::runner::system_actor();
        let rows = self.coverage(&system, &unit.code).await?;
        let sectors = self.member_vocabulary().await?;
        let sectors = sectors.sector_values();
        let level = |kinds: &[OrgKind]| {
            let level: Vec<_> = rows.iter().filter(|r| kinds.contains(&r.unit.kind)).collect();
            Level {
                total: level.len() as i64,
                covered: sectors
                    .iter()
                    .map(|s| {
                        (
                            s.to_string(),
                            level.iter().filter(|r| r.covered(s)).count() as i64,
                        )
                    })
                    .collect(),
                all: level
                    .iter()
                    .filter(|r| sectors.iter().all(|s| r.covered(s)))
                    .count() as i64,
            }
        };
        let mut counts = UnitCounts {
            counties: level(&[OrgKind::County]),
            townships: level(&[OrgKind::Township, OrgKind::Street]),
            counties_with_facts: rows
                .iter()
                .filter(|r| r.unit.kind == OrgKind::County && r.facts.as_of.is_some())
                .count() as i64,
            ..UnitCounts::default()
        };
        for (inst, _) in self.appointments_under(&unit.path).await? {
            counts.appointments_started += 1;
            counts.appointments_completed += i64::from(inst.outcome.as_deref() == Some("appointed"));
            counts.appointments_in_progress += i64::from(inst.status == Status::Active);
        }
        let now = self.clock.now();
        let reports: Vec<_> = self
            .latest_definitions()
            .await?
            .into_iter()
            .filter(|d| d.is_report())
            .collect();
        for def in &reports {
            for inst in self.store.instances_under(def.name.as_str(), &unit.path).await? {
                let writing = writing_step(&reports, &inst);
                let tasks = self.store.tasks_of(&inst.id).await?;
                let (due_at, submitted_at) = self.report_timing(&inst, &writing, &tasks).await?;
                let Some(due) = due_at else { continue };
                if submitted_at.is_none() && due > now {
                    continue;
                }
                counts.reports_due += 1;
                counts.reports_on_time += i64::from(submitted_at.is_some_and(|s| s <= due));
            }
        }
        Ok(counts)
    }
}
