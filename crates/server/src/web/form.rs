//! Reading submitted forms and choosing inputs for fields, shared by every
//! page family with a form.

use naxian_model::fields::{Choices, FieldType};

/// The first value of a form field.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// The HTML input type for a field of `kind`.
pub fn input_type(kind: FieldType) -> &'static str {
    match kind {
        FieldType::Integer => "number",
        FieldType::Email => "email",
        FieldType::Phone => "tel",
        FieldType::Date => "date",
        _ => "text",
    }
}

/// The options of a select: each choice's value and the label its file gives.
pub fn choice_options(choices: &Choices) -> Vec<(String, String)> {
    choices
        .labelled()
        .into_iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect()
}
