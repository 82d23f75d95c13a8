//! A history entry's note in words: the model writes what happened by itself
//! (a route taken and why, an assignee passed or skipped) in English, for
//! the API and the logs; the timeline says the same in Chinese, with steps,
//! roles and units by name.

use regex::{Captures, Regex};
use std::sync::LazyLock;

/// How the note's names are read: a step's title, an assignee key's words
/// (`department@JN-PY-ORG` → 部门（平阴县委组织部）), a person's name.
pub struct Names<'a> {
    pub step: &'a (dyn Fn(&str) -> String + Sync),
    pub assignee: &'a (dyn Fn(&str) -> String + Sync),
    pub person: &'a (dyn Fn(&str) -> String + Sync),
}

const DATE: &str = r"(\d{4}-\d{2}-\d{2})";

/// What one phrase says in Chinese, from its captures.
type Say = fn(&Captures, &Names) -> String;

/// Each phrase the model writes, and what it says in Chinese.
static PHRASES: LazyLock<Vec<(Regex, Say)>> = LazyLock::new(|| {
    let re = |p: &str| Regex::new(p).expect("a valid pattern");
    vec![
        (re(r"([\w-]+) → ([\w-]+): "), |c, n| {
            format!("{}转入{}：", (n.step)(&c[1]), (n.step)(&c[2]))
        }),
        (re(&format!(r"congress scheduled on {DATE}")), |c, _| {
            format!("已定于{}召开代表大会", &c[1])
        }),
        (re(&format!(r"term ends {DATE}, within (\d+) days")), |c, _| {
            format!("任期于{}届满，在{}天之内", &c[1], &c[2])
        }),
        (re(&format!(r"mid-term: term ends {DATE}")), |c, _| {
            format!("届中，任期至{}", &c[1])
        }),
        (re(r"the unit has no body on record"), |_, _| {
            "该单位未登记领导机构".into()
        }),
        (re(r"the unit is a (\w+)"), |c, _| {
            format!("单位类型为{}", kind(&c[1]))
        }),
        (re(r"not ([\w_]+): "), |c, _| format!("不满足“{}”：", fact(&c[1]))),
        (re(r"otherwise"), |_, _| "其他情形".into()),
        (
            re(r"([\w-]+) skipped: (\d+) assignee\(s\) had already completed it, enough for its sign-off"),
            |c, n| format!("{}已跳过：已有{}方办理完毕，足以通过", (n.step)(&c[1]), &c[2]),
        ),
        (re(r"([\w-]+) skipped: no one is left to ask"), |c, n| {
            format!("{}已跳过：无人需再办理", (n.step)(&c[1]))
        }),
        (re(r"([\w-]+): (\S+) skipped: nobody holds it"), |c, n| {
            format!("{}：{}无人担任，已跳过", (n.step)(&c[1]), (n.assignee)(&c[2]))
        }),
        (re(r"([\w-]+): nobody holds (\S+): sent to (\S+)"), |c, n| {
            format!(
                "{}：{}无人担任，改由{}办理",
                (n.step)(&c[1]),
                (n.assignee)(&c[2]),
                (n.assignee)(&c[3])
            )
        }),
        (
            re(r"([\w-]+): (\S+) passed: its holder (\S+) started this instance"),
            |c, n| {
                format!(
                    "{}：{}自动通过（{}是发起人）",
                    (n.step)(&c[1]),
                    (n.assignee)(&c[2]),
                    (n.person)(&c[3])
                )
            },
        ),
        (
            re(r"([\w-]+): (\S+) passed: its holder (\S+) approved an earlier step"),
            |c, n| {
                format!(
                    "{}：{}自动通过（{}已在前序环节同意）",
                    (n.step)(&c[1]),
                    (n.assignee)(&c[2]),
                    (n.person)(&c[3])
                )
            },
        ),
        (re(r"; "), |_, _| "；".into()),
        (re(r" \("), |_, _| "（".into()),
        (re(r"\)"), |_, _| "）".into()),
    ]
});

