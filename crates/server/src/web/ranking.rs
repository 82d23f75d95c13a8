//! A ranking (总结评估) as a table: rank, unit, each score, the total, the
//! figures the unit was opened with and the remarks — on the campaign's
//! page and its download, and on the published page.

use super::table::Table;
use naxian_engine::ranking::Ranking;

pub fn table(r: &Ranking) -> Table {
    let mut headers = vec!["名次".to_string(), "单位".to_string()];
    headers.extend(r.score_columns.iter().map(|(_, l)| l.clone()));
    headers.push("总分".into());
    headers.extend(r.figure_columns.iter().cloned());
    headers.push("评语".into());
    let rows = r
        .rows
        .iter()
        .map(|row| {
            let mut cells = vec![row.rank.to_string(), row.unit.clone()];
            cells.extend(row.scores.iter().map(i64::to_string));
            cells.push(row.total.to_string());
            cells.extend(row.figures.iter().map(i64::to_string));
            cells.push(row.remarks.clone());
            cells
        })
        .collect();
    Table {
        title: format!("{}排名", r.title),
        headers,
        rows,
    }
}
