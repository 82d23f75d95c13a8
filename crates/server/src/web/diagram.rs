//! The workflow drawn for the task page: steps and ends laid out top to
//! bottom in layers by their distance from the start, forward transitions as
//! arrows down, the ways back (return for revision) as dashed curves round
//! the side nearer the step they leave. Only numbers and the definition's titles reach the SVG, and the
//! template escapes the titles.

use naxian_model::Definition;
use std::collections::{HashMap, VecDeque};

const NODE_W: usize = 150;
const NODE_H: usize = 34;
const GAP_X: usize = 16;
const GAP_Y: usize = 42;
/// Room on each side for the curves of the ways back.
const MARGIN: usize = 48;
/// Characters of a title that fit in a box.
const LABEL_CHARS: usize = 10;

pub struct NodeView {
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub h: usize,
    /// Where the label's middle sits.
    pub cx: usize,
    pub cy: usize,
    pub label: String,
    pub title: String,
    /// `current`, `done`, `end`, `reached` or `todo`.
    pub class: &'static str,
    pub diamond: bool,
    /// The diamond's outline, when it is one.
    pub points: String,
    /// A line under the box: who was added to sign at the current step.
    pub note: String,
}

pub struct EdgeView {
    pub d: String,
    pub back: bool,
}

pub struct Diagram {
    pub width: usize,
    pub height: usize,
    pub nodes: Vec<NodeView>,
    pub edges: Vec<EdgeView>,
}

impl Diagram {
    /// Marks the current step with the signers added to it (加签), each as
    /// `name（前加签）`: a count under its box, the names in its tooltip.
    pub fn with_signers(mut self, signers: &[String]) -> Diagram {
        if signers.is_empty() {
            return self;
        }
        if let Some(n) = self.nodes.iter_mut().find(|n| n.class == "current") {
            n.note = format!("加签 {} 人", signers.len());
            n.title = format!("{}（加签：{}）", n.title, signers.join("、"));
        }
        self
    }
}

/// Layers by breadth-first distance from the start; anything unreachable
/// (never, for a checked definition) goes last.
fn layers(def: &Definition, edges: &[(String, String)]) -> HashMap<String, usize> {
    let mut layer = HashMap::new();
    let mut queue = VecDeque::from([(def.start.to_string(), 0usize)]);
    while let Some((node, l)) = queue.pop_front() {
        if layer.contains_key(&node) {
            continue;
        }
        layer.insert(node.clone(), l);
        for (from, to) in edges {
            if *from == node && !layer.contains_key(to) {
                queue.push_back((to.clone(), l + 1));
            }
        }
    }
    let last = layer.values().max().copied().unwrap_or(0) + 1;
    for name in def.steps.keys().chain(def.ends.keys()) {
        layer.entry(name.to_string()).or_insert(last);
    }
    layer
}

