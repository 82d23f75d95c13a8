//! The errors the model returns when it refuses an action or input.

use thiserror::Error;

/// Why the model refused a command. Each kind maps to one HTTP status at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModelError {
    /// Malformed or invalid input; `field` names the offending field.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The action is not one the current step allows.
    #[error("{0}")]
    NotAllowed(String),
    /// The task is already done or the instance has moved on.
    #[error("{0}")]
    Conflict(String),
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The directory lacks something the workflow needs (e.g. a department).
    #[error("{0}")]
    Directory(String),
}

impl ModelError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
