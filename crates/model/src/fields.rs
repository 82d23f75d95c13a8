//! Field specifications of a workflow's data and of an action's data, and the
//! validation that checks a JSON document against them, naming the first bad
//! field by its dotted path (`candidate.phone`).

use crate::directory::OrgKind;
use crate::error::{Counted, ModelError, Problem};
use chrono::NaiveDate;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Borrow;
use std::hash::Hash;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Integer,
    Choice,
    Date,
    Phone,
    Email,
    /// The code of an org unit; the engine checks it exists and its kind.
    OrgUnit,
    /// Any JSON object, filled in by the service (report figures).
    Json,
    /// A moment, RFC 3339 with offset.
    Datetime,
    /// A list of durations (`P3D`, `3 working days`).
    Spans,
    /// A table of integers with named `rows` and `columns`: `{row: {column: n}}`.
    /// Complete or absent: every row, and every column of each row.
    Table,
}

/// A choice field's values with the label a form shows for each: written as
/// a map (`{male: 男, female: 女}`), or as a list whose values are their own labels.
impl FieldType {
    pub const ALL: &'static [FieldType] = &[
        FieldType::Text,
        FieldType::Integer,
        FieldType::Choice,
        FieldType::Date,
        FieldType::Phone,
        FieldType::Email,
        FieldType::OrgUnit,
        FieldType::Json,
        FieldType::Datetime,
        FieldType::Spans,
        FieldType::Table,
    ];

    /// The name a file writes for it.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Integer => "integer",
            FieldType::Choice => "choice",
            FieldType::Date => "date",
            FieldType::Phone => "phone",
            FieldType::Email => "email",
            FieldType::OrgUnit => "org_unit",
            FieldType::Json => "json",
            FieldType::Datetime => "datetime",
            FieldType::Spans => "spans",
            FieldType::Table => "table",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Choices {
    Labelled(IndexMap<String, String>),
    Listed(Vec<String>),
}

impl Default for Choices {
    fn default() -> Self {
        Choices::Listed(Vec::new())
    }
}

impl Choices {
    /// The values, in the file's order.
    pub fn values(&self) -> Vec<&str> {
        match self {
            Choices::Labelled(m) => m.keys().map(String::as_str).collect(),
            Choices::Listed(v) => v.iter().map(String::as_str).collect(),
        }
    }

    /// Each value with its label, in the file's order.
    pub fn labelled(&self) -> Vec<(&str, &str)> {
        match self {
            Choices::Labelled(m) => m.iter().map(|(k, l)| (k.as_str(), l.as_str())).collect(),
            Choices::Listed(v) => v.iter().map(|k| (k.as_str(), k.as_str())).collect(),
        }
    }

    /// The label of `value`, if it is one of the choices.
    pub fn label(&self, value: &str) -> Option<&str> {
        self.labelled()
            .into_iter()
            .find(|(k, _)| *k == value)
            .map(|(_, l)| l)
    }

    pub fn is_empty(&self) -> bool {
        self.values().is_empty()
    }

    pub fn contains(&self, value: &str) -> bool {
        self.values().contains(&value)
    }
}

/// The rows of a table field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Rows {
    /// `units`: one row per unit, keyed by code: the instance's unit and the
    /// units below it of the field's `kinds` (the engine knows which).
    Units(UnitRows),
    /// Rows named in the file, as choices are.
    Named(Choices),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitRows {
    Units,
}

/// A table's column: its label, or its label with bounds and what a zero in it means.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[serde(untagged)]
pub enum Column {
    Label(String),
    Spec(ColumnSpec),
}

/// By hand rather than `untagged`: an untagged enum reads a YAML file's
/// numbers back as text, and the bounds would not parse.
impl<'de> Deserialize<'de> for Column {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Column, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Column;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a label, or {label, min, max, lacking, no_sum}")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Column, E> {
                Ok(Column::Label(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Column, A::Error> {
                ColumnSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Column::Spec)
            }
        }
        d.deserialize_any(Visit)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    pub label: String,
    #[serde(default)]
    pub min: Option<i64>,
    #[serde(default)]
    pub max: Option<i64>,
    /// What a unit whose value here is 0 lacks, as the board shows it (`缺编制`).
    #[serde(default)]
    pub lacking: Option<String>,
    /// Not summed in totals (a year, a yes/no): only counted where non-zero.
    #[serde(default)]
    pub no_sum: bool,
}

