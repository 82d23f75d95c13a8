//! Reports computed from live data: the appointment figures a monthly report
//! is pre-filled with (a snapshot taken when it opens), and the province's
//! table of monthly reports by city.

use crate::auth::Actor;
use crate::error::Result;
use crate::Engine;
use chrono::{DateTime, Utc};
use naxian_model::calendar::shanghai;
use naxian_model::directory::OrgKind;
use naxian_model::{Instance, OrgUnit, Status, TaskStatus};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// What the appointments' files say of the members they add: the sectors
/// the coverage counts (their `add_member`'s `covers`) and the values, with
/// labels, of the sectors, posts and modes a member is recorded with.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// (value, label) of each sector the coverage counts, in the files' order.
    pub sectors: Vec<(String, String)>,
    labels: BTreeMap<String, String>,
    /// (value, label) of each choice of a member's `sector`, `post` and `mode`.
    choices: BTreeMap<&'static str, Vec<(String, String)>>,
}

impl Vocabulary {
    /// The value of a member's `attribute` (`sector`, `post` or `mode`)
    /// written as its value or its label; otherwise the problem, listing the labels.
    pub fn value_of(
        &self,
        attribute: &str,
        text: &str,
    ) -> std::result::Result<String, naxian_model::Problem> {
        let text = text.trim();
        let choices = self.choices.get(attribute).map(Vec::as_slice).unwrap_or_default();
        choices
            .iter()
            .find(|(v, l)| v == text || l == text)
            .map(|(v, _)| v.clone())
            .ok_or_else(|| naxian_model::Problem::NotOneOf {
                choices: choices.iter().map(|(_, l)| l.clone()).collect(),
            })
    }

    /// The label of a sector or post value, or the value itself.
    pub fn label<'a>(&'a self, value: &'a str) -> &'a str {
        self.labels.get(value).map_or(value, String::as_str)
    }

    /// (value, label) of each post a member may hold.
    pub fn posts(&self) -> &[(String, String)] {
        self.choices.get("post").map(Vec::as_slice).unwrap_or_default()
    }

    /// The values of the sectors the coverage counts.
    pub fn sector_values(&self) -> Vec<&str> {
        self.sectors.iter().map(|(v, _)| v.as_str()).collect()
    }
}

/// `YYYY-MM` of a moment in Asia/Shanghai.
pub fn month_of(t: DateTime<Utc>) -> String {
    t.with_timezone(&shanghai()).format("%Y-%m").to_string()
}

#[derive(Default)]
struct Counts {
    started: u64,
    appointed: u64,
    appointed_in_month: u64,
    in_progress: u64,
    overdue: u64,
}

impl Counts {
    fn json(&self) -> Value {
        json!({"started_this_month": self.started, "appointed": self.appointed,
               "appointed_this_month": self.appointed_in_month,
               "in_progress": self.in_progress, "overdue": self.overdue})
    }
}

/// The states of a city's monthly report (`MonthlyRow::status`).
pub const REPORT_STATES: &[&str] = &["not_opened", "open", "overdue", "submitted", "accepted"];

/// One row of the province's monthly table.
pub struct MonthlyRow {
    pub city: OrgUnit,
    /// One of [`REPORT_STATES`].
    pub status: &'static str,
    pub instance_id: Option<String>,
    /// The report's newest task, for a link to its page.
    pub task_id: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub figures: Value,
}

