//! Number tables (a workflow's `type: table` fields) on a page: the rows
//! with their labels (units by name), each cell as an input or as text, and
//! the column totals as the model adds them up.

use crate::AppState;
use naxian_model::fields::{table_totals, FieldSpec, FieldType, Rows};
use naxian_model::Definition;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Clone)]
pub struct TableRow {
    pub key: String,
    pub label: String,
    /// (column key, column label, the cell's value as text).
    pub cells: Vec<(String, String, String)>,
}

#[derive(Clone)]
pub struct TableView {
    pub name: String,
    pub label: String,
    /// (key, label, the least value an input takes).
    pub columns: Vec<(String, String, i64)>,
    pub rows: Vec<TableRow>,
    /// Each column's total, or nothing while a cell is blank.
    pub totals: Vec<String>,
}

/// The rows (key, label) of every table field of `def`, for an instance at
/// `unit_path`: named rows as the file names them, unit rows from the directory.
pub async fn row_labels(
    s: &AppState,
    def: &Definition,
    unit_path: &str,
) -> HashMap<String, Vec<(String, String)>> {
    let mut out = HashMap::new();
    for (name, spec) in &def.fields {
        if spec.kind != FieldType::Table {
            continue;
        }
        let rows = match &spec.rows {
            Some(Rows::Named(named)) => named
                .labelled()
                .into_iter()
                .map(|(k, l)| (k.to_string(), l.to_string()))
                .collect(),
            Some(Rows::Units(_)) => s
                .engine
                .table_units(spec, unit_path)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|u| (u.code, u.name))
                .collect(),
            None => Vec::new(),
        };
        out.insert(name.to_string(), rows);
    }
    out
}

/// A table field as a page shows it, with `value` (the instance's data) in its cells.
pub fn view(name: &str, spec: &FieldSpec, rows: &[(String, String)], value: Option<&Value>) -> TableView {
    let cell = |row: &str, col: &str| {
        value
            .and_then(|v| v.get(row))
            .and_then(|r| r.get(col))
            .and_then(Value::as_i64)
            .map(|n| n.to_string())
            .unwrap_or_default()
    };
    let columns: Vec<(String, String, i64)> = spec
        .columns
        .iter()
        .map(|(k, c)| {
            let min = c.spec().and_then(|c| c.min).or(spec.min).unwrap_or(0);
            (k.clone(), c.label().to_string(), min)
        })
        .collect();
    let rows: Vec<TableRow> = rows
        .iter()
        .map(|(key, label)| TableRow {
            key: key.clone(),
            label: label.clone(),
            cells: columns
                .iter()
                .map(|(c, l, _)| (c.clone(), l.clone(), cell(key, c)))
                .collect(),
        })
        .collect();
    let complete = !rows.is_empty() && rows.iter().all(|r| r.cells.iter().all(|c| !c.2.is_empty()));
    let totals = match value {
        Some(v) if complete => {
            let t = table_totals(spec, v);
            columns
                .iter()
                .map(|(c, _, _)| t.get(c).map(|n| n.to_string()).unwrap_or_default())
                .collect()
        }
        _ => Vec::new(),
    };
    TableView {
        name: name.to_string(),
        label: spec.label.clone().unwrap_or_else(|| name.to_string()),
        columns,
        rows,
        totals,
    }
}

/// What a page calls a table's cell or row named by an error's field path
/// (`organization.JN-PY-MG.funding` → 组织与工作情况·玫瑰镇科协·年度经费（万元）),
/// if the path lies in a table of `def`.
pub async fn cell_label(s: &AppState, def: &Definition, path: &str) -> Option<String> {
    let (name, spec, rest) = def.fields.iter().find_map(|(name, spec)| {
        let rest = path.strip_prefix(name.as_str())?.strip_prefix('.')?;
        (spec.kind == FieldType::Table).then_some((name, spec, rest))
    })?;
    let (row, column) = match rest.rsplit_once('.') {
        Some((row, col)) if spec.columns.contains_key(col) => (row, spec.columns.get(col)),
        _ => (rest, None),
    };
    let row_label = match &spec.rows {
        Some(Rows::Named(named)) => named.label(row).map(str::to_string),
        Some(Rows::Units(_)) => s.engine.unit(row).await.ok().map(|u| u.name),
        None => None,
    }
    .unwrap_or_else(|| row.to_string());
    let mut label = format!(
        "{}·{row_label}",
        spec.label.clone().unwrap_or_else(|| name.to_string())
    );
    if let Some(c) = column {
        label = format!("{label}·{}", c.label());
    }
    Some(label)
}
