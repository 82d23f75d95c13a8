//! Files attached to an instance (a scanned recommendation form, a filing
//! receipt): who may add and read them, and which files are accepted. The type
//! is read from the bytes, never taken from the client, and it alone decides
//! the content type the file is later served with.

use crate::auth::Actor;
use crate::error::{EngineError, Result};
use crate::Engine;
use naxian_model::{Problem, Refusal, Status, TaskStatus};
use naxian_store::AttachmentRecord;
use sha2::{Digest, Sha256};

/// The accepted kinds: (detected MIME type, file extension, what users call it).
pub const ACCEPTED: &[(&str, &str, &str)] = &[
    ("application/pdf", "pdf", "PDF"),
    ("image/jpeg", "jpg", "JPEG 图片"),
    ("image/png", "png", "PNG 图片"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
        "Word",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        "Excel",
    ),
    ("application/msword", "doc", "Word 97-2003"),
    ("application/vnd.ms-excel", "xls", "Excel 97-2003"),
];

/// The kind of a file by its leading bytes, if it is one we accept.
pub fn detect(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    let mime = infer::get(bytes)?.mime_type();
    ACCEPTED
        .iter()
        .find(|(m, _, _)| *m == mime)
        .map(|(m, ext, _)| (*m, *ext))
}

/// A file name fit to store and offer back: no directories, no control or
/// quoting characters, at most 100 characters, ending in the detected extension.
pub fn clean_file_name(name: &str, ext: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !"\"<>|:*?".contains(*c))
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .chars()
        .take(100)
        .collect();
    let has_ext = clean.rsplit_once('.').is_some_and(|(_, e)| {
        e.eq_ignore_ascii_case(ext) || (ext == "jpg" && e.eq_ignore_ascii_case("jpeg"))
    });
    if clean.is_empty() {
        clean = "附件".into();
    }
    if !has_ext {
        clean = format!("{clean}.{ext}");
    }
    clean
}

/// Whether the actor may attach files to this active instance: its creator,
/// whoever holds one of its open tasks, or an administrator.
pub fn may_attach(actor: &Actor, view: &crate::InstanceView) -> bool {
    view.instance.status == Status::Active
        && (actor.is_admin
            || view.instance.creator == actor.login
            || view
                .tasks
                .iter()
                .any(|t| t.status == TaskStatus::Open && actor.holds_task(t)))
}

impl Engine {
    /// Attaches a file to an active instance (see [`may_attach`]), into
    /// one of its workflow's slots if `slot` names one.
    pub async fn attach(
        &self,
        actor: &Actor,
        instance_id: &str,
        slot: Option<&str>,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<AttachmentRecord> {
        let view = self.instance_view(actor, instance_id).await?;
        if view.instance.status != Status::Active {
            return Err(EngineError::NotAllowed(Refusal::InstanceClosed));
        }
        if !may_attach(actor, &view) {
            return Err(EngineError::Forbidden(Refusal::AttachNotYours));
        }
        if bytes.is_empty() {
            return Err(EngineError::invalid("file", Problem::Empty));
        }
        let max = self.settings.attachment_max_bytes;
        if bytes.len() > max {
            return Err(EngineError::invalid(
                "file",
                Problem::FileTooLarge {
                    max_mib: (max / (1024 * 1024)) as u64,
                },
            ));
        }
        let Some((mime, ext)) = detect(bytes) else {
            let choices = ACCEPTED.iter().map(|(_, _, n)| n.to_string()).collect();
            return Err(EngineError::invalid("file", Problem::NotOneOf { choices }));
        };
        if let Some(slot) = slot {
            let def = self
                .definition(&view.instance.workflow, view.instance.version)
                .await?;
            crate::slots::check_slot(&def, slot, ext)?;
        }
        let record = AttachmentRecord {
            id: uuid::Uuid::now_v7().to_string(),
            instance_id: instance_id.to_string(),
            slot: slot.map(str::to_string),
            file_name: clean_file_name(file_name, ext),
            content_type: mime.to_string(),
            size: bytes.len() as i64,
            sha256: hex::encode(Sha256::digest(bytes)),
            uploaded_by: actor.login.clone(),
            created_at: self.clock.now(),
        };
        self.store.add_attachment(&record, bytes).await?;
        tracing::info!(instance = instance_id, attachment = %record.id, login = %actor.login, size = record.size, "attachment added");
        Ok(record)
    }

    /// The instance's attachments, for whoever may see the instance.
    pub async fn attachments(&self, actor: &Actor, instance_id: &str) -> Result<Vec<AttachmentRecord>> {
        self.instance_view(actor, instance_id).await?;
        Ok(self.store.attachments(instance_id).await?)
    }

    /// One attachment with its content, for whoever may see its instance.
    pub async fn attachment(&self, actor: &Actor, id: &str) -> Result<(AttachmentRecord, Vec<u8>)> {
        let (record, bytes) = self
            .store
            .attachment(id)
            .await?
            .ok_or_else(|| EngineError::NotFound(Refusal::NoAttachment { id: id.to_string() }))?;
        self.instance_view(actor, &record.instance_id).await?;
        self.log_access(
            actor,
            Some(&record.instance_id),
            &format!("attachment {}", record.file_name),
        )
        .await?;
        Ok((record, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_bytes() {
        assert_eq!(detect(b"%PDF-1.7\n...").map(|k| k.1), Some("pdf"));
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").map(|k| k.1), Some("png"));
        assert_eq!(detect(b"<html><script>alert(1)</script>"), None);
        assert_eq!(detect(b"MZ\x90\0"), None, "no executables");
    }

    #[test]
    fn names_are_cleaned_and_end_in_the_real_extension() {
        assert_eq!(clean_file_name("推荐表.pdf", "pdf"), "推荐表.pdf");
        assert_eq!(clean_file_name("C:\\Users\\x\\扫描件.PDF", "pdf"), "扫描件.PDF");
        assert_eq!(clean_file_name("../../etc/passwd", "pdf"), "passwd.pdf");
        assert_eq!(clean_file_name("page.html", "png"), "page.html.png");
        assert_eq!(clean_file_name("a\"b\r\n.jpeg", "jpg"), "ab.jpeg");
        assert_eq!(clean_file_name("", "pdf"), "附件.pdf");
        assert_eq!(clean_file_name(&"长".repeat(300), "pdf").chars().count(), 104);
    }
}
