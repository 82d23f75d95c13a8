//! The directory's rules: what makes an org unit, a body, a user or a grant
//! valid, checked before anything is stored.

use crate::auth::{hash_password, Actor};
use crate::error::{EngineError, Result};
use crate::Engine;
use chrono::NaiveDate;
use naxian_model::directory::{validate_code, Body, OrgKind, OrgUnit};
use naxian_model::Catalogue;
use naxian_model::{Problem, Refusal};
use naxian_store::{Contact, MemberRecord, UserRecord};

/// A request to create an org unit, as it comes from a client.
#[derive(Debug, Clone, Default)]
pub struct NewOrgUnit {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent: Option<String>,
    pub function: Option<String>,
}

/// A request to create a user.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub login: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub is_admin: bool,
    /// For the liaison list (联络表): a phone number, and 职务 or 责任部门.
    pub phone: Option<String>,
    pub position: Option<String>,
}

/// The directory under a unit, as its administrator sees it: the unit
/// itself and below it every unit, body term and role holder.
pub struct Administered {
    pub unit: OrgUnit,
    pub units: Vec<OrgUnit>,
    pub bodies: Vec<(String, Body)>,
    pub contacts: Vec<Contact>,
}

pub(crate) fn check_name(field: &str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(EngineError::invalid(field, Problem::Required));
    }
    if v.chars().count() > max {
        return Err(EngineError::invalid(field, Problem::TooLong { max }));
    }
    if v.chars().any(char::is_control) {
        return Err(EngineError::invalid(field, Problem::ControlCharacters));
    }
    Ok(v.to_string())
}

pub(crate) fn check_email(v: &str) -> Result<String> {
    let v = v.trim();
    let ok = v.split_once('@').is_some_and(|(l, d)| {
        !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !d.contains('@')
    }) && !v
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c));
    if ok && v.len() <= 254 {
        Ok(v.to_string())
    } else {
        Err(EngineError::invalid("email", Problem::NotEmail))
    }
}

/// Checks a new org unit under `parent` (already looked up) and whether the
/// actor may create it there.
pub(crate) fn build_org_unit(
    actor: &Actor,
    catalogue: &Catalogue,
    req: NewOrgUnit,
    parent: Option<&OrgUnit>,
) -> Result<OrgUnit> {
    validate_code(&req.code).map_err(|p| EngineError::invalid("code", p))?;
    let name = check_name("name", &req.name, 100)?;
    let kind = OrgKind::from_label(&req.kind).map_err(|p| EngineError::invalid("kind", p))?;
    let function = match (kind, req.function.as_deref().filter(|f| !f.trim().is_empty())) {
        (OrgKind::Department, Some(f)) => Some(
            catalogue
                .find_function(f)
                .map_err(|p| EngineError::invalid("function", p))?,
        ),
        (OrgKind::Department, None) => {
            return Err(EngineError::invalid("function", Problem::FunctionMissing))
        }
        (_, Some(_)) => return Err(EngineError::invalid("function", Problem::FunctionNotAllowed)),
        (_, None) => None,
    };
    kind.check_parent(parent.map(|p| p.kind))
        .map_err(|p| EngineError::invalid("parent", p))?;
    match parent {
        Some(p) => require_admin(actor, &p.path)?,
        None => {
            if !actor.is_admin {
                return Err(EngineError::Forbidden(Refusal::TopLevelNeedsGlobalAdmin));
            }
        }
    }
    Ok(OrgUnit {
        path: OrgUnit::child_path(parent.map(|p| p.path.as_str()), &req.code),
        code: req.code,
        name,
        kind,
        parent: parent.map(|p| p.code.clone()),
        function,
    })
}

pub(crate) fn require_admin(actor: &Actor, path: &str) -> Result<()> {
    if actor.administers(path) {
        Ok(())
    } else {
        Err(EngineError::Forbidden(Refusal::NeedsAdmin))
    }
}

/// A unit as its page and the API show it.
pub struct UnitDetail {
    pub unit: OrgUnit,
    pub body: Option<Body>,
    pub members: Vec<MemberRecord>,
    /// The seat plan with each post's seats filled, if the body has one.
    pub seats: Option<(naxian_model::seats::Seats, Vec<naxian_model::seats::SeatUse>)>,
}

/// Checks a body's term for `unit` and whether the actor may set it.
pub(crate) fn build_body(
    actor: &Actor,
    unit: &OrgUnit,
    term_start: &str,
    term_end: &str,
    congress_date: Option<&str>,
) -> Result<Body> {
    require_admin(actor, &unit.path)?;
    if unit.kind == OrgKind::Department {
        return Err(EngineError::invalid("code", Problem::NoBody));
    }
    let date = |field: &str, v: &str| {
        NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map_err(|_| EngineError::invalid(field, Problem::NotDate))
    };
    let body = Body {
        term_start: date("term_start", term_start)?,
        term_end: date("term_end", term_end)?,
        congress_date: congress_date
            .filter(|d| !d.trim().is_empty())
            .map(|d| date("congress_date", d))
            .transpose()?,
    };
    if body.term_end <= body.term_start {
        return Err(EngineError::invalid(
            "term_end",
            Problem::NotAfter {
                other: "term_start".into(),
            },
        ));
    }
    Ok(body)
}

