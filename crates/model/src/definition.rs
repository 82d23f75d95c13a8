//! Workflow definitions: the YAML format, its parsing with source positions, and
//! the validation that turns a file into a [`Definition`] the machine can run.
//!
//! A definition is a set of named steps and named ends. A human step assigns
//! tasks (to the creator or to a role at a unit resolved from the directory)
//! and lists the actions its assignees may take; a route step moves on by
//! itself on a directory fact; an end closes the instance with that outcome.

use crate::calendar::Span;
use crate::catalogue::Catalogue;
use crate::directory::Level;
use crate::fields::FieldSpec;
use crate::schedule::CatchUp;
use indexmap::IndexMap;
use marked_yaml::{LoaderOptions, Spanned};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

/// Actions a definition may name. A closed vocabulary, so that a typo is an
/// error and the UI knows how to label each one.
pub const KNOWN_ACTIONS: &[&str] = &[
    "submit",
    "resubmit",
    "agree",
    "object",
    "return",
    "approve",
    "reject",
    "withdraw",
    "elected",
    "not_elected",
    "acknowledge",
    "accept",
];

/// E-mail templates a step may choose for its tasks (see the mail crate).
pub const KNOWN_TEMPLATES: &[&str] = &[
    "task_assigned",
    "task_reminder",
    "report_opened",
    "report_due",
    "campaign_task",
    "campaign_reminder",
];

/// Facts a route step may test, computed from the directory at decision time.
pub const KNOWN_FACTS: &[&str] = &[
    // The target body has a congress date still ahead, or its term ends within the window.
    "congress_due",
    // The target unit is a township or a street.
    "target_is_township",
];

/// One problem in a definition file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// All problems found in one file (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionErrors(pub Vec<DefinitionError>);

impl fmt::Display for DefinitionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DefinitionErrors {}

/// How many of a step's assignees must complete before it moves on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignOff {
    /// 会签: every assignee.
    #[default]
    All,
    /// 或签: the first one.
    Any,
    /// 依次: every assignee, one task at a time, in the order `assign` lists them.
    Sequential,
    /// N of the assignees (all of them, when fewer than N resolve).
    AtLeast(u32),
}

impl SignOff {
    /// How many completions meet this sign-off in a step that resolved
    /// `assignees` assignees.
    pub fn needed(self, assignees: usize) -> usize {
        match self {
            SignOff::All | SignOff::Sequential => assignees,
            SignOff::Any => assignees.min(1),
            SignOff::AtLeast(n) => assignees.min(n as usize),
        }
    }
}

/// Whether an action wants a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommentRule {
    #[default]
    Optional,
    Required,
}

impl CommentRule {
    pub const ALL: &'static [CommentRule] = &[CommentRule::Optional, CommentRule::Required];

    pub fn as_str(self) -> &'static str {
        match self {
            CommentRule::Optional => "optional",
            CommentRule::Required => "required",
        }
    }
}

/// Who a step's task goes to: `{role: creator}` (the user who started the
/// instance), `{role, unit?}` (a role at a region unit) or
/// `{role, department, of, optional?}` (a role at a department).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignSpec {
    #[schemars(with = "String")]
    pub role: Spanned<String>,
    /// For a role held at a region unit: which level (default: the target).
    #[serde(default)]
    pub unit: Option<Level>,
    /// For a department: its function, or `{field.path}` to read it from the data.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub department: Option<Spanned<String>>,
    /// The level whose department is meant. When the instance's unit has no
    /// ancestor of that level, this assignment does not apply.
    #[serde(default)]
    pub of: Option<Level>,
    /// When the level exists but has no such department: skip instead of refusing.
    #[serde(default)]
    pub optional: bool,
    /// A condition (see `condition`) under which this assignment applies.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub when: Option<Spanned<String>>,
}

impl AssignSpec {
    pub fn is_creator(&self) -> bool {
        self.role.as_str() == CREATOR
    }
}

/// The pseudo-role naming the user who started the instance.
pub const CREATOR: &str = "creator";

/// Where an action moves the instance: one step or end named in the file,
/// or a step its approver chooses at run time (`to_step`) among those listed,
/// or among those the instance has passed through (`to: passed`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Target {
    Step(String),
    Choose(Vec<String>),
}

/// `to: passed`: any human step the instance had tasks in before this one.
pub const PASSED: &str = "passed";

impl Target {
    /// The one step or end it leads to, when its approver does not choose.
    pub fn fixed(&self) -> Option<&str> {
        match self {
            Target::Step(s) if s != PASSED => Some(s),
            _ => None,
        }
    }

    /// The steps and ends the file names, for checks and diagrams.
    pub fn named(&self) -> Vec<&str> {
        match self {
            Target::Step(s) if s == PASSED => Vec::new(),
            Target::Step(s) => vec![s.as_str()],
            Target::Choose(list) => list.iter().map(String::as_str).collect(),
        }
    }

    /// How a diagram labels the place it leads: its name, or what is chosen.
    pub fn describe(&self) -> String {
        match self {
            Target::Step(s) => s.clone(),
            Target::Choose(list) => list.join(" | "),
        }
    }
}

/// One action of a human step.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionDef {
    /// Move the instance to this step or end, or to one its approver chooses.
    #[serde(default)]
    #[schemars(with = "Option<Target>")]
    pub to: Option<Spanned<Target>>,
    /// The assignee has done their part (counts toward the step's sign-off).
    #[serde(default)]
    pub complete: bool,
    #[serde(default)]
    pub comment: CommentRule,
    /// The instance data may be amended with this action.
    #[serde(default)]
    pub amend_data: bool,
    /// Data the action carries, stored under `data_key` (default: the step name).
    #[serde(default)]
    pub data: IndexMap<String, FieldSpec>,
    #[serde(default)]
    pub data_key: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// Instance fields that must be filled (after any amendment) to take this action.
    #[serde(default)]
    pub requires: Vec<String>,
    /// 批量: the action may be taken on several tasks at once with one
    /// opinion (only an action that carries no data and goes where its file says).
    #[serde(default)]
    pub batch: bool,
}

