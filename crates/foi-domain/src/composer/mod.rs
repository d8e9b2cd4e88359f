//! The round composer: what the dashboard's "New round" form edits, how it becomes a round
//! file, and which field a problem in that file belongs to.
//!
//! A round made in the browser *is* a round file: the form's values are applied to a
//! definition (blank, a shipped round, or the round being repeated or edited, so what the
//! form does not show, such as the codebook's indicators, is kept), the definition is written
//! as TOML, and that text goes through [`RoundDef::parse`], the same validation as
//! `foi round create FILE`. A problem's line in that text is turned back into the form field
//! it concerns by [`field_at_line`], so it is shown beside that field.

mod form;
mod lines;

pub use form::LetterSource;
pub use lines::{field_at_line, write};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The composer's fields, as the form sends them (everything text, checked when applied).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Composition {
    pub title: String,
    pub slug: String,
    pub reference_prefix: String,
    pub description: String,
    pub register: String,
    /// The bodies chosen by code; `None`: every body of the register.
    pub bodies: Option<Vec<String>>,
    /// `""` (as the register says per body) or a regime id.
    pub regime: String,
    pub requester: RequesterForm,
    pub questions: Vec<QuestionForm>,
    /// The request, chaser and internal-review letters (subject and text).
    pub letters: BTreeMap<String, LetterForm>,
    pub chasers: Vec<ChaserForm>,
    pub per_minute: String,
    pub per_day: String,
    pub hold_minutes: String,
    pub variables: Vec<VariableForm>,
    pub report_bodies: String,
    /// Variable ids, comma-separated.
    pub report_crosstabs: String,
    pub embargo: String,
    /// One rule a line: `text => replacement` (replacement optional).
    pub redactions: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequesterForm {
    pub name: String,
    pub organisation: String,
    pub email: String,
    pub postal_address: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionForm {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterForm {
    pub subject: String,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChaserForm {
    pub id: String,
    pub after_working_days: String,
    /// `reminder`, `internal_review` or `ico_draft`.
    pub purpose: String,
    /// `auto` or `approve`.
    pub mode: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariableForm {
    pub id: String,
    pub label: String,
    /// `yes_no`, `single`, `multiple`, `number` or `text`.
    pub kind: String,
    pub question: String,
    pub when: String,
    /// One category a line: `id | label | hint, hint` (hints optional).
    pub categories: String,
}

/// The three letters a round can write itself, in the form's order.
pub const LETTERS: [(&str, &str); 3] = [
    ("request", "Request letter"),
    ("chaser", "Reminder (chaser)"),
    ("internal_review", "Request for internal review"),
];

/// The placeholders a letter can use, with what each gives (shown beside the letter fields).
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    (
        "{{authority.name}}",
        "the body's name, e.g. NHS Somerset ICB",
    ),
    ("{{authority.code}}", "the body's code in the register"),
    ("{{authority.region}}", "the body's region"),
    ("{{round.title}}", "the round's title"),
    (
        "{{ref_token}}",
        "the request's reference as it must appear in replies",
    ),
    ("{{regime.act}}", "the Act the body answers under"),
    (
        "{{regime.provision}}",
        "the section that sets the time limit",
    ),
    ("{{requester.name}}", "the requester's name"),
    ("{{requester.organisation}}", "the requester's organisation"),
    (
        "{{uk_date due_on}}",
        "the date the answer is due, e.g. 3 July 2026",
    ),
    (
        "{{uk_date original.sent_on}}",
        "in a chaser: when the request went",
    ),
    (
        "{{working_days working_days_overdue}}",
        "in a chaser: how late, e.g. 3 working days",
    ),
    ("{{> questions.txt}}", "the round's questions, numbered"),
    ("{{> signature.txt}}", "the requester's signature"),
];

/// A problem with a value the form sent, before the round file is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field's path, as [`field_at_line`] names it (`questions.2.text`).
    pub field: String,
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.into(),
        message: message.into(),
    }
}

/// A slug from a title: lower-case words joined by hyphens ("MSK services 2027" →
/// `msk-services-2027`).
pub fn slug_of(title: &str) -> String {
    let mut out = String::new();
    for w in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w.to_ascii_lowercase());
    }
    out.chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

/// A reference prefix from a title: the initials of its words and any year's last two digits
/// ("ICB MSK services 2027" → `IMS27`).
pub fn prefix_of(title: &str) -> String {
    let words: Vec<&str> = title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut p: String = words
        .iter()
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .filter_map(|w| w.chars().next())
        .map(|c| c.to_ascii_uppercase())
        .take(5)
        .collect();
    if let Some(y) = words
        .iter()
        .rev()
        .find(|w| w.len() == 4 && w.chars().all(|c| c.is_ascii_digit()))
    {
        p.push_str(&y[2..]);
    }
    if p.is_empty() {
        "ROUND".into()
    } else {
        p
    }
}

