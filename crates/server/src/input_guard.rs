//! No text the service takes holds a control character (NUL above all, which
//! PostgreSQL refuses and SQLite would store): JSON strings and keys, the
//! path, query values and form values are checked here, at the edge, before
//! any of it reaches a handler or the database. Line breaks and tabs pass
//! where text may be long (JSON strings, form values); whether a given field
//! may hold them is the workflow model's rule. A path is 404, anything else
//! 400 naming the field.

use crate::error::ApiError;
use crate::BODY_LIMIT;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use naxian_model::fields::has_control;
use serde_json::Value;

/// The first string or key in `value` holding a control character, by path.
pub fn json(value: &Value) -> Result<(), ApiError> {
    match first_control(value, String::new()) {
        None => Ok(()),
        Some(path) => Err(refused(if path.is_empty() { "body".into() } else { path })),
    }
}

fn first_control(value: &Value, path: String) -> Option<String> {
    match value {
        Value::String(s) => has_control(s, true).then_some(path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| first_control(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let at = if path.is_empty() {
                k.escape_debug().to_string()
            } else {
                format!("{path}.{}", k.escape_debug())
            };
            if has_control(k, false) {
                Some(at)
            } else {
                first_control(v, at)
            }
        }),
        _ => None,
    }
}

fn refused(field: String) -> ApiError {
    ApiError::invalid(field, "must not contain control characters")
}

/// Checks the path, the query and a form body of every request.
pub async fn layer(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let path_ok = percent_encoding::percent_decode_str(req.uri().path())
        .decode_utf8()
        .is_ok_and(|p| !has_control(&p, false));
    if !path_ok {
        return ApiError::not_found("no such resource").into_response();
    }
    if let Some(field) = req.uri().query().and_then(|q| pairs_control(q.as_bytes(), false)) {
        return refuse(api, field);
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if !form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the request body is too large",
        )
        .into_response();
    };
    if let Some(field) = pairs_control(&bytes, true) {
        return refuse(api, field);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The first name in URL-encoded pairs whose name or value holds a control
/// character (values may hold line breaks, as a browser sends them, when
/// `multiline`).
fn pairs_control(encoded: &[u8], multiline: bool) -> Option<String> {
    form_urlencoded::parse(encoded).find_map(|(k, v)| {
        let bad = has_control(&k, false) || has_control(&v.replace("\r\n", "\n"), multiline);
        bad.then(|| k.escape_debug().to_string())
    })
}

fn refuse(api: bool, field: String) -> Response {
    if api {
        refused(field).into_response()
    } else {
        crate::web::bad_input()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_first_control_is_named_by_path() {
        assert!(json(&json!({"a": "x\ny\tz", "b": [1, "ok"], "c": {"d": null}})).is_ok());
        let field = |v: Value| json(&v).unwrap_err().field.unwrap();
        assert_eq!(field(json!("a\u{0}")), "body");
        assert_eq!(field(json!({"comment": "a\u{0}b"})), "comment");
        assert_eq!(
            field(json!({"data": {"candidate": {"name": "\u{7f}"}}})),
            "data.candidate.name"
        );
        assert_eq!(field(json!({"items": ["ok", "\u{1b}[31m"]})), "items[1]");
        assert_eq!(field(json!({"data": {"a\u{0}": 1}})), "data.a\\0");
        assert_eq!(field(json!({"x": "\u{85}"})), "x", "C1 controls too");
        assert_eq!(field(json!({"x": "a\rb"})), "x", "a lone carriage return");
    }

    /// Any JSON body, with or without control characters in its strings
    /// and keys: refused exactly when one holds a control character other
    /// than a line break or tab in a string, and then the field named is one
    /// that does.
    mod bodies {
        use super::*;
        use proptest::prelude::*;

        fn text() -> impl Strategy<Value = String> {
            proptest::collection::vec(
                prop_oneof![
                    6 => proptest::char::range('a', 'z'),
                    2 => proptest::char::range('\u{4e00}', '\u{4e20}'),
                    1 => proptest::char::range('\u{0}', '\u{1f}'),
                    1 => Just('\u{7f}'),
                ],
                0..6,
            )
            .prop_map(|c| c.into_iter().collect())
        }

        fn body() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<i32>().prop_map(Value::from),
                text().prop_map(Value::String),
            ];
            leaf.prop_recursive(4, 32, 4, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    proptest::collection::btree_map(text(), inner, 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        /// Every (path, text, is_key) in the value, paths as the guard names them.
        fn texts(v: &Value, path: &str, out: &mut Vec<(String, String, bool)>) {
            match v {
                Value::String(s) => out.push((path.to_string(), s.clone(), false)),
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        texts(item, &format!("{path}[{i}]"), out);
                    }
                }
                Value::Object(m) => {
                    for (k, item) in m {
                        let at = if path.is_empty() {
                            k.escape_debug().to_string()
                        } else {
                            format!("{path}.{}", k.escape_debug())
                        };
                        out.push((at.clone(), k.clone(), true));
                        texts(item, &at, out);
                    }
                }
                _ => {}
            }
        }

        proptest! {
            #[test]
            fn refused_exactly_when_a_text_holds_a_control(v in body()) {
                let mut all = Vec::new();
                texts(&v, "", &mut all);
                let bad: Vec<String> = all
                    .iter()
                    .filter(|(_, t, key)| {
                        t.chars().any(|c| c.is_control() && (*key || !matches!(c, '\n' | '\t')))
                    })
                    .map(|(p, _, _)| if p.is_empty() { "body".to_string() } else { p.clone() })
                    .collect();
                let raw = serde_json::to_vec(&v).unwrap();
                match crate::json::parse::<Value>(&raw) {
                    Ok(parsed) => {
                        prop_assert!(bad.is_empty(), "accepted {v} with {bad:?}");
                        prop_assert_eq!(parsed, v);
                    }
                    Err(e) => {
                        prop_assert_eq!(e.status, StatusCode::BAD_REQUEST);
                        let field = e.field.unwrap();
                        prop_assert!(bad.contains(&field), "named {field}, bad are {bad:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn query_and_form_pairs() {
        assert_eq!(pairs_control(b"a=1&b=x%20y", false), None);
        assert_eq!(pairs_control(b"a=1&under=JN%00", false).as_deref(), Some("under"));
        assert_eq!(
            pairs_control(b"comment=a%0D%0Ab", false).as_deref(),
            Some("comment")
        );
        assert_eq!(pairs_control(b"comment=a%0D%0Ab%09c", true), None);
        assert_eq!(pairs_control(b"login=a%00", true).as_deref(), Some("login"));
    }
}
