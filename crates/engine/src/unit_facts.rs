//! Units' current facts (现状): the rows of the newest complete instance
//! of any workflow whose table says `unit_facts` (普查) — what a unit
//! lacks (缺编制, by the columns' `lacking`) and the row totals the board
//! shows (会员, by the tables' `board`).

use crate::error::Result;
use crate::Engine;
use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use naxian_model::fields::{FieldType, Rows};
use naxian_model::Status;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitFacts {
    /// What the unit lacks, in the columns' order (缺编制, 缺经费).
    pub lacks: Vec<String>,
    /// (board label, the row's total): 个人会员 120.
    pub figures: Vec<(String, i64)>,
    /// When the instance these facts come from was completed.
    pub as_of: Option<DateTime<Utc>>,
}

impl Engine {
    /// The current facts of every unit at or below `path` that has any.
    pub async fn unit_facts_under(&self, path: &str) -> Result<HashMap<String, UnitFacts>> {
        let mut out: HashMap<String, UnitFacts> = HashMap::new();
        // (unit, field) → (completed at, row): the newest completed row wins.
        let mut rows: HashMap<(String, String), (DateTime<Utc>, Value)> = HashMap::new();
        let defs = self.latest_definitions().await?;
        let facts_tables = |d: &naxian_model::Definition| {
            d.fields
                .iter()
                .filter(|(_, s)| {
                    s.kind == FieldType::Table && s.unit_facts && matches!(s.rows, Some(Rows::Units(_)))
                })
                .map(|(k, s)| (k.to_string(), s.clone()))
                .collect::<Vec<_>>()
        };
        let mut specs = IndexMap::new();
        for def in &defs {
            let tables = facts_tables(def);
            if tables.is_empty() {
                continue;
            }
            for (name, spec) in &tables {
                specs.entry(name.clone()).or_insert_with(|| spec.clone());
            }
            for inst in self.store.instances_under(def.name.as_str(), "").await? {
                if inst.status != Status::Completed {
                    continue;
                }
                for (name, _) in &tables {
                    let Some(table) =
                        naxian_model::fields::get_path(&inst.data, name).and_then(Value::as_object)
                    else {
                        continue;
                    };
                    for (unit, row) in table {
                        let key = (unit.clone(), name.clone());
                        if rows.get(&key).is_none_or(|(at, _)| *at < inst.updated_at) {
                            rows.insert(key, (inst.updated_at, row.clone()));
                        }
                    }
                }
            }
        }
        if rows.is_empty() {
            return Ok(out);
        }
        let units: Vec<String> = self
            .store
            .units_under(path)
            .await?
            .into_iter()
            .map(|u| u.code)
            .collect();
        for ((unit, field), (at, row)) in &rows {
            if !units.contains(unit) {
                continue;
            }
            let Some(spec) = specs.get(field) else {
                continue;
            };
            let facts = out.entry(unit.clone()).or_default();
            facts.as_of = facts.as_of.max(Some(*at));
            let cell = |col: &str| row.get(col).and_then(Value::as_i64).unwrap_or(0);
            for (col, column) in &spec.columns {
                if let Some(lack) = column.spec().and_then(|c| c.lacking.as_ref()) {
                    if cell(col) == 0 && !facts.lacks.contains(lack) {
                        facts.lacks.push(lack.clone());
                    }
                }
            }
            if let Some(label) = &spec.board {
                let total = spec
                    .columns
                    .iter()
                    .filter(|(_, c)| c.summed())
                    .map(|(col, _)| cell(col))
                    .sum();
                facts.figures.push((label.clone(), total));
            }
        }
        // Tables in their file's order, lacks in their columns' order.
        let order: Vec<String> = specs.values().filter_map(|s| s.board.clone()).collect();
        let lack_order: Vec<String> = specs
            .values()
            .flat_map(|s| {
                s.columns
                    .values()
                    .filter_map(|c| c.spec().and_then(|c| c.lacking.clone()))
            })
            .collect();
        for f in out.values_mut() {
            f.figures.sort_by_key(|(l, _)| order.iter().position(|o| o == l));
            f.lacks.sort_by_key(|l| lack_order.iter().position(|o| o == l));
        }
        Ok(out)
    }
}
