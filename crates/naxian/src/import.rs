//! `naxian import SHEET FILE`: the administration page's import from the
//! command line, as a global administrator, with a progress bar on stderr.

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use naxian_engine::import::{read_table, ImportError, Sheet};
use naxian_engine::Engine;
use std::path::Path;

pub async fn run(engine: &Engine, sheet: &str, file: &Path) -> anyhow::Result<()> {
    let Some(sheet) = Sheet::from_name(sheet) else {
        let names: Vec<&str> = Sheet::ALL.iter().map(|s| s.name()).collect();
        bail!("unknown sheet `{sheet}`: one of {}", names.join(", "));
    };
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let table = read_table(&bytes)?;
    let bar = ProgressBar::new(table.len().saturating_sub(1) as u64).with_style(
        ProgressStyle::with_template("{msg:>8} [{bar:40}] {pos}/{len} {elapsed}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let progress = |phase: &'static str, done: usize, total: usize| {
        bar.set_message(phase);
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let result = engine
        .import(&naxian_engine::runner::system_actor(), sheet, &table, &progress)
        .await;
    bar.finish_and_clear();
    match result {
        Ok(r) => {
            println!(
                "imported {} org units, {} bodies, {} users, {} grants, {} members",
                r.units, r.bodies, r.users, r.grants, r.members
            );
            Ok(())
        }
        Err(ImportError::Rows(rows)) => {
            for e in &rows {
                eprintln!("row {}: {}: {}", e.row, e.field, e.message);
            }
            bail!(
                "{} bad rows in {}; nothing was imported",
                rows.len(),
                file.display()
            )
        }
        Err(e) => Err(e.into()),
    }
}
