//! Conditions a workflow writes in `when:` — on a route, to choose it; on an
//! assignment, to make it apply — as expressions of the Common Expression
//! Language (CEL) over the instance's data and the named directory facts:
//! `congress_due || post == "chair"`, `candidate.sector == "health"`.
//!
//! A condition is checked when its file loads: it must parse, every name must
//! be a declared field (by its dotted path) or a fact, a field compared with a
//! literal must be compared with one of its type, and a choice with one of its
//! choices. It is evaluated with every declared field present (null when the
//! instance has not filled it) and each fact as a boolean.

use crate::fields::{FieldSpec, FieldType};
use cel::common::ast::{Expr, IdedExpr, LiteralValue};
use cel::{Context, Program, Value as CelValue};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What a condition may name: the declared fields by dotted path, and the facts.
pub struct Scope<'a> {
    pub fields: BTreeMap<String, &'a FieldSpec>,
    pub facts: &'a [&'a str],
}

impl Scope<'_> {
    /// Whether `path` is a field or leads to fields (`candidate` for `candidate.name`).
    fn knows(&self, path: &str) -> bool {
        self.fields.contains_key(path)
            || self
                .fields
                .keys()
                .any(|k| k.strip_prefix(path).is_some_and(|rest| rest.starts_with('.')))
    }
}

/// Checks `source` against `scope`; the problem in words otherwise.
pub fn check(source: &str, scope: &Scope<'_>) -> Result<(), String> {
    let program = Program::compile(source).map_err(|e| format!("`{source}` does not parse: {e}"))?;
    let mut problems = Vec::new();
    walk(program.expression(), scope, &BTreeSet::new(), &mut problems);
    if let Some(path) = path_of(&program.expression().expr) {
        match scope.fields.get(&path) {
            Some(spec) => problems.push(format!(
                "`{source}` is {} field, not true or false: compare it with a value",
                a_kind(spec.kind)
            )),
            None if !scope.facts.contains(&path.as_str()) && scope.knows(&path) => {
                problems.push(format!("`{source}` names a group of fields, not true or false"))
            }
            None => {}
        }
    }
    match problems.into_iter().next() {
        Some(p) => Err(p),
        None => Ok(()),
    }
}

/// The dotted path an expression spells (`candidate.sector`), if it is one.
fn path_of(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Ident(name) => Some(name.clone()),
        Expr::Select(s) if !s.test => path_of(&s.operand.expr).map(|p| format!("{p}.{}", s.field)),
        _ => None,
    }
}

