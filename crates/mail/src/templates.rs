//! The notification templates: files under `templates/mail/` (minijinja,
//! Jinja's syntax), each a folder with `subject.txt`, `body.txt` and
//! `body.html`, sharing `_footer.txt` and `_layout.html`. A workflow may
//! override any of them in its own folder, `<workflows>/<name>/mail/<template>/`.
//! Each takes the parameters the engine stored with the outbox row; a missing
//! parameter renders as empty rather than failing, so that an old row still
//! renders after an upgrade. HTML is escaped; `|br` keeps a text's line breaks.

use crate::MailError;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value as Jinja};
use serde_json::Value;
use std::path::Path;

/// Every template name: one per kind of notification the engine sends.
pub const TEMPLATES: &[&str] = &[
    "task_assigned",
    "task_reminder",
    "task_overdue",
    "returned",
    "objected",
    "outcome",
    "urge",
    "withdrawn",
    "transferred",
    "delegated",
    "copy",
    "report_opened",
    "report_due",
    "report_missed",
    "campaign_task",
    "campaign_reminder",
    "digest",
];

/// The three parts of a template.
const PARTS: &[&str] = &["subject.txt", "body.txt", "body.html"];

/// The files every template may include.
const SHARED: &[&str] = &["_footer.txt", "_layout.html"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    /// The plain-text body.
    pub body: String,
    /// The same as HTML, sent as the alternative.
    pub html: String,
}

/// The loaded templates, checked to be complete and to compile.
pub struct MailTemplates {
    env: Environment<'static>,
}

impl std::fmt::Debug for MailTemplates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MailTemplates")
    }
}

fn read(path: &Path) -> Result<String, MailError> {
    std::fs::read_to_string(path).map_err(|e| MailError::Permanent(format!("{}: {e}", path.display())))
}

impl MailTemplates {
    /// Loads every template from `dir`, and the overrides of each workflow
    /// folder under `workflows` (`<workflows>/<workflow>/mail/<template>/…`).
    /// A missing part, an unknown template or one that does not compile is
    /// an error naming the file.
    pub fn load(dir: &Path, workflows: Option<&Path>) -> Result<MailTemplates, MailError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Lenient);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_keep_trailing_newline(false);
        env.add_filter("br", line_breaks);
        let bad = |path: &Path, e: minijinja::Error| MailError::Permanent(format!("{}: {e}", path.display()));
        for shared in SHARED {
            let path = dir.join(shared);
            env.add_template_owned(shared.to_string(), read(&path)?)
                .map_err(|e| bad(&path, e))?;
        }
        for t in TEMPLATES {
            for part in PARTS {
                let path = dir.join(t).join(part);
                env.add_template_owned(format!("{t}/{part}"), read(&path)?)
                    .map_err(|e| bad(&path, e))?;
            }
        }
        let folders = match workflows {
            Some(w) if w.is_dir() => std::fs::read_dir(w)
                .map_err(|e| MailError::Permanent(format!("{}: {e}", w.display())))?
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.join("mail").is_dir())
                .collect(),
            _ => Vec::new(),
        };
        for folder in folders {
            let workflow = folder
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let mail = folder.join("mail");
            for entry in std::fs::read_dir(&mail)
                .map_err(|e| MailError::Permanent(format!("{}: {e}", mail.display())))?
            {
                let path = entry.map_err(|e| MailError::Permanent(e.to_string()))?.path();
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_string();
                if !TEMPLATES.contains(&name.as_str()) {
                    return Err(MailError::Permanent(format!(
                        "{}: no template `{name}` to override (known: {})",
                        path.display(),
                        TEMPLATES.join(", ")
                    )));
                }
                for part in PARTS {
                    let file = path.join(part);
                    if file.exists() {
                        env.add_template_owned(format!("{workflow}/{name}/{part}"), read(&file)?)
                            .map_err(|e| bad(&file, e))?;
                    }
                }
            }
        }
        Ok(MailTemplates { env })
    }

    /// Renders `template` for an e-mail about `workflow` (its override if it
    /// has one, part by part); `None` if the name is unknown.
    pub fn render(&self, template: &str, workflow: Option<&str>, params: &Value) -> Option<Rendered> {
        if !TEMPLATES.contains(&template) {
            return None;
        }
        let ctx = Jinja::from_serialize(params);
        Some(Rendered {
            subject: self
                .part(template, workflow, "subject.txt", &ctx)
                .trim()
                .replace(['\r', '\n'], " "),
            body: self.part(template, workflow, "body.txt", &ctx),
            html: self.part(template, workflow, "body.html", &ctx),
        })
    }

    /// Only the subject line, as the app's notices (消息) show it.
    pub fn subject(&self, template: &str, workflow: Option<&str>, params: &Value) -> Option<String> {
        if !TEMPLATES.contains(&template) {
            return None;
        }
        let ctx = Jinja::from_serialize(params);
        Some(
            self.part(template, workflow, "subject.txt", &ctx)
                .trim()
                .replace(['\r', '\n'], " "),
        )
    }

    fn part(&self, template: &str, workflow: Option<&str>, part: &str, ctx: &Jinja) -> String {
        let own = workflow.and_then(|w| self.env.get_template(&format!("{w}/{template}/{part}")).ok());
        let t = match own {
            Some(t) => t,
            None => match self.env.get_template(&format!("{template}/{part}")) {
                Ok(t) => t,
                Err(_) => return String::new(),
            },
        };
        t.render(ctx).unwrap_or_else(|e| format!("({e})"))
    }
}