/// Today's chaser ladder, for a blank round: a reminder the first working day late (sent by
/// itself), a second after ten (approved by the team), an internal review after twenty and a
/// draft complaint to the ICO after forty.
pub fn default_ladder() -> Vec<ChaserForm> {
    [
        ("reminder-1", 1, "reminder", "auto"),
        ("reminder-2", 10, "reminder", "approve"),
        ("internal-review", 20, "internal_review", "approve"),
        ("ico-complaint", 40, "ico_draft", "approve"),
    ]
    .into_iter()
    .map(|(id, after, purpose, mode)| ChaserForm {
        id: id.into(),
        after_working_days: after.to_string(),
        purpose: purpose.into(),
        mode: mode.into(),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::round::RoundDef;

    const FILE: &str = r#"slug = "x"
title = "T"
register = "r"
reference_prefix = "X"

[requester]
name = "A"
organisation = "B"
email = "a@b.org"

[[questions]]
id = "q1"
text = "one"

[[questions]]
id = "q2"
text = "two"

[letters.request]
subject = "S"
text = """
Dear {{authority.name}},
line two
"""
"#;

    #[test]
    fn a_line_names_its_field() {
        assert_eq!(field_at_line(FILE, 2).as_deref(), Some("title"));
        assert_eq!(field_at_line(FILE, 9).as_deref(), Some("requester.email"));
        assert_eq!(field_at_line(FILE, 17).as_deref(), Some("questions.1.text"));
        assert_eq!(
            field_at_line(FILE, 21).as_deref(),
            Some("letters.request.text")
        );
        assert_eq!(
            field_at_line(FILE, 23).as_deref(),
            Some("letters.request.text")
        );
        assert_eq!(
            field_at_line(FILE, 20).as_deref(),
            Some("letters.request.subject")
        );
    }

    /// The composer writes a definition with `toml`'s serialisation: every shipped round,
    /// written so and read back, is the same definition.
    #[test]
    fn a_written_definition_reads_back_the_same() {
        for text in [
            include_str!("../../../../config/rounds/msk-2026.toml"),
            include_str!("../../../../config/rounds/arma-msk-2024.toml"),
            include_str!("../../../../config/rounds/arma-jfp-2025.toml"),
        ] {
            let def = RoundDef::parse(text, "shipped", &|_| true).unwrap();
            let written = write(&def);
            let back = RoundDef::parse(&written, "written", &|_| true)
                .unwrap_or_else(|e| panic!("{e:?}\n{written}"));
            assert_eq!(back.questions, def.questions);
            assert_eq!(back.codebook, def.codebook);
            assert_eq!(back.chasers, def.chasers);
            assert_eq!(back.title, def.title);
            assert!(
                line_of_field(&written, "codebook.variables.0.id").is_some(),
                "{written}"
            );
            if def.questions.len() > 1 {
                assert!(
                    line_of_field(&written, "questions.1.text").is_some(),
                    "{written}"
                );
            }
        }
    }

    fn line_of_field(text: &str, field: &str) -> Option<usize> {
        (1..=text.lines().count()).find(|l| field_at_line(text, *l).as_deref() == Some(field))
    }

    #[test]
    fn slugs_and_prefixes_come_from_the_title() {
        assert_eq!(slug_of("ICB MSK services: 2027!"), "icb-msk-services-2027");
        assert_eq!(prefix_of("ICB MSK services 2027"), "IMS27");
        assert_eq!(prefix_of("!!"), "ROUND");
    }

    #[test]
    fn the_form_round_trips_through_a_definition() {
        let def = RoundDef::parse(FILE, "t", &|_| true).unwrap();
        let none = |_: &str| None;
        let form = Composition::of(&def, &none);
        assert_eq!(form.questions.len(), 2);
        assert_eq!(form.letters["request"].subject, "S");
        let mut again = def.clone();
        let problems = form.apply(&mut again, &none);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(again.questions, def.questions);
        assert_eq!(again.letters.request, def.letters.request);
    }

    #[test]
    fn a_letter_left_as_the_template_file_stays_on_the_file() {
        let def = RoundDef::parse(FILE, "t", &|_| true).unwrap();
        let mut form = Composition::of(&def, &|_| None);
        form.letters.insert(
            "chaser".into(),
            LetterForm {
                subject: "Late".into(),
                text: "Please answer.".into(),
            },
        );
        let file =
            |n: &str| (n == "chaser").then(|| ("Late".to_string(), "Please answer.\n".to_string()));
        let mut d = def.clone();
        assert!(form.apply(&mut d, &file).is_empty());
        assert_eq!(d.letters.chaser, None);
        form.letters.get_mut("chaser").unwrap().text = "Please answer now.".into();
        form.apply(&mut d, &file);
        assert_eq!(d.letters.chaser.unwrap().text, "Please answer now.\n");
    }

    #[test]
    fn values_that_cannot_be_written_are_named_by_field() {
        let def = RoundDef::parse(FILE, "t", &|_| true).unwrap();
        let mut form = Composition::of(&def, &|_| None);
        form.per_day = "lots".into();
        form.chasers = vec![ChaserForm {
            id: "r".into(),
            after_working_days: "soon".into(),
            purpose: "reminder".into(),
            mode: "auto".into(),
        }];
        form.variables = vec![VariableForm {
            id: "v".into(),
            label: "V".into(),
            kind: "single".into(),
            categories: "yes | Yes\n | \n".into(),
            ..Default::default()
        }];
        let mut d = def.clone();
        let fields: Vec<String> = form
            .apply(&mut d, &|_| None)
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            [
                "chasers.0.after_working_days",
                "throttle.per_day",
                "codebook.variables.0.categories"
            ]
        );
    }
}
