//! Schedules and the monthly progress report: the cycle of one month over
//! HTTP, catch-up after downtime and a clock that goes back, and two replicas
//! on one PostgreSQL database over a simulated year firing every slot once.

use chrono::{DateTime, Duration, Utc};
use naxian_engine::{Engine, StartRequest};
use naxian_model::machine::ActionInput;
use naxian_tests::{nomination, Backend, SmtpServer, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Appoints a health chief to 玫瑰镇 through the whole workflow, by the engine.
async fn appoint(engine: &Engine) {
    let a = |l: &'static str| async move { engine.actor(l).await.unwrap() };
    let nominator = a("jn-py-nominator").await;
    let mut v = engine
        .start(
            &nominator,
            StartRequest {
                workflow: "sanzhang-appointment".into(),
                data: nomination("JN-PY-MG", "health"),
            },
        )
        .await
        .unwrap();
    let steps: [(&str, &str, Option<Value>); 7] = [
        ("jn-py-nominator", "submit", None),
        ("jn-py-org", "agree", None),
        ("jn-py-mg-pc", "agree", None),
        ("jn-py-health", "agree", None),
        (
            "jn-py-mg-sec",
            "elected",
            Some(json!({"meeting_date": "2026-11-30"})),
        ),
        ("jn-py-org", "acknowledge", None),
        ("jn-py-mg-pc", "acknowledge", None),
    ];
    for (login, action, data) in steps {
        let actor = a(login).await;
        let task = v
            .tasks
            .iter()
            .find(|t| t.status == naxian_model::TaskStatus::Open && actor.holds_task(t))
            .unwrap();
        v = engine
            .act(
                &actor,
                &task.id.clone(),
                ActionInput {
                    data,
                    ..ActionInput::named(action)
                },
            )
            .await
            .unwrap();
    }
    assert_eq!(v.instance.outcome.as_deref(), Some("appointed"));
}

async fn reports(app: &TestApp, token: &str, month: &str) -> BTreeMap<String, Value> {
    let body = app
        .get(token, &format!("/api/v1/reports/monthly?month={month}"))
        .await;
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["city"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_of_progress_reports() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let smtp = SmtpServer::start();
    let mailer = smtp.mailer(None, 5);
    let engine = &app.engine;
    app.clock.set(t("2026-11-30T10:00:00+08:00"));
    appoint(engine).await;

    // A chief who joined on the 1st is no part of November's coverage.
    app.clock.set(t("2026-12-01T08:00:00+08:00"));
    let admin = engine.actor("admin").await.unwrap();
    engine
        .add_member(
            &admin,
            "JN-PY-YS",
            naxian_engine::members::NewMember {
                name: "周校长".into(),
                sector: "education".into(),
                post: "member".into(),
                mode: "part_time".into(),
                since: "2026-12-01".into(),
                chief: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.clock.set(t("2026-12-01T09:00:05+08:00"));
    assert_eq!(
        engine.run_schedules_once("a").await.unwrap(),
        1,
        "the 1st opens the reports of the month just ended"
    );
    assert_eq!(engine.run_schedules_once("a").await.unwrap(), 0, "and only once");
    engine.dispatch_once(&mailer, "a").await.unwrap();
    let opened: Vec<_> = smtp.received().iter().flat_map(|m| m.to.clone()).collect();
    assert!(
        opened.contains(&"jn-reporter@demo.naxian.local".to_string()),
        "{opened:?}"
    );
    assert!(
        opened.contains(&"qd-reporter@demo.naxian.local".to_string()),
        "{opened:?}"
    );

    let supervisor = app.token("sd-supervisor").await;
    let table = app.get(&supervisor, "/api/v1/reports/monthly").await;
    assert_eq!(
        table["month"], "2026-11",
        "the table shows the month the reports are about"
    );
    let rows = reports(&app, &supervisor, "2026-11").await;
    assert_eq!(rows.len(), 2);
    assert_eq!(
        reports(&app, &supervisor, "2026-12").await["JN"]["status"],
        "not_opened"
    );
    let jn = &rows["JN"];
    assert_eq!(jn["status"], "open");
    assert_eq!(jn["due_at"], "2026-12-25T23:59:59.000+08:00");
    let fig = &jn["figures"];
    assert_eq!(fig["month"], "2026-11");
    assert_eq!(fig["coverage_as_of"], "2026-11-30");
    assert_eq!(fig["appointments"]["appointed"], 1);
    assert_eq!(fig["appointments"]["appointed_this_month"], 1);
    assert_eq!(
        fig["appointments"]["started_this_month"], 1,
        "started in November, the month reported"
    );
    assert_eq!(fig["coverage"]["townships"]["covered"]["health"], 1);
    assert_eq!(
        fig["coverage"]["townships"]["covered"]["education"], 0,
        "周校长 joined in December"
    );
    assert_eq!(fig["coverage"]["townships"]["total"], 4);
    let py = fig["by_county"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "JN-PY")
        .unwrap();
    assert_eq!(py["appointed"], 1);
    assert_eq!(rows["QD"]["figures"]["appointments"]["appointed"], 0);

    // The reporter must write the narrative to submit.
    let reporter = app.token("jn-reporter").await;
    let id = jn["instance_id"].as_str().unwrap();
    let (status, body) = app.try_act(&reporter, id, "submit", json!({})).await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("data.narrative.progress"))
    );
    let (status, body) = app
        .try_act(
            &reporter,
            id,
            "submit",
            json!({"data": {"figures": {"appointments": {"appointed": 99}}}}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("data.figures"))
    );
    let narrative = json!({"narrative": {"progress": "新增副主席1名", "problems": "部分乡镇进度慢",
                                          "good_cases": "玫瑰镇卫生院院长兼任副主席", "next_steps": "推进换届"}});
    app.act(&reporter, id, "submit", json!({"data": narrative})).await;

    // A submitted report is a snapshot: a later appointment leaves it as it was.
    app.clock.set(t("2026-12-02T10:00:00+08:00"));
    appoint(engine).await;
    let rows = reports(&app, &supervisor, "2026-11").await;
    assert_eq!(rows["JN"]["status"], "submitted");
    assert_eq!(rows["JN"]["figures"]["appointments"]["appointed"], 1);
    assert!(rows["JN"]["submitted_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-12-01"));

    // The 20th: reminders go to cities that have not submitted.
    engine.dispatch_once(&mailer, "a").await.unwrap();
    let before = smtp.received().len();
    app.clock.set(t("2026-12-20T09:00:10+08:00"));
    assert_eq!(engine.run_schedules_once("a").await.unwrap(), 1);
    engine.dispatch_once(&mailer, "a").await.unwrap();
    let reminded: Vec<_> = smtp.received().into_iter().skip(before).collect();
    assert_eq!(reminded.len(), 1);
    assert_eq!(reminded[0].to, ["qd-reporter@demo.naxian.local"]);
    assert_eq!(
        reminded[0].subject(),
        "【提醒】2026-11工作进展月报将于2026-12-25 23:59截止"
    );

    // The 26th: the province hears who missed it.
    let before = smtp.received().len();
    app.clock.set(t("2026-12-26T09:00:10+08:00"));
    let supervisor = app.token("sd-supervisor").await;
    assert_eq!(engine.run_schedules_once("a").await.unwrap(), 1);
    engine.dispatch_once(&mailer, "a").await.unwrap();
    let missed: Vec<_> = smtp.received().into_iter().skip(before).collect();
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].to, ["sd-supervisor@demo.naxian.local"]);
    let body = missed[0].body();
    assert!(
        body.contains("青岛市科协") && !body.contains("济南市科协"),
        "{body}"
    );
    let rows = reports(&app, &supervisor, "2026-11").await;
    assert_eq!(rows["QD"]["status"], "overdue");

    // The province accepts Jinan's report.
    app.act(&supervisor, id, "accept", json!({})).await;
    assert_eq!(
        reports(&app, &supervisor, "2026-11").await["JN"]["status"],
        "accepted"
    );
    // A city reporter sees only its own city.
    let qd = app.token("qd-reporter").await;
    let own = reports(&app, &qd, "2026-11").await;
    assert_eq!(own.keys().collect::<Vec<_>>(), ["QD"]);
    let (status, body) = app
        .send(Some(&qd), "GET", "/api/v1/reports/monthly?month=2026-13", None)
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("month"))
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_after_downtime_and_a_clock_going_back() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let engine = &app.engine;
    app.clock.set(t("2026-12-01T09:00:05+08:00"));
    assert_eq!(engine.run_schedules_once("a").await.unwrap(), 1);

    // Down from early December to 5 March.
    app.clock.set(t("2027-03-05T12:00:00+08:00"));
    assert_eq!(
        engine.run_schedules_once("a").await.unwrap(),
        2,
        "latest missed `open` and `missed` slots"
    );
    let store = engine.store();
    let open = store.slots("monthly-progress-report.open", 10).await.unwrap();
    let status: Vec<(String, String)> = open
        .iter()
        .map(|s| {
            (
                s.slot
                    .with_timezone(&naxian_engine::clock::shanghai())
                    .format("%m-%d")
                    .to_string(),
                s.status.clone(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [
            ("03-01".into(), "done".into()),
            ("02-01".into(), "skipped".into()),
            ("01-01".into(), "skipped".into()),
            ("12-01".into(), "done".into())
        ]
    );
    assert!(
        open[1].note.as_deref().unwrap().contains("catch-up"),
        "skipped with a reason"
    );
    let remind = store.slots("monthly-progress-report.remind", 10).await.unwrap();
    assert!(
        remind.iter().all(|s| s.status == "skipped"),
        "reminders days late are not sent"
    );
    let instances = store
        .list_instances(&naxian_store::InstanceFilter {
            workflow: Some("monthly-progress-report".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let months: std::collections::BTreeSet<_> = instances
        .iter()
        .map(|i| i.data["month"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        months,
        ["2026-11".to_string(), "2027-02".to_string()].into(),
        "each about the month before it opened"
    );
    assert_eq!(instances.len(), 4);

    // The clock goes back a month: nothing fires again.
    app.clock.set(t("2027-02-01T09:00:30+08:00"));
    assert_eq!(engine.run_schedules_once("a").await.unwrap(), 0);
    app.clock.set(t("2027-03-05T12:00:00+08:00"));
    assert_eq!(engine.run_schedules_once("a").await.unwrap(), 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_over_a_year_fire_each_slot_once() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let smtp = SmtpServer::start();
    let store = naxian::open::open_store(&app.database_url).await.unwrap();
    let other = Engine::new(store, app.engine.clock().clone(), Default::default());
    let replicas = [(app.engine.clone(), "replica-a"), (other, "replica-b")];
    let mut fired_total = 0;
    let start = t("2026-12-01T09:01:00+08:00");
    for month in 0..12 {
        for day in [0i64, 19, 23, 25] {
            let first = chrono::Months::new(month);
            let at = start.checked_add_months(first).unwrap() + Duration::days(day);
            app.clock.set(at);
            let runs = replicas.iter().map(|(e, owner)| {
                let (e, owner) = (e.clone(), *owner);
                let mailer = smtp.mailer(None, 5);
                tokio::spawn(async move {
                    let fired = e.run_schedules_once(owner).await.unwrap();
                    e.dispatch_once(&mailer, owner).await.unwrap();
                    fired
                })
            });
            for r in futures::future::join_all(runs).await {
                fired_total += r.unwrap();
            }
        }
    }
    assert_eq!(
        fired_total,
        12 * 4,
        "one firing per slot: open, two reminders and the missed list, twelve times"
    );
    let db = app.engine.store();
    for name in ["open", "remind", "missed"] {
        let slots = db
            .slots(&format!("monthly-progress-report.{name}"), 100)
            .await
            .unwrap();
        let done = slots.iter().filter(|s| s.status == "done").count();
        assert_eq!(done, if name == "remind" { 24 } else { 12 }, "{name}");
        // November's slots came before the service first ran: recorded as such, not fired.
        for s in slots.iter().filter(|s| s.status != "done") {
            assert_eq!(
                (s.status.as_str(), s.note.as_deref()),
                ("skipped", Some("before this schedule first ran"))
            );
        }
    }
    let reports = db
        .list_instances(&naxian_store::InstanceFilter {
            workflow: Some("monthly-progress-report".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(reports.len(), 24, "one report per city per month");
    let rows = db.outbox_list(None, 10_000).await.unwrap();
    assert!(rows.iter().all(|o| o.status == "sent" && o.attempts == 1));
    let missed: Vec<_> = rows
        .iter()
        .filter(|o| o.message.template == "report_missed")
        .collect();
    assert_eq!(missed.len(), 12, "one missed-list e-mail per month");
    let mails = smtp.received();
    let ids: std::collections::BTreeSet<_> = mails.iter().map(|m| m.message_id()).collect();
    assert_eq!(
        (mails.len(), ids.len()),
        (rows.len(), rows.len()),
        "every e-mail once"
    );
    app.stop().await;
}

/// A city nobody reports for does not keep the others' reports from
/// opening: the run opens the rest and names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_city_without_a_reporter_is_named_and_the_others_open() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.token("admin").await;
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/org-units",
            Some(serde_json::json!({"code": "ZB", "name": "淄博市科协", "kind": "city", "parent": "SD"})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    app.clock.set(t("2026-12-01T09:00:05+08:00"));
    assert_eq!(app.engine.run_schedules_once("a").await.unwrap(), 1);
    let open = app
        .engine
        .store()
        .slots("monthly-progress-report.open", 10)
        .await
        .unwrap();
    assert_eq!(open[0].status, "done");
    let note = open[0].note.clone().unwrap_or_default();
    assert!(note.contains("nobody to hold it at ZB"), "{note}");
    let cities = app
        .engine
        .store()
        .units_of_kind(naxian_model::OrgKind::City)
        .await
        .unwrap()
        .len();
    assert!(
        note.contains(&format!("opened {} of {cities}", cities - 1)),
        "{note}"
    );
}
