//! Tables of units (`rows: units`): which units a table's rows are — the
//! instance's unit and those below it of the field's `kinds` — and the check
//! that a table filled in names exactly those. The model checks the cells;
//! only the directory knows the rows.

use crate::error::{EngineError, Result};
use crate::Engine;
use naxian_model::directory::OrgUnit;
use naxian_model::fields::{get_path, FieldSpec, FieldType, Rows};
use naxian_model::{Definition, Problem};
use serde_json::Value;

impl Engine {
    /// The rows of a `rows: units` table for an instance at `unit_path`, in
    /// directory order; none for a table of named rows.
    pub async fn table_units(&self, spec: &FieldSpec, unit_path: &str) -> Result<Vec<OrgUnit>> {
        if !matches!(spec.rows, Some(Rows::Units(_))) {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .units_under(unit_path)
            .await?
            .into_iter()
            .filter(|u| spec.kinds.contains(&u.kind))
            .collect())
    }

    /// Refuses a table of units that lists a unit it should not, or leaves
    /// out one it should: a table is complete or absent.
    pub(crate) async fn check_unit_tables(
        &self,
        def: &Definition,
        data: &Value,
        unit_path: &str,
    ) -> Result<()> {
        for (name, spec) in &def.fields {
            let name = name.as_str();
            if spec.kind != FieldType::Table || !matches!(spec.rows, Some(Rows::Units(_))) {
                continue;
            }
            let Some(rows) = get_path(data, name).and_then(Value::as_object) else {
                continue;
            };
            let units = self.table_units(spec, unit_path).await?;
            if let Some(stray) = rows.keys().find(|k| !units.iter().any(|u| &u.code == *k)) {
                return Err(EngineError::invalid(
                    format!("data.{name}.{stray}"),
                    Problem::UnknownField,
                ));
            }
            if let Some(missing) = units.iter().find(|u| !rows.contains_key(&u.code)) {
                return Err(EngineError::invalid(
                    format!("data.{name}.{}", missing.code),
                    Problem::Required,
                ));
            }
        }
        Ok(())
    }
}
