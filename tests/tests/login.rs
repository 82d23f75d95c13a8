//! Both doors a password goes through — `POST /api/v1/auth/token` and the
//! web login — share one throttle per account and per address, counted in
//! the database before the password is checked, so that attempts arriving at
//! once are never more than the limit; and the login form cannot be posted
//! from another site.

use futures::future::join_all;
use naxian_tests::web::{browser, csrf, get, post_login};
use naxian_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::json;

/// Posts the login form of `c` with the demo password, this `csrf` token
/// and, if given, an Origin header.
async fn post_form(
    c: &reqwest::Client,
    app: &TestApp,
    csrf: &str,
    origin: Option<&str>,
) -> reqwest::Response {
    let mut req = c.post(app.url("/login"));
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    req.form(&[
        ("login", "jn-py-org"),
        ("password", "naxian-demo"),
        ("csrf", csrf),
    ])
    .send()
    .await
    .unwrap()
}

async fn token_status(app: &TestApp, login: &str, password: &str) -> StatusCode {
    app.send(
        None,
        "POST",
        "/api/v1/auth/token",
        Some(json!({"login": login, "password": password})),
    )
    .await
    .0
}

/// Five wrong passwords, then the right one: refused, on the web and over the API.
async fn web_login_is_throttled_per_account_with_a_generic_message(app: &TestApp) {
    let c = browser();
    for _ in 0..5 {
        let r = post_login(&c, app, "jn-py-org", "wrong-password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.text().await.unwrap().contains("登录名或密码错误"));
    }
    let r = post_login(&c, app, "jn-py-org", "naxian-demo").await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert!(r.text().await.unwrap().contains("登录失败次数过多"));
    assert_eq!(
        token_status(app, "jn-py-org", "naxian-demo").await,
        StatusCode::TOO_MANY_REQUESTS,
        "the API's door is the same door"
    );
    assert_eq!(
        token_status(app, "JN-PY-ORG", "naxian-demo").await,
        StatusCode::TOO_MANY_REQUESTS,
        "whatever the login's case"
    );
    // An unknown login gets the same answer as a wrong password.
    let r = post_login(&c, app, "nobody", "x").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // After the window the account opens again, and a new session id is issued at each login.
    app.clock.set(app.clock_now() + chrono::Duration::minutes(16));
    let first = post_login(&browser(), app, "jn-py-org", "naxian-demo").await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let second = post_login(&browser(), app, "jn-py-org", "naxian-demo").await;
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_ne!(first.headers()["set-cookie"], second.headers()["set-cookie"]);
}

/// Thirty wrong passwords over the API, then the right one: refused, and the web login too.
async fn the_token_endpoint_is_throttled(app: &TestApp) {
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(token_status(app, "jn-py-edu", "wrong-password").await);
    }
    assert_eq!(&statuses[..5], [StatusCode::UNAUTHORIZED; 5]);
    assert!(
        statuses[5..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let (status, body) = app
        .send(
            None,
            "POST",
            "/api/v1/auth/token",
            Some(json!({"login": "jn-py-edu", "password": "naxian-demo"})),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "too_many");
    let r = post_login(&browser(), app, "jn-py-edu", "naxian-demo").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    // A new window: twenty failures from one address, each on another
    // login, close the address to every account.
    app.clock.set(app.clock_now() + chrono::Duration::minutes(16));
    for i in 0..20 {
        assert_eq!(
            token_status(app, &format!("guess-{i}"), "wrong-password").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        token_status(app, "jn-py-health", "naxian-demo").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Forty wrong passwords at once on one account, the right one among them:
/// no more than five are checked, and the account does not open.
async fn simultaneous_attempts_check_at_most_the_limit(app: &TestApp) {
    let web = join_all((0..40).map(|i| async move {
        let c = browser();
        let password = if i == 20 { "naxian-demo" } else { "wrong-password" };
        post_login(&c, app, "jn-py-agri", password).await.status()
    }))
    .await;
    let checked = web
        .iter()
        .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(checked <= 5, "at most the limit are checked on the web: {web:?}");
    assert!(
        web.iter().all(|s| [
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::SEE_OTHER
        ]
        .contains(s)),
        "{web:?}"
    );
    app.clock.set(app.clock_now() + chrono::Duration::minutes(16));
    let api = join_all((0..40).map(|i| async move {
        let password = if i == 20 { "naxian-demo" } else { "wrong-password" };
        token_status(app, "jn-py-sec", password).await
    }))
    .await;
    let checked = api
        .iter()
        .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        checked <= 5,
        "at most the limit are checked over the API: {api:?}"
    );
    // The wrong ones alone, in a new window, as many as the address allows:
    // exactly the limit get an answer about the password.
    app.clock.set(app.clock_now() + chrono::Duration::minutes(16));
    let wrong = join_all((0..20).map(|_| token_status(app, "jn-py-mg-sec", "wrong-password"))).await;
    assert_eq!(
        wrong.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count(),
        5,
        "{wrong:?}"
    );
    assert_eq!(
        token_status(app, "jn-py-mg-sec", "naxian-demo").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// A login form posted without its token, with another page's token, or
/// from another site logs nobody in.
async fn the_login_form_is_bound_to_its_cookie(app: &TestApp) {
    let no_token = browser()
        .post(app.url("/login"))
        .form(&[("login", "jn-py-org"), ("password", "naxian-demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    assert!(
        no_token
            .headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("naxian_session=")),
        "no session without the form's token"
    );
    assert!(no_token
        .text()
        .await
        .unwrap()
        .contains("登录页面已过期或来源不明"));

    // A token read by another browser does not match this one's cookie.
    let (_, other_page) = get(&browser(), app, "/login").await;
    let c = browser();
    let (_, _own) = get(&c, app, "/login").await;
    let r = post_form(&c, app, &csrf(&other_page), None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The right token, but posted from another site.
    let (_, page) = get(&c, app, "/login").await;
    let r = post_form(&c, app, &csrf(&page), Some("http://attacker.example")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The same form from this site logs in, and spends the pre-session cookie.
    let (_, page) = get(&c, app, "/login").await;
    let r = post_form(&c, app, &csrf(&page), Some(app.base.as_str())).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_string())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("naxian_session=")),
        "{cookies:?}"
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("naxian_login=;")),
        "{cookies:?}"
    );
}

on_both_backends!(
    web_login_is_throttled_per_account_with_a_generic_message,
    the_token_endpoint_is_throttled,
    simultaneous_attempts_check_at_most_the_limit,
    the_login_form_is_bound_to_its_cookie,
);
