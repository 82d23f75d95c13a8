//! Retention: personal fields of instances finished longer ago than the
//! period are removed, with their attachments, submitted versions and notices; running instances, recent
//! ones and the audit chain are left as they were. A user's phone (for the
//! liaison list) goes once they have held no role for the period.

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

    let notices_of = |id: String| async move {
        app.engine
            .store()
            .notices("jn-py-org", false, None, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|n| n.instance_id.as_deref() == Some(id.as_str()))
            .count()
    };
    assert_eq!(
        notices_of(finished.clone()).await,
        2,
        "its task, and its withdrawal"
    );

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
    assert_eq!(
        notices_of(finished.clone()).await,
        0,
        "its notices name the candidate: they go too"
    );
    let new = app.get(&admin, &format!("/api/v1/instances/{running}")).await;
    assert_eq!(
        new["data"]["candidate"]["phone"], "138-0531-0000",
        "a running instance keeps it"
    );
    let report = app.engine.verify_audit().await.unwrap();
    assert!(report.broken.is_none(), "the audit chain still verifies");
}

on_both_backends!(personal_data_goes_after_the_period);

async fn a_phone_goes_when_its_user_has_held_no_role_for_the_period(app: &TestApp) {
    let admin = app.token("admin").await;
    for (login, phone) in [("leaving", "13800000001"), ("staying", "13800000002")] {
        let (status, b) = app
            .send(
                Some(&admin),
                "POST",
                "/api/v1/users",
                Some(json!({"login": login, "name": "联络员", "email": "l@example.cn",
                             "password": "Chushi-2026", "phone": phone})),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{b}");
        for unit in ["JN", "QD"] {
            let (status, b) = app
                .send(
                    Some(&admin),
                    "POST",
                    &format!("/api/v1/users/{login}/grants"),
                    Some(json!({"role": "contact", "org_unit": unit})),
                )
                .await;
            assert_eq!(status, reqwest::StatusCode::CREATED, "{b}");
        }
    }
    let remove = |login: &str, unit: &str| {
        let path = format!("/api/v1/users/{login}/grants/contact/{unit}");
        let admin = admin.clone();
        async move { app.send(Some(&admin), "DELETE", &path, None).await.0 }
    };
    // 离任: both of one user's roles go; the other keeps one of two.
    assert_eq!(remove("leaving", "JN").await, reqwest::StatusCode::NO_CONTENT);
    assert_eq!(remove("leaving", "QD").await, reqwest::StatusCode::NO_CONTENT);
    assert_eq!(
        remove("leaving", "QD").await,
        reqwest::StatusCode::NOT_FOUND,
        "a role not held"
    );
    assert_eq!(remove("staying", "JN").await, reqwest::StatusCode::NO_CONTENT);
    let phone =
        |login: &'static str| async move { app.engine.store().user(login).await.unwrap().unwrap().phone };

    app.engine.purge_personal_data(1095).await.unwrap();
    assert_eq!(phone("leaving").await.as_deref(), Some("13800000001"), "not yet");
    app.clock.set(app.clock_now() + chrono::Duration::days(1096));
    app.engine.purge_personal_data(1095).await.unwrap();
    assert_eq!(phone("leaving").await, None, "no role for the period: gone");
    assert_eq!(
        phone("staying").await.as_deref(),
        Some("13800000002"),
        "still a contact: kept"
    );
}

on_both_backends!(a_phone_goes_when_its_user_has_held_no_role_for_the_period);
