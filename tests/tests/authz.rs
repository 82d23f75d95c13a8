//! The authorization matrix: every operation `/api/openapi.json` lists, called
//! by every kind of user — anonymous, each role at the resource's own unit and
//! at another city's, a province viewer, an administrator — must answer with
//! the status written here. An operation the document lists without a row
//! here fails the test, and so does a row for an operation it no longer lists.
//!
//! The resources: a nomination for 玫瑰镇 (JN-PY-MG) by 平阴's nominator, in
//! consultation, with an attachment; the consulted organization department's
//! task on it; a campaign to 济南; the user `jn-py-nominator`; a user
//! `az-leaving` with one role to take away.
//!
//! The web routes get a matrix of their own, read off the router's source:
//! each caller with a session of its own, every form with the session's CSRF
//! token, so that what answers is the route's authorization and nothing else.
//!
//! `NAXIAN_AUTHZ_PRINT=1` prints the observed matrices in this file's format.

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
        "GET /api/v1/instances/{id}/versions",
        "401 403 403 403 403 200 200 200 200 200 200",
    ),
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
        "GET /api/v1/campaigns",
        "401 200 200 200 200 200 200 200 200 200 200",
    ),
    (
        "GET /api/v1/campaigns/{id}/totals",
        "401 403 403 403 403 200 200 403 403 403 200",
    ),
    (
        "GET /api/v1/campaigns/{id}/ranking",
        "401 403 403 403 403 404 404 403 403 403 404",
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
        "POST /api/v1/org-units/{code}/members",
        "401 403 403 403 403 403 403 403 403 403 201",
    ),
    (
        "POST /api/v1/org-units/{code}/members/{id}/leave",
        "401 403 403 403 403 403 403 403 403 403 200",
    ),
    (
        "PUT /api/v1/org-units/{code}/body",
        "401 403 403 403 403 403 403 403 403 403 200",
    ),
    (
        "PUT /api/v1/org-units/{code}/seats",
        "401 403 403 403 403 403 403 403 403 403 200",
    ),
    (
        "GET /api/v1/reports/monthly",
        "401 200 200 200 200 200 200 200 200 200 200",
    ),
    ("GET /api/v1/tasks", "401 200 200 200 200 200 200 200 200 200 200"),
    (
        "GET /api/v1/tasks/{id}",
        "401 403 403 403 403 200 200 200 200 200 200",
    ),
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
        "GET /api/v1/catalogue",
        "401 200 200 200 200 200 200 200 200 200 200",
    ),
    (
        "PUT /api/v1/roles/{name}",
        "401 403 403 403 403 403 403 403 403 403 200",
    ),
    (
        "PUT /api/v1/functions/{name}",
        "401 403 403 403 403 403 403 403 403 403 200",
    ),
    (
        "POST /api/v1/users/{login}/grants",
        "401 403 403 403 403 403 403 403 403 403 201",
    ),
    (
        "DELETE /api/v1/users/{login}/grants/{role}/{org_unit}",
        "401 403 403 403 403 403 403 403 403 403 204",
    ),
    // The nominator's own delegation (the fixture's), in the document's
    // order: ended once by them (the administrator finds none left), then
    // read (none: 404 to those who may read it), then set again.
    (
        "PUT /api/v1/users/{login}/delegation",
        "401 403 403 403 403 403 403 403 403 200 200",
    ),
    (
        "GET /api/v1/users/{login}/delegation",
        "401 403 403 403 403 403 403 403 403 404 404",
    ),
    (
        "DELETE /api/v1/users/{login}/delegation",
        "401 403 403 403 403 403 403 403 403 204 404",
    ),
    (
        "PUT /api/v1/users/{login}/preferences",
        "401 403 403 403 403 403 403 403 403 200 200",
    ),
    (
        "GET /api/v1/users/{login}/phrases",
        "401 403 403 403 403 403 403 403 403 200 200",
    ),
    (
        "PUT /api/v1/users/{login}/phrases",
        "401 403 403 403 403 403 403 403 403 200 200",
    ),
    (
        "GET /api/v1/workflows",
        "401 200 200 200 200 200 200 200 200 200 200",
    ),
    (
        "GET /api/v1/workflows/{name}",
        "401 200 200 200 200 200 200 200 200 200 200",
    ),
    (
        "POST /api/v1/workflows",
        "401 403 403 403 403 403 403 403 403 403 200",
    ),
    ("GET /healthz", "200 200 200 200 200 200 200 200 200 200 200"),
    ("GET /metrics", "200 200 200 200 200 200 200 200 200 200 200"),
    ("GET /readyz", "200 200 200 200 200 200 200 200 200 200 200"),
    // Handed to the creator: 400 for whoever may transfer it (its holder,
    // an administrator), so that the task stays for the rows below.
    (
        "POST /api/v1/tasks/{id}/transfer",
        "401 403 403 403 403 403 403 403 400 403 400",
    ),
    // The creator as a signer: 400 for the holder, who alone may add one.
    (
        "POST /api/v1/tasks/{id}/add-signer",
        "401 403 403 403 403 403 403 403 400 403 403",
    ),
    // Every signed-in user may ask; each task answers for itself (an
    // objection is never batched, so each answer here is a refusal).
    (
        "POST /api/v1/tasks/batch",
        "401 200 200 200 200 200 200 200 200 200 200",
    ),
    // Each caller's own notices; the fixture's notice is the department's alone.
    (
        "GET /api/v1/notices",
        "401 200 200 200 200 200 200 200 200 200 200",
    ),
    (
        "POST /api/v1/notices/{id}/read",
        "401 404 404 404 404 404 404 404 200 404 404",
    ),
    (
        "POST /api/v1/notices/read-all",
        "401 200 200 200 200 200 200 200 200 200 200",
    ),
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
    /// A member of 玫瑰镇's body, entered by the administrator.
    member: String,
    /// The department's notice (消息) of its task.
    notice: String,
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
    let (status, m) = app
        .send(
            Some(&app.token("admin").await),
            "POST",
            "/api/v1/org-units/JN-PY-MG/members",
            Some(member_body("王医生")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let admin = app.token("admin").await;
    for (path, body) in [
        (
            "/api/v1/users",
            json!({"login": "az-leaving", "name": "调离人员", "email": "leaving@example.cn",
                   "password": "Chushi-2026"}),
        ),
        (
            "/api/v1/users/az-leaving/grants",
            json!({"role": "viewer", "org_unit": "JN-PY"}),
        ),
    ] {
        let (status, b) = app.send(Some(&admin), "POST", path, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
    }
    let notice = app
        .engine
        .store()
        .notices("jn-py-org", false, None, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|n| n.task_id.as_deref() == Some(task.as_str()))
        .expect("the department's notice of its task")
        .id;
    // The nominator's delegation, for the rows that read and end it.
    let (status, b) = app
        .send(
            Some(&admin),
            "PUT",
            "/api/v1/users/jn-py-nominator/delegation",
            Some(
                json!({"delegate": "jn-py-org", "from": app.clock_now().to_rfc3339(),
                        "until": (app.clock_now() + chrono::Duration::days(3)).to_rfc3339()}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    Fixture {
        instance,
        task,
        attachment: a["id"].as_str().unwrap().to_string(),
        campaign: c["id"].as_str().unwrap().to_string(),
        member: m["id"].to_string(),
        notice,
    }
}

fn member_body(name: &str) -> Value {
    json!({"name": name, "sector": "health", "post": "member", "mode": "part_time",
           "since": "2024-06-01", "chief": true})
}

/// Calls one operation as one caller; `n` makes created names unique.
async fn call(app: &TestApp, f: &Fixture, op: &str, token: Option<&str>, n: usize) -> StatusCode {
    let (method, template) = op.split_once(' ').unwrap();
    let path = template
        .replace("{code}", "JN-PY-MG")
        .replace("{login}", "jn-py-nominator")
        .replace(
            "{name}",
            if template.starts_with("/api/v1/roles/") || template.starts_with("/api/v1/functions/") {
                "liaison"
            } else {
                "sanzhang-appointment"
            },
        )
        .replace(
            "{id}",
            if template.starts_with("/api/v1/tasks/") {
                &f.task
            } else if template.starts_with("/api/v1/attachments/") {
                &f.attachment
            } else if template.starts_with("/api/v1/campaigns/") {
                &f.campaign
            } else if template.starts_with("/api/v1/org-units/") {
                &f.member
            } else if template.starts_with("/api/v1/notices/") {
                &f.notice
            } else {
                &f.instance
            },
        );
    let path = match op {
        "GET /api/v1/coverage" => format!("{path}?under=JN-PY"),
        // A user of the fixture's own, whose one role the administrator takes away.
        "DELETE /api/v1/users/{login}/grants/{role}/{org_unit}" => {
            "/api/v1/users/az-leaving/grants/viewer/JN-PY".to_string()
        }
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
        "POST /api/v1/org-units/{code}/members" => Some(member_body(&format!("成员{n}"))),
        "POST /api/v1/org-units/{code}/members/{id}/leave" => {
            Some(json!({"on": "2026-11-30", "reason": "调离"}))
        }
        "PUT /api/v1/org-units/{code}/body" => {
            Some(json!({"term_start": "2024-01-01", "term_end": "2029-01-01"}))
        }
        "PUT /api/v1/org-units/{code}/seats" => Some(json!({"posts": {"chair": 1, "member": 15}})),
        "POST /api/v1/users" => Some(
            json!({"login": format!("az-{n}"), "name": "测试", "email": "az@example.cn", "password": "Chushi-2026"}),
        ),
        "POST /api/v1/users/{login}/grants" => {
            Some(json!({"role": "viewer", "org_unit": format!("JN-PY-{}", ["MG", "YS"][n % 2])}))
        }
        "PUT /api/v1/users/{login}/preferences" => Some(json!({"digest": true})),
        "PUT /api/v1/users/{login}/phrases" => Some(json!({"phrases": ["同意。"]})),
        "PUT /api/v1/users/{login}/delegation" => Some(json!({"delegate": "jn-py-org",
            "from": app.clock_now().to_rfc3339(), "until": (app.clock_now() + chrono::Duration::days(3)).to_rfc3339()})),
        "PUT /api/v1/roles/{name}" => Some(json!({"label": "联络员", "may": ["reports"]})),
        "PUT /api/v1/functions/{name}" => Some(json!({"label": "联络"})),
        "POST /api/v1/workflows" => Some(json!({"source": std::fs::read_to_string(
            naxian_tests::workspace_dir().join("workflows/sanzhang-appointment.yaml")).unwrap()})),
        "POST /api/v1/instances" => {
            Some(json!({"workflow": "sanzhang-appointment", "data": nomination("JN-PY-MG", "education")}))
        }
        "POST /api/v1/tasks/{id}/urge" => Some(json!({})),
        "POST /api/v1/tasks/{id}/transfer" => Some(json!({"to": "jn-py-nominator"})),
        "POST /api/v1/tasks/{id}/add-signer" => {
            Some(json!({"user": "jn-py-nominator", "position": "before"}))
        }
        "POST /api/v1/tasks/batch" => {
            Some(json!({"task_ids": [f.task], "action": "object", "comment": "授权测试"}))
        }
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

/// The web routes: 303 is a redirect (to the login page for the anonymous,
/// to the result for a form that was taken), 403 a refusal page.
const WEB_MATRIX: &[(&str, &str)] = &[
    ("GET /", "303 303 303 303 303 303 303 303 303 303 303"),
    ("GET /login", "200 200 200 200 200 200 200 200 200 200 200"),
    ("POST /login", "303 303 303 303 303 303 303 303 303 303 303"),
    ("POST /logout", "303 303 303 303 303 303 303 303 303 303 303"),
    ("GET /inbox", "303 200 200 200 200 200 200 200 200 200 200"),
    ("GET /done", "303 200 200 200 200 200 200 200 200 200 200"),
    ("GET /nominations", "303 200 200 200 200 200 200 200 200 200 200"),
    ("GET /start", "303 200 200 200 200 200 200 200 200 200 200"),
    (
        "GET /nominations/new",
        "303 200 403 403 403 403 403 403 403 200 403",
    ),
    (
        "POST /nominations/new",
        "303 403 403 403 403 403 403 403 403 303 403",
    ),
    ("GET /tasks/{id}", "303 403 403 403 403 200 200 200 200 200 200"),
    ("GET /coverage", "303 200 200 200 200 200 200 200 200 200 200"),
    ("GET /units/{code}", "303 403 403 403 403 200 200 200 403 200 200"),
    ("GET /published", "303 200 200 200 200 200 200 200 200 200 200"),
    ("GET /liaison", "303 200 200 200 200 200 200 200 200 200 200"),
    ("GET /reports", "303 200 200 200 200 200 200 200 200 200 200"),
    ("GET /campaigns", "303 200 200 200 200 200 200 200 200 200 200"),
    (
        "GET /campaigns/new",
        "303 403 403 403 200 403 200 403 403 403 200",
    ),
    (
        "POST /campaigns/new",
        "303 403 403 403 403 403 303 403 403 403 303",
    ),
    (
        "GET /campaigns/{id}",
        "303 403 403 403 403 200 200 403 403 403 200",
    ),
    (
        "POST /tasks/{id}/urge",
        "303 403 403 403 403 403 303 403 403 429 429",
    ),
    (
        "POST /instances/{id}/attachments",
        "303 403 403 403 403 403 403 403 303 303 303",
    ),
    (
        "GET /exports/{file}",
        "303 403 403 403 403 200 200 403 403 200 200",
    ),
    ("GET /admin", "303 403 403 403 403 403 403 403 403 403 200"),
    ("POST /admin/units", "303 403 403 403 403 403 403 403 403 403 303"),
    (
        "POST /admin/bodies",
        "303 403 403 403 403 403 403 403 403 403 303",
    ),
    ("POST /admin/seats", "303 403 403 403 403 403 403 403 403 403 303"),
    ("POST /admin/users", "303 403 403 403 403 403 403 403 403 403 303"),
    ("POST /admin/roles", "303 403 403 403 403 403 403 403 403 403 303"),
    (
        "POST /admin/functions",
        "303 403 403 403 403 403 403 403 403 403 303",
    ),
    (
        "POST /admin/grants",
        "303 403 403 403 403 403 403 403 403 403 303",
    ),
    (
        "POST /admin/import",
        "303 403 403 403 403 403 403 403 403 403 303",
    ),
    (
        "GET /admin/templates/{file}",
        "303 403 403 403 403 403 403 403 403 403 200",
    ),
    (
        "GET /attachments/{id}",
        "303 403 403 403 403 200 200 200 200 200 200",
    ),
    (
        "GET /static/app.css",
        "200 200 200 200 200 200 200 200 200 200 200",
    ),
    (
        "GET /static/app.js",
        "200 200 200 200 200 200 200 200 200 200 200",
    ),
    (
        "POST /tasks/{id}/transfer",
        "303 403 403 403 403 403 403 403 400 403 400",
    ),
    (
        "POST /tasks/{id}/add-signer",
        "303 403 403 403 403 403 403 403 400 403 403",
    ),
    ("POST /inbox/batch", "303 303 303 303 303 303 303 303 303 303 303"),
    ("GET /notices", "303 200 200 200 200 200 200 200 200 200 200"),
    (
        "GET /notices/unread",
        "303 200 200 200 200 200 200 200 200 200 200",
    ),
    ("GET /copies", "303 200 200 200 200 200 200 200 200 200 200"),
    (
        "POST /notices/{id}/open",
        "303 404 404 404 404 404 404 404 303 404 404",
    ),
    (
        "POST /notices/read-all",
        "303 303 303 303 303 303 303 303 303 303 303",
    ),
    ("GET /account", "303 200 200 200 200 200 200 200 200 200 200"),
    // A wrong current password: 400 for each signed-in caller, whose own it is.
    (
        "POST /account/password",
        "303 400 400 400 400 400 400 400 400 400 400",
    ),
    // Each signed-in caller keeps their own contact details.
    (
        "POST /account/contact",
        "303 303 303 303 303 303 303 303 303 303 303",
    ),
    (
        "POST /account/phrases",
        "303 303 303 303 303 303 303 303 303 303 303",
    ),
    (
        "POST /admin/password",
        "303 403 403 403 403 403 403 403 403 403 303",
    ),
    // Each caller delegates to a user who is none of them, then ends it.
    (
        "POST /account/delegation",
        "303 303 303 303 303 303 303 303 303 303 303",
    ),
    (
        "POST /account/delegation/end",
        "303 303 303 303 303 303 303 303 303 303 303",
    ),
    (
        "POST /tasks/{id}/act",
        "303 403 403 403 403 403 403 403 303 403 403",
    ),
    (
        "POST /instances/{id}/withdraw",
        "303 403 403 403 403 403 403 403 403 303 409",
    ),
];

/// Every (method, path) `crates/server/src/web/mod.rs` routes.
fn web_routes() -> Vec<String> {
    // Each page family's module has its own `router()`.
    let dir = naxian_tests::workspace_dir().join("crates/server/src/web");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    let mut routes = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(file).unwrap();
        for part in source.split(".route(").skip(1) {
            let path = part.split('"').nth(1).unwrap();
            let end = [part.find("\n        .route"), part.find("\n}")]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(part.len());
            let handlers = &part[..end];
            if handlers.contains("get(") {
                routes.push(format!("GET {path}"));
            }
            if handlers.contains("post(") {
                routes.push(format!("POST {path}"));
            }
        }
    }
    routes
}

/// One caller of the web UI: a browser with its session, and the token its forms carry.
struct WebCaller {
    login: Option<&'static str>,
    browser: reqwest::Client,
    csrf: String,
}

async fn web_caller(app: &TestApp, login: Option<&'static str>) -> WebCaller {
    let Some(l) = login else {
        return WebCaller {
            login,
            browser: naxian_tests::web::browser(),
            csrf: String::new(),
        };
    };
    let browser = naxian_tests::web::login(app, l).await;
    let (status, inbox) = naxian_tests::web::get(&browser, app, "/inbox").await;
    assert_eq!(status, StatusCode::OK, "{l}'s inbox");
    WebCaller {
        login,
        csrf: naxian_tests::web::csrf(&inbox),
        browser,
    }
}

/// Calls one web route as one caller; `n` makes created names unique.
async fn web_call(app: &TestApp, f: &Fixture, route: &str, c: &WebCaller, n: usize) -> StatusCode {
    let (method, template) = route.split_once(' ').unwrap();
    let id = if template.starts_with("/tasks/") {
        &f.task
    } else if template.starts_with("/campaigns/") {
        &f.campaign
    } else if template.starts_with("/attachments/") {
        &f.attachment
    } else if template.starts_with("/notices/") {
        &f.notice
    } else {
        &f.instance
    };
    let path = template
        .replace("{id}", id)
        .replace("{code}", "JN-PY-MG")
        .replace(
            "{file}",
            if template.starts_with("/admin/") {
                "users.csv"
            } else {
                "coverage.csv?under=JN-PY"
            },
        );
    if method == "GET" {
        return c.browser.get(app.url(&path)).send().await.unwrap().status();
    }
    let csrf = c.csrf.as_str();
    let unique = n.to_string();
    let object = format!("{}|object", f.task);
    let shanghai = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let today = app
        .clock_now()
        .with_timezone(&shanghai)
        .format("%Y-%m-%d")
        .to_string();
    let until = (app.clock_now() + chrono::Duration::days(3))
        .with_timezone(&shanghai)
        .format("%Y-%m-%d")
        .to_string();
    let multipart = |form: Form| {
        c.browser
            .post(app.url(&path))
            .multipart(form.text("csrf", csrf.to_string()))
    };
    let request = match template {
        // A login and a logout of a session of their own, so that the caller's stays.
        "/login" => {
            let fresh = naxian_tests::web::browser();
            let login = c.login.unwrap_or("jn-py-nominator");
            return naxian_tests::web::post_login(&fresh, app, login, "naxian-demo")
                .await
                .status();
        }
        "/logout" => {
            let Some(l) = c.login else {
                return c
                    .browser
                    .post(app.url(&path))
                    .form(&[("csrf", "")])
                    .send()
                    .await
                    .unwrap()
                    .status();
            };
            let own = web_caller(app, Some(l)).await;
            return own
                .browser
                .post(app.url(&path))
                .form(&[("csrf", own.csrf.as_str())])
                .send()
                .await
                .unwrap()
                .status();
        }
        "/instances/{id}/attachments" => multipart(Form::new().text("back", f.task.clone()).part(
            "file",
            Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec()).file_name("b.pdf"),
        )),
        "/admin/import" => multipart(
            Form::new().text("sheet", "org_units").part(
                "file",
                Part::bytes(
                    format!("单位代码,单位名称,类型,上级单位代码,部门职能\nAZI-{n},导入测试镇,乡镇,JN-PY,\n")
                        .into_bytes(),
                )
                .file_name("units.csv"),
            ),
        ),
        _ => {
            let fields: Vec<(&str, &str)> = match template {
                "/nominations/new" => vec![
                    ("candidate.name", "李校长"),
                    ("candidate.gender", "female"),
                    ("candidate.birth_year", "1979"),
                    ("candidate.phone", "13900000000"),
                    ("candidate.email", "li@example.cn"),
                    ("candidate.employer", "平阴县第一中学"),
                    ("candidate.position", "校长"),
                    ("candidate.sector", "education"),
                    ("target_org", "JN-PY-MG"),
                    ("post", "member"),
                    ("mode", "part_time"),
                    ("reason", "教育骨干"),
                    ("then", "save"),
                ],
                "/campaigns/new" => vec![
                    ("title", "授权测试"),
                    ("due_at", "2027-02-01T17:00"),
                    ("targets", "JN-PY"),
                    ("remind", "1"),
                ],
                "/tasks/{id}/act" => vec![("action", "agree"), ("comment", "同意")],
                "/tasks/{id}/urge" => vec![("back", f.task.as_str())],
                "/tasks/{id}/transfer" => vec![("to", "jn-py-nominator")],
                "/account/delegation/end" | "/notices/{id}/open" | "/notices/read-all" => vec![],
                "/account/password" => vec![
                    ("current_password", "not-the-password"),
                    ("new_password", "Xin-mima-2026"),
                    ("repeat_password", "Xin-mima-2026"),
                ],
                "/admin/password" => vec![("login", "az-leaving"), ("password", "Chongzhi-2026")],
                "/account/contact" => vec![("email", "authz@example.cn"), ("phone", "")],
                "/account/phrases" => vec![("phrases", "同意。")],
                "/account/delegation" => vec![
                    ("delegate", "az-leaving"),
                    ("from", today.as_str()),
                    ("until", until.as_str()),
                ],
                "/tasks/{id}/add-signer" => vec![("user", "jn-py-nominator"), ("position", "before")],
                "/inbox/batch" => vec![("task", object.as_str()), ("comment", "授权测试")],
                "/instances/{id}/withdraw" => vec![("back", f.task.as_str()), ("comment", "授权测试")],
                "/admin/units" => vec![
                    ("code", "AZW"),
                    ("name", "授权测试镇"),
                    ("kind", "township"),
                    ("parent", "JN-PY"),
                    ("function", ""),
                ],
                "/admin/seats" => vec![
                    ("org_unit", "JN-PY-MG"),
                    ("seats.chair", "1"),
                    ("chief_target", ""),
                ],
                "/admin/bodies" => vec![
                    ("org_unit", "JN-PY-MG"),
                    ("term_start", "2024-01-01"),
                    ("term_end", "2029-01-01"),
                    ("congress_date", ""),
                ],
                "/admin/users" => vec![
                    ("login", "azw"),
                    ("name", "测试"),
                    ("email", "azw@example.cn"),
                    ("password", "Chushi-2026"),
                ],
                "/admin/roles" => vec![
                    ("name", "liaison_web"),
                    ("label", "网页联络员"),
                    ("may", "reports"),
                ],
                "/admin/functions" => vec![("name", "liaison_web"), ("label", "网页联络")],
                "/admin/grants" => vec![
                    ("login", "jn-py-nominator"),
                    ("role", "viewer"),
                    ("org_unit", ["JN-PY-MG", "JN-PY-YS"][n % 2]),
                ],
                other => panic!("no form for POST {other}: add one here"),
            };
            let mut fields: Vec<(&str, String)> = fields
                .into_iter()
                .map(|(k, v)| match k {
                    "code" | "login" if !["/admin/grants", "/admin/password"].contains(&template) => {
                        (k, format!("{v}-{unique}"))
                    }
                    _ => (k, v.to_string()),
                })
                .collect();
            fields.push(("csrf", csrf.to_string()));
            c.browser.post(app.url(&path)).form(&fields)
        }
    };
    request.send().await.unwrap().status()
}

async fn every_web_route_answers_every_caller_as_the_matrix_says(app: &TestApp) {
    let routes = web_routes();
    assert!(routes.len() > 20, "the router's routes were read: {routes:?}");
    let matrix: BTreeMap<&str, &str> = WEB_MATRIX.iter().copied().collect();
    let unlisted: Vec<&String> = routes
        .iter()
        .filter(|r| !matrix.contains_key(r.as_str()))
        .collect();
    let stale: Vec<&&str> = matrix
        .keys()
        .filter(|k| !routes.iter().any(|r| r == *k))
        .collect();

    let f = fixture(app).await;
    let mut callers = Vec::new();
    for (_, login) in CALLERS {
        callers.push(web_caller(app, *login).await);
    }
    let print = std::env::var("NAXIAN_AUTHZ_PRINT").is_ok();
    let order = |r: &str| match r {
        "POST /tasks/{id}/act" => 1,
        "POST /instances/{id}/withdraw" => 2,
        _ => 0,
    };
    let mut ordered: Vec<&String> = routes.iter().collect();
    ordered.sort_by_key(|r| order(r));
    let mut wrong = Vec::new();
    let mut n = 0;
    for route in ordered {
        let mut seen = Vec::new();
        for c in &callers {
            n += 1;
            seen.push(web_call(app, &f, route, c, n).await.as_u16().to_string());
        }
        let seen = seen.join(" ");
        if print {
            println!("    (\"{route}\", \"{seen}\"),");
        }
        if let Some(expected) = matrix.get(route.as_str()) {
            if *expected != seen {
                wrong.push(format!("{route}\n  expected {expected}\n  got      {seen}"));
            }
        }
    }
    let names: Vec<&str> = CALLERS.iter().map(|(c, _)| *c).collect();
    assert!(
        unlisted.is_empty(),
        "web routes with no row in the matrix: {unlisted:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for web routes the router no longer has: {stale:?}"
    );
    assert!(
        wrong.is_empty(),
        "callers: {}\n{}",
        names.join(" "),
        wrong.join("\n")
    );
}

/// Every form of the web UI, posted by the administrator (who may use
/// them all) without the session's token, is refused and changes nothing
/// the next post could trip on: the token is checked before anything else.
/// Logging in and out are their own sessions' business (the matrix).
async fn every_web_form_refuses_a_post_without_its_token(app: &TestApp) {
    let f = fixture(app).await;
    let admin = web_caller(app, Some("admin")).await;
    let tokenless = WebCaller {
        login: admin.login,
        browser: admin.browser.clone(),
        csrf: String::new(),
    };
    let mut accepted = Vec::new();
    for (n, route) in web_routes().iter().enumerate() {
        if !route.starts_with("POST ") || ["POST /login", "POST /logout"].contains(&route.as_str()) {
            continue;
        }
        let status = web_call(app, &f, route, &tokenless, n).await;
        if status != StatusCode::FORBIDDEN {
            accepted.push(format!("{route}: {status}"));
        }
    }
    assert!(accepted.is_empty(), "answered without a token: {accepted:?}");
    // The session itself is untouched: its own token still works.
    let (status, _) = naxian_tests::web::get(&admin.browser, app, "/inbox").await;
    assert_eq!(status, StatusCode::OK);
}

naxian_tests::on_both_backends!(
    every_operation_answers_every_caller_as_the_matrix_says,
    every_web_route_answers_every_caller_as_the_matrix_says,
    every_web_form_refuses_a_post_without_its_token,
);
