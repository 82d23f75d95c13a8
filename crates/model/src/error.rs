//! The errors the model returns when it refuses an action or input, and the
//! kinds of bad input ([`Problem`]) from which both the API's English message
//! and the pages' Chinese one are rendered.

use thiserror::Error;

/// Why the model refused a command. Each kind maps to one HTTP status at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModelError {
    /// Malformed or invalid input; `field` names the offending field.
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: Problem },
    /// The action is not one the current step allows.
    #[error("{0}")]
    NotAllowed(Refusal),
    /// The task is already done or the instance has moved on.
    #[error("{0}")]
    Conflict(Refusal),
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(Refusal),
    /// The directory lacks something the workflow needs (e.g. a department).
    #[error("the directory is incomplete: {0}")]
    Directory(Refusal),
}

/// A role at a unit of a user, with the user's and the unit's names for
/// the pages (boxed in a refusal: it is rarely made and five strings long).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantNamed {
    pub login: String,
    pub name: String,
    pub role: String,
    pub unit: String,
    pub unit_name: String,
}

/// Why the model refused a command that was well formed. As with
/// [`Problem`], the text is the API's and the pages render each kind in
/// Chinese themselves.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    #[error("the instance is already completed ({outcome})")]
    Completed { outcome: String },
    #[error("this workflow cannot be withdrawn")]
    NoWithdraw,
    #[error("only the creator may withdraw")]
    OnlyCreatorWithdraws,
    #[error("cannot withdraw in step `{step}`")]
    NotWithdrawableHere { step: String },
    #[error("the task does not belong to this instance")]
    TaskOfAnotherInstance,
    #[error("the task is already done")]
    TaskDone,
    #[error("the instance has moved on from this task's step")]
    MovedOn,
    #[error("unknown step `{step}`")]
    UnknownStep { step: String },
    #[error("action `{action}` is not allowed in step `{step}` (allowed: {})", .allowed.join(", "))]
    ActionNotAllowed {
        action: String,
        step: String,
        allowed: Vec<String>,
    },
    #[error("this task of step `{step}` cannot be transferred")]
    TransferNotAllowed { step: String },
    #[error("no signer can be added to a task of step `{step}`, nor to an added signer's task")]
    AddSignerNotAllowed { step: String },
    #[error("action `{action}` cannot be taken in a batch: open the task and take it there")]
    NotBatchable { action: String },
    #[error("`{step}` is not a step this action may send the instance to (allowed: {})", .allowed.join(", "))]
    StepNotOffered { step: String, allowed: Vec<String> },
    #[error("the condition `{condition}` cannot be decided: {detail}")]
    ConditionFailed { condition: String, detail: String },
    #[error("no route of `{step}` applies")]
    NoRoute { step: String },
    #[error("the workflow routes in a cycle")]
    RoutesInCycle,
    #[error("the directory is incomplete: nobody can be assigned step `{step}` for unit {unit}")]
    Nobody { step: String, unit: String },
    #[error("the directory is incomplete: nobody holds {role} at {unit_name} ({unit}) for step `{step}`")]
    NoHolder {
        step: String,
        role: String,
        unit: String,
        unit_name: String,
    },
    #[error("the directory is incomplete: unit {unit} has no {level} level above it")]
    NoLevel { unit: String, level: String },
    #[error(
        "the directory is incomplete: {unit_name} ({unit}) has no department with function `{function}` in the directory"
    )]
    NoDepartment {
        unit: String,
        unit_name: String,
        function: String,
    },
    #[error("the directory is incomplete: unknown role `{role}`")]
    UnknownRole { role: String },

    // The engine's own refusals: who may see or do what, and what exists.
    #[error("no instance `{id}`")]
    NoInstance { id: String },
    #[error("no task `{id}`")]
    NoTask { id: String },
    #[error("no campaign `{id}`")]
    NoCampaign { id: String },
    #[error("no attachment `{id}`")]
    NoAttachment { id: String },
    #[error("no notice `{id}`")]
    NoNotice { id: String },
    #[error("no member {id} at `{code}`")]
    NoMember { code: String, id: i64 },
    #[error("member {id} has already left")]
    MemberLeft { id: i64 },
    #[error("no user `{login}`")]
    NoUser { login: String },
    #[error("no org unit `{code}`")]
    NoOrgUnit { code: String },
    #[error("no workflow `{name}`")]
    NoWorkflow { name: String },
    #[error("no workflow `{name}` version {version}")]
    NoWorkflowVersion { name: String, version: i64 },
    #[error("no such export")]
    NoExport,
    /// The names are the login and the code when they are unknown.
    #[error("`{}` does not hold {} at {}", .0.login, .0.role, .0.unit)]
    NoGrant(Box<GrantNamed>),
    #[error("campaign `{id}` ranks nothing: its workflow has no `rank` table")]
    NoRanking { id: String },
    #[error("no such import template")]
    NoTemplate,
    #[error("no unit to show")]
    NoUnitToShow,
    #[error("org unit `{code}` no longer exists")]
    UnitGone { code: String },
    #[error("org unit `{code}` already exists")]
    UnitExists { code: String },
    #[error("user `{login}` already exists")]
    UserExists { login: String },
    #[error("`{}` already holds {} at {}", .0.login, .0.role, .0.unit)]
    AlreadyHolds(Box<GrantNamed>),
    #[error("this task is not assigned to you")]
    NotYourTask,
    #[error("nobody acts on an instance they started, nor for the person who started it")]
    OwnInstance,
    #[error("`{login}` has no delegation")]
    NoDelegation { login: String },
    #[error("you may not see this instance")]
    InstanceHidden,
    #[error("you may not see this campaign")]
    CampaignHidden,
    #[error("this unit is outside your grants")]
    OutsideGrants,
    #[error("{code} is outside your supervisor grants")]
    OutsideSupervision { code: String },
    #[error("starting `{workflow}` for {unit} needs the {role} role at that unit or above")]
    StartNeedsRole {
        workflow: String,
        unit: String,
        role: String,
    },
    #[error("you may nominate for no unit")]
    NothingToNominate,
    #[error("only the creator or a supervisor may urge this task")]
    UrgeNotYours,
    #[error("this task was already urged today; try again tomorrow")]
    UrgedToday,
    #[error("the access log is for administrators")]
    AccessLogForAdmins,
    #[error("this needs the admin role")]
    NeedsAdmin,
    #[error("you are not an administrator of this unit")]
    NotUnitAdmin,
    #[error("an administrator reset this password: change it on the web (我的账户) first")]
    PasswordMustChange,
    #[error("only a supervisor opens a campaign")]
    NeedsSupervisor,
    #[error("only a global administrator creates top-level units")]
    TopLevelNeedsGlobalAdmin,
    #[error("only a global administrator makes another")]
    AdminNeedsGlobalAdmin,
    #[error("only a global administrator changes the catalogue of roles and functions")]
    CatalogueNeedsGlobalAdmin,
    #[error("only the user or an administrator changes this")]
    OnlySelfOrAdmin,
    #[error("the instance is closed")]
    InstanceClosed,
    #[error("only the nominator or someone with a task on it attaches files")]
    AttachNotYours,
    #[error("too many failed logins: try again later")]
    TooManyLogins,
    #[error("a row was added by someone else meanwhile; nothing was imported ({detail})")]
    ImportRaced { detail: String },
    /// A unique key or a row changed under the request (the database's words).
    #[error("{detail}")]
    Stale { detail: String },
    /// A row the request names is gone (the database's words).
    #[error("{detail}")]
    Missing { detail: String },
}