impl Engine {
    /// The sectors and posts of the members the appointments add, from their files.
    pub async fn member_vocabulary(&self) -> Result<Vocabulary> {
        let mut v = Vocabulary::default();
        for def in self.latest_definitions().await? {
            let Some(add) = def.ends.values().find_map(|e| e.add_member.as_ref()) else {
                continue;
            };
            for (attribute, path) in [("sector", &add.sector), ("post", &add.post), ("mode", &add.mode)] {
                if let Some(f) = def.fields.get(path.as_str()) {
                    let known = v.choices.entry(attribute).or_default();
                    for (value, label) in f.choices.labelled() {
                        if !known.iter().any(|(k, _)| k == value) {
                            known.push((value.to_string(), label.to_string()));
                        }
                        v.labels
                            .entry(value.to_string())
                            .or_insert_with(|| label.to_string());
                    }
                }
            }
            for c in &add.covers {
                if !v.sectors.iter().any(|(s, _)| s == c) {
                    let label = v.label(c).to_string();
                    v.sectors.push((c.clone(), label));
                }
            }
        }
        Ok(v)
    }

    /// Every appointment under the unit at `path` (an instance of a workflow
    /// whose end adds members), each with the field its end reads the
    /// member's sector from.
    pub(crate) async fn appointments_under(&self, path: &str) -> Result<Vec<(Instance, String)>> {
        let mut out = Vec::new();
        for def in self.latest_definitions().await? {
            let Some(add) = def.ends.values().find_map(|e| e.add_member.as_ref()) else {
                continue;
            };
            for i in self.store.instances_under(def.name.as_str(), path).await? {
                out.push((i, add.sector.clone()));
            }
        }
        Ok(out)
    }

    /// The month the monthly report table shows unless asked for another:
    /// the month the reports opened most recently are about (the month just
    /// ended, for reports opened on the 1st).
    pub async fn current_report_month(&self) -> Result<String> {
        let today = self.clock.today();
        let period = self
            .latest_definitions()
            .await?
            .iter()
            .flat_map(|d| d.schedules.values())
            .find(|s| s.prefill.is_some())
            .map(|s| s.period)
            .unwrap_or_default();
        Ok(period.month(today))
    }

