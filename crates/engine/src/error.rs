//! The engine's error type: the model's refusals, the store's failures and
//! the engine's own checks, in the kinds the server maps to HTTP statuses.

use naxian_model::ModelError;
use naxian_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The directory changed while a transition was decided; deciding it
    /// again on a fresh read is right (the engine does, a few times).
    #[error("the directory changed while this was decided: {0}")]
    DirectoryMoved(String),
    /// Another transition of the instance was written after this one was
    /// decided; the engine decides it again on a fresh read a few times, and
    /// only then reports a [`EngineError::Conflict`].
    #[error("the instance changed while this was decided: {0}")]
    InstanceMoved(String),
    #[error("{0}")]
    NotAllowed(String),
    /// Done too often (an urge more than once a day).
    #[error("{0}")]
    TooMany(String),
    /// The service is at capacity for this kind of work (password checks):
    /// nothing was done; try again shortly.
    #[error("busy: {0}")]
    Busy(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl EngineError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        EngineError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<ModelError> for EngineError {
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::Invalid { field, message } => EngineError::Invalid { field, message },
            ModelError::NotAllowed(m) => EngineError::NotAllowed(m),
            ModelError::Conflict(m) => EngineError::Conflict(m),
            ModelError::Forbidden(m) => EngineError::Forbidden(m),
            ModelError::Directory(m) => EngineError::NotAllowed(format!("the directory is incomplete: {m}")),
        }
    }
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => EngineError::NotFound(m),
            StoreError::Conflict(m) => EngineError::Conflict(m),
            StoreError::DirectoryMoved(m) => EngineError::DirectoryMoved(m),
            StoreError::Unavailable(m) => EngineError::Unavailable(m),
            StoreError::Database(m) => EngineError::Internal(m),
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
