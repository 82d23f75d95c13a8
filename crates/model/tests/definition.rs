//! Definition files: the shipped ones load, and each kind of mistake is
//! reported with the file, the line and what is wrong.

use naxian_model::Definition;

const SHIPPED: &str = include_str!("../../../workflows/sanzhang-appointment.yaml");

#[test]
fn shipped_appointment_workflow_is_valid() {
    let def = Definition::parse(
        "sanzhang-appointment.yaml",
        SHIPPED,
        &naxian_model::Catalogue::shipped(),
    )
    .unwrap();
    assert_eq!(def.name.as_str(), "sanzhang-appointment");
    assert_eq!(def.start.as_str(), "drafting");
    assert!(def.step("consultation").unwrap().keep_completed);
}

/// A small valid definition to break one line at a time.
const BASE: &str = "name: t
version: 1
title: T
org_field: org
started_by: nominator
start: a
fields:
  org: { type: org_unit, required: true, kinds: [county] }
steps:
  a:
    assign: [{ role: creator }]
    actions:
      submit: { to: b }
  b:
    assign:
      - { role: secretary, unit: target }
    actions:
      approve: { to: done }
ends:
  done: {}
";

fn errors(src: &str) -> String {
    Definition::parse("t.yaml", src, &naxian_model::Catalogue::shipped())
        .unwrap_err()
        .to_string()
}

#[test]
fn base_is_valid() {
    Definition::parse("t.yaml", BASE, &naxian_model::Catalogue::shipped()).unwrap();
}

#[test]
fn unknown_step_names_file_and_line() {
    let e = errors(&BASE.replace("{ to: b }", "{ to: nowhere }"));
    assert!(e.contains("t.yaml:13:"), "{e}");
    assert!(e.contains("unknown step `nowhere`"), "{e}");
}

#[test]
fn unreachable_step_is_an_error() {
    let src = BASE.replace(
        "ends:",
        "  orphan:\n    assign: [{ role: creator }]\n    actions:\n      approve: { to: done }\nends:",
    );
    let e = errors(&src);
    assert!(e.contains("t.yaml:19:"), "{e}");
    assert!(e.contains("`orphan` is unreachable"), "{e}");
}

#[test]
fn step_without_way_out_is_an_error() {
    let src = BASE.replace("      approve: { to: done }", "      approve: { complete: true }");
    let e = errors(&src);
    assert!(e.contains("t.yaml:14:"), "{e}");
    assert!(e.contains("no `next`"), "{e}");
    let src = BASE.replace("    actions:\n      approve: { to: done }\n", "");
    let e = errors(&src);
    assert!(e.contains("no way out"), "{e}");
}

#[test]
fn unknown_role_and_action_are_errors() {
    let e = errors(&BASE.replace("role: secretary", "role: janitor"));
    assert!(
        e.contains("t.yaml:16:") && e.contains("unknown role `janitor`"),
        "{e}"
    );
    let e = errors(&BASE.replace("approve: { to: done }", "bless: { to: done }"));
    assert!(
        e.contains("t.yaml:18:") && e.contains("unknown action `bless`"),
        "{e}"
    );
}

/// Roles and functions are the catalogue's: a file naming one it lacks is
/// refused with the line, and loads once the catalogue has it.
#[test]
fn roles_and_functions_are_the_catalogues() {
    use naxian_model::catalogue::{FunctionEntry, RoleEntry};
    let src = BASE
        .replace("started_by: nominator", "started_by: liaison")
        .replace(
            "- { role: secretary, unit: target }",
            "- { role: department, department: science, of: county }",
        );
    let e = errors(&src);
    assert!(e.contains("t.yaml:5: unknown role `liaison`"), "{e}");
    assert!(
        e.contains("t.yaml:16: unknown department function `science`"),
        "{e}"
    );
    let mut catalogue = naxian_model::Catalogue::shipped();
    catalogue.roles.push(RoleEntry {
        name: "liaison".parse().unwrap(),
        label: "联络员".into(),
        may: Vec::new(),
    });
    catalogue.functions.push(FunctionEntry {
        name: "science".parse().unwrap(),
        label: "科技".into(),
    });
    let def = Definition::parse("t.yaml", &src, &catalogue).unwrap();
    assert_eq!(def.started_by.as_str(), "liaison");
    // A catalogue without the shipped roles refuses what the shipped one takes.
    let bare = naxian_model::Catalogue::default();
    let e = Definition::parse("t.yaml", BASE, &bare).unwrap_err().to_string();
    assert!(e.contains("t.yaml:5: unknown role `nominator`"), "{e}");
    assert!(e.contains("t.yaml:16: unknown role `secretary`"), "{e}");
}

