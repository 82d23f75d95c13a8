//! Members already on a body, entered by hand or imported (not made by an
//! appointment), and members leaving before the term's end (届中调整): the
//! rules for both, checked before anything is stored.

use crate::auth::Actor;
use crate::directory::{check_name, require_admin};
use crate::error::{EngineError, Result};
use crate::reports::Vocabulary;
use crate::Engine;
use chrono::NaiveDate;
use naxian_model::directory::{Body, OrgKind, OrgUnit};
use naxian_model::machine::Member;
use naxian_model::{Problem, Refusal};
use naxian_store::MemberRecord;

/// A member to enter, as it comes from a client or a sheet's row.
#[derive(Debug, Clone, Default)]
pub struct NewMember {
    pub name: String,
    /// A value or a label of the appointments' sector choices; likewise `post` and `mode`.
    pub sector: String,
    pub post: String,
    pub mode: String,
    /// YYYY-MM-DD.
    pub since: String,
    pub chief: bool,
    pub employer: Option<String>,
    pub position: Option<String>,
}

/// `是`/`否` (or yes/no, true/false, 1/0; empty is no) of a sheet's chief column.
pub(crate) fn parse_yes_no(cell: &str) -> std::result::Result<bool, Problem> {
    match cell.trim().to_lowercase().as_str() {
        "是" | "yes" | "y" | "true" | "1" => Ok(true),
        "否" | "no" | "n" | "false" | "0" | "" => Ok(false),
        _ => Err(Problem::NotOneOf {
            choices: vec!["是".into(), "否".into()],
        }),
    }
}

pub(crate) fn parse_date(field: &str, v: &str) -> Result<NaiveDate> {
    let v = v.trim();
    if v.is_empty() {
        return Err(EngineError::invalid(field, Problem::Required));
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| EngineError::invalid(field, Problem::NotDate))
}

fn optional_text(field: &str, v: Option<String>) -> Result<Option<String>> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => check_name(field, t, 100).map(Some),
    }
}

/// Checks a member to enter on `unit`'s body (its `body`, if it has one) and
/// whether the actor may: an administrator of the unit or above it (a
/// county association's administrator for its townships).
pub(crate) fn build_member(
    actor: &Actor,
    unit: &OrgUnit,
    body: Option<&Body>,
    vocabulary: &Vocabulary,
    today: NaiveDate,
    req: NewMember,
) -> Result<Member> {
    require_admin(actor, &unit.path)?;
    if unit.kind == OrgKind::Department {
        return Err(EngineError::invalid("org_unit", Problem::NoBody));
    }
    let name = check_name("name", &req.name, 50)?;
    let value = |attribute: &str, text: &str| {
        if text.trim().is_empty() {
            return Err(EngineError::invalid(attribute, Problem::Required));
        }
        vocabulary
            .value_of(attribute, text)
            .map_err(|p| EngineError::invalid(attribute, p))
    };
    let sector = value("sector", &req.sector)?;
    let post = value("post", &req.post)?;
    let mode = value("mode", &req.mode)?;
    let since = parse_date("since", &req.since)?;
    if since > today {
        return Err(EngineError::invalid("since", Problem::InFuture));
    }
    if req.chief && !vocabulary.sectors.iter().any(|(s, _)| *s == sector) {
        return Err(EngineError::invalid(
            "chief",
            Problem::ChiefOutsideSectors {
                sectors: vocabulary.sectors.iter().map(|(_, l)| l.clone()).collect(),
            },
        ));
    }
    let term_end = body.map(|b| b.term_end);
    if term_end.is_some_and(|end| since > end) {
        return Err(EngineError::invalid(
            "since",
            Problem::NotAfter {
                other: "term_end".into(),
            },
        ));
    }
    Ok(Member {
        org_unit: unit.code.clone(),
        name,
        sector,
        post,
        mode,
        since,
        term_end,
        instance_id: None,
        chief: req.chief,
        employer: optional_text("employer", req.employer)?,
        position: optional_text("position", req.position)?,
        left_on: None,
        left_reason: None,
    })
}

impl Engine {
    /// Enters a member already on the body of unit `code`.
    pub async fn add_member(&self, actor: &Actor, code: &str, req: NewMember) -> Result<MemberRecord> {
        let unit = self.unit(code).await?;
        let body = self.store.body(code).await?;
        let vocabulary = self.member_vocabulary().await?;
        let member = build_member(actor, &unit, body.as_ref(), &vocabulary, self.clock.today(), req)?;
        let id = self.store.add_member(&member).await?;
        tracing::info!(login = %actor.login, unit = %code, member = id, chief = member.chief, "member entered");
        Ok(MemberRecord { id, member })
    }

    /// Member `id` of unit `code` leaves the body on `on` (届中调整); from
    /// that day they no longer count on the coverage board.
    pub async fn leave_member(
        &self,
        actor: &Actor,
        code: &str,
        id: i64,
        on: &str,
        reason: Option<&str>,
    ) -> Result<MemberRecord> {
        let unit = self.unit(code).await?;
        require_admin(actor, &unit.path)?;
        let missing = || {
            EngineError::NotFound(Refusal::NoMember {
                code: code.to_string(),
                id,
            })
        };
        let current = self.store.members(code).await?;
        let mut record = current.into_iter().find(|m| m.id == id).ok_or_else(missing)?;
        if record.member.left_on.is_some() {
            return Err(EngineError::Conflict(Refusal::MemberLeft { id }));
        }
        let on = parse_date("on", on)?;
        if on < record.member.since {
            return Err(EngineError::invalid(
                "on",
                Problem::Before {
                    other: "since".into(),
                },
            ));
        }
        let reason = optional_text("reason", reason.map(str::to_string))?;
        // The store changes the row only while it reads as current: of two
        // racing leaves, the second finds it gone.
        if !self.store.leave_member(code, id, on, reason.as_deref()).await? {
            return Err(EngineError::Conflict(Refusal::MemberLeft { id }));
        }
        tracing::info!(login = %actor.login, unit = %code, member = id, "member left");
        record.member.left_on = Some(on);
        record.member.left_reason = reason;
        Ok(record)
    }
}