    /// Figures for a city's report of `month` (YYYY-MM): appointments
    /// started and completed in that month, and those completed and under
    /// way by now, by county and sector; and coverage of its counties and
    /// townships by sector as of the month's end (today, for a month not over).
    pub async fn appointment_figures(&self, city: &OrgUnit, month: &str) -> Result<Value> {
        let now = self.clock.now();
        let month_end = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
            .ok()
            .and_then(|first| first.checked_add_months(chrono::Months::new(1)))
            .and_then(|next| next.pred_opt());
        let today = month_end.map_or(self.clock.today(), |end| end.min(self.clock.today()));
        let done_by = |t: DateTime<Utc>| t.with_timezone(&shanghai()).date_naive() <= today;
        let units = self.store.units_under(&city.path).await?;
        let instances = self.appointments_under(&city.path).await?;
        let mut total = Counts::default();
        let mut by_county: BTreeMap<String, Counts> = BTreeMap::new();
        let mut by_sector: BTreeMap<String, Counts> = BTreeMap::new();
        let county_of = |path: &str| -> Option<&OrgUnit> {
            units
                .iter()
                .filter(|u| u.kind == OrgKind::County && path.starts_with(&u.path))
                .max_by_key(|u| u.path.len())
        };
        for (inst, sector_field) in &instances {
            let overdue = if inst.status == Status::Active {
                self.store
                    .tasks_of(&inst.id)
                    .await?
                    .iter()
                    .any(|t| t.status == TaskStatus::Open && t.due_at.is_some_and(|d| d < now))
            } else {
                false
            };
            let sector = naxian_model::fields::get_str(&inst.data, sector_field)
                .unwrap_or("other")
                .to_string();
            let county = county_of(&inst.org_path)
                .map(|u| u.code.clone())
                .unwrap_or_default();
            for c in [
                &mut total,
                by_county.entry(county).or_default(),
                by_sector.entry(sector).or_default(),
            ] {
                let appointed = inst.outcome.as_deref() == Some("appointed");
                c.started += u64::from(month_of(inst.created_at) == month);
                c.appointed += u64::from(appointed && done_by(inst.updated_at));
                c.appointed_in_month += u64::from(appointed && month_of(inst.updated_at) == month);
                c.in_progress += u64::from(inst.status == Status::Active);
                c.overdue += u64::from(overdue);
            }
        }
        let members = self.store.members_under(&city.path).await?;
        let vocabulary = self.member_vocabulary().await?;
        let sectors = vocabulary.sector_values();
        let current = |unit: &OrgUnit, sector: &str| {
            members.iter().any(|(m, _)| {
                m.member.org_unit == unit.code && m.member.since <= today && m.member.covers(sector, today)
            })
        };
        let mut coverage = Map::new();
        for (label, kinds) in [
            ("counties", &[OrgKind::County][..]),
            ("townships", &[OrgKind::Township, OrgKind::Street][..]),
        ] {
            let level: Vec<&OrgUnit> = units.iter().filter(|u| kinds.contains(&u.kind)).collect();
            let mut covered = Map::new();
            for s in &sectors {
                covered.insert((*s).into(), json!(level.iter().filter(|u| current(u, s)).count()));
            }
            let full = level
                .iter()
                .filter(|u| sectors.iter().all(|s| current(u, s)))
                .count();
            let blank: Vec<&str> = level
                .iter()
                .filter(|u| !sectors.iter().any(|s| current(u, s)))
                .map(|u| u.name.as_str())
                .collect();
            coverage.insert(
                label.into(),
                json!({"total": level.len(), "covered": covered, "full": full, "blank": blank}),
            );
        }
        let counties: Vec<Value> = units
            .iter()
            .filter(|u| u.kind == OrgKind::County)
            .map(|u| {
                let mut row = by_county
                    .get(&u.code)
                    .map(Counts::json)
                    .unwrap_or_else(|| Counts::default().json());
                row["code"] = json!(u.code);
                row["name"] = json!(u.name);
                row
            })
            .collect();
        let sectors: Map<String, Value> = by_sector.iter().map(|(k, v)| (k.clone(), v.json())).collect();
        Ok(json!({
            "as_of": crate::notify::due_text(Some(now)),
            "month": month,
            "coverage_as_of": today.to_string(),
            "appointments": total.json(),
            "by_county": counties,
            "by_sector": sectors,
            "coverage": coverage,
        }))
    }

    /// The monthly report of every city the actor may see, for `month`.
    pub async fn monthly_reports(&self, actor: &Actor, month: &str) -> Result<Vec<MonthlyRow>> {
        let now = self.clock.now();
        let mut rows = Vec::new();
        let reports: Vec<_> = self
            .latest_definitions()
            .await?
            .into_iter()
            .filter(|d| d.is_report())
            .collect();
        for city in self.store.units_of_kind(OrgKind::City).await? {
            if !actor.is_admin && !actor.covers(&city.path) {
                continue;
            }
            let mut instances = Vec::new();
            for def in &reports {
                instances.extend(self.store.instances_under(def.name.as_str(), &city.path).await?);
            }
            // The newest, should two be about one month (a report opened
            // before its workflow's `period` changed).
            let found: Option<&Instance> = instances
                .iter()
                .filter(|i| {
                    i.org_unit == city.code && naxian_model::fields::get_str(&i.data, "month") == Some(month)
                })
                .max_by_key(|i| i.created_at);
            let Some(inst) = found else {
                rows.push(MonthlyRow {
                    city,
                    status: "not_opened",
                    instance_id: None,
                    task_id: None,
                    due_at: None,
                    submitted_at: None,
                    figures: Value::Null,
                });
                continue;
            };
            let writing = writing_step(&reports, inst);
            let tasks = self.store.tasks_of(&inst.id).await?;
            let (due_at, submitted_at) = self.report_timing(inst, &writing, &tasks).await?;
            let status = match inst.status {
                Status::Completed => "accepted",
                _ if inst.step == writing && due_at.is_some_and(|d| d < now) => "overdue",
                _ if inst.step == writing => "open",
                _ => "submitted",
            };
            rows.push(MonthlyRow {
                status,
                instance_id: Some(inst.id.clone()),
                task_id: tasks.last().map(|t| t.id.clone()),
                due_at,
                submitted_at,
                figures: inst.data.get("figures").cloned().unwrap_or(Value::Null),
                city,
            });
        }
        Ok(rows)
    }
}

