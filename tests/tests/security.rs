//! Hostile input: script in every text field the UI shows, SQL
//! metacharacters in every text field, line breaks meant to forge e-mail
//! headers, oversize bodies, and a session id chosen by an attacker before
//! login. Each is refused or stored verbatim and rendered inert.

use naxian_tests::web::{browser, csrf, get, login, task_links};
use naxian_tests::{nomination, on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::json;

/// One payload per text field of the nomination (each within the field's length).
const XSS: &[(&str, &str)] = &[
    ("candidate.name", "<script>alert(1)</script>"),
    ("candidate.employer", "<img src=x onerror=alert(2)>"),
    ("candidate.position", "\"><svg onload=alert(3)>"),
    ("candidate.title", "'><iframe src=javascript:alert(4)>"),
    ("reason", "</textarea><script>alert(5)</script>&amp;"),
];

const SQL: &[(&str, &str)] = &[
    ("candidate.name", "O'Brien'); DROP TABLE instances;--"),
    ("candidate.employer", "\" OR \"1\"=\"1"),
    ("candidate.position", "1; DELETE FROM users"),
    ("candidate.title", "%_\\' --"),
    ("reason", "'; UPDATE tasks SET status='done' WHERE '1'='1"),
];

fn with(payloads: &[(&str, &str)]) -> serde_json::Value {
    let mut data = nomination("JN-PY-MG", "health");
    for (path, value) in payloads {
        naxian_model::fields::set_path(&mut data, path, json!(value));
    }
    data
}

async fn script_is_inert(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, with(XSS)).await;
    let id = inst["id"].as_str().unwrap();
    let comment = "<script>alert(6)</script>";
    let (status, _) = app
        .send(
            Some(&nominator),
            "POST",
            &format!(
                "/api/v1/tasks/{}/actions",
                app.task_of(&nominator, id).await["id"].as_str().unwrap()
            ),
            Some(json!({"action": "submit", "comment": comment})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let org = login(app, "jn-py-org").await;
    let (_, inbox) = get(&org, app, "/inbox").await;
    let (_, page) = get(&org, app, &format!("/tasks/{}", task_links(&inbox)[0])).await;
    let own = login(app, "jn-py-nominator").await;
    let (_, mine) = get(&own, app, "/nominations").await;
    for (where_, html) in [("inbox", &inbox), ("task page", &page), ("my nominations", &mine)] {
        for (_, payload) in XSS.iter().chain([("comment", comment)].iter()) {
            assert!(!html.contains(payload), "{payload} raw on the {where_}");
        }
        assert!(!html.contains("<script>alert"), "{where_}: {html}");
        assert!(!html.contains("<img src=x onerror"), "{where_}: {html}");
    }
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "shown, escaped: {page}"
    );
    assert!(page.contains("&#60;img src=x onerror=alert(2)&#62;"));
}

async fn sql_is_data(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, with(SQL)).await;
    let id = inst["id"].as_str().unwrap();
    let back = app.get(&nominator, &format!("/api/v1/instances/{id}")).await;
    for (path, value) in SQL {
        let got = naxian_model::fields::get_path(&back["data"], path).cloned();
        assert_eq!(got, Some(json!(value)), "{path} stored verbatim");
    }
    // The tables are all there and untouched.
    let list = app.get(&nominator, "/api/v1/instances").await;
    assert!(!list["items"].as_array().unwrap().is_empty(), "{list}");
    let tasks = app.get(&nominator, "/api/v1/tasks").await;
    assert_eq!(
        tasks.as_array().unwrap().len(),
        1,
        "only the drafting task is open: {tasks}"
    );
    let (status, _) = app
        .send(
            Some(&nominator),
            "GET",
            "/api/v1/instances?status=active'%20OR%20'1'='1",
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a query parameter is checked, not spliced"
    );
}

