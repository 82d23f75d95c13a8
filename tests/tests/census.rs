//! The census (普查) from opening to the province's totals, over HTTP on
//! both databases: the province opens it as a campaign of the `census`
//! workflow; each county fills in number tables for itself and its
//! townships, checked cell by cell and unit by unit; the city returns or
//! passes; the province adds up what passed and sees who is missing.

use chrono::{DateTime, Utc};
use naxian_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Map, Value};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const ORGANIZATION: [&str; 8] = [
    "founded_year",
    "term_end_year",
    "full_time",
    "part_time",
    "establishment",
    "funding",
    "office_area",
    "activities",
];
const WORKERS: [&str; 5] = ["health", "education", "agriculture", "enterprise_rd", "other"];
const MEMBERS: [&str; 6] = [
    "enterprise_rd",
    "engineers",
    "teachers",
    "village_officials",
    "agri_technicians",
    "medical",
];

/// A table with `n` in every cell but the years (2000).
fn table(units: &[&str], columns: &[&str], n: i64) -> Value {
    let mut rows = Map::new();
    for u in units {
        let cells: Map<String, Value> = columns
            .iter()
            .map(|c| {
                let v = if c.ends_with("_year") { 2000 } else { n };
                (c.to_string(), json!(v))
            })
            .collect();
        rows.insert(u.to_string(), Value::Object(cells));
    }
    Value::Object(rows)
}

fn filled(units: &[&str], n: i64) -> Value {
    json!({
        "organization": table(units, &ORGANIZATION, n),
        "workers": table(units, &WORKERS, n),
        "members": table(units, &MEMBERS, n),
    })
}

const PY: [&str; 3] = ["JN-PY", "JN-PY-MG", "JN-PY-YS"];
const SH: [&str; 3] = ["JN-SH", "JN-SH-XC", "JN-SH-YQ"];

async fn instance_data(app: &TestApp, token: &str, id: &str) -> Value {
    app.get(token, &format!("/api/v1/instances/{id}")).await
}

