//! A campaign's number tables added up (普查): each target's column
//! totals once its instance is complete, by city and for all, and the
//! targets still missing — what the province reads and exports.

use crate::auth::Actor;
use crate::campaigns::CampaignView;
use crate::error::Result;
use crate::Engine;
use indexmap::IndexMap;
use naxian_model::fields::{get_path, table_totals, FieldType};

/// Column totals of each table field: field → column → total.
pub type Sums = IndexMap<String, IndexMap<String, i64>>;

/// A table field's name, label and columns (key, label).
pub struct TableColumns {
    pub field: String,
    pub label: String,
    pub columns: Vec<(String, String)>,
}

pub struct TargetSums {
    pub code: String,
    pub name: String,
    pub city: String,
    /// As the campaign's page says: `open`, `done` or `late`.
    pub status: &'static str,
    /// The target's totals once its instance is complete.
    pub sums: Option<Sums>,
}

pub struct CitySums {
    pub name: String,
    pub targets: usize,
    pub done: usize,
    pub sums: Sums,
}

pub struct CampaignTables {
    pub view: CampaignView,
    pub tables: Vec<TableColumns>,
    pub targets: Vec<TargetSums>,
    /// In the order their first target comes.
    pub cities: Vec<CitySums>,
    pub total: Sums,
    /// The names of the targets not complete yet.
    pub missing: Vec<String>,
}

fn add(into: &mut Sums, from: &Sums) {
    for (field, cols) in from {
        let to = into.entry(field.clone()).or_default();
        for (col, n) in cols {
            *to.entry(col.clone()).or_default() += n;
        }
    }
}

impl Engine {
    /// The totals of a campaign's number tables, for those who may follow it.
    pub async fn campaign_tables(&self, actor: &Actor, id: &str) -> Result<CampaignTables> {
        let view = self.campaign_view(actor, id).await?;
        let def = self.latest_definition(&view.record.workflow).await?;
        let specs: Vec<_> = def
            .fields
            .iter()
            // A rank table and the figures a target was opened with are the
            // ranking's (总结评估): adding them up across targets means nothing.
            .filter(|(_, s)| s.kind == FieldType::Table && !s.rank && s.prefill.is_none())
            .collect();
        let tables = specs
            .iter()
            .map(|(name, spec)| TableColumns {
                field: name.to_string(),
                label: spec.label.clone().unwrap_or_else(|| name.to_string()),
                columns: spec
                    .columns
                    .iter()
                    .map(|(k, c)| (k.clone(), c.label().to_string()))
                    .collect(),
            })
            .collect();
        let zero: Sums = specs
            .iter()
            .map(|(name, spec)| {
                (
                    name.to_string(),
                    spec.columns.keys().map(|k| (k.clone(), 0)).collect(),
                )
            })
            .collect();
        let mut targets = Vec::new();
        let mut cities: Vec<CitySums> = Vec::new();
        let mut total = zero.clone();
        let mut missing = Vec::new();
        for t in &view.targets {
            let city = t.city.as_ref().map(|c| c.1.clone()).unwrap_or_default();
            let sums = (t.status == "done").then(|| {
                specs
                    .iter()
                    .map(|(name, spec)| {
                        let value = get_path(&t.data, name).cloned().unwrap_or_default();
                        (name.to_string(), table_totals(spec, &value))
                    })
                    .collect::<Sums>()
            });
            let ci = match cities.iter().position(|c| c.name == city) {
                Some(i) => i,
                None => {
                    cities.push(CitySums {
                        name: city.clone(),
                        targets: 0,
                        done: 0,
                        sums: zero.clone(),
                    });
                    cities.len() - 1
                }
            };
            cities[ci].targets += 1;
            match &sums {
                Some(s) => {
                    cities[ci].done += 1;
                    add(&mut cities[ci].sums, s);
                    add(&mut total, s);
                }
                None => missing.push(t.name.clone()),
            }
            targets.push(TargetSums {
                code: t.org_unit.clone(),
                name: t.name.clone(),
                city,
                status: t.status,
                sums,
            });
        }
        Ok(CampaignTables {
            view,
            tables,
            targets,
            cities,
            total,
            missing,
        })
    }
}