/// The step a report is written in: the one its workflow's schedules remind of.
pub(crate) fn writing_step(reports: &[std::sync::Arc<naxian_model::Definition>], inst: &Instance) -> String {
    reports
        .iter()
        .find(|d| d.name.as_str() == inst.workflow)
        .and_then(|d| d.schedules.values().find_map(|s| s.step.as_deref().cloned()))
        .unwrap_or_default()
}

impl Engine {
    /// When a report was due (its writing task's due date) and when it was
    /// last submitted from that step.
    pub(crate) async fn report_timing(
        &self,
        inst: &Instance,
        writing: &str,
        tasks: &[naxian_model::Task],
    ) -> Result<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
        let history = self.store.history(&inst.id).await?;
        let due_at = tasks
            .iter()
            .filter(|t| t.step == writing)
            .filter_map(|t| t.due_at)
            .max();
        let submitted_at = history
            .iter()
            .rev()
            .find(|h| h.step == writing && h.action != "create")
            .map(|h| h.at);
        Ok((due_at, submitted_at))
    }
}

/// One county, township or street on the coverage board.
pub struct CoverageRow {
    pub unit: OrgUnit,
    /// The county it belongs to (itself for a county).
    pub county: String,
    /// The city it belongs to; empty on a board below city level.
    pub city: String,
    /// Current chiefs (三长) by sector: (name, post).
    pub chiefs: BTreeMap<String, Vec<(String, String)>>,
    /// Appointments under way for this unit, by sector.
    pub in_progress: BTreeMap<String, usize>,
    /// What the newest accepted facts table (普查) says of the unit (缺编制, 会员 120).
    pub facts: crate::unit_facts::UnitFacts,
    /// Its body's seats per post with those filled, and its target of
    /// chiefs, when a seat plan is set.
    pub seats: Option<(naxian_model::seats::Seats, Vec<naxian_model::seats::SeatUse>)>,
}

impl CoverageRow {
    pub fn covered(&self, sector: &str) -> bool {
        self.chiefs.get(sector).is_some_and(|m| !m.is_empty())
    }

    /// `covered`, `in_progress` or `blank` for a sector.
    pub fn state(&self, sector: &str) -> &'static str {
        if self.covered(sector) {
            "covered"
        } else if self.in_progress.get(sector).copied().unwrap_or(0) > 0 {
            "in_progress"
        } else {
            "blank"
        }
    }
}

impl Engine {
    /// The unit a board, list or chart is asked for, if the actor's grants
    /// reach it (`under` names the field in errors).
    pub(crate) async fn unit_in_reach(&self, actor: &Actor, under: &str) -> Result<OrgUnit> {
        let root = self.store.org_unit(under).await?.ok_or_else(|| {
            crate::EngineError::invalid(
                "under",
                naxian_model::Problem::NoOrgUnit {
                    code: under.to_string(),
                },
            )
        })?;
        if !actor.is_admin && !actor.covers(&root.path) {
            return Err(crate::EngineError::Forbidden(
                naxian_model::Refusal::OutsideGrants,
            ));
        }
        Ok(root)
    }