/// One route of a route step: the first whose fact holds is taken.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteDef {
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub when: Option<Spanned<String>>,
    #[schemars(with = "String")]
    pub to: Spanned<String>,
}

/// The clock around a human step's tasks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimersDef {
    /// `10 working days`, `3 days`, `12 hours` after the task opens …
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub due: Option<Spanned<String>>,
    /// … or the moment in this data field (RFC 3339), for deadlines set per instance.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub due_field: Option<Spanned<String>>,
    /// Reminders to the task's holders, each this long before the due date …
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub remind_before: Vec<Spanned<String>>,
    /// … or those listed in this data field.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub remind_before_field: Option<Spanned<String>>,
    /// How long after the due date an open task is escalated …
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub escalate_after: Option<Spanned<String>>,
    /// … and to whom (a role at a level above the instance's unit).
    #[serde(default)]
    pub escalate_to: Option<AssignSpec>,
    /// How long after the due date the task takes `timeout_action` by itself.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub timeout_after: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub timeout_action: Option<Spanned<String>>,
}

impl TimersDef {
    /// When a task opened at `now` in an instance with `data` is due.
    pub fn due_at(
        &self,
        calendar: &crate::calendar::Calendar,
        now: chrono::DateTime<chrono::Utc>,
        data: &serde_json::Value,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        if let Some(span) = self.due.as_ref().and_then(|d| Span::parse(d).ok()) {
            return Some(calendar.due(now, span));
        }
        let field = self.due_field.as_ref()?;
        let text = crate::fields::get_str(data, field)?;
        chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    }

    /// The reminder spans, from the file or from the instance's data.
    pub fn reminders(&self, data: &serde_json::Value) -> Vec<Span> {
        let mut out: Vec<Span> = self
            .remind_before
            .iter()
            .filter_map(|r| Span::parse(r).ok())
            .collect();
        if let Some(field) = &self.remind_before_field {
            if let Some(list) = crate::fields::get_path(data, field).and_then(|v| v.as_array()) {
                out.extend(
                    list.iter()
                        .filter_map(|v| v.as_str())
                        .filter_map(|s| Span::parse(s).ok()),
                );
            }
        }
        out
    }
}

/// A step: human (with `assign` and `actions`) or automatic (with `route`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepDef {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub assign: Vec<AssignSpec>,
    #[serde(default)]
    pub sign_off: SignOff,
    /// On re-entry, assignees who completed before are not asked again.
    #[serde(default)]
    pub keep_completed: bool,
    #[serde(default)]
    #[schemars(with = "IndexMap<String, ActionDef>")]
    pub actions: IndexMap<Spanned<String>, ActionDef>,
    /// Where the step goes once its sign-off is met.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub next: Option<Spanned<String>>,
    #[serde(default)]
    pub route: Vec<RouteDef>,
    #[serde(default)]
    pub timers: Option<TimersDef>,
    /// 抄送: when the step is done, its result is e-mailed to these roles.
    #[serde(default)]
    pub copy: Vec<AssignSpec>,
    /// E-mail templates for this step's tasks, instead of the general ones.
    #[serde(default)]
    pub mail: MailDef,
    /// Assignees passed without a task, each pass written to the history.
    #[serde(default)]
    pub auto_pass: Vec<AutoPass>,
    /// What to do with an assignee whose role nobody holds.
    #[serde(default)]
    pub no_holder: NoHolder,
    /// 转交: whether the holder of a task may hand it to someone else.
    /// Unset: yes, for a step whose tasks are not the creator's own.
    #[serde(default)]
    pub transfer: Option<bool>,
    /// 加签: whether the holder of a task may add a signer before, after or
    /// beside them. Unset: as for `transfer`.
    #[serde(default)]
    pub add_signer: Option<bool>,
}

/// When an assignee's part of a step is done without asking them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AutoPass {
    /// One who holds it started the instance (发起人自动通过).
    Creator,
    /// One who holds it completed their part of an earlier step of the
    /// instance (an action with `complete: true`).
    ApprovedBefore,
}

/// What a step does with an assignee whose role nobody holds, so that no
/// task ever opens for no one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoHolder {
    /// Refuse the action that would open the step, naming whom the directory lacks.
    #[default]
    Refuse,
    /// Leave the assignee out, with the reason in the history.
    Skip,
    /// Give the task to this role instead (refused if nobody holds it either).
    EscalateTo(Box<AssignSpec>),
}

/// Which templates a step's e-mails use.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MailDef {
    #[serde(default = "default_assigned")]
    pub assigned: String,
    #[serde(default = "default_reminder")]
    pub reminder: String,
}

fn default_assigned() -> String {
    "task_assigned".into()
}

fn default_reminder() -> String {
    "task_reminder".into()
}

impl Default for MailDef {
    fn default() -> Self {
        MailDef {
            assigned: default_assigned(),
            reminder: default_reminder(),
        }
    }
}

impl Definition {
    /// The template for `kind` (`assigned` or `reminder`) of a step's tasks.
    pub fn mail_template(&self, step: &str, reminder: bool) -> String {
        let m = self.step(step).map(|s| s.mail.clone()).unwrap_or_default();
        if reminder {
            m.reminder
        } else {
            m.assigned
        }
    }
}

impl StepDef {
    pub fn is_route(&self) -> bool {
        !self.route.is_empty()
    }

    /// Whether a task of this step may be transferred (转交).
    pub fn allows_transfer(&self) -> bool {
        self.transfer.unwrap_or_else(|| self.decided_by_others())
    }

    /// Whether a holder of a task of this step may add a signer (加签).
    pub fn allows_add_signer(&self) -> bool {
        self.add_signer.unwrap_or_else(|| self.decided_by_others())
    }