/// A fact a route tests, as users call it.
fn fact(name: &str) -> String {
    match name {
        "congress_due" => "应当换届（任期将满或已定代表大会日期）".into(),
        "target_is_township" => "对象为乡镇（街道）科协".into(),
        other => other.to_string(),
    }
}

fn kind(k: &str) -> String {
    k.parse::<naxian_model::OrgKind>()
        .map(|k| k.label().to_string())
        .unwrap_or_else(|_| k.to_string())
}

/// The note in Chinese, each phrase translated where it stands.
pub fn zh_note(note: &str, names: &Names<'_>) -> String {
    let mut text = note.to_string();
    for (re, say) in PHRASES.iter() {
        text = re.replace_all(&text, |c: &Captures| say(c, names)).into_owned();
    }
    text
}

/// The logins of the people `note` names (who passed a step), for looking
/// up their names first.
pub fn people(note: &str) -> Vec<String> {
    static HOLDER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"its holder (\S+) ").expect("a valid pattern"));
    HOLDER.captures_iter(note).map(|c| c[1].to_string()).collect()
}

/// The unit codes the assignee keys in `note` name (`role@CODE`), for
/// looking up their names first.
pub fn unit_codes(note: &str) -> Vec<String> {
    static KEY: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[a-z_]+@([A-Za-z0-9._-]+)").expect("a valid pattern"));
    KEY.captures_iter(note).map(|c| c[1].to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn say(note: &str) -> String {
        let step = |s: &str| match s {
            "routing" => "确定选举方式".to_string(),
            "committee_by_election" => "委员会增补".to_string(),
            "consultation" => "征求意见".to_string(),
            other => other.to_string(),
        };
        let assignee = |k: &str| k.replace("department@JN-PY-ORG", "部门（平阴县委组织部）");
        let person = |l: &str| {
            if l == "jn-py-org" {
                "平阴县委组织部".into()
            } else {
                l.to_string()
            }
        };
        zh_note(
            note,
            &Names {
                step: &step,
                assignee: &assignee,
                person: &person,
            },
        )
    }

    #[test]
    fn a_route_and_its_reasons_read_in_chinese() {
        assert_eq!(
            say("routing → committee_by_election: otherwise (not congress_due: mid-term: term ends 2029-01-01)"),
            "确定选举方式转入委员会增补：其他情形（不满足“应当换届（任期将满或已定代表大会日期）”：届中，任期至2029-01-01）"
        );
        assert_eq!(
            say("routing → congress_election: term ends 2027-01-01, within 180 days"),
            "确定选举方式转入congress_election：任期于2027-01-01届满，在180天之内"
        );
    }

    #[test]
    fn passes_and_skips_name_the_people() {
        assert_eq!(
            say("consultation: department@JN-PY-ORG passed: its holder jn-py-org approved an earlier step"),
            "征求意见：部门（平阴县委组织部）自动通过（平阴县委组织部已在前序环节同意）"
        );
        assert_eq!(
            say("consultation skipped: no one is left to ask; consultation: department@JN-PY-ORG skipped: nobody holds it"),
            "征求意见已跳过：无人需再办理；征求意见：部门（平阴县委组织部）无人担任，已跳过"
        );
    }

    #[test]
    fn no_english_word_is_left_in_the_notes_the_model_writes() {
        for note in [
            "routing → committee_by_election: otherwise",
            "routing → congress_election: congress scheduled on 2027-03-01",
            "deciding → township_review: the unit is a township",
            "consultation skipped: 3 assignee(s) had already completed it, enough for its sign-off",
            "review: nobody holds department@JN-PY-ORG: sent to department@JN-PY-ORG",
            "review: department@JN-PY-ORG passed: its holder jn-py-org started this instance",
        ] {
            let text = say(note);
            for word in [
                "skipped",
                "passed",
                "holds",
                "otherwise",
                "scheduled",
                "assignee",
                "unit is",
            ] {
                assert!(!text.contains(word), "{note} → {text}");
            }
        }
    }
}
