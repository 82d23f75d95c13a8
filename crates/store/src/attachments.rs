//! Files attached to instances, stored with their content.

use crate::{AttachmentRecord, Result};
use async_trait::async_trait;

/// Files attached to instances.
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    async fn add_attachment(&self, a: &AttachmentRecord, content: &[u8]) -> Result<()>;
    /// An instance's attachments, oldest first, without their content.
    async fn attachments(&self, instance_id: &str) -> Result<Vec<AttachmentRecord>>;
    /// The attachments of every instance of a workflow, oldest first, without
    /// their content: a campaign page links each target's files in one read.
    async fn attachments_of_workflow(&self, workflow: &str) -> Result<Vec<AttachmentRecord>>;
    async fn attachment(&self, id: &str) -> Result<Option<(AttachmentRecord, Vec<u8>)>>;
}
