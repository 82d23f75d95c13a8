//! The implementation plan (实施方案报送) with its typed attachment slots,
//! over HTTP on both databases: the province opens it for the cities; a
//! city's submission is refused while a required slot is empty, a file of
//! the wrong type is refused from its slot, and the province accepts or
//! returns what was sent.

use chrono::{DateTime, Utc};
use naxian_tests::{on_both_backends, ooxml, TestApp, PDF};
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

async fn the_plan_with_its_typed_attachments(app: &TestApp) {
    app.clock.set(t("2027-03-02T10:00:00+08:00"));
    let sup = app.token("sd-supervisor").await;
    let body = |targets: Value| {
        json!({
            "workflow": "implementation-plan",
            "title": "报送“3+1”工作实施方案（带章扫描版和word版）及联络表",
            "due_at": "2027-03-20T18:00:00+08:00", "targets": targets, "remind_before": ["P3D"],
        })
    };
    refused(
        app.send(
            Some(&sup),
            "POST",
            "/api/v1/campaigns",
            Some(body(json!(["JN-PY"]))),
        )
        .await,
        "targets[0]",
    )
    .await;
    let (status, c) = app
        .send(
            Some(&sup),
            "POST",
            "/api/v1/campaigns",
            Some(body(json!(["JN", "QD"]))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let jn = c["targets"][0]["instance_id"].as_str().unwrap().to_string();

    let reporter = app.token("jn-reporter").await;
    refused(
        app.try_act(&reporter, &jn, "submit", json!({})).await,
        "attachments.scan",
    )
    .await;
    // A PDF is no Word file, a Word file no scan; an unknown slot is named.
    refused(
        app.upload_into(&reporter, &jn, Some("word"), "方案.pdf", PDF.to_vec())
            .await,
        "file",
    )
    .await;
    refused(
        app.upload_into(&reporter, &jn, Some("scan"), "方案.docx", ooxml("word/"))
            .await,
        "file",
    )
    .await;
    refused(
        app.upload_into(&reporter, &jn, Some("budget"), "方案.pdf", PDF.to_vec())
            .await,
        "slot",
    )
    .await;
    let files = app
        .get(&reporter, &format!("/api/v1/instances/{jn}/attachments"))
        .await;
    assert_eq!(files, json!([]), "refused uploads store nothing");

    let (status, a) = app
        .upload_into(&reporter, &jn, Some("scan"), "方案（盖章）.pdf", PDF.to_vec())
        .await;
    assert_eq!(
        (status, a["slot"].as_str()),
        (StatusCode::CREATED, Some("scan")),
        "{a}"
    );
    refused(
        app.try_act(&reporter, &jn, "submit", json!({})).await,
        "attachments.word",
    )
    .await;
    let (status, _) = app
        .upload_into(&reporter, &jn, Some("word"), "方案.docx", ooxml("word/"))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    refused(
        app.try_act(&reporter, &jn, "submit", json!({})).await,
        "attachments.liaison",
    )
    .await;
    let inst = app.get(&reporter, &format!("/api/v1/instances/{jn}")).await;
    assert_eq!(inst["step"], "preparing", "refused submissions change nothing");
    let (status, _) = app
        .upload_into(&reporter, &jn, Some("liaison"), "联络表.xlsx", ooxml("xl/"))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.act(&reporter, &jn, "submit", json!({"data": {"note": "请审阅"}}))
        .await;

    // The province returns it with a reason; the city resubmits; the province accepts.
    refused(app.try_act(&sup, &jn, "return", json!({})).await, "comment").await;
    app.act(&sup, &jn, "return", json!({"comment": "联络表缺专职人员电话"}))
        .await;
    app.act(&reporter, &jn, "submit", json!({})).await;
    let done = app.act(&sup, &jn, "accept", json!({})).await;
    assert_eq!(done["outcome"], "accepted", "{done}");
    let v = app
        .get(&sup, &format!("/api/v1/campaigns/{}", c["id"].as_str().unwrap()))
        .await;
    assert_eq!(v["targets"][0]["status"], "done");
    let slots: Vec<&str> = v["targets"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["slot"].as_str().unwrap())
        .collect();
    assert_eq!(slots, ["scan", "word", "liaison"]);
}

on_both_backends!(the_plan_with_its_typed_attachments);