#[test]
fn unknown_keys_and_bad_yaml_are_errors_with_lines() {
    let e = errors(&BASE.replace(
        "    assign: [{ role: creator }]\n    actions:\n      submit",
        "    asign: [creator]\n    actions:\n      submit",
    ));
    assert!(e.contains("t.yaml:11:") && e.contains("asign"), "{e}");
    let e = errors(&BASE.replace("  b:\n", "  b: [\n"));
    assert!(e.starts_with("t.yaml:"), "{e}");
    assert!(!e.starts_with("t.yaml:0:"), "{e}");
}

#[test]
fn timers_are_checked() {
    let with = |t: &str| {
        BASE.replace(
            "      approve: { to: done }",
            &format!("      approve: {{ to: done }}\n    timers: {t}"),
        )
    };
    Definition::parse(
        "t.yaml",
        &with("{ due: 10 working days, remind_before: [1 day] }"),
        &naxian_model::Catalogue::shipped(),
    )
    .unwrap();
    let e = errors(&with("{ due: soon }"));
    assert!(
        e.contains("t.yaml:19:") && e.contains("`soon` is not a duration"),
        "{e}"
    );
    let e = errors(&with("{ due: 2 days, escalate_after: 1 day }"));
    assert!(e.contains("escalates to no one"), "{e}");
    let e = errors(&with(
        "{ due: 2 days, timeout_after: 1 day, timeout_action: reject }",
    ));
    assert!(e.contains("timeout action `reject` is not an action"), "{e}");
    let e = errors(&with(
        "{ due: 2 days, escalate_after: 1 day, escalate_to: { role: wizard, unit: city } }",
    ));
    assert!(e.contains("unknown role `wizard`"), "{e}");
}

#[test]
fn route_needs_a_fallback_and_known_facts() {
    let src = BASE.replace("{ to: b }", "{ to: r }").replace(
        "ends:",
        "  r:\n    route:\n      - { when: moon_full, to: b }\nends:",
    );
    let e = errors(&src);
    assert!(e.contains("unknown field or fact `moon_full`"), "{e}");
    assert!(e.contains("no way out when no route matches"), "{e}");
}

#[test]
fn sign_off_modes_parse_and_at_least_is_bounded() {
    use naxian_model::definition::SignOff;
    let with = |mode: &str| BASE.replace("  b:\n", &format!("  b:\n    sign_off: {mode}\n"));
    for (text, mode) in [
        ("all", SignOff::All),
        ("any", SignOff::Any),
        ("sequential", SignOff::Sequential),
        ("{ at_least: 1 }", SignOff::AtLeast(1)),
    ] {
        let def = Definition::parse("t.yaml", &with(text), &naxian_model::Catalogue::shipped()).unwrap();
        assert_eq!(def.step("b").unwrap().sign_off, mode, "{text}");
    }
    // Step `b` assigns one role: at least two of one cannot be met.
    let e = errors(&with("{ at_least: 2 }"));
    assert!(e.contains("t.yaml:14:") && e.contains("at least 2 of 1"), "{e}");
    let e = errors(&with("{ at_least: 0 }"));
    assert!(e.contains("N must be 1 to 1"), "{e}");
    let e = errors(&with("majority"));
    assert!(e.contains("majority"), "{e}");
}

