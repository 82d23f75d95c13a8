//! The task page: the instance's steps, diagram, data, timeline and
//! attachments, the actions its viewer may take, and the forms that act,
//! urge (催办) and withdraw (撤回). What the viewer may do is the engine's
//! answer ([`naxian_engine::views::TaskPage`]).

use super::form::{choice_options, field, input_type};
use super::layout::{nav, Nav};
use super::message::message_page;
use super::number_table::{self, TableView};
use super::text::{zh, zh_problem};
use super::{page, Browser, Posted};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use naxian_engine::attachments::ACCEPTED;
use naxian_engine::notify::due_text;
use naxian_engine::sessions::WebSession;
use naxian_engine::EngineError;
use naxian_model::fields::{get_path, set_path, FieldType};
use naxian_model::machine::ActionInput;
use naxian_model::Definition;
use naxian_store::AttachmentRecord;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks/{id}", get(task_page))
        .route("/tasks/{id}/act", post(act))
        .route("/tasks/{id}/transfer", post(transfer))
        .route("/tasks/{id}/add-signer", post(add_signer))
        .route("/tasks/{id}/urge", post(urge))
        .route("/instances/{id}/withdraw", post(withdraw))
}

pub struct StepView {
    pub title: String,
    pub class: &'static str,
}

pub struct DataView {
    pub label: String,
    pub value: String,
}

pub struct ActionFieldView {
    pub name: String,
    pub label: String,
    /// `textarea`, `select` or an input type.
    pub input: &'static str,
    pub required: bool,
    pub value: String,
    pub choices: Vec<(String, String)>,
    /// The titles of the actions that fill it, when not every action does.
    pub for_actions: String,
    /// A number table's rows and cells (`input` is `table`).
    pub table: Option<TableView>,
}

pub struct ActionView {
    pub name: String,
    pub title: String,
    pub comment_required: bool,
    pub fields: Vec<ActionFieldView>,
    /// The steps (name, title) its approver chooses among; empty when the action goes where its file says.
    pub to_steps: Vec<(String, String)>,
    /// `primary` for what moves the matter on, `danger` for what sends it back or ends it.
    pub class: &'static str,
    /// The question asked before what cannot be undone (a result recorded,
    /// an end reached); empty for none.
    pub confirm: String,
}

/// Actions that send an instance back or end it without its purpose: their
/// buttons are red.
const DANGER_ACTIONS: &[&str] = &["object", "return", "reject", "not_elected", "withdraw"];

/// Whether taking an action cannot be undone: it records a result (it
/// carries data), leads to an end, or completes a step that ends the instance.
fn irreversible(
    def: &Definition,
    step: &naxian_model::definition::StepDef,
    a: &naxian_model::definition::ActionDef,
) -> bool {
    let to_end =
        a.to.as_deref()
            .and_then(|t| t.fixed())
            .is_some_and(|t| def.end(t).is_some());
    let ends_step = a.complete && step.next.as_deref().is_some_and(|n| def.end(n).is_some());
    (!a.data.is_empty() && !a.amend_data) || to_end || ends_step
}

/// The step's actions as one form: each data field once (with the actions
/// that fill it, where not all do), one opinion box, one button per action.
pub struct ActionForm {
    pub fields: Vec<ActionFieldView>,
    /// The titles of the actions that require an opinion.
    pub comment_required_for: String,
}

impl ActionForm {
    fn of(actions: &[ActionView]) -> ActionForm {
        let mut fields: Vec<ActionFieldView> = Vec::new();
        let mut users: Vec<Vec<&str>> = Vec::new();
        for a in actions {
            for f in &a.fields {
                match fields.iter().position(|x| x.name == f.name) {
                    Some(i) => {
                        fields[i].required |= f.required;
                        users[i].push(&a.title);
                    }
                    None => {
                        fields.push(ActionFieldView {
                            name: f.name.clone(),
                            label: f.label.clone(),
                            input: f.input,
                            required: f.required,
                            value: f.value.clone(),
                            choices: f.choices.clone(),
                            for_actions: String::new(),
                            table: f.table.clone(),
                        });
                        users.push(vec![&a.title]);
                    }
                }
            }
        }
        for (f, u) in fields.iter_mut().zip(&users) {
            if u.len() < actions.len() {
                f.for_actions = u.join("、");
            }
        }
        let comment_required_for = actions
            .iter()
            .filter(|a| a.comment_required)
            .map(|a| a.title.as_str())
            .collect::<Vec<_>>()
            .join("、");
        ActionForm {
            fields,
            comment_required_for,
        }
    }
}