/// `|br`: a text's line breaks as `<br>`, the text itself escaped; a
/// missing value is empty, as everywhere else.
fn line_breaks(value: Jinja) -> Jinja {
    let text = if value.is_undefined() || value.is_none() {
        String::new()
    } else {
        value.to_string()
    };
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;");
    Jinja::from_safe_string(escaped.replace('\n', "<br>\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shipped() -> MailTemplates {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates/mail");
        MailTemplates::load(&dir, None).unwrap()
    }

    #[test]
    fn every_template_renders_in_chinese_in_text_and_html() {
        let params = json!({"name": "张三", "title": "征求意见", "subject": "王卫东 拟任 玫瑰镇科协副主席", "data_month": "2026-12", "data_title": "报送实施方案",
                            "due_at": "2026-12-14", "month": "2026年12月", "cities": "济南市科协", "count": "3",
                            "link": "https://naxian.example.cn/tasks/t1", "public_url": "https://naxian.example.cn"});
        let t = shipped();
        for name in TEMPLATES {
            let r = t
                .render(name, None, &params)
                .unwrap_or_else(|| panic!("{name} renders"));
            assert!(
                !r.subject.is_empty() && !r.subject.contains('\n'),
                "{name}: {}",
                r.subject
            );
            assert!(r.body.starts_with("张三："), "{name}: {}", r.body);
            assert!(r.body.contains("纳贤") && r.html.contains("纳贤"), "{name}");
            assert!(
                r.body.contains("https://naxian.example.cn/"),
                "{name} links to the service: {}",
                r.body
            );
            // minijinja escapes `/` in HTML as `&#x2f;`, which a browser reads back as `/`.
            assert!(
                r.html.contains("<a href=\"https:&#x2f;&#x2f;naxian.example.cn"),
                "{name}: {}",
                r.html
            );
        }
        let r = t.render("task_assigned", None, &params).unwrap();
        assert!(r.body.contains("办理期限：2026-12-14"), "{}", r.body);
        assert!(
            r.body.contains("查看：https://naxian.example.cn/tasks/t1"),
            "{}",
            r.body
        );
        assert!(t.render("nope", None, &params).is_none());
    }

    #[test]
    fn html_is_escaped_and_keeps_line_breaks() {
        let params = json!({"name": "<b>李</b>", "by": "组织部", "subject": "王卫东", "comment": "第一行\n<script>x</script>"});
        let r = shipped().render("returned", None, &params).unwrap();
        assert!(r.html.contains("&lt;b&gt;李&lt;&#x2f;b&gt;"), "{}", r.html);
        assert!(r.html.contains("第一行<br>\n&lt;script&gt;"), "{}", r.html);
        assert!(
            r.body.contains("第一行\n<script>x</script>"),
            "the text part is text: {}",
            r.body
        );
    }

    #[test]
    fn a_workflow_folder_overrides_a_part_and_unknown_names_are_refused() {
        let shipped_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates/mail");
        let workflows = tempfile::tempdir().unwrap();
        let own = workflows.path().join("census/mail/task_assigned");
        std::fs::create_dir_all(&own).unwrap();
        std::fs::write(own.join("subject.txt"), "【普查】{{ title }}").unwrap();
        let t = MailTemplates::load(&shipped_dir, Some(workflows.path())).unwrap();
        let params = json!({"name": "张三", "title": "填报"});
        let r = t.render("task_assigned", Some("census"), &params).unwrap();
        assert_eq!(r.subject, "【普查】填报");
        assert!(
            r.body.contains("您有一项新的待办事项"),
            "the other parts are the shipped ones"
        );
        let other = t.render("task_assigned", Some("another"), &params).unwrap();
        assert_eq!(other.subject, "【待办】填报");
        std::fs::create_dir_all(workflows.path().join("census/mail/welcome")).unwrap();
        let e = MailTemplates::load(&shipped_dir, Some(workflows.path())).unwrap_err();
        assert!(e.to_string().contains("no template `welcome`"), "{e}");
    }
}
