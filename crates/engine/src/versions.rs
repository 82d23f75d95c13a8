//! The versions of an instance's data: what each submission sent (an action
//! that amends the data), so that a report returned and submitted again
//! keeps every text the province read, each with who sent it and when.

use crate::auth::Actor;
use crate::error::Result;
use crate::Engine;
use naxian_store::HistoryRecord;
use serde_json::Value;

/// One submission: its history entry (who, when, which action) and the data it sent.
#[derive(Debug, Clone)]
pub struct DataVersion {
    /// 1 for the first submission.
    pub number: usize,
    pub entry: HistoryRecord,
    pub data: Value,
}

impl Engine {
    /// The versions of instance `id`'s data, oldest first, for one who may
    /// see the instance; the read is written to the access log.
    pub async fn data_versions(&self, actor: &Actor, id: &str, how: &str) -> Result<Vec<DataVersion>> {
        let view = self.read_record(actor, id, how).await?;
        self.versions_of(&view.history, id).await
    }

    /// The versions of instance `id` whose history the caller has read.
    pub(crate) async fn versions_of(&self, history: &[HistoryRecord], id: &str) -> Result<Vec<DataVersion>> {
        Ok(self
            .store
            .data_versions(id)
            .await?
            .into_iter()
            .filter_map(|(seq, data)| {
                let entry = history.iter().find(|h| h.seq == seq)?.clone();
                Some((entry, data))
            })
            .enumerate()
            .map(|(i, (entry, data))| DataVersion {
                number: i + 1,
                entry,
                data,
            })
            .collect())
    }
}
