//! The behaviour every [`Store`] must show, written once and run against each
//! backend by its own tests: `naxian_store_conformance::suite!(open, close)`
//! makes one `#[test]` per check, each on a fresh store from `open().await`, so
//! a failure names its check and hides no other. A check panics with what was
//! expected. This crate is a dev-dependency only: nothing of it is in the binary.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use naxian_model::audit::GENESIS;
use naxian_model::directory::{Body, DeptFunction, OrgKind, OrgUnit, Role};
use naxian_model::machine::{
    Assignee, Effect, Instance, Member, Status, Task, TaskClose, TaskStatus, TimerKind,
};
use naxian_store::*;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One `#[tokio::test]` per check, each on a fresh store: `$open` is an async
/// fn returning a migrated store and what keeps it (a directory, a database),
/// which `$close` (an async fn) removes once the check has passed. A check
/// listed with others runs them first on its own store, for the state they
/// leave (the units, grants and instances its reads count); a failure there
/// panics at the prerequisite's line.
#[macro_export]
macro_rules! suite {
    ($open:path, $close:path) => {
        $crate::suite!(@checks $open, $close;
            directory => [],
            users_grants_tokens => [directory],
            import_batches => [directory, users_grants_tokens],
            workflows => [],
            transitions => [directory, users_grants_tokens, workflows],
            attachments => [directory, users_grants_tokens, workflows, transitions],
            concurrent_apply => [directory, users_grants_tokens, workflows],
            refusals_stand_alone => [directory, users_grants_tokens, workflows],
            concurrent_login_attempts => [],
            idempotency => [],
            calendar => [directory, users_grants_tokens],
            timers_and_outbox => [directory, users_grants_tokens, workflows],
            racing_claims => [],
            notices => [],
            schedule_slots => [directory, users_grants_tokens, workflows, transitions, concurrent_apply, timers_and_outbox],
            catalogue => [directory, users_grants_tokens],
            members => [directory],
            campaigns => [directory, users_grants_tokens, workflows, transitions],
            directory_generation => [
                directory, users_grants_tokens, workflows, transitions, concurrent_apply, timers_and_outbox, schedule_slots
            ],
            instance_state => [
                directory, users_grants_tokens, workflows, transitions, concurrent_apply, timers_and_outbox, schedule_slots,
                directory_generation
            ],
        );
    };
    (@checks $open:path, $close:path; $($check:ident => [$($before:ident),*]),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let (store, kept) = $open().await;
                let store = std::sync::Arc::new(store);
                $( $crate::$before(store.clone()).await; )*
                $crate::$check(store).await;
                $close(kept).await;
            }
        )+
    };
}

/// The one-query read of an instance gives what the separate reads give.
pub async fn instance_state<S: Store>(store: Arc<S>) {
    let s: &dyn Store = store.as_ref();
    for id in ["cf_ov", "cf_i1", "cf_gen"] {
        let record = s.instance(id).await.unwrap().expect("the instance exists");
        let tasks = s.tasks_of(id).await.unwrap();
        let history = s.history(id).await.unwrap();
        let mut keys = vec![InstanceKey::Id(id)];
        keys.extend(tasks.iter().map(|t| InstanceKey::Task(&t.id)));
        for key in keys {
            let state = s.instance_state(key).await.unwrap().expect("found");
            assert_eq!(state.record.instance, record.instance, "{key:?}");
            assert_eq!(
                (
                    state.record.audit_seq,
                    &state.record.audit_head,
                    state.record.directory_generation
                ),
                (record.audit_seq, &record.audit_head, record.directory_generation),
                "{key:?}"
            );
            assert_eq!(state.tasks, tasks, "{key:?}");
            assert_eq!(state.history, history, "{key:?}");
        }
    }
    assert!(s
        .instance_state(InstanceKey::Id("cf_none"))
        .await
        .unwrap()
        .is_none());
    assert!(s
        .instance_state(InstanceKey::Task("cf_none"))
        .await
        .unwrap()
        .is_none());
}

/// The directory's generation, read with an instance, moves with every
/// directory write (a cache keyed on it is then never stale) and with no
/// transition.
pub async fn directory_generation<S: Store>(store: Arc<S>) {
    let s: &dyn Store = store.as_ref();
    let generation = || async {
        s.instance("cf_ov")
            .await
            .unwrap()
            .expect("cf_ov exists")
            .directory_generation
    };
    let mut last = generation().await;
    let mut moved = |now: i64, what: &str| {
        assert!(
            now > last,
            "{what} must move the directory's generation ({last} → {now})"
        );
        last = now;
    };
    s.add_grant("cf_user", &role("viewer"), "cf_T").await.unwrap();
    moved(generation().await, "a grant");
    s.set_digest("cf_user", false).await.unwrap();
    moved(generation().await, "a user's change");
    let body = Body {
        term_start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        term_end: NaiveDate::from_ymd_opt(2029, 1, 1).unwrap(),
        congress_date: None,
    };
    s.set_body("cf_K", &body).await.unwrap();
    moved(generation().await, "a body");
    let before = generation().await;
    s.apply(&Change {
        instance: instance("cf_gen"),
        expected_revision: None,
        expected_generation: None,
        unique_key: None,
        idempotency: None,
        close: vec![],
        open: vec![],
        history: entry("cf_gen", 1, GENESIS, 0, "create"),
        effects: vec![],
        timers: vec![],
        cancel_timers_of: vec![],
        outbox: vec![],
        at: at(0),
    })
    .await
    .unwrap();
    assert_eq!(
        generation().await,
        before,
        "a transition leaves the directory's generation alone"
    );

    // A transition decided on an older directory is refused, and writes nothing.
    let mut next = instance("cf_gen");
    next.step = "consultation".into();
    let mut change = Change {
        instance: next,
        expected_revision: Some(1),
        expected_generation: Some(before),
        unique_key: None,
        idempotency: None,
        close: vec![],
        open: vec![],
        history: entry(
            "cf_gen",
            2,
            &s.instance("cf_gen").await.unwrap().unwrap().audit_head,
            1,
            "submit",
        ),
        effects: vec![],
        timers: vec![],
        cancel_timers_of: vec![],
        outbox: vec![],
        at: at(1),
    };
    s.add_grant("cf_user", &role("viewer"), "cf_K").await.unwrap();
    moved(generation().await, "a second grant");
    assert!(
        matches!(s.apply(&change).await, Err(StoreError::DirectoryMoved(_))),
        "the directory moved on after the decision"
    );
    let kept = s.instance("cf_gen").await.unwrap().unwrap();
    assert_eq!(
        (kept.instance.revision, kept.instance.step.as_str()),
        (1, "drafting")
    );
    assert_eq!(s.history("cf_gen").await.unwrap().len(), 1, "nothing written");
    // At the current generation it goes through; a stale revision is still a conflict.
    change.expected_generation = Some(kept.directory_generation);
    s.apply(&change).await.expect("decided on the current directory");
    assert!(matches!(s.apply(&change).await, Err(StoreError::Conflict(_))));
    assert_eq!(s.instance("cf_gen").await.unwrap().unwrap().instance.revision, 2);

    // A start decided on an older directory is refused too.
    let mut start = Change {
        instance: instance("cf_gen2"),
        expected_revision: None,
        expected_generation: Some(before),
        unique_key: None,
        idempotency: None,
        close: vec![],
        open: vec![],
        history: entry("cf_gen2", 1, GENESIS, 0, "create"),
        effects: vec![],
        timers: vec![],
        cancel_timers_of: vec![],
        outbox: vec![],
        at: at(0),
    };
    assert!(matches!(
        s.apply(&start).await,
        Err(StoreError::DirectoryMoved(_))
    ));
    assert!(s.instance("cf_gen2").await.unwrap().is_none(), "nothing written");
    start.expected_generation = Some(s.directory_generation().await.unwrap());
    assert_eq!(start.expected_generation, Some(kept.directory_generation));
    s.apply(&start).await.expect("decided on the current directory");
}

