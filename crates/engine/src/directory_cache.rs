//! What a transition reads of the directory — a unit's context, who holds a
//! role above a unit, a user — kept for as long as the directory's
//! generation (migration 0014) stays the same. The instance read that starts
//! a transition carries the generation; a newer one empties the cache, so a
//! change on any replica is seen by the next transition that reads it.
//! Reads that carry no generation ([`Seen::Now`]) go to the store.

use crate::error::Result;
use crate::Engine;
use naxian_model::directory::Role;
use naxian_model::OrgContext;
use naxian_store::UserRecord;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Which directory a lookup may answer from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seen {
    /// The store, now.
    Now,
    /// Anything read at this generation or a later one.
    At(i64),
}

/// Entries past this many empty the cache: a province has some thousands
/// of units, and a cache this size is a few MiB.
const MOST_ENTRIES: usize = 20_000;

type Holders = Arc<Vec<(UserRecord, String)>>;

#[derive(Default)]
struct Entries {
    generation: i64,
    /// Whether `generation` was read from the store (else it is 0 by default).
    observed: bool,
    contexts: HashMap<String, Arc<OrgContext>>,
    /// A unit's path by its code (a start names its unit by code).
    paths: HashMap<String, String>,
    holders: HashMap<(Role, String), Holders>,
    users: HashMap<String, Option<UserRecord>>,
}

impl Entries {
    fn len(&self) -> usize {
        self.contexts.len() + self.paths.len() + self.holders.len() + self.users.len()
    }
}

#[derive(Default)]
pub(crate) struct DirectoryCache(Mutex<Entries>);

impl DirectoryCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.0.lock().expect("directory cache lock")
    }

    /// The newest generation read from the store, if any was.
    fn generation(&self) -> Option<i64> {
        let e = self.entries();
        e.observed.then_some(e.generation)
    }

    /// Takes note of a generation read from the store.
    pub(crate) fn observe(&self, generation: i64) {
        let mut e = self.entries();
        if generation > e.generation || !e.observed {
            *e = Entries {
                generation,
                observed: true,
                ..Entries::default()
            };
        }
    }

    /// An entry, if the cache is as new as `seen`.
    fn get<T: Clone>(&self, seen: Seen, pick: impl FnOnce(&Entries) -> Option<&T>) -> Option<T> {
        let Seen::At(g) = seen else { return None };
        let e = self.entries();
        if e.generation >= g {
            pick(&e).cloned()
        } else {
            None
        }
    }

    /// Keeps what was just read, if the cache is still at the generation the
    /// reader saw (a newer one may have been observed meanwhile).
    fn keep(&self, seen: Seen, put: impl FnOnce(&mut Entries)) {
        let Seen::At(g) = seen else { return };
        let mut e = self.entries();
        if e.generation == g {
            if e.len() >= MOST_ENTRIES {
                *e = Entries {
                    generation: g,
                    observed: true,
                    ..Entries::default()
                };
            }
            put(&mut e);
        }
    }
}

impl Engine {
    /// A unit's context by its path.
    pub(crate) async fn org_context_seen(&self, seen: Seen, path: &str) -> Result<Option<Arc<OrgContext>>> {
        if let Some(c) = self.directory_cache.get(seen, |e| e.contexts.get(path)) {
            return Ok(Some(c));
        }
        let ctx = self.store.org_context_at(path).await?.map(Arc::new);
        if let Some(c) = &ctx {
            self.directory_cache
                .keep(seen, |e| drop(e.contexts.insert(path.to_string(), c.clone())));
        }
        Ok(ctx)
    }

    /// A unit's context by its code.
    pub(crate) async fn org_context_of(&self, seen: Seen, code: &str) -> Result<Option<Arc<OrgContext>>> {
        if let Some(path) = self.directory_cache.get(seen, |e| e.paths.get(code)) {
            return self.org_context_seen(seen, &path).await;
        }
        let ctx = self.store.org_context(code).await?.map(Arc::new);
        if let Some(c) = &ctx {
            let path = c.target().path.clone();
            self.directory_cache.keep(seen, |e| {
                e.paths.insert(code.to_string(), path.clone());
                e.contexts.insert(path, c.clone());
            });
        }
        Ok(ctx)
    }

    /// The directory's generation: the newest this process has read, else
    /// the store's now. Writes decided on it are checked against the store's.
    pub(crate) async fn directory_generation(&self) -> Result<i64> {
        if let Some(g) = self.directory_cache.generation() {
            return Ok(g);
        }
        let g = self.store.directory_generation().await?;
        self.directory_cache.observe(g);
        Ok(g)
    }

    /// Who holds `role` at the unit or above it, nearest grant first.
    pub(crate) async fn holders_seen(&self, seen: Seen, role: &Role, path: &str) -> Result<Holders> {
        let key = (role.clone(), path.to_string());
        if let Some(h) = self.directory_cache.get(seen, |e| e.holders.get(&key)) {
            return Ok(h);
        }
        let holders = Arc::new(self.store.holders(role, path).await?);
        self.directory_cache
            .keep(seen, |e| drop(e.holders.insert(key, holders.clone())));
        Ok(holders)
    }

    /// A user by login.
    pub(crate) async fn user_seen(&self, seen: Seen, login: &str) -> Result<Option<UserRecord>> {
        if let Some(u) = self.directory_cache.get(seen, |e| e.users.get(login)) {
            return Ok(u);
        }
        let user = self.store.user(login).await?;
        self.directory_cache
            .keep(seen, |e| drop(e.users.insert(login.to_string(), user.clone())));
        Ok(user)
    }
}
