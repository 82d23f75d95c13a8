//! The appointment workflow's rules, decided without a database: each path
//! through it, and property tests of its invariants over random action sequences.

use chrono::{NaiveDate, TimeZone, Utc};
use naxian_model::calendar::Calendar;
use naxian_model::definition::Definition;
use naxian_model::directory::{Body, DeptFunction, Holding, OrgContext, OrgKind, OrgUnit, Role};
use naxian_model::machine::{
    self, ActionInput, AddedSigner, Command, Context, Decision, Effect, Instance, SignerPosition, Status,
    Task, TaskStatus, TimerKind,
};
use naxian_model::{ModelError, Problem, Refusal};
use proptest::prelude::*;
use serde_json::{json, Value};

const SHIPPED: &str = include_str!("../../../workflows/sanzhang-appointment.yaml");

fn def() -> Definition {
    Definition::parse(
        "sanzhang-appointment.yaml",
        SHIPPED,
        &naxian_model::Catalogue::shipped(),
    )
    .unwrap()
}

/// The sign-off modes the consultation step is played with.
const MODES: &[&str] = &["all", "any", "sequential", "{at_least: 2}"];

/// The shipped workflow with its consultation signed off by `mode`.
fn def_signed(mode: &str) -> Definition {
    let consultation = "    sign_off: all\n    # After a return";
    assert!(SHIPPED.contains(consultation));
    let src = SHIPPED.replacen(
        consultation,
        &format!("    sign_off: {mode}\n    # After a return"),
        1,
    );
    Definition::parse(
        "sanzhang-appointment.yaml",
        &src,
        &naxian_model::Catalogue::shipped(),
    )
    .unwrap()
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
            Some(
                "organization"
                    .parse::<naxian_model::directory::DeptFunction>()
                    .unwrap(),
            ),
        ),
        unit(
            "K-HEALTH",
            OrgKind::Department,
            Some(&k),
            Some("health".parse::<DeptFunction>().unwrap()),
        ),
        unit(
            "T-PC",
            OrgKind::Department,
            Some(&t),
            Some(
                "party_committee"
                    .parse::<naxian_model::directory::DeptFunction>()
                    .unwrap(),
            ),
        ),
    ];
    let held = |login: &str, role: Role, unit: &str| Holding {
        login: login.into(),
        role,
        unit: unit.into(),
    };
    OrgContext {
        holdings: vec![
            held("org-li", "department".parse::<Role>().unwrap(), "K-ORG"),
            held("health-zhao", "department".parse::<Role>().unwrap(), "K-HEALTH"),
            held("pc-wang", "department".parse::<Role>().unwrap(), "T-PC"),
            held("sec-chen", "secretary".parse::<Role>().unwrap(), "T"),
            held("city-sun", "supervisor".parse::<Role>().unwrap(), "C"),
        ],
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
        on_behalf_of: None,
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
    /// Decisions that kept the data as a version (a submission).
    versions: usize,
    /// The note of the last decision applied.
    last_note: Option<String>,
}

impl Sim {
    fn new(sector: &str, term_end: &str) -> Sim {
        Sim::signed("all", sector, term_end)
    }

    fn signed(mode: &str, sector: &str, term_end: &str) -> Sim {
        Sim::of(def_signed(mode), sector, term_end)
    }

    fn of(def: Definition, sector: &str, term_end: &str) -> Sim {
        let org = township_ctx(term_end);
        let data = machine::prepare_data(
            &def,
            &nomination(sector),
            Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap(),
        )
        .unwrap();
        let d = machine::start(&def, "i1".into(), "nominator".into(), data, &ctx(&org)).unwrap();
        let mut sim = Sim {
            def,
            org,
            inst: d.instance.clone(),
            tasks: vec![],
            history: 0,
            next_id: 0,
            members: vec![],
            versions: 0,
            last_note: None,
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
            t.actor = c.actor.clone();
            t.on_behalf_of = c.on_behalf_of.clone();
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
                on_behalf_of: None,
                created_at: d.instance.updated_at,
                completed_at: None,
                due_at: n.due_at,
            });
        }
        for e in d.effects {
            match e {
                Effect::KeepVersion => self.versions += 1,
                other => self.members.push(other),
            }
        }
        self.inst = d.instance;
        self.history += 1;
        self.last_note = d.history.note;
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
            input: ActionInput {
                action: action.into(),
                comment: comment.map(Into::into),
                data,
                to_step: None,
                batch: false,
            },
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

/// The appointment where a consultation's return goes to a step the
/// department chooses among those passed, and filing may send it back to
/// the consultation or the drafting.
fn returning() -> Definition {
    let src = SHIPPED
        .replace(
            "return: { to: revising, comment: required, title: 退回补充 }",
            "return: { to: passed, comment: required, title: 退回补充 }",
        )
        .replace(
            "acknowledge: { complete: true, title: 确认备案, batch: true }",
            "acknowledge: { complete: true, title: 确认备案, batch: true }\n      return: { to: [consultation, drafting], title: 退回 }",
        );
    Definition::parse("returning.yaml", &src, &naxian_model::Catalogue::shipped()).unwrap()
}

fn act_to(s: &mut Sim, key: &str, action: &str, to_step: Option<&str>) -> Result<(), ModelError> {
    let cmd = Command::Act {
        task_id: s.open_key(key),
        input: ActionInput {
            action: action.into(),
            comment: Some("请补充".into()),
            data: None,
            to_step: to_step.map(Into::into),
            batch: false,
        },
    };
    let d = machine::decide(&s.def, &s.inst, &s.tasks, "someone", &cmd, &ctx(&s.org))?;
    s.apply(d);
    Ok(())
}