    /// A human step whose tasks are not the creator's own.
    fn decided_by_others(&self) -> bool {
        !self.is_route() && !self.assign.iter().any(AssignSpec::is_creator)
    }
}

/// `add_member`: the end makes a person a current member of the unit's body,
/// each value read from the named data field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberEffect {
    pub name: String,
    pub sector: String,
    pub post: String,
    pub mode: String,
    #[serde(default)]
    pub since: Option<String>,
    /// The sectors (values of the `sector` field's choices) whose chiefs a
    /// body should include: what the coverage board counts.
    #[serde(default)]
    pub covers: Vec<String>,
}

/// `set_body`: the end gives the unit its leadership body, whose term starts
/// on the date a data field holds and lasts `years` (a founding, 换届).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetBodyEffect {
    /// The date field (a dotted path; an action's data under its key).
    pub term_start: String,
    /// The term's length in years (1 to 10).
    pub years: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndDef {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub add_member: Option<AddMemberEffect>,
    #[serde(default)]
    pub set_body: Option<SetBodyEffect>,
    /// An instance ending here is published: any signed-in user may read it,
    /// and it is listed on the published page (典型案例 the province released).
    #[serde(default)]
    pub publish: bool,
}

/// Withdrawal by the creator: from which steps, and with which outcome.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawDef {
    #[schemars(with = "Vec<String>")]
    pub steps: Vec<Spanned<String>>,
    #[schemars(with = "String")]
    pub to: Spanned<String>,
}

/// Jobs a schedule may run.
pub const KNOWN_JOBS: &[&str] = &[
    // Start one instance for every unit of kind `for_each`, once per period.
    "open_for_each",
    // Remind the holders of this workflow's open tasks in `step`.
    "remind_open",
    // Tell `notify` which units' instances of the period are still in `step`.
    "report_missed",
];

fn default_timezone() -> String {
    "Asia/Shanghai".into()
}

/// A schedule of a workflow: when it fires and what it does.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleDef {
    /// Six or seven fields, seconds first: `0 0 9 1 * *` is 09:00 on the 1st.
    #[schemars(with = "String")]
    pub cron: Spanned<String>,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    pub catch_up: CatchUp,
    #[schemars(with = "String")]
    pub job: Spanned<String>,
    #[serde(default)]
    pub for_each: Option<crate::directory::OrgKind>,
    /// Data filled in by the engine when it opens an instance (`appointment_figures`).
    #[serde(default)]
    pub prefill: Option<String>,
    /// Which month the instances it opens or chases are about (`month` in
    /// their data): `this_month` (the default) or `previous_month`.
    #[serde(default)]
    pub period: crate::schedule::Period,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub step: Option<Spanned<String>>,
    #[serde(default)]
    pub notify: Option<AssignSpec>,
}

/// What a schedule's `prefill` may name.
pub const KNOWN_PREFILLS: &[&str] = &["appointment_figures"];

/// A workflow definition as written in YAML, checked by [`Definition::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    pub version: i64,
    pub title: String,
    /// The data field holding the code of the org unit the instance belongs to.
    #[schemars(with = "String")]
    pub org_field: Spanned<String>,
    /// The role a user must hold at (or above) the instance's unit to start one.
    #[schemars(with = "String")]
    pub started_by: Spanned<String>,
    /// One line naming an instance in lists and e-mails, with `{field.path}` placeholders.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub summary: Option<Spanned<String>>,
    #[schemars(with = "String")]
    pub start: Spanned<String>,
    #[serde(default)]
    #[schemars(with = "IndexMap<String, FieldSpec>")]
    pub fields: IndexMap<Spanned<String>, FieldSpec>,
    #[serde(default)]
    pub withdraw: Option<WithdrawDef>,
    #[schemars(with = "IndexMap<String, StepDef>")]
    pub steps: IndexMap<Spanned<String>, StepDef>,
    #[schemars(with = "IndexMap<String, EndDef>")]
    pub ends: IndexMap<Spanned<String>, EndDef>,
    #[serde(default)]
    #[schemars(with = "IndexMap<String, ScheduleDef>")]
    pub schedules: IndexMap<Spanned<String>, ScheduleDef>,
    /// This workflow is what a deadline campaign (限时任务) opens, one instance
    /// per target unit: it has the fields a campaign fills (see
    /// [`CAMPAIGN_FIELDS`]).
    #[serde(default)]
    pub campaign: bool,
    /// Typed attachment slots (a stamped scan, a Word file): each file
    /// uploaded into a slot must be of its types; a required slot must hold
    /// one before an action that submits the form (`amend_data`).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, SlotSpec>")]
    pub attachments: IndexMap<Spanned<String>, SlotSpec>,
}

/// The kinds of file an attachment may be, by the extension the service
/// gives the type it detects from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Pdf,
    Jpg,
    Png,
    Docx,
    Doc,
    Xlsx,
    Xls,
}

impl FileKind {
    /// The extension, as the service names a detected type.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Jpg => "jpg",
            FileKind::Png => "png",
            FileKind::Docx => "docx",
            FileKind::Doc => "doc",
            FileKind::Xlsx => "xlsx",
            FileKind::Xls => "xls",
        }
    }
}

/// One attachment slot of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotSpec {
    pub label: String,
    /// The kinds of file it takes.
    pub types: Vec<FileKind>,
    #[serde(default)]
    pub required: bool,
}

impl SlotSpec {
    /// Whether a file of the detected extension `ext` fits the slot.
    pub fn takes(&self, ext: &str) -> bool {
        self.types.iter().any(|t| t.as_str() == ext)
    }
}

/// The fields a campaign fills in each instance it opens, with their types.
pub const CAMPAIGN_FIELDS: &[(&str, crate::fields::FieldType)] = &[
    ("campaign", crate::fields::FieldType::Text),
    ("title", crate::fields::FieldType::Text),
    ("target", crate::fields::FieldType::OrgUnit),
    ("due_at", crate::fields::FieldType::Datetime),
    ("remind_before", crate::fields::FieldType::Spans),
];

