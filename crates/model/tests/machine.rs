//! The appointment workflow's rules, decided without a database: each path
//! through it, and property tests of its invariants over random action sequences.

use chrono::{NaiveDate, TimeZone, Utc};
use naxian_model::calendar::Calendar;
use naxian_model::definition::Definition;
use naxian_model::directory::{Body, DeptFunction, OrgContext, OrgKind, OrgUnit};
use naxian_model::machine::{
    self, Command, Context, Decision, Effect, Instance, Status, Task, TaskStatus, TimerKind,
};
use naxian_model::ModelError;
use proptest::prelude::*;
use serde_json::{json, Value};

const SHIPPED: &str = include_str!("../../../workflows/sanzhang-appointment.yaml");

fn def() -> Definition {
    Definition::parse("sanzhang-appointment.yaml", SHIPPED).unwrap()
}

fn unit(code: &str, kind: OrgKind, parent: Option<&OrgUnit>, function: Option<DeptFunction>) -> OrgUnit {
    OrgUnit {
        code: code.into(),
        name: code.into(),
        kind,
        parent: parent.map(|p| p.code.clone()),
        function,
        path: OrgUnit::child_path(parent.map(|p| p.path.as_str()), code),
    }
}

/// Province → city → county K (org, health depts) → township T (party committee).
fn township_ctx(term_end: &str) -> OrgContext {
    let p = unit("P", OrgKind::Province, None, None);
    let c = unit("C", OrgKind::City, Some(&p), None);
    let k = unit("K", OrgKind::County, Some(&c), None);
    let t = unit("T", OrgKind::Township, Some(&k), None);
    let departments = vec![
        unit(
            "K-ORG",
            OrgKind::Department,
            Some(&k),
            Some(DeptFunction::Organization),
        ),
        unit(
            "K-HEALTH",
            OrgKind::Department,
            Some(&k),
            Some(DeptFunction::Health),
        ),
        unit(
            "T-PC",
            OrgKind::Department,
            Some(&t),
            Some(DeptFunction::PartyCommittee),
        ),
    ];
    OrgContext {
        chain: vec![p, c, k, t],
        departments,
        body: Some(Body {
            term_start: NaiveDate::from_ymd_opt(2023, 1, 1).unwrap(),
            term_end: NaiveDate::parse_from_str(term_end, "%Y-%m-%d").unwrap(),
            congress_date: None,
        }),
    }
}

fn ctx(org: &OrgContext) -> Context<'_> {
    static CALENDAR: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
    Context {
        org,
        calendar: CALENDAR.get_or_init(Calendar::default),
        now: Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap(),
        today: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        congress_window_days: 180,
    }
}

fn nomination(sector: &str) -> Value {
    json!({
        "candidate": {"name": "王医生", "gender": "female", "birth_year": 1975, "phone": "13800000000",
                      "email": "wang@example.cn", "employer": "镇卫生院", "position": "院长", "sector": sector},
        "target_org": "T", "post": "vice_chair", "mode": "part_time", "reason": "业务骨干"
    })
}

/// An in-memory instance with its tasks and history, advanced by decisions.
struct Sim {
    def: Definition,
    org: OrgContext,
    inst: Instance,
    tasks: Vec<Task>,
    history: usize,
    next_id: usize,
    members: Vec<Effect>,
}

impl Sim {
    fn new(sector: &str, term_end: &str) -> Sim {
        let def = def();
        let org = township_ctx(term_end);
        let data = machine::prepare_data(&def, &nomination(sector)).unwrap();
        let d = machine::start(&def, "i1".into(), "nominator".into(), data, &ctx(&org)).unwrap();
        let mut sim = Sim {
            def,
            org,
            inst: d.instance.clone(),
            tasks: vec![],
            history: 0,
            next_id: 0,
            members: vec![],
        };
        sim.apply(d);
        sim
    }

