//! Task timers beyond reminders: an automatic action when a task times out,
//! on a workflow registered at run time, and the calendar warning on /readyz.

use chrono::{DateTime, Utc};
use naxian_tests::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const QUICK: &str = "name: quick-approval
version: 1
title: 快速审批
org_field: unit
started_by: nominator
start: approving
fields:
  unit: { type: org_unit, required: true, kinds: [county] }
  what: { type: text, required: true }
steps:
  approving:
    title: 审批
    assign:
      - { role: secretary, unit: target }
    timers: { due: 2 working days, timeout_after: 1 working day, timeout_action: approve }
    actions:
      approve: { to: approved }
      reject: { to: rejected, comment: required }
ends:
  approved: { title: 已批准 }
  rejected: { title: 未批准 }
";

async fn a_task_left_past_its_timeout_is_acted_on_by_the_system(app: &TestApp) {
    app.register_workflow(QUICK).await;

    app.clock.set(t("2026-11-30T10:00:00+08:00"));
    let nominator = app.token("jn-py-nominator").await;
    let (status, inst) = app
        .send(
            Some(&nominator),
            "POST",
            "/api/v1/instances",
            Some(json!({"workflow": "quick-approval", "data": {"unit": "JN-PY", "what": "借用会议室"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inst}");
    let id = inst["id"].as_str().unwrap();
    assert_eq!(inst["tasks"][0]["due_at"], "2026-12-02T23:59:59.000+08:00");

    app.clock.set(t("2026-12-03T23:00:00+08:00"));
    assert_eq!(
        app.engine.fire_timers_once("t").await.unwrap(),
        0,
        "overdue, but not yet timed out"
    );
    app.clock.set(t("2026-12-04T00:00:30+08:00"));
    assert_eq!(app.engine.fire_timers_once("t").await.unwrap(), 1);
    assert_eq!(app.engine.fire_timers_once("t").await.unwrap(), 0);
    let admin = app.token("admin").await;
    let after = app.get(&admin, &format!("/api/v1/instances/{id}")).await;
    assert_eq!(after["outcome"], "approved");
    let last: &Value = after["history"].as_array().unwrap().last().unwrap();
    assert_eq!(last["actor"], "system");
    assert_eq!(last["action"], "approve");
    assert_eq!(last["comment"], "到期未办理，系统自动处理");
    assert!(app.engine.verify_audit().await.unwrap().broken.is_none());
}

async fn readyz_warns_when_a_year_of_the_calendar_is_missing(app: &TestApp) {
    app.clock.set(t("2025-12-30T10:00:00+08:00"));
    let ready: Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let warnings = ready["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{ready}");
    assert!(
        warnings[0].as_str().unwrap().contains("2025 is missing"),
        "2026 is shipped: {ready}"
    );
    app.clock.set(t("2026-06-30T10:00:00+08:00"));
    let ready: Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        ready["warnings"][0].as_str().unwrap().contains("2027 is missing"),
        "{ready}"
    );
}

naxian_tests::on_both_backends!(
    a_task_left_past_its_timeout_is_acted_on_by_the_system,
    readyz_warns_when_a_year_of_the_calendar_is_missing,
);