/// Checks a new user (whether the actor may create them, and every field).
/// The password is hashed only when `password_hash` is not given.
pub(crate) fn build_user(
    actor: Option<&Actor>,
    req: NewUser,
    password_hash: Option<String>,
) -> Result<UserRecord> {
    if let Some(a) = actor {
        if !a.administers_any() {
            return Err(EngineError::Forbidden(Refusal::NeedsAdmin));
        }
        if req.is_admin && !a.is_admin {
            return Err(EngineError::Forbidden(Refusal::AdminNeedsGlobalAdmin));
        }
    }
    let login = req.login.trim().to_string();
    if login.is_empty()
        || login.len() > 64
        || !login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(EngineError::invalid("login", Problem::NotLogin));
    }
    let name = check_name("name", &req.name, 50)?;
    let email = check_email(&req.email)?;
    password_rule("password", &req.password)?;
    let phone = match req.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) if !naxian_model::fields::is_phone(p) => {
            return Err(EngineError::invalid("phone", Problem::NotPhone))
        }
        p => p.map(str::to_string),
    };
    let position = match req.position.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(check_name("position", p, 50)?),
        None => None,
    };
    Ok(UserRecord {
        login,
        name,
        email,
        phone,
        position,
        password_hash: match password_hash {
            Some(h) => h,
            None => hash_password(&req.password)?,
        },
        is_admin: req.is_admin,
        digest: false,
        must_change_password: false,
    })
}

impl Engine {
    pub async fn create_org_unit(&self, actor: &Actor, req: NewOrgUnit) -> Result<OrgUnit> {
        let parent =
            match &req.parent {
                Some(code) => Some(self.store.org_unit(code).await?.ok_or_else(|| {
                    EngineError::invalid("parent", Problem::NoOrgUnit { code: code.clone() })
                })?),
                None => None,
            };
        let catalogue = self.store.catalogue().await?;
        let unit = build_org_unit(actor, &catalogue, req, parent.as_ref())?;
        match self.store.create_org_unit(&unit).await {
            Ok(()) => Ok(unit),
            Err(naxian_store::StoreError::Conflict(_)) => {
                if self.store.org_unit(&unit.code).await?.is_some() {
                    Err(EngineError::Conflict(Refusal::UnitExists {
                        code: unit.code.clone(),
                    }))
                } else {
                    Err(EngineError::invalid(
                        "code",
                        Problem::CodeInOtherCase {
                            code: unit.code.clone(),
                        },
                    ))
                }
            }
            Err(other) => Err(other.into()),
        }
    }

    /// The directory under `code`, for an actor who administers it.
    pub async fn administered(&self, actor: &Actor, code: &str) -> Result<Administered> {
        let unit = self.unit(code).await?;
        if !actor.administers(&unit.path) {
            return Err(EngineError::Forbidden(Refusal::NotUnitAdmin));
        }
        Ok(Administered {
            units: self.store.units_under(&unit.path).await?,
            bodies: self.store.bodies_under(&unit.path).await?,
            contacts: self.store.contacts_under(&unit.path).await?,
            unit,
        })
    }

    /// A unit with its body, current members and seat plan, for an
    /// administrator or one whose grant covers it.
    pub async fn org_unit(&self, actor: &Actor, code: &str) -> Result<UnitDetail> {
        let unit = self.unit(code).await?;
        if !actor.is_admin && !actor.covers(&unit.path) {
            return Err(EngineError::Forbidden(Refusal::OutsideGrants));
        }
        let body = self.store.body(code).await?;
        let today = self.clock.today();
        let members = self
            .store
            .members(code)
            .await?
            .into_iter()
            .filter(|m| m.member.current_on(today))
            .collect();
        let seats = self.seat_use(code).await?;
        Ok(UnitDetail {
            unit,
            body,
            members,
            seats,
        })
    }

    pub async fn set_body(
        &self,
        actor: &Actor,
        code: &str,
        term_start: &str,
        term_end: &str,
        congress_date: Option<&str>,
    ) -> Result<Body> {
        let unit = self.store.org_unit(code).await?.ok_or_else(|| {
            EngineError::NotFound(Refusal::NoOrgUnit {
                code: code.to_string(),
            })
        })?;
        let body = build_body(actor, &unit, term_start, term_end, congress_date)?;
        self.store.set_body(code, &body).await?;
        Ok(body)
    }

    pub async fn create_user(&self, actor: Option<&Actor>, req: NewUser) -> Result<UserRecord> {
        self.create_user_inner(actor, req, None).await
    }