async fn header_injection_is_refused(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    for (path, value) in [
        ("candidate.email", "wang@example.cn\r\nBcc: all@example.com"),
        ("candidate.name", "王卫东\r\nSubject: 中奖"),
        ("candidate.employer", "卫生院\nBcc: all@example.com"),
    ] {
        let (status, body) = app
            .send(
                Some(&nominator),
                "POST",
                "/api/v1/instances",
                Some(json!({"workflow": "sanzhang-appointment", "data": with(&[(path, value)])})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["field"], format!("data.{path}"), "{body}");
    }
    let admin = app.token("admin").await;
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/users",
            Some(json!({"login": "x1", "name": "某人", "email": "x@example.cn\r\nBcc: y@example.cn", "password": "Chushi-2026"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("email"))
    );
    let list = app.get(&nominator, "/api/v1/instances").await;
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "nothing was started"
    );
}

/// NUL and other control characters, wherever the API takes text: a 400
/// naming the field (404 for a path), the same on both databases, and
/// nothing changed.
async fn control_characters_are_bad_input(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let (status, body) = app
        .send(
            None,
            "POST",
            "/api/v1/auth/token",
            Some(json!({"login": "jn-py-\u{0}org", "password": "naxian-demo"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("login")),
        "{body}"
    );
    for (path, value) in [
        ("candidate.name", "王\u{0}卫东"),
        ("candidate.employer", "卫生院\u{1b}[2J"),
        ("reason", "理由\u{0}"),
    ] {
        let (status, body) = app
            .send(
                Some(&nominator),
                "POST",
                "/api/v1/instances",
                Some(json!({"workflow": "sanzhang-appointment", "data": with(&[(path, value)])})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["field"], format!("data.{path}"), "{body}");
    }
    let list = app.get(&nominator, "/api/v1/instances").await;
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "nothing was started"
    );

    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let id = inst["id"].as_str().unwrap().to_string();
    app.act(&nominator, &id, "submit", json!({})).await;
    let org = app.token("jn-py-org").await;
    let (status, body) = app
        .try_act(&org, &id, "object", json!({"comment": "不同意\u{0}"}))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("comment")),
        "{body}"
    );
    let task = app.task_of(&org, &id).await;
    assert_eq!(task["status"], "open", "the task is still to do");

    for path in [
        format!("/api/v1/instances/{id}%00"),
        "/api/v1/org-units/JN-PY%00".to_string(),
        format!("/api/v1/tasks/%01{}", task["id"].as_str().unwrap()),
    ] {
        let (status, body) = app.send(Some(&org), "GET", &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    let (status, body) = app
        .send(Some(&nominator), "GET", "/api/v1/coverage?under=JN%00", None)
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("under")),
        "{body}"
    );
    // The web login form too.
    let r = browser()
        .post(app.url("/login"))
        .form(&[("login", "jn-py-org\0"), ("password", "naxian-demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("控制字符"));
    let history = app.get(&org, &format!("/api/v1/instances/{id}")).await["history"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(history, 2, "create and submit only");
}

/// A JSON route takes one JSON value sent as JSON: trailing data is 400,
/// another content type 415, and neither starts anything.
async fn json_bodies_are_strict(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let body =
        json!({"workflow": "sanzhang-appointment", "data": nomination("JN-PY-MG", "health")}).to_string();
    let post = |content_type: &'static str, raw: String| {
        app.client
            .post(app.url("/api/v1/instances"))
            .bearer_auth(&nominator)
            .header("content-type", content_type)
            .body(raw)
            .send()
    };
    let r = post("application/json", format!("{body}garbage")).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["error"]["field"], "body", "{e}");
    let r = post("application/json", format!("{body}{body}")).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let r = post(content_type, body.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(e["error"]["code"], "unsupported_media_type", "{e}");
    }
    let list = app.get(&nominator, "/api/v1/instances").await;
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "nothing was started"
    );
    let r = post("application/json; charset=utf-8", format!("{body}\n"))
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "white space after the value is fine"
    );
}

/// History is append-only in the database itself: an UPDATE, a DELETE and
/// (PostgreSQL) a TRUNCATE by hand are refused and change nothing.
async fn history_is_append_only(app: &TestApp) {
    use sqlx::Connection;
    let nominator = app.token("jn-py-nominator").await;
    let id = app.in_consultation(&nominator).await;
    let mut statements = vec![
        "UPDATE history SET comment = 'rewritten'".to_string(),
        "DELETE FROM history".to_string(),
        format!("DELETE FROM history WHERE instance_id = '{id}' AND seq = 2"),
    ];
    let postgres = app.database_url.starts_with("postgres");
    if postgres {
        statements.push("TRUNCATE history".into());
        statements.push("TRUNCATE history CASCADE".into());
    }
    for sql in &statements {
        let refused = if postgres {
            let mut c = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.err()
        } else {
            let mut c = sqlx::SqliteConnection::connect(&app.database_url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.err()
        };
        let refused = refused.unwrap_or_else(|| panic!("`{sql}` was allowed"));
        assert!(refused.to_string().contains("append-only"), "{sql}: {refused}");
    }
    let inst = app.get(&nominator, &format!("/api/v1/instances/{id}")).await;
    assert_eq!(inst["history"].as_array().unwrap().len(), 2, "nothing changed");
    assert!(app.engine.verify_audit().await.unwrap().broken.is_none());
}

on_both_backends!(
    history_is_append_only,
    script_is_inert,
    sql_is_data,
    header_injection_is_refused,
    control_characters_are_bad_input,
    json_bodies_are_strict,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_bodies_are_413_and_change_nothing() {
    let app = TestApp::spawn(naxian_tests::Backend::Sqlite).await;
    let nominator = app.token("jn-py-nominator").await;
    let mut data = nomination("JN-PY-MG", "health");
    data["padding"] = json!("x".repeat(2 * 1024 * 1024));
    let (status, body) = app
        .send(
            Some(&nominator),
            "POST",
            "/api/v1/instances",
            Some(json!({"workflow": "sanzhang-appointment", "data": data})),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let list = app.get(&nominator, "/api/v1/instances").await;
    assert!(list["items"].as_array().unwrap().is_empty());
    // The login form too.
    let r = browser()
        .post(app.url("/login"))
        .form(&[("login", "x".repeat(2 * 1024 * 1024)), ("password", "y".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_id_planted_before_login_is_never_used() {
    let app = TestApp::spawn(naxian_tests::Backend::Sqlite).await;
    let planted = "a".repeat(64);
    let form = browser().get(app.url("/login")).send().await.unwrap();
    let pre = form.headers()["set-cookie"].to_str().unwrap().to_string();
    let pre = pre.split(';').next().unwrap().to_string();
    let token = csrf(&form.text().await.unwrap());
    let r = browser()
        .post(app.url("/login"))
        .header("cookie", format!("naxian_session={planted}; {pre}"))
        .form(&[
            ("login", "jn-py-org"),
            ("password", "naxian-demo"),
            ("csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(!set.contains(&planted), "a new id is issued: {set}");
    // The planted id opens nothing.
    let r = browser()
        .get(app.url("/inbox"))
        .header("cookie", format!("naxian_session={planted}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "back to the login page");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_of_a_candidates_record_is_logged() {
    let app = TestApp::spawn(naxian_tests::Backend::Sqlite).await;
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let id = inst["id"].as_str().unwrap().to_string();
    app.act(&nominator, &id, "submit", json!({})).await;
    app.get(&nominator, &format!("/api/v1/instances/{id}")).await;
    let org = login(&app, "jn-py-org").await;
    let (_, inbox) = get(&org, &app, "/inbox").await;
    let (status, _) = get(&org, &app, &format!("/tasks/{}", task_links(&inbox)[0])).await;
    assert_eq!(status, StatusCode::OK);
    // A refused read is not a read.
    let other = app.token("qd-nominator").await;
    let (status, _) = app
        .send(Some(&other), "GET", &format!("/api/v1/instances/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let admin = app.token("admin").await;
    let log = app
        .get(&admin, &format!("/api/v1/instances/{id}/access-log"))
        .await;
    let reads: Vec<(String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["login"].as_str().unwrap().into(),
                r["what"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        reads,
        [
            ("jn-py-org".to_string(), "page".to_string()),
            ("jn-py-nominator".into(), "api".into())
        ],
        "newest first"
    );
    let (status, _) = app
        .send(
            Some(&nominator),
            "GET",
            &format!("/api/v1/instances/{id}/access-log"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "for administrators only");
    app.stop().await;
}
