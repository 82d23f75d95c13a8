//! The frame every page shares: the navigation, with the links the viewer's
//! grants open and the badge of their open tasks.

use crate::AppState;
use naxian_engine::sessions::WebSession;
use naxian_model::Role;

pub struct Nav {
    pub name: String,
    pub csrf: String,
    pub nominator: bool,
    pub reports: bool,
    pub board: bool,
    pub inbox_count: usize,
    pub current: &'static str,
    pub admin: bool,
}

/// The navigation for `w`, with `current` marked; the badge is one query.
pub async fn nav(s: &AppState, w: &WebSession, current: &'static str) -> Nav {
    let count = s.engine.inbox_count(&w.actor).await.unwrap_or(0);
    let a = &w.actor;
    Nav {
        name: a.name.clone(),
        csrf: w.csrf.clone(),
        nominator: a.holds_any(&[Role::Nominator]),
        reports: a.is_admin || a.holds_any(&[Role::Reporter, Role::Supervisor, Role::Viewer, Role::Admin]),
        board: a.is_admin || a.holds_any(&[Role::Supervisor, Role::Viewer, Role::Admin]),
        inbox_count: count,
        current,
        admin: a.administers_any(),
    }
}
