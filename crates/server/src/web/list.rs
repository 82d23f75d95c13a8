//! What people do with a long list of their work: search by words (a
//! candidate's name, a unit), keep one workflow, step or unit, keep the
//! overdue, and page through fifty at a time. Applied to the rows one query
//! read, so a list stays one query whatever is asked of it.

use serde::Deserialize;

/// Rows a page shows at once.
pub const PAGE: usize = 50;

/// A list's query string (`?q=王&workflow=…&step=…&unit=…&overdue=1&page=2`).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub workflow: Option<String>,
    #[serde(default)]
    pub step: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub overdue: Option<String>,
    #[serde(default)]
    pub page: Option<usize>,
}

/// What a row offers a list's search and filters.
pub trait Listed {
    /// The words a search looks through.
    fn words(&self) -> Vec<&str>;
    /// The workflow's name; empty where a list has no workflows.
    fn workflow(&self) -> &str {
        ""
    }
    /// Late; never, where a list has no due dates.
    fn overdue(&self) -> bool {
        false
    }
    /// The step the row stands at, by title; empty where a list has no steps.
    fn step(&self) -> &str {
        ""
    }
    /// The unit the row is about, by name; empty where a list has no units.
    fn unit(&self) -> &str {
        ""
    }
}

/// One page of the rows the query keeps, and where it stands.
pub struct Paged<T> {
    pub rows: Vec<T>,
    /// All the rows the query keeps, on every page.
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    /// The query string of the previous and next page, when there is one.
    pub prev: Option<String>,
    pub next: Option<String>,
    pub q: String,
    pub workflow: String,
    pub step: String,
    pub unit: String,
    pub overdue: bool,
    /// What the pager's link ids begin with, so two lists on a page differ.
    pub id_prefix: &'static str,
}

impl<T> Paged<T> {
    /// The page's rows, and where the list stands without them.
    pub fn split(self) -> (Vec<T>, Paged<()>) {
        let Paged {
            rows,
            total,
            page,
            pages,
            prev,
            next,
            q,
            workflow,
            step,
            unit,
            overdue,
            id_prefix,
        } = self;
        (
            rows,
            Paged {
                rows: Vec::new(),
                total,
                page,
                pages,
                prev,
                next,
                q,
                workflow,
                step,
                unit,
                overdue,
                id_prefix,
            },
        )
    }

    /// Something narrows the list: an empty page then means "nothing
    /// matches", not "nothing there".
    pub fn narrowed(&self) -> bool {
        !(self.q.is_empty() && self.workflow.is_empty() && self.step.is_empty() && self.unit.is_empty())
            || self.overdue
    }
}

/// The distinct values rows offer a filter, in the order they first appear.
pub fn choices<T>(rows: &[T], of: impl Fn(&T) -> &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for r in rows {
        let v = of(r);
        if !v.is_empty() && !seen.iter().any(|s| s == v) {
            seen.push(v.to_string());
        }
    }
    seen
}

impl ListQuery {
    pub fn apply<T: Listed>(&self, rows: Vec<T>) -> Paged<T> {
        self.apply_at(rows, "page", "", &[])
    }