impl Column {
    pub fn label(&self) -> &str {
        match self {
            Column::Label(l) => l,
            Column::Spec(s) => &s.label,
        }
    }

    pub fn spec(&self) -> Option<&ColumnSpec> {
        match self {
            Column::Label(_) => None,
            Column::Spec(s) => Some(s),
        }
    }

    /// Whether totals add this column up (else they count its non-zero rows).
    pub fn summed(&self) -> bool {
        !self.spec().is_some_and(|s| s.no_sum)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub max_len: Option<usize>,
    #[serde(default)]
    pub min: Option<i64>,
    #[serde(default)]
    pub max: Option<i64>,
    #[serde(default)]
    pub choices: Choices,
    #[serde(default)]
    pub kinds: Vec<OrgKind>,
    /// Set when the instance opens; an action's amendment may not change it.
    #[serde(default)]
    pub readonly: bool,
    /// A date that records what happened (a meeting held): today or before,
    /// in Asia/Shanghai.
    #[serde(default)]
    pub past: bool,
    /// A phone field that takes a landline with its area code too; without
    /// it a phone is an 11-digit mobile.
    #[serde(default)]
    pub landline: bool,
    /// Personal data of a person (a phone number, say): removed from a
    /// finished instance once the retention period has passed.
    #[serde(default)]
    pub personal: bool,
    /// A table's rows.
    #[serde(default)]
    pub rows: Option<Rows>,
    /// A table's columns, in order; each cell an integer, at least 0 unless
    /// the column (or the field's `min`) says otherwise.
    #[serde(default)]
    pub columns: IndexMap<String, Column>,
    /// A table of units whose completed instance gives those units' current
    /// facts (the census): the newest completed one counts.
    #[serde(default)]
    pub unit_facts: bool,
    /// With `unit_facts`: the coverage board shows each unit's row total of
    /// this table under this short label (`会员`).
    #[serde(default)]
    pub board: Option<String>,
    /// A table of one named row the engine fills in when the instance
    /// opens (`unit_figures`: its columns name figures of the unit's work,
    /// see [`crate::figures`]).
    #[serde(default)]
    pub prefill: Option<String>,
    /// The instances of a campaign are ranked by this table's total (总结评估).
    #[serde(default)]
    pub rank: bool,
}

/// Whether `s` holds a control character, other than the line break and the
/// tab that `multiline` text may hold. No text the service takes may hold
/// one (PostgreSQL refuses NUL outright; the rest corrupt logs and mails).
pub fn has_control(s: &str, multiline: bool) -> bool {
    s.chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')))
}

impl FieldSpec {
    /// Long text (over 200 characters allowed) may hold line breaks and is
    /// edited in a text area; every other value is one line, so that nothing
    /// typed into it can start a new line in an e-mail or a log.
    pub fn multiline(&self) -> bool {
        self.kind == FieldType::Text && self.max_len.unwrap_or(200) > 200
    }

    /// Whether the spec itself makes sense.
    pub fn check(&self) -> Result<(), String> {
        match self.kind {
            FieldType::Choice if self.choices.is_empty() => Err("a choice needs `choices`".into()),
            FieldType::OrgUnit if self.kinds.is_empty() => Err("an org_unit needs `kinds`".into()),
            FieldType::Table if self.columns.is_empty() => Err("a table needs `columns`".into()),
            FieldType::Table => match &self.rows {
                None => Err("a table needs `rows`".into()),
                Some(Rows::Units(_)) if self.kinds.is_empty() => {
                    Err("a table of `rows: units` needs `kinds`".into())
                }
                Some(Rows::Named(r)) if r.is_empty() => Err("a table needs `rows`".into()),
                _ if self.board.is_some() && !self.unit_facts => {
                    Err("`board` shows units' facts: it needs `unit_facts: true`".into())
                }
                _ => self.check_prefill(),
            },
            _ if self.past && self.kind != FieldType::Date => Err("`past` belongs to a date".into()),
            _ if self.landline && self.kind != FieldType::Phone => {
                Err("`landline` belongs to a phone".into())
            }
            _ if self.rows.is_some()
                || !self.columns.is_empty()
                || self.unit_facts
                || self.board.is_some()
                || self.prefill.is_some()
                || self.rank =>
            {
                Err("`rows`, `columns`, `unit_facts`, `board`, `prefill` and `rank` belong to a table".into())
            }
            _ => Ok(()),
        }
    }

