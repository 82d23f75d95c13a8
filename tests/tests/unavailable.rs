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