fn short(title: &str) -> String {
    if title.chars().count() <= LABEL_CHARS {
        title.to_string()
    } else {
        let mut s: String = title.chars().take(LABEL_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// The diagram of `def` for an instance at `current` (a step, or the end
/// reached) having passed through `visited`.
pub fn draw(def: &Definition, current: &str, visited: &[&str]) -> Diagram {
    let edges: Vec<(String, String)> = def
        .edges()
        .into_iter()
        .flat_map(|(from, out)| out.into_iter().map(move |(_, to)| (from.clone(), to)))
        .collect();
    let layer = layers(def, &edges);
    // (name, title, is a decision, is an end), in the definition's order.
    type Place = (String, Option<String>, bool, bool);
    let order: Vec<Place> = def
        .steps
        .iter()
        .map(|(n, s)| (n.to_string(), s.title.clone(), s.is_route(), false))
        .chain(
            def.ends
                .iter()
                .map(|(n, e)| (n.to_string(), e.title.clone(), false, true)),
        )
        .collect();
    let depth = layer.values().max().copied().unwrap_or(0) + 1;
    let mut rows: Vec<Vec<&Place>> = vec![Vec::new(); depth];
    for node in &order {
        rows[layer[&node.0]].push(node);
    }
    let widest = rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let content_w = widest * NODE_W + (widest - 1) * GAP_X;
    let width = MARGIN + content_w + MARGIN;
    let mut place: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut nodes = Vec::new();
    for (l, row) in rows.iter().enumerate() {
        let row_w = row.len() * NODE_W + row.len().saturating_sub(1) * GAP_X;
        let left = MARGIN + (content_w - row_w) / 2;
        for (i, (name, title, diamond, end)) in row.iter().map(|n| (&n.0, &n.1, n.2, n.3)).enumerate() {
            let x = left + i * (NODE_W + GAP_X);
            let y = 8 + l * (NODE_H + GAP_Y);
            place.insert(name.as_str(), (x, y));
            let title = title.clone().unwrap_or_else(|| {
                if diamond {
                    "分流判断".into()
                } else {
                    name.clone()
                }
            });
            // A decision leaves no history of its own: it was passed if one
            // of the places it leads to was reached.
            let passed = visited.contains(&name.as_str())
                || (diamond
                    && edges
                        .iter()
                        .any(|(f, t)| f == name && (t == current || visited.contains(&t.as_str()))));
            let class = match (name.as_str() == current, end, passed) {
                (true, true, _) => "reached",
                (true, false, _) => "current",
                (false, true, _) => "end",
                (false, false, true) => "done",
                _ => "todo",
            };
            let (cx, cy) = (x + NODE_W / 2, y + NODE_H / 2);
            nodes.push(NodeView {
                x,
                y,
                w: NODE_W,
                h: NODE_H,
                cx,
                cy,
                label: short(&title),
                title,
                class,
                diamond,
                points: format!("{cx},{y} {},{cy} {cx},{} {},{cy}", x + NODE_W, y + NODE_H, x),
                note: String::new(),
            });
        }
    }
    let mut drawn: Vec<(&str, &str)> = Vec::new();
    let mut lines = Vec::new();
    let mut lane = 0;
    for (from, to) in &edges {
        let (Some(&(fx, fy)), Some(&(tx, ty))) = (place.get(from.as_str()), place.get(to.as_str())) else {
            continue;
        };
        if drawn.contains(&(from.as_str(), to.as_str())) {
            continue;
        }
        drawn.push((from.as_str(), to.as_str()));
        if layer[to] > layer[from] {
            // Down: from the bottom middle to the top middle, bending halfway.
            let (x1, y1) = (fx + NODE_W / 2, fy + NODE_H);
            let (x2, y2) = (tx + NODE_W / 2, ty - 3);
            let mid = (y1 + y2) / 2;
            lines.push(EdgeView {
                d: format!("M{x1},{y1} C{x1},{mid} {x2},{mid} {x2},{y2}"),
                back: false,
            });
        } else {
            // Back (or sideways): out of the side nearer the edge of the
            // drawing, round through a lane of its own in that margin, into
            // the target's same side.
            lane += 1;
            let offset = (lane * 10).min(MARGIN - 8);
            let left = fx + NODE_W / 2 < MARGIN + content_w / 2;
            let (x1, x2, out) = if left {
                (fx, tx.saturating_sub(3), MARGIN.saturating_sub(offset))
            } else {
                (fx + NODE_W, tx + NODE_W + 3, MARGIN + content_w + offset)
            };
            let (y1, y2) = (fy + NODE_H / 2, ty + NODE_H / 2);
            lines.push(EdgeView {
                d: format!("M{x1},{y1} C{out},{y1} {out},{y2} {x2},{y2}"),
                back: true,
            });
        }
    }
    Diagram {
        width,
        height: 8 + depth * (NODE_H + GAP_Y) - GAP_Y + 8,
        nodes,
        edges: lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped workflow whose end adds a member: the appointment.
    fn appointment() -> Definition {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workflows");
        naxian_engine::check_definitions(&dir, &naxian_model::Catalogue::shipped())
            .expect("the shipped workflows")
            .into_iter()
            .find(|d| d.adds_members())
            .expect("a shipped workflow adds members")
    }

    #[test]
    fn layers_go_down_from_the_start_and_returns_go_back() {
        let def = appointment();
        let d = draw(&def, "consultation", &["drafting", "consultation"]);
        let node = |t: &str| {
            d.nodes
                .iter()
                .find(|n| n.title.contains(t))
                .unwrap_or_else(|| panic!("{t}"))
        };
        let start = &d.nodes[0];
        assert_eq!(start.y, 8, "the start is on top");
        assert_eq!(start.class, "done");
        let current: Vec<&NodeView> = d.nodes.iter().filter(|n| n.class == "current").collect();
        assert_eq!(current.len(), 1, "one step is highlighted");
        assert!(current[0].y > start.y);
        assert!(d.nodes.iter().any(|n| n.diamond), "routing is a decision");
        assert!(d.edges.iter().any(|e| e.back), "revising returns to consultation");
        assert!(d.edges.iter().any(|e| !e.back));
        let ends: Vec<&NodeView> = d.nodes.iter().filter(|n| n.class == "end").collect();
        assert!(!ends.is_empty());
        assert!(
            ends.iter().all(|e| e.y > node("征求").y),
            "ends come after consultation"
        );
        assert!(d
            .nodes
            .iter()
            .all(|n| n.x + n.w <= d.width && n.y + n.h <= d.height));
    }

    #[test]
    fn a_reached_end_is_marked_and_long_titles_are_cut() {
        let def = appointment();
        let end = def.ends.keys().next().unwrap().to_string();
        let d = draw(&def, &end, &[]);
        assert_eq!(d.nodes.iter().filter(|n| n.class == "reached").count(), 1);
        assert_eq!(short("一二三四五六七八九十十一"), "一二三四五六七八九…");
        assert_eq!(short("十个字以内"), "十个字以内");
    }
}