#[test]
fn chosen_targets_are_steps_that_exist() {
    let with = |to: &str| {
        BASE.replace(
            "approve: { to: done }",
            &format!("approve: {{ to: done }}\n      return: {{ to: {to} }}"),
        )
    };
    let def = Definition::parse("t.yaml", &with("[a]"), &naxian_model::Catalogue::shipped()).unwrap();
    let to = def
        .step("b")
        .unwrap()
        .actions
        .get("return")
        .unwrap()
        .to
        .as_deref()
        .unwrap();
    assert_eq!((to.fixed(), to.named()), (None, vec!["a"]));
    Definition::parse("t.yaml", &with("passed"), &naxian_model::Catalogue::shipped()).unwrap();
    let e = errors(&with("[a, done]"));
    assert!(
        e.contains("t.yaml:19:") && e.contains("only steps: `done` is an end"),
        "{e}"
    );
    let e = errors(&with("[a, nowhere]"));
    assert!(e.contains("`nowhere` is unknown"), "{e}");
    let e = errors(&with("[]"));
    assert!(e.contains("lists no step"), "{e}");
    let e = errors(
        &BASE
            .replace("  done: {}", "  passed: {}")
            .replace("{ to: done }", "{ to: passed }"),
    );
    assert!(e.contains("`passed` is reserved"), "{e}");
}

#[test]
fn conditions_are_checked_against_the_fields_when_the_file_loads() {
    let base = BASE
        .replace(
            "  org: { type: org_unit, required: true, kinds: [county] }",
            "  org: { type: org_unit, required: true, kinds: [county] }\n  post: { type: choice, choices: { chair: 主席, member: 委员 } }\n  age: { type: integer }",
        )
        .replace("{ to: b }", "{ to: r }");
    let with = |when: &str| {
        base.replace(
            "ends:",
            &format!("  r:\n    route:\n      - {{ when: '{when}', to: b }}\n      - {{ to: b }}\nends:"),
        )
    };
    for ok in [
        "congress_due || post == \"chair\"",
        "age >= 40 && target_is_township",
        "post in [\"chair\", \"member\"]",
        "b.approve_note == null",
    ] {
        let src = with(ok).replace(
            "approve: { to: done }",
            "approve: { to: done, data: { approve_note: { type: text } } }",
        );
        Definition::parse("t.yaml", &src, &naxian_model::Catalogue::shipped())
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for (bad, says) in [
        (
            "post == \"chiar\"",
            "`chiar` is not a choice of `post` (choices: chair, member)",
        ),
        (
            "age == \"forty\"",
            "`age` is an integer field and cannot be compared with \"forty\"",
        ),
        (
            "candidate.sector == \"health\"",
            "unknown field or fact `candidate.sector`",
        ),
        ("post", "is a choice field, not true or false"),
        ("post ==", "does not parse"),
    ] {
        let e = errors(&with(bad));
        assert!(e.contains("t.yaml:23:") && e.contains(says), "{bad}: {e}");
    }
    // An assignment's condition is checked the same way.
    let e = errors(&BASE.replace(
        "      - { role: secretary, unit: target }",
        "      - { role: secretary, unit: target, when: 'rank > 2' }",
    ));
    assert!(e.contains("t.yaml:16:") && e.contains("`rank`"), "{e}");
}

/// The schema editors validate workflow files with is the one the Rust types
/// give: regenerate it with `cargo run -p naxian -- workflow schema > workflows/schema.json`.
#[test]
fn the_committed_json_schema_is_current() {
    let committed = include_str!("../../../workflows/schema.json");
    assert!(
        committed == Definition::json_schema(),
        "workflows/schema.json is stale: run `cargo run -p naxian -- workflow schema > workflows/schema.json`"
    );
}

/// An editor using the schema accepts the shipped files and flags a typo
/// in a key as the loader would.
#[test]
fn the_shipped_files_validate_against_the_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../workflows/schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let as_json = |src: &str| yaml_to_json(&marked_yaml::parse_yaml(0, src).unwrap());
    for (name, src) in [
        ("sanzhang-appointment", SHIPPED),
        (
            "monthly-progress-report",
            include_str!("../../../workflows/monthly-progress-report.yaml"),
        ),
        (
            "deadline-campaign",
            include_str!("../../../workflows/deadline-campaign.yaml"),
        ),
    ] {
        let doc = as_json(src);
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    let typo = as_json(&SHIPPED.replace("    keep_completed: true", "    keep_complete: true"));
    assert!(!validator.is_valid(&typo), "an unknown key is flagged");
    let bad_sign_off = as_json(&SHIPPED.replacen("sign_off: all", "sign_off: most", 1));
    assert!(!validator.is_valid(&bad_sign_off));
}

/// A YAML document as JSON, plain scalars typed as an editor's YAML
/// language server types them (booleans, integers, null), quoted ones text.
fn yaml_to_json(node: &marked_yaml::Node) -> serde_json::Value {
    use marked_yaml::Node;
    use serde_json::Value;
    match node {
        Node::Scalar(s) => {
            let text = s.as_str();
            if !s.may_coerce() {
                return Value::String(text.to_string());
            }
            if let Some(b) = s.as_bool() {
                return Value::Bool(b);
            }
            if let Ok(i) = text.parse::<i64>() {
                return Value::from(i);
            }
            match text {
                "null" | "~" => Value::Null,
                _ => Value::String(text.to_string()),
            }
        }
        Node::Sequence(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        Node::Mapping(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.as_str().to_string(), yaml_to_json(v)))
                .collect(),
        ),
    }
}

