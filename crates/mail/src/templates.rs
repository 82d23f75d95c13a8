//! The notification templates, in Chinese. Each takes the parameters the
//! engine stored with the outbox row; a missing parameter renders as empty
//! rather than failing, so that an old row still renders after an upgrade.

use serde_json::Value;

/// Every template name, for checks and listings.
pub const TEMPLATES: &[&str] = &[
    "task_assigned",
    "task_reminder",
    "task_overdue",
    "returned",
    "objected",
    "outcome",
    "urge",
    "copy",
    "report_opened",
    "report_due",
    "report_missed",
    "campaign_task",
    "campaign_reminder",
    "digest",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

fn p<'a>(params: &'a Value, key: &str) -> &'a str {
    params.get(key).and_then(Value::as_str).unwrap_or("")
}

const FOOTER: &str = "\n\n——\n此邮件由纳贤（科协“3+1”工作流程系统）自动发送，请勿直接回复。";

/// Renders a template; `None` if the name is unknown.
pub fn render(template: &str, params: &Value) -> Option<Rendered> {
    let title = p(params, "title");
    let subject_of = p(params, "subject");
    let due = p(params, "due_at");
    let due_line = if due.is_empty() {
        String::new()
    } else {
        format!("\n办理期限：{due}")
    };
    let (subject, body) = match template {
        "task_assigned" => (
            format!("【待办】{title}"),
            format!(
                "{}：\n\n您有一项新的待办事项：{title}。\n事项：{subject_of}{due_line}\n\n请登录纳贤系统办理。",
                p(params, "name")
            ),
        ),
        "task_reminder" => (
            format!("【提醒】{title}即将到期"),
            format!(
                "{}：\n\n您的待办事项“{title}”即将到期。\n事项：{subject_of}{due_line}\n\n请尽快办理。",
                p(params, "name")
            ),
        ),
        "task_overdue" => (
            format!("【逾期】{title}已逾期"),
            format!(
                "{}：\n\n{}的待办事项“{title}”已超过办理期限，尚未办理。\n事项：{subject_of}{due_line}\n\n请督促办理。",
                p(params, "name"),
                p(params, "holder")
            ),
        ),
        "returned" => (
            format!("【退回】{title}"),
            format!(
                "{}：\n\n{}将“{subject_of}”退回补充，意见如下：\n{}\n\n请修改后重新提交。",
                p(params, "name"),
                p(params, "by"),
                p(params, "comment")
            ),
        ),
        "objected" => (
            format!("【有异议】{title}"),
            format!(
                "{}：\n\n{}对“{subject_of}”提出异议：\n{}\n\n请修改后重新提交，或撤回提名。",
                p(params, "name"),
                p(params, "by"),
                p(params, "comment")
            ),
        ),
        "outcome" => (
            format!("【办结】{subject_of}：{}", p(params, "outcome_title")),
            format!(
                "{}：\n\n“{subject_of}”已办结，结果：{}。",
                p(params, "name"),
                p(params, "outcome_title")
            ),
        ),
        "urge" => (
            format!("【催办】{title}"),
            format!(
                "{}：\n\n{}催办您的待办事项“{title}”。\n事项：{subject_of}{due_line}\n\n请尽快办理。",
                p(params, "name"),
                p(params, "by")
            ),
        ),
        "copy" => (
            format!("【抄送】{subject_of}"),
            format!("{}：\n\n抄送您：{}", p(params, "name"), p(params, "text")),
        ),
        "report_opened" => (
            format!("【月报】{}工作进展月报已开启", p(params, "data_month")),
            format!(
                "{}：\n\n{}“3+1”工作进展月报已生成，数据截至开启时。请于{due}前补充工作进展、存在问题、典型经验和下步打算并提交。",
                p(params, "name"),
                p(params, "data_month")
            ),
        ),
        "report_due" => (
            format!("【提醒】{}工作进展月报将于{due}截止", p(params, "data_month")),
            format!(
                "{}：\n\n{}“3+1”工作进展月报尚未提交，截止时间：{due}。",
                p(params, "name"),
                p(params, "data_month")
            ),
        ),
        "report_missed" => (
            format!("【逾期】{}工作进展月报未按时报送名单", p(params, "month")),
            format!(
                "{}：\n\n以下市科协未按时报送{}“3+1”工作进展月报：\n{}",
                p(params, "name"),
                p(params, "month"),
                p(params, "cities")
            ),
        ),
        "campaign_task" => (
            format!("【任务】{}", p(params, "data_title")),
            format!("{}：\n\n请于{due}前完成：{subject_of}。", p(params, "name")),
        ),
        "campaign_reminder" => (
            format!("【提醒】{}将于{due}截止", p(params, "data_title")),
            format!("{}：\n\n“{subject_of}”尚未完成，截止时间：{due}。", p(params, "name")),
        ),
        "digest" => (
            format!("【每日汇总】您有{}项待办", p(params, "count")),
            format!("{}：\n\n您当前的待办事项：\n{}", p(params, "name"), p(params, "items")),
        ),
        _ => return None,
    };
    Some(Rendered {
        subject,
        body: format!("{body}{FOOTER}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_template_renders_in_chinese() {
        let params = json!({"name": "张三", "title": "征求意见", "subject": "王卫东 拟任 玫瑰镇科协副主席", "data_month": "2026-12", "data_title": "报送实施方案",
                            "due_at": "2026-12-14", "month": "2026年12月", "cities": "济南市科协", "count": "3"});
        for t in TEMPLATES {
            let r = render(t, &params).unwrap_or_else(|| panic!("{t} renders"));
            assert!(!r.subject.is_empty());
            assert!(r.body.starts_with("张三："), "{t}: {}", r.body);
            assert!(r.body.contains("纳贤"));
        }
        assert!(render("task_assigned", &params)
            .unwrap()
            .body
            .contains("办理期限：2026-12-14"));
        assert!(render("nope", &params).is_none());
    }
}
