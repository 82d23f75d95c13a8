//! A user's own account after it exists: their contact details and digest,
//! their common phrases (常用意见), and passwords — a user changes their own (knowing the current one); an
//! administrator of a unit the user holds a role at resets it, and the user
//! must change it at their next visit.

use crate::auth::{hash_password, Actor};
use crate::directory::{check_email, password_rule};
use crate::error::{EngineError, Result};
use crate::Engine;
use naxian_model::{Counted, Problem, Refusal};

/// The opinions offered to a user who has kept none of their own.
pub const DEFAULT_PHRASES: &[&str] = &[
    "同意。",
    "同意推荐。",
    "情况属实，同意。",
    "已阅，同意备案。",
    "请补充相关材料后重新提交。",
];

/// How many common phrases a user keeps, and how long each may be.
const MAX_PHRASES: usize = 20;
const PHRASE_MAX_LEN: usize = 100;

impl Engine {
    /// The actor's own password, replaced once the current one is given right.
    pub async fn change_password(&self, actor: &Actor, current: &str, new: &str) -> Result<()> {
        if current.is_empty() {
            return Err(EngineError::invalid("current_password", Problem::Required));
        }
        password_rule("new_password", new)?;
        if new == current {
            return Err(EngineError::invalid("new_password", Problem::SameAsBefore));
        }
        // Guesses of the current password count against the account as
        // failed logins do (and are throttled as they are).
        match self.check_login(&actor.login, current, "password-change").await {
            Ok(_) => {}
            Err(EngineError::Unauthorized) => {
                return Err(EngineError::invalid("current_password", Problem::WrongPassword))
            }
            Err(e) => return Err(e),
        }
        let hash = hash_password(new)?;
        self.store.set_password(&actor.login, &hash, false).await?;
        Ok(())
    }

    /// The actor's own user record, for their account page.
    pub async fn own_record(&self, actor: &Actor) -> Result<naxian_store::UserRecord> {
        self.store.user(&actor.login).await?.ok_or_else(|| {
            EngineError::NotFound(Refusal::NoUser {
                login: actor.login.clone(),
            })
        })
    }

    /// The actor's own e-mail, phone (optional; a phone number as the
    /// liaison list takes it) and daily digest choice.
    pub async fn set_contact(&self, actor: &Actor, email: &str, phone: &str, digest: bool) -> Result<()> {
        let email = check_email(email)?;
        let phone = phone.trim();
        if !phone.is_empty() && !naxian_model::fields::is_phone(phone) {
            return Err(EngineError::invalid("phone", Problem::NotPhone));
        }
        let phone = (!phone.is_empty()).then_some(phone);
        self.store
            .set_contact(&actor.login, &email, phone, digest)
            .await?;
        Ok(())
    }

    /// `login`'s common phrases (常用意见), or the defaults if they keep none:
    /// the user themself or an administrator.
    pub async fn phrases(&self, actor: &Actor, login: &str) -> Result<Vec<String>> {
        self.own_or_administered(actor, login).await?;
        Ok(match self.store.phrases(login).await? {
            Some(texts) => texts,
            None => DEFAULT_PHRASES.iter().map(|p| p.to_string()).collect(),
        })
    }

    /// Keeps `login`'s common phrases, in order: each one line of at most
    /// 100 characters, none twice, at most 20. An empty list keeps none.
    pub async fn set_phrases(&self, actor: &Actor, login: &str, texts: &[String]) -> Result<Vec<String>> {
        self.own_or_administered(actor, login).await?;
        if texts.len() > MAX_PHRASES {
            return Err(EngineError::invalid(
                "phrases",
                Problem::TooMany {
                    max: MAX_PHRASES,
                    what: Counted::Phrases,
                },
            ));
        }
        let mut kept: Vec<String> = Vec::with_capacity(texts.len());
        for (i, text) in texts.iter().enumerate() {
            let field = format!("phrases[{i}]");
            let text = text.trim();
            if text.is_empty() {
                return Err(EngineError::invalid(field, Problem::Empty));
            }
            if naxian_model::fields::has_control(text, false) {
                return Err(EngineError::invalid(field, Problem::NotOneLine));
            }
            if text.chars().count() > PHRASE_MAX_LEN {
                return Err(EngineError::invalid(
                    field,
                    Problem::TooLong { max: PHRASE_MAX_LEN },
                ));
            }
            if kept.iter().any(|k| k == text) {
                return Err(EngineError::invalid(
                    field,
                    Problem::ListedTwice { value: text.into() },
                ));
            }
            kept.push(text.to_string());
        }
        self.store.set_phrases(login, &kept).await?;
        Ok(kept)
    }

    /// The user themself, or an administrator, for a user who exists.
    async fn own_or_administered(&self, actor: &Actor, login: &str) -> Result<()> {
        if actor.login != login && !actor.is_admin {
            return Err(EngineError::Forbidden(Refusal::OnlySelfOrAdmin));
        }
        if self.store.user(login).await?.is_none() {
            return Err(EngineError::NotFound(Refusal::NoUser {
                login: login.to_string(),
            }));
        }
        Ok(())
    }

    /// Sets `login`'s password to `new`, which they must change when they
    /// next sign in: a global administrator, or one who administers a unit
    /// the user holds a role at.
    pub async fn reset_password(&self, actor: &Actor, login: &str, new: &str) -> Result<()> {
        let user = self.store.user(login).await?.ok_or_else(|| {
            EngineError::NotFound(Refusal::NoUser {
                login: login.to_string(),
            })
        })?;
        let grants = self.store.grants(&user.login).await?;
        let theirs = actor.is_admin || grants.iter().any(|g| actor.administers(&g.org_path));
        if !theirs || (user.is_admin && !actor.is_admin) {
            return Err(EngineError::Forbidden(Refusal::NotUnitAdmin));
        }
        password_rule("password", new)?;
        let hash = hash_password(new)?;
        self.store.set_password(&user.login, &hash, true).await?;
        Ok(())
    }
}
