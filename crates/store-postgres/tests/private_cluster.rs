//! On a machine where PostgreSQL is installed but no server answers, the
//! test harness starts a cluster of its own and the tests run on it.

use naxian_store_postgres::testing::choose_server;
use sqlx::{Connection, PgConnection};

#[tokio::test]
async fn nothing_answering_starts_a_private_cluster() {
    // A port nothing listens on stands for a machine whose server is stopped.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let silent = format!("postgres://postgres@127.0.0.1:{port}/test");
    let url = choose_server(None, &silent).await;
    assert_ne!(url, silent, "another server was started");
    let mut conn = PgConnection::connect(&url)
        .await
        .expect("the private cluster answers");
    sqlx::query("CREATE DATABASE naxian_private_check")
        .execute(&mut conn)
        .await
        .expect("databases can be made there, as TestDatabase does");
    let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&mut conn).await.unwrap();
    assert_eq!(one, 1);
    // A configured server is used as it is, and one that answers is kept.
    assert_eq!(
        choose_server(Some("postgres://elsewhere/db".into()), &silent).await,
        "postgres://elsewhere/db"
    );
    assert_eq!(choose_server(None, &url).await, url);
}