    fn apply(&mut self, d: Decision) {
        for c in &d.close {
            let t = self.tasks.iter_mut().find(|t| t.id == c.task_id).unwrap();
            assert_eq!(t.status, TaskStatus::Open, "closing a task that is not open");
            t.status = c.status;
            t.action = c.action.clone();
        }
        for n in d.open {
            self.next_id += 1;
            self.tasks.push(Task {
                id: format!("t{}", self.next_id),
                instance_id: "i1".into(),
                step: n.step,
                assignee: n.assignee,
                status: TaskStatus::Open,
                action: None,
                comment: None,
                actor: None,
                created_at: d.instance.updated_at,
                completed_at: None,
                due_at: n.due_at,
            });
        }
        self.members.extend(d.effects);
        self.inst = d.instance;
        self.history += 1;
    }

    fn open(&self) -> Vec<&Task> {
        self.tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Open)
            .collect()
    }

    fn open_key(&self, key: &str) -> String {
        self.open()
            .iter()
            .find(|t| t.assignee.key == key)
            .unwrap_or_else(|| panic!("no open task for {key}"))
            .id
            .clone()
    }

    fn act(
        &mut self,
        task: &str,
        action: &str,
        comment: Option<&str>,
        data: Option<Value>,
    ) -> Result<(), ModelError> {
        let cmd = Command::Act {
            task_id: task.into(),
            action: action.into(),
            comment: comment.map(Into::into),
            data,
        };
        let d = machine::decide(
            &self.def,
            &self.inst,
            &self.tasks,
            "someone",
            &cmd,
            &ctx(&self.org),
        )?;
        self.apply(d);
        Ok(())
    }

    fn act_key(
        &mut self,
        key: &str,
        action: &str,
        comment: Option<&str>,
        data: Option<Value>,
    ) -> Result<(), ModelError> {
        let id = self.open_key(key);
        self.act(&id, action, comment, data)
    }
}

fn election() -> Option<Value> {
    Some(json!({"meeting_date": "2026-12-15", "votes": 31}))
}

#[test]
fn township_nominee_is_consulted_with_county_org_township_and_sector() {
    let mut s = Sim::new("health", "2029-01-01");
    s.act_key("creator", "submit", None, None).unwrap();
    assert_eq!(s.inst.step, "consultation");
    let mut keys: Vec<_> = s.open().iter().map(|t| t.assignee.key.clone()).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["department@K-HEALTH", "department@K-ORG", "department@T-PC"]
    );
}

#[test]
fn consultation_tasks_carry_due_dates_reminders_and_escalation() {
    let mut s = Sim::new("health", "2029-01-01");
    let c = ctx(&s.org);
    let submit = Command::Act {
        task_id: s.open_key("creator"),
        action: "submit".into(),
        comment: None,
        data: None,
    };
    let d = machine::decide(&s.def, &s.inst, &s.tasks, "nominator", &submit, &c).unwrap();
    assert_eq!(d.open.len(), 3);
    for t in &d.open {
        // Monday 30 Nov 2026 + 10 working days = Monday 14 Dec, end of day in Shanghai.
        assert_eq!(t.due_at.unwrap().to_rfc3339(), "2026-12-14T15:59:59+00:00");
        let kinds: Vec<_> = t.timers.iter().map(|x| x.kind).collect();
        assert_eq!(kinds, [TimerKind::Remind, TimerKind::Remind, TimerKind::Escalate]);
        assert!(t.timers.iter().all(|x| x.fire_at > c.now));
    }
    s.apply(d);
    assert!(s.open()[0].due_at.is_some());
}

#[test]
fn sector_without_department_is_skipped() {
    let mut s = Sim::new("education", "2029-01-01");
    s.act_key("creator", "submit", None, None).unwrap();
    assert_eq!(s.open().len(), 2);
}

