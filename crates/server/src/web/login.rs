//! Logging in and out: the login form with its pre-session token, the
//! session cookie, and the throttled password check.

use super::layout::Nav;
use super::message::forbidden;
use super::{cookie, csrf_ok, page, token_ok, Browser, COOKIE, LOGIN_COOKIE};
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "login/login.html")]
struct LoginPage {
    nav: Option<Nav>,
    error: Option<String>,
    login: String,
    csrf: String,
}

/// How long a login form stays good for.
const LOGIN_FORM_SECONDS: i64 = 2 * 60 * 60;

/// The login page with a fresh pre-session token, in its cookie and its form.
fn login_page(s: &AppState, status: StatusCode, error: Option<String>, login: String) -> Response {
    let token = naxian_engine::sessions::random_token();
    let cookie = named_cookie(LOGIN_COOKIE, &token, LOGIN_FORM_SECONDS, s.secure_cookies);
    let mut resp = page(
        status,
        LoginPage {
            nav: None,
            error,
            login,
            csrf: token,
        },
    );
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

pub async fn login_form(State(s): State<AppState>) -> Response {
    login_page(&s, StatusCode::OK, None, String::new())
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    csrf: Option<String>,
}

/// A cookie of this site: HttpOnly and SameSite=Lax always; over TLS also
/// Secure, with the `__Host-` prefix that pins it to this host and path.
fn named_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    if secure {
        format!("__Host-{name}={value}; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age={max_age}")
    } else {
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}")
    }
}

/// The session cookie.
pub fn session_cookie(value: &str, max_age: i64, secure: bool) -> String {
    named_cookie(COOKIE, value, max_age, secure)
}

pub async fn login(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    // Checked before the password: a forged login form learns nothing.
    if !token_ok(&headers, cookie(&headers, LOGIN_COOKIE), f.csrf.as_deref()) {
        return login_page(
            &s,
            StatusCode::FORBIDDEN,
            Some("登录页面已过期或来源不明，请重新输入登录名和密码。".into()),
            f.login,
        );
    }
    match s
        .engine
        .open_session(f.login.trim(), &f.password, &addr.ip().to_string())
        .await
    {
        Ok(id) => {
            let session = session_cookie(
                &id,
                naxian_engine::sessions::ABSOLUTE.num_seconds(),
                s.secure_cookies,
            );
            let spent = named_cookie(LOGIN_COOKIE, "", 0, s.secure_cookies);
            let mut resp = Redirect::to("/inbox").into_response();
            for c in [session, spent] {
                if let Ok(v) = header::HeaderValue::from_str(&c) {
                    resp.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            resp
        }
        Err(e) => {
            let (status, code) = crate::status_of(&e);
            let error = match code {
                "too_many" => "登录失败次数过多，请15分钟后再试。",
                "busy" => "系统繁忙，请稍后再试。",
                _ if status.is_server_error() => "系统暂时无法使用，请稍后再试。",
                _ => "登录名或密码错误。",
            };
            let status = if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                status
            } else {
                StatusCode::UNAUTHORIZED
            };
            let response = login_page(&s, status, Some(error.into()), f.login);
            if status.is_server_error() {
                crate::request_log::with_detail(response, e.detail())
            } else {
                response
            }
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

pub async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    Browser(w): Browser,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if !csrf_ok(&headers, &w, f.csrf.as_deref()) {
        return forbidden();
    }
    if let Some(v) = cookie(&headers, COOKIE) {
        let _ = s.engine.close_session(v).await;
    }
    (
        [(header::SET_COOKIE, session_cookie("", 0, s.secure_cookies))],
        Redirect::to("/login"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn secure_cookies_are_host_bound() {
        let c = super::session_cookie("abc", 60, true);
        assert!(
            c.starts_with("__Host-naxian_session=abc;") && c.contains("; Secure;") && c.contains("HttpOnly")
        );
        let c = super::session_cookie("abc", 60, false);
        assert!(c.starts_with("naxian_session=abc;") && !c.contains("Secure"));
    }
}
