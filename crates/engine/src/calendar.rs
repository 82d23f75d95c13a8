//! The working-day calendar as the engine keeps it: yearly files of
//! statutory holidays and make-up working days are loaded into the store, and
//! the store's calendar is held in memory for due-date arithmetic.

use crate::error::{EngineError, Result};
use crate::Engine;
use chrono::{Datelike, NaiveDate};
use naxian_model::calendar::Calendar;
use naxian_model::Problem;
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    holidays: Vec<NaiveDate>,
    workdays: Vec<NaiveDate>,
}

impl Engine {
    /// Stores every `*.toml` year file of `dir`, then reloads the calendar.
    /// Returns the years loaded.
    pub async fn load_holidays(&self, dir: &Path) -> Result<Vec<i32>> {
        let mut years = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.reload_calendar().await?;
                return Ok(years);
            }
            Err(e) => return Err(EngineError::Internal(format!("{}: {e}", dir.display()))),
        };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f)
                .map_err(|e| EngineError::Internal(format!("{}: {e}", f.display())))?;
            let year: YearFile = toml::from_str(&text).map_err(|e| {
                EngineError::invalid(
                    "holidays",
                    Problem::BadFile {
                        detail: format!("{}: {e}", f.display()),
                    },
                )
            })?;
            // Checked before storing: dates in the wrong year, a day both off and on.
            Calendar::default()
                .add_year(year.year, &year.holidays, &year.workdays)
                .map_err(|m| {
                    EngineError::invalid(
                        "holidays",
                        Problem::BadFile {
                            detail: format!("{}: {m}", f.display()),
                        },
                    )
                })?;
            self.store
                .save_calendar_year(year.year, &year.holidays, &year.workdays)
                .await?;
            years.push(year.year);
        }
        self.reload_calendar().await?;
        Ok(years)
    }

    /// Reads the calendar back from the store into memory.
    pub async fn reload_calendar(&self) -> Result<()> {
        let mut cal = Calendar::default();
        for (year, holidays, workdays) in self.store.calendar().await? {
            cal.add_year(year, &holidays, &workdays)
                .map_err(EngineError::Internal)?;
        }
        *self.calendar.write().expect("calendar lock") = Arc::new(cal);
        Ok(())
    }

    /// The calendar in force.
    pub fn calendar(&self) -> Arc<Calendar> {
        self.calendar.read().expect("calendar lock").clone()
    }

    /// A warning when this year's or next year's statutory calendar is missing
    /// (due dates then count weekdays only).
    pub fn calendar_warning(&self) -> Option<String> {
        let cal = self.calendar();
        let this_year = self.clock.today().year();
        let missing: Vec<String> = [this_year, this_year + 1]
            .into_iter()
            .filter(|y| !cal.covers(*y))
            .map(|y| y.to_string())
            .collect();
        (!missing.is_empty()).then(|| {
            format!(
                "the holiday calendar for {} is missing from config/holidays: due dates count weekdays only",
                missing.join(" and ")
            )
        })
    }
}