#[test]
fn return_goes_to_the_step_its_approver_chooses_among_those_offered() {
    let mut s = Sim::of(returning(), "health", "2030-01-01");
    s.act_key("creator", "submit", None, None).unwrap();
    s.act_key("department@K-ORG", "agree", None, None).unwrap();
    // Only the drafting was passed: the filing is not offered, nor is no choice.
    let r = act_to(&mut s, "department@T-PC", "return", Some("filing"));
    assert!(
        matches!(&r, Err(ModelError::NotAllowed(Refusal::StepNotOffered { allowed, .. })) if allowed == &["drafting"]),
        "{r:?}"
    );
    let r = act_to(&mut s, "department@T-PC", "return", None);
    assert!(
        matches!(&r, Err(ModelError::Invalid { field, .. }) if field == "to_step"),
        "{r:?}"
    );
    // An action that goes where its file says takes no step.
    let r = act_to(&mut s, "department@T-PC", "agree", Some("drafting"));
    assert!(
        matches!(&r, Err(ModelError::Invalid { field, .. }) if field == "to_step"),
        "{r:?}"
    );
    act_to(&mut s, "department@T-PC", "return", Some("drafting")).unwrap();
    assert_eq!(s.inst.step, "drafting");
    assert!(s.open().iter().all(|t| t.step == "drafting"));
    // The consultation keeps its opinions: the organization department is not asked again.
    s.act_key("creator", "submit", None, None).unwrap();
    let asked: Vec<_> = s.open().iter().map(|t| t.assignee.key.clone()).collect();
    assert_eq!(asked, ["department@T-PC", "department@K-HEALTH"]);
    s.act_key("department@T-PC", "agree", None, None).unwrap();
    s.act_key("department@K-HEALTH", "agree", None, None).unwrap();
    s.act_key("secretary@T", "elected", None, election()).unwrap();
    // Filing offers exactly what its file lists.
    let r = act_to(&mut s, "department@K-ORG", "return", Some("revising"));
    assert!(matches!(&r, Err(ModelError::NotAllowed(_))), "{r:?}");
    let before = s.tasks.len();
    act_to(&mut s, "department@K-ORG", "return", Some("consultation")).unwrap();
    // Everyone agreed before and the consultation keeps opinions: it passes
    // by itself to the election again, asking no department twice.
    assert_eq!(s.inst.step, "committee_by_election");
    let opened: Vec<_> = s.tasks[before..].iter().map(|t| t.step.as_str()).collect();
    assert_eq!(opened, ["committee_by_election"]);
}

/// Conditions over the data: a chair is always elected by the congress, and
/// the health department is asked only about a health-sector candidate.
#[test]
fn conditions_choose_routes_and_assignments_from_the_data() {
    let src = SHIPPED
        .replace(
            "- { when: congress_due, to: congress_election }",
            "- { when: 'congress_due || post == \"chair\"', to: congress_election }",
        )
        .replace(
            "- { role: department, department: \"{candidate.sector}\", of: county, optional: true }",
            "- { role: department, department: health, of: county, when: 'candidate.sector == \"health\"' }",
        );
    let def = Definition::parse("conditions.yaml", &src, &naxian_model::Catalogue::shipped()).unwrap();
    let org = township_ctx("2030-01-01");
    let run = |sector: &str, post: &str| {
        let mut data = nomination(sector);
        data["post"] = json!(post);
        let data =
            machine::prepare_data(&def, &data, Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap()).unwrap();
        let mut s = Sim {
            def: def.clone(),
            org: org.clone(),
            inst: machine::start(&def, "i1".into(), "nominator".into(), data.clone(), &ctx(&org))
                .unwrap()
                .instance,
            tasks: vec![],
            history: 0,
            next_id: 0,
            members: vec![],
            versions: 0,
            last_note: None,
        };
        let d = machine::start(&def, "i1".into(), "nominator".into(), data, &ctx(&org)).unwrap();
        s.apply(d);
        s.act_key("creator", "submit", None, None).unwrap();
        let asked: Vec<String> = s.open().iter().map(|t| t.assignee.key.clone()).collect();
        for key in asked {
            s.act_key(&key, "agree", None, None).unwrap();
        }
        s
    };
    let chair = run("health", "chair");
    assert_eq!(
        chair.inst.step, "congress_election",
        "a chair goes to the congress mid-term too"
    );
    let member = run("education", "member");
    assert_eq!(member.inst.step, "committee_by_election");
    let consulted = |s: &Sim| -> Vec<String> {
        s.tasks
            .iter()
            .filter(|t| t.step == "consultation")
            .map(|t| t.assignee.key.clone())
            .collect()
    };
    assert!(consulted(&chair).contains(&"department@K-HEALTH".to_string()));
    assert!(
        !consulted(&member).iter().any(|k| k.contains("HEALTH")),
        "{:?}",
        consulted(&member)
    );
}

/// A nomination under `src` in `org`, submitted by its nominator.
fn submitted(src: &str, org: OrgContext) -> Result<Sim, ModelError> {
    let def = Definition::parse("variant.yaml", src, &naxian_model::Catalogue::shipped()).unwrap();
    let mut s = Sim::of(def, "health", "2030-01-01");
    s.org = org;
    s.act_key("creator", "submit", None, None)?;
    Ok(s)
}

fn without(holder: &str) -> OrgContext {
    let mut org = township_ctx("2030-01-01");
    org.holdings.retain(|h| h.login != holder);
    org
}

