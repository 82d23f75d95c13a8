//! The web UI, server-rendered in Chinese: login with database sessions, the
//! inbox, the notices (消息), task pages with their timeline, actions and attachments, the
//! nomination form, the coverage board, reports, campaigns, administration
//! with imports, and downloads as XLSX or CSV.
//! Every form carries the session's CSRF token and is also checked against
//! the request's Origin; GET never changes anything.

mod account;
mod admin;
mod attachments;
mod campaigns;
mod charts;
mod coverage;
mod diagram;
mod exports;
mod form;
mod inbox;
mod layout;
mod liaison;
mod list;
mod login;
mod message;
mod nominate;
mod note;
mod notices;
mod number_table;
mod published;
mod ranking;
mod reports;
mod table;
mod target_tree;
mod task;
mod text;
mod unit;

pub use message::bad_input;
pub use table::attachment as file_download;

use crate::AppState;
use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use naxian_engine::sessions::WebSession;

/// The session cookie's name (with `__Host-` when served over TLS).
pub const COOKIE: &str = "naxian_session";
/// The login form's pre-session cookie: the form's token must match it, so
/// that no other site can log a browser in under an account of its choosing.
pub const LOGIN_COOKIE: &str = "naxian_login";

/// Every page family's routes, and the stylesheet.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/inbox") }))
        .merge(login::router())
        .merge(account::router())
        .merge(inbox::router())
        .merge(notices::router())
        .merge(nominate::router())
        .merge(task::router())
        .merge(attachments::router(state))
        .merge(coverage::router())
        .merge(reports::router())
        .merge(campaigns::router())
        .merge(exports::router())
        .merge(liaison::router())
        .merge(published::router())
        .merge(unit::router())
        .merge(admin::router(state))
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../static/app.js"),
    )
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}

/// Renders a template as an HTML response with `status`.
pub fn page(status: StatusCode, t: impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => crate::request_log::with_detail(
            (StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败").into_response(),
            format!("template failed: {e}"),
        ),
    }
}

/// The value of a cookie in a request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name || k.strip_prefix("__Host-") == Some(name))
        .map(|(_, v)| v)
}

/// A logged-in browser; without a valid session, a redirect to the login page.
pub struct Browser(pub WebSession);

impl FromRequestParts<AppState> for Browser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(value) = cookie(&parts.headers, COOKIE) else {
            return Err(Redirect::to("/login").into_response());
        };
        match state.engine.session(value).await {
            // A password an administrator set is changed before anything else.
            Ok(Some(s)) if s.must_change_password && !parts.uri.path().starts_with("/account") => {
                Err(Redirect::to("/account?must=password").into_response())
            }
            Ok(Some(s)) => Ok(Browser(s)),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(crate::ApiError::from(e).into_response()),
        }
    }
}

/// A form posted from one of the service's own pages by a logged-in
/// browser: its session and its fields, once the form's token and the
/// request's origin passed [`csrf_ok`]; otherwise the refusal page.
pub struct Posted {
    pub session: WebSession,
    pub form: Vec<(String, String)>,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Browser(session) = Browser::from_request_parts(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let Form(form) = Form::<Vec<(String, String)>>::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        if !csrf_ok(&headers, &session, form::field(&form, "csrf").map(str::trim)) {
            return Err(message::forbidden());
        }
        Ok(Posted { session, form })
    }
}

/// A form POST is accepted only with the session's token and, when the
/// browser says where it comes from, from this very site.
pub fn csrf_ok(headers: &HeaderMap, session: &WebSession, token: Option<&str>) -> bool {
    token_ok(headers, Some(&session.csrf), token)
}

/// The same check for a form whose token is `expected` (the session's, or
/// the login form's pre-session cookie).
pub fn token_ok(headers: &HeaderMap, expected: Option<&str>, token: Option<&str>) -> bool {
    let same_origin = match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (Some(origin), Some(host)) => {
            let origin = origin.to_str().unwrap_or("");
            let host = host.to_str().unwrap_or("-");
            origin == format!("http://{host}") || origin == format!("https://{host}")
        }
        (Some(_), None) => false,
        (None, _) => true,
    };
    match (expected, token) {
        (Some(e), Some(t)) => same_origin && !e.is_empty() && constant_time_eq(t.as_bytes(), e.as_bytes()),
        _ => false,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Headers every response carries: a Content-Security-Policy without inline
/// script, no sniffing, no framing.
pub async fn security_headers(
    State(_): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    resp
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    /// The sibling modules each page module names (`super::x`), outside its tests.
    fn imports() -> BTreeMap<String, BTreeSet<String>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
        let files: Vec<_> = std::fs::read_dir(&dir)
            .expect("read src/web")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs") && !p.ends_with("mod.rs"))
            .collect();
        let modules: BTreeSet<String> = files
            .iter()
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        let mut graph = BTreeMap::new();
        for path in &files {
            let text = std::fs::read_to_string(path).expect("read module");
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let mut named = BTreeSet::new();
            for part in code.split("super::").skip(1) {
                // `super::x…`, or each first name of `super::{x…, y…}`.
                let group = match part.strip_prefix('{') {
                    Some(inner) => &inner[..inner.find('}').unwrap_or(inner.len())],
                    None => part,
                };
                let items: Vec<&str> = if part.starts_with('{') {
                    group.split(',').collect()
                } else {
                    vec![group]
                };
                for item in items {
                    let head: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if modules.contains(&head) {
                        named.insert(head);
                    }
                }
            }
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            named.remove(&name);
            graph.insert(name, named);
        }
        graph
    }

    /// A module that reaches itself through what it imports.
    fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
        fn visit(
            at: &str,
            graph: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(start) = path.iter().position(|m| m == at) {
                let mut found = path[start..].to_vec();
                found.push(at.to_string());
                return Some(found);
            }
            if done.contains(at) {
                return None;
            }
            path.push(at.to_string());
            for next in graph.get(at).into_iter().flatten() {
                if let Some(found) = visit(next, graph, path, done) {
                    return Some(found);
                }
            }
            path.pop();
            done.insert(at.to_string());
            None
        }
        let mut done = BTreeSet::new();
        graph
            .keys()
            .find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
    }

    /// Each page family depends on the shared frame (layout, message, form,
    /// text, …) and at most on another family, never back: a change to one
    /// family's page does not reach round into another's.
    #[test]
    fn page_modules_import_each_other_without_a_cycle() {
        let graph = imports();
        assert!(
            graph["task"].contains("layout"),
            "the imports were read: {graph:?}"
        );
        assert_eq!(cycle(&graph), None, "{graph:?}");
    }
}
