//! Typical cases (典型), on SQLite and PostgreSQL: a township association
//! submits a typical person with materials, the city passes it, the province
//! publishes it; the published page shows it, with its files, to every
//! signed-in user, who may then read it; one not taken is not listed.

use naxian_tests::web::{get, login};
use naxian_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

async fn submitted_case(app: &TestApp, sec: &str, title: &str) -> String {
    let (status, body) = app
        .send(
            Some(sec),
            "POST",
            "/api/v1/instances",
            Some(json!({"workflow": "typical-case", "data": {
                "unit": "JN-PY-MG", "kind": "person", "title": title,
                "story": "玫瑰镇卫生院院长当选镇科协副主席后，组织义诊三十余场。"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let (status, body) = app.try_act(sec, &id, "submit", json!({})).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (StatusCode::BAD_REQUEST, &json!("attachments.materials")),
        "materials are required: {body}"
    );
    let (status, _) = app
        .upload_into(sec, &id, Some("materials"), "事迹材料.pdf", PDF.to_vec())
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.act(sec, &id, "submit", json!({})).await;
    id
}

async fn a_typical_case_goes_from_township_to_published(app: &TestApp) {
    let sec = app.token("jn-py-mg-sec").await;
    let published = submitted_case(app, &sec, "扎根乡镇的好院长").await;
    let declined = submitted_case(app, &sec, "未采用的案例").await;

    let city = app.token("jn-supervisor").await;
    let province = app.token("sd-supervisor").await;
    for id in [&published, &declined] {
        app.act(&city, id, "approve", json!({})).await;
    }
    app.act(&province, &published, "accept", json!({})).await;
    app.act(&province, &declined, "reject", json!({"comment": "材料不足"}))
        .await;

    // Someone in another city reads the published one, not the other.
    let other = app.token("qd-pd-nominator").await;
    let read: Value = app.get(&other, &format!("/api/v1/instances/{published}")).await;
    assert_eq!(read["outcome"], "published");
    let (status, _) = app
        .send(
            Some(&other),
            "GET",
            &format!("/api/v1/instances/{declined}"),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "an instance not published stays hidden"
    );

    let browser = login(app, "qd-pd-nominator").await;
    let (status, html) = get(&browser, app, "/published").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("扎根乡镇的好院长") && html.contains("典型人物"),
        "{html}"
    );
    assert!(html.contains("玫瑰镇科协"), "the unit by name");
    assert!(!html.contains("未采用的案例"), "a declined case is not published");
    let file = html
        .split("href=\"/attachments/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the case's file is linked");
    let r = browser
        .get(app.url(&format!("/attachments/{file}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "and may be downloaded");
}

on_both_backends!(a_typical_case_goes_from_township_to_published);
