//! E-mail end to end: notifications go through the outbox to a real SMTP
//! server (mailin-embedded) started by the test; reminders and escalations
//! follow the working-day clock; a mail server that is down delays mail but
//! loses and doubles none; two replicas on one PostgreSQL database send each
//! e-mail once.

use chrono::{DateTime, Utc};
use naxian_engine::{Actor, Engine, InstanceView, StartRequest};
use naxian_model::machine::ActionInput;
use naxian_tests::{nomination, Backend, SmtpServer, TcpRelay, TestApp};
use std::collections::BTreeSet;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn actor(engine: &Engine, login: &str) -> Actor {
    engine.actor(login).await.unwrap()
}

/// Nominates for 玫瑰镇 and submits; returns the instance after submission.
async fn nominate_and_submit(engine: &Engine) -> InstanceView {
    let nominator = actor(engine, "jn-py-nominator").await;
    let view = engine
        .start(
            &nominator,
            StartRequest {
                workflow: "sanzhang-appointment".into(),
                data: nomination("JN-PY-MG", "health"),
            },
        )
        .await
        .unwrap();
    let task = view.tasks[0].id.clone();
    engine
        .act(&nominator, &task, ActionInput::named("submit"))
        .await
        .unwrap()
}

/// The id of the open task `a` holds in the instance.
fn open_task(view: &InstanceView, a: &Actor) -> String {
    view.tasks
        .iter()
        .find(|t| t.status == naxian_model::TaskStatus::Open && a.holds_task(t))
        .unwrap()
        .id
        .clone()
}

async fn agree(engine: &Engine, login: &str, view: &InstanceView) -> InstanceView {
    let a = actor(engine, login).await;
    let task = open_task(view, &a);
    engine.act(&a, &task, ActionInput::named("agree")).await.unwrap()
}

