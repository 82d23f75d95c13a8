//! Attachment slots (a workflow's `attachments:`): a file uploaded into a
//! slot must be of its types, and an action that submits the form is
//! refused while a required slot is empty.

use crate::error::{EngineError, Result};
use crate::Engine;
use naxian_model::machine::Command;
use naxian_model::{Definition, Problem, Task};

/// What users call a file kind (`PDF`, `Word`), as the attachment form says it.
pub fn kind_label(ext: &str) -> &'static str {
    crate::attachments::ACCEPTED
        .iter()
        .find(|(_, e, _)| *e == ext)
        .map_or("", |(_, _, label)| label)
}

/// Checks that the detected type `ext` of a file fits `slot` of `def`.
pub fn check_slot(def: &Definition, slot: &str, ext: &str) -> Result<()> {
    let Some(spec) = def.attachments.get(slot) else {
        return Err(EngineError::invalid(
            "slot",
            Problem::NotOneOf {
                choices: def.attachments.keys().map(|k| k.to_string()).collect(),
            },
        ));
    };
    if !spec.takes(ext) {
        return Err(EngineError::invalid(
            "file",
            Problem::NotOneOf {
                choices: spec
                    .types
                    .iter()
                    .map(|t| kind_label(t.as_str()).to_string())
                    .collect(),
            },
        ));
    }
    Ok(())
}

impl Engine {
    /// Refuses an action that submits the form (`amend_data`) while one of
    /// the workflow's required slots holds no file.
    pub(crate) async fn check_required_slots(
        &self,
        def: &Definition,
        instance_id: &str,
        tasks: &[Task],
        command: &Command,
    ) -> Result<()> {
        let Command::Act { task_id, input } = command else {
            return Ok(());
        };
        if !def.attachments.values().any(|s| s.required) {
            return Ok(());
        }
        let submits = tasks
            .iter()
            .find(|t| &t.id == task_id)
            .and_then(|t| def.step(&t.step))
            .and_then(|st| st.actions.get(input.action.as_str()))
            .is_some_and(|a| a.amend_data);
        if !submits {
            return Ok(());
        }
        let files = self.store.attachments(instance_id).await?;
        for (slot, spec) in &def.attachments {
            if spec.required && !files.iter().any(|f| f.slot.as_deref() == Some(slot.as_str())) {
                return Err(EngineError::invalid(
                    format!("attachments.{}", slot.as_str()),
                    Problem::Required,
                ));
            }
        }
        Ok(())
    }
}
