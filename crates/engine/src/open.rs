//! Opens the store a database URL names: `sqlite://PATH` or `postgres://…`.

use crate::error::{EngineError, Result};
use naxian_store::Store;
use std::sync::Arc;

pub async fn open_store(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if let Some(dir) = std::path::Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| EngineError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
            }
        }
        Ok(Arc::new(naxian_store_sqlite::SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            naxian_store_postgres::PostgresStore::connect(url, 16).await?,
        ))
    } else {
        Err(EngineError::invalid(
            "database_url",
            "must start with sqlite:// or postgres://",
        ))
    }
}