fn walk(e: &IdedExpr, scope: &Scope<'_>, locals: &BTreeSet<String>, out: &mut Vec<String>) {
    if let Some(path) = path_of(&e.expr) {
        let root = path.split('.').next().unwrap_or_default();
        if locals.contains(root) {
            return;
        }
        if scope.facts.contains(&path.as_str()) {
            return;
        }
        if !scope.knows(&path) {
            out.push(format!(
                "unknown field or fact `{path}` (a condition names declared fields and the facts {})",
                scope.facts.join(", ")
            ));
        }
        return;
    }
    match &e.expr {
        Expr::Call(call) => {
            if let [a, b] = call.args.as_slice() {
                if is_comparison(&call.func_name) {
                    compare(a, b, scope, out);
                    compare(b, a, scope, out);
                }
            }
            if let Some(t) = &call.target {
                walk(t, scope, locals, out);
            }
            for a in &call.args {
                walk(a, scope, locals, out);
            }
        }
        Expr::Select(s) => walk(&s.operand, scope, locals, out),
        Expr::List(l) => l.elements.iter().for_each(|x| walk(x, scope, locals, out)),
        Expr::Map(m) => {
            for entry in &m.entries {
                if let cel::common::ast::EntryExpr::MapEntry(me) = &entry.expr {
                    walk(&me.key, scope, locals, out);
                    walk(&me.value, scope, locals, out);
                }
            }
        }
        Expr::Comprehension(c) => {
            walk(&c.iter_range, scope, locals, out);
            let mut inner = locals.clone();
            inner.insert(c.iter_var.clone());
            inner.extend(c.iter_var2.clone());
            inner.insert(c.accu_var.clone());
            for part in [&c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                walk(part, scope, &inner, out);
            }
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Struct(_) | Expr::Unspecified => {}
    }
}

fn is_comparison(func: &str) -> bool {
    matches!(func, "_==_" | "_!=_" | "_<_" | "_<=_" | "_>_" | "_>=_" | "@in")
}

/// A field compared with a literal (or a list of literals, for `in`): the
/// literal must be of the field's type, and one of its choices for a choice.
fn compare(field: &IdedExpr, other: &IdedExpr, scope: &Scope<'_>, out: &mut Vec<String>) {
    let Some(path) = path_of(&field.expr) else { return };
    let Some(spec) = scope.fields.get(&path) else {
        return;
    };
    let literals: Vec<&LiteralValue> = match &other.expr {
        Expr::Literal(l) => vec![l],
        Expr::List(list) => list
            .elements
            .iter()
            .filter_map(|x| match &x.expr {
                Expr::Literal(l) => Some(l),
                _ => None,
            })
            .collect(),
        _ => return,
    };
    for lit in literals {
        let fits = match (spec.kind, lit) {
            (_, LiteralValue::Null) => true,
            (FieldType::Integer, LiteralValue::Int(_) | LiteralValue::UInt(_) | LiteralValue::Double(_)) => {
                true
            }
            (FieldType::Integer, _) => false,
            (FieldType::Json | FieldType::Spans, _) => false,
            (_, LiteralValue::String(_)) => true,
            _ => false,
        };
        if !fits {
            out.push(format!(
                "`{path}` is {} field and cannot be compared with {}",
                a_kind(spec.kind),
                literal_text(lit)
            ));
            continue;
        }
        if let (FieldType::Choice, LiteralValue::String(s)) = (spec.kind, lit) {
            if !spec.choices.contains(s.inner()) {
                out.push(format!(
                    "`{}` is not a choice of `{path}` (choices: {})",
                    s.inner(),
                    spec.choices.values().join(", ")
                ));
            }
        }
    }
}

/// "a text", "an integer": the field type with its article.
fn a_kind(kind: FieldType) -> String {
    let name = kind.as_str();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

fn literal_text(lit: &LiteralValue) -> String {
    match lit {
        LiteralValue::Boolean(b) => format!("{}", **b),
        LiteralValue::Int(i) => format!("{}", **i),
        LiteralValue::UInt(u) => format!("{}", **u),
        LiteralValue::Double(d) => format!("{}", **d),
        LiteralValue::String(s) => format!("\"{}\"", s.inner()),
        LiteralValue::Bytes(_) => "bytes".into(),
        LiteralValue::Null => "null".into(),
    }
}

/// Evaluates a checked condition over `data` (with `fields`, the declared
/// paths, present as null where unfilled) and the facts' values.
pub fn evaluate(
    source: &str,
    data: &Value,
    fields: &[&str],
    facts: &BTreeMap<&str, bool>,
) -> Result<bool, String> {
    let program = Program::compile(source).map_err(|e| e.to_string())?;
    let mut doc = match data {
        Value::Object(_) => data.clone(),
        _ => Value::Object(Default::default()),
    };
    for path in fields {
        if crate::fields::get_path(&doc, path).is_none() {
            crate::fields::set_path(&mut doc, path, Value::Null);
        }
    }
    let mut context = Context::default();
    if let Value::Object(map) = doc {
        for (name, value) in map {
            let value = cel::to_value(value).map_err(|e| e.to_string())?;
            context.add_variable_from_value(name, value);
        }
    }
    for (name, holds) in facts {
        context.add_variable_from_value(*name, *holds);
    }
    match program.execute(&context).map_err(|e| e.to_string())? {
        CelValue::Bool(b) => Ok(b),
        other => Err(format!("`{source}` gave {other:?}, not true or false")),
    }
}