impl Definition {
    /// Whether an end of this workflow adds a member to a body: the
    /// appointments the coverage board, its charts and the figures count.
    pub fn adds_members(&self) -> bool {
        self.ends.values().any(|e| e.add_member.is_some())
    }

    /// Whether people start this workflow themselves (发起), rather than a
    /// campaign or a schedule opening it for them.
    pub fn started_by_hand(&self) -> bool {
        !self.campaign && !self.schedules.values().any(|s| s.job.as_str() == "open_for_each")
    }

    /// Whether this workflow's schedules open progress reports, filled in
    /// with the figures (`prefill`) when they open.
    /// The table a campaign's instances are ranked by, if any.
    pub fn rank_field(&self) -> Option<(&str, &crate::fields::FieldSpec)> {
        self.fields
            .iter()
            .find(|(_, s)| s.rank)
            .map(|(k, s)| (k.as_str(), s))
    }

    pub fn is_report(&self) -> bool {
        self.schedules.values().any(|s| s.prefill.is_some())
    }
}

fn line_of<T>(s: &Spanned<T>) -> usize {
    s.span().start().map(|m| m.line()).unwrap_or(0)
}

impl Definition {
    /// The JSON Schema of a workflow file, as `workflows/schema.json` holds it,
    /// for editors to check a file as it is typed. What only the loader can
    /// check (names that exist, conditions, reachability) it leaves to `parse`.
    pub fn json_schema() -> String {
        let mut schema = schemars::schema_for!(Definition);
        schema.insert("title".into(), "Naxian workflow definition".into());
        let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
        text.push('\n');
        text
    }

    /// Parses and validates one definition file against the catalogue of
    /// roles and department functions; `file` names it in errors.
    pub fn parse(file: &str, source: &str, catalogue: &Catalogue) -> Result<Definition, DefinitionErrors> {
        let err = |line: usize, message: String| {
            DefinitionErrors(vec![DefinitionError {
                file: file.to_string(),
                line,
                message,
            }])
        };
        let options = LoaderOptions::default().error_on_duplicate_keys(true);
        let node = marked_yaml::parse_yaml_with_options(0, source, options).map_err(|load| {
            let text = load.to_string();
            err(leading_line(&text), text)
        })?;
        let def: Definition =
            marked_yaml::from_node(&node).map_err(|e| err(error_line(&node, &e), e.to_string()))?;
        let problems = def.problems(catalogue);
        if problems.is_empty() {
            Ok(def)
        } else {
            Err(DefinitionErrors(
                problems
                    .into_iter()
                    .map(|(line, message)| DefinitionError {
                        file: file.to_string(),
                        line,
                        message,
                    })
                    .collect(),
            ))
        }
    }

    pub fn step(&self, name: &str) -> Option<&StepDef> {
        self.steps.get(name)
    }

    pub fn end(&self, name: &str) -> Option<&EndDef> {
        self.ends.get(name)
    }

    pub fn is_end(&self, name: &str) -> bool {
        self.ends.contains_key(name)
    }

