//! A definition as a Graphviz graph (`naxian workflow graph`): every step
//! with its title, who it is assigned to, its sign-off, clock, auto-passes
//! and what it does when nobody holds a role; every way out — actions,
//! `next`, routes with their conditions, returns chosen at run time,
//! withdrawal — and the ends with their effects.

use crate::definition::{AssignSpec, AutoPass, Definition, NoHolder, SignOff, StepDef, Target, PASSED};
use std::fmt::Write;

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn assignee(a: &AssignSpec) -> String {
    let mut s = a.role.to_string();
    if let Some(d) = &a.department {
        let _ = write!(
            s,
            " of {} {}",
            d.as_str(),
            a.of.map(|l| format!("{l:?}").to_lowercase()).unwrap_or_default()
        );
    } else if let Some(u) = a.unit {
        let _ = write!(s, " at {}", format!("{u:?}").to_lowercase());
    }
    if a.optional {
        s.push_str(" (if any)");
    }
    if let Some(w) = &a.when {
        let _ = write!(s, " when {}", w.as_str());
    }
    s
}

fn step_label(name: &str, step: &StepDef) -> String {
    let mut lines = vec![format!("{} ({name})", step.title.as_deref().unwrap_or(name))];
    if step.is_route() {
        return lines.iter().map(|l| quote(l)).collect::<Vec<_>>().join("\\n");
    }
    lines.extend(step.assign.iter().map(assignee));
    let sign_off = match step.sign_off {
        SignOff::All => "all".to_string(),
        SignOff::Any => "any one".to_string(),
        SignOff::Sequential => "one after another".to_string(),
        SignOff::AtLeast(n) => format!("at least {n}"),
    };
    if step.assign.len() > 1 || step.sign_off != SignOff::All {
        lines.push(format!("sign-off: {sign_off}"));
    }
    if step.keep_completed {
        lines.push("keeps opinions on return".into());
    }
    if let Some(t) = &step.timers {
        if let Some(d) = t.due.as_deref().or(t.due_field.as_deref()) {
            lines.push(format!("due: {d}"));
        }
        if let (Some(after), Some(to)) = (&t.escalate_after, &t.escalate_to) {
            lines.push(format!("escalates {} after to {}", after.as_str(), assignee(to)));
        }
        if let (Some(after), Some(action)) = (&t.timeout_after, &t.timeout_action) {
            lines.push(format!("{} after due: {}", after.as_str(), action.as_str()));
        }
    }
    if !step.auto_pass.is_empty() {
        let passes: Vec<&str> = step
            .auto_pass
            .iter()
            .map(|p| match p {
                AutoPass::Creator => "creator",
                AutoPass::ApprovedBefore => "approved before",
            })
            .collect();
        lines.push(format!("passes: {}", passes.join(", ")));
    }
    match &step.no_holder {
        NoHolder::Refuse => {}
        NoHolder::Skip => lines.push("nobody holds it: skipped".into()),
        NoHolder::EscalateTo(to) => lines.push(format!("nobody holds it: to {}", assignee(to))),
    }
    if !step.copy.is_empty() {
        let copies: Vec<String> = step.copy.iter().map(assignee).collect();
        lines.push(format!("copies {}", copies.join(", ")));
    }
    lines.iter().map(|l| quote(l)).collect::<Vec<_>>().join("\\n")
}

impl Definition {
    /// The definition in Graphviz's dot language.
    pub fn dot(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "digraph \"{}\" {{", quote(self.name.as_str()));
        let _ = writeln!(out, "  label=\"{} v{}\";", quote(&self.title), self.version);
        let _ = writeln!(out, "  \"start\" [shape=point];");
        let _ = writeln!(out, "  \"start\" -> \"{}\";", quote(self.start.as_str()));
        for (name, step) in &self.steps {
            let shape = if step.is_route() { "diamond" } else { "box" };
            let _ = writeln!(
                out,
                "  \"{}\" [shape={shape}, label=\"{}\"];",
                quote(name.as_str()),
                step_label(name.as_str(), step)
            );
        }
        for (from, step) in &self.steps {
            let from = quote(from.as_str());
            for (a, def) in &step.actions {
                let a = a.as_str();
                match def.to.as_deref() {
                    Some(Target::Step(s)) if s == PASSED => {
                        let _ = writeln!(
                            out,
                            "  \"{from}\" -> \"{from}\" [label=\"{a} (to a step passed)\", style=dashed];"
                        );
                    }
                    Some(to @ Target::Choose(_)) => {
                        for t in to.named() {
                            let _ = writeln!(
                                out,
                                "  \"{from}\" -> \"{}\" [label=\"{a} (chosen)\", style=dashed];",
                                quote(t)
                            );
                        }
                    }
                    Some(Target::Step(to)) => {
                        let _ = writeln!(out, "  \"{from}\" -> \"{}\" [label=\"{a}\"];", quote(to));
                    }
                    None => {}
                }
            }
            if let Some(n) = &step.next {
                let done: Vec<&str> = step
                    .actions
                    .iter()
                    .filter(|(_, d)| d.complete)
                    .map(|(a, _)| a.as_str())
                    .collect();
                let _ = writeln!(
                    out,
                    "  \"{from}\" -> \"{}\" [label=\"next ({})\"];",
                    quote(n.as_str()),
                    done.join(", ")
                );
            }
            for r in &step.route {
                let label = r.when.as_deref().map_or("otherwise".to_string(), |w| quote(w));
                let _ = writeln!(
                    out,
                    "  \"{from}\" -> \"{}\" [label=\"{label}\"];",
                    quote(r.to.as_str())
                );
            }
        }
        if let Some(w) = &self.withdraw {
            for s in &w.steps {
                let _ = writeln!(
                    out,
                    "  \"{}\" -> \"{}\" [label=\"withdraw\", style=dotted];",
                    quote(s.as_str()),
                    quote(w.to.as_str())
                );
            }
        }
        for (name, end) in &self.ends {
            let mut label = quote(&format!(
                "{} ({})",
                end.title.as_deref().unwrap_or(name.as_str()),
                name.as_str()
            ));
            if end.add_member.is_some() {
                label.push_str("\\nadds a member");
            }
            if let Some(set) = &end.set_body {
                let _ = write!(
                    label,
                    "\\nsets the body: {} years from {}",
                    set.years,
                    quote(&set.term_start)
                );
            }
            let _ = writeln!(
                out,
                "  \"{}\" [shape=doublecircle, label=\"{label}\"];",
                quote(name.as_str())
            );
        }
        out.push_str("}\n");
        out
    }
}