async fn census_from_opening_to_totals(app: &TestApp) {
    app.clock.set(t("2027-01-05T10:00:00+08:00"));
    let sup = app.token("sd-supervisor").await;
    let good = json!({
        "workflow": "census", "title": "2026年度科协组织普查",
        "due_at": "2027-02-28T18:00:00+08:00", "targets": ["JN-PY", "JN-SH", "QD-PD"],
        "data": {"reference_date": "2026-12-31"},
    });
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("data", json!({})), "data.reference_date"),
        (
            with("data", json!({"reference_date": "2026-13-01"})),
            "data.reference_date",
        ),
        (
            with("data", json!({"reference_date": "2026-12-31", "title": "x"})),
            "data.title",
        ),
        (with("targets", json!(["JN"])), "targets[0]"),
        (with("workflow", json!("sanzhang-appointment")), "workflow"),
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
    let (status, c) = app
        .send(Some(&sup), "POST", "/api/v1/campaigns", Some(good))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["workflow"], "census");
    let id = c["id"].as_str().unwrap().to_string();
    let py = c["targets"][0]["instance_id"].as_str().unwrap().to_string();
    let sh = c["targets"][1]["instance_id"].as_str().unwrap().to_string();

    // Each county's reporter fills in; bad tables are refused by cell and unit, and change nothing.
    let py_reporter = app.token("jn-py-reporter").await;
    let mut missing_town = filled(&PY, 1);
    missing_town["organization"]
        .as_object_mut()
        .unwrap()
        .remove("JN-PY-YS");
    let mut negative = filled(&PY, 1);
    negative["workers"]["JN-PY-MG"]["health"] = json!(-3);
    let mut text = filled(&PY, 1);
    text["members"]["JN-PY"]["teachers"] = json!("十二");
    let mut blank = filled(&PY, 1);
    blank["organization"]["JN-PY-MG"]
        .as_object_mut()
        .unwrap()
        .remove("funding");
    let mut stray = filled(&PY, 1);
    stray["workers"]["JN-SH-YQ"] = table(&["x"], &WORKERS, 1)["x"].clone();
    for (data, field) in [
        (missing_town, "data.organization.JN-PY-YS"),
        (negative, "data.workers.JN-PY-MG.health"),
        (text, "data.members.JN-PY.teachers"),
        (blank, "data.organization.JN-PY-MG.funding"),
        (stray, "data.workers.JN-SH-YQ"),
        (
            json!({"organization": filled(&PY, 1)["organization"]}),
            "data.workers",
        ),
    ] {
        let (status, resp) = app
            .try_act(&py_reporter, &py, "submit", json!({ "data": data }))
            .await;
        assert_eq!(
            (status, resp["error"]["field"].clone()),
            (StatusCode::BAD_REQUEST, json!(field)),
            "{resp}"
        );
    }
    let inst = instance_data(app, &py_reporter, &py).await;
    assert_eq!(inst["step"], "filling", "refused submissions change nothing");
    assert!(inst["data"].get("organization").is_none(), "{inst}");

    app.act(&py_reporter, &py, "submit", json!({ "data": filled(&PY, 2) }))
        .await;
    let sh_reporter = app.token("jn-sh-reporter").await;
    app.act(&sh_reporter, &sh, "submit", json!({ "data": filled(&SH, 5) }))
        .await;

    // The city returns one with a reason, passes the other; the county corrects and resubmits.
    let city = app.token("jn-supervisor").await;
    let (status, resp) = app.try_act(&city, &sh, "return", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a return needs a reason: {resp}");
    app.act(&city, &sh, "return", json!({"comment": "经费数据有误，请核实"}))
        .await;
    app.act(&city, &py, "approve", json!({})).await;
    let mut corrected = filled(&SH, 5);
    corrected["organization"]["JN-SH-YQ"]["funding"] = json!(0);
    app.act(&sh_reporter, &sh, "submit", json!({ "data": corrected }))
        .await;

    // Before the second passes, the province sees one complete and two missing.
    let totals = app.get(&sup, &format!("/api/v1/campaigns/{id}/totals")).await;
    assert_eq!(totals["missing"], json!(["商河县科协", "平度市科协"]), "{totals}");
    assert_eq!(totals["total"]["workers"]["health"], 6, "three units of 2");
    assert_eq!(
        totals["total"]["organization"]["founded_year"], 3,
        "years are counted where given, not added up"
    );

    app.act(&city, &sh, "approve", json!({})).await;
    let totals = app.get(&sup, &format!("/api/v1/campaigns/{id}/totals")).await;
    assert_eq!(totals["missing"], json!(["平度市科协"]));
    assert_eq!(totals["total"]["workers"]["health"], 6 + 15);
    assert_eq!(
        totals["total"]["organization"]["funding"],
        6 + 10,
        "one township's 0"
    );
    let jinan = &totals["cities"][0];
    assert_eq!(
        (
            jinan["name"].as_str(),
            jinan["targets"].as_u64(),
            jinan["done"].as_u64()
        ),
        (Some("济南市科协"), Some(2), Some(2))
    );
    assert_eq!(jinan["totals"]["members"]["medical"], 6 + 15);
    let qingdao = &totals["cities"][1];
    assert_eq!(
        (
            qingdao["done"].as_u64(),
            qingdao["totals"]["members"]["medical"].as_i64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(totals["targets"][2]["totals"], Value::Null);
    assert_eq!(totals["tables"][0]["columns"][4]["label"], "编制数");

    // What passed is the units' current picture on the board.
    let board = app.get(&sup, "/api/v1/coverage?under=SD").await;
    let unit = |code: &str| {
        board["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("{code} on the board"))
    };
    assert_eq!(unit("JN-SH-YQ")["lacks"], json!(["缺经费"]));
    assert_eq!(unit("JN-PY")["lacks"], json!([]));
    assert_eq!(
        unit("JN-PY")["figures"],
        json!({"科技工作者": 10, "个人会员": 12}),
        "row totals of the tables the board shows"
    );
    assert_eq!(unit("QD-PD")["figures"], json!({}), "no census passed there");

    // A department may not read them.
    let org = app.token("jn-py-org").await;
    let (status, _) = app
        .send(Some(&org), "GET", &format!("/api/v1/campaigns/{id}/totals"), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

on_both_backends!(census_from_opening_to_totals);

/// The census on the pages: the county fills one form of number tables
/// generated from the definition (a row per unit, by name), a blank cell is
/// named in Chinese, the city passes it, and the campaign's page adds it up
/// and exports it.
async fn census_in_the_browser(app: &TestApp) {
    use naxian_tests::web::{csrf, get, login, task_links};
    app.clock.set(t("2027-01-05T10:00:00+08:00"));
    let sup = app.token("sd-supervisor").await;
    let (status, c) = app
        .send(
            Some(&sup),
            "POST",
            "/api/v1/campaigns",
            Some(json!({
                "workflow": "census", "title": "2026年度科协组织普查",
                "due_at": "2027-02-28T18:00:00+08:00", "targets": ["JN-PY", "QD-PD"],
                "data": {"reference_date": "2026-12-31"},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let id = c["id"].as_str().unwrap().to_string();

    let county = login(app, "jn-py-reporter").await;
    let (_, inbox) = get(&county, app, "/inbox").await;
    let task = task_links(&inbox).into_iter().next().expect("the census task");
    let (status, form) = get(&county, app, &format!("/tasks/{task}")).await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "组织与工作情况",
        "科技工作者人数",
        "平阴县科协",
        "玫瑰镇科协",
        "榆山街道科协",
        "编制数",
        "name=\"data.organization.JN-PY-MG.funding\"",
    ] {
        assert!(form.contains(expected), "{expected} in the form");
    }
    assert!(!form.contains("JN-PY-ORG"), "departments are not rows");
    let mut fields: Vec<(String, String)> =
        vec![("csrf".into(), csrf(&form)), ("action".into(), "submit".into())];
    for (table, columns) in [
        ("organization", &ORGANIZATION[..]),
        ("workers", &WORKERS[..]),
        ("members", &MEMBERS[..]),
    ] {
        for unit in PY {
            for c in columns {
                let v = if c.ends_with("_year") { "2001" } else { "4" };
                fields.push((format!("data.{table}.{unit}.{c}"), v.into()));
            }
        }
    }
    let blanked: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| {
            if k == "data.organization.JN-PY-MG.funding" {
                (k.clone(), String::new())
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    let r = county
        .post(app.url(&format!("/tasks/{task}/act")))
        .form(&blanked)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("组织与工作情况·玫瑰镇科协·年度经费（万元）：必填"),
        "the blank cell named in words: {page}"
    );
    let r = county
        .post(app.url(&format!("/tasks/{task}/act")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );

    // The city sees the tables (read-only, with totals) and passes them.
    let city = login(app, "jn-supervisor").await;
    let (_, inbox) = get(&city, app, "/inbox").await;
    let review = task_links(&inbox).into_iter().next().expect("the review task");
    let (_, page) = get(&city, app, &format!("/tasks/{review}")).await;
    assert!(page.contains("id=\"t-workers\""), "{page}");
    assert!(
        page.contains("<th scope=\"row\">合计</th><td>12</td>"),
        "three units of 4: {page}"
    );
    let r = city
        .post(app.url(&format!("/tasks/{review}/act")))
        .form(&[("csrf", csrf(&page).as_str()), ("action", "approve")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());

    let province = login(app, "sd-supervisor").await;
    let (_, board) = get(&province, app, "/coverage?under=JN").await;
    assert!(
        board.contains("科技工作者 20 · 个人会员 24"),
        "the census's figures beside the chiefs: {board}"
    );
    assert!(
        board.contains("href=\"/units/JN-PY-MG\""),
        "units link to their pages"
    );
    let (status, unit) = get(&province, app, "/units/JN-PY-MG").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        unit.contains("玫瑰镇科协")
            && unit.contains("个人会员 24 人")
            && unit.contains("编制、经费、场所、人员均已具备"),
        "the unit's page shows the census's facts: {unit}"
    );
    let other = login(app, "qd-pd-nominator").await;
    let (status, _) = get(&other, app, "/units/JN-PY-MG").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another county's unit page");
    let (_, page) = get(&province, app, &format!("/campaigns/{id}")).await;
    assert!(page.contains("尚未通过：平度市科协"), "{page}");
    assert!(
        page.contains("济南市科协（合计）") && page.contains("全省合计"),
        "{page}"
    );
    let r = province
        .get(app.url(&format!("/exports/campaign-{id}.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    let total = csv
        .lines()
        .find(|l| l.starts_with("全省合计"))
        .unwrap_or_else(|| panic!("{csv}"));
    let headers: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let health = headers
        .iter()
        .position(|h| h.ends_with("科技工作者人数·卫生健康"))
        .expect("a column per table column");
    assert_eq!(total.split(',').nth(health), Some("12"), "{csv}");
}

on_both_backends!(census_in_the_browser);
