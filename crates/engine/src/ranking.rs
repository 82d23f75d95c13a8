//! Rankings (总结评估): the complete instances of a campaign whose workflow
//! has a `rank` table, ordered by that table's total, each with its scores,
//! the figures it was opened with and the opinion it was closed with (评语).
//! The province reads a campaign's ranking on its page; every signed-in
//! user reads the ranking of the instances published.

use crate::auth::Actor;
use crate::error::{EngineError, Result};
use crate::Engine;
use naxian_model::fields::{get_path, table_totals, FieldType};
use naxian_model::{Definition, Refusal};
use serde_json::Value;

pub struct Ranking {
    /// The campaign's title.
    pub title: String,
    pub campaign: String,
    /// The rank table's columns (key, label), then the figures' (label).
    pub score_columns: Vec<(String, String)>,
    pub figure_columns: Vec<String>,
    /// Best first.
    pub rows: Vec<RankedRow>,
}

pub struct RankedRow {
    pub rank: usize,
    pub unit: String,
    pub instance_id: String,
    pub scores: Vec<i64>,
    pub total: i64,
    pub figures: Vec<i64>,
    pub remarks: String,
}

/// One complete instance to rank: its id, unit's name and data.
struct Entry<'a> {
    instance_id: &'a str,
    unit: &'a str,
    data: &'a Value,
}

impl Engine {
    /// The ranking of a campaign's complete targets, for those who may
    /// follow it; refused when its workflow ranks nothing.
    pub async fn campaign_ranking(&self, actor: &Actor, id: &str) -> Result<Ranking> {
        let view = self.campaign_view(actor, id).await?;
        let def = self.latest_definition(&view.record.workflow).await?;
        let entries: Vec<Entry> = view
            .targets
            .iter()
            .filter(|t| t.status == "done")
            .filter_map(|t| {
                Some(Entry {
                    instance_id: t.instance_id.as_deref()?,
                    unit: &t.name,
                    data: &t.data,
                })
            })
            .collect();
        self.rank(&def, &view.record.title, id, &entries)
            .await?
            .ok_or_else(|| EngineError::NotFound(Refusal::NoRanking { id: id.to_string() }))
    }

    /// The rankings of every campaign with published instances, newest
    /// campaign first: what the province has published (公布排名).
    pub async fn published_rankings(&self, _actor: &Actor) -> Result<Vec<Ranking>> {
        let mut out = Vec::new();
        for def in self.latest_definitions().await? {
            if def.rank_field().is_none() {
                continue;
            }
            let mut published = Vec::new();
            for (inst, _) in self.published_of(&def).await? {
                let unit = self.unit_name(&inst.org_unit).await?;
                published.push((inst, unit));
            }
            // Campaigns in the order of their newest publication.
            published.sort_by_key(|(i, _)| std::cmp::Reverse(i.updated_at));
            let mut campaigns: Vec<&str> = Vec::new();
            for (inst, _) in &published {
                let c = naxian_model::fields::get_str(&inst.data, "campaign").unwrap_or_default();
                if !campaigns.contains(&c) {
                    campaigns.push(c);
                }
            }
            for c in campaigns {
                let of_campaign: Vec<Entry> = published
                    .iter()
                    .filter(|(i, _)| {
                        naxian_model::fields::get_str(&i.data, "campaign").unwrap_or_default() == c
                    })
                    .map(|(i, unit)| Entry {
                        instance_id: &i.id,
                        unit,
                        data: &i.data,
                    })
                    .collect();
                let title = of_campaign
                    .first()
                    .and_then(|e| naxian_model::fields::get_str(e.data, "title"))
                    .unwrap_or(&def.title)
                    .to_string();
                if let Some(r) = self.rank(&def, &title, c, &of_campaign).await? {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    async fn rank(
        &self,
        def: &Definition,
        title: &str,
        campaign: &str,
        entries: &[Entry<'_>],
    ) -> Result<Option<Ranking>> {
        let Some((rank_field, rank_spec)) = def.rank_field() else {
            return Ok(None);
        };
        let prefilled: Vec<_> = def
            .fields
            .iter()
            .filter(|(_, s)| s.kind == FieldType::Table && s.prefill.is_some())
            .collect();
        let mut rows = Vec::new();
        for e in entries {
            let totals = table_totals(rank_spec, get_path(e.data, rank_field).unwrap_or(&Value::Null));
            let figures = prefilled
                .iter()
                .flat_map(|(name, spec)| {
                    let t = table_totals(spec, get_path(e.data, name).unwrap_or(&Value::Null));
                    t.into_values().collect::<Vec<_>>()
                })
                .collect();
            // The opinion the instance was closed with is the remark on it.
            let remarks = self
                .store
                .history(e.instance_id)
                .await?
                .last()
                .and_then(|h| h.comment.clone())
                .unwrap_or_default();
            rows.push(RankedRow {
                rank: 0,
                unit: e.unit.to_string(),
                instance_id: e.instance_id.to_string(),
                total: totals.values().sum(),
                scores: totals.into_values().collect(),
                figures,
                remarks,
            });
        }
        let ranks = naxian_model::figures::ranks(&rows.iter().map(|r| r.total).collect::<Vec<_>>());
        for (r, rank) in rows.iter_mut().zip(ranks) {
            r.rank = rank;
        }
        rows.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.unit.cmp(&b.unit)));
        Ok(Some(Ranking {
            title: title.to_string(),
            campaign: campaign.to_string(),
            score_columns: rank_spec
                .columns
                .iter()
                .map(|(k, c)| (k.clone(), c.label().to_string()))
                .collect(),
            figure_columns: prefilled
                .iter()
                .flat_map(|(_, spec)| spec.columns.values().map(|c| c.label().to_string()))
                .collect(),
            rows,
        }))
    }
}
