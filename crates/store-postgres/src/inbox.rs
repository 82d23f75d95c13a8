//! Creates the open inbox's functions (`naxian_store::inbox`) on connect,
//! under names hashed from their text, as `apply` does the transition write.

/// Creates this release's inbox functions unless they are there; replicas
/// starting at once take turns on an advisory lock.
pub(crate) async fn install(pool: &sqlx::PgPool) -> std::result::Result<(), sqlx::Error> {
    let (open, count) = &*naxian_store::inbox::POSTGRES_NAMES;
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('naxian_inbox'))")
        .execute(&mut *tx)
        .await?;
    let present: bool =
        sqlx::query_scalar("SELECT to_regprocedure($1) IS NOT NULL AND to_regprocedure($2) IS NOT NULL")
            .bind(format!("{open}(text,bigint)"))
            .bind(format!("{count}(text)"))
            .fetch_one(&mut *tx)
            .await?;
    if !present {
        sqlx::raw_sql(&naxian_store::inbox::postgres_functions(open, count))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}