#[test]
fn mid_term_body_goes_to_by_election_and_ends_appointed() {
    let mut s = Sim::new("health", "2029-01-01");
    s.act_key("creator", "submit", None, None).unwrap();
    for k in ["department@K-ORG", "department@T-PC", "department@K-HEALTH"] {
        s.act_key(k, "agree", None, None).unwrap();
    }
    assert_eq!(s.inst.step, "committee_by_election");
    s.act_key("secretary@T", "elected", None, election()).unwrap();
    assert_eq!(s.inst.step, "filing");
    s.act_key("department@K-ORG", "acknowledge", None, None).unwrap();
    assert_eq!(s.inst.status, Status::Active, "one acknowledgement is not enough");
    assert!(s.members.is_empty());
    s.act_key("department@T-PC", "acknowledge", None, None).unwrap();
    assert_eq!(s.inst.status, Status::Completed);
    assert_eq!(s.inst.outcome.as_deref(), Some("appointed"));
    let Effect::AddMember(m) = &s.members[0];
    assert_eq!(
        (m.org_unit.as_str(), m.post.as_str(), m.sector.as_str()),
        ("T", "vice_chair", "health")
    );
    assert_eq!(m.since, NaiveDate::from_ymd_opt(2026, 12, 15).unwrap());
    assert_eq!(s.history, 1 + 1 + 3 + 1 + 2);
}

#[test]
fn term_ending_soon_goes_to_congress_election() {
    let mut s = Sim::new("education", "2027-03-01");
    s.act_key("creator", "submit", None, None).unwrap();
    s.act_key("department@K-ORG", "agree", None, None).unwrap();
    s.act_key("department@T-PC", "agree", None, None).unwrap();
    assert_eq!(s.inst.step, "congress_election");
    s.act_key("secretary@T", "not_elected", None, election()).unwrap();
    assert_eq!(s.inst.outcome.as_deref(), Some("not_elected"));
    assert!(s.open().is_empty());
}

#[test]
fn objection_asks_only_departments_that_have_not_agreed() {
    let mut s = Sim::new("health", "2029-01-01");
    s.act_key("creator", "submit", None, None).unwrap();
    s.act_key("department@K-ORG", "agree", None, None).unwrap();
    assert_eq!(
        s.act_key("department@T-PC", "object", None, None),
        Err(ModelError::invalid("comment", "a comment is required to object"))
    );
    s.act_key("department@T-PC", "object", Some("年龄不符"), None)
        .unwrap();
    assert_eq!(s.inst.step, "revising");
    assert_eq!(s.open().len(), 1, "only the nominator's task remains open");
    s.act_key(
        "creator",
        "resubmit",
        None,
        Some(json!({"candidate": {"birth_year": 1980}})),
    )
    .unwrap();
    assert_eq!(s.inst.data["candidate"]["birth_year"], 1980);
    let mut keys: Vec<_> = s.open().iter().map(|t| t.assignee.key.clone()).collect();
    keys.sort();
    assert_eq!(keys, ["department@K-HEALTH", "department@T-PC"]);
}

#[test]
fn return_keeps_opinions_and_bad_amendments_are_refused() {
    let mut s = Sim::new("health", "2029-01-01");
    s.act_key("creator", "submit", None, None).unwrap();
    s.act_key("department@K-HEALTH", "agree", None, None).unwrap();
    s.act_key("department@K-ORG", "return", Some("补充材料"), None)
        .unwrap();
    let before = s.inst.clone();
    let e = s
        .act_key(
            "creator",
            "resubmit",
            None,
            Some(json!({"candidate": {"phone": "abc"}})),
        )
        .unwrap_err();
    assert!(
        matches!(e, ModelError::Invalid { ref field, .. } if field == "data.candidate.phone"),
        "{e:?}"
    );
    let e = s
        .act_key("creator", "resubmit", None, Some(json!({"target_org": "K"})))
        .unwrap_err();
    assert!(
        matches!(e, ModelError::Invalid { ref field, .. } if field == "data.target_org"),
        "{e:?}"
    );
    assert_eq!(s.inst, before, "a refused action changes nothing");
    s.act_key("creator", "resubmit", None, None).unwrap();
    assert_eq!(s.open().len(), 2);
}