    /// Every semantic problem, as (line, message), in file order.
    fn problems(&self, cat: &Catalogue) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        let target_ok = |name: &Spanned<String>, out: &mut Vec<(usize, String)>, what: &str| {
            if !self.steps.contains_key(name.as_str()) && !self.ends.contains_key(name.as_str()) {
                out.push((
                    line_of(name),
                    format!("{what} names unknown step `{}`", name.as_str()),
                ));
            }
        };
        for name in self.steps.keys().chain(self.ends.keys()) {
            if name.as_str() == PASSED {
                out.push((
                    line_of(name),
                    format!("`{PASSED}` is reserved for `to: {PASSED}`: name the step otherwise"),
                ));
            }
        }
        for (name, _) in &self.ends {
            if self.steps.contains_key(name.as_str()) {
                out.push((
                    line_of(name),
                    format!("`{}` is both a step and an end", name.as_str()),
                ));
            }
        }
        if cat.role(self.started_by.as_str()).is_none() {
            out.push((
                line_of(&self.started_by),
                format!(
                    "unknown role `{}` (known: {})",
                    self.started_by.as_str(),
                    cat.role_names()
                ),
            ));
        }
        if !self.steps.contains_key(self.start.as_str()) {
            out.push((
                line_of(&self.start),
                format!("start names unknown step `{}`", self.start.as_str()),
            ));
        }
        if !self.fields.contains_key(self.org_field.as_str()) {
            out.push((
                line_of(&self.org_field),
                format!("org_field names undeclared field `{}`", self.org_field.as_str()),
            ));
        }
        for (fname, spec) in &self.fields {
            if let Err(m) = spec.check() {
                out.push((line_of(fname), format!("field `{}`: {m}", fname.as_str())));
            }
        }
        if let Some(second) = self.fields.iter().filter(|(_, s)| s.rank).nth(1) {
            out.push((
                line_of(second.0),
                format!("field `{}`: only one table may `rank`", second.0.as_str()),
            ));
        }
        for (slot, spec) in &self.attachments {
            // Slot names follow the rule of catalogue names.
            if slot.as_str().parse::<crate::directory::Role>().is_err() {
                out.push((
                    line_of(slot),
                    format!(
                        "attachment slot `{}`: a name is lower-case letters, digits and '_'",
                        slot.as_str()
                    ),
                ));
            }
            if spec.types.is_empty() {
                out.push((
                    line_of(slot),
                    format!("attachment slot `{}` needs `types`", slot.as_str()),
                ));
            }
        }
        if let Some(w) = &self.withdraw {
            for s in &w.steps {
                if !self.steps.contains_key(s.as_str()) {
                    out.push((
                        line_of(s),
                        format!("withdraw names unknown step `{}`", s.as_str()),
                    ));
                }
            }
            if !self.ends.contains_key(w.to.as_str()) {
                out.push((
                    line_of(&w.to),
                    format!("withdraw must end in a declared end, not `{}`", w.to.as_str()),
                ));
            }
        }
        for (name, sched) in &self.schedules {
            self.check_schedule(name, sched, cat, &mut out);
        }
        for (ename, end) in &self.ends {
            if let Some(set) = &end.set_body {
                let scope = self.condition_scope();
                match scope.fields.get(set.term_start.as_str()) {
                    Some(f) if f.kind == crate::fields::FieldType::Date => {}
                    Some(_) => out.push((
                        line_of(ename),
                        format!("set_body's term_start `{}` is not a date field", set.term_start),
                    )),
                    None => out.push((
                        line_of(ename),
                        format!("set_body reads undeclared field `{}`", set.term_start),
                    )),
                }
                if !(1..=10).contains(&set.years) {
                    out.push((line_of(ename), "set_body's years must be 1 to 10".into()));
                }
            }
            let Some(add) = &end.add_member else { continue };
            for path in [&add.name, &add.sector, &add.post, &add.mode]
                .into_iter()
                .chain(add.since.as_ref())
            {
                let declared = self.fields.contains_key(path.as_str())
                    || self.condition_scope().fields.contains_key(path);
                if !declared {
                    out.push((
                        line_of(ename),
                        format!("add_member reads undeclared field `{path}`"),
                    ));
                }
            }
            let choices = self
                .fields
                .get(add.sector.as_str())
                .map(|f| f.choices.clone())
                .unwrap_or_default();
            for c in &add.covers {
                if !choices.contains(c) {
                    out.push((
                        line_of(ename),
                        format!(
                            "add_member covers `{c}`, which is not a choice of `{}`",
                            add.sector
                        ),
                    ));
                }
            }
        }
        if self.campaign {
            for (field, kind) in CAMPAIGN_FIELDS {
                if self.fields.get(*field).is_none_or(|f| f.kind != *kind) {
                    out.push((
                        line_of(&self.name),
                        format!(
                            "a campaign workflow needs the field `{field}` of type {}",
                            kind.as_str()
                        ),
                    ));
                }
            }
        }
        for (sname, step) in &self.steps {
            let sline = line_of(sname);
            if step.is_route() {
                if !step.assign.is_empty() || !step.actions.is_empty() || step.next.is_some() {
                    out.push((
                        sline,
                        format!(
                            "step `{}` routes automatically and cannot also assign tasks",
                            sname.as_str()
                        ),
                    ));
                }
                for r in &step.route {
                    target_ok(&r.to, &mut out, "route");
                    if let Some(w) = &r.when {
                        self.check_condition(w, &mut out);
                    }
                }
                if step.route.last().is_some_and(|r| r.when.is_some()) {
                    out.push((
                        sline,
                        format!(
                            "step `{}` has no way out when no route matches: end with a route without `when`",
                            sname.as_str()
                        ),
                    ));
                }
                continue;
            }
            if step.assign.is_empty() {
                out.push((sline, format!("step `{}` assigns no one", sname.as_str())));
            }
            if let SignOff::AtLeast(n) = step.sign_off {
                if n == 0 || n as usize > step.assign.len() {
                    out.push((
                        sline,
                        format!(
                            "step `{}` signs off with at least {n} of {} assignments: N must be 1 to {}",
                            sname.as_str(),
                            step.assign.len(),
                            step.assign.len()
                        ),
                    ));
                }
            }
            for a in &step.assign {
                self.check_assign(a, cat, &mut out);
            }
            if step.actions.is_empty() {
                out.push((
                    sline,
                    format!("step `{}` has no way out: it lists no actions", sname.as_str()),
                ));
            }
            let mut leaves = false;
            let mut completes = false;
            for (aname, action) in &step.actions {
                let aline = line_of(aname);
                if !KNOWN_ACTIONS.contains(&aname.as_str()) {
                    out.push((
                        aline,
                        format!(
                            "unknown action `{}` (known: {})",
                            aname.as_str(),
                            KNOWN_ACTIONS.join(", ")
                        ),
                    ));
                }
                match (&action.to, action.complete) {
                    (Some(to), false) => {
                        self.check_target(to, &mut out);
                        leaves = true;
                    }
                    (None, true) => completes = true,
                    _ => out.push((
                        aline,
                        format!(
                            "action `{}` needs exactly one of `to` or `complete: true`",
                            aname.as_str()
                        ),
                    )),
                }
                for f in &action.requires {
                    if !self.fields.contains_key(f.as_str()) {
                        out.push((
                            aline,
                            format!("action `{}` requires undeclared field `{f}`", aname.as_str()),
                        ));
                    }
                }
                let chooses = action.to.as_deref().is_some_and(|t| t.fixed().is_none());
                if action.batch && (!action.data.is_empty() || action.amend_data || chooses) {
                    out.push((
                        aline,
                        format!(
                            "action `{}` is `batch: true` but carries data or chooses a step: one opinion cannot serve several tasks then",
                            aname.as_str()
                        ),
                    ));
                }
                for (dname, spec) in &action.data {
                    if let Err(m) = spec.check() {
                        out.push((aline, format!("action `{}` data `{dname}`: {m}", aname.as_str())));
                    }
                }
            }
            match (&step.next, completes) {
                (Some(next), _) => {
                    target_ok(next, &mut out, "next");
                    if !completes {
                        out.push((
                            line_of(next),
                            format!("step `{}` has `next` but no action completes it", sname.as_str()),
                        ));
                    }
                    leaves = true;
                }
                (None, true) => out.push((
                    sline,
                    format!("step `{}` has completing actions but no `next`", sname.as_str()),
                )),
                (None, false) => {}
            }
            if let Some(t) = &step.timers {
                self.check_timers(sname.as_str(), step, t, cat, &mut out);
            }
            let passes = !step.auto_pass.is_empty() || step.no_holder == NoHolder::Skip;
            if passes && step.next.is_none() {
                out.push((
                    sline,
                    format!(
                        "step `{}` may pass assignees without a task (auto_pass, no_holder: skip) and needs `next` to go on then",
                        sname.as_str()
                    ),
                ));
            }
            if let NoHolder::EscalateTo(to) = &step.no_holder {
                self.check_assign(to, cat, &mut out);
                if to.is_creator() {
                    out.push((
                        line_of(&to.role),
                        "no_holder escalates to a role, not the creator".into(),
                    ));
                }
            }
            for t in [&step.mail.assigned, &step.mail.reminder] {
                if !KNOWN_TEMPLATES.contains(&t.as_str()) {
                    out.push((
                        sline,
                        format!("step `{}` names unknown e-mail template `{t}`", sname.as_str()),
                    ));
                }
            }
            for c in &step.copy {
                self.check_assign(c, cat, &mut out);
                if c.is_creator() {
                    out.push((line_of(&c.role), "copy to a role, not the creator".into()));
                }
            }
            if !step.actions.is_empty() && !leaves {
                out.push((
                    sline,
                    format!(
                        "step `{}` has no way out: no action leads anywhere",
                        sname.as_str()
                    ),
                ));
            }
        }
        if out.is_empty() {
            for name in self.unreachable() {
                let line = self
                    .steps
                    .get_key_value(name.as_str())
                    .map(|(k, _)| line_of(k))
                    .or_else(|| self.ends.get_key_value(name.as_str()).map(|(k, _)| line_of(k)))
                    .unwrap_or(0);
                out.push((
                    line,
                    format!("`{name}` is unreachable from start `{}`", self.start.as_str()),
                ));
            }
        }
        out.sort_by_key(|(l, _)| *l);
        out
    }

    fn check_schedule(
        &self,
        name: &Spanned<String>,
        s: &ScheduleDef,
        cat: &Catalogue,
        out: &mut Vec<(usize, String)>,
    ) {
        if let Err(m) = crate::schedule::Schedule::new(name, &s.cron, &s.timezone, s.catch_up) {
            out.push((line_of(&s.cron), format!("schedule `{}`: {m}", name.as_str())));
        }
        let job = s.job.as_str();
        if !KNOWN_JOBS.contains(&job) {
            out.push((
                line_of(&s.job),
                format!("unknown job `{job}` (known: {})", KNOWN_JOBS.join(", ")),
            ));
        }
        if job == "open_for_each" && s.for_each.is_none() {
            out.push((
                line_of(&s.job),
                "open_for_each needs `for_each` (a kind of org unit)".into(),
            ));
        }
        if let Some(p) = &s.prefill {
            if !KNOWN_PREFILLS.contains(&p.as_str()) {
                out.push((
                    line_of(&s.job),
                    format!("unknown prefill `{p}` (known: {})", KNOWN_PREFILLS.join(", ")),
                ));
            }
        }
        if matches!(job, "remind_open" | "report_missed") {
            match &s.step {
                None => out.push((line_of(&s.job), format!("{job} needs `step`"))),
                Some(st) if !self.steps.contains_key(st.as_str()) => out.push((
                    line_of(st),
                    format!("schedule names unknown step `{}`", st.as_str()),
                )),
                Some(_) => {}
            }
        }
        match (&s.notify, job) {
            (Some(n), _) => self.check_assign(n, cat, out),
            (None, "report_missed") => out.push((line_of(&s.job), "report_missed needs `notify`".into())),
            _ => {}
        }
    }

    /// The schedules of this workflow, named `{workflow}.{schedule}`.
    pub fn parsed_schedules(&self) -> Vec<(crate::schedule::Schedule, &ScheduleDef)> {
        self.schedules
            .iter()
            .filter_map(|(name, d)| {
                let full = format!("{}.{}", self.name.as_str(), name.as_str());
                crate::schedule::Schedule::new(&full, &d.cron, &d.timezone, d.catch_up)
                    .ok()
                    .map(|s| (s, d))
            })
            .collect()
    }

    fn check_timers(
        &self,
        sname: &str,
        step: &StepDef,
        t: &TimersDef,
        cat: &Catalogue,
        out: &mut Vec<(usize, String)>,
    ) {
        match (&t.due, &t.due_field) {
            (Some(_), None) => {}
            (None, Some(f)) => {
                if !self.fields.contains_key(f.as_str()) {
                    out.push((
                        line_of(f),
                        format!("due_field names undeclared field `{}`", f.as_str()),
                    ));
                }
            }
            _ => out.push((
                line_of(sname_spanned(self, sname)),
                format!("step `{sname}` needs exactly one of `due` and `due_field`"),
            )),
        }
        if let Some(f) = &t.remind_before_field {
            if !self.fields.contains_key(f.as_str()) {
                out.push((
                    line_of(f),
                    format!("remind_before_field names undeclared field `{}`", f.as_str()),
                ));
            }
        }
        let spans = t
            .due
            .iter()
            .chain(&t.remind_before)
            .chain(&t.escalate_after)
            .chain(&t.timeout_after);
        for s in spans {
            if let Err(m) = Span::parse(s) {
                out.push((line_of(s), m));
            }
        }
        match (&t.escalate_after, &t.escalate_to) {
            (Some(_), Some(to)) => {
                self.check_assign(to, cat, out);
                if to.is_creator() {
                    out.push((line_of(&to.role), "escalate to a role, not the creator".into()));
                }
            }
            (Some(a), None) => out.push((
                line_of(a),
                format!("step `{sname}` escalates to no one: add `escalate_to`"),
            )),
            (None, Some(to)) => out.push((line_of(&to.role), "`escalate_to` needs `escalate_after`".into())),
            (None, None) => {}
        }
        match (&t.timeout_after, &t.timeout_action) {
            (Some(_), Some(action)) => match step.actions.get(action.as_str()) {
                None => out.push((
                    line_of(action),
                    format!(
                        "timeout action `{}` is not an action of step `{sname}`",
                        action.as_str()
                    ),
                )),
                Some(a) if a.comment == CommentRule::Required || !a.data.iter().all(|(_, f)| !f.required) => {
                    out.push((
                        line_of(action),
                        format!(
                            "timeout action `{}` needs input no one gives on a timeout",
                            action.as_str()
                        ),
                    ))
                }
                Some(_) => {}
            },
            (Some(a), None) => out.push((line_of(a), "`timeout_after` needs `timeout_action`".into())),
            (None, Some(a)) => out.push((line_of(a), "`timeout_action` needs `timeout_after`".into())),
            (None, None) => {}
        }
    }

    /// An action's `to`: steps and ends that exist; a choice only among steps.
    fn check_target(&self, to: &Spanned<Target>, out: &mut Vec<(usize, String)>) {
        let line = line_of(to);
        for name in to.named() {
            let chosen = to.fixed().is_none();
            if chosen && !self.steps.contains_key(name) {
                let what = if self.ends.contains_key(name) {
                    "an end"
                } else {
                    "unknown"
                };
                out.push((
                    line,
                    format!("an approver may choose only steps: `{name}` is {what}"),
                ));
            } else if !self.steps.contains_key(name) && !self.ends.contains_key(name) {
                out.push((line, format!("action names unknown step `{name}`")));
            }
        }
        if matches!(&**to, Target::Choose(list) if list.is_empty()) {
            out.push((line, "an action's `to` lists no step to choose from".into()));
        }
    }

    /// What a condition of this workflow may name: its fields, each action's
    /// data under the key it is stored at, and the facts.
    pub fn condition_scope(&self) -> crate::condition::Scope<'_> {
        let mut fields: BTreeMap<String, &FieldSpec> =
            self.fields.iter().map(|(k, v)| (k.to_string(), v)).collect();
        for (sname, step) in &self.steps {
            for action in step.actions.values() {
                let key = action.data_key.as_deref().unwrap_or(sname.as_str());
                for (f, spec) in &action.data {
                    fields.insert(format!("{key}.{f}"), spec);
                }
            }
        }
        crate::condition::Scope {
            fields,
            facts: KNOWN_FACTS,
        }
    }

    fn check_condition(&self, when: &Spanned<String>, out: &mut Vec<(usize, String)>) {
        if let Err(m) = crate::condition::check(when, &self.condition_scope()) {
            out.push((line_of(when), m));
        }
    }

    fn check_assign(&self, a: &AssignSpec, cat: &Catalogue, out: &mut Vec<(usize, String)>) {
        if let Some(w) = &a.when {
            self.check_condition(w, out);
        }
        let r = a;
        {
            {
                if !a.is_creator() && cat.role(r.role.as_str()).is_none() {
                    out.push((
                        line_of(&r.role),
                        format!(
                            "unknown role `{}` (known: creator, {})",
                            r.role.as_str(),
                            cat.role_names()
                        ),
                    ));
                }
                if a.is_creator() && (r.department.is_some() || r.unit.is_some()) {
                    out.push((
                        line_of(&r.role),
                        "`role: creator` takes no unit or department".into(),
                    ));
                }
                match (&r.department, r.of) {
                    (Some(d), Some(_)) => {
                        if let Some(field) = template_field(d) {
                            if !self.fields.contains_key(field) {
                                out.push((
                                    line_of(d),
                                    format!("department reads undeclared field `{field}`"),
                                ));
                            }
                        } else if cat.function(d.as_str()).is_none() {
                            out.push((
                                line_of(d),
                                format!(
                                    "unknown department function `{}` (known: {})",
                                    d.as_str(),
                                    cat.function_names()
                                ),
                            ));
                        }
                        if r.unit.is_some() {
                            out.push((
                                line_of(&r.role),
                                "a department assignment takes `of`, not `unit`".into(),
                            ));
                        }
                    }
                    (Some(d), None) => out.push((
                        line_of(d),
                        "a department assignment needs `of` (county, township, ...)".into(),
                    )),
                    (None, Some(_)) => out.push((line_of(&r.role), "`of` goes with `department`".into())),
                    (None, None) => {}
                }
            }
        }
    }

    /// Names of steps and ends no path from `start` reaches.
    fn unreachable(&self) -> Vec<String> {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut queue = VecDeque::from([self.start.as_str()]);
        while let Some(name) = queue.pop_front() {
            if !seen.insert(name) {
                continue;
            }
            if let Some(w) = &self.withdraw {
                if w.steps.iter().any(|s| s.as_str() == name) {
                    queue.push_back(w.to.as_str());
                }
            }
            if let Some(step) = self.steps.get(name) {
                queue.extend(step.route.iter().map(|r| r.to.as_str()));
                queue.extend(
                    step.actions
                        .values()
                        .filter_map(|a| a.to.as_deref())
                        .flat_map(Target::named),
                );
                queue.extend(step.next.as_deref().map(String::as_str));
            }
        }
        self.steps
            .keys()
            .chain(self.ends.keys())
            .filter(|k| !seen.contains(k.as_str()))
            .map(|k| k.to_string())
            .collect()
    }

    /// Every step and end with the places it can go, for diagrams.
    pub fn edges(&self) -> BTreeMap<String, Vec<(String, String)>> {
        let mut map = BTreeMap::new();
        for (name, step) in &self.steps {
            let mut out: Vec<(String, String)> = Vec::new();
            for (a, def) in &step.actions {
                match def.to.as_deref() {
                    Some(Target::Step(s)) if s == PASSED => out.push((a.to_string(), PASSED.into())),
                    Some(to) => out.extend(to.named().into_iter().map(|t| (a.to_string(), t.to_string()))),
                    None => {}
                }
            }
            if let Some(n) = &step.next {
                out.push(("next".into(), n.to_string()));
            }
            for r in &step.route {
                out.push((
                    r.when.as_deref().cloned().unwrap_or_else(|| "otherwise".into()),
                    r.to.to_string(),
                ));
            }
            map.insert(name.to_string(), out);
        }
        map
    }
}

