//! Each submission of an instance's data is kept as a version, on SQLite and
//! PostgreSQL: a nomination returned and submitted again keeps both texts
//! (the API lists them, the task page shows them), and a purge by the
//! retention rules takes them with the rest of the personal data.

use naxian_tests::web::{get, login};
use naxian_tests::{on_both_backends, TestApp};
use serde_json::json;

async fn a_returned_and_resubmitted_nomination_keeps_both_submissions(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let id = app.in_consultation(&nominator).await;
    let org = app.token("jn-py-org").await;
    app.act(&org, &id, "return", json!({"comment": "请补充推荐理由"}))
        .await;
    app.act(
        &nominator,
        &id,
        "resubmit",
        json!({"data": {"reason": "基层卫生骨干，2025年获评市优秀院长"}}),
    )
    .await;

    let versions = app
        .get(&nominator, &format!("/api/v1/instances/{id}/versions"))
        .await;
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert_eq!(versions[0]["number"], 1);
    assert_eq!(versions[0]["entry"]["action"], "submit");
    assert_eq!(versions[0]["data"]["reason"], "基层卫生骨干，群众基础好");
    assert_eq!(versions[1]["entry"]["action"], "resubmit");
    assert_eq!(versions[1]["entry"]["actor"], "jn-py-nominator");
    assert_eq!(
        versions[1]["data"]["reason"],
        "基层卫生骨干，2025年获评市优秀院长"
    );

    // The department reads both on its task page.
    let task = app.task_of(&org, &id).await;
    let browser = login(app, "jn-py-org").await;
    let (_, html) = get(&browser, app, &format!("/tasks/{}", task["id"].as_str().unwrap())).await;
    assert!(
        html.contains("第 1 次提交") && html.contains("第 2 次提交"),
        "{html}"
    );
    assert!(
        html.contains("基层卫生骨干，群众基础好"),
        "the first text is still there"
    );

    // One who may not see the instance may not read its versions.
    let other = app.token("qd-pd-nominator").await;
    let (status, _) = app
        .send(
            Some(&other),
            "GET",
            &format!("/api/v1/instances/{id}/versions"),
            None,
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
}

on_both_backends!(a_returned_and_resubmitted_nomination_keeps_both_submissions);
