//! 消息: what the service told a user — a new task, a return, an urge, a
//! copy, a delegation — kept in the app beside the e-mail (the outbox writes
//! both, under one key), listed, counted, and marked read when opened. A
//! notice reads as its e-mail's subject line, so the words live in the mail
//! templates alone.

use crate::auth::Actor;
use crate::error::{EngineError, Result};
use crate::Engine;
use chrono::{DateTime, Utc};
use naxian_model::Refusal;
use naxian_store::{NoticeRecord, NoticesRead};

/// The most notices a list shows: a year of a busy department's.
const LISTED: i64 = 500;

/// Which of a user's notices to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoticeFilter {
    pub unread_only: bool,
    /// Only copies (抄送我的).
    pub copies_only: bool,
}

/// A notice as its reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: String,
    /// The template it was sent with: `task_assigned`, `returned`, `urge`, `copy`, `delegated`…
    pub kind: String,
    /// The e-mail's subject line.
    pub text: String,
    /// What it is about (the candidate and unit), when it concerns an instance.
    pub subject: String,
    /// The opinion that came with it (a return's reason, an urge's words).
    pub comment: String,
    pub task_id: Option<String>,
    pub instance_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

impl Engine {
    fn notice(&self, r: NoticeRecord) -> Notice {
        let text_of = |k: &str| {
            r.params
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let workflow = r.params.get("workflow").and_then(|w| w.as_str());
        let text = self
            .mail_templates
            .as_ref()
            .and_then(|t| t.subject(&r.template, workflow, &r.params))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| text_of("title"));
        Notice {
            id: r.id,
            kind: r.template,
            text,
            subject: text_of("subject"),
            comment: text_of("comment"),
            task_id: r.task_id,
            instance_id: r.instance_id,
            created_at: r.created_at,
            read: r.read_at.is_some(),
        }
    }

    /// The actor's notices, newest first.
    pub async fn notices(&self, actor: &Actor, filter: NoticeFilter) -> Result<Vec<Notice>> {
        let template = filter.copies_only.then_some("copy");
        let rows = self
            .store
            .notices(&actor.login, filter.unread_only, template, LISTED)
            .await?;
        Ok(rows.into_iter().map(|r| self.notice(r)).collect())
    }

    /// How many of the actor's notices are unread (the navigation's badge).
    pub async fn unread_notices(&self, actor: &Actor) -> Result<usize> {
        Ok(self.store.unread_notices(&actor.login).await?.max(0) as usize)
    }

    /// Opens one of the actor's notices: it is read from now on.
    pub async fn open_notice(&self, actor: &Actor, id: &str) -> Result<Notice> {
        let record = self
            .store
            .notice(&actor.login, id)
            .await?
            .ok_or_else(|| EngineError::NotFound(Refusal::NoNotice { id: id.to_string() }))?;
        let now = self.clock.now();
        self.store
            .read_notices(&actor.login, NoticesRead::One(id), now)
            .await?;
        let mut notice = self.notice(record);
        notice.read = true;
        Ok(notice)
    }

    /// Marks every notice of the actor read; how many were unread.
    pub async fn read_all_notices(&self, actor: &Actor) -> Result<u64> {
        Ok(self
            .store
            .read_notices(&actor.login, NoticesRead::All, self.clock.now())
            .await?)
    }

    /// Marks the actor's notices about a task read: they opened it.
    pub async fn read_notices_of_task(&self, actor: &Actor, task_id: &str) -> Result<u64> {
        Ok(self
            .store
            .read_notices(&actor.login, NoticesRead::OfTask(task_id), self.clock.now())
            .await?)
    }
}