/// The spanned key of a step, for errors about the step as a whole.
fn sname_spanned<'a>(def: &'a Definition, name: &str) -> &'a Spanned<String> {
    def.steps
        .get_key_value(name)
        .map(|(k, _)| k)
        .unwrap_or(&def.start)
}

/// The line of the deepest node a serde path (`steps.a.asign`, `x[0]`) reaches.
/// The line of a typing error in a file read as `node`: where serde stopped,
/// or where the path it names leads, whichever is further down.
pub(crate) fn error_line(node: &marked_yaml::Node, e: &marked_yaml::FromNodeError) -> usize {
    let by_mark = e.start_mark().map(|m| m.line()).unwrap_or(0);
    let by_path = e.path().map(|p| line_at_path(node, p)).unwrap_or(0);
    by_mark.max(by_path)
}

fn line_at_path(root: &marked_yaml::Node, path: &str) -> usize {
    let mut node = root;
    let mut line = node.span().start().map(|m| m.line()).unwrap_or(0);
    let segs: Vec<&str> = path.split('.').collect();
    for (i, seg) in segs.iter().enumerate() {
        let (key, index) = match seg.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (*seg, None),
        };
        if !key.is_empty() {
            let Some(map) = node.as_mapping() else { break };
            // A `?` is a map key serde could not name: take the entry holding the next key.
            let next_key = segs.get(i + 1).map(|s| s.split('[').next().unwrap_or(s));
            let found = if key == "?" {
                map.iter().find(|(_, v)| {
                    v.as_mapping()
                        .is_some_and(|m| next_key.is_some_and(|nk| m.iter().any(|(k, _)| k.as_str() == nk)))
                })
            } else {
                map.iter().find(|(k, _)| k.as_str() == key)
            };
            match found {
                Some((k, v)) => {
                    line = k.span().start().map(|m| m.line()).unwrap_or(line);
                    node = v;
                }
                None => break,
            }
        }
        if let Some(i) = index {
            let Some(item) = node.as_sequence().and_then(|s| s.get(i)) else {
                break;
            };
            node = item;
            line = node.span().start().map(|m| m.line()).unwrap_or(line);
        }
    }
    line
}