fn recipients(mails: &[naxian_tests::ReceivedMail]) -> BTreeSet<String> {
    mails.iter().flat_map(|m| m.to.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_tasks_are_mailed_to_their_holders_once() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let smtp = SmtpServer::start();
    let mailer = smtp.mailer(None, 5);
    let view = nominate_and_submit(&app.engine).await;
    assert_eq!(app.engine.dispatch_once(&mailer, "t").await.unwrap(), 3);
    let mails = smtp.received();
    assert_eq!(
        recipients(&mails),
        BTreeSet::from([
            "jn-py-health@demo.naxian.local".to_string(),
            "jn-py-mg-pc@demo.naxian.local".to_string(),
            "jn-py-org@demo.naxian.local".to_string()
        ]),
        "the three consulted departments, not the nominator who submitted"
    );
    let sent = app.engine.store().outbox_list(Some("sent"), 10).await.unwrap();
    for m in &mails {
        assert_eq!(m.from, "noreply@naxian.local");
        let subject = m.subject();
        assert!(
            subject.contains("【待办】") && subject.contains("征求意见"),
            "{subject}"
        );
        let body = m.body();
        assert!(body.contains("王卫东（玫瑰镇卫生院院长） · 玫瑰镇科协"), "{body}");
        assert!(body.contains("办理期限："), "{body}");
        // The task's page, at the address users reach the service by.
        let task = view
            .tasks
            .iter()
            .find(|t| {
                t.status == naxian_model::TaskStatus::Open
                    && m.to[0].starts_with(&t.assignee.unit.to_lowercase())
            })
            .unwrap();
        let link = format!("https://naxian.example.cn/tasks/{}", task.id);
        assert!(body.contains(&link), "{body}");
        let html = m.html().expect("an HTML alternative");
        assert!(html.contains("王卫东（玫瑰镇卫生院院长） · 玫瑰镇科协"), "{html}");
        assert!(html.contains(&link.replace('/', "&#x2f;")), "{html}");
        let id = m.message_id();
        assert!(
            sent.iter()
                .any(|o| format!("{}@naxian.local", o.message.id) == id),
            "stable Message-ID {id}"
        );
    }
    assert_eq!(app.engine.dispatch_once(&mailer, "t").await.unwrap(), 0);
    assert_eq!(smtp.received().len(), 3, "nothing is sent twice");

    // A return reaches the nominator with the comment.
    let org = actor(&app.engine, "jn-py-org").await;
    let task = view
        .tasks
        .iter()
        .find(|t| org.holds_task(t) && t.status == naxian_model::TaskStatus::Open)
        .unwrap();
    app.engine
        .act(
            &org,
            &task.id.clone(),
            ActionInput {
                comment: Some("请补充任职经历".into()),
                ..ActionInput::named("return")
            },
        )
        .await
        .unwrap();
    assert_eq!(app.engine.dispatch_once(&mailer, "t").await.unwrap(), 1);
    let back = smtp.received().pop().unwrap();
    assert_eq!(back.to, ["jn-py-nominator@demo.naxian.local"]);
    assert!(back.subject().contains("【退回】"), "{}", back.subject());
    assert!(back.body().contains("请补充任职经历"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_and_escalation_follow_working_days() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let smtp = SmtpServer::start();
    let mailer = smtp.mailer(None, 5);
    let engine = &app.engine;
    // Monday 30 Nov 2026, 10:00 in Shanghai: due 10 working days later, Monday 14 Dec, end of day.
    app.clock.set(t("2026-11-30T10:00:00+08:00"));
    let view = nominate_and_submit(engine).await;
    let due: BTreeSet<_> = view.tasks.iter().filter_map(|t| t.due_at).collect();
    assert_eq!(due, BTreeSet::from([t("2026-12-14T23:59:59+08:00")]));
    agree(engine, "jn-py-org", &view).await;
    engine.dispatch_once(&mailer, "t").await.unwrap();
    let before = smtp.received().len();

    app.clock.set(t("2026-12-08T12:00:00+08:00"));
    assert_eq!(
        engine.fire_timers_once("t").await.unwrap(),
        0,
        "nothing due before 9 Dec"
    );
    app.clock.set(t("2026-12-09T09:30:00+08:00"));
    assert_eq!(
        engine.fire_timers_once("t").await.unwrap(),
        2,
        "3 working days before: two open tasks"
    );
    engine.dispatch_once(&mailer, "t").await.unwrap();
    let reminders: Vec<_> = smtp.received().into_iter().skip(before).collect();
    assert_eq!(
        recipients(&reminders),
        BTreeSet::from([
            "jn-py-health@demo.naxian.local".to_string(),
            "jn-py-mg-pc@demo.naxian.local".to_string()
        ]),
        "the department that agreed is not reminded"
    );
    assert!(reminders.iter().all(|m| m.subject().contains("【提醒】")));

    app.clock.set(t("2026-12-16T00:30:00+08:00"));
    assert_eq!(
        engine.fire_timers_once("t").await.unwrap(),
        4,
        "second reminders and two escalations"
    );
    assert_eq!(
        engine.fire_timers_once("t").await.unwrap(),
        0,
        "each timer fires once"
    );
    engine.dispatch_once(&mailer, "t").await.unwrap();
    let overdue: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.subject().contains("【逾期】"))
        .collect();
    assert_eq!(overdue.len(), 2);
    let to: Vec<_> = overdue.iter().map(|m| m.to.clone()).collect();
    assert!(
        overdue
            .iter()
            .all(|m| m.to == ["jn-supervisor@demo.naxian.local"]),
        "escalated to the city: {to:?}"
    );
    let bodies: String = overdue.iter().map(|m| m.body()).collect();
    assert!(
        bodies.contains("平阴县卫生健康局") && bodies.contains("玫瑰镇党委"),
        "{bodies}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_server_down_then_up_delivers_each_once() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let smtp = SmtpServer::start();
    let relay = TcpRelay::start(smtp.addr).await;
    let mailer = smtp.mailer(Some(relay.port), 3);
    relay.cut();
    app.clock.set(t("2026-11-30T10:00:00+08:00"));
    nominate_and_submit(&app.engine).await;
    nominate_and_submit(&app.engine).await;
    assert_eq!(app.engine.dispatch_once(&mailer, "t").await.unwrap(), 0);
    let pending = app.engine.store().outbox_list(Some("pending"), 50).await.unwrap();
    assert_eq!(pending.len(), 6);
    assert!(pending.iter().all(|o| o.attempts == 1 && o.last_error.is_some()));
    assert_eq!(
        app.engine.dispatch_once(&mailer, "t").await.unwrap(),
        0,
        "backing off: not retried at once"
    );

    relay.restore();
    app.clock.set(t("2026-11-30T10:00:31+08:00"));
    assert_eq!(app.engine.dispatch_once(&mailer, "t").await.unwrap(), 6);
    assert_eq!(app.engine.dispatch_once(&mailer, "t").await.unwrap(), 0);
    let ids: BTreeSet<_> = smtp.received().iter().map(|m| m.message_id()).collect();
    assert_eq!((smtp.received().len(), ids.len()), (6, 6), "every mail once");

    // Dead after the last attempt, and back by hand.
    relay.cut();
    nominate_and_submit(&app.engine).await;
    for secs in [40, 80, 200] {
        app.clock
            .set(t("2026-11-30T10:00:00+08:00") + chrono::Duration::seconds(secs));
        app.engine.dispatch_once(&mailer, "t").await.unwrap();
    }
    let dead = app.engine.store().outbox_list(Some("dead"), 50).await.unwrap();
    assert_eq!(dead.len(), 3);
    assert!(dead.iter().all(|o| o.attempts == 3));
    relay.restore();
    for d in &dead {
        assert!(app
            .engine
            .store()
            .outbox_retry(&d.message.id, app.clock_now())
            .await
            .unwrap());
    }
    assert_eq!(app.engine.dispatch_once(&mailer, "t").await.unwrap(), 3);
    assert_eq!(smtp.received().len(), 9);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_on_postgres_send_each_mail_once() {
    // Claims of five, so that 24 e-mails take several and both replicas get some.
    let app = TestApp::spawn_configured(Backend::Postgres, None, |c| c.mail.claim_batch = 5).await;
    // Each message answered after 20 ms: a replica is still sending its claim
    // when the other comes for the next.
    let smtp = SmtpServer::start_slow(std::time::Duration::from_millis(20));
    app.clock.set(t("2026-11-30T10:00:00+08:00"));
    for _ in 0..8 {
        nominate_and_submit(&app.engine).await;
    }
    // A second replica: its own engine and connection pool on the same database.
    let store = naxian::open::open_store(&app.database_url).await.unwrap();
    let other = Engine::new(store, app.engine.clock().clone(), app.engine.settings().clone());
    let run = |engine: Engine, owner: &'static str| {
        let mailer = smtp.mailer(None, 5);
        tokio::spawn(async move {
            let fired = engine.fire_timers_once(owner).await.unwrap();
            (fired, engine.dispatch_once(&mailer, owner).await.unwrap())
        })
    };
    let both = |a: (usize, usize), b: (usize, usize)| (a.0 + b.0, a.1 + b.1);
    let (a, b) = (
        run(app.engine.clone(), "replica-a").await.unwrap(),
        run(other.clone(), "replica-b").await.unwrap(),
    );
    assert_eq!(both(a, b), (0, 24), "24 e-mails, no timer due yet");
    // Into the reminder period: both replicas fire timers and send at once.
    app.clock.set(t("2026-12-09T09:30:00+08:00"));
    let (ra, rb) = (
        run(app.engine.clone(), "replica-a"),
        run(other.clone(), "replica-b"),
    );
    let (a, b) = (ra.await.unwrap(), rb.await.unwrap());
    assert_eq!(
        both(a, b),
        (24, 24),
        "24 timers fired and 24 reminders sent, between them"
    );
    assert!(
        a.1 > 0 && b.1 > 0,
        "both replicas sent some of the reminders: {a:?} {b:?}"
    );
    let mails = smtp.received();
    let ids: BTreeSet<_> = mails.iter().map(|m| m.message_id()).collect();
    assert_eq!((mails.len(), ids.len()), (48, 48), "no e-mail twice");
    let rows = app.engine.store().outbox_list(None, 500).await.unwrap();
    assert!(rows.iter().all(|o| o.status == "sent" && o.attempts == 1));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_digest_for_those_who_ask() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let smtp = SmtpServer::start();
    let mailer = smtp.mailer(None, 5);
    app.clock.set(t("2026-11-30T10:00:00+08:00"));
    let org = app.token("jn-py-org").await;
    let (status, _) = app
        .send(
            Some(&org),
            "PUT",
            "/api/v1/users/jn-py-health/preferences",
            Some(serde_json::json!({"digest": true})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN, "not someone else's");
    let (status, body) = app
        .send(
            Some(&org),
            "PUT",
            "/api/v1/users/jn-py-org/preferences",
            Some(serde_json::json!({"digest": "yes"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (reqwest::StatusCode::BAD_REQUEST, serde_json::json!("digest"))
    );
    let (status, _) = app
        .send(
            Some(&org),
            "PUT",
            "/api/v1/users/jn-py-org/preferences",
            Some(serde_json::json!({"digest": true})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    nominate_and_submit(&app.engine).await;
    nominate_and_submit(&app.engine).await;
    app.engine.dispatch_once(&mailer, "t").await.unwrap();
    let before = smtp.received().len();

    app.clock.set(t("2026-12-01T08:00:10+08:00"));
    app.engine.run_schedules_once("t").await.unwrap();
    app.engine.run_schedules_once("t").await.unwrap();
    app.engine.dispatch_once(&mailer, "t").await.unwrap();
    let digests: Vec<_> = smtp.received().into_iter().skip(before).collect();
    assert_eq!(digests.len(), 1, "one digest, only for the user who asked");
    assert_eq!(digests[0].to, ["jn-py-org@demo.naxian.local"]);
    assert_eq!(digests[0].subject(), "【每日汇总】您有2项待办");
    assert_eq!(
        digests[0].body().matches("征求意见").count(),
        2,
        "{}",
        digests[0].body()
    );
    app.stop().await;
}

/// A grant made between two transitions, straight in the database as another
/// replica would, reaches the next transition's e-mails: the engine keeps
/// who holds a role only for as long as the directory's generation stands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_made_elsewhere_is_mailed_at_the_next_transition() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::spawn(backend).await;
        let smtp = SmtpServer::start();
        let mailer = smtp.mailer(None, 5);
        // Consultation asks the county organization department: its holders are read.
        let mut view = nominate_and_submit(&app.engine).await;
        for login in ["jn-py-org", "jn-py-mg-pc", "jn-py-health"] {
            view = agree(&app.engine, login, &view).await;
        }
        app.engine.dispatch_once(&mailer, "t").await.unwrap();
        let before = smtp.received().len();
        let store = app.engine.store();
        store
            .create_user(&naxian_store::UserRecord {
                login: "jn-py-org-2".into(),
                name: "组织部二".into(),
                email: "jn-py-org-2@demo.naxian.local".into(),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
                is_admin: false,
                digest: false,
                phone: None,
                position: None,
                must_change_password: false,
            })
            .await
            .unwrap();
        store
            .add_grant(
                "jn-py-org-2",
                &"department".parse::<naxian_model::Role>().unwrap(),
                "JN-PY-ORG",
            )
            .await
            .unwrap();
        // The election opens filing at the same department.
        let secretary = actor(&app.engine, "jn-py-mg-sec").await;
        let task = open_task(&view, &secretary);
        app.engine
            .act(
                &secretary,
                &task,
                ActionInput {
                    data: Some(serde_json::json!({"meeting_date": "2026-11-28"})),
                    ..ActionInput::named("elected")
                },
            )
            .await
            .unwrap();
        app.engine.dispatch_once(&mailer, "t").await.unwrap();
        let filing = recipients(&smtp.received()[before..]);
        assert!(
            filing.contains("jn-py-org-2@demo.naxian.local")
                && filing.contains("jn-py-org@demo.naxian.local"),
            "{backend:?}: filing goes to both holders: {filing:?}"
        );
        app.stop().await;
    }
}
