//! The store conformance suite on SQLite, each check in a temporary file of its own.

use naxian_store_sqlite::SqliteStore;
use tempfile::TempDir;

async fn open() -> (SqliteStore, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("naxian.db").display());
    (SqliteStore::connect(&url).await.expect("open SQLite"), dir)
}

async fn close(dir: TempDir) {
    drop(dir);
}

naxian_store_conformance::suite!(open, close);