/// An input for one field, filled with its current value; a number table
/// takes its rows from `tables`.
fn field_input(
    name: &str,
    spec: &naxian_model::fields::FieldSpec,
    value: Option<&Value>,
    required: bool,
    tables: &HashMap<String, Vec<(String, String)>>,
) -> ActionFieldView {
    let table = (spec.kind == FieldType::Table)
        .then(|| number_table::view(name, spec, tables.get(name).map_or(&[][..], Vec::as_slice), value));
    let value = match value {
        Some(Value::String(v)) => v.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    };
    let input = if table.is_some() {
        "table"
    } else if !spec.choices.is_empty() {
        "select"
    } else if spec.multiline() {
        "textarea"
    } else {
        input_type(spec.kind)
    };
    ActionFieldView {
        name: name.to_string(),
        label: spec.label.clone().unwrap_or_else(|| name.to_string()),
        input,
        required: required || spec.required,
        value,
        choices: choice_options(&spec.choices),
        for_actions: String::new(),
        table,
    }
}

/// One submission's data, as the versions section lists it.
pub struct VersionView {
    pub number: usize,
    pub at: String,
    pub actor: String,
    pub fields: Vec<DataView>,
}

/// The instance's fields as a reader sees them: choices by label, the unit by name.
pub(super) fn data_views(def: &naxian_model::Definition, data: &Value, unit_name: &str) -> Vec<DataView> {
    def.fields
        .iter()
        .filter_map(|(name, spec)| {
            let v = get_path(data, name)?;
            let text = match v {
                Value::String(_)
                    if spec.kind == FieldType::OrgUnit && name.as_str() == def.org_field.as_str() =>
                {
                    unit_name.to_string()
                }
                Value::String(x) => spec.choices.label(x).unwrap_or(x).to_string(),
                Value::Null => return None,
                Value::Object(_) | Value::Array(_) => return None,
                other => other.to_string(),
            };
            Some(DataView {
                label: spec.label.clone().unwrap_or_else(|| name.to_string()),
                value: text,
            })
        })
        .collect()
}

/// What an earlier step recorded (the election's date and votes), for
/// those who judge after it.
pub struct ResultView {
    pub title: String,
    pub fields: Vec<DataView>,
}

/// The data each step's actions recorded in the instance (under their
/// `data_key`), labelled by the action's fields, in the workflow's order.
fn result_views(def: &Definition, data: &Value) -> Vec<ResultView> {
    let mut out: Vec<ResultView> = Vec::new();
    let mut keys: Vec<&str> = Vec::new();
    for (step_name, step) in &def.steps {
        for (action_name, a) in &step.actions {
            let key = a.data_key.as_deref().unwrap_or(step_name.as_str());
            // Actions of one step that record under one key (当选, 未当选) show once.
            if a.amend_data || a.data.is_empty() || keys.contains(&key) {
                continue;
            }
            let Some(Value::Object(recorded)) = get_path(data, key) else {
                continue;
            };
            keys.push(key);
            let fields: Vec<DataView> = a
                .data
                .iter()
                .filter_map(|(name, spec)| {
                    let value = match recorded.get(name)? {
                        Value::String(v) => spec.choices.label(v).unwrap_or(v).to_string(),
                        Value::Null | Value::Object(_) | Value::Array(_) => return None,
                        other => other.to_string(),
                    };
                    Some(DataView {
                        label: spec.label.clone().unwrap_or_else(|| name.to_string()),
                        value,
                    })
                })
                .collect();
            if !fields.is_empty() {
                let title = step.title.clone().unwrap_or_else(|| action_name.to_string());
                out.push(ResultView { title, fields });
            }
        }
    }
    out
}

/// Why the matter came back to the step it is at (退回, 有异议), shown first.
pub struct SentBack {
    pub by: String,
    pub action: String,
    pub reason: String,
    pub at: String,
}

pub struct HistoryView {
    pub at: String,
    pub actor: String,
    pub step: String,
    pub action: String,
    pub comment: String,
    pub note: String,
}

pub struct PendingView {
    pub id: String,
    pub holder: String,
    pub due: String,
}