    /// A prefilled table is the engine's: read-only, one named row, and
    /// every column a figure it knows.
    fn check_prefill(&self) -> Result<(), String> {
        let Some(p) = &self.prefill else {
            return Ok(());
        };
        if !crate::figures::KNOWN_FIELD_PREFILLS.contains(&p.as_str()) {
            return Err(format!(
                "unknown prefill `{p}` (known: {})",
                crate::figures::KNOWN_FIELD_PREFILLS.join(", ")
            ));
        }
        if !self.readonly {
            return Err("a prefilled table is filled by the engine: it needs `readonly: true`".into());
        }
        if !matches!(&self.rows, Some(Rows::Named(r)) if r.values().len() == 1) {
            return Err("a prefilled table has one named row".into());
        }
        match self.columns.keys().find(|c| crate::figures::parse(c).is_none()) {
            Some(c) => Err(format!(
                "column `{c}` is no figure (counties, townships, counties_<sector>[_pct], \
                 townships_all[_pct], appointments_started, appointments_completed, \
                 appointments_in_progress, reports_due, reports_on_time[_pct], census_counties, census_pct)"
            )),
            None => Ok(()),
        }
    }

    /// Checks one present value on `today` (Asia/Shanghai); returns it
    /// normalised (text trimmed).
    fn check_value(&self, v: &Value, today: NaiveDate) -> Result<Value, Problem> {
        let bad = std::convert::identity::<Problem>;
        match self.kind {
            FieldType::Text
            | FieldType::Phone
            | FieldType::Email
            | FieldType::Choice
            | FieldType::Date
            | FieldType::OrgUnit => {
                let s = v.as_str().ok_or_else(|| bad(Problem::NotText))?.trim();
                if s.is_empty() {
                    return Err(bad(Problem::Empty));
                }
                if has_control(s, self.multiline()) {
                    return Err(bad(if self.multiline() {
                        Problem::ControlCharacters
                    } else {
                        Problem::NotOneLine
                    }));
                }
                let max = self.max_len.unwrap_or(match self.kind {
                    FieldType::Text => 200,
                    _ => 100,
                });
                if s.chars().count() > max {
                    return Err(bad(Problem::TooLong { max }));
                }
                match self.kind {
                    FieldType::Phone if self.landline && !is_phone(s) => return Err(bad(Problem::NotPhone)),
                    FieldType::Phone if !self.landline && !is_mobile(s) => {
                        return Err(bad(Problem::NotMobile))
                    }
                    FieldType::Email if !is_email(s) => return Err(bad(Problem::NotEmail)),
                    FieldType::Choice if !self.choices.contains(s) => {
                        return Err(bad(Problem::NotOneOf {
                            choices: self.choices.values().into_iter().map(str::to_string).collect(),
                        }))
                    }
                    FieldType::Date => {
                        let day =
                            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad(Problem::NotDate))?;
                        if self.past && day > today {
                            return Err(bad(Problem::InFuture));
                        }
                    }
                    FieldType::OrgUnit => crate::directory::validate_code(s).map_err(bad)?,
                    _ => {}
                }
                Ok(Value::String(s.to_string()))
            }
            FieldType::Datetime => {
                let s = v.as_str().ok_or_else(|| bad(Problem::NotText))?.trim();
                chrono::DateTime::parse_from_rfc3339(s).map_err(|_| bad(Problem::NotTime))?;
                Ok(Value::String(s.to_string()))
            }
            FieldType::Spans => {
                let list = v.as_array().ok_or_else(|| bad(Problem::NotDurations))?;
                if list.len() > 10 {
                    return Err(bad(Problem::TooMany {
                        max: 10,
                        what: Counted::Durations,
                    }));
                }
                for item in list {
                    let s = item.as_str().ok_or_else(|| bad(Problem::NotDurations))?;
                    crate::calendar::Span::parse(s)
                        .map_err(|_| bad(Problem::NotDuration { text: s.into() }))?;
                }
                Ok(v.clone())
            }
            // Checked cell by cell by `check_table`, which names the cell.
            FieldType::Table => Ok(v.clone()),
            FieldType::Json => {
                if !v.is_object() {
                    return Err(bad(Problem::NotObject));
                }
                Ok(v.clone())
            }
            FieldType::Integer => {
                let n = v.as_i64().ok_or_else(|| bad(Problem::NotInteger))?;
                if let Some(min) = self.min {
                    if n < min {
                        return Err(bad(Problem::TooSmall { min }));
                    }
                }
                if let Some(max) = self.max {
                    if n > max {
                        return Err(bad(Problem::TooLarge { max }));
                    }
                }
                Ok(Value::from(n))
            }
        }
    }
}

