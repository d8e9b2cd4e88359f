//! The round composer: what the dashboard's "New round" form edits, how it becomes a round
//! file, and which field a problem in that file belongs to.
//!
//! A round made in the browser *is* a round file: the form's values are applied to a
//! definition (blank, a shipped round, or the round being repeated or edited, so what the
//! form does not show, such as the codebook's indicators, is kept), the definition is written
//! as TOML, and that text goes through [`RoundDef::parse`], the same validation as
//! `foi round create FILE`. A problem's line in that text is turned back into the form field
//! it concerns by [`field_at_line`], so it is shown beside that field.

use super::codebook::{Category, VarKind, Variable};
use super::redact::Rule;
use super::regime::Regime;
use super::round::{
    ChaseMode, ChasePurpose, ChaseStep, InlineLetter, Question, Requester, RoundDef,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml::Spanned;

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

fn sp(s: &str) -> Spanned<String> {
    Spanned::new(0..0, s.to_string())
}

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

impl Composition {
    /// The form's values for an existing definition. `letter_source` gives a template's
    /// subject and text (for the letters the definition leaves to template files).
    pub fn of(def: &RoundDef, letter_source: &dyn Fn(&str) -> Option<(String, String)>) -> Self {
        let r = def.requester.clone();
        let mut letters = BTreeMap::new();
        for (which, _) in LETTERS {
            let name = match which {
                "request" => def.templates.request.get_ref().clone(),
                "chaser" => def.templates.chaser.get_ref().clone(),
                _ => def.templates.internal_review.get_ref().clone(),
            };
            let l = def
                .inline_letter(&name)
                .map(|l| (l.subject.clone(), l.text.clone()))
                .or_else(|| letter_source(&name))
                .unwrap_or_default();
            letters.insert(
                which.to_string(),
                LetterForm {
                    subject: l.0,
                    text: l.1,
                },
            );
        }
        Composition {
            title: def.title.clone(),
            slug: def.slug().to_string(),
            reference_prefix: def.reference_prefix.clone().unwrap_or_default(),
            description: def.description.clone().unwrap_or_default(),
            register: def.register().to_string(),
            bodies: def.bodies.clone(),
            regime: def
                .regime
                .map(|r| r.as_str().to_string())
                .unwrap_or_default(),
            requester: RequesterForm {
                name: r.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
                organisation: r
                    .as_ref()
                    .map(|r| r.organisation.clone())
                    .unwrap_or_default(),
                email: r.as_ref().map(|r| r.email.clone()).unwrap_or_default(),
                postal_address: r.and_then(|r| r.postal_address).unwrap_or_default(),
            },
            questions: def
                .questions
                .iter()
                .map(|q| QuestionForm {
                    id: q.id.get_ref().clone(),
                    text: q.text.clone(),
                })
                .collect(),
            letters,
            chasers: def
                .chasers
                .iter()
                .map(|c| ChaserForm {
                    id: c.id.clone(),
                    after_working_days: c.after_working_days.to_string(),
                    purpose: purpose_id(c.purpose()).into(),
                    mode: match c.mode {
                        ChaseMode::Auto => "auto",
                        ChaseMode::Approve => "approve",
                    }
                    .into(),
                })
                .collect(),
            per_minute: def
                .throttle
                .per_minute
                .map(|n| n.to_string())
                .unwrap_or_default(),
            per_day: def
                .throttle
                .per_day
                .map(|n| n.to_string())
                .unwrap_or_default(),
            hold_minutes: def.launch.hold_minutes.to_string(),
            variables: def
                .codebook
                .variables
                .iter()
                .map(|v| VariableForm {
                    id: v.id.clone(),
                    label: v.label.clone(),
                    kind: kind_id(v.kind).into(),
                    question: v.question.clone().unwrap_or_default(),
                    when: v.when.clone().unwrap_or_default(),
                    categories: v
                        .categories
                        .iter()
                        .map(|c| {
                            if c.hints.is_empty() {
                                format!("{} | {}", c.id, c.label)
                            } else {
                                format!("{} | {} | {}", c.id, c.label, c.hints.join(", "))
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                })
                .collect(),
            report_bodies: def.report.bodies.clone().unwrap_or_default(),
            report_crosstabs: def.report.crosstabs.join(", "),
            embargo: def
                .publish
                .embargo
                .map(|d| d.to_string())
                .unwrap_or_default(),
            redactions: def
                .publish
                .redact
                .iter()
                .filter_map(|r| r.text.as_ref().map(|t| format!("{t} => {}", r.replacement)))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// Writes the form's values into `def` (which keeps what the form does not edit). A
    /// letter whose subject and text are the template file's own stays on the template file.
    /// Returns the problems with values that cannot even be written (a number that is not
    /// one, a category line without a label); the rest is checked by [`RoundDef::parse`].
    pub fn apply(
        &self,
        def: &mut RoundDef,
        letter_source: &dyn Fn(&str) -> Option<(String, String)>,
    ) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        let t = |s: &str| s.trim().to_string();
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        def.title = t(&self.title);
        def.slug = sp(&t(&self.slug));
        def.reference_prefix = Some(t(&self.reference_prefix));
        def.description = opt(&self.description);
        def.register = sp(&t(&self.register));
        def.bodies = self.bodies.clone();
        def.regime = match self.regime.trim() {
            "" => None,
            r => match r.parse::<Regime>() {
                Ok(r) => Some(r),
                Err(e) => {
                    problems.push(problem("regime", e.to_string()));
                    None
                }
            },
        };
        def.requester = Some(Requester {
            name: t(&self.requester.name),
            organisation: t(&self.requester.organisation),
            email: t(&self.requester.email),
            postal_address: opt(&self.requester.postal_address),
        });
        let mut used: Vec<String> = self
            .questions
            .iter()
            .map(|q| q.id.trim().to_string())
            .collect();
        def.questions = self
            .questions
            .iter()
            .enumerate()
            .filter(|(_, q)| !q.text.trim().is_empty())
            .map(|(i, q)| {
                let id = if q.id.trim().is_empty() {
                    let id = (1..)
                        .map(|n| format!("q{n}"))
                        .find(|c| !used.contains(c))
                        .unwrap_or_default();
                    used[i] = id.clone();
                    id
                } else {
                    q.id.trim().to_string()
                };
                Question {
                    id: sp(&id),
                    text: q.text.trim().to_string(),
                }
            })
            .collect();
        for (which, _) in LETTERS {
            let Some(form) = self.letters.get(which) else {
                continue;
            };
            let template = match which {
                "request" => def.templates.request.get_ref().clone(),
                "chaser" => def.templates.chaser.get_ref().clone(),
                _ => def.templates.internal_review.get_ref().clone(),
            };
            let norm = |s: &str| s.replace("\r\n", "\n").trim().to_string();
            let same_as_file = letter_source(&template).is_some_and(|(s, x)| {
                norm(&s) == norm(&form.subject) && norm(&x) == norm(&form.text)
            });
            let own = (!same_as_file).then(|| InlineLetter {
                subject: norm(&form.subject),
                text: norm(&form.text) + "\n",
            });
            match which {
                "request" => def.letters.request = own,
                "chaser" => def.letters.chaser = own,
                _ => def.letters.internal_review = own,
            }
        }
        let mut steps = Vec::new();
        for (i, c) in self.chasers.iter().enumerate() {
            if c.id.trim().is_empty() && c.after_working_days.trim().is_empty() {
                continue;
            }
            let after = match c.after_working_days.trim().parse::<u32>() {
                Ok(n) if n > 0 => n,
                _ => {
                    problems.push(problem(
                        format!("chasers.{i}.after_working_days"),
                        "a whole number of working days after the due date (1 or more)",
                    ));
                    continue;
                }
            };
            let purpose = match c.purpose.as_str() {
                "internal_review" => ChasePurpose::InternalReview,
                "ico_draft" => ChasePurpose::IcoDraft,
                _ => ChasePurpose::Reminder,
            };
            steps.push(ChaseStep {
                id: t(&c.id),
                after_working_days: after,
                purpose: Spanned::new(0..0, purpose),
                template: None,
                mode: if c.mode == "auto" {
                    ChaseMode::Auto
                } else {
                    ChaseMode::Approve
                },
            });
        }
        def.chasers = steps;
        let mut number = |field: &str, s: &str| -> Option<u32> {
            if s.trim().is_empty() {
                return None;
            }
            match s.trim().parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push(problem(field, "a whole number, or leave it empty"));
                    None
                }
            }
        };
        def.throttle.per_minute = number("throttle.per_minute", &self.per_minute);
        def.throttle.per_day = number("throttle.per_day", &self.per_day);
        if let Some(h) = number("launch.hold_minutes", &self.hold_minutes) {
            def.launch.hold_minutes = h;
        }
        let mut vars = Vec::new();
        for (i, v) in self.variables.iter().enumerate() {
            if v.id.trim().is_empty() && v.label.trim().is_empty() {
                continue;
            }
            let kind = match v.kind.as_str() {
                "yes_no" => VarKind::YesNo,
                "multiple" => VarKind::Multiple,
                "number" => VarKind::Number,
                "text" => VarKind::Text,
                _ => VarKind::Single,
            };
            let mut categories = Vec::new();
            for (n, line) in v.categories.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let parts: Vec<&str> = line.split('|').map(str::trim).collect();
                let (id, label) = match parts.as_slice() {
                    [id, label, ..] if !id.is_empty() && !label.is_empty() => (id, label),
                    [label] if !label.is_empty() => {
                        categories.push(Category {
                            id: slug_of(label).replace('-', "_"),
                            label: label.to_string(),
                            hints: vec![],
                        });
                        continue;
                    }
                    _ => {
                        problems.push(problem(
                            format!("codebook.variables.{i}.categories"),
                            format!(
                                "line {}: write `id | label` (and optionally `| hint, hint`)",
                                n + 1
                            ),
                        ));
                        continue;
                    }
                };
                let hints = parts
                    .get(2)
                    .map(|h| {
                        h.split(',')
                            .map(str::trim)
                            .filter(|h| !h.is_empty())
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default();
                categories.push(Category {
                    id: id.to_string(),
                    label: label.to_string(),
                    hints,
                });
            }
            let keep = def
                .codebook
                .variables
                .iter()
                .find(|old| old.id == v.id.trim());
            vars.push(Variable {
                id: t(&v.id),
                label: t(&v.label),
                kind,
                when: opt(&v.when),
                categories,
                question: opt(&v.question),
                absent: keep.and_then(|k| k.absent.clone()),
            });
        }
        def.codebook.variables = vars;
        def.report.bodies = opt(&self.report_bodies);
        def.report.crosstabs = self
            .report_crosstabs
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        def.publish.embargo = match self.embargo.trim() {
            "" => None,
            d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    problems.push(problem(
                        "publish.embargo",
                        "a date as YYYY-MM-DD, or leave it empty",
                    ));
                    None
                }
            },
        };
        let regex_rules: Vec<Rule> = def
            .publish
            .redact
            .iter()
            .filter(|r| r.text.is_none())
            .cloned()
            .collect();
        let mut rules: Vec<Rule> = self
            .redactions
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (text, replacement) = l.split_once("=>").unwrap_or((l, ""));
                Rule {
                    text: Some(text.trim().to_string()),
                    regex: None,
                    replacement: match replacement.trim() {
                        "" => "[removed]".to_string(),
                        r => r.to_string(),
                    },
                    body: None,
                }
            })
            .collect();
        rules.extend(regex_rules);
        def.publish.redact = rules;
        problems
    }
}

