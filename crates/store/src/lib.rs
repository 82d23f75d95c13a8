//! Persistence for Naxian: the [`Store`] every backend implements, made of
//! one trait per area (the directory, sessions, instances, schedules, the
//! outbox, attachments, reports), the records it reads and writes, its
//! error type and the SQL shared by the SQL backends ([`sql_store!`]). What every backend must do is checked by the
//! `naxian-store-conformance` suite, run by each backend's tests.

mod attachments;
mod change_document;
mod directory;
pub mod inbox;
mod instances;
mod outbox;
mod records;
mod reports;
mod schedules;
mod sessions;
pub mod sql;

pub use attachments::AttachmentStore;
pub use change_document::change_document;
pub use directory::DirectoryStore;
pub use instances::InstanceStore;
pub use outbox::OutboxStore;
pub use records::*;
pub use reports::ReportStore;
pub use schedules::ScheduleStore;
pub use sessions::SessionStore;

/// Records a request's response under its key (status, body, login, key),
/// after the request or in the transaction of the change it made.
pub const IDEMPOTENCY_DONE: &str =
    "UPDATE idempotency SET status = $1, body = $2 WHERE login = $3 AND key = $4";

use async_trait::async_trait;
use naxian_model::machine::TaskStatus;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A row the operation needs does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A unique key already holds this, or the row changed since it was read.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The directory's generation moved on after the change was decided
    /// (`Change::expected_generation`): decide again on a fresh read.
    #[error("the directory changed: {0}")]
    DirectoryMoved(String),
    /// The database cannot be reached.
    #[error("database unavailable: {message}")]
    Unavailable {
        message: String,
        #[source]
        cause: Option<Cause>,
    },
    #[error("database error: {message}")]
    Database {
        message: String,
        #[source]
        cause: Option<Cause>,
    },
}

/// The failure underneath a [`StoreError`] (the driver's error), kept for the log.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

impl StoreError {
    pub fn unavailable(message: impl Into<String>) -> StoreError {
        StoreError::Unavailable {
            message: message.into(),
            cause: None,
        }
    }

    pub fn unavailable_from(message: impl Into<String>, cause: impl Into<Cause>) -> StoreError {
        StoreError::Unavailable {
            message: message.into(),
            cause: Some(cause.into()),
        }
    }

    pub fn database(message: impl Into<String>) -> StoreError {
        StoreError::Database {
            message: message.into(),
            cause: None,
        }
    }

    pub fn database_from(message: impl Into<String>, cause: impl Into<Cause>) -> StoreError {
        StoreError::Database {
            message: message.into(),
            cause: Some(cause.into()),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything Naxian keeps, by area. Reads may run anywhere;
/// [`InstanceStore::apply`] is the one write of a workflow transition and
/// must be atomic and version-checked.
#[async_trait]
pub trait Store:
    DirectoryStore
    + SessionStore
    + InstanceStore
    + ScheduleStore
    + OutboxStore
    + AttachmentStore
    + ReportStore
    + Send
    + Sync
    + 'static
{
    /// Which backend this is (`sqlite`, `postgres`), for logs and benchmarks.
    fn backend(&self) -> &'static str;
    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;
}

/// Maps a sqlx error to the store's error kinds.
#[doc(hidden)]
pub fn classify(kind: ErrorKind, err: impl Into<Cause>) -> StoreError {
    let err = err.into();
    match kind {
        ErrorKind::Unique => StoreError::Conflict(err.to_string()),
        ErrorKind::ForeignKey => StoreError::NotFound(err.to_string()),
        ErrorKind::Unavailable => StoreError::unavailable_from("the query did not reach the database", err),
        ErrorKind::Other => StoreError::database_from("the query failed", err),
    }
}

/// Backend-neutral classes of database failure.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum ErrorKind {
    Unique,
    ForeignKey,
    Unavailable,
    Other,
}

/// The `TaskStatus` text, re-exported for SQL.
pub fn status_text(s: TaskStatus) -> &'static str {
    s.as_str()
}
