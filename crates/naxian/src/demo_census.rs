//! The census the demo province is running (普查): the province opens it
//! for every county with a reporter; most counties have filled it in and
//! their city has passed it, some wait for their city, some have not sent
//! it yet — so that units' pages and the board show facts (缺编制, 个人会员)
//! and the campaign's page totals and names the missing. Driven through the
//! engine as its users would, with figures drawn from the unit codes: the
//! same on every load.

use crate::demo_extension::pick;
use anyhow::Context as _;
use naxian_engine::campaigns::NewCampaign;
use naxian_engine::{Actor, Engine};
use naxian_model::machine::ActionInput;
use naxian_model::{OrgKind, OrgUnit, TaskStatus};
use serde_json::{json, Map, Value};

/// The shipped census workflow.
const WORKFLOW: &str = "census";

/// A number in `from..from + span` drawn from the unit and what it is for.
fn n(code: &str, what: &str, from: u64, span: u64) -> u64 {
    from + pick(&format!("{code}/{what}"), span)
}

/// One unit's rows of the census's three tables.
fn rows(u: &OrgUnit) -> [Value; 3] {
    let c = u.code.as_str();
    let county = u.kind == OrgKind::County;
    let founded = county || n(c, "founded", 0, 10) < 8;
    let organization = if founded {
        json!({
            "founded_year": if county { n(c, "year", 1980, 30) } else { n(c, "year", 2000, 25) },
            "term_end_year": n(c, "term", 2026, 5),
            "full_time": if county { n(c, "ft", 1, 5) } else { n(c, "ft", 0, 3) },
            "part_time": n(c, "pt", 2, 10),
            "establishment": if county { n(c, "est", 0, 5) } else { n(c, "est", 0, 2) },
            "funding": if county { n(c, "fund", 5, 80) } else { n(c, "fund", 0, 8) },
            "office_area": if county { n(c, "office", 20, 200) } else { n(c, "office", 0, 3) * 20 },
            "activities": n(c, "act", 0, 30),
        })
    } else {
        json!({"founded_year": 0, "term_end_year": 0, "full_time": 0, "part_time": 0,
               "establishment": 0, "funding": 0, "office_area": 0, "activities": 0})
    };
    let scale = if county { 10 } else { 1 };
    let workers = json!({
        "health": n(c, "w-health", 20, 300) * scale,
        "education": n(c, "w-education", 30, 400) * scale,
        "agriculture": n(c, "w-agriculture", 10, 200) * scale,
        "enterprise_rd": n(c, "w-rd", 0, 150) * scale,
        "other": n(c, "w-other", 0, 100) * scale,
    });
    let members = json!({
        "enterprise_rd": n(c, "m-rd", 0, 40) * scale,
        "engineers": n(c, "m-eng", 0, 30) * scale,
        "teachers": n(c, "m-teachers", 5, 40) * scale,
        "village_officials": n(c, "m-village", 0, 30) * scale,
        "agri_technicians": n(c, "m-agri", 2, 20) * scale,
        "medical": n(c, "m-medical", 5, 40) * scale,
    });
    [organization, workers, members]
}

/// The open task of `actor` on an instance.
async fn task(engine: &Engine, actor: &Actor, instance: &str) -> anyhow::Result<String> {
    let view = engine.instance_view(actor, instance).await?;
    view.tasks
        .iter()
        .find(|t| t.status == TaskStatus::Open)
        .map(|t| t.id.clone())
        .with_context(|| format!("no open task on census {instance}"))
}

/// Opens the census and answers it; returns how many counties passed.
pub async fn run(engine: &Engine) -> anyhow::Result<usize> {
    let province = engine.actor("sd-supervisor").await?;
    let mut counties = Vec::new();
    for u in engine.campaign_targets(&province, Some(WORKFLOW)).await? {
        if u.kind != OrgKind::County {
            continue;
        }
        if let Ok(reporter) = engine.actor(&format!("{}-reporter", u.code)).await {
            counties.push((u, reporter));
        }
    }
    let today = engine.clock().today();
    let due = engine.clock().now() + chrono::Duration::days(20);
    let campaign = engine
        .create_campaign(
            &province,
            NewCampaign {
                workflow: Some(WORKFLOW.into()),
                title: "科协组织普查（以上年末为基准日）".into(),
                due_at: due.to_rfc3339(),
                targets: counties.iter().map(|(u, _)| u.code.clone()).collect(),
                remind_before: vec!["P3D".into()],
                data: json!({"reference_date": format!("{}-12-31", chrono::Datelike::year(&today) - 1)}),
            },
        )
        .await?;
    let spec = engine
        .latest_definition(WORKFLOW)
        .await?
        .fields
        .get("organization")
        .cloned()
        .context("the census has an organization table")?;
    let mut passed = 0;
    for ((county, reporter), target) in counties.iter().zip(&campaign.targets) {
        let Some(instance) = &target.instance_id else {
            continue;
        };
        // Six in ten passed, two waiting for their city, two not sent yet.
        let fate = pick(&format!("{}/census", county.code), 10);
        if fate >= 8 {
            continue;
        }
        let mut tables = [Map::new(), Map::new(), Map::new()];
        for u in engine.table_units(&spec, &county.path).await? {
            for (table, row) in tables.iter_mut().zip(rows(&u)) {
                table.insert(u.code.clone(), row);
            }
        }
        let [organization, workers, members] = tables;
        let submit = ActionInput {
            data: Some(json!({"organization": organization, "workers": workers, "members": members})),
            ..ActionInput::named("submit")
        };
        let t = task(engine, reporter, instance).await?;
        engine.act(reporter, &t, submit).await?;
        if fate >= 6 {
            continue;
        }
        let city = county.parent.clone().unwrap_or_default();
        let supervisor = engine.actor(&format!("{city}-supervisor")).await?;
        let t = task(engine, &supervisor, instance).await?;
        engine.act(&supervisor, &t, ActionInput::named("approve")).await?;
        passed += 1;
    }
    Ok(passed)
}