#[test]
fn withdraw_by_creator_only_and_not_after_the_result() {
    let mut s = Sim::new("health", "2029-01-01");
    s.act_key("creator", "submit", None, None).unwrap();
    let c = ctx(&s.org);
    let w = Command::Withdraw { comment: None };
    assert!(matches!(
        machine::decide(&s.def, &s.inst, &s.tasks, "intruder", &w, &c),
        Err(ModelError::Forbidden(_))
    ));
    let d = machine::decide(&s.def, &s.inst, &s.tasks, "nominator", &w, &c).unwrap();
    assert_eq!(d.instance.outcome.as_deref(), Some("withdrawn"));
    assert_eq!(d.close.len(), 3);
    assert!(d.close.iter().all(|c| c.status == TaskStatus::Cancelled));

    let mut s = Sim::new("education", "2029-01-01");
    s.act_key("creator", "submit", None, None).unwrap();
    s.act_key("department@K-ORG", "agree", None, None).unwrap();
    s.act_key("department@T-PC", "agree", None, None).unwrap();
    s.act_key("secretary@T", "elected", None, election()).unwrap();
    let c = ctx(&s.org);
    assert!(matches!(
        machine::decide(&s.def, &s.inst, &s.tasks, "nominator", &w, &c),
        Err(ModelError::NotAllowed(_))
    ));
}

#[test]
fn wrong_action_done_task_and_missing_data_are_refused() {
    let mut s = Sim::new("health", "2029-01-01");
    let first = s.open_key("creator");
    assert!(matches!(
        s.act(&first, "agree", None, None),
        Err(ModelError::NotAllowed(_))
    ));
    s.act(&first, "submit", None, None).unwrap();
    assert!(matches!(
        s.act(&first, "submit", None, None),
        Err(ModelError::Conflict(_))
    ));
    for k in ["department@K-ORG", "department@T-PC", "department@K-HEALTH"] {
        s.act_key(k, "agree", None, None).unwrap();
    }
    let e = s.act_key("secretary@T", "elected", None, None).unwrap_err();
    assert_eq!(e, ModelError::invalid("data.meeting_date", "is required"));
    let e = s
        .act_key(
            "secretary@T",
            "elected",
            None,
            Some(json!({"meeting_date": "15/12/2026"})),
        )
        .unwrap_err();
    assert!(matches!(e, ModelError::Invalid { ref field, .. } if field == "data.meeting_date"));
}

#[test]
fn county_target_needs_no_township_committee() {
    let def = def();
    let mut org = township_ctx("2029-01-01");
    org.chain.pop();
    let mut data = nomination("health");
    data["target_org"] = json!("K");
    let data = machine::prepare_data(&def, &data).unwrap();
    let d = machine::start(&def, "i".into(), "n".into(), data, &ctx(&org)).unwrap();
    let inst = d.instance;
    let steps = machine::resolve_step(&def, "consultation", &inst, &ctx(&org)).unwrap();
    assert_eq!(steps.len(), 2);
    let filing = machine::resolve_step(&def, "filing", &inst, &ctx(&org)).unwrap();
    assert_eq!(filing.len(), 1);
}

#[test]
fn missing_organization_department_is_a_directory_error() {
    let def = def();
    let mut org = township_ctx("2029-01-01");
    org.departments.retain(|d| d.code != "K-ORG");
    let data = machine::prepare_data(&def, &nomination("health")).unwrap();
    let d = machine::start(&def, "i".into(), "n".into(), data, &ctx(&org)).unwrap();
    let submit = Command::Act {
        task_id: "x".into(),
        action: "submit".into(),
        comment: None,
        data: None,
    };
    let task = Task {
        id: "x".into(),
        instance_id: "i".into(),
        step: "drafting".into(),
        assignee: d.open[0].assignee.clone(),
        status: TaskStatus::Open,
        action: None,
        comment: None,
        actor: None,
        created_at: d.instance.created_at,
        completed_at: None,
        due_at: None,
    };
    let e = machine::decide(&def, &d.instance, &[task], "n", &submit, &ctx(&org)).unwrap_err();
    assert!(matches!(e, ModelError::Directory(_)), "{e:?}");
}

