//! The engine's error type: the model's refusals, the store's failures and
//! the engine's own checks, in the kinds the server maps to HTTP statuses.

use naxian_model::{ModelError, Problem, Refusal};
use naxian_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: Problem },
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(Refusal),
    #[error("{0}")]
    NotFound(Refusal),
    #[error("{0}")]
    Conflict(Refusal),
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
    NotAllowed(Refusal),
    /// Done too often (an urge more than once a day).
    #[error("{0}")]
    TooMany(Refusal),
    /// The service is at capacity for this kind of work (password checks):
    /// nothing was done; try again shortly.
    #[error("busy: {0}")]
    Busy(String),
    /// The database cannot be reached (the store's error is the cause).
    #[error("the database is unavailable")]
    Unavailable(#[source] StoreError),
    /// The database answered with an error nobody expects.
    #[error("the database failed")]
    Database(#[source] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl EngineError {
    pub fn invalid(field: impl Into<String>, problem: Problem) -> Self {
        EngineError::Invalid {
            field: field.into(),
            problem,
        }
    }
}

impl EngineError {
    /// The error with every cause under it, for the log.
    pub fn detail(&self) -> String {
        let mut out = self.to_string();
        let mut next = std::error::Error::source(self);
        while let Some(cause) = next {
            out.push_str(": ");
            out.push_str(&cause.to_string());
            next = cause.source();
        }
        out
    }
}

impl From<ModelError> for EngineError {
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::Invalid { field, problem } => EngineError::Invalid { field, problem },
            ModelError::NotAllowed(r) | ModelError::Directory(r) => EngineError::NotAllowed(r),
            ModelError::Conflict(r) => EngineError::Conflict(r),
            ModelError::Forbidden(r) => EngineError::Forbidden(r),
        }
    }
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(detail) => EngineError::NotFound(Refusal::Missing { detail }),
            StoreError::Conflict(detail) => EngineError::Conflict(Refusal::Stale { detail }),
            StoreError::DirectoryMoved(m) => EngineError::DirectoryMoved(m),
            e @ StoreError::Unavailable { .. } => EngineError::Unavailable(e),
            e @ StoreError::Database { .. } => EngineError::Database(e),
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
