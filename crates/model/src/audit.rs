//! The audit hash chain: each history entry of an instance carries the hash of
//! the entry before it, so that any edit, deletion or reordering is detectable.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The hash the first entry of every instance chains from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one history entry that the hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFields<'a> {
    pub instance_id: &'a str,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub step: &'a str,
    pub action: &'a str,
    pub comment: Option<&'a str>,
    pub note: Option<&'a str>,
    /// Whose task a delegate acted on (代理).
    pub on_behalf_of: Option<&'a str>,
}

/// sha256 over the previous hash and a canonical JSON array of the fields;
/// `on_behalf_of` is sealed only when set, so that entries written before it
/// existed verify as they were sealed.
pub fn entry_hash(prev_hash: &str, f: &AuditFields<'_>) -> String {
    let mut canonical = json!([
        prev_hash,
        f.instance_id,
        f.seq,
        f.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        f.actor,
        f.step,
        f.action,
        f.comment,
        f.note,
    ]);
    if let (Some(principal), Some(list)) = (f.on_behalf_of, canonical.as_array_mut()) {
        list.push(json!(principal));
    }
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Where a stored chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub instance_id: String,
    pub seq: i64,
    pub reason: String,
}

/// One history entry as stored: the audited fields, the previous entry's hash and its own.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredEntry {
    pub instance_id: String,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub step: String,
    pub action: String,
    pub comment: Option<String>,
    pub note: Option<String>,
    /// Whose task the actor acted on as their delegate (代理), if anyone's.
    #[serde(default)]
    pub on_behalf_of: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Verifies one instance's entries, in `seq` order; returns the first broken link.
impl StoredEntry {
    /// Seals an entry onto a chain whose last hash is `prev_hash`.
    #[allow(clippy::too_many_arguments)]
    pub fn seal(
        prev_hash: String,
        instance_id: String,
        seq: i64,
        at: DateTime<Utc>,
        actor: String,
        step: String,
        action: String,
        comment: Option<String>,
        note: Option<String>,
        on_behalf_of: Option<String>,
    ) -> StoredEntry {
        let mut e = StoredEntry {
            instance_id,
            seq,
            at,
            actor,
            step,
            action,
            comment,
            note,
            on_behalf_of,
            prev_hash,
            hash: String::new(),
        };
        e.hash = entry_hash(&e.prev_hash, &e.fields());
        e
    }

    pub fn fields(&self) -> AuditFields<'_> {
        AuditFields {
            instance_id: &self.instance_id,
            seq: self.seq,
            at: self.at,
            actor: &self.actor,
            step: &self.step,
            action: &self.action,
            comment: self.comment.as_deref(),
            note: self.note.as_deref(),
            on_behalf_of: self.on_behalf_of.as_deref(),
        }
    }
}

pub fn verify_chain(entries: &[StoredEntry]) -> Result<(), BrokenLink> {
    let mut prev = GENESIS.to_string();
    for (i, e) in entries.iter().enumerate() {
        let broken = |reason: &str| BrokenLink {
            instance_id: e.instance_id.clone(),
            seq: e.seq,
            reason: reason.into(),
        };
        if e.seq != i as i64 + 1 {
            return Err(broken("entries are missing or out of order"));
        }
        if e.prev_hash != prev {
            return Err(broken("prev_hash does not match the previous entry"));
        }
        if entry_hash(&prev, &e.fields()) != e.hash {
            return Err(broken("hash does not match the entry's contents"));
        }
        prev = e.hash.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(on_behalf_of: Option<&str>) -> StoredEntry {
        StoredEntry::seal(
            GENESIS.into(),
            "i1".into(),
            1,
            Utc.with_ymd_and_hms(2026, 12, 7, 2, 0, 0).unwrap(),
            "zhao".into(),
            "consultation".into(),
            "agree".into(),
            None,
            None,
            on_behalf_of.map(str::to_string),
        )
    }

    #[test]
    fn an_entry_without_a_principal_hashes_as_before_it_existed() {
        let e = entry(None);
        let before = json!([
            GENESIS,
            "i1",
            1,
            "2026-12-07T02:00:00.000000Z",
            "zhao",
            "consultation",
            "agree",
            null,
            null
        ]);
        assert_eq!(e.hash, hex::encode(Sha256::digest(before.to_string().as_bytes())));
    }

    #[test]
    fn whom_a_delegate_stood_for_is_sealed() {
        let mut e = entry(Some("li"));
        assert_ne!(e.hash, entry(None).hash);
        assert!(verify_chain(std::slice::from_ref(&e)).is_ok());
        e.on_behalf_of = Some("wang".into());
        assert!(verify_chain(&[e.clone()]).is_err(), "changed after sealing");
        e.on_behalf_of = None;
        assert!(verify_chain(&[e]).is_err(), "removed after sealing");
    }
}
