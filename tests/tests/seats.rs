//! Bodies' seats (席位), on SQLite and PostgreSQL: an administrator sets a
//! body's seats per post and its target of chiefs; the unit's record and
//! the board show seats filled and free; a nomination for a post with no
//! free seat is warned about at submission (the API answers with the
//! warning, the form asks to confirm) and shown on the consulted
//! departments' task pages, until a seat frees.

use naxian_tests::web::{csrf, get, login};
use naxian_tests::{nomination, on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn seats_of(app: &TestApp, token: &str) -> Value {
    app.get(token, "/api/v1/org-units/JN-PY-MG").await["seats"].clone()
}

fn post_seats<'a>(seats: &'a Value, post: &str) -> &'a Value {
    seats["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["post"] == post)
        .unwrap()
}

async fn a_post_without_a_free_seat_is_warned_about(app: &TestApp) {
    let admin = app.token("admin").await;
    let nominator = app.token("jn-py-nominator").await;

    // Bad plans are refused, the field named, and change nothing.
    for (plan, field) in [
        (json!({"posts": {"mayor": 1}}), "posts"),
        (json!({"posts": {"vice_chair": 1000}}), "posts.vice_chair"),
        (
            json!({"posts": {"vice_chair": 1}, "chief_target": 2}),
            "chief_target",
        ),
    ] {
        let (status, body) = app
            .send(
                Some(&admin),
                "PUT",
                "/api/v1/org-units/JN-PY-MG/seats",
                Some(plan),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    assert!(seats_of(app, &admin).await.is_null(), "nothing was set");
    let (status, _) = app
        .send(
            Some(&nominator),
            "PUT",
            "/api/v1/org-units/JN-PY-MG/seats",
            Some(json!({"posts": {"vice_chair": 1}})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only an administrator sets seats");

    // 1 vice chair (named by its label), 5 members; 2 chiefs wanted.
    let (status, body) = app
        .send(
            Some(&admin),
            "PUT",
            "/api/v1/org-units/JN-PY-MG/seats",
            Some(json!({"posts": {"副主席": 1, "member": 5}, "chief_target": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let vice = post_seats(&body["seats"], "vice_chair");
    assert_eq!(
        (&vice["seats"], &vice["filled"], &vice["free"]),
        (&json!(1), &json!(0), &json!(1))
    );

    // A seat is free: no warning.
    let first = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    assert!(first.get("warnings").is_none(), "{first}");

    // The seat is taken by a member entered by hand.
    let (status, member) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/org-units/JN-PY-MG/members",
            Some(
                json!({"name": "赵明", "sector": "education", "post": "vice_chair",
                        "mode": "part_time", "since": "2024-06-01", "chief": true}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{member}");
    let seats = seats_of(app, &admin).await;
    let vice = post_seats(&seats, "vice_chair");
    assert_eq!((&vice["filled"], &vice["free"]), (&json!(1), &json!(0)));
    assert_eq!(seats["chiefs"], 1);

    // Now a nomination for that post is let through with the warning…
    let second = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let warning = &second["warnings"][0];
    assert_eq!(warning["code"], "no_free_seat", "{second}");
    assert_eq!(warning["field"], "data.post");
    let id = second["id"].as_str().unwrap().to_string();
    app.act(&nominator, &id, "submit", json!({})).await;
    // …which the earlier one, read again, carries too: the seat is gone for both.
    let again = app
        .get(
            &nominator,
            &format!("/api/v1/instances/{}", first["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(again["warnings"][0]["code"], "no_free_seat");

    // The consulted department sees it on its task.
    let org = login(app, "jn-py-org").await;
    let task = app.task_of(&app.token("jn-py-org").await, &id).await;
    let (_, html) = get(&org, app, &format!("/tasks/{}", task["id"].as_str().unwrap())).await;
    assert!(
        html.contains("拟任职务“副主席”已无空缺席位（共 1 席，现任 1 人）"),
        "the warning on the department's task: {html}"
    );

    // The unit's page and the board show seats filled and free.
    let browser = login(app, "admin").await;
    let (_, html) = get(&browser, app, "/units/JN-PY-MG").await;
    assert!(html.contains("现任“三长” 1 人，目标 2 人"), "{html}");
    let (_, html) = get(&browser, app, "/coverage?under=JN-PY").await;
    assert!(html.contains("已任 1/6 席 · 空缺 5 · “三长” 1/2"), "{html}");

    // The web form asks before submitting a nomination for the full post.
    let web = login(app, "jn-py-nominator").await;
    let (_, form) = get(&web, app, "/nominations/new").await;
    let token = csrf(&form);
    let mut fields = vec![
        ("csrf", token.as_str()),
        ("candidate.name", "钱芳"),
        ("candidate.gender", "female"),
        ("candidate.birth_year", "1980"),
        ("candidate.phone", "13905310001"),
        ("candidate.email", "qian@example.cn"),
        ("candidate.employer", "玫瑰镇卫生院"),
        ("candidate.position", "院长"),
        ("candidate.sector", "health"),
        ("target_org", "JN-PY-MG"),
        ("post", "vice_chair"),
        ("mode", "part_time"),
        ("reason", "卫生骨干"),
        ("then", "submit"),
    ];
    let before = app
        .get(&nominator, "/api/v1/instances?workflow=sanzhang-appointment")
        .await;
    let r = web
        .post(app.url("/nominations/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"seat-warning\"") && html.contains("仍要提交"),
        "{html}"
    );
    let after = app
        .get(&nominator, "/api/v1/instances?workflow=sanzhang-appointment")
        .await;
    assert_eq!(before, after, "nothing started before the nominator confirms");
    fields.push(("seats_confirmed", "1"));
    let r = web
        .post(app.url("/nominations/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "confirmed, it is submitted");

    // The member leaves: the seat is free again and the warning goes.
    let (status, _) = app
        .send(
            Some(&admin),
            "POST",
            &format!("/api/v1/org-units/JN-PY-MG/members/{}/leave", member["id"]),
            Some(json!({"on": app.clock_now().format("%Y-%m-%d").to_string(), "reason": "调离"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let again = app.get(&nominator, &format!("/api/v1/instances/{id}")).await;
    assert!(again.get("warnings").is_none(), "{again}");
}

on_both_backends!(a_post_without_a_free_seat_is_warned_about);