#[derive(Template)]
#[template(path = "task/task.html")]
struct TaskPage {
    nav: Option<Nav>,
    csrf: String,
    /// The viewer's common phrases (常用意见), offered beside the opinion box.
    phrases: Vec<String>,
    /// Those added to sign at the current step (加签), as `name（前加签）`.
    signers: Vec<String>,
    task_id: String,
    instance_id: String,
    pending: Vec<PendingView>,
    can_urge: bool,
    can_withdraw: bool,
    title: String,
    subject: String,
    unit: String,
    status: String,
    error: Option<String>,
    notice: Option<String>,
    warnings: Vec<String>,
    /// Why it came back, when it did.
    sent_back: Option<SentBack>,
    steps: Vec<StepView>,
    diagram: super::diagram::Diagram,
    fields: Vec<DataView>,
    /// What earlier steps recorded.
    results: Vec<ResultView>,
    versions: Vec<VersionView>,
    /// The number tables filled in, when no action of the page edits them.
    tables: Vec<TableView>,
    actions: Vec<ActionView>,
    action_form: ActionForm,
    history: Vec<HistoryView>,
    /// Files in no slot.
    attachments: Vec<AttachmentView>,
    /// The workflow's attachment slots with their files.
    slots: Vec<SlotView>,
    can_attach: bool,
    accept: String,
    max_mib: usize,
    /// Whom the task may be transferred to (login, name); no form when empty.
    transfer_to: Vec<(String, String)>,
    /// Whom the viewer may add as a signer (login, name); no form when empty.
    add_signer_to: Vec<(String, String)>,
}

pub struct SlotView {
    pub name: String,
    pub label: String,
    /// The kinds it takes, as users call them (PDF、Word).
    pub types: String,
    pub required: bool,
    pub files: Vec<AttachmentView>,
}

pub struct AttachmentView {
    pub id: String,
    pub name: String,
    pub size: String,
    pub by: String,
    pub at: String,
}

impl AttachmentView {
    pub fn of(a: &AttachmentRecord) -> AttachmentView {
        let size = if a.size >= 1024 * 1024 {
            format!("{:.1} MB", a.size as f64 / (1024.0 * 1024.0))
        } else {
            format!("{} KB", (a.size + 1023) / 1024)
        };
        AttachmentView {
            id: a.id.clone(),
            name: a.file_name.clone(),
            size,
            by: a.uploaded_by.clone(),
            at: due_text(Some(a.created_at)),
        }
    }
}

impl AttachmentView {
    /// The same, with who uploaded it by name.
    fn by_name(mut self, names: &HashMap<String, String>) -> AttachmentView {
        if let Some(name) = names.get(&self.by) {
            self.by = name.clone();
        }
        self
    }
}