impl FieldSpec {
    /// The bounds of a column's cells.
    fn cell_bounds(&self, column: &Column) -> (i64, Option<i64>) {
        let spec = column.spec();
        (
            spec.and_then(|c| c.min).or(self.min).unwrap_or(0),
            spec.and_then(|c| c.max).or(self.max),
        )
    }

    /// Checks a table's value, naming each bad cell by its path
    /// (`facts.JN-PY.staff`); returns the value with its cells as integers.
    /// Rows of `rows: units` are checked as codes here, against the
    /// directory by the engine.
    fn check_table(&self, v: &Value, path: &str, problems: &mut Vec<(String, Problem)>) -> Option<Value> {
        let Some(rows) = v.as_object() else {
            problems.push((path.to_string(), Problem::NotObject));
            return None;
        };
        let before = problems.len();
        if let Some(Rows::Named(named)) = &self.rows {
            for r in named.values() {
                if !rows.contains_key(r) {
                    problems.push((format!("{path}.{r}"), Problem::Required));
                }
            }
        }
        let mut out = Map::new();
        for (row, cells) in rows {
            let row_path = format!("{path}.{row}");
            match &self.rows {
                Some(Rows::Named(named)) if !named.contains(row) => {
                    problems.push((row_path, Problem::UnknownField));
                    continue;
                }
                Some(Rows::Units(_)) => {
                    if let Err(p) = crate::directory::validate_code(row) {
                        problems.push((row_path, p));
                        continue;
                    }
                }
                _ => {}
            }
            let Some(cells) = cells.as_object() else {
                problems.push((row_path, Problem::NotObject));
                continue;
            };
            for k in cells.keys() {
                if !self.columns.contains_key(k) {
                    problems.push((format!("{row_path}.{k}"), Problem::UnknownField));
                }
            }
            let mut checked = Map::new();
            for (key, column) in &self.columns {
                let cell_path = format!("{row_path}.{key}");
                let Some(cell) = cells.get(key).filter(|c| !c.is_null()) else {
                    problems.push((cell_path, Problem::Required));
                    continue;
                };
                let Some(n) = cell.as_i64() else {
                    problems.push((cell_path, Problem::NotInteger));
                    continue;
                };
                let (min, max) = self.cell_bounds(column);
                if n < min {
                    problems.push((cell_path, Problem::TooSmall { min }));
                } else if let Some(max) = max.filter(|m| n > *m) {
                    problems.push((cell_path, Problem::TooLarge { max }));
                } else {
                    checked.insert(key.clone(), Value::from(n));
                }
            }
            out.insert(row.clone(), Value::Object(checked));
        }
        (problems.len() == before).then_some(Value::Object(out))
    }
}

