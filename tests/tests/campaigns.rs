//! Deadline campaigns, urging (催办) and copies (抄送), over HTTP with a real
//! SMTP server receiving the e-mails.

use chrono::{DateTime, Utc};
use naxian_tests::{nomination, on_both_backends, Backend, SmtpServer, TestApp, PDF};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const TITLE: &str = "报送“3+1”工作实施方案（带章扫描版和word版）及联络表";

async fn campaign_instances(app: &TestApp) -> usize {
    let admin = app.token("admin").await;
    app.get(&admin, "/api/v1/instances?workflow=deadline-campaign&limit=200")
        .await["items"]
        .as_array()
        .unwrap()
        .len()
}

async fn campaign_validation(app: &TestApp) {
    app.clock.set(t("2027-03-05T10:00:00+08:00"));
    let sup = app.token("sd-supervisor").await;
    let good = json!({"title": TITLE, "due_at": "2027-03-20T18:00:00+08:00", "targets": ["JN", "QD"], "remind_before": ["P3D", "P1D"]});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("due_at", json!("2027-03-01T18:00:00+08:00")), "due_at"),
        (with("due_at", json!("next friday")), "due_at"),
        (with("targets", json!([])), "targets"),
        (with("targets", json!(["JN", "NOWHERE"])), "targets[1]"),
        (with("targets", json!(["JN", "JN"])), "targets[1]"),
        (with("targets", json!(["JN-PY-ORG"])), "targets[0]"),
        (with("remind_before", json!(["soon"])), "remind_before[0]"),
        (with("title", json!("  ")), "title"),
    ] {
        let (status, resp) = app
            .send(Some(&sup), "POST", "/api/v1/campaigns", Some(body))
            .await;
        assert_eq!(
            (status, resp["error"]["field"].clone()),
            (StatusCode::BAD_REQUEST, json!(field)),
            "{resp}"
        );
    }
    let jn_sup = app.token("jn-supervisor").await;
    let (status, _) = app
        .send(Some(&jn_sup), "POST", "/api/v1/campaigns", Some(good.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "Qingdao is outside Jinan's grants");
    let reporter = app.token("jn-reporter").await;
    let (status, _) = app
        .send(Some(&reporter), "POST", "/api/v1/campaigns", Some(good.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        campaign_instances(app).await,
        0,
        "refused requests create nothing"
    );

    let (status, c) = app
        .send(Some(&sup), "POST", "/api/v1/campaigns", Some(good))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["targets"].as_array().unwrap().len(), 2);
    assert!(c["targets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["status"] == "open"));
    assert_eq!(campaign_instances(app).await, 2);
    let id = c["id"].as_str().unwrap();
    let (status, _) = app
        .send(Some(&reporter), "GET", &format!("/api/v1/campaigns/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "a target's reporter may follow it");
    let other = app.token("jn-py-org").await;
    let (status, _) = app
        .send(Some(&other), "GET", &format!("/api/v1/campaigns/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

on_both_backends!(campaign_validation);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_from_opening_to_late() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let smtp = SmtpServer::start();
    let mailer = smtp.mailer(None, 5);
    app.clock.set(t("2027-03-05T10:00:00+08:00"));
    let sup = app.token("sd-supervisor").await;
    let (_, c) = app
        .send(
            Some(&sup),
            "POST",
            "/api/v1/campaigns",
            Some(json!({"title": TITLE, "due_at": "2027-03-20T18:00:00+08:00", "targets": ["JN", "QD"], "remind_before": ["P3D", "P1D"]})),
        )
        .await;
    let id = c["id"].as_str().unwrap().to_string();
    app.engine.dispatch_once(&mailer, "t").await.unwrap();
    let to: Vec<_> = smtp.received().iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(to.len(), 2, "each target's reporter is told: {to:?}");
    assert!(smtp.received()[0].body().contains(TITLE));
    assert_eq!(smtp.received()[0].subject(), format!("【任务】{TITLE}"));

    let jn = app.token("jn-reporter").await;
    let task = app
        .task_of(&jn, c["targets"][0]["instance_id"].as_str().unwrap())
        .await;
    assert_eq!(task["due_at"], "2027-03-20T18:00:00.000+08:00");
    app.act(
        &jn,
        task["instance_id"].as_str().unwrap(),
        "submit",
        json!({"data": {"note": "已报送"}}),
    )
    .await;

    // Three days before: only Qingdao, which has not done it, is reminded.
    app.clock.set(t("2027-03-17T18:00:30+08:00"));
    assert_eq!(app.engine.fire_timers_once("t").await.unwrap(), 1);
    app.engine.dispatch_once(&mailer, "t").await.unwrap();
    let last = smtp.received().pop().unwrap();
    assert_eq!(last.to, ["qd-reporter@demo.naxian.local"]);
    assert_eq!(last.subject(), format!("【提醒】{TITLE}将于2027-03-20 18:00截止"));

    app.clock.set(t("2027-03-21T09:00:00+08:00"));
    let sup = app.token("sd-supervisor").await;
    let v = app.get(&sup, &format!("/api/v1/campaigns/{id}")).await;
    let status: Vec<(&str, &str)> = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["org_unit"].as_str().unwrap(), t["status"].as_str().unwrap()))
        .collect();
    assert_eq!(status, [("JN", "done"), ("QD", "late")]);
    assert_eq!(v["targets"][0]["done_late"], false);

    let qd = app.token("qd-reporter").await;
    app.act(
        &qd,
        v["targets"][1]["instance_id"].as_str().unwrap(),
        "submit",
        json!({}),
    )
    .await;
    let v = app.get(&sup, &format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(v["targets"][1]["status"], "done");
    assert_eq!(v["targets"][1]["done_late"], true);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urge_once_a_day_and_copy_on_filing() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let smtp = SmtpServer::start();
    let mailer = smtp.mailer(None, 5);
    app.clock.set(t("2026-11-30T10:00:00+08:00"));
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let id = inst["id"].as_str().unwrap().to_string();
    let inst = app.act(&nominator, &id, "submit", json!({})).await;
    app.engine.dispatch_once(&mailer, "t").await.unwrap();
    let before = smtp.received().len();
    let org_task = inst["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["assignee"]["unit"] == "JN-PY-ORG")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/tasks/{org_task}/urge");
    let (status, body) = app
        .send(
            Some(&nominator),
            "POST",
            &path,
            Some(json!({"comment": "请尽快"})),
        )
        .await;
    assert_eq!(
        (status, body["notified"].clone()),
        (StatusCode::OK, json!(1)),
        "{body}"
    );
    let (status, body) = app.send(Some(&nominator), "POST", &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already urged today"));
    let stranger = app.token("jn-sh-nominator").await;
    let (status, _) = app.send(Some(&stranger), "POST", &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.clock.set(t("2026-12-01T10:00:00+08:00"));
    let nominator = app.token("jn-py-nominator").await;
    let (status, _) = app.send(Some(&nominator), "POST", &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "a new day");
    app.engine.dispatch_once(&mailer, "t").await.unwrap();
    let urges: Vec<_> = smtp.received().into_iter().skip(before).collect();
    assert_eq!(urges.len(), 2);
    assert!(urges
        .iter()
        .all(|m| m.to == ["jn-py-org@demo.naxian.local"] && m.subject().contains("【催办】")));
    assert!(urges[0].body().contains("请尽快"));

    // Through to filing: the city's supervisors get the copy (抄送).
    for dept in ["jn-py-org", "jn-py-mg-pc", "jn-py-health"] {
        app.act(&app.token(dept).await, &id, "agree", json!({})).await;
    }
    let (status, _) = app.send(Some(&nominator), "POST", &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "a done task is not urged");
    app.act(
        &app.token("jn-py-mg-sec").await,
        &id,
        "elected",
        json!({"data": {"meeting_date": "2026-11-28"}}),
    )
    .await;
    app.act(&app.token("jn-py-org").await, &id, "acknowledge", json!({}))
        .await;
    let before = smtp.received().len();
    app.act(&app.token("jn-py-mg-pc").await, &id, "acknowledge", json!({}))
        .await;
    app.engine.dispatch_once(&mailer, "t").await.unwrap();
    let last: Vec<_> = smtp.received().into_iter().skip(before).collect();
    let copy = last
        .iter()
        .find(|m| m.subject().contains("【抄送】"))
        .expect("a copy");
    assert_eq!(copy.to, ["jn-supervisor@demo.naxian.local"]);
    assert!(copy.body().contains("备案已办结"), "{}", copy.body());
    let outcome = last
        .iter()
        .find(|m| m.subject().contains("【办结】"))
        .expect("the outcome");
    assert_eq!(outcome.to, ["jn-py-nominator@demo.naxian.local"]);
    assert!(outcome.subject().contains("已任职"));
    app.stop().await;
}

/// The campaign list's counts follow the targets: a county's own reporter
/// gets the county's task (mail and inbox), opening it ends its silence,
/// its file is linked from the campaign, and the deadline makes the rest late.
async fn campaigns_are_listed_with_their_counts(app: &TestApp) {
    let smtp = SmtpServer::start();
    let mailer = smtp.mailer(None, 5);
    app.clock.set(t("2027-03-05T10:00:00+08:00"));
    let sup = app.token("sd-supervisor").await;
    let (status, c) = app
        .send(
            Some(&sup),
            "POST",
            "/api/v1/campaigns",
            Some(json!({"title": TITLE, "due_at": "2027-03-20T18:00:00+08:00", "targets": ["JN", "JN-PY", "JN-PY-MG"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    let counts = |list: &Value| {
        let row = list
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("campaign not listed: {list}"));
        (
            row["targets"].as_u64().unwrap(),
            row["done"].as_u64().unwrap(),
            row["late"].as_u64().unwrap(),
            row["silent"].as_u64().unwrap(),
        )
    };
    assert_eq!(counts(&app.get(&sup, "/api/v1/campaigns").await), (3, 0, 0, 3));

    // The county's task reaches the county's reporter, not the city's; the
    // township, which has no reporter of its own, reaches both above it.
    app.engine.dispatch_once(&mailer, "t").await.unwrap();
    let to: Vec<String> = smtp.received().iter().flat_map(|m| m.to.clone()).collect();
    let told = |login: &str| to.iter().filter(|t| t.starts_with(&format!("{login}@"))).count();
    assert_eq!((told("jn-reporter"), told("jn-py-reporter")), (2, 2), "{to:?}");
    let county = app.token("jn-py-reporter").await;
    let city = app.token("jn-reporter").await;
    let task_ids = |n: usize| c["targets"][n]["instance_id"].as_str().unwrap().to_string();
    let county_task = task_ids(1);
    app.task_of(&county, &county_task).await;
    app.task_of(&county, &task_ids(2)).await;
    app.task_of(&city, &task_ids(2)).await;
    let city_inbox = app.get(&city, "/api/v1/tasks").await;
    assert!(
        !city_inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["instance_id"] == county_task.as_str()),
        "the county's task is not in the city's inbox: {city_inbox}"
    );

    // Opening the task (reading its record) ends the silence.
    let (status, _) = app
        .send(
            Some(&county),
            "GET",
            &format!("/api/v1/instances/{county_task}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(counts(&app.get(&sup, "/api/v1/campaigns").await), (3, 0, 0, 2));
    let (status, file) = app
        .upload(&county, &county_task, "实施方案.pdf", PDF.to_vec())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    app.act(
        &county,
        &county_task,
        "submit",
        json!({"data": {"note": "已报送"}}),
    )
    .await;

    app.clock.set(t("2027-03-21T09:00:00+08:00"));
    let sup = app.token("sd-supervisor").await;
    assert_eq!(counts(&app.get(&sup, "/api/v1/campaigns").await), (3, 1, 2, 2));
    let v = app.get(&sup, &format!("/api/v1/campaigns/{id}")).await;
    let county_row = &v["targets"][1];
    assert_eq!(
        (county_row["status"].as_str(), county_row["opened"].as_bool()),
        (Some("done"), Some(true))
    );
    assert_eq!(county_row["files"][0]["file_name"], "实施方案.pdf");
    assert_eq!(v["targets"][2]["opened"], false);
    let r = reqwest::Client::new()
        .get(app.url(&format!(
            "/api/v1/attachments/{}",
            county_row["files"][0]["id"].as_str().unwrap()
        )))
        .bearer_auth(&sup)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the province downloads the target's file"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), PDF);

    // A department sees no campaign; the county's reporter sees the one it is in.
    let org = app.token("jn-py-org").await;
    assert_eq!(app.get(&org, "/api/v1/campaigns").await, json!([]));
    let county = app.token("jn-py-reporter").await;
    assert_eq!(counts(&app.get(&county, "/api/v1/campaigns").await).0, 3);
}

on_both_backends!(campaigns_are_listed_with_their_counts);
