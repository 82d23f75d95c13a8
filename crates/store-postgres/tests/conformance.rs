//! The store conformance suite on PostgreSQL, in a database of its own created
//! for this run on the server named by `NAXIAN_TEST_POSTGRES`
//! (default `postgres://postgres@127.0.0.1:5432/test`). If the server cannot be
//! reached the test fails and says so: it never skips.

use naxian_store_postgres::PostgresStore;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_passes_the_conformance_suite() {
    let db = naxian_store_postgres::testing::TestDatabase::create().await;
    let store = Arc::new(
        PostgresStore::connect(db.url(), 8)
            .await
            .expect("connect to the test database"),
    );
    naxian_store::conformance::run_all(store).await;
    db.drop_now().await;
}
