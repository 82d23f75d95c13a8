//! The authorization matrix: every operation `/api/openapi.json` lists, called
//! by every kind of user — anonymous, each role at the resource's own unit and
//! at another city's, a province viewer, an administrator — must answer with
//! the status written here. An operation the document lists without a row
//! here fails the test, and so does a row for an operation it no longer lists.
//!
//! The resources: a nomination for 玫瑰镇 (JN-PY-MG) by 平阴's nominator, in
//! consultation, with an attachment; the consulted organization department's
//! task on it; a campaign to 济南; the user `jn-py-nominator`.
//!
//! `NAXIAN_AUTHZ_PRINT=1` prints the observed matrix in this file's format.

use naxian_tests::{nomination, TestApp};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The callers, in the order they call: those expected to be refused come
/// before those who may change something, so that a change cannot hide a refusal.
const CALLERS: &[(&str, Option<&str>)] = &[
    ("anon", None),
    ("nominator@other", Some("qd-pd-nominator")),
    ("department@other", Some("qd-pd-org")),
    ("secretary@other", Some("qd-pd-dz-sec")),
    ("supervisor@other", Some("qd-supervisor")),
    ("viewer", Some("sd-viewer")),
    ("supervisor", Some("jn-supervisor")),
    ("secretary", Some("jn-py-mg-sec")),
    ("department", Some("jn-py-org")),
    ("nominator", Some("jn-py-nominator")),
    ("admin", Some("admin")),
];

/// Expected statuses, one per caller in `CALLERS` order.
const MATRIX: &[(&str, &str)] = &[
    (
        "GET /api/v1/instances/{id}/access-log",
        "401 403 403 403 403 403 403 403 403 403 200",
    ),
    (
        "GET /api/openapi.json",
        "200 200 200 200 200 200 200 200 200 200 200",
    ),
    (
        "GET /api/v1/attachments/{id}",
        "401 403 403 403 403 200 200 200 200 200 200",
    ),
    (
        "POST /api/v1/auth/token",
        "200 200 200 200 200 200 200 200 200 200 200",
    ),
    (
        "POST /api/v1/campaigns",
        "401 403 403 403 403 403 201 403 403 403 201",
    ),
    (
        "GET /api/v1/campaigns/{id}",
        "401 403 403 403 403 200 200 403 403 403 200",
    ),
    (
        "GET /api/v1/coverage",
        "401 403 403 403 403 200 200 403 403 200 200",
    ),
    (
        "GET /api/v1/instances",
        "401 200 200 200 200 200 200 200 200 200 200",
    ),
    (
        "POST /api/v1/instances",
        "401 403 403 403 403 403 403 403 403 201 403",
    ),
    (
        "GET /api/v1/instances/{id}",
        "401 403 403 403 403 200 200 200 200 200 200",
    ),
    (
        "GET /api/v1/instances/{id}/attachments",
        "401 403 403 403 403 200 200 200 200 200 200",
    ),
    (
        "POST /api/v1/instances/{id}/attachments",
        "401 403 403 403 403 403 403 403 201 201 201",
    ),
    (
        "POST /api/v1/org-units",
        "401 403 403 403 403 403 403 403 403 403 201",
    ),
    (
        "GET /api/v1/org-units/{code}",
        "401 403 403 403 403 200 200 200 403 200 200",
    ),
    (
        "PUT /api/v1/org-units/{code}/body",
        "401 403 403 403 403 403 403 403 403 403 200",
    ),
    (
        "GET /api/v1/reports/monthly",
        "401 200 200 200 200 200 200 200 200 200 200",
    ),
    ("GET /api/v1/tasks", "401 200 200 200 200 200 200 200 200 200 200"),
    (
        "POST /api/v1/tasks/{id}/urge",
        "401 403 403 403 403 403 200 403 403 429 429",
    ),
    (
        "POST /api/v1/test/clock",
        "401 403 403 403 403 403 403 403 403 403 200",
    ),
    (
        "POST /api/v1/users",
        "401 403 403 403 403 403 403 403 403 403 201",
    ),
    (
        "POST /api/v1/users/{login}/grants",
        "401 403 403 403 403 403 403 403 403 403 201",
    ),
    (
        "PUT /api/v1/users/{login}/preferences",
        "401 403 403 403 403 403 403 403 403 200 200",
    ),
    (
        "GET /api/v1/workflows",
        "401 200 200 200 200 200 200 200 200 200 200",
    ),
    (
        "POST /api/v1/workflows",
        "401 403 403 403 403 403 403 403 403 403 200",
    ),
    ("GET /healthz", "200 200 200 200 200 200 200 200 200 200 200"),
    ("GET /metrics", "200 200 200 200 200 200 200 200 200 200 200"),
    ("GET /readyz", "200 200 200 200 200 200 200 200 200 200 200"),
    (
        "POST /api/v1/tasks/{id}/actions",
        "401 403 403 403 403 403 403 403 200 403 403",
    ),
    (
        "POST /api/v1/instances/{id}/withdraw",
        "401 403 403 403 403 403 403 403 403 200 409",
    ),
];

