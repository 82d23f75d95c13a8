//! A workflow definition as JSON, for clients that build their forms from it
//! (`GET /api/v1/workflows/{name}`), and a task's actions in the same terms
//! (`GET /api/v1/tasks/{id}`): fields with their types, labels and choices,
//! steps with their sign-off and actions, and the ends.

use crate::openapi::names;
use crate::views::{task_core, task_title, TaskCore};
use indexmap::IndexMap;
use naxian_engine::views::TaskRead;
use naxian_model::definition::{ActionDef, CommentRule, SignOff, StepDef};
use naxian_model::directory::OrgKind;
use naxian_model::fields::{FieldSpec, FieldType};
use naxian_model::{machine, Definition, Status};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct WorkflowDefinition {
    name: String,
    version: i64,
    title: String,
    /// The role that starts an instance, at or above its unit.
    started_by: String,
    /// The field naming the instance's org unit.
    org_field: String,
    start: String,
    /// By dotted path (`candidate.name`), in the file's order.
    fields: IndexMap<String, Field>,
    steps: IndexMap<String, Step>,
    ends: IndexMap<String, End>,
}

/// One field of a form.
#[derive(Serialize, ToSchema)]
pub struct Field {
    #[serde(rename = "type")]
    #[schema(schema_with = names::<FieldType>)]
    kind: &'static str,
    label: Option<String>,
    required: bool,
    /// A choice's values with their labels, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    choices: Option<Vec<Choice>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_len: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<i64>,
    /// For an org unit: the kinds it may be.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(schema_with = kinds)]
    kinds: Vec<&'static str>,
    /// Set when the instance opens; no action changes it.
    readonly: bool,
    /// Personal data, removed once the retention period has passed.
    personal: bool,
    /// A date of what happened: today or before (Asia/Shanghai).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    past: bool,
    /// A phone that may be a landline with its area code; otherwise an 11-digit mobile.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    landline: bool,
}

fn kinds() -> utoipa::openapi::schema::ArrayBuilder {
    utoipa::openapi::schema::ArrayBuilder::new().items(names::<OrgKind>())
}

#[derive(Serialize, ToSchema)]
pub struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize, ToSchema)]
pub struct Step {
    title: String,
    /// `human` (tasks) or `route` (moves on by itself).
    #[schema(schema_with = step_kinds)]
    kind: &'static str,
    /// `all`, `any`, `sequential` or `{"at_least": N}`.
    #[schema(schema_with = sign_off_schema)]
    sign_off: SignOff,
    actions: IndexMap<String, Action>,
    /// Where the step goes once its sign-off is met.
    next: Option<String>,
}

fn sign_off_schema() -> utoipa::openapi::schema::OneOfBuilder {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["all", "any", "sequential"])),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(
                    "at_least",
                    ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)),
                )
                .required("at_least")
                .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(
                    false,
                ))),
        )
}

fn step_kinds() -> utoipa::openapi::schema::ObjectBuilder {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["human", "route"]))
}

