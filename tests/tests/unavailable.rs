//! With its database gone the service answers 503 in the API's error shape,
//! `/readyz` says so, `/healthz` stays up, and it recovers, reads and
//! writes, when the database is back. PostgreSQL is reached through a relay the test cuts.

use naxian_tests::{nomination, Backend, TcpRelay, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_unavailable_is_503_not_500() {
    let proxy = TcpRelay::start("127.0.0.1:5432".parse().unwrap()).await;
    let app = TestApp::spawn_via(Backend::Postgres, Some(&proxy)).await;
    let nominator = app.token("jn-py-nominator").await;
    app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;

    proxy.cut();
    let (status, body) = app.send(Some(&nominator), "GET", "/api/v1/tasks", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
    let (status, body) = app
        .send(
            Some(&nominator),
            "POST",
            "/api/v1/instances",
            Some(json!({"workflow": "sanzhang-appointment", "data": nomination("JN-PY-MG", "health")})),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    proxy.restore();
    let (status, body) = app.send(Some(&nominator), "GET", "/api/v1/tasks", None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "recovers once the database is back: {body}"
    );
    assert_eq!(
        body.as_array().unwrap().len(),
        1,
        "nothing was written while it was away"
    );
    // Writes go through connections kept out of the pool: the broken ones
    // are found and replaced, and the first write after the outage succeeds.
    app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let tasks = app.get(&nominator, "/api/v1/tasks").await;
    assert_eq!(tasks.as_array().unwrap().len(), 2, "{tasks}");
    app.stop().await;
}

/// When the network to PostgreSQL stops passing bytes but keeps its
/// connections open, requests in flight and new ones are answered 503
/// within the request deadline, `/readyz` within its own, and the service
/// works again once bytes flow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_database_is_answered_within_seconds() {
    let proxy = TcpRelay::start("127.0.0.1:5432".parse().unwrap()).await;
    let app = TestApp::spawn_configured(Backend::Postgres, Some(&proxy), |c| {
        c.server.request_timeout_seconds = 3;
    })
    .await;
    let nominator = app.token("jn-py-nominator").await;
    app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;

    // Past this a request is taken as hung (and the test fails, not hangs).
    const WAIT: std::time::Duration = std::time::Duration::from_secs(8);
    proxy.freeze();
    let started = std::time::Instant::now();
    let timed = |path: &'static str, body: Option<serde_json::Value>| {
        let method = if body.is_some() { "POST" } else { "GET" };
        let (app, nominator) = (&app, &nominator);
        async move {
            let t = std::time::Instant::now();
            let (status, body) = tokio::time::timeout(WAIT, app.send(Some(nominator), method, path, body))
                .await
                .unwrap_or_else(|_| panic!("{path}: no answer within {WAIT:?}"));
            (status, body, t.elapsed())
        }
    };
    let ready = async {
        let t = std::time::Instant::now();
        let r = tokio::time::timeout(WAIT, app.client.get(app.url("/readyz")).send())
            .await
            .expect("/readyz answers")
            .unwrap();
        (r.status(), t.elapsed())
    };
    let ((tasks, tasks_body, tasks_took), (start, start_body, start_took), (ready, ready_took)) = tokio::join!(
        timed("/api/v1/tasks", None),
        timed(
            "/api/v1/instances",
            Some(json!({"workflow": "sanzhang-appointment", "data": nomination("JN-PY-MG", "health")}))
        ),
        ready,
    );
    assert_eq!(tasks, StatusCode::SERVICE_UNAVAILABLE, "{tasks_body}");
    assert_eq!(tasks_body["error"]["code"], "unavailable");
    assert_eq!(start, StatusCode::SERVICE_UNAVAILABLE, "{start_body}");
    assert!(tasks_took < std::time::Duration::from_secs(5), "{tasks_took:?}");
    assert!(start_took < std::time::Duration::from_secs(5), "{start_took:?}");
    assert_eq!(ready, StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready_took < std::time::Duration::from_secs(3), "{ready_took:?}");
    // Still frozen: the next request does not wait behind the first ones.
    let (status, _, took) = timed("/api/v1/tasks", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    proxy.thaw();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (status, body) = app.send(Some(&nominator), "GET", "/api/v1/tasks", None).await;
        if status == StatusCode::OK {
            assert_eq!(
                body.as_array().unwrap().len(),
                1,
                "nothing was written while frozen: {body}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not back 30 s after the thaw: {status} {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    app.stop().await;
}