/// Column totals of a table's value: each summed column's sum, and for a
/// column not summed (a year, a yes/no) the number of rows where it is not 0.
pub fn table_totals(spec: &FieldSpec, value: &Value) -> IndexMap<String, i64> {
    let mut totals: IndexMap<String, i64> = spec.columns.keys().map(|k| (k.clone(), 0)).collect();
    for cells in value.as_object().into_iter().flat_map(|rows| rows.values()) {
        for (key, column) in &spec.columns {
            let n = cells.get(key).and_then(Value::as_i64).unwrap_or(0);
            let add = if column.summed() { n } else { i64::from(n != 0) };
            *totals.entry(key.clone()).or_default() += add;
        }
    }
    totals
}

/// The digits of a number written with spaces or hyphens, if that is all it holds.
fn phone_digits(s: &str) -> Option<String> {
    s.chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
        .then(|| s.chars().filter(char::is_ascii_digit).collect())
}

/// Whether `s` is a mainland mobile number: 11 digits from 13 to 19
/// (`138-0531-0000` and `+86 13805310000` too).
pub fn is_mobile(s: &str) -> bool {
    let s = s.trim();
    let s = s.strip_prefix("+86").unwrap_or(s);
    phone_digits(s).is_some_and(|d| {
        let b = d.as_bytes();
        d.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
    })
}

/// Whether `s` is a mainland landline with its area code: `0531-88886666`,
/// an area code of 3 or 4 digits from 0 and a number of 7 or 8.
pub fn is_landline(s: &str) -> bool {
    phone_digits(s.trim())
        .is_some_and(|d| d.starts_with('0') && !d.starts_with("00") && (10..=12).contains(&d.len()))
}

/// Whether `s` is a number a person can be called on: a mobile or a landline.
pub fn is_phone(s: &str) -> bool {
    is_mobile(s) || is_landline(s)
}

fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
                && !domain.contains('@')
                && !s.contains(['<', '>', ',', ';', '"'])
        }
        None => false,
    }
}

/// Validates `data` (a JSON object) against `fields` keyed by dotted paths,
/// on `today` (Asia/Shanghai, for dates that must not be ahead of it).
/// Unknown fields are refused so that a misspelt field never vanishes silently.
/// Returns the normalised document, or the first problem.
pub fn validate<K>(
    fields: &IndexMap<K, FieldSpec>,
    data: &Value,
    prefix: &str,
    today: NaiveDate,
) -> Result<Value, ModelError>
where
    K: Borrow<str> + Hash + Eq,
{
    let (out, problems) = check(fields, data, prefix, today);
    match problems.into_iter().next() {
        Some((field, problem)) => Err(ModelError::invalid(field, problem)),
        None => Ok(out),
    }
}

/// Every problem of `data` against `fields`, in the order `validate` meets
/// them: what a form shows all at once.
pub fn problems<K>(
    fields: &IndexMap<K, FieldSpec>,
    data: &Value,
    prefix: &str,
    today: NaiveDate,
) -> Vec<(String, Problem)>
where
    K: Borrow<str> + Hash + Eq,
{
    check(fields, data, prefix, today).1
}

