//! The store conformance suite on SQLite, in a temporary file.

use naxian_store_sqlite::SqliteStore;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("naxian.db").display());
    let store = Arc::new(SqliteStore::connect(&url).await.expect("open SQLite"));
    naxian_store::conformance::run_all(store).await;
}
