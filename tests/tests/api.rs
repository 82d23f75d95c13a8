//! The REST contract's refusals and guarantees, on SQLite and PostgreSQL:
//! 401, 403, 404, 409 (done task and lost race), 413, 422, field-named 400s
//! that change nothing, idempotency keys, visibility, and the service routes.

use naxian_model::machine::ActionInput;
use naxian_tests::{nomination, on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn count_instances(app: &TestApp) -> usize {
    let admin = app.token("admin").await;
    app.get(&admin, "/api/v1/instances?limit=200").await["items"]
        .as_array()
        .unwrap()
        .len()
}

async fn unauthenticated_and_bad_tokens_get_401(app: &TestApp) {
    let (status, body) = app.send(None, "GET", "/api/v1/tasks", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
    let (status, _) = app.send(Some("nx_forged"), "GET", "/api/v1/tasks", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app
        .send(
            None,
            "POST",
            "/api/v1/auth/token",
            Some(json!({"login": "jn-py-org", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["message"], "wrong login or password");
    let (status, body2) = app
        .send(
            None,
            "POST",
            "/api/v1/auth/token",
            Some(json!({"login": "nobody", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body, body2,
        "an unknown login is not told apart from a wrong password"
    );
    let (status, body) = app.send(None, "POST", "/api/v1/instances", Some(json!({}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

async fn someone_elses_task_is_403(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let id = inst["id"].as_str().unwrap();
    let drafting = app.task_of(&nominator, id).await;
    let path = format!("/api/v1/tasks/{}/actions", drafting["id"].as_str().unwrap());
    for other in ["jn-py-org", "jn-sh-nominator", "jn-nominator"] {
        let token = app.token(other).await;
        let (status, body) = app
            .send(Some(&token), "POST", &path, Some(json!({"action": "submit"})))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{other}: {body}");
    }
    app.act(&nominator, id, "submit", json!({})).await;
    // A department of another county cannot act on this county's consultation.
    let org_task = app.task_of(&app.token("jn-py-org").await, id).await;
    let path = format!("/api/v1/tasks/{}/actions", org_task["id"].as_str().unwrap());
    let other_county = app.token("jn-sh-org").await;
    let (status, _) = app
        .send(
            Some(&other_county),
            "POST",
            &path,
            Some(json!({"action": "agree"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nor see the instance.
    let (status, _) = app
        .send(
            Some(&other_county),
            "GET",
            &format!("/api/v1/instances/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let listed = app.get(&other_county, "/api/v1/instances").await;
    assert!(listed["items"].as_array().unwrap().is_empty());
    // The consulted department and the city's nominator may see it.
    for viewer in ["jn-py-org", "jn-nominator", "sd-supervisor"] {
        let token = app.token(viewer).await;
        app.get(&token, &format!("/api/v1/instances/{id}")).await;
        let listed = app.get(&token, "/api/v1/instances").await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{viewer}");
    }
    // Nominating outside one's grants.
    let other = app.token("jn-sh-nominator").await;
    let (status, _) = app
        .send(
            Some(&other),
            "POST",
            "/api/v1/instances",
            Some(json!({"workflow": "sanzhang-appointment", "data": nomination("JN-PY-MG", "health")})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Directory writes need the admin role.
    let (status, _) = app
        .send(
            Some(&nominator),
            "POST",
            "/api/v1/org-units",
            Some(json!({"code": "X1", "name": "某镇", "kind": "township", "parent": "JN-PY"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn action_not_in_step_is_422_and_done_task_is_409(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let id = inst["id"].as_str().unwrap();
    let (status, body) = app.try_act(&nominator, id, "agree", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "not_allowed");
    let task = app.task_of(&nominator, id).await;
    let path = format!("/api/v1/tasks/{}/actions", task["id"].as_str().unwrap());
    let (status, _) = app
        .send(Some(&nominator), "POST", &path, Some(json!({"action": "submit"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .send(Some(&nominator), "POST", &path, Some(json!({"action": "submit"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = app
        .send(
            Some(&nominator),
            "POST",
            "/api/v1/tasks/no-such-task/actions",
            Some(json!({"action": "submit"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .send(
            Some(&nominator),
            "GET",
            "/api/v1/instances/no-such-instance",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn concurrent_actions_on_one_task(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let id = inst["id"].as_str().unwrap();
    app.act(&nominator, id, "submit", json!({})).await;
    let org = app.token("jn-py-org").await;
    let task = app.task_of(&org, id).await;
    let path = format!("/api/v1/tasks/{}/actions", task["id"].as_str().unwrap());
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let calls = (0..4).map(|_| app.send(Some(&org), "POST", &path, Some(json!({"action": "agree"}))));
        statuses.extend(
            futures::future::join_all(calls)
                .await
                .into_iter()
                .map(|(s, _)| s.as_u16()),
        );
    }
    statuses.sort();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    let inst = app.get(&org, &format!("/api/v1/instances/{id}")).await;
    let agrees = inst["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "agree")
        .count();
    assert_eq!(agrees, 1, "one history entry for one accepted action");
}

async fn idempotency_keys(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let body = json!({"workflow": "sanzhang-appointment", "data": nomination("JN-PY-MG", "health")});
    let key = [("Idempotency-Key", "nominate-001")];
    let (s1, b1) = app
        .send_with(
            Some(&nominator),
            "POST",
            "/api/v1/instances",
            Some(body.clone()),
            &key,
        )
        .await;
    let (s2, b2) = app
        .send_with(
            Some(&nominator),
            "POST",
            "/api/v1/instances",
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(s1, StatusCode::CREATED);
    assert_eq!(s2, StatusCode::CREATED);
    assert_eq!(b1, b2, "the replay is the first response");
    assert_eq!(count_instances(app).await, 1, "and nothing was done again");
    let mut other = body.clone();
    other["data"]["post"] = json!("member");
    let (s3, b3) = app
        .send_with(Some(&nominator), "POST", "/api/v1/instances", Some(other), &key)
        .await;
    assert_eq!(s3, StatusCode::UNPROCESSABLE_ENTITY, "{b3}");
    assert_eq!(count_instances(app).await, 1);
    // Actions too: a retried submit is not a 409.
    let id = b1["id"].as_str().unwrap();
    let task = app.task_of(&nominator, id).await;
    let path = format!("/api/v1/tasks/{}/actions", task["id"].as_str().unwrap());
    let key = [("Idempotency-Key", "submit-001")];
    let (a1, r1) = app
        .send_with(
            Some(&nominator),
            "POST",
            &path,
            Some(json!({"action": "submit"})),
            &key,
        )
        .await;
    let (a2, r2) = app
        .send_with(
            Some(&nominator),
            "POST",
            &path,
            Some(json!({"action": "submit"})),
            &key,
        )
        .await;
    assert_eq!((a1, a2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(r1, r2);
    // Another user's identical key is their own.
    let other_user = app.token("jn-nominator").await;
    let (s4, b4) = app
        .send_with(
            Some(&other_user),
            "POST",
            "/api/v1/instances",
            Some(body.clone()),
            &[("Idempotency-Key", "nominate-001")],
        )
        .await;
    assert_eq!(s4, StatusCode::CREATED, "{b4}");
    assert_ne!(b4["id"], b1["id"]);

    // A creation whose answer was lost with its server (the instance was
    // written, the stored response never was): sent again, it gets that
    // instance back rather than starting a second one.
    let actor = app.engine.actor("jn-py-nominator").await.unwrap();
    let first = app
        .engine
        .start_once(
            &actor,
            naxian_engine::StartRequest {
                workflow: "sanzhang-appointment".into(),
                data: nomination("JN-PY-MG", "health"),
            },
            "nominate-lost",
        )
        .await
        .unwrap();
    let before = count_instances(app).await;
    let (s5, b5) = app
        .send_with(
            Some(&nominator),
            "POST",
            "/api/v1/instances",
            Some(body.clone()),
            &[("Idempotency-Key", "nominate-lost")],
        )
        .await;
    assert_eq!(s5, StatusCode::CREATED, "{b5}");
    assert_eq!(b5["id"].as_str(), Some(first.instance.id.as_str()));
    assert_eq!(count_instances(app).await, before, "no second instance");
}

async fn bad_input_names_the_field_and_changes_nothing(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let cases: Vec<(Value, &str)> = vec![
        (
            {
                let mut d = nomination("JN-PY-MG", "health");
                d["candidate"].as_object_mut().unwrap().remove("name");
                d
            },
            "data.candidate.name",
        ),
        (
            {
                let mut d = nomination("JN-PY-MG", "health");
                d["candidate"]["phone"] = json!("call me");
                d
            },
            "data.candidate.phone",
        ),
        (
            {
                let mut d = nomination("JN-PY-MG", "health");
                d["candidate"]["email"] = json!("a@b.cn\r\nBcc: x@y.cn");
                d
            },
            "data.candidate.email",
        ),
        (
            {
                let mut d = nomination("JN-PY-MG", "health");
                d["candidate"]["sector"] = json!("finance");
                d
            },
            "data.candidate.sector",
        ),
        (
            {
                let mut d = nomination("JN-PY-MG", "health");
                d["candidate"]["birth_year"] = json!("1970");
                d
            },
            "data.candidate.birth_year",
        ),
        (
            {
                let mut d = nomination("JN-PY-MG", "health");
                d["post"] = json!("emperor");
                d
            },
            "data.post",
        ),
        (
            {
                let mut d = nomination("JN-PY-MG", "health");
                d["surprise"] = json!(1);
                d
            },
            "data.surprise",
        ),
        (nomination("NOWHERE", "health"), "data.target_org"),
        (nomination("JN", "health"), "data.target_org"),
        (json!("not an object"), "data"),
    ];
    for (data, field) in cases {
        let (status, body) = app
            .send(
                Some(&nominator),
                "POST",
                "/api/v1/instances",
                Some(json!({"workflow": "sanzhang-appointment", "data": data})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
        assert_eq!(body["error"]["field"], field, "{body}");
        assert_eq!(body["error"]["code"], "invalid");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    let (status, body) = app
        .send(
            Some(&nominator),
            "POST",
            "/api/v1/instances",
            Some(json!({"workflow": "no-such-flow", "data": {}})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("workflow"))
    );
    let (status, body) = app
        .send(
            Some(&nominator),
            "POST",
            "/api/v1/instances",
            Some(json!({"data": {}})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("workflow"))
    );
    // Malformed JSON.
    let resp = app
        .client
        .post(app.url("/api/v1/instances"))
        .bearer_auth(&nominator)
        .header("content-type", "application/json")
        .body("{\"workflow\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // Too large. (Its own client: the server closes a connection whose body it refused.)
    let big = "x".repeat(2 * 1024 * 1024);
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/instances"))
        .bearer_auth(&nominator)
        .header("content-type", "application/json")
        .body(format!("{{\"workflow\": \"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_large");
    assert_eq!(
        count_instances(app).await,
        0,
        "no refused request created anything"
    );

    // Action input.
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let id = inst["id"].as_str().unwrap();
    let task = app.task_of(&nominator, id).await;
    let path = format!("/api/v1/tasks/{}/actions", task["id"].as_str().unwrap());
    let (status, body) = app
        .send(Some(&nominator), "POST", &path, Some(json!({"comment": "x"})))
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("action"))
    );
    let (status, body) = app
        .send(
            Some(&nominator),
            "POST",
            &path,
            Some(json!({"action": "submit", "data": {"candidate": {"phone": "x"}}})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("data.candidate.phone"))
    );
    let (status, body) = app
        .send(
            Some(&nominator),
            "POST",
            &path,
            Some(json!({"action": "submit", "data": {"target_org": "JN-PY-YS"}})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("data.target_org"))
    );
    let after = app.get(&nominator, &format!("/api/v1/instances/{id}")).await;
    assert_eq!(after["step"], "drafting");
    assert_eq!(after["data"], inst["data"]);
    assert_eq!(after["history"].as_array().unwrap().len(), 1);

    // Election data.
    app.act(&nominator, id, "submit", json!({})).await;
    for dept in ["jn-py-org", "jn-py-mg-pc", "jn-py-health"] {
        app.act(&app.token(dept).await, id, "agree", json!({})).await;
    }
    let sec = app.token("jn-py-mg-sec").await;
    let (status, body) = app.try_act(&sec, id, "elected", json!({})).await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("data.meeting_date"))
    );
    let (status, body) = app
        .try_act(
            &sec,
            id,
            "elected",
            json!({"data": {"meeting_date": "2026-13-40"}}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("data.meeting_date"))
    );
    // A meeting is recorded once held: tomorrow (Asia/Shanghai) is refused.
    let tomorrow = (app.clock_now() + chrono::Duration::days(1))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string();
    let waiting = app.get(&sec, &format!("/api/v1/instances/{id}")).await;
    let (status, body) = app
        .try_act(&sec, id, "elected", json!({"data": {"meeting_date": tomorrow}}))
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("data.meeting_date")),
        "{body}"
    );
    let after = app.get(&sec, &format!("/api/v1/instances/{id}")).await;
    assert_eq!(after["history"], waiting["history"], "nothing moved");
    assert_eq!(after["step"], waiting["step"]);
    let (status, body) = app
        .try_act(
            &sec,
            id,
            "elected",
            json!({"data": {"meeting_date": "2026-12-01", "votes": -1}}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("data.votes"))
    );

    // Query parameters.
    let (status, body) = app
        .send(Some(&nominator), "GET", "/api/v1/tasks?status=maybe", None)
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("status"))
    );
    let (status, body) = app
        .send(Some(&nominator), "GET", "/api/v1/instances?limit=0", None)
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("limit"))
    );
    let (status, _) = app
        .send(Some(&nominator), "GET", "/api/v1/instances?limit=abc", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn directory_administration(app: &TestApp) {
    let admin = app.token("admin").await;
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/org-units",
            Some(json!({"code": "JN-PY-HG", "name": "孝直镇科协", "kind": "township", "parent": "JN-PY"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/org-units",
            Some(json!({"code": "JN-PY-HG", "name": "重复", "kind": "township", "parent": "JN-PY"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    for (req, field) in [
        (
            json!({"code": "bad code", "name": "x", "kind": "township", "parent": "JN-PY"}),
            "code",
        ),
        (
            json!({"code": "A1", "name": "", "kind": "township", "parent": "JN-PY"}),
            "name",
        ),
        (
            json!({"code": "A1", "name": "x", "kind": "galaxy", "parent": "JN-PY"}),
            "kind",
        ),
        (
            json!({"code": "A1", "name": "x", "kind": "department", "parent": "JN-PY"}),
            "function",
        ),
        (
            json!({"code": "A1", "name": "x", "kind": "department", "parent": "JN-PY", "function": "police"}),
            "function",
        ),
        (
            json!({"code": "A1", "name": "x", "kind": "township", "parent": "NOPE"}),
            "parent",
        ),
        (
            json!({"code": "A1", "name": "x", "kind": "township", "parent": "JN-PY", "function": "health"}),
            "function",
        ),
    ] {
        let (status, body) = app
            .send(Some(&admin), "POST", "/api/v1/org-units", Some(req))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    let path = "/api/v1/org-units/JN-PY-HG/body";
    let (status, body) = app
        .send(
            Some(&admin),
            "PUT",
            path,
            Some(json!({"term_start": "2025-01-01", "term_end": "2024-01-01"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("term_end"))
    );
    let (status, body) = app
        .send(
            Some(&admin),
            "PUT",
            path,
            Some(json!({"term_start": "2025-01-01", "term_end": "2030-01-01", "congress_date": "soon"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("congress_date"))
    );
    let (status, _) = app
        .send(
            Some(&admin),
            "PUT",
            path,
            Some(json!({"term_start": "2025-01-01", "term_end": "2030-01-01"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let unit = app.get(&admin, "/api/v1/org-units/JN-PY-HG").await;
    assert_eq!(unit["body"]["term_end"], "2030-01-01");
    assert_eq!(unit["kind"], "township");

    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/users",
            Some(json!({"login": "hg-sec", "name": "孝直镇秘书长", "email": "hg@example.cn", "password": "long-enough-1"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.get("password_hash").is_none());
    for (req, field) in [
        (
            json!({"login": "a b", "name": "x", "email": "a@b.cn", "password": "long-enough-1"}),
            "login",
        ),
        (
            json!({"login": "ab", "name": "x", "email": "not-mail", "password": "long-enough-1"}),
            "email",
        ),
        (
            json!({"login": "ab", "name": "x", "email": "a@b.cn", "password": "short"}),
            "password",
        ),
        (json!({"login": "ab", "name": "x", "email": "a@b.cn"}), "password"),
    ] {
        let (status, body) = app.send(Some(&admin), "POST", "/api/v1/users", Some(req)).await;
        assert_eq!(
            (status, body["error"]["field"].clone()),
            (StatusCode::BAD_REQUEST, json!(field)),
            "{body}"
        );
    }
    let grants = "/api/v1/users/hg-sec/grants";
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            grants,
            Some(json!({"role": "secretary", "org_unit": "JN-PY-HG"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = app
        .send(
            Some(&admin),
            "POST",
            grants,
            Some(json!({"role": "secretary", "org_unit": "JN-PY-HG"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            grants,
            Some(json!({"role": "king", "org_unit": "JN-PY-HG"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("role"))
    );
    let (status, _) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/users/nobody/grants",
            Some(json!({"role": "viewer", "org_unit": "JN-PY-HG"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app
        .send(
            None,
            "POST",
            "/api/v1/auth/token",
            Some(json!({"login": "hg-sec", "password": "long-enough-1"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["expires_at"].as_str().unwrap().contains("+08:00"));
}

async fn service_routes(app: &TestApp) {
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let _ = app.send(None, "GET", "/api/v1/tasks", None).await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("naxian_http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/api/v1/tasks\""), "{metrics}");
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/auth/token",
        "/api/v1/org-units",
        "/api/v1/org-units/{code}",
        "/api/v1/org-units/{code}/body",
        "/api/v1/users",
        "/api/v1/users/{login}/grants",
        "/api/v1/workflows",
        "/api/v1/instances",
        "/api/v1/instances/{id}",
        "/api/v1/instances/{id}/withdraw",
        "/api/v1/tasks",
        "/api/v1/tasks/{id}/actions",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    let (status, body) = app.send(None, "GET", "/api/v1/nothing-here", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

async fn test_clock_is_admin_only(app: &TestApp) {
    // Tokens are issued at a set moment, never at today's date: the expiry
    // below must hold whatever day the test runs.
    let (status, _) = app
        .send(
            Some(&app.token("admin").await),
            "POST",
            "/api/v1/test/clock",
            Some(json!({"now": "2026-11-20T09:00:00+08:00"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let nominator = app.token("jn-py-nominator").await;
    let (status, _) = app
        .send(
            Some(&nominator),
            "POST",
            "/api/v1/test/clock",
            Some(json!({"now": "2027-01-01T09:00:00+08:00"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = app.token("admin").await;
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/test/clock",
            Some(json!({"now": "yesterday"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("now"))
    );
    let (status, _) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/test/clock",
            Some(json!({"now": "2027-01-01T09:00:00+08:00"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.send(Some(&nominator), "GET", "/api/v1/tasks", None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a week-long token has expired six weeks later"
    );
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    assert_eq!(inst["created_at"], "2027-01-01T09:00:00.000+08:00");
}

/// What a real province's directory relies on: logins and codes that do not
/// differ by case only, and a tree whose levels hold. Each refusal is a 400
/// naming the field, and creates nothing.
async fn directory_rules_a_province_relies_on(app: &TestApp) {
    let admin = app.token("admin").await;
    let post = |path: &'static str, body: Value| {
        let admin = admin.clone();
        async move { app.send(Some(&admin), "POST", path, Some(body)).await }
    };
    for login in ["ADMIN", "Jn-Py-Org"] {
        let (status, body) = post(
            "/api/v1/users",
            json!({"login": login, "name": "某人", "email": "x@example.cn", "password": "Chushi-2026"}),
        )
        .await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("login")),
            "{login}: {body}"
        );
    }
    // A login is typed in any case, and stands for the one user.
    let (status, body) = app
        .send(
            None,
            "POST",
            "/api/v1/auth/token",
            Some(json!({"login": "JN-PY-ORG", "password": "naxian-demo"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap();
    let (status, _) = app.send(Some(token), "GET", "/api/v1/tasks", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = post(
        "/api/v1/users/JN-PY-EDU/grants",
        json!({"role": "viewer", "org_unit": "JN-PY"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a grant finds the user whatever the case: {body}"
    );

    for (req, field) in [
        (
            json!({"code": "jn-py-mg", "name": "重复", "kind": "township", "parent": "JN-PY"}),
            "code",
        ),
        (
            json!({"code": "T1", "name": "镇", "kind": "township", "parent": "JN"}),
            "parent",
        ),
        (
            json!({"code": "T2", "name": "街道", "kind": "street", "parent": "JN-PY-MG"}),
            "parent",
        ),
        (
            json!({"code": "C1", "name": "县", "kind": "county", "parent": "SD"}),
            "parent",
        ),
        (json!({"code": "M1", "name": "市", "kind": "city"}), "parent"),
        (
            json!({"code": "V1", "name": "村", "kind": "village", "parent": "JN-PY"}),
            "parent",
        ),
        (
            json!({"code": "D1", "name": "科", "kind": "department", "function": "other", "parent": "JN-PY-ORG"}),
            "parent",
        ),
    ] {
        let code = req["code"].as_str().unwrap().to_string();
        let (status, body) = post("/api/v1/org-units", req).await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{code}: {body}"
        );
        let (status, _) = app
            .send(Some(&admin), "GET", &format!("/api/v1/org-units/{code}"), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{code} was not created");
    }
    let (status, body) = post(
        "/api/v1/org-units",
        json!({"code": "JN-PY-CC", "name": "村村通社区", "kind": "community", "parent": "JN-PY-MG"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a community under a township: {body}"
    );
}

/// A keyed action whose server died after the action committed and before
/// it could record its answer: the client's retry gets the committed answer,
/// not "the task is already done".
async fn a_keyed_action_committed_before_a_crash_is_replayed(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let id = app.in_consultation(&nominator).await;
    let org = app.token("jn-py-org").await;
    let task = app.task_of(&org, &id).await["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/tasks/{task}/actions");
    let body = json!({"action": "agree", "comment": "同意"});

    // What the server did before it died: the layer took the key, the
    // handler ran the action with its answer; the layer never finished.
    let hash = naxian_server::idempotency::request_hash("POST", &path, body.to_string().as_bytes());
    let now = chrono::Utc::now();
    let started = app
        .engine
        .store()
        .idempotency_begin(
            "jn-py-org",
            "k-crash",
            &hash,
            now,
            now - chrono::Duration::seconds(60),
        )
        .await
        .unwrap();
    assert_eq!(started, naxian_store::IdempotencyState::Started);
    let actor = app.engine.actor("jn-py-org").await.unwrap();
    let keyed = naxian_engine::keyed::KeyedResponse {
        login: "jn-py-org".into(),
        key: "k-crash".into(),
        render: Box::new(|v| (200, naxian_server::action_response(v).to_string())),
    };
    let committed = naxian_engine::keyed::with_response(
        keyed,
        app.engine.act(
            &actor,
            &task,
            ActionInput {
                comment: Some("同意".into()),
                ..ActionInput::named("agree")
            },
        ),
    )
    .await
    .unwrap();

    let r = app
        .client
        .post(app.url(&path))
        .bearer_auth(&org)
        .header("idempotency-key", "k-crash")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()
            .get("idempotent-replayed")
            .map(|v| v.to_str().unwrap()),
        Some("true")
    );
    let replayed: Value = r.json().await.unwrap();
    assert_eq!(
        replayed["instance"]["history"].as_array().map(Vec::len),
        Some(committed.history.len()),
        "the answer the action committed: {replayed}"
    );
    assert_eq!(
        replayed["instance"]["history"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["action"],
        "agree"
    );
    let agrees = app.get(&nominator, &format!("/api/v1/instances/{id}")).await["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "agree")
        .count();
    assert_eq!(agrees, 1, "done once");

    // Without a key nothing is recorded, and a keyed action that fails
    // (here: the task is done) records its refusal, as any answer.
    let r = app
        .client
        .post(app.url(&path))
        .bearer_auth(&org)
        .header("idempotency-key", "k-late")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

/// A role and a department function added to the catalogue over the API
/// serve at once: a workflow naming the role registers (refused before, with
/// its line), the role's holders may do what it says, and a department
/// takes the function. Bad entries are refused by field and change nothing.
async fn the_catalogue_is_data_administrators_extend(app: &TestApp) {
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2027-03-05T10:00:00+08:00")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    let admin = app.token("admin").await;
    let catalogue = app.get(&admin, "/api/v1/catalogue").await;
    let role = |c: &Value, name: &str| {
        c["roles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
    };
    assert_eq!(
        role(&catalogue, "supervisor").unwrap(),
        json!({"name": "supervisor", "label": "督导", "may": ["coverage", "reports", "campaigns"]})
    );
    assert!(catalogue["functions"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "party_committee", "label": "乡镇党委"})));

    // A workflow started by a role nobody has defined is refused with its line.
    let source =
        naxian_tests::appointment_as_version(6).replace("started_by: nominator", "started_by: liaison");
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/workflows",
            Some(json!({"source": source})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "source");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(":8: unknown role `liaison`"), "{message}");

    // Only a global administrator changes the catalogue; bad entries name their field.
    let reporter = app.token("jn-reporter").await;
    let good = json!({"label": "联络员", "may": []});
    let (status, _) = app
        .send(
            Some(&reporter),
            "PUT",
            "/api/v1/roles/liaison",
            Some(good.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (path, body, field) in [
        ("/api/v1/roles/liaison", json!({"label": " "}), "label"),
        ("/api/v1/roles/liaison", json!({"label": "督导"}), "label"),
        (
            "/api/v1/roles/liaison",
            json!({"label": "联络员", "may": ["everything"]}),
            "may",
        ),
        (
            "/api/v1/roles/liaison",
            json!({"label": "联络员", "may": ["coverage", "coverage"]}),
            "may",
        ),
        ("/api/v1/roles/Liaison-1", good.clone(), "name"),
        ("/api/v1/roles/creator", json!({"label": "发起人"}), "name"),
        ("/api/v1/functions/science", json!({"label": "组织部"}), "label"),
    ] {
        let (status, resp) = app.send(Some(&admin), "PUT", path, Some(body.clone())).await;
        assert_eq!(
            (status, resp["error"]["field"].clone()),
            (StatusCode::BAD_REQUEST, json!(field)),
            "{path} {body}: {resp}"
        );
    }
    assert_eq!(
        app.get(&admin, "/api/v1/catalogue").await,
        catalogue,
        "nothing changed"
    );

    // Defined, the role starts the workflow and is granted like any other.
    let (status, body) = app
        .send(Some(&admin), "PUT", "/api/v1/roles/liaison", Some(good))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"name": "liaison", "label": "联络员", "may": []}));
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/workflows",
            Some(json!({"source": source})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/users",
            Some(json!({"login": "jn-liaison", "name": "联络员小周", "email": "zhou@example.cn", "password": "naxian-demo"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/users/jn-liaison/grants",
            Some(json!({"role": "liaison", "org_unit": "JN"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // What the role may do is what the catalogue says, now.
    let liaison = app.token("jn-liaison").await;
    let campaign = json!({"title": "报送联络表", "due_at": "2027-03-20T18:00:00+08:00", "targets": ["JN-PY"], "remind_before": ["P1D"]});
    let (status, _) = app
        .send(
            Some(&liaison),
            "POST",
            "/api/v1/campaigns",
            Some(campaign.clone()),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the role may not open campaigns yet"
    );
    let (status, _) = app
        .send(
            Some(&admin),
            "PUT",
            "/api/v1/roles/liaison",
            Some(json!({"label": "联络员", "may": ["campaigns"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .send(Some(&liaison), "POST", "/api/v1/campaigns", Some(campaign))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // A department function is data too.
    let science = json!({"code": "JN-PY-SCI", "name": "平阴县科技局", "kind": "department", "parent": "JN-PY", "function": "science"});
    let (status, body) = app
        .send(Some(&admin), "POST", "/api/v1/org-units", Some(science.clone()))
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("function")),
        "{body}"
    );
    let (status, _) = app
        .send(
            Some(&admin),
            "PUT",
            "/api/v1/functions/science",
            Some(json!({"label": "科技"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .send(Some(&admin), "POST", "/api/v1/org-units", Some(science))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["function"], "science");
}

on_both_backends!(
    a_keyed_action_committed_before_a_crash_is_replayed,
    the_catalogue_is_data_administrators_extend,
    directory_rules_a_province_relies_on,
    unauthenticated_and_bad_tokens_get_401,
    someone_elses_task_is_403,
    action_not_in_step_is_422_and_done_task_is_409,
    concurrent_actions_on_one_task,
    idempotency_keys,
    bad_input_names_the_field_and_changes_nothing,
    directory_administration,
    service_routes,
    test_clock_is_admin_only,
);
