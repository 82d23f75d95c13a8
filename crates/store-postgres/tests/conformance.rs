//! The store conformance suite on PostgreSQL, each check in a database of its
//! own created for it on the server named by `NAXIAN_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`). If the server cannot be reached
//! the test fails and says so: it never skips.

use naxian_store_postgres::testing::TestDatabase;
use naxian_store_postgres::PostgresStore;

async fn open() -> (PostgresStore, TestDatabase) {
    let db = TestDatabase::create().await;
    let store = PostgresStore::connect(db.url(), 8)
        .await
        .expect("connect to the test database");
    (store, db)
}

async fn close(db: TestDatabase) {
    db.drop_now().await;
}

naxian_store_conformance::suite!(open, close);