#[test]
fn a_role_nobody_holds_is_refused_skipped_or_escalated_as_the_step_says() {
    // By default the submission that would open a task for no one is refused.
    let r = submitted(SHIPPED, without("pc-wang"));
    assert!(
        matches!(&r, Err(ModelError::Directory(Refusal::NoHolder { unit, role, .. })) if unit == "T-PC" && role == "department"),
        "{:?}",
        r.err()
    );
    let consultation = "    keep_completed: true\n";
    let skip = SHIPPED.replacen(consultation, "    keep_completed: true\n    no_holder: skip\n", 1);
    let s = submitted(&skip, without("pc-wang")).unwrap();
    let asked: Vec<_> = s.open().iter().map(|t| t.assignee.key.clone()).collect();
    assert_eq!(asked, ["department@K-ORG", "department@K-HEALTH"]);
    let note = s.last_note.clone().unwrap_or_default();
    assert!(
        note.contains("department@T-PC skipped: nobody holds it"),
        "{note}"
    );
    let escalate = SHIPPED.replacen(
        consultation,
        "    keep_completed: true\n    no_holder: { escalate_to: { role: supervisor, unit: city } }\n",
        1,
    );
    let s = submitted(&escalate, without("pc-wang")).unwrap();
    let asked: Vec<_> = s.open().iter().map(|t| t.assignee.key.clone()).collect();
    assert_eq!(asked, ["department@K-ORG", "supervisor@C", "department@K-HEALTH"]);
    // Escalated to a role nobody holds either: refused.
    let mut org = without("pc-wang");
    org.holdings.retain(|h| h.login != "city-sun");
    assert!(matches!(
        submitted(&escalate, org),
        Err(ModelError::Directory(Refusal::NoHolder { .. }))
    ));
}

#[test]
fn auto_pass_skips_the_creator_and_who_approved_before_with_the_reason() {
    let filing = "    copy:\n";
    let passing = |how: &str| SHIPPED.replacen(filing, &format!("    auto_pass: [{how}]\n    copy:\n"), 1);
    let through_election = |src: &str, org: OrgContext| {
        let mut s = submitted(src, org).unwrap();
        for (key, actor) in [
            ("department@K-ORG", "org-li"),
            ("department@T-PC", "pc-wang"),
            ("department@K-HEALTH", "health-zhao"),
        ] {
            let cmd = Command::Act {
                task_id: s.open_key(key),
                input: ActionInput::named("agree"),
            };
            let d = machine::decide(&s.def, &s.inst, &s.tasks, actor, &cmd, &ctx(&s.org)).unwrap();
            s.apply(d);
        }
        s.act_key("secretary@T", "elected", None, election()).unwrap();
        s
    };
    // The organization department and the party committee agreed in the
    // consultation: the filing passes them both, and the instance ends.
    let s = through_election(&passing("approved_before"), township_ctx("2030-01-01"));
    assert_eq!(s.inst.outcome.as_deref(), Some("appointed"));
    let note = s.last_note.clone().unwrap_or_default();
    assert!(
        note.contains("department@K-ORG passed: its holder org-li approved an earlier step"),
        "{note}"
    );
    assert!(note.contains("department@T-PC passed"), "{note}");
    // Without auto_pass the filing waits for both.
    let s = through_election(SHIPPED, township_ctx("2030-01-01"));
    assert_eq!(s.open().len(), 2);
    // The nominator also holds the organization department: only it passes.
    let mut org = township_ctx("2030-01-01");
    org.holdings.push(Holding {
        login: "nominator".into(),
        role: "department".parse::<Role>().unwrap(),
        unit: "K-ORG".into(),
    });
    let s = through_election(&passing("creator"), org);
    let open: Vec<_> = s.open().iter().map(|t| t.assignee.key.clone()).collect();
    assert_eq!(open, ["department@T-PC"]);
    assert!(s
        .last_note
        .clone()
        .unwrap_or_default()
        .contains("its holder nominator started this instance"));
}

/// 代理: a delegate's agreement is their principal's. The filing passes the
/// organization department, whose holder's delegate agreed in the
/// consultation, and the part closed says whom the delegate stood for.
#[test]
fn a_delegates_approval_counts_as_their_principals() {
    let filing = "    copy:\n";
    let src = SHIPPED.replacen(filing, "    auto_pass: [approved_before]\n    copy:\n", 1);
    // Through the election, org-li's part agreed by a deputy, standing for
    // org-li or (`principal` none) for nobody.
    let elected = |principal: Option<&str>| {
        let mut s = submitted(&src, township_ctx("2030-01-01")).unwrap();
        for (key, actor, principal) in [
            ("department@K-ORG", "org-deputy", principal),
            ("department@T-PC", "pc-wang", None),
            ("department@K-HEALTH", "health-zhao", None),
        ] {
            let cmd = Command::Act {
                task_id: s.open_key(key),
                input: ActionInput::named("agree"),
            };
            let mut c = ctx(&s.org);
            c.on_behalf_of = principal;
            let d = machine::decide(&s.def, &s.inst, &s.tasks, actor, &cmd, &c).unwrap();
            let closed = d.close.iter().find(|c| c.status == TaskStatus::Done).unwrap();
            assert_eq!(
                (closed.actor.as_deref(), closed.on_behalf_of.as_deref()),
                (Some(actor), principal)
            );
            s.apply(d);
        }
        s.act_key("secretary@T", "elected", None, election()).unwrap();
        s
    };
    let s = elected(Some("org-li"));
    let open: Vec<_> = s.open().iter().map(|t| t.assignee.key.clone()).collect();
    assert!(!open.contains(&"department@K-ORG".to_string()), "{open:?}");
    let note = s.last_note.clone().unwrap_or_default();
    assert!(
        note.contains("department@K-ORG passed: its holder org-li approved an earlier step"),
        "{note}"
    );
    // Without the principal recorded, org-li would be asked again.
    let s = elected(None);
    assert!(s.open().iter().any(|t| t.assignee.key == "department@K-ORG"));
}

