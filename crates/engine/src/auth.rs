//! Who is acting: password hashing (argon2id, on a bounded pool of blocking
//! threads), API tokens (random, stored only as their sha256), and the
//! [`Actor`] with the grants that decide what they may see and do.

use crate::error::{EngineError, Result};
use crate::Engine;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use naxian_model::directory::Role;
use naxian_model::{Capability, Task};
use naxian_store::{Grant, TokenRecord, UserRecord};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| EngineError::Internal(format!("hashing password: {e}")))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// `verify_password` in `blocks`, grown to the hash's memory cost once and
/// reused, with the same constant-time comparison of the output.
fn verify_with(password: &str, phc: &str, blocks: &mut Vec<argon2::Block>) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        argon2::Algorithm::try_from(hash.algorithm),
        argon2::Params::try_from(&hash),
    ) else {
        return false;
    };
    let Ok(version) = hash
        .version
        .map_or(Ok(argon2::Version::default()), argon2::Version::try_from)
    else {
        return false;
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    if blocks.len() < params.block_count() {
        blocks.resize(params.block_count(), argon2::Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut blocks[..])
        .is_ok()
        && argon2::password_hash::Output::new(&out).is_ok_and(|o| o == expected)
}

/// A hash to verify against when the login is unknown, so that the response
/// takes as long as for a known login with a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("naxian-timing-equaliser").unwrap_or_default())
}

/// Where password checks run. Each argon2 check takes ~19 MiB and tens of
/// milliseconds of one core, so they run on threads of their own, one per
/// core, with a short queue in front; when the queue is full a check is
/// refused at once (`Busy`) instead of piling up memory and starving the
/// requests that need no password. Each thread keeps one argon2 memory
/// block and reuses it for every check: allocating it per check (as
/// `verify_password` does) left the service at ~210 MiB after 60 checks,
/// since glibc, once a freed block raises its mmap threshold, serves the
/// next from an arena that never shrinks. So memory stays at one block a
/// thread, whatever the flood.
pub(crate) struct HashPool {
    admitted: tokio::sync::Semaphore,
    jobs: std::sync::mpsc::SyncSender<HashJob>,
}

/// One check for a hashing thread, and where its answer goes.
struct HashJob {
    password: String,
    phc: String,
    done: tokio::sync::oneshot::Sender<bool>,
}

/// Checks waiting per thread before more are refused.
const QUEUED_PER_THREAD: usize = 4;

impl Default for HashPool {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        HashPool::new(cores)
    }
}

impl HashPool {
    pub(crate) fn new(threads: usize) -> HashPool {
        let threads = threads.max(1);
        let capacity = threads * (1 + QUEUED_PER_THREAD);
        let (jobs, queue) = std::sync::mpsc::sync_channel::<HashJob>(capacity);
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for _ in 0..threads {
            let queue = queue.clone();
            // Ends when the pool (its sender) is dropped.
            let _ = std::thread::Builder::new()
                .name("naxian-hash".into())
                .spawn(move || {
                    let mut blocks = Vec::new();
                    loop {
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let _ = job.done.send(verify_with(&job.password, &job.phc, &mut blocks));
                    }
                });
        }
        HashPool {
            admitted: tokio::sync::Semaphore::new(capacity),
            jobs,
        }
    }

    /// Whether `password` matches `phc`; with no hash (an unknown login) it
    /// costs the same and is false.
    pub(crate) async fn verify(&self, password: &str, phc: Option<&str>) -> Result<bool> {
        let _admitted = self
            .admitted
            .try_acquire()
            .map_err(|_| EngineError::Busy("too many password checks at once".into()))?;
        let known = phc.is_some();
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .try_send(HashJob {
                password: password.to_string(),
                phc: phc.unwrap_or_else(|| dummy_hash()).to_string(),
                done,
            })
            .map_err(|_| EngineError::Busy("too many password checks at once".into()))?;
        let ok = result
            .await
            .map_err(|e| EngineError::Internal(format!("password check: {e}")))?;
        Ok(ok && known)
    }
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A user with their grants, as authenticated for one request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub login: String,
    pub name: String,
    pub is_admin: bool,
    pub grants: Vec<Grant>,
}

impl Actor {
    /// Whether the actor holds `role` at a unit covering `path`.
    pub fn holds(&self, role: &Role, path: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == *role && path.starts_with(&g.org_path))
    }

    /// Whether any grant of the actor covers `path`.
    pub fn covers(&self, path: &str) -> bool {
        self.grants.iter().any(|g| path.starts_with(&g.org_path))
    }

    /// Whether a role the actor holds at a unit covering `path` lets them do
    /// `what` (the catalogue says which roles do); a global administrator may
    /// do everything.
    pub fn may(&self, what: Capability, path: &str) -> bool {
        self.is_admin
            || self
                .grants
                .iter()
                .any(|g| g.may.contains(&what) && path.starts_with(&g.org_path))
    }

    /// Whether the actor may do `what` anywhere at all.
    pub fn may_somewhere(&self, what: Capability) -> bool {
        self.is_admin || self.grants.iter().any(|g| g.may.contains(&what))
    }

    /// The grants that let the actor do `what`.
    pub fn grants_for(&self, what: Capability) -> impl Iterator<Item = &Grant> {
        self.grants.iter().filter(move |g| g.may.contains(&what))
    }

    /// Whether the actor administers anything at all.
    pub fn administers_any(&self) -> bool {
        self.may_somewhere(Capability::Administer)
    }

    /// An administrator of the whole service, or of the unit at `path`.
    pub fn administers(&self, path: &str) -> bool {
        self.may(Capability::Administer, path)
    }

    /// Whether the task is assigned to the actor, or to a role they hold there.
    pub fn holds_task(&self, task: &Task) -> bool {
        match (&task.assignee.user, &task.assignee.role) {
            (Some(user), _) => *user == self.login,
            (None, Some(role)) => self.holds(role, &task.assignee.unit_path),
            (None, None) => false,
        }
    }
}