/// The file input's `accept` list.
fn accept() -> String {
    ACCEPTED
        .iter()
        .map(|(mime, ext, _)| format!(".{ext},{mime}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The task page for `task_id`, with an error or a notice from a form.
pub async fn render_task(
    s: &AppState,
    w: &WebSession,
    task_id: &str,
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let p = match s.engine.task_page(&w.actor, task_id).await {
        Ok(p) => p,
        Err(e) => return message_page(s, w, e).await,
    };
    let def = &p.record.definition;
    let inst = &p.record.instance;
    let task = &p.task;
    let visited: Vec<&str> = p.record.history.iter().map(|h| h.step.as_str()).collect();
    let steps = def
        .steps
        .iter()
        .filter(|(_, st)| !st.is_route())
        .map(|(name, st)| StepView {
            title: st.title.clone().unwrap_or_else(|| name.to_string()),
            class: if name.as_str() == inst.step {
                "current"
            } else if visited.contains(&name.as_str()) {
                "done"
            } else {
                ""
            },
        })
        .collect();
    let fields = data_views(def, &inst.data, &p.unit_name);
    // Each submission's data, when there was more than one (a return and a resubmission).
    let versions = if p.versions.len() > 1 {
        p.versions
            .iter()
            .map(|v| VersionView {
                number: v.number,
                at: due_text(Some(v.entry.at)),
                actor: p
                    .names
                    .get(&v.entry.actor)
                    .cloned()
                    .unwrap_or_else(|| v.entry.actor.clone()),
                fields: data_views(def, &v.data, &p.unit_name),
            })
            .collect()
    } else {
        Vec::new()
    };
    let table_rows = number_table::row_labels(s, def, &inst.org_path).await;
    let actions = if p.may.act {
        def.step(&task.step)
            .map(|st| {
                st.actions
                    .iter()
                    .map(|(name, a)| ActionView {
                        confirm: if irreversible(def, st, a) {
                            let title = a.title.clone().unwrap_or_else(|| name.to_string());
                            format!("确定“{title}”吗？提交后不能撤销。")
                        } else {
                            String::new()
                        },
                        class: if DANGER_ACTIONS.contains(&name.as_str()) {
                            "danger"
                        } else {
                            "primary"
                        },
                        name: name.to_string(),
                        title: a.title.clone().unwrap_or_else(|| name.to_string()),
                        comment_required: a.comment == naxian_model::definition::CommentRule::Required,
                        fields: def
                            .form_fields(&task.step, name)
                            .into_iter()
                            .map(|(f, spec)| {
                                if a.amend_data {
                                    // The instance's own fields, as they stand, to amend with the action.
                                    let required = a.requires.iter().any(|r| r == f);
                                    field_input(f, spec, get_path(&inst.data, f), required, &table_rows)
                                } else {
                                    field_input(f, spec, None, spec.required, &table_rows)
                                }
                            })
                            .collect(),
                        to_steps: a
                            .to
                            .as_deref()
                            .map(|to| naxian_model::machine::return_steps(def, inst, &p.record.tasks, to))
                            .unwrap_or_default()
                            .into_iter()
                            .map(|step| {
                                let title = def
                                    .step(&step)
                                    .and_then(|st| st.title.clone())
                                    .unwrap_or_else(|| step.clone());
                                (step, title)
                            })
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let tables = def
        .fields
        .iter()
        .filter(|(name, spec)| {
            spec.kind == FieldType::Table
                && get_path(&inst.data, name).is_some()
                && !actions
                    .iter()
                    .any(|a| a.fields.iter().any(|f| f.name == name.as_str()))
        })
        .map(|(name, spec)| {
            let rows = table_rows.get(name.as_str()).map_or(&[][..], Vec::as_slice);
            number_table::view(name, spec, rows, get_path(&inst.data, name))
        })
        .collect();
    let step_title = |step: &str| {
        def.step(step)
            .and_then(|st| st.title.clone())
            .unwrap_or_else(|| step.to_string())
    };
    // The names a history note mentions (units by code, people by login), read once.
    let notes: Vec<&str> = p
        .record
        .history
        .iter()
        .filter_map(|h| h.note.as_deref())
        .collect();
    let mut units: HashMap<String, String> = HashMap::new();
    for code in notes.iter().flat_map(|n| super::note::unit_codes(n)) {
        if let std::collections::hash_map::Entry::Vacant(slot) = units.entry(code) {
            let unit = s
                .engine
                .unit_name(slot.key())
                .await
                .unwrap_or_else(|_| slot.key().clone());
            slot.insert(unit);
        }
    }
    let noted: Vec<String> = notes.iter().flat_map(|n| super::note::people(n)).collect();
    let mut names = p.names.clone();
    if let Ok(more) = s
        .engine
        .names_of(&noted.iter().map(String::as_str).collect::<Vec<_>>())
        .await
    {
        names.extend(more);
    }
    let catalogue = s.engine.catalogue().await.unwrap_or_default();
    let name = |login: &str| match names.get(login) {
        Some(n) => n.clone(),
        None if login == naxian_engine::runner::SYSTEM => "系统".to_string(),
        None => login.to_string(),
    };
    let assignee = |key: &str| match key.split_once('@') {
        Some((role, code)) => format!(
            "{}（{}）",
            catalogue.role_label(role),
            units.get(code).cloned().unwrap_or_else(|| code.to_string())
        ),
        None if key == "creator" => "发起人".to_string(),
        None => key.to_string(),
    };
    let step_name = |step: &str| {
        def.step(step)
            .and_then(|st| st.title.clone())
            .or_else(|| def.end(step).and_then(|e| e.title.clone()))
            .unwrap_or_else(|| step.to_string())
    };
    let note_names = super::note::Names {
        step: &step_name,
        assignee: &assignee,
        person: &name,
    };
    let history = p
        .record
        .history
        .iter()
        .map(|h| HistoryView {
            at: due_text(Some(h.at)),
            actor: match &h.on_behalf_of {
                Some(principal) => format!("{}（代{}）", name(&h.actor), name(principal)),
                None => name(&h.actor),
            },
            step: step_title(&h.step),
            action: def
                .step(&h.step)
                .and_then(|st| st.actions.get(h.action.as_str()))
                .and_then(|a| a.title.clone())
                .unwrap_or_else(|| zh(&h.action).to_string()),
            comment: h.comment.clone().unwrap_or_default(),
            note: match (h.action.as_str(), h.note.as_deref()) {
                (naxian_model::machine::TRANSFER, Some(to)) => format!("转交给{}", name(to)),
                (naxian_model::machine::ADD_SIGNER, Some(note)) => match note.split_once('|') {
                    Some((position, who)) => format!("加签：{}（{}）", name(who), position_title(position)),
                    None => note.to_string(),
                },
                (_, note) => super::note::zh_note(note.unwrap_or_default(), &note_names),
            },
        })
        .collect();
    let sent_back = naxian_model::machine::sent_back(def, inst, &p.record.history).map(|h| SentBack {
        by: name(&h.actor),
        action: def
            .step(&h.step)
            .and_then(|st| st.actions.get(h.action.as_str()))
            .and_then(|a| a.title.clone())
            .unwrap_or_else(|| h.action.clone()),
        reason: h.comment.clone().unwrap_or_default(),
        at: due_text(Some(h.at)),
    });
    let pending = p
        .pending
        .iter()
        .map(|o| PendingView {
            id: o.task.id.clone(),
            holder: o.holder.clone(),
            due: due_text(o.task.due_at),
        })
        .collect();
    let status_text = match &inst.outcome {
        Some(o) => def
            .end(o)
            .and_then(|e| e.title.clone())
            .unwrap_or_else(|| o.clone()),
        None => format!("{}中", step_title(&inst.step)),
    };
    let signers: Vec<String> = p
        .pending
        .iter()
        .filter_map(|o| naxian_model::machine::AddedSigner::of_key(&o.task.assignee.key))
        .map(|a| {
            let how = match a.position {
                naxian_model::machine::SignerPosition::Before => "前加签",
                naxian_model::machine::SignerPosition::After => "后加签",
                naxian_model::machine::SignerPosition::Parallel => "并加签",
            };
            format!("{}（{how}）", name(&a.login))
        })
        .collect();
    let phrases = if actions.is_empty() {
        Vec::new()
    } else {
        s.engine
            .phrases(&w.actor, &w.actor.login)
            .await
            .unwrap_or_default()
    };
    page(
        status,
        TaskPage {
            nav: Some(nav(s, w, "").await),
            csrf: w.csrf.clone(),
            phrases,
            task_id: task.id.clone(),
            instance_id: inst.id.clone(),
            pending,
            can_urge: p.may.urge,
            // One withdraw control: the step's own button when it has one.
            can_withdraw: p.may.withdraw && !actions.iter().any(|a| a.name == "withdraw"),
            title: format!("{}：{}", def.title, step_title(&task.step)),
            subject: def.summarize(&inst.data, &p.unit_name),
            unit: p.unit_name.clone(),
            status: status_text,
            error,
            notice,
            warnings: p.warnings.iter().map(super::nominate::zh_seat_warning).collect(),
            sent_back,
            steps,
            diagram: super::diagram::draw(def, inst.outcome.as_deref().unwrap_or(&inst.step), &visited)
                .with_signers(&signers),
            signers,
            results: result_views(def, &inst.data),
            fields,
            versions,
            tables,
            action_form: ActionForm::of(&actions),
            actions,
            history,
            attachments: p
                .attachments
                .iter()
                .filter(|a| {
                    a.slot
                        .as_deref()
                        .is_none_or(|sl| !def.attachments.contains_key(sl))
                })
                .map(|a| AttachmentView::of(a).by_name(&p.names))
                .collect(),
            slots: def
                .attachments
                .iter()
                .map(|(name, spec)| SlotView {
                    name: name.to_string(),
                    label: spec.label.clone(),
                    types: spec
                        .types
                        .iter()
                        .map(|t| naxian_engine::slots::kind_label(t.as_str()))
                        .collect::<Vec<_>>()
                        .join("、"),
                    required: spec.required,
                    files: p
                        .attachments
                        .iter()
                        .filter(|a| a.slot.as_deref() == Some(name.as_str()))
                        .map(|a| AttachmentView::of(a).by_name(&p.names))
                        .collect(),
                })
                .collect(),
            can_attach: p.may.attach,
            transfer_to: p.transfer_to.clone(),
            add_signer_to: p.add_signer_to.clone(),
            accept: accept(),
            max_mib: s.engine.settings().attachment_max_bytes / (1024 * 1024),
        },
    )
}

/// What a form's POST redirects back with (`?done=…`), said on the page it lands on.
#[derive(serde::Deserialize)]
struct Done {
    done: Option<String>,
}

/// Whether a form's `back` is a task id, fit to redirect to (never a header break or another site).
pub fn is_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn done_notice(done: Option<&str>) -> Option<String> {
    match done? {
        "act" => Some("已办理。".into()),
        "urge" => Some("已催办，办理人将收到邮件。".into()),
        "withdraw" => Some("已撤回。".into()),
        "transfer" => Some("已转交，对方将收到待办通知。".into()),
        "add_signer" => Some("已加签，对方将收到待办通知。".into()),
        "attached" => Some("附件已上传。".into()),
        _ => None,
    }
}

async fn task_page(
    State(s): State<AppState>,
    Browser(w): Browser,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Response {
    // Whoever opens a task has read what told them of it.
    if let Err(e) = s.engine.read_notices_of_task(&w.actor, &id).await {
        tracing::warn!(task = %id, error = %e, "notices of the task not marked read");
    }
    render_task(&s, &w, &id, StatusCode::OK, None, done_notice(q.done.as_deref())).await
}

/// What users call each place of an added signer (加签).
fn position_title(position: &str) -> &str {
    match position {
        "before" => "前加签：先于本人办理",
        "after" => "后加签：本人同意后再办理",
        "parallel" => "并加签：与本人一同会签",
        other => other,
    }
}

/// 加签: the chosen person signs too; back to this task's page by a redirect.
async fn add_signer(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { session: w, form }: Posted,
) -> Response {
    let get = |k: &str| field(&form, k).map(str::to_string);
    let user = get("user").unwrap_or_default();
    let position = get("position").unwrap_or_default();
    let comment = get("reason").filter(|c| !c.trim().is_empty());
    let result = s
        .engine
        .add_signer(&w.actor, &id, &user, &position, comment)
        .await;
    let label = |field: &str| match field {
        "user" => "加签人",
        "position" => "加签方式",
        _ => "加签说明",
    };
    answered(&s, &w, &id, result, "add_signer", label).await
}

/// What a form on a task answers: back to the task by a redirect saying
/// what was done, or the page again with the field at fault in words.
async fn answered(
    s: &AppState,
    w: &WebSession,
    id: &str,
    result: Result<naxian_engine::InstanceView, EngineError>,
    done: &str,
    label: impl Fn(&str) -> &'static str,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/tasks/{id}?done={done}")).into_response(),
        Err(EngineError::Invalid { field, problem }) => {
            let error = format!("{}：{}", label(&field), zh_problem(&problem));
            render_task(s, w, id, StatusCode::BAD_REQUEST, Some(error), None).await
        }
        Err(e) => message_page(s, w, e).await,
    }
}

/// 转交: the task goes to the chosen colleague; back to this task's page,
/// by a redirect so that a refresh sends nothing again.
async fn transfer(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { session: w, form }: Posted,
) -> Response {
    let get = |k: &str| field(&form, k).map(str::to_string);
    let to = get("to").unwrap_or_default();
    let comment = get("reason").filter(|c| !c.trim().is_empty());
    let result = s.engine.transfer(&w.actor, &id, &to, comment).await;
    let label = |field: &str| {
        if field == "to" {
            "转交给"
        } else {
            "转交说明"
        }
    };
    answered(&s, &w, &id, result, "transfer", label).await
}

async fn act(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { session: w, form }: Posted,
) -> Response {
    let get = |k: &str| field(&form, k);
    let action = get("action").unwrap_or_default().to_string();
    let comment = get("comment")
        .map(str::to_string)
        .filter(|c| !c.trim().is_empty());
    // Values are typed by the field they fill: only integer fields become numbers.
    let form_of = s.engine.task_form(&w.actor, &id).await.ok();
    let kinds: Vec<(String, FieldType)> = form_of
        .as_ref()
        .map(|(task, def)| {
            def.action_fields(&task.step, &action)
                .into_iter()
                .map(|(f, spec)| (f.to_string(), spec.kind))
                .collect()
        })
        .unwrap_or_default();
    let mut data = json!({});
    for (k, v) in &form {
        if let Some(field) = k.strip_prefix("data.") {
            // The one form shows every action's fields: only the pressed one's count.
            // A number table's cell is `data.FIELD.ROW.COLUMN`.
            let filled = kinds.iter().find(|(f, kind)| {
                f == field || (*kind == FieldType::Table && field.starts_with(&format!("{f}.")))
            });
            let fills = filled.is_some() || form_of.is_none();
            if fills && !v.trim().is_empty() {
                let value = match filled {
                    Some((_, FieldType::Integer | FieldType::Table)) => v
                        .trim()
                        .parse::<i64>()
                        .map(Value::from)
                        .unwrap_or_else(|_| json!(v.trim())),
                    _ => json!(v.trim()),
                };
                set_path(&mut data, field, value);
            }
        }
    }
    let data = (data.as_object().is_some_and(|o| !o.is_empty())).then_some(data);
    // The one form holds every action's choice of step; the pressed button's counts.
    let to_step = get(&format!("to_step.{action}"))
        .or_else(|| get("to_step"))
        .map(str::to_string)
        .filter(|s| !s.is_empty());
    let input = ActionInput {
        action,
        comment,
        data,
        to_step,
        batch: false,
    };
    match s.engine.act(&w.actor, &id, input).await {
        Ok(_) => Redirect::to(&format!("/tasks/{id}?done=act")).into_response(),
        Err(EngineError::Invalid { field, problem }) => {
            let path = field.strip_prefix("data.").unwrap_or(&field);
            let slot = field
                .strip_prefix("attachments.")
                .and_then(|slot| form_of.as_ref()?.1.attachments.get(slot))
                .map(|spec| spec.label.clone());
            let label = match &form_of {
                _ if slot.is_some() => slot,
                Some((_, def)) => number_table::cell_label(&s, def, path).await,
                None => None,
            }
            .unwrap_or_else(|| field_label(form_of.as_ref(), &field));
            let error = format!("{label}：{}", zh_problem(&problem));
            render_task(&s, &w, &id, StatusCode::BAD_REQUEST, Some(error), None).await
        }
        Err(e) => message_page(&s, &w, e).await,
    }
}

async fn urge(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { session: w, form }: Posted,
) -> Response {
    let get = |k: &str| field(&form, k).map(str::to_string);
    let back = get("back").filter(|b| is_id(b)).unwrap_or_else(|| id.clone());
    match s.engine.urge(&w.actor, &id, None).await {
        Ok(_) => Redirect::to(&format!("/tasks/{back}?done=urge")).into_response(),
        Err(EngineError::TooMany(_)) => {
            render_task(
                &s,
                &w,
                &back,
                StatusCode::TOO_MANY_REQUESTS,
                Some("今天已催办过此事项，请明天再试。".into()),
                None,
            )
            .await
        }
        Err(e) => message_page(&s, &w, e).await,
    }
}

async fn withdraw(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { session: w, form }: Posted,
) -> Response {
    let get = |k: &str| field(&form, k).map(str::to_string);
    let comment = get("comment").filter(|c| !c.trim().is_empty());
    match s.engine.withdraw(&w.actor, &id, comment).await {
        Ok(_) => {
            let to = match get("back").filter(|b| is_id(b)) {
                Some(back) => format!("/tasks/{back}?done=withdraw"),
                None => "/nominations".to_string(),
            };
            Redirect::to(&to).into_response()
        }
        Err(e) => message_page(&s, &w, e).await,
    }
}

/// The label of the field an error names (`data.narrative.progress` → 工作进展), or `意见` for the comment.
fn field_label(form_of: Option<&(naxian_model::Task, Arc<Definition>)>, field: &str) -> String {
    match field {
        "comment" => return "意见".into(),
        "to_step" => return "退回到".into(),
        _ => {}
    }
    let path = field.strip_prefix("data.").unwrap_or(field);
    form_of
        .and_then(|(task, def)| def.field_label(&task.step, path))
        .map(str::to_string)
        .unwrap_or_else(|| field.to_string())
}