fn election() -> Option<Value> {
    Some(json!({"meeting_date": "2026-11-28", "votes": 31}))
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
        input: ActionInput {
            action: "submit".into(),
            comment: None,
            data: None,
            to_step: None,
            batch: false,
        },
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
    let Effect::AddMember(m) = &s.members[0] else {
        panic!("an appointment adds a member")
    };
    assert_eq!(
        (m.org_unit.as_str(), m.post.as_str(), m.sector.as_str()),
        ("T", "vice_chair", "health")
    );
    assert_eq!(m.since, NaiveDate::from_ymd_opt(2026, 11, 28).unwrap());
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
        Err(ModelError::invalid(
            "comment",
            Problem::CommentRequired {
                action: "object".into()
            }
        ))
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
    assert_eq!(e, ModelError::invalid("data.meeting_date", Problem::Required));
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
    let data =
        machine::prepare_data(&def, &data, Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap()).unwrap();
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
    let data = machine::prepare_data(
        &def,
        &nomination("health"),
        Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap(),
    )
    .unwrap();
    let d = machine::start(&def, "i".into(), "n".into(), data, &ctx(&org)).unwrap();
    let submit = Command::Act {
        task_id: "x".into(),
        input: ActionInput {
            action: "submit".into(),
            comment: None,
            data: None,
            to_step: None,
            batch: false,
        },
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
        on_behalf_of: None,
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
    let data = machine::prepare_data(
        &def,
        &nomination("health"),
        Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap(),
    )
    .unwrap();
    let e = machine::start(&def, "i".into(), "n".into(), data, &ctx(&org)).unwrap_err();
    assert!(matches!(e, ModelError::Invalid { ref field, .. } if field == "data.target_org"));
}

/// One generated command against the instance as it stands.
#[derive(Debug, Clone)]
enum Move {
    /// One of the actions of an open task of the current step, with a comment or not.
    Act {
        task: usize,
        action: usize,
        comment: bool,
    },
    /// 代理: an action on an open task by a delegate of its holder.
    Delegated { task: usize, action: usize },
    /// An action on a task that is already done or cancelled.
    Closed { task: usize },
    /// An action on a task id this instance does not have.
    Foreign,
    /// An action no step defines.
    Unknown { task: usize },
    /// A withdrawal, by the creator or by someone else.
    Withdraw { by_creator: bool },
    /// 转交 of an open task to one of [`TRANSFEREES`], by its holder or (`anyone`) an administrator.
    Transfer { task: usize, to: usize, anyone: bool },
    /// 加签 of one of [`TRANSFEREES`] to an open task by its holder.
    AddSigner {
        task: usize,
        who: usize,
        position: usize,
    },
    /// Two actions decided from one snapshot: the first lands, the second is decided
    /// again on what the first left, as the engine does when its revision check fails.
    Race {
        first: usize,
        second: usize,
        action: usize,
    },
}

fn moves() -> impl Strategy<Value = Vec<Move>> {
    let one = prop_oneof![
        6 => (0usize..8, 0usize..4, any::<bool>())
            .prop_map(|(task, action, comment)| Move::Act { task, action, comment }),
        2 => (0usize..8, 0usize..4).prop_map(|(task, action)| Move::Delegated { task, action }),
        1 => (0usize..8).prop_map(|task| Move::Closed { task }),
        1 => Just(Move::Foreign),
        1 => (0usize..8).prop_map(|task| Move::Unknown { task }),
        1 => any::<bool>().prop_map(|by_creator| Move::Withdraw { by_creator }),
        2 => (0usize..8, 0usize..TRANSFEREES.len(), any::<bool>())
            .prop_map(|(task, to, anyone)| Move::Transfer { task, to, anyone }),
        2 => (0usize..8, 0usize..TRANSFEREES.len(), 0usize..3)
            .prop_map(|(task, who, position)| Move::AddSigner { task, who, position }),
        3 => (0usize..8, 0usize..8, 0usize..4)
            .prop_map(|(first, second, action)| Move::Race { first, second, action }),
    ];
    prop::collection::vec(one, 1..60)
}

/// Whom a generated transfer names: a colleague at the organization
/// department (added to the directory by [`play`]), its own holder, the
/// creator, a holder elsewhere, and a user with no grant.
const TRANSFEREES: &[&str] = &["org-zhou", "org-li", "nominator", "health-zhao", "stranger"];

/// Whether `action` of `step` completes the assignee's part (rather than moving the instance).
fn machine_done(def: &Definition, step: &str, action: &str) -> Option<()> {
    def.step(step)?
        .actions
        .get(action)
        .filter(|a| a.complete)
        .map(|_| ())
}

/// How often each kind of answer came back, to show the generator reaches them.
#[derive(Debug, Default)]
struct Tally {
    accepted: usize,
    closed_refused: usize,
    foreign_refused: usize,
    unknown_refused: usize,
    completed_refused: usize,
    forbidden: usize,
    race_both: usize,
    race_lost: usize,
    stale_refused: usize,
    signed_off: usize,
    transferred: usize,
    transfer_refused: usize,
    signer_added: usize,
    signer_refused: usize,
    before_returned: usize,
    delegated: usize,
}

fn act_cmd(task: &Task, action: &str, comment: bool) -> Command {
    Command::Act {
        task_id: task.id.clone(),
        input: ActionInput {
            action: action.into(),
            comment: comment.then(|| "意见".into()),
            data: matches!(action, "elected" | "not_elected")
                .then(election)
                .flatten(),
            to_step: None,
            batch: false,
        },
    }
}

/// What every accepted decision must satisfy, read off the decision itself.
fn check_accepted(
    s: &Sim,
    actor: &str,
    cmd: &Command,
    d: &Decision,
    c: &Context<'_>,
) -> Result<(), TestCaseError> {
    let open_before: Vec<&Task> = s.open();
    prop_assert_eq!(
        d.instance.revision,
        s.inst.revision,
        "the revision is the store's to move"
    );
    prop_assert_eq!(&d.history.step, &s.inst.step);
    prop_assert_eq!(&d.history.actor, actor);
    let mut closed = std::collections::BTreeSet::new();
    for c in &d.close {
        prop_assert!(closed.insert(c.task_id.clone()), "{} closed twice", c.task_id);
        prop_assert!(
            open_before
                .iter()
                .any(|t| t.id == c.task_id && t.step == s.inst.step),
            "closes {}, which was not open in this step",
            c.task_id
        );
    }
    match cmd {
        Command::Act { task_id, input } => {
            let action = &input.action;
            prop_assert_eq!(&d.history.action, action);
            let own = d.close.iter().find(|c| &c.task_id == task_id);
            prop_assert!(
                own.is_some_and(|c| c.status == TaskStatus::Done && c.action.as_ref() == Some(action))
            );
            // 代理: the part closed names whom the delegate stood for.
            prop_assert_eq!(own.and_then(|o| o.on_behalf_of.as_deref()), c.on_behalf_of);
            // A part finished with a signer added after its holder still open never moves the step on.
            let task = s.tasks.iter().find(|t| &t.id == task_id).unwrap();
            let completes = machine_done(&s.def, &task.step, action).is_some();
            if completes && d.instance.step != s.inst.step {
                let part = match AddedSigner::of_key(&task.assignee.key) {
                    Some(a) if a.position == SignerPosition::After => a.holder_key,
                    _ => task.assignee.key.clone(),
                };
                for c in d.close.iter().filter(|c| c.status == TaskStatus::Cancelled) {
                    let closed = s.tasks.iter().find(|t| t.id == c.task_id).unwrap();
                    let after_of_part = AddedSigner::of_key(&closed.assignee.key)
                        .is_some_and(|a| a.position == SignerPosition::After && a.holder_key == part);
                    prop_assert!(
                        !after_of_part,
                        "{} passed without its signer {}",
                        part,
                        closed.assignee.key
                    );
                }
            }
        }
        Command::Withdraw { .. } => {
            prop_assert_eq!(d.history.action.as_str(), "withdraw");
            prop_assert!(d.close.iter().all(|c| c.status == TaskStatus::Cancelled));
        }
        Command::Transfer { task_id, to, .. } => {
            // The task closes as transferred and one task, the same part of the same step, opens for `to`.
            prop_assert_eq!(d.history.action.as_str(), "transfer");
            prop_assert_eq!(d.history.note.as_deref(), Some(to.as_str()));
            prop_assert_eq!(d.close.len(), 1);
            prop_assert_eq!(&d.close[0].task_id, task_id);
            prop_assert_eq!(d.close[0].action.as_deref(), Some("transfer"));
            prop_assert_eq!(d.open.len(), 1);
            let old = s.tasks.iter().find(|t| &t.id == task_id).unwrap();
            prop_assert_eq!(&d.open[0].assignee.key, &old.assignee.key);
            prop_assert_eq!(d.open[0].assignee.user.as_deref(), Some(to.as_str()));
            prop_assert_eq!(d.open[0].due_at, old.due_at);
            prop_assert_eq!(&d.instance.step, &s.inst.step);
            prop_assert_eq!(&d.instance.completed, &s.inst.completed);
        }
        Command::AddSigner {
            task_id,
            user,
            position,
            ..
        } => {
            // One task opens for the signer, beside the holder's; only `before` closes the holder's.
            prop_assert_eq!(d.history.action.as_str(), "add_signer");
            prop_assert_eq!(d.open.len(), 1);
            let added = AddedSigner::of_key(&d.open[0].assignee.key).expect("an added signer's key");
            let old = s.tasks.iter().find(|t| &t.id == task_id).unwrap();
            prop_assert_eq!(&added.holder_key, &old.assignee.key);
            prop_assert_eq!(&added.login, user);
            prop_assert_eq!(d.open[0].assignee.user.as_deref(), Some(user.as_str()));
            let closes = usize::from(*position == SignerPosition::Before);
            prop_assert_eq!(d.close.len(), closes);
            prop_assert_eq!(&d.instance.step, &s.inst.step);
        }
    }
    // Leaving a step leaves none of its tasks open.
    if d.instance.step != s.inst.step || d.instance.status == Status::Completed {
        for t in &open_before {
            prop_assert!(closed.contains(&t.id), "{} left open after the step ended", t.id);
        }
    }
    if d.instance.status == Status::Completed {
        prop_assert!(d.open.is_empty());
    }
    for n in &d.open {
        prop_assert_eq!(&n.step, &d.instance.step);
    }
    // Deciding is a function of its inputs: the same snapshot gives the same decision.
    let again = machine::decide(&s.def, &s.inst, &s.tasks, actor, cmd, c);
    prop_assert_eq!(again.as_ref(), Ok(d));
    Ok(())
}

/// Who holds an open task: its user, or the first holder of its role.
fn holder(t: &Task, c: &Context<'_>) -> String {
    t.assignee
        .user
        .clone()
        .or_else(|| machine::holders_of(&t.assignee, c).first().map(|h| h.to_string()))
        .unwrap_or_default()
}

fn is_conflict<T>(r: &Result<T, ModelError>) -> bool {
    matches!(r, Err(ModelError::Conflict(_)))
}

/// Plays `seq` against a fresh nomination, checking each answer of the model.
fn play(mode: &str, sector: &str, soon: bool, seq: &[Move], tally: &mut Tally) -> Result<(), TestCaseError> {
    let mut s = Sim::signed(mode, sector, if soon { "2027-01-01" } else { "2030-01-01" });
    s.org.holdings.push(naxian_model::directory::Holding {
        login: "org-zhou".into(),
        role: "department".parse().unwrap(),
        unit: "K-ORG".into(),
    });
    let mut acknowledged = std::collections::BTreeSet::new();
    for m in seq {
        let open: Vec<Task> = s.open().into_iter().cloned().collect();
        let closed: Vec<Task> = s
            .tasks
            .iter()
            .filter(|t| t.status != TaskStatus::Open)
            .cloned()
            .collect();
        let c = ctx(&s.org);
        let done = s.inst.status == Status::Completed;
        match m {
            Move::Act {
                task,
                action,
                comment,
            } => {
                let Some(t) = (!open.is_empty()).then(|| &open[task % open.len()]) else {
                    continue;
                };
                let actions = machine::task_actions(&s.def, t);
                let action = &actions[action % actions.len()];
                let cmd = act_cmd(t, action, *comment);
                match machine::decide(&s.def, &s.inst, &s.tasks, "someone", &cmd, &c) {
                    Ok(d) => {
                        check_accepted(&s, "someone", &cmd, &d, &c)?;
                        let before = AddedSigner::of_key(&t.assignee.key)
                            .filter(|a| a.position == SignerPosition::Before);
                        if let (Some(b), Some(_)) = (&before, &machine_done(&s.def, &t.step, action)) {
                            // The holder who asked has their task back, by name, and decides.
                            let back = d.open.iter().find(|n| n.assignee.key == b.holder_key);
                            prop_assert!(
                                back.is_some_and(|n| n.assignee.user.as_deref() == Some(b.asker.as_str()))
                            );
                            tally.before_returned += 1;
                        }
                        if action == "acknowledge" {
                            acknowledged.insert(t.assignee.key.clone());
                        }
                        tally.accepted += 1;
                        s.apply(d);
                    }
                    // A valid action on an open task is refused only for its comment or data.
                    Err(ModelError::Invalid { field, .. }) => {
                        prop_assert!(
                            (field == "comment" && !comment) || field.starts_with("data."),
                            "refused for {}",
                            field
                        );
                    }
                    Err(e) => prop_assert!(false, "{action} on open {} refused: {e:?}", t.id),
                }
            }
            Move::Delegated { task, action } => {
                let Some(t) = (!open.is_empty()).then(|| &open[task % open.len()]) else {
                    continue;
                };
                let principal = holder(t, &c);
                let actions = machine::task_actions(&s.def, t);
                let action = &actions[action % actions.len()];
                let cmd = act_cmd(t, action, true);
                let mut c = ctx(&s.org);
                c.on_behalf_of = Some(principal.as_str());
                match machine::decide(&s.def, &s.inst, &s.tasks, "deputy", &cmd, &c) {
                    Ok(d) => {
                        check_accepted(&s, "deputy", &cmd, &d, &c)?;
                        if action == "acknowledge" {
                            acknowledged.insert(t.assignee.key.clone());
                        }
                        tally.delegated += 1;
                        tally.accepted += 1;
                        s.apply(d);
                    }
                    Err(ModelError::Invalid { field, .. }) => {
                        prop_assert!(field.starts_with("data."), "refused for {}", field);
                    }
                    Err(e) => prop_assert!(false, "{action} by a delegate on open {} refused: {e:?}", t.id),
                }
            }
            Move::Closed { task } => {
                let Some(t) = (!closed.is_empty()).then(|| &closed[task % closed.len()]) else {
                    continue;
                };
                // The action it was closed with, or one its step offers.
                let step = s.def.step(&t.step).unwrap();
                let action = t
                    .action
                    .clone()
                    .unwrap_or_else(|| step.actions.keys().next().unwrap().to_string());
                let cmd = act_cmd(t, &action, true);
                let r = machine::decide(&s.def, &s.inst, &s.tasks, "someone", &cmd, &c);
                prop_assert!(is_conflict(&r), "a closed task acted on again: {r:?}");
                tally.closed_refused += 1;
            }
            Move::Foreign => {
                let cmd = Command::Act {
                    task_id: "of-another-instance".into(),
                    input: ActionInput {
                        action: "agree".into(),
                        comment: None,
                        data: None,
                        to_step: None,
                        batch: false,
                    },
                };
                let r = machine::decide(&s.def, &s.inst, &s.tasks, "someone", &cmd, &c);
                prop_assert!(is_conflict(&r), "a foreign task: {r:?}");
                tally.foreign_refused += 1;
            }
            Move::Unknown { task } => {
                let Some(t) = (!open.is_empty()).then(|| &open[task % open.len()]) else {
                    continue;
                };
                let cmd = act_cmd(t, "no_such_action", true);
                let r = machine::decide(&s.def, &s.inst, &s.tasks, "someone", &cmd, &c);
                prop_assert!(
                    matches!(r, Err(ModelError::NotAllowed(_))),
                    "an unknown action: {r:?}"
                );
                tally.unknown_refused += 1;
            }
            Move::Withdraw { by_creator } => {
                let actor = if *by_creator { "nominator" } else { "someone" };
                let cmd = Command::Withdraw { comment: None };
                match machine::decide(&s.def, &s.inst, &s.tasks, actor, &cmd, &c) {
                    Ok(d) => {
                        prop_assert!(*by_creator, "withdrawn by someone else");
                        check_accepted(&s, actor, &cmd, &d, &c)?;
                        tally.accepted += 1;
                        s.apply(d);
                    }
                    Err(ModelError::Conflict(_)) if done => tally.completed_refused += 1,
                    Err(ModelError::Forbidden(_)) if !by_creator => tally.forbidden += 1,
                    Err(ModelError::NotAllowed(_)) => {}
                    Err(e) => prop_assert!(false, "withdraw by {actor}: {e:?}"),
                }
            }
            Move::Transfer { task, to, anyone } => {
                let Some(t) = (!open.is_empty()).then(|| &open[task % open.len()]) else {
                    continue;
                };
                let to = TRANSFEREES[*to];
                let actor = holder(t, &c);
                let cmd = Command::Transfer {
                    task_id: t.id.clone(),
                    to: to.into(),
                    comment: None,
                    anyone: *anyone,
                };
                let allowed = s.def.step(&t.step).unwrap().allows_transfer()
                    && AddedSigner::of_key(&t.assignee.key).is_none();
                let may = allowed
                    && to != s.inst.creator
                    && to != actor
                    && !open.iter().any(|o| o.assignee.user.as_deref() == Some(to))
                    && (*anyone || machine::could_hold(&t.assignee, to, &c));
                match machine::decide(&s.def, &s.inst, &s.tasks, &actor, &cmd, &c) {
                    Ok(d) => {
                        prop_assert!(may, "transferred {} to {to} by {actor}", t.id);
                        prop_assert!(to != "nominator", "the creator was handed a task");
                        check_accepted(&s, &actor, &cmd, &d, &c)?;
                        tally.transferred += 1;
                        tally.accepted += 1;
                        s.apply(d);
                    }
                    Err(ModelError::NotAllowed(_)) => {
                        prop_assert!(!allowed);
                        tally.transfer_refused += 1;
                    }
                    Err(ModelError::Invalid { field, .. }) => {
                        prop_assert_eq!(field, "to");
                        prop_assert!(!may, "refused {} to {to}", t.id);
                        tally.transfer_refused += 1;
                    }
                    Err(e) => prop_assert!(false, "transfer of open {} refused: {e:?}", t.id),
                }
            }
            Move::AddSigner { task, who, position } => {
                let Some(t) = (!open.is_empty()).then(|| &open[task % open.len()]) else {
                    continue;
                };
                let user = TRANSFEREES[*who];
                let position = SignerPosition::ALL[*position];
                let actor = holder(t, &c);
                let cmd = Command::AddSigner {
                    task_id: t.id.clone(),
                    user: user.into(),
                    position,
                    comment: None,
                };
                let allowed = s.def.step(&t.step).unwrap().allows_add_signer()
                    && AddedSigner::of_key(&t.assignee.key).is_none();
                let may = allowed
                    && user != s.inst.creator
                    && user != actor
                    && !open.iter().any(|o| o.assignee.user.as_deref() == Some(user));
                match machine::decide(&s.def, &s.inst, &s.tasks, &actor, &cmd, &c) {
                    Ok(d) => {
                        prop_assert!(may, "added {user} to {} by {actor}", t.id);
                        check_accepted(&s, &actor, &cmd, &d, &c)?;
                        tally.signer_added += 1;
                        tally.accepted += 1;
                        s.apply(d);
                    }
                    Err(ModelError::NotAllowed(_)) => {
                        prop_assert!(!allowed);
                        tally.signer_refused += 1;
                    }
                    Err(ModelError::Invalid { field, .. }) => {
                        prop_assert_eq!(field, "user");
                        prop_assert!(!may, "refused {user} on {}", t.id);
                        tally.signer_refused += 1;
                    }
                    Err(e) => prop_assert!(false, "adding a signer to open {} refused: {e:?}", t.id),
                }
            }
            Move::Race {
                first,
                second,
                action,
            } => {
                if open.is_empty() {
                    continue;
                }
                let a = &open[first % open.len()];
                let b = &open[second % open.len()];
                let pick = |t: &Task| {
                    let actions = machine::task_actions(&s.def, t);
                    act_cmd(t, &actions[action % actions.len()], true)
                };
                let (cmd_a, cmd_b) = (pick(a), pick(b));
                let da = machine::decide(&s.def, &s.inst, &s.tasks, "first", &cmd_a, &c);
                let db = machine::decide(&s.def, &s.inst, &s.tasks, "second", &cmd_b, &c);
                let (Ok(da), Ok(_)) = (da, db) else { continue };
                check_accepted(&s, "first", &cmd_a, &da, &c)?;
                let acknowledges = |cmd: &Command| matches!(cmd, Command::Act { input, .. } if input.action == "acknowledge");
                if acknowledges(&cmd_a) {
                    acknowledged.insert(a.assignee.key.clone());
                }
                let snapshot = s.tasks.clone();
                s.apply(da);
                tally.accepted += 1;
                let still_open = s.open().iter().any(|t| t.id == b.id) && s.inst.step == b.step;
                let retried = machine::decide(&s.def, &s.inst, &s.tasks, "second", &cmd_b, &ctx(&s.org));
                if still_open {
                    // Actions on different tasks of one step do not conflict.
                    let d = retried
                        .map_err(|e| TestCaseError::fail(format!("{} lost to {}: {e:?}", b.id, a.id)))?;
                    check_accepted(&s, "second", &cmd_b, &d, &ctx(&s.org))?;
                    if acknowledges(&cmd_b) {
                        acknowledged.insert(b.assignee.key.clone());
                    }
                    tally.race_both += 1;
                    tally.accepted += 1;
                    s.apply(d);
                } else {
                    prop_assert!(
                        is_conflict(&retried),
                        "{} acted after it closed: {retried:?}",
                        b.id
                    );
                    tally.race_lost += 1;
                    if s.inst.status == Status::Active && s.inst.step != b.step {
                        // A stale read still shows the task open; the step tells it moved on.
                        let stale =
                            machine::decide(&s.def, &s.inst, &snapshot, "second", &cmd_b, &ctx(&s.org));
                        prop_assert!(is_conflict(&stale), "a stale task acted on: {stale:?}");
                        tally.stale_refused += 1;
                    }
                }
            }
        }
        if done {
            // Once completed, nothing more is accepted.
            prop_assert_eq!(s.inst.status, Status::Completed);
            let any = s.tasks.first().map(|t| act_cmd(t, "agree", true));
            if let Some(cmd) = any {
                let r = machine::decide(&s.def, &s.inst, &s.tasks, "someone", &cmd, &ctx(&s.org));
                prop_assert!(is_conflict(&r));
                tally.completed_refused += 1;
            }
        }
        let required: Vec<String> = machine::resolve_step(&s.def, "consultation", &s.inst, &ctx(&s.org))
            .unwrap()
            .into_iter()
            .map(|a| a.key)
            .collect();
        // Opinions given, added signers' among them (they count in the sign-off).
        let agreed = s.inst.completed.get("consultation").cloned().unwrap_or_default();
        let agreed_required: Vec<String> = agreed
            .iter()
            .filter(|k| AddedSigner::of_key(k).is_none())
            .cloned()
            .collect();
        let needed = match mode {
            "any" => 1,
            "{at_least: 2}" => required.len().min(2),
            _ => required.len(),
        };
        if s.inst.step == "consultation" && s.inst.status == Status::Active {
            let keys: Vec<_> = s.open().iter().map(|t| t.assignee.key.clone()).collect();
            let mut dedup = keys.clone();
            dedup.sort();
            dedup.dedup();
            prop_assert_eq!(keys.len(), dedup.len());
            let added: Vec<AddedSigner> = keys.iter().filter_map(|k| AddedSigner::of_key(k)).collect();
            // A holder who added a signer before them waits for that signer.
            let waiting: Vec<String> = added
                .iter()
                .filter(|a| a.position == SignerPosition::Before)
                .map(|a| a.holder_key.clone())
                .collect();
            let held: Vec<String> = keys
                .iter()
                .filter(|k| AddedSigner::of_key(k).is_none())
                .cloned()
                .chain(waiting.iter().cloned())
                .collect();
            prop_assert!(
                agreed_required.len() < needed || !added.is_empty(),
                "{mode}: {agreed:?} met the sign-off, yet it waits"
            );
            if mode == "sequential" {
                // One task at a time, to the first in `assign` order who has not agreed.
                prop_assert_eq!(
                    &agreed_required[..],
                    &required[..agreed_required.len()],
                    "agreed out of order"
                );
                if added.is_empty() {
                    prop_assert_eq!(held, vec![required[agreed_required.len()].clone()]);
                } else {
                    // A holder's signers are asked before the next in order.
                    prop_assert!(held.len() <= 1, "{:?}", held);
                }
            } else {
                // Exactly one task per required department that has not agreed:
                // open, or waiting for a signer it added before itself.
                for r in &required {
                    let n = held.iter().filter(|k| *k == r).count();
                    prop_assert!(n <= 1, "{} held twice", r);
                    prop_assert!((n == 1) != agreed.contains(r), "{} held xor agreed", r);
                }
            }
        }
        // Past the consultation only once its sign-off was met.
        if ["congress_election", "committee_by_election", "filing"].contains(&s.inst.step.as_str())
            || s.inst.outcome.as_deref().is_some_and(|o| o != "withdrawn")
        {
            prop_assert!(
                agreed.len() >= needed && (mode != "all" || agreed_required.len() >= needed),
                "{mode}: passed with only {agreed:?} of {required:?}"
            );
            tally.signed_off += 1;
        }
        for t in s.open() {
            prop_assert_eq!(&t.step, &s.inst.step);
        }
    }
    // Appointed only after every filing acknowledgement, with exactly one member.
    if s.inst.outcome.as_deref() == Some("appointed") {
        let filing = machine::resolve_step(&s.def, "filing", &s.inst, &ctx(&s.org)).unwrap();
        for f in filing {
            prop_assert!(acknowledged.contains(&f.key), "appointed without {}", f.key);
        }
        prop_assert_eq!(s.members.len(), 1);
    } else {
        prop_assert!(s.members.is_empty());
    }
    // Every submission, and only a submission, keeps a version of the data.
    let submissions = s
        .tasks
        .iter()
        .filter(|t| matches!(t.action.as_deref(), Some("submit" | "resubmit")))
        .count();
    prop_assert_eq!(s.versions, submissions);
    Ok(())
}

fn sectors() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["health", "education", "agriculture", "other"])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn invariants_hold_over_random_sequences(
        mode in prop::sample::select(MODES),
        sector in sectors(),
        soon in any::<bool>(),
        seq in moves(),
    ) {
        play(mode, sector, soon, &seq, &mut Tally::default())?;
    }
}

