//! Fresh PostgreSQL databases for tests: each test gets a database of its own
//! on the server named by `NAXIAN_TEST_POSTGRES`
//! (default `postgres://postgres@127.0.0.1:5432/test`). An unreachable server
//! fails the test with a message saying so; it is never skipped.

use sqlx::{Connection, PgConnection};

pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates an empty database with a unique name.
    pub async fn create() -> TestDatabase {
        let admin_url =
            std::env::var("NAXIAN_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_string());
        let mut conn = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL tests need a server at {} (set NAXIAN_TEST_POSTGRES to use another): {e}",
                crate::redact(&admin_url)
            )
        });
        let name = format!("naxian_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
        let url = format!("{base}/{name}");
        TestDatabase { admin_url, name, url }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database, ending any connections still open to it.
    pub async fn drop_now(self) {
        if let Ok(mut conn) = PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                .execute(&mut conn)
                .await;
        }
    }
}