/// The complete example of docs/WORKFLOWS.md, which uses every construct.
fn documented_example() -> String {
    let doc = include_str!("../../../docs/WORKFLOWS.md");
    let start = doc
        .find("```yaml file=founding-example.yaml\n")
        .expect("the complete example");
    let body = &doc[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("\n```").unwrap()].to_string()
}

#[test]
fn the_documented_example_loads_validates_and_draws_every_construct() {
    let src = documented_example();
    let def = Definition::parse("founding-example.yaml", &src, &naxian_model::Catalogue::shipped())
        .unwrap_or_else(|e| panic!("{e}"));
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../workflows/schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let doc = yaml_to_json(&marked_yaml::parse_yaml(0, &src).unwrap());
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let dot = def.dot();
    for shown in [
        "\"deciding\" [shape=diamond",
        "members >= 100 || sector == \\\"health\\\"",
        "sign-off: at least 2",
        "sign-off: one after another",
        "passes: creator",
        "passes: approved before",
        "nobody holds it: skipped",
        "nobody holds it: to supervisor at city",
        "keeps opinions on return",
        "when sector == \\\"health\\\"",
        "10 working days after due: agree",
        "copies supervisor at province",
        "\"association_review\" -> \"association_review\" [label=\"return (to a step passed)\", style=dashed]",
        "\"county_review\" -> \"party_committee\" [label=\"object (chosen)\", style=dashed]",
        "\"county_review\" -> \"filing\" [label=\"next (agree)\"]",
        "[label=\"withdraw\", style=dotted]",
        "sets the body: 5 years from founded_on",
        "\"founded\" [shape=doublecircle",
    ] {
        assert!(dot.contains(shown), "the graph lacks {shown}:\n{dot}");
    }
}

/// A summary reads the unit by its name and a choice by its label, never
/// their codes.
#[test]
fn summaries_name_the_unit_and_label_the_choices() {
    let src = include_str!("../../../workflows/society-founding.yaml");
    let def = Definition::parse("society-founding.yaml", src, &naxian_model::Catalogue::shipped()).unwrap();
    let data = serde_json::json!({"county": "JN-PY", "society": {"name": "平阴县医学会", "field": "health"}});
    assert_eq!(def.summarize(&data, "平阴县科协"), "平阴县医学会（医学卫生）");
    let src = include_str!("../../../workflows/township-founding.yaml");
    let def = Definition::parse("township-founding.yaml", src, &naxian_model::Catalogue::shipped()).unwrap();
    let data = serde_json::json!({"township": "JN-PY-MG", "applicant": {"name": "赵联络"}});
    assert_eq!(
        def.summarize(&data, "玫瑰镇科协"),
        "玫瑰镇科协筹建申请（联系人赵联络）"
    );
    assert_eq!(
        def.summarize(&data, ""),
        "JN-PY-MG筹建申请（联系人赵联络）",
        "no name known: the code"
    );
}