impl Engine {
    pub(crate) async fn actor_for(&self, user: UserRecord) -> Result<Actor> {
        let grants = self.store.grants(&user.login).await?;
        Ok(Actor {
            login: user.login,
            name: user.name,
            is_admin: user.is_admin,
            grants,
        })
    }

    /// The user whose login and password these are, if any. An unknown login
    /// costs the same hashing as a wrong password, so timing tells nothing.
    /// Unthrottled: callers go through [`Engine::check_login`].
    pub(crate) async fn check_password(&self, login: &str, password: &str) -> Result<Option<UserRecord>> {
        let user = self.store.user(login).await?;
        let ok = self
            .hash_pool
            .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
            .await?;
        Ok(user.filter(|_| ok))
    }

    /// Checks a login and password from `client` (throttled as the web login
    /// is); on success issues an API token.
    pub async fn login(&self, login: &str, password: &str, client: &str) -> Result<(String, DateTime<Utc>)> {
        let user = self.check_login(login, password, client).await?;
        // A password an administrator set is changed first (on 我的账户), as
        // every page of the web asks; no token is issued for it meanwhile.
        if user.must_change_password {
            return Err(EngineError::Forbidden(naxian_model::Refusal::PasswordMustChange));
        }
        self.token_for(user.login).await
    }

    /// Issues a token for a user (the CLI's `token create`, and login).
    pub async fn issue_token(&self, login: &str) -> Result<(String, DateTime<Utc>)> {
        let Some(user) = self.store.user(login).await? else {
            return Err(EngineError::NotFound(naxian_model::Refusal::NoUser {
                login: login.to_string(),
            }));
        };
        self.token_for(user.login).await
    }

    /// A new token for a user known to exist, by the login as stored.
    async fn token_for(&self, login: String) -> Result<(String, DateTime<Utc>)> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = format!("nx_{}", hex::encode(bytes));
        let now = self.clock.now();
        let expires_at = now + Duration::hours(self.settings.token_ttl_hours);
        self.store
            .create_token(&TokenRecord {
                hash: token_hash(&token),
                login,
                expires_at,
                created_at: now,
            })
            .await?;
        Ok((token, expires_at))
    }

    /// The actor a bearer token stands for.
    pub async fn authenticate(&self, token: &str) -> Result<Actor> {
        let user = self
            .store
            .token_user(&token_hash(token), self.clock.now())
            .await?
            .ok_or(EngineError::Unauthorized)?;
        self.actor_for(user).await
    }

    /// The actor for a login, without credentials (CLI and tests).
    pub async fn actor(&self, login: &str) -> Result<Actor> {
        let user = self.store.user(login).await?.ok_or_else(|| {
            EngineError::NotFound(naxian_model::Refusal::NoUser {
                login: login.to_string(),
            })
        })?;
        self.actor_for(user).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pools_check_agrees_with_argon2s() {
        let phc = hash_password("Chushi-2026").unwrap();
        let mut blocks = Vec::new();
        for (password, ok) in [("Chushi-2026", true), ("chushi-2026", false), ("", false)] {
            assert_eq!(verify_password(password, &phc), ok, "{password}");
            assert_eq!(verify_with(password, &phc, &mut blocks), ok, "{password}");
        }
        assert!(!verify_with("x", "not a hash", &mut blocks));
        let other = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(8192, 1, 1, Some(16)).unwrap(),
        )
        .hash_password(b"pw", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        assert!(
            verify_with("pw", &other, &mut blocks),
            "other parameters, same buffer"
        );
        assert!(!verify_with("pv", &other, &mut blocks));
    }

    #[tokio::test]
    async fn a_full_pool_refuses_at_once() {
        let pool = HashPool::new(1);
        let phc = hash_password("Chushi-2026").unwrap();
        let checks = (0..12).map(|_| pool.verify("Chushi-2026", Some(&phc)));
        let answers = futures::future::join_all(checks).await;
        let busy = answers
            .iter()
            .filter(|a| matches!(a, Err(EngineError::Busy(_))))
            .count();
        assert_eq!(
            busy,
            12 - (1 + QUEUED_PER_THREAD),
            "one running and four queued, the rest refused"
        );
        assert!(answers.iter().filter_map(|a| a.as_ref().ok()).all(|ok| *ok));
        assert!(
            !pool.verify("Chushi-2026", None).await.unwrap(),
            "an unknown login is never right"
        );
    }
}
