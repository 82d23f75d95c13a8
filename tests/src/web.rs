//! What the web tests do as a browser would over HTTP: keep cookies, follow
//! no redirects, log in with the demo password, read a page's CSRF token.

use crate::TestApp;
use reqwest::{redirect::Policy, Client, StatusCode};

pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

pub async fn login(app: &TestApp, login: &str) -> Client {
    let c = browser();
    let resp = post_login(&c, app, login, "naxian-demo").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "login {login}");
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    c
}

/// Opens the login page (which sets its pre-session cookie in `c`) and sends
/// its form with these credentials.
pub async fn post_login(c: &Client, app: &TestApp, login: &str, password: &str) -> reqwest::Response {
    let (status, page) = get(c, app, "/login").await;
    assert_eq!(status, StatusCode::OK);
    c.post(app.url("/login"))
        .form(&[("login", login), ("password", password), ("csrf", &csrf(&page))])
        .send()
        .await
        .unwrap()
}

pub async fn get(c: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The CSRF token on a page.
pub fn csrf(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").expect("a form with a token") + 19;
    html[i..i + 64].to_string()
}

pub fn task_links(html: &str) -> Vec<String> {
    html.split("href=\"/tasks/")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}
