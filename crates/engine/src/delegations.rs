//! 代理: a user away names a delegate for a window (and for all or some
//! workflows); meanwhile the user's tasks also reach the delegate, who acts
//! in the user's name. Setting, reading and ending a delegation, and who a
//! delegate stands for on a task. Whether a delegation covers a task is the
//! model's rule ([`Delegation::covers`]).

use crate::auth::Actor;
use crate::error::{EngineError, Result};
use crate::Engine;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use naxian_model::calendar::shanghai;
use naxian_model::{Delegation, Instance, Problem, Refusal, Task, TaskStatus};
use serde_json::json;

/// What a user asks for: times as sent (a date `YYYY-MM-DD`, or RFC 3339).
pub struct DelegationRequest {
    pub delegate: String,
    pub from: String,
    pub until: String,
    pub workflows: Option<Vec<String>>,
}

/// The start (`end: false`) or the last moment (`end: true`) of what `text`
/// names: a whole day in Asia/Shanghai, or an RFC 3339 time.
fn moment(field: &str, text: &str, end: bool) -> Result<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return Err(EngineError::invalid(field, Problem::Required));
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let time = if end {
            NaiveTime::from_hms_milli_opt(23, 59, 59, 999).expect("a valid time")
        } else {
            NaiveTime::MIN
        };
        return day
            .and_time(time)
            .and_local_timezone(shanghai())
            .single()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| EngineError::invalid(field, Problem::NotDate));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| EngineError::invalid(field, Problem::NotDate))
}

impl Engine {
    /// Sets `login`'s delegation (the user themself or an administrator),
    /// replacing any they had, and tells the delegate.
    pub async fn set_delegation(
        &self,
        actor: &Actor,
        login: &str,
        req: DelegationRequest,
    ) -> Result<Delegation> {
        let user = self.delegating_user(actor, login).await?;
        let delegate = self.existing_user("delegate", &req.delegate).await?;
        if delegate.eq_ignore_ascii_case(&user) {
            return Err(EngineError::invalid("delegate", Problem::DelegateIsSelf));
        }
        let from = moment("from", &req.from, false)?;
        let until = moment("until", &req.until, true)?;
        let now = self.clock.now();
        if until < from {
            return Err(EngineError::invalid(
                "until",
                Problem::Before { other: "from".into() },
            ));
        }
        if until < now {
            return Err(EngineError::invalid("until", Problem::NotFuture));
        }
        let workflows = match req.workflows {
            None => None,
            Some(names) => {
                let known = self.workflows().await?;
                for (i, name) in names.iter().enumerate() {
                    if !known.iter().any(|w| w.name == *name) {
                        return Err(EngineError::invalid(
                            format!("workflows[{i}]"),
                            Problem::NoWorkflow { name: name.clone() },
                        ));
                    }
                    if names[..i].contains(name) {
                        return Err(EngineError::invalid(
                            format!("workflows[{i}]"),
                            Problem::ListedTwice { value: name.clone() },
                        ));
                    }
                }
                if names.is_empty() {
                    return Err(EngineError::invalid("workflows", Problem::Empty));
                }
                Some(names)
            }
        };
        let d = Delegation {
            login: user,
            delegate,
            from,
            until,
            workflows,
            created_at: now,
        };
        self.store.put_delegation(&d).await?;
        self.tell_delegate(&d).await?;
        Ok(d)
    }

    /// `login`'s delegation, if they have one (the user or an administrator).
    pub async fn delegation(&self, actor: &Actor, login: &str) -> Result<Option<Delegation>> {
        let user = self.delegating_user(actor, login).await?;
        Ok(self.store.delegation(&user).await?)
    }

    /// Ends `login`'s delegation (the user or an administrator).
    pub async fn end_delegation(&self, actor: &Actor, login: &str) -> Result<()> {
        let user = self.delegating_user(actor, login).await?;
        if self.store.end_delegation(&user).await? {
            Ok(())
        } else {
            Err(EngineError::NotFound(Refusal::NoDelegation { login: user }))
        }
    }

