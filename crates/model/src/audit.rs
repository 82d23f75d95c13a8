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
}

/// sha256 over the previous hash and a canonical JSON array of the fields.
pub fn entry_hash(prev_hash: &str, f: &AuditFields<'_>) -> String {
    let canonical = json!([
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
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Where a stored chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub instance_id: String,
    pub seq: i64,
    pub reason: String,
}

/// A stored entry as read back for verification.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub instance_id: String,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub step: String,
    pub action: String,
    pub comment: Option<String>,
    pub note: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Verifies one instance's entries, in `seq` order; returns the first broken link.
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
        let f = AuditFields {
            instance_id: &e.instance_id,
            seq: e.seq,
            at: e.at,
            actor: &e.actor,
            step: &e.step,
            action: &e.action,
            comment: e.comment.as_deref(),
            note: e.note.as_deref(),
        };
        if entry_hash(&prev, &f) != e.hash {
            return Err(broken("hash does not match the entry's contents"));
        }
        prev = e.hash.clone();
    }
    Ok(())
}