    /// Creates a user whose password was hashed beforehand (bulk loads hash a
    /// shared password once instead of once per user).
    pub async fn create_user_prehashed(&self, req: NewUser, password_hash: String) -> Result<UserRecord> {
        self.create_user_inner(None, req, Some(password_hash)).await
    }

    async fn create_user_inner(
        &self,
        actor: Option<&Actor>,
        req: NewUser,
        password_hash: Option<String>,
    ) -> Result<UserRecord> {
        let user = build_user(actor, req, password_hash)?;
        if let Some(existing) = self.store.user(&user.login).await? {
            if existing.login != user.login {
                return Err(EngineError::invalid(
                    "login",
                    Problem::LoginInOtherCase {
                        login: user.login,
                        existing: existing.login,
                    },
                ));
            }
        }
        self.store.create_user(&user).await.map_err(|e| match e {
            naxian_store::StoreError::Conflict(_) => EngineError::Conflict(Refusal::UserExists {
                login: user.login.clone(),
            }),
            other => other.into(),
        })?;
        Ok(user)
    }

    pub async fn add_grant(&self, actor: &Actor, login: &str, role: &str, org_unit: &str) -> Result<Granted> {
        let catalogue = self.store.catalogue().await?;
        let (role, label) = catalogue
            .role(role)
            .map(|r| (r.name.clone(), r.label.clone()))
            .ok_or_else(|| EngineError::invalid("role", catalogue.not_a_role()))?;
        let unit = self.store.org_unit(org_unit).await?.ok_or_else(|| {
            EngineError::invalid(
                "org_unit",
                Problem::NoOrgUnit {
                    code: org_unit.into(),
                },
            )
        })?;
        require_admin(actor, &unit.path)?;
        let Some(user) = self.store.user(login).await? else {
            return Err(EngineError::NotFound(Refusal::NoUser {
                login: login.to_string(),
            }));
        };
        // As the user is spelled, whatever case the request used.
        let login = user.login.as_str();
        self.store
            .add_grant(login, &role, &unit.code)
            .await
            .map_err(|e| match e {
                naxian_store::StoreError::Conflict(_) => {
                    EngineError::Conflict(Refusal::AlreadyHolds(Box::new(naxian_model::error::GrantNamed {
                        login: login.to_string(),
                        name: user.name.clone(),
                        role: role.to_string(),
                        unit: org_unit.to_string(),
                        unit_name: unit.name.clone(),
                    })))
                }
                other => other.into(),
            })?;
        Ok(Granted {
            name: user.name.clone(),
            role: label,
            unit_name: unit.name,
        })
    }
}

/// A role given, by name, for the page that says so.
pub struct Granted {
    pub name: String,
    /// The role's label (提名人).
    pub role: String,
    pub unit_name: String,
}

impl Engine {
    /// Takes a role at a unit away from a user (an administrator over the
    /// unit): a contact who changed jobs. Once a user holds no role, their
    /// phone is kept only for the retention period.
    pub async fn remove_grant(&self, actor: &Actor, login: &str, role: &str, org_unit: &str) -> Result<()> {
        let refused = |name: &str, unit_name: &str| {
            EngineError::NotFound(Refusal::NoGrant(Box::new(naxian_model::error::GrantNamed {
                login: login.to_string(),
                name: name.to_string(),
                role: role.to_string(),
                unit: org_unit.to_string(),
                unit_name: unit_name.to_string(),
            })))
        };
        let role: naxian_model::Role = role.parse().map_err(|_| refused(login, org_unit))?;
        let unit = self
            .store
            .org_unit(org_unit)
            .await?
            .ok_or_else(|| refused(login, org_unit))?;
        require_admin(actor, &unit.path)?;
        let user = self.store.user(login).await?.ok_or_else(|| {
            EngineError::NotFound(Refusal::NoUser {
                login: login.to_string(),
            })
        })?;
        if self
            .store
            .remove_grant(&user.login, &role, &unit.code, self.clock.now())
            .await?
        {
            Ok(())
        } else {
            Err(refused(&user.name, &unit.name))
        }
    }
}

impl Engine {
    /// Turns a user's daily digest on or off: the user themself or an administrator.
    pub async fn set_digest(&self, actor: &Actor, login: &str, digest: bool) -> Result<()> {
        if actor.login != login && !actor.is_admin {
            return Err(EngineError::Forbidden(Refusal::OnlySelfOrAdmin));
        }
        if self.store.set_digest(login, digest).await? {
            Ok(())
        } else {
            Err(EngineError::NotFound(Refusal::NoUser {
                login: login.to_string(),
            }))
        }
    }
}

/// What a password must be: at least 8 characters, at most 256 bytes.
pub(crate) fn password_rule(field: &str, password: &str) -> Result<()> {
    if password.chars().count() < 8 {
        return Err(EngineError::invalid(field, Problem::TooShort { min: 8 }));
    }
    if password.len() > 256 {
        return Err(EngineError::invalid(field, Problem::TooManyBytes { max: 256 }));
    }
    Ok(())
}
