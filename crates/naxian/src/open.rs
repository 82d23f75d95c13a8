//! Opens the store a database URL names: `sqlite://PATH` or `postgres://…`.
//! The one place that knows the backends: the engine and the server see only
//! the `Store` traits.

use naxian_store::{Store, StoreError};
use std::sync::Arc;

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("database_url must start with sqlite:// or postgres://, not {0:?}")]
    UnknownScheme(String),
    #[error("cannot create the data folder {path}: {source}")]
    DataFolder { path: String, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The pool size a service replica opens PostgreSQL with.
pub const POSTGRES_POOL: u32 = 16;

pub async fn open_store(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    if url.starts_with("sqlite:") {
        if let Some(dir) = url
            .strip_prefix("sqlite://")
            .and_then(|path| std::path::Path::new(path).parent())
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|source| OpenError::DataFolder {
                path: dir.display().to_string(),
                source,
            })?;
        }
        Ok(Arc::new(naxian_store_sqlite::SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            naxian_store_postgres::PostgresStore::connect(url, POSTGRES_POOL).await?,
        ))
    } else {
        Err(OpenError::UnknownScheme(url.chars().take(12).collect()))
    }
}