/// The normalised document and every problem found on the way.
fn check<K>(
    fields: &IndexMap<K, FieldSpec>,
    data: &Value,
    prefix: &str,
    today: NaiveDate,
) -> (Value, Vec<(String, Problem)>)
where
    K: Borrow<str> + Hash + Eq,
{
    let field_name = |p: &str| {
        if prefix.is_empty() {
            p.to_string()
        } else {
            format!("{prefix}.{p}")
        }
    };
    let Some(obj) = data.as_object() else {
        let field = if prefix.is_empty() { "data" } else { prefix };
        return (Value::Null, vec![(field.to_string(), Problem::NotObject)]);
    };
    let mut problems = Vec::new();
    // Every leaf present must be declared; a JSON field's inside is its own.
    let mut leaves = Vec::new();
    let json_fields: Vec<&str> = fields
        .iter()
        .filter(|(_, s)| matches!(s.kind, FieldType::Json | FieldType::Table))
        .map(|(k, _)| k.borrow())
        .collect();
    collect_leaves(obj, "", &mut leaves);
    leaves.retain(|(p, _)| {
        !json_fields
            .iter()
            .any(|j| p == j || p.starts_with(&format!("{j}.")))
    });
    for j in &json_fields {
        if get_path(data, j).is_some() {
            leaves.push((j.to_string(), &Value::Null));
        }
    }
    for (path, _) in &leaves {
        if !fields.keys().any(|k| k.borrow() == path) {
            problems.push((field_name(path), Problem::UnknownField));
        }
    }
    let mut out = Value::Object(Map::new());
    for (key, spec) in fields {
        let path: &str = key.borrow();
        match get_path(data, path) {
            None | Some(Value::Null) => {
                if spec.required {
                    problems.push((field_name(path), Problem::Required));
                }
            }
            Some(v) if spec.kind == FieldType::Table => {
                if let Some(v) = spec.check_table(v, &field_name(path), &mut problems) {
                    set_path(&mut out, path, v);
                }
            }
            Some(v) => match spec.check_value(v, today) {
                Ok(v) => set_path(&mut out, path, v),
                Err(problem) => problems.push((field_name(path), problem)),
            },
        }
    }
    (out, problems)
}

/// Leaves of a JSON object as (dotted path, value); objects recurse, anything else is a leaf.
fn collect_leaves<'a>(obj: &'a Map<String, Value>, prefix: &str, out: &mut Vec<(String, &'a Value)>) {
    for (k, v) in obj {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) if !inner.is_empty() => collect_leaves(inner, &path, out),
            _ => out.push((path, v)),
        }
    }
}

/// The value at a dotted path.
pub fn get_path<'a>(data: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(data, |v, k| v.get(k))
}

/// The string at a dotted path, if it is one.
pub fn get_str<'a>(data: &'a Value, path: &str) -> Option<&'a str> {
    get_path(data, path).and_then(Value::as_str)
}

/// Removes the value at a dotted path; returns whether there was one.
pub fn remove_path(data: &mut Value, path: &str) -> bool {
    let (parent, key) = match path.rsplit_once('.') {
        Some((parent, key)) => (parent.split('.').try_fold(data, |v, k| v.get_mut(k)), key),
        None => (Some(data), path),
    };
    parent
        .and_then(Value::as_object_mut)
        .is_some_and(|o| o.remove(key).is_some())
}

