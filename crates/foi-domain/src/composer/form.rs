//! The form and a definition, both ways: [`Composition::of`] fills the form from a definition,
//! [`Composition::apply`] writes the form's values into one, section by section.

use super::{
    problem, ChaserForm, Composition, FieldProblem, LetterForm, QuestionForm, RequesterForm,
    VariableForm, LETTERS,
};
use crate::codebook::{Category, VarKind, Variable};
use crate::redact::Rule;
use crate::regime::Regime;
use crate::round::{
    ChaseMode, ChasePurpose, ChaseStep, InlineLetter, Question, Requester, RoundDef,
};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use toml::Spanned;

/// A template's subject and text by name (the letters a definition leaves to template files).
pub type LetterSource<'a> = &'a dyn Fn(&str) -> Option<(String, String)>;

fn sp(s: &str) -> Spanned<String> {
    Spanned::new(0..0, s.to_string())
}

fn trimmed(s: &str) -> String {
    s.trim().to_string()
}

fn optional(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| trimmed(s))
}

/// The template name a letter of the form stands for in `def`.
fn template_of(def: &RoundDef, which: &str) -> String {
    match which {
        "request" => def.templates.request.get_ref().clone(),
        "chaser" => def.templates.chaser.get_ref().clone(),
        _ => def.templates.internal_review.get_ref().clone(),
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

impl Composition {
    /// The form's values for an existing definition.
    pub fn of(def: &RoundDef, letter_source: LetterSource<'_>) -> Self {
        let r = def.requester.clone().unwrap_or(Requester {
            name: String::new(),
            organisation: String::new(),
            email: String::new(),
            postal_address: None,
        });
        let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
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
                name: r.name,
                organisation: r.organisation,
                email: r.email,
                postal_address: r.postal_address.unwrap_or_default(),
            },
            questions: def
                .questions
                .iter()
                .map(|q| QuestionForm {
                    id: q.id.get_ref().clone(),
                    text: q.text.clone(),
                })
                .collect(),
            letters: letters_of(def, letter_source),
            chasers: def.chasers.iter().map(chaser_of).collect(),
            per_minute: number(def.throttle.per_minute),
            per_day: number(def.throttle.per_day),
            hold_minutes: def.launch.hold_minutes.to_string(),
            variables: def.codebook.variables.iter().map(variable_of).collect(),
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
    pub fn apply(&self, def: &mut RoundDef, letter_source: LetterSource<'_>) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        self.apply_round(def, &mut problems);
        def.questions = self.questions_with_ids();
        self.apply_letters(def, letter_source);
        def.chasers = self.chaser_steps(&mut problems);
        self.apply_sending(def, &mut problems);
        let kept = std::mem::take(&mut def.codebook.variables);
        def.codebook.variables = self
            .variables
            .iter()
            .enumerate()
            .filter(|(_, v)| !(v.id.trim().is_empty() && v.label.trim().is_empty()))
            .map(|(i, v)| variable(i, v, &kept, &mut problems))
            .collect();
        self.apply_publication(def, &mut problems);
        problems
    }

    /// Title, slug, prefix, description, register, bodies, law and requester.
    fn apply_round(&self, def: &mut RoundDef, problems: &mut Vec<FieldProblem>) {
        def.title = trimmed(&self.title);
        def.slug = sp(&trimmed(&self.slug));
        def.reference_prefix = Some(trimmed(&self.reference_prefix));
        def.description = optional(&self.description);
        def.register = sp(&trimmed(&self.register));
        def.bodies = self.bodies.clone();
        def.regime = match self.regime.trim() {
            "" => None,
            r => r
                .parse::<Regime>()
                .map_err(|e| problems.push(problem("regime", e)))
                .ok(),
        };
        def.requester = Some(Requester {
            name: trimmed(&self.requester.name),
            organisation: trimmed(&self.requester.organisation),
            email: trimmed(&self.requester.email),
            postal_address: optional(&self.requester.postal_address),
        });
    }

    /// The questions that have text, each with its id (a new one gets the first free `qN`).
    fn questions_with_ids(&self) -> Vec<Question> {
        let mut used: Vec<String> = self.questions.iter().map(|q| trimmed(&q.id)).collect();
        let mut out = Vec::new();
        for (i, q) in self.questions.iter().enumerate() {
            if q.text.trim().is_empty() {
                continue;
            }
            if used[i].is_empty() {
                used[i] = (1..)
                    .map(|n| format!("q{n}"))
                    .find(|c| !used.contains(c))
                    .unwrap_or_default();
            }
            out.push(Question {
                id: sp(&used[i]),
                text: trimmed(&q.text),
            });
        }
        out
    }

    /// The round's own letters; one left as its template file's text stays on the file.
    fn apply_letters(&self, def: &mut RoundDef, letter_source: LetterSource<'_>) {
        let norm = |s: &str| s.replace("\r\n", "\n").trim().to_string();
        for (which, _) in LETTERS {
            let Some(form) = self.letters.get(which) else {
                continue;
            };
            let same_as_file = letter_source(&template_of(def, which)).is_some_and(|(s, x)| {
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
    }

    /// The chaser ladder (rows left empty are dropped).
    fn chaser_steps(&self, problems: &mut Vec<FieldProblem>) -> Vec<ChaseStep> {
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
                id: trimmed(&c.id),
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
        steps
    }

    /// Throttle and the launch's call-back window.
    fn apply_sending(&self, def: &mut RoundDef, problems: &mut Vec<FieldProblem>) {
        let mut number = |field: &str, s: &str| -> Option<u32> {
            if s.trim().is_empty() {
                return None;
            }
            s.trim()
                .parse::<u32>()
                .map_err(|_| problems.push(problem(field, "a whole number, or leave it empty")))
                .ok()
        };
        def.throttle.per_minute = number("throttle.per_minute", &self.per_minute);
        def.throttle.per_day = number("throttle.per_day", &self.per_day);
        if let Some(h) = number("launch.hold_minutes", &self.hold_minutes) {
            def.launch.hold_minutes = h;
        }
    }

    /// The report's wording, the embargo and the redactions (regex rules the form does not
    /// show are kept).
    fn apply_publication(&self, def: &mut RoundDef, problems: &mut Vec<FieldProblem>) {
        def.report.bodies = optional(&self.report_bodies);
        def.report.crosstabs = self
            .report_crosstabs
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        def.publish.embargo = match self.embargo.trim() {
            "" => None,
            d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| {
                    problems.push(problem(
                        "publish.embargo",
                        "a date as YYYY-MM-DD, or leave it empty",
                    ))
                })
                .ok(),
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
                    text: Some(trimmed(text)),
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
    }
}

fn letters_of(def: &RoundDef, letter_source: LetterSource<'_>) -> BTreeMap<String, LetterForm> {
    LETTERS
        .iter()
        .map(|(which, _)| {
            let name = template_of(def, which);
            let (subject, text) = def
                .inline_letter(&name)
                .map(|l| (l.subject.clone(), l.text.clone()))
                .or_else(|| letter_source(&name))
                .unwrap_or_default();
            (which.to_string(), LetterForm { subject, text })
        })
        .collect()
}

fn chaser_of(c: &ChaseStep) -> ChaserForm {
    ChaserForm {
        id: c.id.clone(),
        after_working_days: c.after_working_days.to_string(),
        purpose: purpose_id(c.purpose()).into(),
        mode: match c.mode {
            ChaseMode::Auto => "auto",
            ChaseMode::Approve => "approve",
        }
        .into(),
    }
}

fn variable_of(v: &Variable) -> VariableForm {
    VariableForm {
        id: v.id.clone(),
        label: v.label.clone(),
        kind: kind_id(v.kind).into(),
        question: v.question.clone().unwrap_or_default(),
        when: v.when.clone().unwrap_or_default(),
        categories: v
            .categories
            .iter()
            .map(|c| match c.hints.is_empty() {
                true => format!("{} | {}", c.id, c.label),
                false => format!("{} | {} | {}", c.id, c.label, c.hints.join(", ")),
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Variable `i` of the form (`kept`: the definition's variables before, for what the form
/// does not show).
fn variable(
    i: usize,
    v: &VariableForm,
    kept: &[Variable],
    problems: &mut Vec<FieldProblem>,
) -> Variable {
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
        match category(line) {
            Some(c) => categories.push(c),
            None => problems.push(problem(
                format!("codebook.variables.{i}.categories"),
                format!(
                    "line {}: write `id | label` (and optionally `| hint, hint`)",
                    n + 1
                ),
            )),
        }
    }
    let before = kept.iter().find(|old| old.id == v.id.trim());
    Variable {
        id: trimmed(&v.id),
        label: trimmed(&v.label),
        kind,
        when: optional(&v.when),
        categories,
        question: optional(&v.question),
        absent: before.and_then(|k| k.absent.clone()),
    }
}

/// One line of a variable's answers: `id | label | hint, hint`, or just a label (its id made
/// from it).
fn category(line: &str) -> Option<Category> {
    let parts: Vec<&str> = line.split('|').map(str::trim).collect();
    match parts.as_slice() {
        [label] if !label.is_empty() => Some(Category {
            id: super::slug_of(label).replace('-', "_"),
            label: label.to_string(),
            hints: vec![],
        }),
        [id, label, rest @ ..] if !id.is_empty() && !label.is_empty() => Some(Category {
            id: id.to_string(),
            label: label.to_string(),
            hints: rest
                .first()
                .map(|h| {
                    h.split(',')
                        .map(str::trim)
                        .filter(|h| !h.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
        }),
        _ => None,
    }
}
