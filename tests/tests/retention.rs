//! Retention: personal fields of instances finished longer ago than the
//! period are removed, with their attachments and submitted versions; running instances, recent
//! ones and the audit chain are left as they were.

use naxian_tests::{nomination, on_both_backends, TestApp};
use reqwest::multipart::{Form, Part};
use serde_json::json;

async fn personal_data_goes_after_the_period(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let finished = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let finished = finished["id"].as_str().unwrap().to_string();
    let form = Form::new().part(
        "file",
        Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec()).file_name("推荐表.pdf"),
    );
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/instances/{finished}/attachments")))
        .bearer_auth(&nominator)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // Submitted once: that submission is kept as a version.
    app.act(&nominator, &finished, "submit", json!({})).await;
    let (status, _) = app
        .send(
            Some(&nominator),
            "POST",
            &format!("/api/v1/instances/{finished}/withdraw"),
            Some(json!({"comment": "改派他人"})),
        )
        .await;
    assert_eq!(status, 200);
    let running = app
        .nominate(&nominator, nomination("JN-PY-YS", "education"))
        .await;
    let running = running["id"].as_str().unwrap().to_string();

    // Not yet: the period has not passed.
    assert_eq!(app.engine.purge_personal_data(1095).await.unwrap(), 0);
    app.clock.set(app.clock_now() + chrono::Duration::days(1096));
    assert_eq!(app.engine.purge_personal_data(1095).await.unwrap(), 1);
    assert_eq!(
        app.engine.purge_personal_data(1095).await.unwrap(),
        0,
        "once only"
    );

    let admin = app.token("admin").await;
    let old = app.get(&admin, &format!("/api/v1/instances/{finished}")).await;
    let candidate = &old["data"]["candidate"];
    for gone in ["phone", "email", "birth_year"] {
        assert!(candidate.get(gone).is_none(), "{gone} removed: {candidate}");
    }
    assert_eq!(candidate["name"], "王卫东", "the name stays");
    let files = app
        .get(&admin, &format!("/api/v1/instances/{finished}/attachments"))
        .await;
    assert_eq!(files, json!([]));
    let versions = app
        .get(&admin, &format!("/api/v1/instances/{finished}/versions"))
        .await;
    assert_eq!(versions, json!([]), "the submissions' copies go too");
    let new = app.get(&admin, &format!("/api/v1/instances/{running}")).await;
    assert_eq!(
        new["data"]["candidate"]["phone"], "138-0531-0000",
        "a running instance keeps it"
    );
    let report = app.engine.verify_audit().await.unwrap();
    assert!(report.broken.is_none(), "the audit chain still verifies");
}

on_both_backends!(personal_data_goes_after_the_period);