/// Sets a value at a dotted path, creating objects on the way.
pub fn set_path(data: &mut Value, path: &str, value: Value) {
    let mut cur = data;
    let mut parts = path.split('.').peekable();
    while let Some(k) = parts.next() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let obj = cur.as_object_mut().expect("just made an object");
        if parts.peek().is_none() {
            obj.insert(k.to_string(), value);
            return;
        }
        cur = obj
            .entry(k.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// Merges `patch` into `base`: objects recursively, anything else replaced.
pub fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    }

    #[test]
    fn a_mobile_is_eleven_digits_and_a_landline_has_its_area_code() {
        for good in ["13805310000", "138-0531-0000", "+86 138 0531 0000", "19912345678"] {
            assert!(is_mobile(good), "{good}");
        }
        for bad in [
            "1380531000",
            "138053100000",
            "12805310000",
            "0531-88886666",
            "1380531000a",
            "+1 13805310000",
        ] {
            assert!(!is_mobile(bad), "{bad}");
        }
        for good in ["0531-88886666", "010-12345678", "0633 1234567", "05318888666"] {
            assert!(is_landline(good), "{good}");
        }
        for bad in ["88886666", "0531-888", "00531-88886666", "13805310000"] {
            assert!(!is_landline(bad), "{bad}");
        }
        let specs: IndexMap<String, FieldSpec> = marked_yaml::from_yaml(
            0,
            "m: {type: phone}
l: {type: phone, landline: true}
",
        )
        .unwrap();
        let e = validate(&specs, &json!({"m": "0531-88886666"}), "", day()).unwrap_err();
        assert_eq!(e, ModelError::invalid("m", Problem::NotMobile));
        assert!(validate(
            &specs,
            &json!({"m": "138-0531-0000", "l": "0531-88886666"}),
            "",
            day()
        )
        .is_ok());
        let e = validate(&specs, &json!({"l": "8888"}), "", day()).unwrap_err();
        assert_eq!(e, ModelError::invalid("l", Problem::NotPhone));
    }

    #[test]
    fn a_past_date_is_today_or_before() {
        let specs: IndexMap<String, FieldSpec> = marked_yaml::from_yaml(
            0,
            "held: {type: date, past: true}
planned: {type: date}
",
        )
        .unwrap();
        for ok in ["2026-12-07", "2026-11-28"] {
            assert!(validate(&specs, &json!({"held": ok}), "", day()).is_ok(), "{ok}");
        }
        let e = validate(&specs, &json!({"held": "2026-12-08"}), "", day()).unwrap_err();
        assert_eq!(e, ModelError::invalid("held", Problem::InFuture));
        assert!(validate(&specs, &json!({"planned": "2027-03-01"}), "", day()).is_ok());
        let spec: FieldSpec = marked_yaml::from_yaml(0, "{type: text, past: true}").unwrap();
        assert!(spec.check().is_err(), "past belongs to a date");
        let spec: FieldSpec = marked_yaml::from_yaml(0, "{type: text, landline: true}").unwrap();
        assert!(spec.check().is_err(), "landline belongs to a phone");
    }

    fn specs() -> IndexMap<String, FieldSpec> {
        let yaml = "a.name: {type: text, required: true, max_len: 5}\nb: {type: integer, min: 1, max: 3}\nc: {type: choice, choices: [x, y]}\nd: {type: phone}\ne: {type: email}\n";
        marked_yaml::from_yaml(0, yaml).unwrap()
    }

    #[test]
    fn remove_path_takes_out_one_leaf() {
        let mut v = json!({"candidate": {"phone": "138", "name": "王"}, "reason": "r"});
        assert!(remove_path(&mut v, "candidate.phone"));
        assert!(!remove_path(&mut v, "candidate.phone"), "already gone");
        assert!(!remove_path(&mut v, "nothing.here"));
        assert!(remove_path(&mut v, "reason"));
        assert_eq!(v, json!({"candidate": {"name": "王"}}));
    }

    #[test]
    fn names_the_offending_field() {
        let s = specs();
        let e = validate(&s, &json!({"a": {"name": ""}}), "", day()).unwrap_err();
        assert_eq!(e, ModelError::invalid("a.name", Problem::Empty));
        let e = validate(&s, &json!({"a": {"name": "ok"}, "b": 9}), "", day()).unwrap_err();
        assert!(matches!(e, ModelError::Invalid { ref field, .. } if field == "b"));
        let e = validate(&s, &json!({"a": {"name": "ok"}, "c": "z"}), "", day()).unwrap_err();
        assert!(matches!(e, ModelError::Invalid { ref field, .. } if field == "c"));
        let e = validate(&s, &json!({"a": {"name": "ok"}, "d": "12ab"}), "", day()).unwrap_err();
        assert!(matches!(e, ModelError::Invalid { ref field, .. } if field == "d"));
        let e = validate(
            &s,
            &json!({"a": {"name": "ok"}, "e": "x@y\r\nBcc: z@q.cn"}),
            "",
            day(),
        )
        .unwrap_err();
        assert!(matches!(e, ModelError::Invalid { ref field, .. } if field == "e"));
        let e = validate(&s, &json!({"a": {"name": "ok", "extra": 1}}), "", day()).unwrap_err();
        assert_eq!(e, ModelError::invalid("a.extra", Problem::UnknownField));
        let e = validate(&s, &json!({}), "", day()).unwrap_err();
        assert_eq!(e, ModelError::invalid("a.name", Problem::Required));
    }

    #[test]
    fn normalises_valid_data() {
        let s = specs();
        let v = validate(
            &s,
            &json!({"a": {"name": " 张三 "}, "b": 2, "e": "a@b.cn"}),
            "",
            day(),
        )
        .unwrap();
        assert_eq!(v, json!({"a": {"name": "张三"}, "b": 2, "e": "a@b.cn"}));
    }

    fn table() -> IndexMap<String, FieldSpec> {
        let yaml = "staff:\n  type: table\n  rows: {county: 县, town: 镇}\n  columns:\n    full: 专职\n    year: {label: 成立年份, min: 1949, max: 2100, no_sum: true}\n";
        marked_yaml::from_yaml(0, yaml).unwrap()
    }

    #[test]
    fn a_table_is_checked_cell_by_cell() {
        let s = table();
        let good = json!({"staff": {"county": {"full": 3, "year": 1990}, "town": {"full": 0, "year": 2001}}});
        assert_eq!(validate(&s, &good, "", day()).unwrap(), good);
        let cases = [
            (
                json!({"staff": {"county": {"full": 3, "year": 1990}}}),
                "staff.town",
                Problem::Required,
            ),
            (
                json!({"staff": {"county": {"full": 3}, "town": {"full": 0, "year": 2001}}}),
                "staff.county.year",
                Problem::Required,
            ),
            (
                json!({"staff": {"county": {"full": -1, "year": 1990}, "town": {"full": 0, "year": 2001}}}),
                "staff.county.full",
                Problem::TooSmall { min: 0 },
            ),
            (
                json!({"staff": {"county": {"full": 1, "year": 1800}, "town": {"full": 0, "year": 2001}}}),
                "staff.county.year",
                Problem::TooSmall { min: 1949 },
            ),
            (
                json!({"staff": {"county": {"full": "3", "year": 1990}, "town": {"full": 0, "year": 2001}}}),
                "staff.county.full",
                Problem::NotInteger,
            ),
            (
                json!({"staff": {"county": {"full": 3, "year": 1990, "x": 1}, "town": {"full": 0, "year": 2001}}}),
                "staff.county.x",
                Problem::UnknownField,
            ),
            (
                json!({"staff": {"county": {"full": 3, "year": 1990}, "town": {"full": 0, "year": 2001}, "city": {}}}),
                "staff.city",
                Problem::UnknownField,
            ),
            (json!({"staff": [1]}), "staff", Problem::NotObject),
        ];
        for (data, field, problem) in cases {
            assert_eq!(
                validate(&s, &data, "", day()).unwrap_err(),
                ModelError::invalid(field, problem),
                "{data}"
            );
        }
        assert_eq!(
            validate(&s, &json!({}), "", day()).unwrap(),
            json!({}),
            "absent is allowed"
        );
    }

    #[test]
    fn totals_sum_counts_and_count_the_rest() {
        let s = table();
        let v = json!({"county": {"full": 3, "year": 1990}, "town": {"full": 2, "year": 0}});
        let t = table_totals(&s["staff"], &v);
        assert_eq!((t["full"], t["year"]), (5, 1));
    }

    #[test]
    fn a_table_spec_needs_rows_and_columns() {
        let bad: IndexMap<String, FieldSpec> =
            marked_yaml::from_yaml(0, "t: {type: table, rows: units, columns: {a: A}}\n").unwrap();
        assert!(bad["t"].check().is_err(), "units rows need kinds");
        let ok: IndexMap<String, FieldSpec> = marked_yaml::from_yaml(
            0,
            "t: {type: table, rows: units, kinds: [county], columns: {a: A}}\n",
        )
        .unwrap();
        assert_eq!(ok["t"].check(), Ok(()));
        let stray: IndexMap<String, FieldSpec> =
            marked_yaml::from_yaml(0, "t: {type: integer, columns: {a: A}}\n").unwrap();
        assert!(stray["t"].check().is_err());
    }

    #[test]
    fn merge_is_deep() {
        let mut base = json!({"a": {"x": 1, "y": 2}, "b": 1});
        merge(&mut base, &json!({"a": {"y": 3}}));
        assert_eq!(base, json!({"a": {"x": 1, "y": 3}, "b": 1}));
    }
}