#[test]
fn start_refuses_a_unit_of_the_wrong_kind() {
    let def = def();
    let mut org = township_ctx("2029-01-01");
    org.chain.truncate(2);
    let data = machine::prepare_data(&def, &nomination("health")).unwrap();
    let e = machine::start(&def, "i".into(), "n".into(), data, &ctx(&org)).unwrap_err();
    assert!(matches!(e, ModelError::Invalid { ref field, .. } if field == "data.target_org"));
}

/// One random move: which open task (by index), which action (by index), with a comment or not.
fn moves() -> impl Strategy<Value = Vec<(usize, usize, bool, bool)>> {
    prop::collection::vec((0usize..8, 0usize..4, any::<bool>(), any::<bool>()), 1..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn invariants_hold_over_random_sequences(
        sector in prop::sample::select(vec!["health", "education", "agriculture", "other"]),
        soon in any::<bool>(),
        seq in moves(),
    ) {
        let mut s = Sim::new(sector, if soon { "2027-01-01" } else { "2030-01-01" });
        let mut acknowledged = std::collections::BTreeSet::new();
        for (ti, ai, with_comment, withdraw) in seq {
            let before = s.history;
            if withdraw && ti == 0 {
                let c = ctx(&s.org);
                match machine::decide(&s.def, &s.inst, &s.tasks, "nominator", &Command::Withdraw { comment: None }, &c) {
                    Ok(d) => s.apply(d),
                    Err(_) => prop_assert_eq!(s.history, before),
                }
            } else {
                let open: Vec<Task> = s.open().into_iter().cloned().collect();
                if open.is_empty() { break; }
                let task = &open[ti % open.len()];
                let actions = machine::task_actions(&s.def, task);
                let action = actions[ai % actions.len()].clone();
                let data = matches!(action.as_str(), "elected" | "not_elected").then(election).flatten();
                let key = task.assignee.key.clone();
                let ok = s.act(&task.id, &action, with_comment.then_some("意见"), data).is_ok();
                if ok && action == "acknowledge" { acknowledged.insert(key); }
                // History grows by exactly one entry per accepted action, none otherwise.
                prop_assert_eq!(s.history, before + usize::from(ok));
            }
            // No task is open on a completed instance.
            if s.inst.status == Status::Completed {
                prop_assert!(s.open().is_empty());
            }
            // Exactly one open task per required department in consultation.
            if s.inst.step == "consultation" {
                let keys: Vec<_> = s.open().iter().map(|t| t.assignee.key.clone()).collect();
                let mut dedup = keys.clone();
                dedup.sort();
                dedup.dedup();
                prop_assert_eq!(keys.len(), dedup.len());
                let agreed = s.inst.completed.get("consultation").cloned().unwrap_or_default();
                let required = machine::resolve_step(&s.def, "consultation", &s.inst, &ctx(&s.org)).unwrap();
                for r in required {
                    prop_assert!(keys.contains(&r.key) != agreed.contains(&r.key), "{} open xor agreed", r.key);
                }
            }
            // Open tasks always belong to the current step.
            for t in s.open() {
                prop_assert_eq!(&t.step, &s.inst.step);
            }
        }
        // Appointed only after every filing acknowledgement.
        if s.inst.outcome.as_deref() == Some("appointed") {
            let filing = machine::resolve_step(&s.def, "filing", &s.inst, &ctx(&s.org)).unwrap();
            for f in filing {
                prop_assert!(acknowledged.contains(&f.key), "appointed without {}", f.key);
            }
            prop_assert_eq!(s.members.len(), 1);
        } else {
            prop_assert!(s.members.is_empty());
        }
    }
}