fn purpose_id(p: ChasePurpose) -> &'static str {
    match p {
        ChasePurpose::Reminder => "reminder",
        ChasePurpose::InternalReview => "internal_review",
        ChasePurpose::IcoDraft => "ico_draft",
    }
}

fn kind_id(k: VarKind) -> &'static str {
    match k {
        VarKind::YesNo => "yes_no",
        VarKind::Single => "single",
        VarKind::Multiple => "multiple",
        VarKind::Number => "number",
        VarKind::Text => "text",
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

/// The round file for a definition, as the composer saves it.
pub fn write(def: &RoundDef) -> String {
    let body = toml::to_string_pretty(def).unwrap_or_else(|e| {
        // Every field of a definition is a string, number, date, table or array of them.
        unreachable!("a round definition always serialises: {e}")
    });
    format!(
        "# Round `{}`: made in the dashboard's composer (a round file like any other).\n\n{body}",
        def.slug()
    )
}

/// The form field a line of a round file written by [`RoundDef`]'s serialisation belongs
/// to: `title`, `requester.email`, `questions.2.text`, `letters.request.text`,
/// `codebook.variables.0.categories`. Tables are followed as TOML writes them
/// (`[[questions]]` counts up, `[letters.request]` names a path); a multi-line string belongs
/// to the key that opened it.
pub fn field_at_line(text: &str, line: usize) -> Option<String> {
    let mut table: Vec<String> = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut open: Option<String> = None;
    for (i, l) in text.lines().enumerate() {
        let here = i + 1;
        let trimmed = l.trim();
        if let Some(key) = &open {
            if here == line {
                return Some(key.clone());
            }
            if trimmed.contains("\"\"\"") || trimmed.contains("'''") {
                open = None;
            }
            continue;
        }
        if let Some(h) = trimmed
            .strip_prefix("[[")
            .and_then(|r| r.strip_suffix("]]"))
        {
            let n = counts
                .entry(h.to_string())
                .and_modify(|n| *n += 1)
                .or_insert(0);
            table = h.split('.').map(String::from).collect();
            table.push(n.to_string());
        } else if let Some(h) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            table = h
                .split('.')
                .map(|s| s.trim_matches('"').to_string())
                .collect();
        } else if let Some((key, value)) = trimmed.split_once('=') {
            let mut path = table.clone();
            path.push(key.trim().trim_matches('"').to_string());
            let path = path.join(".");
            let v = value.trim();
            let multi = (v.starts_with("\"\"\"") && !v[3..].contains("\"\"\""))
                || (v.starts_with("'''") && !v[3..].contains("'''"))
                || (v.starts_with('[') && !v.ends_with(']'));
            if here == line {
                return Some(path);
            }
            if multi {
                open = Some(path);
            }
        } else if here == line {
            return (!table.is_empty()).then(|| table.join("."));
        }
        // A multi-line array ends with a line holding only its closing bracket.
        if open.is_none() && trimmed == "]" && here == line {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
            include_str!("../../../config/rounds/msk-2026.toml"),
            include_str!("../../../config/rounds/arma-msk-2024.toml"),
            include_str!("../../../config/rounds/arma-jfp-2025.toml"),
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