struct Fixture {
    instance: String,
    task: String,
    attachment: String,
    campaign: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let instance = inst["id"].as_str().unwrap().to_string();
    app.act(&nominator, &instance, "submit", json!({})).await;
    let task = app.task_of(&app.token("jn-py-org").await, &instance).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let form = Form::new().part(
        "file",
        Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec()).file_name("推荐表.pdf"),
    );
    let a: Value = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/instances/{instance}/attachments")))
        .bearer_auth(&nominator)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (status, c) = app
        .send(
            Some(&app.token("sd-supervisor").await),
            "POST",
            "/api/v1/campaigns",
            Some(json!({"title": "核对联络表", "due_at": "2027-01-15T17:00:00+08:00", "targets": ["JN"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    Fixture {
        instance,
        task,
        attachment: a["id"].as_str().unwrap().to_string(),
        campaign: c["id"].as_str().unwrap().to_string(),
    }
}

/// Calls one operation as one caller; `n` makes created names unique.
async fn call(app: &TestApp, f: &Fixture, op: &str, token: Option<&str>, n: usize) -> StatusCode {
    let (method, template) = op.split_once(' ').unwrap();
    let path = template
        .replace("{code}", "JN-PY-MG")
        .replace("{login}", "jn-py-nominator")
        .replace(
            "{id}",
            if template.starts_with("/api/v1/tasks/") {
                &f.task
            } else if template.starts_with("/api/v1/attachments/") {
                &f.attachment
            } else if template.starts_with("/api/v1/campaigns/") {
                &f.campaign
            } else {
                &f.instance
            },
        );
    let path = match op {
        "GET /api/v1/coverage" => format!("{path}?under=JN-PY"),
        _ => path,
    };
    if op == "POST /api/v1/instances/{id}/attachments" {
        let form = Form::new().part(
            "file",
            Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec()).file_name("a.pdf"),
        );
        let mut req = reqwest::Client::new().post(app.url(&path)).multipart(form);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        return req.send().await.unwrap().status();
    }
    let body = match op {
        "POST /api/v1/auth/token" => Some(json!({"login": "jn-py-nominator", "password": "naxian-demo"})),
        "POST /api/v1/org-units" => Some(
            json!({"code": format!("AZ-{n}"), "name": "授权测试镇", "kind": "township", "parent": "JN-PY"}),
        ),
        "PUT /api/v1/org-units/{code}/body" => {
            Some(json!({"term_start": "2024-01-01", "term_end": "2029-01-01"}))
        }
        "POST /api/v1/users" => Some(
            json!({"login": format!("az-{n}"), "name": "测试", "email": "az@example.cn", "password": "Chushi-2026"}),
        ),
        "POST /api/v1/users/{login}/grants" => {
            Some(json!({"role": "viewer", "org_unit": format!("JN-PY-{}", ["MG", "YS"][n % 2])}))
        }
        "PUT /api/v1/users/{login}/preferences" => Some(json!({"digest": true})),
        "POST /api/v1/workflows" => Some(json!({"source": std::fs::read_to_string(
            naxian_tests::workspace_dir().join("workflows/sanzhang-appointment.yaml")).unwrap()})),
        "POST /api/v1/instances" => {
            Some(json!({"workflow": "sanzhang-appointment", "data": nomination("JN-PY-MG", "education")}))
        }
        "POST /api/v1/tasks/{id}/urge" => Some(json!({})),
        "POST /api/v1/tasks/{id}/actions" => Some(json!({"action": "agree"})),
        "POST /api/v1/instances/{id}/withdraw" => Some(json!({"comment": "授权测试"})),
        "POST /api/v1/campaigns" => {
            Some(json!({"title": "授权测试", "due_at": "2027-02-01T17:00:00+08:00", "targets": ["JN-PY"]}))
        }
        "POST /api/v1/test/clock" => Some(json!({"now": app.clock_now().to_rfc3339()})),
        _ => None,
    };
    app.send(token, method, &path, body).await.0
}

async fn every_operation_answers_every_caller_as_the_matrix_says(app: &TestApp) {
    let doc: Value = reqwest::get(app.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    let matrix: BTreeMap<&str, &str> = MATRIX.iter().copied().collect();
    let unlisted: Vec<&String> = operations
        .iter()
        .filter(|o| !matrix.contains_key(o.as_str()))
        .collect();
    let stale: Vec<&&str> = matrix
        .keys()
        .filter(|k| !operations.iter().any(|o| o == *k))
        .collect();

    let f = fixture(app).await;
    let mut tokens = Vec::new();
    for (_, login) in CALLERS {
        tokens.push(match login {
            Some(l) => Some(app.token(l).await),
            None => None,
        });
    }
    let print = std::env::var("NAXIAN_AUTHZ_PRINT").is_ok();
    let mut wrong = Vec::new();
    let mut n = 0;
    // Mutations that end the fixture's consultation come last.
    let order = |op: &str| match op {
        "POST /api/v1/tasks/{id}/actions" => 1,
        "POST /api/v1/instances/{id}/withdraw" => 2,
        _ => 0,
    };
    let mut ordered: Vec<&String> = operations.iter().collect();
    ordered.sort_by_key(|o| order(o));
    for op in ordered {
        let mut seen = Vec::new();
        for token in &tokens {
            n += 1;
            seen.push(call(app, &f, op, token.as_deref(), n).await.as_u16().to_string());
        }
        let seen = seen.join(" ");
        if print {
            println!("    (\"{op}\", \"{seen}\"),");
        }
        if let Some(expected) = matrix.get(op.as_str()) {
            if *expected != seen {
                wrong.push(format!("{op}\n  expected {expected}\n  got      {seen}"));
            }
        }
    }
    let callers: Vec<&str> = CALLERS.iter().map(|(c, _)| *c).collect();
    assert!(
        unlisted.is_empty(),
        "operations with no row in the matrix: {unlisted:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for operations the document no longer lists: {stale:?}"
    );
    assert!(
        wrong.is_empty(),
        "callers: {}\n{}",
        callers.join(" "),
        wrong.join("\n")
    );
}

naxian_tests::on_both_backends!(every_operation_answers_every_caller_as_the_matrix_says,);