    /// The titles of the workflows named (a name no workflow has stays as it is).
    pub async fn workflow_titles(&self, names: &[String]) -> Result<Vec<String>> {
        let all = self.workflows().await?;
        Ok(names
            .iter()
            .map(|n| {
                all.iter()
                    .find(|w| w.name == *n)
                    .map_or(n.clone(), |w| w.title.clone())
            })
            .collect())
    }

    /// The delegations to `actor` in force now, for their inbox.
    pub async fn delegations_to(&self, actor: &Actor) -> Result<Vec<Delegation>> {
        let now = self.clock.now();
        Ok(self
            .store
            .delegations_to(&actor.login)
            .await?
            .into_iter()
            .filter(|d| d.from <= now && now <= d.until)
            .collect())
    }

    /// Whom `actor` stands for on `task` as their delegate, if anyone: a
    /// user whose delegation to them covers the task now and who holds it.
    /// Never on an instance the actor or the person represented started.
    pub(crate) async fn principal_for(
        &self,
        actor: &Actor,
        task: &Task,
        inst: &Instance,
    ) -> Result<Option<Actor>> {
        let now = self.clock.now();
        for d in self.store.delegations_to(&actor.login).await? {
            if !d.covers(now, &inst.workflow) {
                continue;
            }
            let Some(user) = self.store.user(&d.login).await? else {
                continue;
            };
            let principal = self.actor_for(user).await?;
            if principal.holds_task(task) {
                if inst.creator == principal.login || inst.creator == actor.login {
                    return Err(EngineError::Forbidden(Refusal::OwnInstance));
                }
                return Ok(Some(principal));
            }
        }
        Ok(None)
    }

    /// Whether `actor` may see an instance as someone's delegate: a user
    /// whose delegation covers it holds one of its open tasks.
    pub(crate) async fn sees_as_delegate(
        &self,
        actor: &Actor,
        inst: &Instance,
        tasks: &[Task],
    ) -> Result<bool> {
        for t in tasks.iter().filter(|t| t.status == TaskStatus::Open) {
            if matches!(self.principal_for(actor, t, inst).await, Ok(Some(_))) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whom `actor` may name as their delegate on a page, by name: the
    /// people of the units around theirs (those under each parent of a unit
    /// they hold a role at), never themself.
    pub async fn colleagues(&self, actor: &Actor) -> Result<Vec<(String, String)>> {
        let mut out: Vec<(String, String)> = Vec::new();
        for g in &actor.grants {
            let parent = g
                .org_path
                .trim_end_matches('/')
                .rsplit_once('/')
                .map_or("/".to_string(), |(p, _)| format!("{p}/"));
            for c in self.store.contacts_under(&parent).await? {
                if c.login != actor.login && !out.iter().any(|(l, _)| *l == c.login) {
                    out.push((c.login, c.name));
                }
            }
        }
        out.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(out)
    }

    async fn delegating_user(&self, actor: &Actor, login: &str) -> Result<String> {
        if !actor.login.eq_ignore_ascii_case(login) && !actor.is_admin {
            return Err(EngineError::Forbidden(Refusal::OnlySelfOrAdmin));
        }
        self.store.user(login).await?.map(|u| u.login).ok_or_else(|| {
            EngineError::NotFound(Refusal::NoUser {
                login: login.to_string(),
            })
        })
    }

    /// E-mails the delegate that they act for the user in the window.
    async fn tell_delegate(&self, d: &Delegation) -> Result<()> {
        let (Some(user), Some(delegate)) = (
            self.store.user(&d.login).await?,
            self.store.user(&d.delegate).await?,
        ) else {
            return Ok(());
        };
        let day = |t: DateTime<Utc>| t.with_timezone(&shanghai()).format("%Y-%m-%d").to_string();
        let titles = match &d.workflows {
            None => String::new(),
            Some(names) => self.workflow_titles(names).await?.join("、"),
        };
        let params =
            json!({"by": user.name, "from": day(d.from), "until": day(d.until), "workflows": titles});
        let key = format!("delegated:{}:{}", d.login, d.created_at.timestamp_micros());
        let mail = self.messages(&key, &[delegate], "delegated", params);
        self.store.enqueue(&mail).await?;
        Ok(())
    }
}
