//! The shared SQL of files attached to instances: [`crate::AttachmentStore`] for a SQL backend, by
//! [`sql_attachments!`] (called by [`crate::sql_store!`]).

/// Implements [`crate::AttachmentStore`] for `$ty` over sqlx database `$db`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_attachments {
    ($ty:ty, $db:ty) => {
        const _: () = {
            $crate::sql_common!($ty, $db);

            #[async_trait::async_trait]
            impl $crate::AttachmentStore for $ty {
                async fn add_attachment(&self, a: &$crate::AttachmentRecord, content: &[u8]) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO attachments (id, instance_id, file_name, content_type, size, sha256, content, uploaded_by, created_at, slot)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(&a.id)
                    .bind(&a.instance_id)
                    .bind(&a.file_name)
                    .bind(&a.content_type)
                    .bind(a.size)
                    .bind(&a.sha256)
                    .bind(content)
                    .bind(&a.uploaded_by)
                    .bind(a.created_at)
                    .bind(&a.slot)
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    Ok(())
                }

                async fn attachments(&self, instance_id: &str) -> Result<Vec<$crate::AttachmentRecord>> {
                    let rows = sqlx::query(
                        "SELECT id, instance_id, slot, file_name, content_type, size, sha256, uploaded_by, created_at
                         FROM attachments WHERE instance_id = $1 ORDER BY created_at, id",
                    )
                    .bind(instance_id)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter().map(attachment).collect()
                }

                async fn attachments_of_workflow(&self, workflow: &str) -> Result<Vec<$crate::AttachmentRecord>> {
                    let rows = sqlx::query(
                        "SELECT a.id, a.instance_id, a.slot, a.file_name, a.content_type, a.size, a.sha256, a.uploaded_by, a.created_at
                         FROM attachments a JOIN instances i ON i.id = a.instance_id
                         WHERE i.workflow = $1 ORDER BY a.created_at, a.id",
                    )
                    .bind(workflow)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter().map(attachment).collect()
                }

                async fn attachment(&self, id: &str) -> Result<Option<($crate::AttachmentRecord, Vec<u8>)>> {
                    let row = sqlx::query("SELECT * FROM attachments WHERE id = $1")
                        .bind(id)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    match row {
                        Some(r) => Ok(Some((attachment(&r)?, r.try_get("content").map_err(e)?))),
                        None => Ok(None),
                    }
                }
            }
        };
    };
}
