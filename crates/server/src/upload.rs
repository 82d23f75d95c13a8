//! Reading a `multipart/form-data` upload: its text fields and one file, with
//! a body over the route's limit answered 413 and a malformed one 400.

use crate::error::ApiError;
use axum::extract::multipart::{Multipart, MultipartError};
use axum::http::StatusCode;

/// What a form upload carried.
#[derive(Default)]
pub struct Upload {
    /// Text fields by name, in order.
    pub fields: Vec<(String, String)>,
    /// The file field's (file name, content), if one was sent.
    pub file: Option<(String, Vec<u8>)>,
}

impl Upload {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the file is too large",
        )
    } else {
        ApiError::invalid("file", e.body_text())
    }
}

/// Reads every part; the part named `file_field` is the file.
pub async fn read(mut mp: Multipart, file_field: &str) -> Result<Upload, ApiError> {
    let mut upload = Upload::default();
    while let Some(part) = mp.next_field().await.map_err(error)? {
        let name = part.name().unwrap_or_default().to_string();
        if name == file_field {
            let file_name = part.file_name().unwrap_or_default().to_string();
            let bytes = part.bytes().await.map_err(error)?;
            upload.file = Some((file_name, bytes.to_vec()));
        } else {
            let text = part.text().await.map_err(error)?;
            upload.fields.push((name, text));
        }
    }
    Ok(upload)
}