/// The `{field.path}` placeholders of a text.
pub fn placeholders(text: &str) -> Vec<&str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(f, _)| f))
        .collect()
}

impl Definition {
    /// The instance's one-line summary: `summary` with its placeholders filled
    /// from `data`, or the workflow's title.
    /// `unit_name` is the name of the instance's unit, which its org field's
    /// placeholder reads as (the data holds its code).
    pub fn summarize(&self, data: &serde_json::Value, unit_name: &str) -> String {
        let Some(template) = &self.summary else {
            return self.title.clone();
        };
        let mut out = template.to_string();
        for field in placeholders(template) {
            let value = match crate::fields::get_path(data, field) {
                Some(serde_json::Value::String(_))
                    if field == self.org_field.as_str() && !unit_name.is_empty() =>
                {
                    unit_name.to_string()
                }
                // A choice reads as its label (卫生健康, not health).
                Some(serde_json::Value::String(s)) => self
                    .fields
                    .get(field)
                    .and_then(|f| f.choices.label(s))
                    .unwrap_or(s)
                    .to_string(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            out = out.replace(&format!("{{{field}}}"), &value);
        }
        out
    }

    /// The fields `action` on `step` fills, with their specs: the instance's
    /// own when the action amends them, else the action's data.
    pub fn action_fields(&self, step: &str, action: &str) -> Vec<(&str, &crate::fields::FieldSpec)> {
        let Some(a) = self.step(step).and_then(|st| st.actions.get(action)) else {
            return Vec::new();
        };
        if a.amend_data {
            self.fields.iter().map(|(f, spec)| (f.as_str(), spec)).collect()
        } else {
            a.data.iter().map(|(f, spec)| (f.as_str(), spec)).collect()
        }
    }

    /// The fields a form for `action` on `step` offers: what the action
    /// carries, or for an amending action the instance's fields a person
    /// may change (not fixed at the start, not its unit, not the service's own).
    pub fn form_fields(&self, step: &str, action: &str) -> Vec<(&str, &crate::fields::FieldSpec)> {
        let amends = self
            .step(step)
            .and_then(|st| st.actions.get(action))
            .is_some_and(|a| a.amend_data);
        self.action_fields(step, action)
            .into_iter()
            .filter(|(f, spec)| {
                !amends
                    || (!spec.readonly
                        && *f != self.org_field.as_str()
                        && spec.kind != crate::fields::FieldType::Json)
            })
            .collect()
    }

    /// The label of the field at `path` (under `data`) as a form on `step`
    /// shows it: an action's field of that name first, else the instance's.
    pub fn field_label(&self, step: &str, path: &str) -> Option<&str> {
        self.step(step)
            .and_then(|st| st.actions.values().find_map(|a| a.data.get(path)))
            .and_then(|f| f.label.as_deref())
            .or_else(|| self.fields.get(path).and_then(|f| f.label.as_deref()))
    }
}

/// `{candidate.sector}` → `candidate.sector`.
pub fn template_field(s: &str) -> Option<&str> {
    s.strip_prefix('{').and_then(|r| r.strip_suffix('}'))
}

/// The loader's messages carry `line:column` somewhere; take the first number pair.
pub(crate) fn leading_line(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_digit() && c != ':')
        .find_map(|tok| {
            let mut parts = tok.split(':');
            let l = parts.next()?.parse().ok()?;
            parts.next()?.parse::<usize>().ok()?;
            Some(l)
        })
        .unwrap_or(0)
}
