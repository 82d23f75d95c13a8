//! The frame every page shares: the navigation, with the links the viewer's
//! grants open (by what the catalogue says their roles may do) and the
//! badges of their open tasks and unread notices.

use crate::AppState;
use naxian_engine::sessions::WebSession;
use naxian_model::Capability;

pub struct Nav {
    pub name: String,
    pub csrf: String,
    /// Whether the viewer may start any workflow (发起, 我发起的).
    pub starts: bool,
    pub reports: bool,
    pub board: bool,
    pub campaigns: bool,
    pub inbox_count: usize,
    /// Unread notices (消息).
    pub unread: usize,
    pub current: &'static str,
    pub admin: bool,
}

/// The navigation for `w`, with `current` marked; each badge is one query.
pub async fn nav(s: &AppState, w: &WebSession, current: &'static str) -> Nav {
    let count = s.engine.inbox_count(&w.actor).await.unwrap_or(0);
    let a = &w.actor;
    Nav {
        name: a.name.clone(),
        csrf: w.csrf.clone(),
        starts: s.engine.startable(a).await.is_ok_and(|w| !w.is_empty()),
        reports: a.may_somewhere(Capability::Reports),
        board: a.may_somewhere(Capability::Coverage),
        campaigns: a.may_somewhere(Capability::Campaigns),
        inbox_count: count,
        unread: s.engine.unread_notices(a).await.unwrap_or(0),
        current,
        admin: a.administers_any(),
    }
}
