//! Login throttling, the one door both the API token and the web login pass:
//! failures per account and per client address within a window, counted in
//! the database so every replica sees them. Each attempt is counted before
//! its password is checked, in one atomic statement that returns the count,
//! so however many arrive at once no more than the limit are ever checked.

use crate::error::{EngineError, Result};
use crate::Engine;
use chrono::Duration;
use naxian_store::UserRecord;

/// Attempts counted within this window …
pub const WINDOW: Duration = Duration::minutes(15);
/// … lock an account after this many failures …
pub const MAX_ACCOUNT_FAILURES: i64 = 5;
/// … and a client address after this many.
pub const MAX_ADDRESS_FAILURES: i64 = 20;

impl Engine {
    /// The user these credentials are from `client`'s address. Throttled
    /// and wrong credentials both refuse without saying which part was wrong
    /// (`TooMany`, `Unauthorized`); a throttled attempt is refused whatever
    /// its password.
    pub(crate) async fn check_login(&self, login: &str, password: &str, client: &str) -> Result<UserRecord> {
        let now = self.clock.now();
        let since = now - WINDOW;
        // Logins are compared without regard to case, so is the counter.
        let account = format!("account:{}", login.to_lowercase());
        let address = format!("address:{client}");
        let by_account = self.store.count_login_attempt(&account, now, since).await?;
        let by_address = self.store.count_login_attempt(&address, now, since).await?;
        if by_account > MAX_ACCOUNT_FAILURES || by_address > MAX_ADDRESS_FAILURES {
            return Err(EngineError::TooMany(naxian_model::Refusal::TooManyLogins));
        }
        match self.check_password(login, password).await {
            Ok(Some(user)) => {
                // A success is not a failure: the account starts afresh and
                // the address gets its attempt back.
                self.store.clear_login_failures(&account).await?;
                self.store.forgive_login_attempt(&address).await?;
                Ok(user)
            }
            Ok(None) => Err(EngineError::Unauthorized),
            Err(e) => {
                // Not checked (the hashing pool was full, the database
                // failed): nothing was guessed, so nothing is held against it.
                let _ = self.store.forgive_login_attempt(&account).await;
                let _ = self.store.forgive_login_attempt(&address).await;
                Err(e)
            }
        }
    }
}
