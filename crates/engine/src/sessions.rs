//! Browser sessions: a random session id in a cookie (only its sha256 is
//! stored), a fresh id at every login, a CSRF token per session, idle and
//! absolute timeouts; and the flash, what a form's answer leaves for the page
//! it redirects to. Logins are throttled by [`crate::login`].

use crate::auth::{token_hash, Actor};
use crate::error::Result;
use crate::Engine;
use chrono::Duration;
use naxian_store::SessionRecord;
use rand::RngCore;

/// A session idle this long is over.
pub const IDLE: Duration = Duration::hours(2);
/// No session lasts longer than this.
pub const ABSOLUTE: Duration = Duration::hours(12);

/// An authenticated browser session.
pub struct WebSession {
    pub actor: Actor,
    pub csrf: String,
    pub id_hash: String,
    /// An administrator set the password: the user must change it first.
    pub must_change_password: bool,
}

/// 32 random bytes as hex: session ids, CSRF and login-form tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Engine {
    /// Checks a login and password from a browser at `client`; returns the new
    /// session's cookie value. Wrong credentials and throttling both refuse
    /// without saying which part was wrong.
    pub async fn open_session(&self, login: &str, password: &str, client: &str) -> Result<String> {
        let login = self.check_login(login, password, client).await?.login;
        let now = self.clock.now();
        let id = random_token();
        self.store
            .create_session(&SessionRecord {
                id_hash: token_hash(&id),
                login,
                csrf: random_token(),
                created_at: now,
                last_seen_at: now,
            })
            .await?;
        Ok(id)
    }

    /// The session a cookie value stands for, if it is still valid.
    pub async fn session(&self, cookie: &str) -> Result<Option<WebSession>> {
        let id_hash = token_hash(cookie);
        let Some(rec) = self.store.session(&id_hash).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if now - rec.last_seen_at > IDLE || now - rec.created_at > ABSOLUTE {
            self.store.delete_session(&id_hash).await?;
            return Ok(None);
        }
        // Touch at most once a minute: a page view is not worth a write each time.
        if now - rec.last_seen_at > Duration::minutes(1) {
            self.store.touch_session(&id_hash, now).await?;
        }
        let Some(user) = self.store.user(&rec.login).await? else {
            return Ok(None);
        };
        let must_change_password = user.must_change_password;
        let actor = self.actor_for(user).await?;
        Ok(Some(WebSession {
            actor,
            csrf: rec.csrf,
            id_hash,
            must_change_password,
        }))
    }

    pub async fn close_session(&self, cookie: &str) -> Result<()> {
        Ok(self.store.delete_session(&token_hash(cookie)).await?)
    }

    /// Keeps what a form's answer has to say for the page it redirects to
    /// (post, redirect, get: a refresh sends nothing again).
    pub async fn put_flash<T: serde::Serialize>(&self, w: &WebSession, body: &T) -> Result<()> {
        let body = serde_json::to_value(body).map_err(|e| crate::EngineError::Internal(e.to_string()))?;
        Ok(self.store.put_flash(&w.id_hash, &body).await?)
    }

    /// Takes what the session's last form left for this page, once; `None`
    /// when there is none or it is not of the shape asked for.
    pub async fn take_flash<T: serde::de::DeserializeOwned>(&self, w: &WebSession) -> Result<Option<T>> {
        Ok(self
            .store
            .take_flash(&w.id_hash)
            .await?
            .and_then(|v| serde_json::from_value(v).ok()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_long_and_distinct() {
        let a = super::random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, super::random_token());
    }
}