    /// The coverage board under a unit: every county and township (street) with
    /// its body's current chiefs by sector (appointed or entered) and the
    /// appointments under way.
    pub async fn coverage(&self, actor: &Actor, under: &str) -> Result<Vec<CoverageRow>> {
        let root = self.unit_in_reach(actor, under).await?;
        let today = self.clock.today();
        let units = self.store.units_under(&root.path).await?;
        let members = self.store.members_under(&root.path).await?;
        let instances = self.appointments_under(&root.path).await?;
        let mut facts = self.unit_facts_under(&root.path).await?;
        let mut plans: BTreeMap<String, naxian_model::seats::Seats> =
            self.store.seats_under(&root.path).await?.into_iter().collect();
        let mut rows = Vec::new();
        for u in units
            .iter()
            .filter(|u| matches!(u.kind, OrgKind::County | OrgKind::Township | OrgKind::Street))
        {
            let named = |kind| {
                crate::charts::ancestor(&units, &u.path, kind)
                    .map(|c| c.name.clone())
                    .unwrap_or_default()
            };
            let (county, city) = (named(OrgKind::County), named(OrgKind::City));
            let mut by_sector: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
            for m in members
                .iter()
                .map(|(m, _)| &m.member)
                .filter(|m| m.org_unit == u.code && m.covers(&m.sector, today))
            {
                by_sector
                    .entry(m.sector.clone())
                    .or_default()
                    .push((m.name.clone(), m.post.clone()));
            }
            let mut in_progress: BTreeMap<String, usize> = BTreeMap::new();
            for (i, sector_field) in instances
                .iter()
                .filter(|(i, _)| i.org_unit == u.code && i.status == Status::Active)
            {
                let sector = naxian_model::fields::get_str(&i.data, sector_field).unwrap_or("other");
                *in_progress.entry(sector.to_string()).or_default() += 1;
            }
            rows.push(CoverageRow {
                unit: u.clone(),
                county,
                city,
                chiefs: by_sector,
                in_progress,
                facts: facts.remove(&u.code).unwrap_or_default(),
                seats: plans.remove(&u.code).map(|plan| {
                    let uses = plan.used_by(
                        members
                            .iter()
                            .map(|(m, _)| &m.member)
                            .filter(|m| m.org_unit == u.code),
                        today,
                    );
                    (plan, uses)
                }),
            });
        }
        Ok(rows)
    }
}

/// The catalogue's roles the liaison list's form (附件1) has columns for:
/// the responsible leader (分管领导) and the full-time contact (专职人员),
/// whose position names the responsible department (责任部门).
pub const LEADER_ROLE: &str = "leader";
pub const CONTACT_ROLE: &str = "contact";

/// One association's line of the liaison list as the notice's form has it.
pub struct LiaisonLine {
    pub unit: OrgUnit,
    pub leaders: Vec<naxian_store::Contact>,
    pub contacts: Vec<naxian_store::Contact>,
}

impl Engine {
    /// The liaison list (联络表) under a unit: who holds which role where.
    pub async fn contacts(&self, actor: &Actor, under: &str) -> Result<Vec<naxian_store::Contact>> {
        let root = self.unit_in_reach(actor, under).await?;
        Ok(self.store.contacts_under(&root.path).await?)
    }

    /// The liaison list as the notice's form (附件1) has it: a line for every
    /// city and county association under a unit, in directory order, with
    /// its leaders and contacts — empty where it has named none yet.
    pub async fn liaison_lines(&self, actor: &Actor, under: &str) -> Result<Vec<LiaisonLine>> {
        let root = self.unit_in_reach(actor, under).await?;
        let contacts = self.store.contacts_under(&root.path).await?;
        Ok(self
            .store
            .units_under(&root.path)
            .await?
            .into_iter()
            .filter(|u| matches!(u.kind, OrgKind::City | OrgKind::County))
            .map(|unit| {
                let of = |role: &str| {
                    contacts
                        .iter()
                        .filter(|c| c.unit.code == unit.code && c.role.as_str() == role)
                        .cloned()
                        .collect()
                };
                LiaisonLine {
                    leaders: of(LEADER_ROLE),
                    contacts: of(CONTACT_ROLE),
                    unit,
                }
            })
            .collect())
    }
}
