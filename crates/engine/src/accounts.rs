//! A user's own account after it exists: their contact details and digest,
//! and passwords — a user changes their own (knowing the current one); an
//! administrator of a unit the user holds a role at resets it, and the user
//! must change it at their next visit.

use crate::auth::{hash_password, Actor};
use crate::directory::{check_email, password_rule};
use crate::error::{EngineError, Result};
use crate::Engine;
use naxian_model::{Problem, Refusal};

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