/// The generator is only worth its cases if it reaches every refusal and both race outcomes.
#[test]
fn random_sequences_reach_every_branch() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = (sectors(), any::<bool>(), moves());
    for mode in MODES {
        let mut tally = Tally::default();
        for _ in 0..200 {
            let (sector, soon, seq) = strategy.new_tree(&mut runner).unwrap().current();
            play(mode, sector, soon, &seq, &mut tally).unwrap();
        }
        reached_every_branch(mode, &tally);
    }
}

fn reached_every_branch(mode: &str, tally: &Tally) {
    for (name, n) in [
        ("accepted", tally.accepted),
        ("closed_refused", tally.closed_refused),
        ("foreign_refused", tally.foreign_refused),
        ("unknown_refused", tally.unknown_refused),
        ("completed_refused", tally.completed_refused),
        ("forbidden", tally.forbidden),
        ("race_both", tally.race_both),
        ("race_lost", tally.race_lost),
        ("stale_refused", tally.stale_refused),
        ("signed_off", tally.signed_off),
        ("transferred", tally.transferred),
        ("transfer_refused", tally.transfer_refused),
        ("signer_added", tally.signer_added),
        ("signer_refused", tally.signer_refused),
        ("before_returned", tally.before_returned),
        ("delegated", tally.delegated),
    ] {
        assert!(n > 0, "{mode}: no case reached {name}: {tally:?}");
    }
}
