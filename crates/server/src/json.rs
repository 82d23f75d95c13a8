//! A JSON body extractor that is strict about what it takes: the
//! `application/json` content type (415 otherwise), exactly one JSON value
//! (trailing data is 400), no control characters in any string or key (400
//! naming the field), and rejections that name the field (via
//! serde_path_to_error); 413 for bodies over the limit.

use crate::error::ApiError;
use crate::input_guard;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(not_json());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "the request body is too large",
                )
            } else {
                ApiError::invalid("body", r.body_text())
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

impl<T: DeserializeOwned> ApiJson<T> {
    /// The same checks on a body already read, for a handler that also
    /// takes other types of body.
    pub fn from_parts(headers: &HeaderMap, body: &[u8]) -> Result<Self, ApiError> {
        if !is_json(headers) {
            return Err(not_json());
        }
        parse(body).map(ApiJson)
    }
}

fn not_json() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "the body must be sent as `Content-Type: application/json`",
    )
}

/// Whether the request says its body is JSON (`application/json`, with any
/// parameters such as `charset=utf-8`).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = document(bytes)?;
    input_guard::json(&value)?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // A missing field is reported at its parent; name the field itself.
        let field = match message
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            Some(name) if path == "." => name.to_string(),
            Some(name) => format!("{path}.{name}"),
            None if path == "." => "body".to_string(),
            None => path,
        };
        ApiError::invalid(field, message)
    })
}

/// The one JSON value the body holds; anything after it but white space is
/// refused.
fn document(bytes: &[u8]) -> Result<Value, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde::Deserialize::deserialize(&mut de).map_err(|e: serde_json::Error| {
        let message = e.to_string();
        ApiError::invalid("body", message.split(" at line ").next().unwrap_or(&message))
    })?;
    de.end()
        .map_err(|_| ApiError::invalid("body", "must be one JSON value with nothing after it"))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        name: String,
    }

    #[test]
    fn trailing_data_is_refused() {
        assert!(parse::<Body>(br#"{"name":"a"}"#).is_ok());
        assert!(parse::<Body>(b"{\"name\":\"a\"}\n  ").is_ok());
        let e = parse::<Body>(br#"{"name":"a"}garbage"#).unwrap_err();
        assert_eq!(
            (e.status, e.field.as_deref()),
            (StatusCode::BAD_REQUEST, Some("body"))
        );
        assert!(parse::<Body>(br#"{"name":"a"}{"name":"b"}"#).is_err());
    }

    #[test]
    fn fields_are_named() {
        let e = parse::<Body>(br#"{}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        let e = parse::<Body>(br#"{"name":7}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        let e = parse::<Body>(br#"{"name":"a\u0000b"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
    }

    #[test]
    fn only_json_is_json() {
        let mut h = HeaderMap::new();
        assert!(!is_json(&h));
        for (v, ok) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
            ("multipart/form-data; boundary=x", false),
            ("application/jsonx", false),
        ] {
            h.insert(header::CONTENT_TYPE, v.parse().unwrap());
            assert_eq!(is_json(&h), ok, "{v}");
        }
    }
}
