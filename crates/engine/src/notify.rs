//! Which e-mails a transition causes and to whom: a new task to its holders,
//! a return or objection to the creator, a withdrawal to those whose task it
//! closed, the outcome to the creator. They
//! become outbox rows in the transition's own transaction, one per recipient,
//! each with a dedupe key so that no event is mailed twice.

use crate::directory_cache::Seen;
use crate::error::Result;
use crate::Engine;
use chrono::{DateTime, Utc};
use naxian_model::calendar::shanghai;
use naxian_model::machine::{self, Assignee, TaskClose};
use naxian_model::{Definition, Instance, Task};
use naxian_store::{OutboxMessage, Recipient, UserRecord};
use serde_json::{json, Value};

/// A due date as the e-mails write it.
pub fn due_text(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.with_timezone(&shanghai()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Adds the instance's top-level text fields as `data_<name>` (a report's
/// month, say) for templates that need them. Fields the workflow marks
/// `personal` stay out: outbox rows outlive the retention period that
/// purges them from the instance, and no template needs them.
pub fn task_params(mut params: Value, def: &Definition, inst: &Instance) -> Value {
    params["workflow"] = json!(def.name.as_str());
    if let Some(obj) = inst.data.as_object() {
        for (k, v) in obj {
            let personal = def.fields.get(k.as_str()).is_some_and(|f| f.personal);
            if let (Some(s), false) = (v.as_str(), personal) {
                params[format!("data_{k}")] = json!(s);
            }
        }
    }
    params
}

/// What every message about an instance says of it.
pub struct Subject {
    pub workflow_title: String,
    pub text: String,
}

impl Subject {
    pub fn new(def: &Definition, inst: &Instance, unit_name: &str) -> Subject {
        Subject {
            workflow_title: def.title.clone(),
            text: format!("{} · {unit_name}", def.summarize(&inst.data, unit_name)),
        }
    }
}

pub fn step_title(def: &Definition, step: &str) -> String {
    def.step(step)
        .and_then(|s| s.title.clone())
        .unwrap_or_else(|| step.to_string())
}

impl Engine {
    /// The people a task's assignee stands for: the role's holders at its
    /// unit, or, where the unit has none, everyone whose grant covers it (the
    /// inbox query, `naxian_store::inbox`, lists tasks by the same rule).
    pub(crate) async fn recipients_of(&self, seen: Seen, a: &Assignee) -> Result<Vec<UserRecord>> {
        Ok(match (&a.user, &a.role) {
            (Some(login), _) => self.user_seen(seen, login).await?.into_iter().collect(),
            (None, Some(role)) => {
                let holders = self.holders_seen(seen, role, &a.unit_path).await?;
                let at_unit = holders.iter().any(|(_, p)| *p == a.unit_path);
                let mut users: Vec<UserRecord> = holders
                    .iter()
                    .filter(|(_, p)| !at_unit || *p == a.unit_path)
                    .map(|(u, _)| u.clone())
                    .collect();
                users.sort_by(|x, y| x.login.cmp(&y.login));
                users.dedup_by(|x, y| x.login == y.login);
                users
            }
            (None, None) => Vec::new(),
        })
    }

    /// The delegates (代理) in force now of any of `users` for `workflow`,
    /// each with the name of whom they stand for; one query.
    async fn delegates_of(&self, users: &[UserRecord], workflow: &str) -> Result<Vec<(UserRecord, String)>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let logins: Vec<String> = users.iter().map(|u| u.login.clone()).collect();
        let now = self.clock.now();
        let mut out: Vec<(UserRecord, String)> = Vec::new();
        for d in self.store.delegations_of(&logins).await? {
            if !d.covers(now, workflow) || users.iter().any(|u| u.login == d.delegate) {
                continue;
            }
            let principal = users.iter().find(|u| u.login == d.login).map(|u| u.name.clone());
            if let (Some(delegate), Some(principal)) = (self.store.user(&d.delegate).await?, principal) {
                if !out.iter().any(|(u, _)| u.login == delegate.login) {
                    out.push((delegate, principal));
                }
            }
        }
        Ok(out)
    }

    /// The path of the unit a `{role, unit: LEVEL}` spec names for an instance.
    async fn level_path(
        &self,
        seen: Seen,
        inst: &Instance,
        spec: &naxian_model::definition::AssignSpec,
    ) -> Result<String> {
        let level = spec.unit.unwrap_or(naxian_model::directory::Level::Target);
        let org = self.org_context_seen(seen, &inst.org_path).await?;
        Ok(org
            .as_ref()
            .and_then(|o| o.at_level(level))
            .map(|u| u.path.clone())
            .unwrap_or_else(|| inst.org_path.clone()))
    }

    /// The holders of a role nearest to a unit: those granted at the unit
    /// itself, else at the closest unit above it (an escalation to the city
    /// goes to the city, not to everyone above it).
    pub(crate) async fn nearest_holders(&self, seen: Seen, a: &Assignee) -> Result<Vec<UserRecord>> {
        let Some(role) = &a.role else {
            return self.recipients_of(seen, a).await;
        };
        let all = self.holders_seen(seen, role, &a.unit_path).await?;
        let Some(nearest) = all.first().map(|(_, p)| p.clone()) else {
            return Ok(Vec::new());
        };
        Ok(all
            .iter()
            .filter(|(_, p)| *p == nearest)
            .map(|(u, _)| u.clone())
            .collect())
    }

    /// One outbox row per user, each keyed `{key}:{login}`, each also the
    /// user's notice (消息) in the app.
    pub(crate) fn messages(
        &self,
        key: &str,
        users: &[UserRecord],
        template: &str,
        params: Value,
    ) -> Vec<OutboxMessage> {
        users
            .iter()
            .map(|u| {
                let mut p = params.clone();
                p["name"] = json!(u.name);
                OutboxMessage {
                    id: uuid::Uuid::now_v7().to_string(),
                    dedupe_key: format!("{key}:{}", u.login),
                    recipients: vec![Recipient {
                        name: u.name.clone(),
                        email: u.email.clone(),
                    }],
                    template: template.into(),
                    params: p,
                    created_at: self.clock.now(),
                    // The daily digest sums up the inbox, which the app shows anyway.
                    notice_for: (template != "digest").then(|| u.login.clone()),
                }
            })
            .collect()
    }

    /// The e-mails a decision by `actor` causes. Nobody is mailed about a task
    /// they just gave themselves, and a creator whose nomination came back
    /// gets the return or objection, not a second "new task" mail.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn mails_of_decision(
        &self,
        def: &Definition,
        inst: &Instance,
        entry: &naxian_store::HistoryRecord,
        before: &[Task],
        opened: &[Task],
        closes: &[TaskClose],
        by: &crate::Actor,
        unit_name: &str,
        seen: Seen,
    ) -> Result<Vec<OutboxMessage>> {
        let (actor, actor_name) = (by.login.as_str(), by.name.as_str());
        let from_step = entry.step.as_str();
        let subject = Subject::new(def, inst, unit_name);
        let sent_back = closes
            .iter()
            .any(|c| matches!(c.action.as_deref(), Some("object" | "return")));
        let transfer = closes
            .iter()
            .find(|c| c.action.as_deref() == Some(machine::TRANSFER));
        let mut out = Vec::new();
        for t in opened {
            if t.assignee.user.as_deref() == Some(actor) || (sent_back && t.assignee.user.is_some()) {
                continue;
            }
            let users = self.recipients_of(seen, &t.assignee).await?;
            let delegates = self.delegates_of(&users, &inst.workflow).await?;
            let mut params = json!({
                "title": format!("{}：{}", subject.workflow_title, step_title(def, &t.step)),
                "subject": subject.text,
                "due_at": due_text(t.due_at),
                "instance_id": inst.id,
                "task_id": t.id,
            });
            if let Some(c) = transfer {
                // The new holder reads who handed it on, and why.
                params["handed_by"] = json!(actor_name);
                params["comment"] = json!(c.comment.clone().unwrap_or_default());
            }
            if let Some(signer) = machine::AddedSigner::of_key(&t.assignee.key) {
                // An added signer (加签) reads who asked, and where they stand.
                let asker = self.user_seen(seen, &signer.asker).await?;
                params["added_by"] = json!(asker.map(|u| u.name).unwrap_or(signer.asker));
                params["added_as"] = json!(match signer.position {
                    machine::SignerPosition::Before => "请您先行办理，办理后交回其决定",
                    machine::SignerPosition::After => "请您在其同意后会签，您办理后方为通过",
                    machine::SignerPosition::Parallel => "请您与其一同会签",
                });
            }
            let template = def.mail_template(&t.step, false);
            let params = task_params(params, def, inst);
            out.extend(self.messages(&format!("assigned:{}", t.id), &users, &template, params.clone()));
            // 代理: the delegate of someone away gets the task's mail too, saying for whom.
            for (delegate, principal) in delegates {
                let mut p = params.clone();
                p["on_behalf_of"] = json!(principal);
                out.extend(self.messages(&format!("assigned:{}", t.id), &[delegate], &template, p));
            }
        }
        // 转交: those who held the task read to whom it went.
        if let (Some(c), Some(new)) = (transfer, opened.first()) {
            if let Some(old) = before.iter().find(|t| t.id == c.task_id) {
                // Not the one it went to: a colleague holding the same role
                // was among the task's holders.
                let former: Vec<UserRecord> = self
                    .recipients_of(seen, &old.assignee)
                    .await?
                    .into_iter()
                    .filter(|u| new.assignee.user.as_ref() != Some(&u.login))
                    .collect();
                let to = match &new.assignee.user {
                    Some(login) => self.user_seen(seen, login).await?.map(|u| u.name),
                    None => None,
                };
                let params = json!({
                    "title": format!("{}：{}", subject.workflow_title, step_title(def, &old.step)),
                    "subject": subject.text,
                    "by": actor_name,
                    "to": to.unwrap_or_default(),
                    "comment": c.comment.clone().unwrap_or_default(),
                    "instance_id": inst.id,
                    "task_id": new.id,
                    "workflow": def.name.as_str(),
                });
                out.extend(self.messages(
                    &format!("transferred:{}", c.task_id),
                    &former,
                    "transferred",
                    params,
                ));
            }
        }
        // 撤回: those whose task the withdrawal closed are told it is gone, and why.
        if entry.action == "withdraw" {
            for c in closes {
                let Some(old) = before.iter().find(|t| t.id == c.task_id) else {
                    continue;
                };
                let holders: Vec<UserRecord> = self
                    .recipients_of(seen, &old.assignee)
                    .await?
                    .into_iter()
                    .filter(|u| u.login != actor)
                    .collect();
                let params = json!({
                    "title": format!("{}：{}", subject.workflow_title, step_title(def, &old.step)),
                    "subject": subject.text,
                    "by": actor_name,
                    "comment": entry.comment.clone().unwrap_or_default(),
                    "instance_id": inst.id,
                    "task_id": old.id,
                    "workflow": def.name.as_str(),
                });
                out.extend(self.messages(&format!("withdrawn:{}", old.id), &holders, "withdrawn", params));
            }
        }
        // Only a return, an objection or an end mails the creator: look them up only then.
        let creator = if sent_back || inst.outcome.is_some() {
            self.user_seen(seen, &inst.creator)
                .await?
                .into_iter()
                .collect::<Vec<_>>()
        } else {
            Vec::new()
        };
        for c in closes {
            let template = match c.action.as_deref() {
                Some("object") => "objected",
                Some("return") => "returned",
                _ => continue,
            };
            // The e-mail links to the creator's task the return opened, if it did.
            let task = opened
                .iter()
                .find(|t| t.assignee.user.as_deref() == Some(inst.creator.as_str()))
                .map_or(c.task_id.as_str(), |t| t.id.as_str());
            let params = json!({
                "title": subject.workflow_title,
                "subject": subject.text,
                "by": actor_name,
                "comment": c.comment.clone().unwrap_or_default(),
                "instance_id": inst.id,
                "task_id": task,
                "workflow": def.name.as_str(),
            });
            out.extend(self.messages(&format!("{template}:{}", c.task_id), &creator, template, params));
        }
        // 抄送: a step that is done tells those it copies.
        if let Some(step) = def
            .step(from_step)
            .filter(|s| !s.copy.is_empty() && inst.step != from_step)
        {
            let last = closes
                .iter()
                .rev()
                .find_map(|c| c.action.clone())
                .unwrap_or_default();
            let last_task = closes.last().map(|c| c.task_id.clone()).unwrap_or_default();
            let action_title = step
                .actions
                .get(last.as_str())
                .and_then(|a| a.title.clone())
                .unwrap_or(last.clone());
            let text = format!(
                "“{}”{}已办结（{action_title}），现处于“{}”。",
                subject.text,
                step_title(def, from_step),
                step_title(def, &inst.step)
            );
            for spec in &step.copy {
                let target = naxian_model::Assignee {
                    key: String::new(),
                    role: spec.role.parse().ok(),
                    unit: String::new(),
                    unit_path: self.level_path(seen, inst, spec).await?,
                    user: None,
                };
                let users = self.nearest_holders(seen, &target).await?;
                let params = json!({"title": subject.workflow_title, "subject": subject.text, "text": text,
                                    "instance_id": inst.id, "task_id": last_task, "workflow": def.name.as_str()});
                out.extend(self.messages(
                    &format!(
                        "copy:{}:{from_step}:{}",
                        inst.id,
                        inst.updated_at.timestamp_micros()
                    ),
                    &users,
                    "copy",
                    params,
                ));
            }
        }
        if let Some(outcome) = &inst.outcome {
            let title = def
                .end(outcome)
                .and_then(|e| e.title.clone())
                .unwrap_or_else(|| outcome.clone());
            let params = json!({
                "title": subject.workflow_title,
                "subject": subject.text,
                "outcome": outcome,
                "outcome_title": title,
                "instance_id": inst.id,
                "task_id": closes.last().map(|c| c.task_id.as_str()),
                "workflow": def.name.as_str(),
            });
            out.extend(self.messages(&format!("outcome:{}", inst.id), &creator, "outcome", params));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn text_fields_go_to_templates_and_personal_ones_do_not() {
        let source = "name: report
version: 1
title: 报告
org_field: city
started_by: supervisor
start: reporting
fields:
  city: { type: org_unit, required: true, kinds: [city] }
  month: { type: text, required: true }
  contact: { type: text, personal: true, label: 联系电话 }
  figures: { type: json }
steps:
  reporting:
    assign: [{ role: reporter, unit: target }]
    actions:
      submit: { to: done }
ends:
  done: {}
";
        let def = Definition::parse("report.yaml", source, &naxian_model::Catalogue::shipped()).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 1, 0, 0).unwrap();
        let inst = Instance {
            id: "i1".into(),
            workflow: "report".into(),
            version: 1,
            step: "reporting".into(),
            status: naxian_model::machine::Status::Active,
            outcome: None,
            data: json!({"city": "JN", "month": "2026-11", "contact": "13800000000", "figures": {"n": 1}}),
            creator: "system".into(),
            org_unit: "JN".into(),
            org_path: "/SD/JN/".into(),
            completed: Default::default(),
            revision: 1,
            created_at: at,
            updated_at: at,
        };
        let params = task_params(json!({"title": "t"}), &def, &inst);
        assert_eq!(params["data_month"], "2026-11");
        assert_eq!(params["data_city"], "JN");
        assert!(params.get("data_contact").is_none(), "{params}");
        assert!(params.get("data_figures").is_none(), "not text: {params}");
        assert_eq!(params["title"], "t");
    }
}
