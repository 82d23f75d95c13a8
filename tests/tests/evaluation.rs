//! Evaluation of the cities (总结评估), over HTTP on both databases: the
//! province opens it for two cities; each city's figures are counted from
//! its data when it opens (chiefs of its counties and townships, monthly
//! reports on time), whatever the opener sent; the city submits its
//! self-assessment; the province scores within each criterion's maximum
//! with a remark; the campaign page ranks the cities scored, the ranking
//! downloads, and once published every signed-in user reads it.

use chrono::{DateTime, Utc};
use naxian_tests::web::{get, login};
use naxian_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn refused(resp: (StatusCode, Value), field: &str) {
    assert_eq!(
        (resp.0, resp.1["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!(field)),
        "{}",
        resp.1
    );
}

fn chief(name: &str, sector: &str) -> Value {
    json!({"name": name, "sector": sector, "post": "vice_chair", "mode": "part_time",
           "since": "2026-06-01", "chief": true})
}

/// The open task of `login` on a workflow, by its instance.
async fn report_of(app: &TestApp, token: &str) -> String {
    let tasks = app.get(token, "/api/v1/tasks").await;
    tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["workflow"] == "monthly-progress-report")
        .and_then(|t| t["instance_id"].as_str())
        .unwrap_or_else(|| panic!("no report in {tasks}"))
        .to_string()
}

fn figure(instance: &Value, column: &str) -> Value {
    instance["data"]["figures"]["value"][column].clone()
}

async fn cities_are_scored_ranked_and_published(app: &TestApp) {
    let admin = app.token("admin").await;
    // 济南: chiefs in one of its two counties (health) and one of its four
    // townships (health), and the other county (education). 青岛: none.
    for (unit, name, sector) in [
        ("JN-PY", "王院长", "health"),
        ("JN-PY-MG", "李院长", "health"),
        ("JN-SH", "张校长", "education"),
    ] {
        let (status, body) = app
            .send(
                Some(&admin),
                "POST",
                &format!("/api/v1/org-units/{unit}/members"),
                Some(chief(name, sector)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Two monthly reports fall due; 济南 sends the first in time, 青岛 none.
    app.clock.set(t("2027-01-01T09:00:05+08:00"));
    assert!(app.engine.run_schedules_once("a").await.unwrap() >= 1);
    app.clock.set(t("2027-01-10T10:00:00+08:00"));
    let jn_reporter = app.token("jn-reporter").await;
    let report = report_of(app, &jn_reporter).await;
    let narrative = json!({"narrative": {"progress": "进展", "problems": "问题",
                                          "good_cases": "经验", "next_steps": "打算"}});
    app.act(&jn_reporter, &report, "submit", json!({"data": narrative}))
        .await;
    app.clock.set(t("2027-02-01T09:00:05+08:00"));
    assert!(app.engine.run_schedules_once("a").await.unwrap() >= 1);
    app.clock.set(t("2027-02-26T10:00:00+08:00"));
    app.engine.run_schedules_once("a").await.unwrap();

    // Tokens taken before the clock moved have expired.
    let jn_reporter = app.token("jn-reporter").await;
    let sup = app.token("sd-supervisor").await;
    let fake = json!({"value": {"counties": 99, "counties_health_pct": 100,
        "counties_education_pct": 100, "counties_agriculture_pct": 100, "townships": 99,
        "townships_health_pct": 100, "townships_education_pct": 100,
        "townships_agriculture_pct": 100, "appointments_started": 99,
        "appointments_completed": 99, "reports_due": 99, "reports_on_time": 99, "census_pct": 100}});
    let (status, c) = app
        .send(
            Some(&sup),
            "POST",
            "/api/v1/campaigns",
            Some(json!({
                "workflow": "evaluation", "title": "2026年度“3+1”工作总结评估",
                "due_at": "2027-03-10T18:00:00+08:00", "targets": ["JN", "QD"],
                "data": {"figures": fake},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let campaign = c["id"].as_str().unwrap().to_string();
    let jn = c["targets"][0]["instance_id"].as_str().unwrap().to_string();
    let qd = c["targets"][1]["instance_id"].as_str().unwrap().to_string();

    let jn_inst = app.get(&sup, &format!("/api/v1/instances/{jn}")).await;
    let qd_inst = app.get(&sup, &format!("/api/v1/instances/{qd}")).await;
    for (column, jn_value, qd_value) in [
        ("counties", 2, 2),
        ("counties_health_pct", 50, 0),
        ("counties_education_pct", 50, 0),
        ("counties_agriculture_pct", 0, 0),
        ("townships", 4, 4),
        ("townships_health_pct", 25, 0),
        ("reports_due", 2, 2),
        ("reports_on_time", 1, 0),
        ("census_pct", 0, 0),
    ] {
        assert_eq!(
            (figure(&jn_inst, column), figure(&qd_inst, column)),
            (json!(jn_value), json!(qd_value)),
            "{column}: counted from the data, not taken from the opener"
        );
    }

    // Each city sends its self-assessment.
    let qd_reporter = app.token("qd-reporter").await;
    refused(
        app.try_act(&jn_reporter, &jn, "submit", json!({})).await,
        "data.self_assessment",
    )
    .await;
    for (token, id) in [(&jn_reporter, &jn), (&qd_reporter, &qd)] {
        app.act(
            token,
            id,
            "submit",
            json!({"data": {"self_assessment": "全市县级科协“三长”进入班子工作稳步推进。"}}),
        )
        .await;
    }

    // The province scores within each criterion, with a remark.
    let scores = |a: i64, b: i64, c: i64, d: i64, e: i64| {
        json!({"score": {"county_coverage": a, "township_coverage": b,
                          "appointments": c, "reports": d, "census": e}})
    };
    refused(
        app.try_act(&sup, &jn, "accept", json!({"comment": "较好"})).await,
        "data.scores",
    )
    .await;
    refused(
        app.try_act(
            &sup,
            &jn,
            "accept",
            json!({"comment": "较好", "data": {"scores": scores(31, 10, 10, 10, 5)}}),
        )
        .await,
        "data.scores.score.county_coverage",
    )
    .await;
    refused(
        app.try_act(
            &sup,
            &jn,
            "accept",
            json!({"data": {"scores": scores(20, 10, 10, 10, 5)}}),
        )
        .await,
        "comment",
    )
    .await;
    let inst = app.get(&sup, &format!("/api/v1/instances/{jn}")).await;
    assert_eq!(inst["step"], "scoring", "refused scores change nothing");
    app.act(
        &sup,
        &jn,
        "accept",
        json!({"comment": "覆盖面较好，报送及时", "data": {"scores": scores(20, 10, 10, 15, 0)}}),
    )
    .await;

    // One city scored is ranked and published; the other is not yet.
    let city_user = login(app, "qd-pd-nominator").await;
    let (status, html) = get(&city_user, app, "/published").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("2026年度“3+1”工作总结评估排名"), "{html}");
    assert!(html.contains("济南市科协") && html.contains("覆盖面较好，报送及时"));
    assert!(!html.contains("青岛市科协"), "青岛 is not scored yet");

    app.act(
        &sup,
        &qd,
        "accept",
        json!({"comment": "乡镇覆盖需加快", "data": {"scores": scores(25, 20, 10, 5, 10)}}),
    )
    .await;

    let province = login(app, "sd-supervisor").await;
    let (status, html) = get(&province, app, &format!("/campaigns/{campaign}")).await;
    assert_eq!(status, StatusCode::OK);
    let ranking = html.split("id=\"ranking\"").nth(1).expect("the ranking");
    let (qd_at, jn_at) = (
        ranking.find("青岛市科协").unwrap(),
        ranking.find("济南市科协").unwrap(),
    );
    assert!(qd_at < jn_at, "青岛 (70) ranks above 济南 (55)");

    let r = province
        .get(app.url(&format!("/exports/ranking-{campaign}.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].contains("名次") && lines[0].contains("总分"), "{csv}");
    assert!(lines[1].starts_with("1,青岛市科协,25,20,10,5,10,70,"), "{csv}");
    assert!(
        lines[2].starts_with("2,济南市科协,20,10,10,15,0,55,2,50,50,0,"),
        "{csv}"
    );
    assert!(lines[2].ends_with("覆盖面较好，报送及时"), "{csv}");

    let api = app
        .get(&sup, &format!("/api/v1/campaigns/{campaign}/ranking"))
        .await;
    let rows: Vec<(Value, Value, Value)> = api["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rank"].clone(), r["unit"].clone(), r["total"].clone()))
        .collect();
    assert_eq!(
        rows,
        vec![
            (json!(1), json!("青岛市科协"), json!(70)),
            (json!(2), json!("济南市科协"), json!(55))
        ],
        "{api}"
    );
    assert_eq!(api["rows"][1]["scores"]["reports"], 15);

    // A city reads the published ranking, not the campaign's page.
    let (status, html) = get(&city_user, app, "/published").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("青岛市科协") && html.contains("乡镇覆盖需加快"));
    let (status, _) = get(&city_user, app, &format!("/exports/ranking-{campaign}.csv")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

on_both_backends!(cities_are_scored_ranked_and_published);