pub async fn schedule_slots<S: Store>(s: Arc<S>) {
    assert_eq!(s.last_slot("cf.monthly").await.unwrap(), None);
    s.skip_slots("cf.monthly", &[(at(0), "missed while down".into())])
        .await
        .unwrap();
    assert!(
        !s.claim_slot("cf.monthly", at(0), "a", 60_000).await.unwrap(),
        "a skipped slot never fires"
    );
    // Eight replicas race for one slot: exactly one gets it.
    let mut handles = Vec::new();
    for n in 0..8 {
        let s = s.clone();
        handles.push(tokio::spawn(async move {
            let owner = format!("r{n}");
            let won = s.claim_slot("cf.monthly", at(60), &owner, 60_000).await.unwrap();
            if won {
                s.complete_slot(
                    "cf.monthly",
                    at(60),
                    &owner,
                    at(61),
                    "fired",
                    &[mail("slot:cf.monthly:60", 61)],
                )
                .await
                .unwrap();
            }
            won
        }));
    }
    let mut winners = 0;
    for h in handles {
        winners += usize::from(h.await.unwrap());
    }
    assert_eq!(winners, 1);
    assert!(
        !s.claim_slot("cf.monthly", at(60), "late", 60_000).await.unwrap(),
        "done is done"
    );
    assert_eq!(s.last_slot("cf.monthly").await.unwrap(), Some(at(60)));
    let slots = s.slots("cf.monthly", 10).await.unwrap();
    assert_eq!(
        slots.iter().map(|x| x.status.as_str()).collect::<Vec<_>>(),
        ["done", "skipped"]
    );
    assert_eq!(slots[1].note.as_deref(), Some("missed while down"));
    // A lost lease cannot complete.
    assert!(s.claim_slot("cf.monthly", at(120), "old", 1).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert!(
        s.claim_slot("cf.monthly", at(120), "new", 60_000).await.unwrap(),
        "expired lease taken over"
    );
    assert!(matches!(
        s.complete_slot("cf.monthly", at(120), "old", at(121), "", &[])
            .await,
        Err(StoreError::Conflict(_))
    ));
    s.complete_slot("cf.monthly", at(120), "new", at(121), "", &[])
        .await
        .unwrap();

    // Reporting reads.
    let counties = s.units_of_kind(OrgKind::County).await.unwrap();
    assert!(counties.iter().any(|u| u.code == "cf_K") && counties.iter().all(|u| u.kind == OrgKind::County));
    let under: Vec<String> = s
        .units_under("/cf_P/cf_K/")
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.code)
        .collect();
    assert_eq!(under, ["cf_K", "cf_K-ORG", "cf_T", "cf_T-PC"]);
    let members = s.members_under("/cf_P/").await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].1, "/cf_P/cf_K/cf_T/");
    assert!(s.members_under("/cf_P/cfxK/").await.unwrap().is_empty());
    let insts = s.instances_under("cf-flow", "/cf_P/cf_K/").await.unwrap();
    assert_eq!(insts.len(), 3);
    assert!(s
        .instances_under("cf-flow", "/cf_P/cfxK/")
        .await
        .unwrap()
        .is_empty());
    let mut due = task("cf_ov_t", "cf_ov", "drafting", creator_assignee(), 0);
    due.due_at = Some(at(100));
    s.apply(&Change {
        instance: instance("cf_ov"),
        expected_revision: None,
        expected_generation: None,
        unique_key: None,
        idempotency: None,
        close: vec![],
        open: vec![due],
        history: entry("cf_ov", 1, GENESIS, 0, "create"),
        effects: vec![],
        timers: vec![],
        cancel_timers_of: vec![],
        outbox: vec![],
        at: at(0),
    })
    .await
    .unwrap();
    for (now, path, expected) in [
        (50, "/cf_P/", &[][..]),
        (200, "/cf_P/", &["cf_ov_t"][..]),
        (200, "/cf_P/cfxK/", &[][..]),
    ] {
        let ids: Vec<String> = s
            .overdue_tasks_under("cf-flow", path, at(now))
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.task.id)
            .collect();
        assert_eq!(ids, expected, "overdue at {now} under {path}");
    }
    let open = s.open_tasks_in("cf-flow", "drafting").await.unwrap();
    assert!(open
        .iter()
        .all(|r| r.task.step == "drafting" && r.task.status == TaskStatus::Open));

    // One instance per unique key.
    let change = |id: &str| Change {
        instance: Instance {
            id: id.into(),
            ..instance(id)
        },
        expected_revision: None,
        expected_generation: None,
        unique_key: Some("cf-flow:cf_T:2026-12".into()),
        idempotency: None,
        close: vec![],
        open: vec![],
        history: entry(id, 1, GENESIS, 0, "create"),
        effects: vec![],
        timers: vec![],
        cancel_timers_of: vec![],
        outbox: vec![],
        at: at(0),
    };
    s.apply(&change("cf_i4")).await.unwrap();
    assert!(matches!(
        s.apply(&change("cf_i5")).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(s.instance("cf_i5").await.unwrap().is_none());
}

fn role(name: &str) -> Role {
    name.parse().expect("a role name")
}

fn function(name: &str) -> DeptFunction {
    name.parse().expect("a function name")
}

fn unit(code: &str, kind: OrgKind, parent: Option<&OrgUnit>, function: Option<DeptFunction>) -> OrgUnit {
    OrgUnit {
        code: code.into(),
        name: format!("{code} 名称"),
        kind,
        parent: parent.map(|p| p.code.clone()),
        function,
        path: OrgUnit::child_path(parent.map(|p| p.path.as_str()), code),
    }
}

pub async fn directory<S: Store>(store: Arc<S>) {
    let s: &dyn Store = store.as_ref();
    let p = unit("cf_P", OrgKind::Province, None, None);
    let k = unit("cf_K", OrgKind::County, Some(&p), None);
    // A sibling whose code differs only where LIKE's `_` would match: it must not be covered.
    let kx = unit("cfxK", OrgKind::County, Some(&p), None);
    let t = unit("cf_T", OrgKind::Township, Some(&k), None);
    let org = unit(
        "cf_K-ORG",
        OrgKind::Department,
        Some(&k),
        Some(function("organization")),
    );
    let pc = unit(
        "cf_T-PC",
        OrgKind::Department,
        Some(&t),
        Some(function("party_committee")),
    );
    let other = unit(
        "cfxK-ORG",
        OrgKind::Department,
        Some(&kx),
        Some(function("organization")),
    );
    for u in [&p, &k, &kx, &t, &org, &pc, &other] {
        s.create_org_unit(u).await.expect("create org unit");
    }
    assert!(
        matches!(s.create_org_unit(&k).await, Err(StoreError::Conflict(_))),
        "a duplicate code must be a conflict"
    );
    assert_eq!(s.org_unit("cf_T").await.unwrap().as_ref(), Some(&t));
    assert_eq!(s.org_unit("nope").await.unwrap(), None);

    let body = Body {
        term_start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        term_end: NaiveDate::from_ymd_opt(2029, 1, 1).unwrap(),
        congress_date: None,
    };
    s.set_body("cf_T", &body).await.unwrap();
    let body2 = Body {
        congress_date: NaiveDate::from_ymd_opt(2027, 5, 1),
        ..body.clone()
    };
    s.set_body("cf_T", &body2).await.unwrap();
    assert_eq!(
        s.body("cf_T").await.unwrap(),
        Some(body2.clone()),
        "set_body replaces"
    );

    let ctx = s.org_context("cf_T").await.unwrap().expect("context");
    let chain: Vec<&str> = ctx.chain.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(chain, ["cf_P", "cf_K", "cf_T"]);
    let mut depts: Vec<&str> = ctx.departments.iter().map(|u| u.code.as_str()).collect();
    depts.sort();
    assert_eq!(depts, ["cf_K-ORG", "cf_T-PC"], "only departments under the chain");
    assert_eq!(ctx.body, Some(body2));
    assert!(s.org_context("nope").await.unwrap().is_none());
    assert_eq!(s.org_context_at("/cf_P/cf_K/cf_T/").await.unwrap(), Some(ctx));
    let county = s.org_context_at("/cf_P/cf_K/").await.unwrap().expect("county");
    assert_eq!(county.body, None, "the county has no body here");
    assert_eq!(county.departments.len(), 1);
    assert!(s.org_context_at("/cf_P/cf_K/gone/").await.unwrap().is_none());
}

/// The catalogue: the migration's roles and functions, the file's entries
/// added after them without touching what is there, an upsert by name, a
/// label unique among its kind, and grants reading their role's capabilities.
pub async fn catalogue<S: Store>(store: Arc<S>) {
    use naxian_model::catalogue::{Capability, FunctionEntry, RoleEntry};
    let s: &dyn Store = store.as_ref();
    let first = s.catalogue().await.unwrap();
    assert_eq!(first.role_label("department"), "部门经办人");
    assert_eq!(first.function_label("party_committee"), "乡镇党委");
    // An administrator renames a role; the file still has the old label and a new role.
    let viewer = RoleEntry {
        name: role("viewer"),
        label: "观察员".into(),
        may: vec![Capability::Coverage],
    };
    s.put_role(&viewer).await.unwrap();
    let mut file = naxian_model::Catalogue::shipped();
    // What the shipped file has beyond the migration's first catalogue.
    s.seed_catalogue(&file).await.unwrap();
    file.roles.push(RoleEntry {
        name: role("cf_liaison"),
        label: "联络员".into(),
        may: vec![Capability::Reports],
    });
    file.functions.push(FunctionEntry {
        name: function("cf_science"),
        label: "科技".into(),
    });
    assert_eq!(s.seed_catalogue(&file).await.unwrap(), 2);
    assert_eq!(
        s.seed_catalogue(&file).await.unwrap(),
        0,
        "a second start adds nothing"
    );
    let now = s.catalogue().await.unwrap();
    assert_eq!(
        now.role("viewer"),
        Some(&viewer),
        "the administrator's change stays"
    );
    assert_eq!(
        now.roles.last().unwrap().name,
        "cf_liaison",
        "new entries come last"
    );
    assert_eq!(now.function_label("cf_science"), "科技");
    // Labels are unique: an import names roles by label.
    let twin = RoleEntry {
        name: role("cf_twin"),
        label: "联络员".into(),
        may: Vec::new(),
    };
    assert!(matches!(s.put_role(&twin).await, Err(StoreError::Conflict(_))));
    let twin = FunctionEntry {
        name: function("cf_twin"),
        label: "科技".into(),
    };
    assert!(matches!(
        s.put_function(&twin).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.catalogue().await.unwrap().roles.len(), now.roles.len());
    // A grant carries what its role may do, as the catalogue says now.
    s.add_grant("cf_user", &role("cf_liaison"), "cf_K").await.unwrap();
    let may = |grants: Vec<Grant>| {
        grants
            .into_iter()
            .find(|g| g.role == "cf_liaison")
            .map(|g| g.may)
            .unwrap()
    };
    assert_eq!(may(s.grants("cf_user").await.unwrap()), vec![Capability::Reports]);
    s.put_role(&RoleEntry {
        name: role("cf_liaison"),
        label: "联络员".into(),
        may: vec![Capability::Coverage, Capability::Campaigns],
    })
    .await
    .unwrap();
    assert_eq!(
        may(s.grants("cf_user").await.unwrap()),
        vec![Capability::Coverage, Capability::Campaigns]
    );
}

pub async fn users_grants_tokens<S: Store>(store: Arc<S>) {
    let s: &dyn Store = store.as_ref();
    let u = UserRecord {
        login: "cf_user".into(),
        name: "测试".into(),
        email: "u@example.cn".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
        is_admin: false,
        digest: false,
        phone: Some("0531-82062097".into()),
        position: Some("组织部".into()),
        must_change_password: false,
    };
    s.create_user(&u).await.unwrap();
    assert!(matches!(s.create_user(&u).await, Err(StoreError::Conflict(_))));
    assert_eq!(s.user("cf_user").await.unwrap(), Some(u.clone()));
    assert!(s.digest_users().await.unwrap().is_empty());
    assert!(s.set_digest("cf_user", true).await.unwrap());
    assert!(!s.set_digest("nobody", true).await.unwrap());
    assert_eq!(
        s.digest_users()
            .await
            .unwrap()
            .iter()
            .map(|u| u.login.as_str())
            .collect::<Vec<_>>(),
        ["cf_user"]
    );
    assert!(s.set_digest("cf_user", false).await.unwrap());
    s.add_grant("cf_user", &role("department"), "cf_K-ORG")
        .await
        .unwrap();
    s.add_grant("cf_user", &role("nominator"), "cf_K").await.unwrap();
    assert!(matches!(
        s.add_grant("cf_user", &role("nominator"), "cf_K").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(s
        .add_grant("cf_user", &role("viewer"), "no-such-unit")
        .await
        .is_err());
    let grants = s.grants("cf_user").await.unwrap();
    assert_eq!(grants.len(), 2);
    assert!(grants
        .iter()
        .any(|g| g.role == role("nominator") && g.org_path == "/cf_P/cf_K/"));
    let contacts = s.contacts_under("/cf_P/cf_K/").await.unwrap();
    let seen: Vec<(&str, Role, &str)> = contacts
        .iter()
        .map(|c| (c.unit.code.as_str(), c.role.clone(), c.email.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("cf_K", role("nominator"), "u@example.cn"),
            ("cf_K-ORG", role("department"), "u@example.cn")
        ]
    );
    assert!(s.contacts_under("/cf_P/cf_K/cf_T/").await.unwrap().is_empty());

    let now = Utc::now();
    let t = TokenRecord {
        hash: "cf_hash".into(),
        login: "cf_user".into(),
        expires_at: now + Duration::hours(1),
        created_at: now,
    };
    s.create_token(&t).await.unwrap();
    assert_eq!(
        s.token_user("cf_hash", now).await.unwrap().map(|u| u.login),
        Some("cf_user".into())
    );
    assert_eq!(
        s.token_user("cf_hash", now + Duration::hours(2)).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(s.token_user("other", now).await.unwrap(), None);

    // Sessions and login throttling counters (times at the microsecond both databases keep).
    let now = at(0);
    let sess = SessionRecord {
        id_hash: "cf_sess".into(),
        login: "cf_user".into(),
        csrf: "cf_csrf".into(),
        created_at: now,
        last_seen_at: now,
    };
    s.create_session(&sess).await.unwrap();
    assert_eq!(s.session("cf_sess").await.unwrap(), Some(sess.clone()));
    s.touch_session("cf_sess", now + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        s.session("cf_sess").await.unwrap().unwrap().last_seen_at,
        now + Duration::minutes(5)
    );
    s.delete_session("cf_sess").await.unwrap();
    assert_eq!(s.session("cf_sess").await.unwrap(), None);
    let window = now - Duration::minutes(15);
    let mut counts = Vec::new();
    for i in 0..3 {
        counts.push(
            s.count_login_attempt("account:cf_user", now + Duration::seconds(i), window)
                .await
                .unwrap(),
        );
    }
    assert_eq!(counts, [1, 2, 3], "each attempt is counted and told its count");
    s.forgive_login_attempt("account:cf_user").await.unwrap();
    assert_eq!(
        s.count_login_attempt("account:cf_user", now + Duration::seconds(5), window)
            .await
            .unwrap(),
        3,
        "a forgiven attempt no longer counts"
    );
    let later = now + Duration::hours(1);
    assert_eq!(
        s.count_login_attempt("account:cf_user", later, later - Duration::minutes(15))
            .await
            .unwrap(),
        1,
        "an old window counts none: a new one starts"
    );
    s.clear_login_failures("account:cf_user").await.unwrap();
    s.forgive_login_attempt("account:cf_user").await.unwrap();
    assert_eq!(
        s.count_login_attempt("account:cf_user", later, later - Duration::minutes(15))
            .await
            .unwrap(),
        1,
        "cleared, and never below none"
    );
}

fn wf(version: i64, source: &str) -> WorkflowRecord {
    WorkflowRecord {
        name: "cf-flow".into(),
        version,
        title: "测试流程".into(),
        source: source.into(),
        sha256: format!("sha-{source}"),
    }
}

pub async fn workflows<S: Store>(store: Arc<S>) {
    let s: &dyn Store = store.as_ref();
    assert_eq!(
        s.register_workflow(&wf(1, "a")).await.unwrap(),
        Registered::Inserted
    );
    assert_eq!(
        s.register_workflow(&wf(1, "a")).await.unwrap(),
        Registered::Unchanged
    );
    assert!(matches!(
        s.register_workflow(&wf(1, "b")).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.register_workflow(&wf(2, "b")).await.unwrap(),
        Registered::Inserted
    );
    let latest = s.latest_workflows().await.unwrap();
    let mine: Vec<_> = latest.iter().filter(|w| w.name == "cf-flow").collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].version, 2);
    assert_eq!(
        s.workflow("cf-flow", 1).await.unwrap().map(|w| w.source),
        Some("a".into())
    );
}

fn at(secs: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap() + Duration::seconds(secs)
}

fn instance(id: &str) -> Instance {
    Instance {
        id: id.into(),
        workflow: "cf-flow".into(),
        version: 1,
        step: "drafting".into(),
        status: Status::Active,
        outcome: None,
        data: serde_json::json!({"candidate": {"name": "张三"}, "target_org": "cf_T"}),
        creator: "cf_user".into(),
        org_unit: "cf_T".into(),
        org_path: "/cf_P/cf_K/cf_T/".into(),
        completed: BTreeMap::new(),
        revision: 0,
        created_at: at(0),
        updated_at: at(0),
    }
}

fn task(id: &str, instance_id: &str, step: &str, a: Assignee, secs: i64) -> Task {
    Task {
        id: id.into(),
        instance_id: instance_id.into(),
        step: step.into(),
        assignee: a,
        status: TaskStatus::Open,
        action: None,
        comment: None,
        actor: None,
        on_behalf_of: None,
        created_at: at(secs),
        completed_at: None,
        due_at: None,
    }
}

fn entry(instance_id: &str, seq: i64, prev: &str, secs: i64, action: &str) -> HistoryRecord {
    HistoryRecord::seal(
        prev.into(),
        instance_id.into(),
        seq,
        at(secs),
        "cf_user".into(),
        "drafting".into(),
        action.into(),
        None,
        None,
        None,
    )
}

fn creator_assignee() -> Assignee {
    Assignee {
        key: "creator".into(),
        role: None,
        unit: "cf_T".into(),
        unit_path: "/cf_P/cf_K/cf_T/".into(),
        user: Some("cf_user".into()),
    }
}

fn dept_assignee(code: &str, path: &str) -> Assignee {
    Assignee {
        key: format!("department@{code}"),
        role: Some(role("department")),
        unit: code.into(),
        unit_path: path.into(),
        user: None,
    }
}

pub async fn transitions<S: Store>(store: Arc<S>) {
    let s: &dyn Store = store.as_ref();
    let inst = instance("cf_i1");
    let h1 = entry("cf_i1", 1, GENESIS, 0, "create");
    s.apply(&Change {
        instance: inst.clone(),
        expected_revision: None,
        expected_generation: None,
        unique_key: None,
        idempotency: None,
        close: vec![],
        open: vec![task("cf_t1", "cf_i1", "drafting", creator_assignee(), 0)],
        history: h1.clone(),
        effects: vec![],
        timers: vec![],
        cancel_timers_of: vec![],
        outbox: vec![],
        at: at(0),
    })
    .await
    .expect("create instance");
    let rec = s.instance("cf_i1").await.unwrap().expect("stored");
    assert_eq!(rec.instance.revision, 1);
    assert_eq!(rec.audit_seq, 1);
    assert_eq!(rec.audit_head, h1.hash);
    assert_eq!(rec.instance.data, inst.data);

    let inbox = s.inbox("cf_user", TaskStatus::Open, 50).await.unwrap();
    assert_eq!(
        inbox.iter().map(|r| r.task.id.as_str()).collect::<Vec<_>>(),
        ["cf_t1"]
    );
    // What the inbox page shows comes with the row: no query per row.
    let unit = s.org_unit(&inst.org_unit).await.unwrap().expect("the unit");
    assert_eq!(
        (inbox[0].unit_name.as_str(), &inbox[0].data),
        (unit.name.as_str(), &inst.data)
    );

    // Move to consultation: close the drafting task, open two department tasks.
    let mut next = rec.instance.clone();
    next.step = "consultation".into();
    let h2 = entry("cf_i1", 2, &h1.hash, 1, "submit");
    let change = Change {
        instance: next.clone(),
        unique_key: None,
        idempotency: None,
        expected_revision: Some(1),
        expected_generation: None,
        close: vec![TaskClose {
            task_id: "cf_t1".into(),
            status: TaskStatus::Done,
            action: Some("submit".into()),
            comment: Some("请审核".into()),
            actor: Some("cf_user".into()),
            on_behalf_of: Some("cf_away".into()),
        }],
        open: vec![
            task(
                "cf_t2",
                "cf_i1",
                "consultation",
                dept_assignee("cf_K-ORG", "/cf_P/cf_K/cf_K-ORG/"),
                1,
            ),
            task(
                "cf_t3",
                "cf_i1",
                "consultation",
                dept_assignee("cfxK-ORG", "/cf_P/cfxK/cfxK-ORG/"),
                1,
            ),
        ],
        history: h2.clone(),
        effects: vec![],
        timers: vec![],
        cancel_timers_of: vec!["cf_t1".into()],
        outbox: vec![],
        at: at(1),
    };
    s.apply(&change).await.expect("transition");
    assert!(
        matches!(s.apply(&change).await, Err(StoreError::Conflict(_))),
        "a stale revision must be refused"
    );
    let rec = s.instance("cf_i1").await.unwrap().unwrap();
    assert_eq!(rec.instance.revision, 2);
    assert_eq!(rec.instance.step, "consultation");
    let tasks = s.tasks_of("cf_i1").await.unwrap();
    assert_eq!(tasks.len(), 3);
    let t1 = s.task("cf_t1").await.unwrap().unwrap();
    assert_eq!(t1.status, TaskStatus::Done);
    assert_eq!(t1.comment.as_deref(), Some("请审核"));
    assert_eq!(t1.completed_at, Some(at(1)));
    assert_eq!(
        t1.on_behalf_of.as_deref(),
        Some("cf_away"),
        "whom a delegate stood for"
    );
    let state = s.instance_state(InstanceKey::Id("cf_i1")).await.unwrap().unwrap();
    assert_eq!(state.tasks.iter().find(|t| t.id == "cf_t1"), Some(&t1));

    // The department grant covers cf_K-ORG but not cfxK-ORG.
    let inbox = s.inbox("cf_user", TaskStatus::Open, 50).await.unwrap();
    assert_eq!(
        inbox.iter().map(|r| r.task.id.as_str()).collect::<Vec<_>>(),
        ["cf_t2"]
    );
    assert_eq!(inbox[0].workflow, "cf-flow");
    assert_eq!(
        s.inbox_count("cf_user").await.unwrap(),
        1,
        "the count is the inbox's"
    );
    assert_eq!(s.inbox_count("stranger").await.unwrap(), 0);
    // The plan `naxian bench-scale` prints, for the query the inbox runs
    // (on PostgreSQL the generic plan its function keeps), executes.
    for status in [TaskStatus::Open, TaskStatus::Done] {
        let plan = s.explain_inbox("cf_user", status, 50).await.unwrap().join("\n");
        assert!(plan.contains("tasks"), "{status:?}: {plan}");
    }
    // A login is data, whatever it holds.
    let plan = s.explain_inbox("o'neil\\x", TaskStatus::Open, 5).await.unwrap();
    assert!(!plan.is_empty());
    let done = s.inbox("cf_user", TaskStatus::Done, 50).await.unwrap();
    assert_eq!(
        done.iter().map(|r| r.task.id.as_str()).collect::<Vec<_>>(),
        ["cf_t1"]
    );
    // A task done by a delegate (代理) is in the done list of whom they stood for too.
    let theirs = s.inbox("cf_away", TaskStatus::Done, 50).await.unwrap();
    assert_eq!(
        theirs.iter().map(|r| r.task.id.as_str()).collect::<Vec<_>>(),
        ["cf_t1"]
    );

    // A second open task for the same assignee of the same step is refused by the database.
    let mut dup = rec.instance.clone();
    dup.step = "consultation".into();
    let bad = Change {
        instance: dup,
        unique_key: None,
        idempotency: None,
        expected_revision: Some(2),
        expected_generation: None,
        close: vec![],
        open: vec![task(
            "cf_t9",
            "cf_i1",
            "consultation",
            dept_assignee("cf_K-ORG", "/cf_P/cf_K/cf_K-ORG/"),
            2,
        )],
        history: entry("cf_i1", 3, &h2.hash, 2, "agree"),
        effects: vec![],
        timers: vec![],
        cancel_timers_of: vec![],
        outbox: vec![],
        at: at(2),
    };
    assert!(s.apply(&bad).await.is_err());
    let rec = s.instance("cf_i1").await.unwrap().unwrap();
    assert_eq!(rec.instance.revision, 2, "a failed apply changes nothing");
    assert_eq!(s.history("cf_i1").await.unwrap().len(), 2);
    assert!(s.task("cf_t9").await.unwrap().is_none());

    // Completion with an effect: the member appears.
    let mut fin = rec.instance.clone();
    fin.status = Status::Completed;
    fin.step = "appointed".into();
    fin.outcome = Some("appointed".into());
    let member = Member {
        org_unit: "cf_T".into(),
        name: "张三".into(),
        sector: "health".into(),
        post: "member".into(),
        mode: "part_time".into(),
        since: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        term_end: NaiveDate::from_ymd_opt(2029, 1, 1),
        instance_id: Some("cf_i1".into()),
        chief: true,
        employer: None,
        position: None,
        left_on: None,
        left_reason: None,
    };
    s.apply(&Change {
        instance: fin,
        unique_key: None,
        idempotency: None,
        expected_revision: Some(2),
        expected_generation: None,
        close: ["cf_t2", "cf_t3"]
            .iter()
            .map(|id| TaskClose {
                task_id: (*id).into(),
                status: TaskStatus::Cancelled,
                action: None,
                comment: None,
                actor: None,
                on_behalf_of: None,
            })
            .collect(),
        open: vec![],
        history: entry("cf_i1", 3, &h2.hash, 3, "acknowledge"),
        effects: vec![Effect::AddMember(member)],
        timers: vec![],
        cancel_timers_of: vec!["cf_t2".into(), "cf_t3".into()],
        outbox: vec![],
        at: at(3),
    })
    .await
    .unwrap();
    let members = s.members("cf_T").await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].member.name, "张三");
    assert_eq!(members[0].member.instance_id.as_deref(), Some("cf_i1"));
    assert!(
        members[0].member.chief,
        "the apply keeps that an appointed member is a chief"
    );
    assert_eq!(members[0].source(), "appointment");
    assert!(s.inbox("cf_user", TaskStatus::Open, 50).await.unwrap().is_empty());
    assert_eq!(s.inbox_count("cf_user").await.unwrap(), 0);

    // The revision matches but a task to close is already done: a conflict, nothing kept.
    let rec = s.instance("cf_i1").await.unwrap().unwrap();
    let stale = Change {
        instance: rec.instance.clone(),
        unique_key: None,
        idempotency: None,
        expected_revision: Some(rec.instance.revision),
        expected_generation: None,
        close: vec![TaskClose {
            task_id: "cf_t2".into(),
            status: TaskStatus::Done,
            action: Some("agree".into()),
            comment: None,
            actor: Some("cf_user".into()),
            on_behalf_of: None,
        }],
        open: vec![],
        history: entry("cf_i1", 4, &rec.audit_head, 4, "agree"),
        effects: vec![],
        timers: vec![],
        cancel_timers_of: vec!["cf_t2".into()],
        outbox: vec![],
        at: at(4),
    };
    assert!(matches!(s.apply(&stale).await, Err(StoreError::Conflict(_))));
    let after = s.instance("cf_i1").await.unwrap().unwrap();
    assert_eq!(after.instance.revision, rec.instance.revision, "nothing kept");
    assert_eq!(s.history("cf_i1").await.unwrap().len(), 3);

    let history = s.history("cf_i1").await.unwrap();
    naxian_model::audit::verify_chain(&history).expect("times and text round-trip exactly");

    // Listing with visibility.
    let all = s
        .list_instances(&InstanceFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(all.iter().any(|i| i.id == "cf_i1"));
    let visible = |login: &str| InstanceFilter {
        visible_to: Some(login.into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(s.list_instances(&visible("cf_user")).await.unwrap().len(), 1);
    assert!(s.list_instances(&visible("stranger")).await.unwrap().is_empty());
    let filtered = s
        .list_instances(&InstanceFilter {
            status: Some("active".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!filtered.iter().any(|i| i.id == "cf_i1"));
    let under = s
        .list_instances(&InstanceFilter {
            under_path: Some("/cf_P/cfxK/".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(under.is_empty(), "a path prefix filter is not a LIKE pattern");
}

pub async fn import_batches<S: Store>(store: Arc<S>) {
    let s: &dyn Store = store.as_ref();
    let unit = |code: &str| OrgUnit {
        code: code.into(),
        name: "导入".into(),
        kind: OrgKind::Township,
        parent: Some("cf_P".into()),
        function: None,
        path: format!("/cf_P/{code}/"),
    };
    let user = |login: &str| UserRecord {
        login: login.into(),
        name: "导入".into(),
        email: "i@example.cn".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
        is_admin: false,
        digest: false,
        phone: None,
        position: None,
        must_change_password: false,
    };
    let body = Body {
        term_start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        term_end: NaiveDate::from_ymd_opt(2029, 1, 1).unwrap(),
        congress_date: None,
    };
    let seats = naxian_model::seats::Seats {
        posts: [("chair".to_string(), 1), ("member".to_string(), 15)].into(),
        chief_target: Some(3),
    };
    let good = DirectoryBatch {
        units: vec![unit("cf_I1")],
        bodies: vec![("cf_I1".into(), body.clone())],
        users: vec![user("cf_imp1")],
        grants: vec![("cf_imp1".into(), role("nominator"), "cf_I1".into())],
        members: vec![baseline_member("cf_I1", "王医生")],
        seats: vec![("cf_I1".into(), seats.clone())],
    };
    s.import_directory(&good).await.unwrap();
    assert_eq!(
        s.seats_under("/cf_P/").await.unwrap(),
        vec![("cf_I1".to_string(), seats.clone())]
    );
    assert_eq!(s.org_unit("cf_I1").await.unwrap(), Some(unit("cf_I1")));
    assert_eq!(s.body("cf_I1").await.unwrap(), Some(body.clone()));
    assert_eq!(s.grants("cf_imp1").await.unwrap().len(), 1);
    let imported = s.members("cf_I1").await.unwrap();
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].member, baseline_member("cf_I1", "王医生"));
    assert_eq!(imported[0].source(), "entered");
    let bodies = s.bodies_under("/cf_P/").await.unwrap();
    assert!(bodies.iter().any(|(c, b)| c == "cf_I1" && *b == body));
    assert!(s
        .bodies_under("/cf_P/cfxK/")
        .await
        .unwrap()
        .iter()
        .all(|(c, _)| c != "cf_I1"));

    // The last row fails (a grant at a unit that does not exist): none of it is kept.
    let bad = DirectoryBatch {
        units: vec![unit("cf_I2")],
        bodies: vec![("cf_I2".into(), body)],
        users: vec![user("cf_imp2")],
        grants: vec![("cf_imp2".into(), role("nominator"), "no-such-unit".into())],
        members: vec![baseline_member("cf_I2", "李校长")],
        seats: vec![("cf_I2".into(), seats)],
    };
    assert!(s.import_directory(&bad).await.is_err());
    assert!(s
        .seats_under("/cf_P/")
        .await
        .unwrap()
        .iter()
        .all(|(c, _)| c != "cf_I2"));
    assert_eq!(s.org_unit("cf_I2").await.unwrap(), None);
    assert_eq!(s.body("cf_I2").await.unwrap(), None);
    assert_eq!(s.user("cf_imp2").await.unwrap(), None);
    assert!(s.members("cf_I2").await.unwrap().is_empty());
    // A row already there is a conflict, and again nothing is kept.
    let again = DirectoryBatch {
        units: vec![unit("cf_I3"), unit("cf_I1")],
        ..Default::default()
    };
    assert!(matches!(
        s.import_directory(&again).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.org_unit("cf_I3").await.unwrap(), None);
}

/// A chief already on a body, as an import or the API enters one.
fn baseline_member(unit: &str, name: &str) -> Member {
    Member {
        org_unit: unit.into(),
        name: name.into(),
        sector: "health".into(),
        post: "vice_chair".into(),
        mode: "part_time".into(),
        since: NaiveDate::from_ymd_opt(2024, 6, 1).unwrap(),
        term_end: NaiveDate::from_ymd_opt(2029, 5, 31),
        instance_id: None,
        chief: true,
        employer: Some("县人民医院".into()),
        position: Some("院长".into()),
        left_on: None,
        left_reason: None,
    }
}

/// Members entered by hand: each gets its own id; a leave is recorded once,
/// only at the member's own unit, and racing leaves have one winner.
pub async fn members<S: Store>(store: Arc<S>) {
    let s: &dyn Store = store.as_ref();
    let a = s.add_member(&baseline_member("cf_T", "王医生")).await.unwrap();
    let b = s.add_member(&baseline_member("cf_T", "李校长")).await.unwrap();
    assert_ne!(a, b);
    let stored = s.members("cf_T").await.unwrap();
    let ids: Vec<i64> = stored.iter().map(|m| m.id).collect();
    assert!(ids.contains(&a) && ids.contains(&b));
    let on = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    assert!(
        !s.leave_member("cf_K", a, on, None).await.unwrap(),
        "not a member of that unit"
    );
    assert!(!s.leave_member("cf_T", 9_999_999, on, None).await.unwrap());
    let racers: Vec<_> = (0..4)
        .map(|n| {
            let s = store.clone();
            tokio::spawn(async move {
                s.leave_member("cf_T", a, on, Some(&format!("调离{n}")))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for r in racers {
        won += usize::from(r.await.unwrap());
    }
    assert_eq!(won, 1, "one leave wins");
    let left = s
        .members("cf_T")
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.id == a)
        .unwrap();
    assert_eq!(left.member.left_on, Some(on));
    assert!(left.member.left_reason.as_deref().unwrap().starts_with("调离"));
    assert!(!left.member.current_on(on));
    assert!(left.member.current_on(on.pred_opt().unwrap()));
    let under = s.members_under("/cf_P/").await.unwrap();
    assert!(under
        .iter()
        .any(|(m, path)| m.id == b && path == "/cf_P/cf_K/cf_T/" && m.member.chief));
}

pub async fn attachments<S: Store>(store: Arc<S>) {
    let s: &dyn Store = store.as_ref();
    let content: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let a = AttachmentRecord {
        id: "cf_a1".into(),
        instance_id: "cf_i1".into(),
        slot: Some("scan".into()),
        file_name: "推荐表.pdf".into(),
        content_type: "application/pdf".into(),
        size: content.len() as i64,
        sha256: "00".repeat(32),
        uploaded_by: "cf_user".into(),
        created_at: at(5),
    };
    s.add_attachment(&a, &content).await.unwrap();
    assert!(matches!(
        s.add_attachment(&a, &content).await,
        Err(StoreError::Conflict(_))
    ));
    let orphan = AttachmentRecord {
        id: "cf_a2".into(),
        instance_id: "no-such-instance".into(),
        ..a.clone()
    };
    assert!(
        s.add_attachment(&orphan, b"x").await.is_err(),
        "an instance is needed"
    );
    assert_eq!(s.attachments("cf_i1").await.unwrap(), std::slice::from_ref(&a));
    assert!(s.attachments("cf_i2").await.unwrap().is_empty());
    assert_eq!(
        s.attachments_of_workflow("cf-flow").await.unwrap(),
        std::slice::from_ref(&a),
        "a workflow's files, without their content"
    );
    assert!(s.attachments_of_workflow("no-flow").await.unwrap().is_empty());
    let (meta, bytes) = s.attachment("cf_a1").await.unwrap().expect("stored");
    assert_eq!((meta, bytes), (a, content), "every byte comes back");
    assert!(s.attachment("cf_a9").await.unwrap().is_none());
}

/// Campaigns list newest first; the access log says who read which instance.
pub async fn campaigns<S: Store>(store: Arc<S>) {
    let s: &dyn Store = store.as_ref();
    let campaign = |id: &str, secs| CampaignRecord {
        id: id.into(),
        workflow: "cf-flow".into(),
        title: "报送实施方案".into(),
        due_at: at(86_400),
        remind_before: vec!["P1D".into()],
        targets: vec!["cf_T".into()],
        data: serde_json::json!({"reference_date": "2026-12-31"}),
        created_by: "cf_user".into(),
        created_at: at(secs),
    };
    assert!(s.campaigns().await.unwrap().is_empty());
    s.create_campaign(&campaign("cf_c1", 1)).await.unwrap();
    s.create_campaign(&campaign("cf_c2", 2)).await.unwrap();
    let ids: Vec<String> = s.campaigns().await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(ids, ["cf_c2", "cf_c1"]);
    assert_eq!(s.campaign("cf_c1").await.unwrap(), Some(campaign("cf_c1", 1)));
    assert!(s.readers_of("cf-flow").await.unwrap().is_empty());
    for (login, secs) in [("cf_user", 3), ("cf_user", 4), ("cf_other", 5)] {
        s.log_access(&AccessRecord {
            at: at(secs),
            login: login.into(),
            instance_id: Some("cf_i1".into()),
            what: "page".into(),
        })
        .await
        .unwrap();
    }
    let mut readers = s.readers_of("cf-flow").await.unwrap();
    readers.sort();
    assert_eq!(
        readers,
        [
            ("cf_i1".to_string(), "cf_other".to_string()),
            ("cf_i1".to_string(), "cf_user".to_string())
        ],
        "each reader once"
    );
    assert!(s.readers_of("no-flow").await.unwrap().is_empty());
}

pub async fn concurrent_apply<S: Store>(s: Arc<S>) {
    let h1 = entry("cf_i2", 1, GENESIS, 0, "create");
    s.apply(&Change {
        instance: instance("cf_i2"),
        expected_revision: None,
        expected_generation: None,
        unique_key: None,
        idempotency: None,
        close: vec![],
        open: vec![task("cf_i2_t1", "cf_i2", "drafting", creator_assignee(), 0)],
        history: h1.clone(),
        effects: vec![],
        timers: vec![],
        cancel_timers_of: vec![],
        outbox: vec![],
        at: at(0),
    })
    .await
    .unwrap();
    let mut handles = Vec::new();
    for n in 0..8 {
        let s = s.clone();
        let h1 = h1.clone();
        handles.push(tokio::spawn(async move {
            let mut next = instance("cf_i2");
            next.step = format!("racer{n}");
            s.apply(&Change {
                instance: next,
                unique_key: None,
                idempotency: None,
                expected_revision: Some(1),
                expected_generation: None,
                close: vec![TaskClose {
                    task_id: "cf_i2_t1".into(),
                    status: TaskStatus::Done,
                    action: Some("submit".into()),
                    comment: None,
                    actor: Some(format!("racer{n}")),
                    on_behalf_of: None,
                }],
                open: vec![],
                history: entry("cf_i2", 2, &h1.hash, 1, "submit"),
                effects: vec![],
                timers: vec![],
                cancel_timers_of: vec!["cf_i2_t1".into()],
                outbox: vec![],
                at: at(1),
            })
            .await
        }));
    }
    let mut ok = 0;
    for h in handles {
        match h.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("a lost race must be a conflict, got {other}"),
        }
    }
    assert_eq!(ok, 1, "exactly one of the racing transitions wins");
    assert_eq!(s.history("cf_i2").await.unwrap().len(), 2);
}

/// Changes arriving at once are each answered on their own: a refused one
/// (a stale revision, a taken unique key, a missing workflow) writes nothing and
/// fails none of the others, however the backend groups them.
pub async fn refusals_stand_alone<S: Store>(s: Arc<S>) {
    let start = |id: &str| Change {
        instance: instance(id),
        expected_revision: None,
        expected_generation: None,
        unique_key: None,
        idempotency: None,
        close: vec![],
        open: vec![task(&format!("{id}_t"), id, "drafting", creator_assignee(), 0)],
        history: entry(id, 1, GENESIS, 0, "create"),
        effects: vec![],
        timers: vec![],
        cancel_timers_of: vec![],
        outbox: vec![mail(&format!("assigned:{id}"), 0)],
        at: at(0),
    };
    s.apply(&start("cf_ra")).await.unwrap();
    let mut handles = Vec::new();
    for round in 0..6 {
        for n in 0..6 {
            let s = s.clone();
            let id = format!("cf_r{round}_{n}");
            let mut change = start(&id);
            let expect_ok = match n {
                // A stale revision of an instance that exists.
                1 => {
                    change.instance = instance("cf_ra");
                    change.expected_revision = Some(7);
                    change.open.clear();
                    change.history = entry("cf_ra", 2, GENESIS, 1, "submit");
                    false
                }
                // A key another instance holds.
                2 => {
                    change.unique_key = Some("cf-refusals".into());
                    false
                }
                // A workflow version that does not exist: an error, not a refusal.
                3 => {
                    change.instance.version = 99;
                    false
                }
                _ => true,
            };
            handles.push(tokio::spawn(
                async move { (id, expect_ok, s.apply(&change).await) },
            ));
        }
    }
    let mut key_holders = 0;
    for h in handles {
        let (id, expect_ok, got) = h.await.unwrap();
        let written = s.instance(&id).await.unwrap().is_some();
        if id.ends_with("_2") {
            // Of the six starts with one key, one holds it and the rest are conflicts.
            match got {
                Ok(()) => key_holders += 1,
                Err(StoreError::Conflict(_)) => assert!(!written, "{id}: refused, yet written"),
                Err(other) => panic!("{id}: a taken key must be a conflict, got {other}"),
            }
            continue;
        }
        match (expect_ok, got) {
            (true, Ok(())) => {
                assert!(written, "{id}: answered yes, not written");
                assert_eq!(s.tasks_of(&id).await.unwrap().len(), 1, "{id}: its task");
            }
            (false, Err(StoreError::Conflict(_) | StoreError::NotFound(_))) => {
                assert!(!written, "{id}: refused, yet written")
            }
            (want, got) => panic!("{id}: expected ok={want}, got {got:?}"),
        }
    }
    assert_eq!(key_holders, 1, "one start holds the key");
    let stale = s.instance("cf_ra").await.unwrap().unwrap();
    assert_eq!(stale.instance.revision, 1, "the stale changes wrote nothing");
    assert_eq!(s.history("cf_ra").await.unwrap().len(), 1);
}

/// Login attempts arriving at once are each counted before any is checked:
/// every one is told a count of its own, so no more than the limit pass.
pub async fn concurrent_login_attempts<S: Store>(s: Arc<S>) {
    let now = at(0);
    let since = now - Duration::minutes(15);
    let mut handles = Vec::new();
    for _ in 0..40 {
        let s = s.clone();
        handles.push(tokio::spawn(async move {
            s.count_login_attempt("account:cf_racer", now, since)
                .await
                .unwrap()
        }));
    }
    let mut counts = Vec::new();
    for h in handles {
        counts.push(h.await.unwrap());
    }
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=40).collect::<Vec<i64>>(),
        "each attempt has a count of its own"
    );
}

pub async fn idempotency<S: Store>(s: Arc<S>) {
    assert_eq!(
        s.idempotency_begin("u", "k1", "h1", at(0), at(-60))
            .await
            .unwrap(),
        IdempotencyState::Started
    );
    assert_eq!(
        s.idempotency_begin("u", "k1", "h1", at(0), at(-60))
            .await
            .unwrap(),
        IdempotencyState::InProgress
    );
    s.idempotency_finish("u", "k1", 201, "{\"id\":1}").await.unwrap();
    assert_eq!(
        s.idempotency_begin("u", "k1", "h1", at(0), at(-60))
            .await
            .unwrap(),
        IdempotencyState::Completed {
            status: 201,
            body: "{\"id\":1}".into()
        }
    );
    assert_eq!(
        s.idempotency_begin("u", "k1", "h2", at(0), at(-60))
            .await
            .unwrap(),
        IdempotencyState::Mismatch
    );
    assert_eq!(
        s.idempotency_begin("v", "k1", "h2", at(0), at(-60))
            .await
            .unwrap(),
        IdempotencyState::Started,
        "keys are per user"
    );
    assert_eq!(
        s.idempotency_begin("u", "k2", "h1", at(0), at(-60))
            .await
            .unwrap(),
        IdempotencyState::Started
    );
    s.idempotency_abort("u", "k2").await.unwrap();
    assert_eq!(
        s.idempotency_begin("u", "k2", "h1", at(0), at(-60))
            .await
            .unwrap(),
        IdempotencyState::Started
    );
    // A request whose server died mid-way: still in progress within the
    // window, taken over by exactly one caller once past it.
    assert_eq!(
        s.idempotency_begin("u", "k2", "h1", at(30), at(-30))
            .await
            .unwrap(),
        IdempotencyState::InProgress
    );
    let takers: Vec<_> = (0..4)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.idempotency_begin("u", "k2", "h1", at(100), at(40)).await })
        })
        .collect();
    let mut started = 0;
    for t in takers {
        if t.await.unwrap().unwrap() == IdempotencyState::Started {
            started += 1;
        }
    }
    assert_eq!(started, 1, "one caller takes a lost request over");
    assert_eq!(
        s.idempotency_begin("u", "k2", "h2", at(500), at(400))
            .await
            .unwrap(),
        IdempotencyState::Mismatch,
        "a lost request is taken over only by the same request"
    );
    s.idempotency_finish("u", "k2", 200, "{}").await.unwrap();
    assert!(matches!(
        s.idempotency_begin("u", "k2", "h1", at(900), at(800))
            .await
            .unwrap(),
        IdempotencyState::Completed { .. }
    ));
}

pub async fn calendar<S: Store>(store: Arc<S>) {
    let s: &dyn Store = store.as_ref();
    let d = |x: &str| NaiveDate::parse_from_str(x, "%Y-%m-%d").unwrap();
    s.save_calendar_year(2026, &[d("2026-10-01"), d("2026-10-02")], &[d("2026-10-10")])
        .await
        .unwrap();
    s.save_calendar_year(2026, &[d("2026-10-01")], &[d("2026-10-10")])
        .await
        .unwrap();
    s.save_calendar_year(2027, &[d("2027-01-01")], &[]).await.unwrap();
    let cal = s.calendar().await.unwrap();
    assert_eq!(
        cal,
        vec![
            (2026, vec![d("2026-10-01")], vec![d("2026-10-10")]),
            (2027, vec![d("2027-01-01")], vec![])
        ],
        "saving a year replaces it"
    );
    // Holders of a role at or above a unit.
    let holders = s
        .holders(&role("department"), "/cf_P/cf_K/cf_K-ORG/")
        .await
        .unwrap();
    assert_eq!(
        holders
            .iter()
            .map(|(u, p)| (u.login.as_str(), p.as_str()))
            .collect::<Vec<_>>(),
        [("cf_user", "/cf_P/cf_K/cf_K-ORG/")]
    );
    assert!(s
        .holders(&role("department"), "/cf_P/cfxK/cfxK-ORG/")
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .holders(&role("secretary"), "/cf_P/cf_K/cf_K-ORG/")
        .await
        .unwrap()
        .is_empty());
}

fn mail(key: &str, secs: i64) -> OutboxMessage {
    OutboxMessage {
        id: format!("m-{key}"),
        dedupe_key: key.into(),
        recipients: vec![Recipient {
            name: "张三".into(),
            email: "z@example.cn".into(),
        }],
        template: "task_assigned".into(),
        params: serde_json::json!({"title": "征求意见"}),
        created_at: at(secs),
        notice_for: None,
    }
}

/// Notices (消息) go in with their e-mail, once per key, and are read one,
/// by task or all at a time, each user only their own.
pub async fn notices<S: Store>(store: Arc<S>) {
    let s: &dyn Store = store.as_ref();
    let notice = |key: &str, login: &str, template: &str, task: &str, secs: i64| OutboxMessage {
        template: template.into(),
        params: serde_json::json!({"title": "征求意见", "task_id": task, "instance_id": "i-1"}),
        notice_for: Some(login.into()),
        ..mail(key, secs)
    };
    s.enqueue(&[
        notice("n1", "zhang", "task_assigned", "t-1", 1),
        notice("n2", "zhang", "urge", "t-1", 2),
        notice("n3", "zhang", "copy", "t-2", 3),
        notice("n4", "li", "task_assigned", "t-1", 4),
        mail("e-only", 5),
    ])
    .await
    .unwrap();
    // The same key again is neither mailed nor noticed twice.
    let again = OutboxMessage {
        id: "m-again".into(),
        ..notice("n1", "zhang", "task_assigned", "t-1", 9)
    };
    s.enqueue(&[again]).await.unwrap();
    let all = s.notices("zhang", false, None, 10).await.unwrap();
    let ids: Vec<&str> = all.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["m-n3", "m-n2", "m-n1"], "newest first, only zhang's");
    assert_eq!(all[2].task_id.as_deref(), Some("t-1"));
    assert_eq!(all[2].instance_id.as_deref(), Some("i-1"));
    assert_eq!(all[2].created_at, at(1));
    assert_eq!(all[2].params["title"], "征求意见");
    let copies = s.notices("zhang", false, Some("copy"), 10).await.unwrap();
    assert_eq!(copies.len(), 1);
    assert_eq!(
        s.notices("zhang", false, None, 2).await.unwrap().len(),
        2,
        "limit"
    );
    assert_eq!(s.unread_notices("zhang").await.unwrap(), 3);
    assert!(s.notice("li", "m-n1").await.unwrap().is_none(), "not li's");
    assert_eq!(
        s.read_notices("li", NoticesRead::One("m-n1"), at(20))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.read_notices("zhang", NoticesRead::OfTask("t-1"), at(20))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        s.read_notices("zhang", NoticesRead::OfTask("t-1"), at(21))
            .await
            .unwrap(),
        0
    );
    let one = s.notice("zhang", "m-n1").await.unwrap().unwrap();
    assert_eq!(one.read_at, Some(at(20)), "read once, at the first time");
    assert_eq!(s.unread_notices("li").await.unwrap(), 1, "li's stays unread");
    let unread: Vec<String> = s
        .notices("zhang", true, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(unread, ["m-n3"]);
    assert_eq!(
        s.read_notices("zhang", NoticesRead::One("m-n3"), at(22))
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.unread_notices("zhang").await.unwrap(), 0);
    assert_eq!(s.read_notices("li", NoticesRead::All, at(23)).await.unwrap(), 1);
    assert_eq!(s.unread_notices("li").await.unwrap(), 0);
}

pub async fn timers_and_outbox<S: Store>(store: Arc<S>) {
    let s: &dyn Store = store.as_ref();
    // An instance with one open task carrying two timers and one queued e-mail.
    let h1 = entry("cf_i3", 1, GENESIS, 0, "create");
    let later = |id: &str, kind, secs| LaterTimer {
        id: id.into(),
        kind,
        fire_at: at(secs),
    };
    // The first timer carries the rest: a task has one timer row at a time.
    let timer = |id: &str, kind, secs, rest: Vec<LaterTimer>| TimerRecord {
        id: id.into(),
        instance_id: "cf_i3".into(),
        task_id: "cf_i3_t1".into(),
        kind,
        fire_at: at(secs),
        later: rest,
    };
    s.apply(&Change {
        instance: instance("cf_i3"),
        expected_revision: None,
        expected_generation: None,
        unique_key: None,
        idempotency: None,
        close: vec![],
        open: vec![task("cf_i3_t1", "cf_i3", "drafting", creator_assignee(), 0)],
        history: h1.clone(),
        effects: vec![],
        timers: vec![timer(
            "tm1",
            TimerKind::Remind,
            100,
            vec![
                later("tm2", TimerKind::Escalate, 200),
                later("tm3", TimerKind::Timeout, 300),
            ],
        )],
        cancel_timers_of: vec![],
        outbox: vec![mail("assigned:cf_i3_t1", 0)],
        at: at(0),
    })
    .await
    .unwrap();

    assert!(
        s.claim_timers("a", at(50), 60_000, 10).await.unwrap().is_empty(),
        "not due yet"
    );
    let claimed = s.claim_timers("a", at(150), 60_000, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["tm1"]);
    assert_eq!(claimed[0].kind, TimerKind::Remind);
    assert!(
        s.claim_timers("b", at(150), 60_000, 10).await.unwrap().is_empty(),
        "leased to a"
    );
    assert!(
        matches!(
            s.complete_timer("tm1", "b", at(151), None, &[]).await,
            Err(StoreError::Conflict(_))
        ),
        "only the lease holder completes it"
    );
    // The next of the chain, as the engine states it, is written with the completion.
    let tm2 = timer(
        "tm2",
        TimerKind::Escalate,
        200,
        vec![later("tm3", TimerKind::Timeout, 300)],
    );
    s.complete_timer(
        "tm1",
        "a",
        at(151),
        Some(&tm2),
        &[mail("remind:tm1", 151), mail("assigned:cf_i3_t1", 151)],
    )
    .await
    .unwrap();
    assert!(
        s.claim_timers("a", at(150), 60_000, 10).await.unwrap().is_empty(),
        "fired once"
    );
    assert!(
        s.claim_timers("a", at(199), 60_000, 10).await.unwrap().is_empty(),
        "the next is written, not due yet"
    );

    // A lease that has run out can be taken over, and the old holder is fenced off.
    let claimed = s.claim_timers("a", at(250), 1, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let taken = s.claim_timers("b", at(250), 60_000, 10).await.unwrap();
    assert_eq!(taken.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["tm2"]);
    assert_eq!((taken[0].kind, taken[0].fire_at), (TimerKind::Escalate, at(200)));
    assert_eq!(taken[0].later, [later("tm3", TimerKind::Timeout, 300)]);
    assert!(matches!(
        s.complete_timer("tm2", "a", at(251), None, &[]).await,
        Err(StoreError::Conflict(_))
    ));

    // A change ends the pending timers of the tasks it names (those it closes).
    let mut next = instance("cf_i3");
    next.step = "consultation".into();
    s.apply(&Change {
        instance: next,
        unique_key: None,
        idempotency: None,
        expected_revision: Some(1),
        expected_generation: None,
        close: vec![TaskClose {
            task_id: "cf_i3_t1".into(),
            status: TaskStatus::Done,
            action: Some("submit".into()),
            comment: None,
            actor: Some("cf_user".into()),
            on_behalf_of: None,
        }],
        open: vec![],
        history: entry("cf_i3", 2, &h1.hash, 1, "submit"),
        effects: vec![],
        timers: vec![],
        cancel_timers_of: vec!["cf_i3_t1".into()],
        outbox: vec![],
        at: at(1),
    })
    .await
    .unwrap();
    assert!(
        matches!(
            s.complete_timer(
                "tm2",
                "b",
                at(252),
                Some(&timer("tm3", TimerKind::Timeout, 300, vec![])),
                &[]
            )
            .await,
            Err(StoreError::Conflict(_))
        ),
        "cancelled"
    );
    assert!(
        s.claim_timers("c", at(10_000), 60_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "no timer after the task closed: tm3 never written"
    );

    // The outbox: dedupe keys, leases, retries, dead letters, the delivery log.
    s.enqueue(&[mail("remind:tm1", 300)]).await.unwrap();
    let pending = s.outbox_list(Some("pending"), 10).await.unwrap();
    let keys: Vec<&str> = pending.iter().map(|o| o.message.dedupe_key.as_str()).collect();
    assert_eq!(keys.len(), 2, "one row per dedupe key: {keys:?}");
    let batch = s.claim_outbox("a", at(1000), 60_000, 10).await.unwrap();
    assert_eq!(batch.len(), 2);
    assert_eq!(batch[0].message.recipients[0].name, "张三");
    assert!(s
        .claim_outbox("b", at(1000), 60_000, 10)
        .await
        .unwrap()
        .is_empty());
    let (first, second) = (&batch[0].message.id, &batch[1].message.id);
    s.outbox_sent(first, "a", at(1001)).await.unwrap();
    assert!(
        matches!(
            s.outbox_sent(first, "a", at(1002)).await,
            Err(StoreError::Conflict(_))
        ),
        "sent once"
    );
    s.outbox_failed(second, "a", at(1001), "connection refused", Some(at(1060)))
        .await
        .unwrap();
    assert!(
        s.claim_outbox("a", at(1030), 60_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "backing off"
    );
    let again = s.claim_outbox("a", at(1060), 60_000, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    assert_eq!(again[0].last_error.as_deref(), Some("connection refused"));
    s.outbox_failed(second, "a", at(1061), "still refused", None)
        .await
        .unwrap();
    let dead = s.outbox_list(Some("dead"), 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 2);
    assert!(s.outbox_retry(second, at(2000)).await.unwrap());
    assert!(!s.outbox_retry(second, at(2000)).await.unwrap(), "no longer dead");
    assert!(
        !s.outbox_retry(first, at(2000)).await.unwrap(),
        "a sent row is not retried"
    );
    let retried = s.claim_outbox("a", at(2000), 60_000, 10).await.unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].attempts, 0);
    s.outbox_sent(second, "a", at(2001)).await.unwrap();
    let sent = s.outbox_list(Some("sent"), 10).await.unwrap();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|o| o.sent_at.is_some()));

    // A lease that runs out passes the row on, and its old holder is fenced
    // off: what it reports afterwards is refused and changes nothing.
    s.enqueue(&[mail("remind:lease", 4000)]).await.unwrap();
    // Leases run on the database's clock: a short one, really waited out.
    let held = s.claim_outbox("a", at(5000), 400, 10).await.unwrap();
    assert_eq!(held.len(), 1);
    let id = held[0].message.id.clone();
    assert!(
        s.claim_outbox("b", at(5001), 60_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "still a's for the lease"
    );
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let taken = s.claim_outbox("b", at(5002), 60_000, 10).await.unwrap();
    assert_eq!(
        taken.iter().map(|o| o.message.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()],
        "b takes it once a's lease ran out"
    );
    assert!(
        matches!(
            s.outbox_sent(&id, "a", at(5062)).await,
            Err(StoreError::Conflict(_))
        ),
        "a's late `sent` is refused"
    );
    assert!(
        matches!(
            s.outbox_failed(&id, "a", at(5062), "late", None).await,
            Err(StoreError::Conflict(_))
        ),
        "and so is a's late failure"
    );
    assert_eq!(
        s.outbox_list(Some("pending"), 10).await.unwrap().len(),
        1,
        "still b's to send"
    );
    s.outbox_sent(&id, "b", at(5063)).await.unwrap();
    assert_eq!(s.outbox_list(Some("sent"), 10).await.unwrap().len(), 3);
}

pub async fn racing_claims<S: Store>(s: Arc<S>) {
    let msgs: Vec<OutboxMessage> = (0..40).map(|i| mail(&format!("race:{i}"), 3000)).collect();
    s.enqueue(&msgs).await.unwrap();
    let mut handles = Vec::new();
    for w in 0..4 {
        let s = s.clone();
        handles.push(tokio::spawn(async move {
            let owner = format!("w{w}");
            let mut mine = Vec::new();
            loop {
                let batch = s.claim_outbox(&owner, at(3000), 60_000, 3).await.unwrap();
                if batch.is_empty() {
                    return mine;
                }
                assert!(
                    batch.len() <= 3,
                    "a claim took {} rows, past its limit of 3",
                    batch.len()
                );
                for m in batch {
                    s.outbox_sent(&m.message.id, &owner, at(3001)).await.unwrap();
                    mine.push(m.message.dedupe_key);
                }
            }
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    all.sort();
    let n = all.len();
    all.dedup();
    assert_eq!(n, 40, "every row claimed");
    assert_eq!(all.len(), 40, "no row claimed twice");
}