impl ModelError {
    pub fn invalid(field: impl Into<String>, problem: Problem) -> Self {
        ModelError::Invalid {
            field: field.into(),
            problem,
        }
    }
}

/// What is wrong with one field's value. The `Display` text is the API's
/// (English) message; the pages render each kind in Chinese themselves, so a
/// new kind is a compile error there, never an untranslated message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Problem {
    #[error("is required")]
    Required,
    /// Required by the action being taken (a comment to return, a date to elect).
    #[error("is required to {action}")]
    RequiredTo { action: String },
    #[error("a comment is required to {action}")]
    CommentRequired { action: String },
    #[error("must not be empty")]
    Empty,
    #[error("must be a string")]
    NotText,
    #[error("must be a JSON object")]
    NotObject,
    #[error("unknown field")]
    UnknownField,
    #[error("must not contain control characters")]
    ControlCharacters,
    #[error("must be one line without control characters")]
    NotOneLine,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must be at least {min} characters")]
    TooShort { min: usize },
    #[error("must be at most {max} bytes")]
    TooManyBytes { max: usize },
    #[error("must be at most {max_mib} MiB")]
    FileTooLarge { max_mib: u64 },
    #[error("must be at most {max}")]
    TooLarge { max: i64 },
    #[error("must be at least {min}")]
    TooSmall { min: i64 },
    #[error("must be an integer")]
    NotInteger,
    #[error("must be a mobile number, or a landline with its area code (0531-88886666)")]
    NotPhone,
    #[error("must be an 11-digit mainland mobile number")]
    NotMobile,
    #[error("must be an e-mail address")]
    NotEmail,
    #[error("must be one of: {}", .choices.join(", "))]
    NotOneOf { choices: Vec<String> },
    #[error("must be a date YYYY-MM-DD")]
    NotDate,
    #[error("must be a month YYYY-MM")]
    NotMonth,
    #[error("must be a time in RFC 3339 with offset, e.g. 2027-03-20T18:00:00+08:00")]
    NotTime,
    #[error("must be in the future")]
    NotFuture,
    #[error("must be after {other}")]
    NotAfter { other: String },
    #[error("must not be before {other}")]
    Before { other: String },
    #[error("must not be later than today")]
    InFuture,
    #[error("only a member of a sector the coverage counts ({}) can be one of the three chiefs", .sectors.join(", "))]
    ChiefOutsideSectors { sectors: Vec<String> },
    #[error("must list at least one of the {what}")]
    NoneChosen { what: Counted },
    #[error("must list at most {max} {what}")]
    TooMany { max: usize, what: Counted },
    #[error("must be a list of durations")]
    NotDurations,
    #[error("`{text}` is not a duration: write e.g. `10 working days`, `3 days`, `12 hours` or `day 25 of the month`")]
    NotDuration { text: String },
    /// An org-unit code: 1 to 64 of ASCII letters, digits, '-', '_' and '.'.
    #[error("must be 1 to 64 ASCII letters, digits, '-', '_' or '.'")]
    NotCode,
    #[error("must be 1 to 64 ASCII letters, digits, '.', '_' or '-'")]
    NotLogin,
    /// A catalogue name (a role, a department function).
    #[error("must be 1 to 40 lower-case letters, digits or '_', starting with a letter")]
    NotName,
    #[error("cannot be changed after creation")]
    Immutable,
    #[error("is the creator of this instance, who never decides on it")]
    CreatorCannotHold,
    #[error("no user `{login}`")]
    NoSuchUser { login: String },
    #[error("cannot be the user themself")]
    DelegateIsSelf,
    #[error("is not the current password")]
    WrongPassword,
    #[error("must differ from the current password")]
    SameAsBefore,
    #[error("holds this task already")]
    HoldsItAlready,
    #[error("does not hold the task's role at its unit or above")]
    CannotHoldTask,
    #[error("action `{action}` does not let its approver choose a step")]
    ChoosesNoStep { action: String },
    #[error("action `{action}` takes no data")]
    TakesNoData { action: String },
    #[error("must be a unit of kind {}, not {actual}", .allowed.join(" or "))]
    WrongKind { allowed: Vec<String>, actual: String },
    #[error("no org unit `{code}`")]
    NoOrgUnit { code: String },
    #[error("no workflow `{name}`")]
    NoWorkflow { name: String },
    #[error("`{name}` is reserved")]
    Reserved { name: String },
    #[error("`{value}` is listed twice")]
    ListedTwice { value: String },
    #[error("`{value}` appears on an earlier row")]
    EarlierRow { value: String },
    #[error("org unit `{code}` already exists")]
    UnitExists { code: String },
    #[error("user `{login}` already exists")]
    UserExists { login: String },
    /// Logins are compared without case, so `Li` and `li` are one.
    #[error("`{login}` is taken as `{existing}`: logins do not differ by case")]
    LoginInOtherCase { login: String, existing: String },
    #[error("an org unit `{code}` exists in another case; codes do not differ by case")]
    CodeInOtherCase { code: String },
    #[error("a {kind} cannot be a campaign target")]
    NotCampaignTarget { kind: String },
    #[error("`{code}` is outside your administration")]
    OutsideAdministration { code: String },
    #[error("`{text}` must be role@unit code, e.g. nominator@K-01 or 提名人@K-01")]
    NotGrant { text: String },
    #[error("column `{column}` appears twice")]
    ColumnTwice { column: String },
    #[error("unknown column `{column}`")]
    UnknownColumn { column: String },
    #[error("the column `{column}` is missing")]
    ColumnMissing { column: String },
    #[error("the sheet is empty")]
    EmptySheet,
    #[error("the sheet has no rows")]
    NoRows,
    #[error("a department needs a function")]
    FunctionMissing,
    #[error("only a department has a function")]
    FunctionNotAllowed,
    #[error("a department has no leadership body")]
    NoBody,
    #[error("a {kind} unit needs a parent; only a province has none")]
    NeedsParent { kind: String },
    /// The tree's levels: e.g. a county sits under a city (`allowed`).
    #[error("a {kind} unit cannot sit under a {parent} unit (allowed: {})", if .allowed.is_empty() { "none: a province has no parent".to_string() } else { .allowed.join(", ") })]
    WrongParent {
        kind: String,
        parent: String,
        allowed: Vec<String>,
    },
    #[error("must be a cron expression: {detail}")]
    NotCron { detail: String },
    /// A file an administrator supplied (a workflow, a holiday list) does not
    /// parse; `detail` is the parser's account with file and line.
    #[error("{detail}")]
    BadFile { detail: String },
}

/// What a list counts, for [`Problem::NoneChosen`] and [`Problem::TooMany`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    OrgUnits,
    Durations,
    Tasks,
    Phrases,
}

impl std::fmt::Display for Counted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Counted::OrgUnits => "org units",
            Counted::Durations => "durations",
            Counted::Tasks => "tasks",
            Counted::Phrases => "phrases",
        })
    }
}