/// One action of a step, as a form needs it.
#[derive(Serialize, ToSchema)]
pub struct Action {
    title: String,
    #[schema(schema_with = names::<CommentRule>)]
    comment: &'static str,
    /// The fields the action carries; for an action that amends the instance,
    /// the instance's own fields it may change.
    data: IndexMap<String, Field>,
    /// The instance's fields (by path) that must be filled to take it.
    requires: Vec<String>,
    /// The step or end it leads to; none when it completes the assignee's part
    /// or its approver chooses.
    to: Option<String>,
    /// The steps its approver chooses among (`to_step`): those listed, or on a
    /// task, those its instance has passed. Absent when the action does not choose.
    #[serde(skip_serializing_if = "Option::is_none")]
    to_steps: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct End {
    title: String,
}

fn field(spec: &FieldSpec) -> Field {
    Field {
        kind: spec.kind.as_str(),
        label: spec.label.clone(),
        required: spec.required,
        choices: (!spec.choices.is_empty()).then(|| {
            spec.choices
                .labelled()
                .into_iter()
                .map(|(v, l)| Choice {
                    value: v.to_string(),
                    label: l.to_string(),
                })
                .collect()
        }),
        max_len: spec.max_len,
        min: spec.min,
        max: spec.max,
        kinds: spec.kinds.iter().map(|k| k.as_str()).collect(),
        readonly: spec.readonly,
        personal: spec.personal,
        past: spec.past,
        landline: spec.landline,
    }
}

/// An action; `to_steps` is what its approver may choose, if it chooses.
fn action(def: &Definition, step: &str, name: &str, a: &ActionDef, to_steps: Option<Vec<String>>) -> Action {
    Action {
        title: a.title.clone().unwrap_or_else(|| name.to_string()),
        comment: a.comment.as_str(),
        data: def
            .form_fields(step, name)
            .into_iter()
            .map(|(f, spec)| (f.to_string(), field(spec)))
            .collect(),
        requires: a.requires.clone(),
        to: a.to.as_deref().and_then(|t| t.fixed()).map(str::to_string),
        to_steps,
    }
}

fn step(def: &Definition, name: &str, s: &StepDef) -> Step {
    Step {
        title: s.title.clone().unwrap_or_else(|| name.to_string()),
        kind: if s.is_route() { "route" } else { "human" },
        sign_off: s.sign_off,
        actions: s
            .actions
            .iter()
            .map(|(a, ad)| {
                let listed = ad
                    .to
                    .as_deref()
                    .filter(|t| t.fixed().is_none())
                    .map(|t| t.named().into_iter().map(str::to_string).collect());
                (a.to_string(), action(def, name, a, ad, listed))
            })
            .collect(),
        next: s.next.as_deref().cloned(),
    }
}

pub fn definition(def: &Definition) -> WorkflowDefinition {
    WorkflowDefinition {
        name: def.name.to_string(),
        version: def.version,
        title: def.title.clone(),
        started_by: def.started_by.to_string(),
        org_field: def.org_field.to_string(),
        start: def.start.to_string(),
        fields: def
            .fields
            .iter()
            .map(|(f, spec)| (f.to_string(), field(spec)))
            .collect(),
        steps: def
            .steps
            .iter()
            .map(|(n, s)| (n.to_string(), step(def, n, s)))
            .collect(),
        ends: def
            .ends
            .iter()
            .map(|(n, e)| {
                (
                    n.to_string(),
                    End {
                        title: e.title.clone().unwrap_or_else(|| n.to_string()),
                    },
                )
            })
            .collect(),
    }
}

/// One task with the actions its viewer may take, each as a form needs it.
#[derive(Serialize, ToSchema)]
pub struct TaskDetail {
    #[serde(flatten)]
    task: TaskCore,
    /// The step's title.
    step_title: String,
    /// What the viewer may do now; empty when the task is closed, not
    /// theirs, or its instance has moved on.
    actions: IndexMap<String, Action>,
    instance: InstanceBrief,
}

/// What a task's view tells of its instance.
#[derive(Serialize, ToSchema)]
pub struct InstanceBrief {
    id: String,
    workflow: String,
    version: i64,
    step: String,
    #[schema(schema_with = names::<Status>)]
    status: Status,
    outcome: Option<String>,
    /// The one line naming it in lists and e-mails.
    summary: String,
    org_unit: String,
    org_unit_name: String,
}

pub fn task_detail(read: &TaskRead) -> TaskDetail {
    let def = &read.record.definition;
    let inst = &read.record.instance;
    let t = &read.task;
    let actions = match def.step(&t.step) {
        Some(s) if read.may_act => s
            .actions
            .iter()
            .map(|(a, ad)| {
                let to_steps = ad
                    .to
                    .as_deref()
                    .filter(|to| to.fixed().is_none())
                    .map(|to| machine::return_steps(def, inst, &read.record.tasks, to));
                (a.to_string(), action(def, &t.step, a, ad, to_steps))
            })
            .collect(),
        _ => IndexMap::new(),
    };
    TaskDetail {
        task: task_core(t, &inst.workflow, &inst.org_unit, &task_title(def, t)),
        step_title: def
            .step(&t.step)
            .and_then(|s| s.title.clone())
            .unwrap_or_else(|| t.step.clone()),
        actions,
        instance: InstanceBrief {
            id: inst.id.clone(),
            workflow: inst.workflow.clone(),
            version: inst.version,
            step: inst.step.clone(),
            status: inst.status,
            outcome: inst.outcome.clone(),
            summary: def.summarize(&inst.data, &read.unit_name),
            org_unit: inst.org_unit.clone(),
            org_unit_name: read.unit_name.clone(),
        },
    }
}
