//! What the province has published (典型案例 and any instance of a workflow
//! that ended at an end with `publish: true`): for every signed-in user, newest first.

use crate::auth::Actor;
use crate::error::Result;
use crate::Engine;
use naxian_model::{Definition, Instance, Status};
use naxian_store::{AttachmentRecord, InstanceFilter};
use std::sync::Arc;

/// The most published instances one list shows.
const MAX_PUBLISHED: i64 = 200;

pub struct Published {
    pub instance: Instance,
    pub definition: Arc<Definition>,
    pub unit_name: String,
    pub attachments: Vec<AttachmentRecord>,
}

impl Engine {
    /// Published instances of every workflow that publishes, newest first;
    /// a ranked workflow's are read in its ranking instead
    /// ([`Engine::published_rankings`]).
    pub async fn published(&self, _actor: &Actor) -> Result<Vec<Published>> {
        let mut out = Vec::new();
        for def in self.latest_definitions().await? {
            if def.rank_field().is_some() {
                continue;
            }
            for (instance, definition) in self.published_of(&def).await? {
                out.push(Published {
                    unit_name: self.unit_name(&instance.org_unit).await?,
                    attachments: self.store.attachments(&instance.id).await?,
                    definition,
                    instance,
                });
            }
        }
        out.sort_by_key(|p| std::cmp::Reverse(p.instance.updated_at));
        Ok(out)
    }

    /// The instances of `def`'s workflow that ended at a publishing end,
    /// each with the version of the file it ran on.
    pub(crate) async fn published_of(&self, def: &Definition) -> Result<Vec<(Instance, Arc<Definition>)>> {
        if !def.ends.values().any(|e| e.publish) {
            return Ok(Vec::new());
        }
        let list = self
            .store
            .list_instances(&InstanceFilter {
                workflow: Some(def.name.to_string()),
                status: Some(Status::Completed.as_str().to_string()),
                under_path: None,
                visible_to: None,
                limit: MAX_PUBLISHED,
                offset: 0,
            })
            .await?;
        let mut out = Vec::new();
        for instance in list {
            let definition = self.definition(&instance.workflow, instance.version).await?;
            let published = instance
                .outcome
                .as_deref()
                .and_then(|o| definition.end(o))
                .is_some_and(|e| e.publish);
            if published {
                out.push((instance, definition));
            }
        }
        Ok(out)
    }
}