    /// As `apply`, for one of several lists on a page: its page number is
    /// `key` in the links (ids beginning `id_prefix`), which also keep
    /// `also`, the page's other parameters.
    pub fn apply_at<T: Listed>(
        &self,
        rows: Vec<T>,
        key: &str,
        id_prefix: &'static str,
        also: &[(&str, String)],
    ) -> Paged<T> {
        let text = |o: &Option<String>| o.as_deref().map(str::trim).unwrap_or_default().to_string();
        let q = text(&self.q);
        let workflow = text(&self.workflow);
        let step = text(&self.step);
        let unit = text(&self.unit);
        let overdue = self.overdue.as_deref().is_some_and(|o| !o.is_empty() && o != "0");
        let kept: Vec<T> = rows
            .into_iter()
            .filter(|r| q.is_empty() || r.words().iter().any(|w| w.contains(q.as_str())))
            .filter(|r| workflow.is_empty() || r.workflow() == workflow)
            .filter(|r| step.is_empty() || r.step() == step)
            .filter(|r| unit.is_empty() || r.unit() == unit)
            .filter(|r| !overdue || r.overdue())
            .collect();
        let total = kept.len();
        let pages = total.div_ceil(PAGE).max(1);
        let page = self.page.unwrap_or(1).clamp(1, pages);
        let link = |p: usize| {
            let mut parts = vec![format!("{key}={p}")];
            let filters = [
                ("q", &q),
                ("workflow", &workflow),
                ("step", &step),
                ("unit", &unit),
            ];
            for (name, value) in filters.into_iter().chain(also.iter().map(|(k, v)| (*k, v))) {
                if !value.is_empty() {
                    parts.push(format!(
                        "{name}={}",
                        percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
                    ));
                }
            }
            if overdue {
                parts.push("overdue=1".into());
            }
            format!("?{}", parts.join("&"))
        };
        Paged {
            rows: kept.into_iter().skip((page - 1) * PAGE).take(PAGE).collect(),
            total,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
            page,
            pages,
            q,
            workflow,
            step,
            unit,
            overdue,
            id_prefix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct R(&'static str, &'static str, bool);
    impl Listed for R {
        fn words(&self) -> Vec<&str> {
            vec![self.0]
        }
        fn workflow(&self) -> &str {
            self.1
        }
        fn overdue(&self) -> bool {
            self.2
        }
        fn step(&self) -> &str {
            if self.2 {
                "备案"
            } else {
                "征求意见"
            }
        }
        fn unit(&self) -> &str {
            self.0.split(' ').nth(1).unwrap_or_default()
        }
    }

    fn rows(n: usize) -> Vec<R> {
        (0..n)
            .map(|i| {
                R(
                    if i % 2 == 0 {
                        "王卫东 玫瑰镇"
                    } else {
                        "李芳 榆山街道"
                    },
                    if i % 3 == 0 { "flow-b" } else { "flow-a" },
                    i % 5 == 0,
                )
            })
            .collect()
    }

    #[test]
    fn searches_filter_and_pages_combine() {
        let q = ListQuery {
            q: Some(" 玫瑰镇 ".into()),
            ..Default::default()
        };
        let p = q.apply(rows(120));
        assert_eq!((p.total, p.pages, p.rows.len()), (60, 2, 50));
        assert_eq!(p.next.as_deref(), Some("?page=2&q=%E7%8E%AB%E7%91%B0%E9%95%87"));
        assert!(p.prev.is_none());
        let q = ListQuery {
            workflow: Some("flow-b".into()),
            overdue: Some("1".into()),
            page: Some(9),
            ..Default::default()
        };
        let p = q.apply(rows(120));
        // Every 15th row is both; a page past the end shows the last.
        assert_eq!((p.total, p.page, p.rows.len()), (8, 1, 8));
        assert!(p.rows.iter().all(|r| r.1 == "flow-b" && r.2));
    }

    #[test]
    fn step_and_unit_keep_their_rows_and_their_links() {
        let q = ListQuery {
            step: Some("备案".into()),
            unit: Some("玫瑰镇".into()),
            ..Default::default()
        };
        let p = q.apply(rows(120));
        // Every 10th row is on 玫瑰镇 and at 备案.
        assert_eq!(p.total, 12);
        assert!(p.rows.iter().all(|r| r.2 && r.0.ends_with("玫瑰镇")));
        assert!(p.narrowed());
        let q = ListQuery {
            unit: Some("榆山街道".into()),
            ..Default::default()
        };
        let p = q.apply(rows(120));
        assert_eq!((p.total, p.pages), (60, 2));
        assert_eq!(
            p.next.as_deref(),
            Some("?page=2&unit=%E6%A6%86%E5%B1%B1%E8%A1%97%E9%81%93")
        );
        assert_eq!(choices(&rows(4), |r| r.unit()), vec!["玫瑰镇", "榆山街道"]);
        assert!(!ListQuery::default().apply(rows(3)).narrowed());
    }
}
