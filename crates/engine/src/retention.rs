//! Retention of personal data: once an instance has been finished for the
//! configured period, the fields its workflow marks `personal` (a candidate's
//! phone, e-mail, year of birth) are removed from its data and its attachments
//! deleted. The audit chain does not cover instance data, so it still verifies;
//! the body's member list keeps the name, which is public. A user's phone,
//! kept for the liaison list, goes once they have held no role for the period.

use crate::error::Result;
use crate::Engine;
use chrono::Duration;
use std::collections::BTreeSet;

impl Engine {
    /// Purges instances finished more than `days` days ago; returns how many.
    pub async fn purge_personal_data(&self, days: u32) -> Result<usize> {
        let now = self.clock.now();
        let before = now - Duration::days(i64::from(days));
        let mut purged = 0;
        loop {
            let batch = self.store.purge_candidates(before, 200).await?;
            if batch.is_empty() {
                let phones = self.store.purge_user_phones(before).await?;
                if phones > 0 {
                    tracing::info!(
                        users = phones,
                        "phones of users without a role removed (retention)"
                    );
                }
                return Ok(purged);
            }
            for inst in batch {
                // The fields marked personal in the instance's version or in
                // the newest one (a mark added later still applies).
                let mut fields = BTreeSet::new();
                let own = self.definition(&inst.workflow, inst.version).await?;
                let newest = self.latest_definition(&inst.workflow).await.ok();
                for def in std::iter::once(&own).chain(newest.as_ref()) {
                    fields.extend(
                        def.fields
                            .iter()
                            .filter(|(_, spec)| spec.personal)
                            .map(|(name, _)| name.to_string()),
                    );
                }
                let mut data = inst.data.clone();
                for f in &fields {
                    naxian_model::fields::remove_path(&mut data, f);
                }
                if self.store.purge_instance(&inst.id, &data, now).await? {
                    purged += 1;
                    tracing::info!(instance = %inst.id, fields = fields.len(), "personal data removed (retention)");
                }
            }
        }
    }
}
