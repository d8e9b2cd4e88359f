//! Rounds: one campaign of the same questions to every body of a register, defined in a TOML
//! file under `config/rounds/` (see the shipped ones for every key, commented).

use super::calendar::{Calendar, CalendarError};
use super::codebook::Codebook;
use super::message::MessageKind;
use super::regime::Regime;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use toml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RoundKind {
    /// Letters are sent and replies tracked (the default).
    #[default]
    Letters,
    /// Desk research: no letters; each body's public document is recorded and coded.
    Desk,
    /// A round run before (or outside) this tool, kept as a record: its codings are imported
    /// and reported, and it is never launched.
    Historical,
}

impl RoundKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundKind::Letters => "letters",
            RoundKind::Desk => "desk",
            RoundKind::Historical => "historical",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requester {
    pub name: String,
    pub organisation: String,
    pub email: String,
    #[serde(default)]
    pub postal_address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: Spanned<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Templates {
    #[serde(default = "t_request")]
    pub request: Spanned<String>,
    #[serde(default = "t_chaser")]
    pub chaser: Spanned<String>,
    #[serde(default = "t_review")]
    pub internal_review: Spanned<String>,
}

fn sp(s: &str) -> Spanned<String> {
    Spanned::new(0..0, s.to_string())
}
fn t_request() -> Spanned<String> {
    sp("request")
}
fn t_chaser() -> Spanned<String> {
    sp("chaser")
}
fn t_review() -> Spanned<String> {
    sp("internal_review")
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            request: t_request(),
            chaser: t_chaser(),
            internal_review: t_review(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Throttle {
    pub per_minute: Option<u32>,
    pub per_day: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChaseMode {
    /// Sent by the scheduler without asking.
    Auto,
    /// Queued for the team to approve.
    Approve,
}

/// What a rung of the chaser ladder is for. It decides what sending it does (an internal
/// review request starts the review's clock) and which template it uses by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChasePurpose {
    /// A reminder that the answer is late.
    Reminder,
    /// Our request for an internal review (for a failure to respond).
    InternalReview,
    /// A complaint to the ICO, drafted for the team (never sent by `foi`).
    IcoDraft,
}

impl ChasePurpose {
    /// In words, for the team: "a reminder", "a request for an internal review" …
    pub fn describe(self) -> &'static str {
        match self {
            ChasePurpose::Reminder => "a reminder",
            ChasePurpose::InternalReview => "a request for an internal review",
            ChasePurpose::IcoDraft => "a draft complaint to the ICO (not sent)",
        }
    }

    /// The kind of message a step with this purpose creates.
    pub fn message_kind(self) -> MessageKind {
        match self {
            ChasePurpose::Reminder => MessageKind::Chaser,
            ChasePurpose::InternalReview => MessageKind::InternalReview,
            ChasePurpose::IcoDraft => MessageKind::IcoComplaint,
        }
    }
}

/// One rung of the chaser ladder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChaseStep {
    pub id: String,
    /// Working days after the due date (1 = the first working day overdue).
    pub after_working_days: u32,
    /// What the step is for: `reminder`, `internal_review` or `ico_draft`.
    pub purpose: Spanned<ChasePurpose>,
    /// Template name; when left out, the round's `[templates]` entry for the purpose
    /// (`chaser` for a reminder, `internal_review`), or `ico_complaint` for the ICO draft.
    #[serde(default)]
    pub template: Option<Spanned<String>>,
    pub mode: ChaseMode,
}

impl ChaseStep {
    pub fn purpose(&self) -> ChasePurpose {
        *self.purpose.get_ref()
    }

    /// The template this step renders.
    pub fn template_name<'a>(&'a self, t: &'a Templates) -> &'a str {
        match &self.template {
            Some(name) => name.get_ref(),
            None => match self.purpose() {
                ChasePurpose::Reminder => t.chaser.get_ref(),
                ChasePurpose::InternalReview => t.internal_review.get_ref(),
                ChasePurpose::IcoDraft => "ico_complaint",
            },
        }
    }
}

/// How the findings report is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReportOpts {
    /// A summary template in `templates/report/` (`summary-NAME.md.hbs` / `.html.hbs`) that
    /// writes the narrative for this codebook; without one, a generic summary is used.
    pub summary: Option<String>,
    /// Variables to cross-tabulate by region.
    #[serde(default)]
    pub crosstabs: Vec<String>,
    /// What to call the bodies in prose ("ICBs"); default "bodies".
    pub bodies: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundDef {
    pub slug: Spanned<String>,
    pub title: String,
    pub register: Spanned<String>,
    #[serde(default)]
    pub kind: RoundKind,
    /// Prefix of each request's reference, e.g. `MSK26` → `MSK26-QHM`.
    #[serde(default)]
    pub reference_prefix: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub requester: Option<Requester>,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(default)]
    pub templates: Templates,
    #[serde(default)]
    pub throttle: Throttle,
    #[serde(default)]
    pub chasers: Vec<ChaseStep>,
    #[serde(default)]
    pub codebook: Codebook,
    #[serde(default)]
    pub report: ReportOpts,
    /// The law every body of the round answers under, overriding the register's `regime`.
    #[serde(default)]
    pub regime: Option<Regime>,
    /// When a request counts as received.
    #[serde(default)]
    pub receipt: Receipt,
    /// When the letters went out, for a round sent before or outside this tool: a date in the
    /// past makes the round a record that cannot be launched again.
    #[serde(default)]
    pub launched_on: Option<NaiveDate>,
    /// Publication: the embargo and the redaction rules (`foi publish`).
    #[serde(default)]
    pub publish: PublishOpts,
    /// Launching: the window to call a launch back (`[launch]`).
    #[serde(default)]
    pub launch: LaunchOpts,
    /// Which of the register's bodies the round writes to, by code (`bodies = ["QHM", …]`);
    /// left out, every body of the register.
    #[serde(default)]
    pub bodies: Option<Vec<String>>,
    /// The round's own letter texts (`[letters.request]` …), in place of the named templates.
    #[serde(default)]
    pub letters: RoundLetters,
}

/// A letter written for the round itself (in the round file or the dashboard's composer),
/// rather than a template file: a subject line and the plain text, both Handlebars with the
/// same placeholders as the template files. The HTML part is the text, paragraph by paragraph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlineLetter {
    pub subject: String,
    pub text: String,
}

/// `[letters.request]`, `[letters.chaser]`, `[letters.internal_review]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RoundLetters {
    #[serde(default)]
    pub request: Option<InlineLetter>,
    #[serde(default)]
    pub chaser: Option<InlineLetter>,
    #[serde(default)]
    pub internal_review: Option<InlineLetter>,
}

/// The name an inline letter is known by where a template name is expected (never a file's
/// name: template files cannot contain `:`).
pub(crate) fn inline_name(which: &str) -> String {
    format!("round:{which}")
}

/// How a round is launched (`[launch]` in the round file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaunchOpts {
    /// Minutes a held launch waits before its first letter may go, during which it can be
    /// called back (`foi round launch --hold`, `foi round cancel`). As MuckRock lets a
    /// request's author withdraw it for a while after submitting.
    #[serde(default = "default_hold_minutes")]
    pub hold_minutes: u32,
}

fn default_hold_minutes() -> u32 {
    15
}

impl Default for LaunchOpts {
    fn default() -> LaunchOpts {
        LaunchOpts {
            hold_minutes: default_hold_minutes(),
        }
    }
}

/// How a round is published (`[publish]` in the round file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PublishOpts {
    /// `foi publish` refuses before this date (unless `--preview`).
    #[serde(default)]
    pub embargo: Option<NaiveDate>,
    /// Redaction rules (`[[publish.redact]]`), applied after no rule of the defaults: every
    /// e-mail address but the body's FOI address and every UK telephone number are masked.
    #[serde(default)]
    pub redact: Vec<super::redact::Rule>,
}

/// A body of the round's register that no longer exists, and what replaced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abolished {
    pub code: String,
    pub name: String,
    pub successors: Vec<String>,
}

/// Why a round is a record of the past and cannot be launched, if it is one: its kind, a
/// `launched_on` date before `today`, or bodies in its register that have been abolished
/// (named with their successors, so the team knows which round to send instead).
pub fn why_history(def: &RoundDef, today: NaiveDate, abolished: &[Abolished]) -> Option<String> {
    if def.kind == RoundKind::Historical {
        return Some(format!(
            "round {} is a historical record (kind = \"historical\"): its letters were sent outside foi; code and report it, but it is not launched",
            def.slug.get_ref()
        ));
    }
    if let Some(d) = def.launched_on.filter(|d| *d < today) {
        return Some(format!(
            "round {} was launched on {} (launched_on in its round file): it is a record, not sent again",
            def.slug.get_ref(),
            d.format("%-d %B %Y")
        ));
    }
    if let Some(first) = abolished.first() {
        let others = abolished.len() - 1;
        return Some(format!(
            "the register {} of round {} lists {} abolished bod{} (e.g. {} {}, succeeded by {}{}): letters to them would go nowhere; send the round on the current register instead",
            def.register.get_ref(),
            def.slug.get_ref(),
            abolished.len(),
            if abolished.len() == 1 { "y" } else { "ies" },
            first.code,
            first.name,
            first.successors.join(" and "),
            if others > 0 { format!(", and {others} more") } else { String::new() }
        ));
    }
    None
}

/// When a request counts as received, for the statutory clock.
///
/// * `statutory` (the default): FOIA s.10(1) counts from "the date of receipt", the calendar
///   day the request arrived, whatever day it is; day 1 is the next working day (s.10(6)).
/// * `next_working_day`: the ICO's accepted practice for a request that arrives on a
///   non-working day (ICO guidance, "Time limits for compliance under the Freedom of
///   Information Act"): the next working day is treated as the date of receipt, so the due
///   date is one working day later.
///
/// Whichever a round uses, chasers never go out before the later of the two readings: a body
/// is never told it is late when, on either reading, it is not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Receipt {
    #[default]
    Statutory,
    NextWorkingDay,
}

impl Receipt {
    /// The date of receipt of a request that arrived on `arrived`.
    pub fn date_of_receipt(
        self,
        cal: &Calendar,
        arrived: NaiveDate,
    ) -> Result<NaiveDate, CalendarError> {
        match self {
            Receipt::Statutory => Ok(arrived),
            Receipt::NextWorkingDay => cal.next_working_day_from(arrived),
        }
    }
}

/// The due date on the later of the two readings of receipt (see [`Receipt`]): the earliest a
/// chaser may treat the request as late.
pub fn latest_due(
    cal: &Calendar,
    arrived: NaiveDate,
    due: NaiveDate,
) -> Result<NaiveDate, CalendarError> {
    // The readings differ only for an arrival on a non-working day.
    if cal.is_working_day(arrived)? {
        return Ok(due);
    }
    let ico = cal.add_working_days(
        cal.next_working_day_from(arrived)?,
        super::calendar::FOIA_RESPONSE_DAYS,
    )?;
    Ok(due.max(ico))
}

/// A problem in a round file, with its line when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", .line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct RoundError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

/// The 1-based line of the `nth` (0-based) line that sets `key = "value"` in a TOML text
/// (for problems found after parsing, which carry no position of their own).
pub(crate) fn line_of_value(text: &str, key: &str, value: &str, nth: usize) -> Option<usize> {
    let quoted = format!("\"{value}\"");
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            t.strip_prefix(key)
                .map(|rest| rest.trim_start().starts_with('='))
                .unwrap_or(false)
                && t.contains(&quoted)
        })
        .nth(nth)
        .map(|(i, _)| i + 1)
}

/// The 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl RoundDef {
    /// Parses a round file. `template_exists` says whether a template name can be rendered.
    /// All problems are returned, each with its line when it has one.
    pub fn parse(
        text: &str,
        file: &str,
        template_exists: &dyn Fn(&str) -> bool,
    ) -> Result<RoundDef, Vec<RoundError>> {
        let err = |line: Option<usize>, message: String| RoundError {
            file: file.to_string(),
            line,
            message,
        };
        let def: RoundDef = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            vec![err(line, e.message().to_string())]
        })?;
        let at = |s: &Spanned<String>| (s.span().end > 0).then(|| line_of(text, s.span().start));
        let mut errs = Vec::new();
        let slug = def.slug.get_ref();
        if slug.is_empty()
            || !slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            errs.push(err(
                at(&def.slug),
                format!("slug `{slug}` must be lower-case letters, digits and hyphens"),
            ));
        }
        if def.kind == RoundKind::Letters {
            match &def.reference_prefix {
                Some(p) if !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()) => {}
                _ => errs.push(err(
                    line_of_value(text, "reference_prefix", def.reference_prefix.as_deref().unwrap_or_default(), 0),
                    "a letters round needs `reference_prefix`, letters and digits only (e.g. MSK26)".into(),
                )),
            }
            if def.requester.is_none() {
                errs.push(err(
                    None,
                    "a letters round needs a [requester] section (name, organisation, email)"
                        .into(),
                ));
            }
            if def.questions.is_empty() {
                errs.push(err(
                    None,
                    "a letters round needs at least one [[questions]] entry".into(),
                ));
            }
            for t in [
                &def.templates.request,
                &def.templates.chaser,
                &def.templates.internal_review,
            ] {
                if !template_exists(t.get_ref()) && def.inline_letter(t.get_ref()).is_none() {
                    errs.push(err(at(t), format!("template `{}` not found in templates/letters/ or the override directory", t.get_ref())));
                }
            }
        }
        if let Some(r) = &def.requester {
            if !super::register::is_plausible_email(&r.email) {
                errs.push(err(
                    line_of_value(text, "email", &r.email, 0),
                    format!("requester email `{}` is not an e-mail address", r.email),
                ));
            }
        }
        if let Err(e) = super::redact::Redactor::check(&def.publish.redact) {
            errs.push(err(None, e.to_string()));
        }
        let mut ids = HashSet::new();
        for q in &def.questions {
            if !ids.insert(q.id.get_ref().clone()) {
                errs.push(err(
                    at(&q.id),
                    format!("duplicate question id `{}`", q.id.get_ref()),
                ));
            }
        }
        let mut steps = HashSet::new();
        let mut last = 0;
        for s in &def.chasers {
            let span = s
                .template
                .as_ref()
                .map_or_else(|| s.purpose.span(), |t| t.span());
            let line = (span.end > 0).then(|| line_of(text, span.start));
            if !steps.insert(s.id.clone()) {
                errs.push(err(
                    line_of_value(text, "id", &s.id, 1).or(line),
                    format!("field `id`: duplicate chaser step id `{}`", s.id),
                ));
            }
            if s.after_working_days <= last && last > 0 {
                errs.push(err(
                    line,
                    format!("chaser step `{}` must come after the previous step", s.id),
                ));
            }
            last = s.after_working_days;
            let name = s.template_name(&def.templates);
            if !template_exists(name) && def.inline_letter(name).is_none() {
                errs.push(err(
                    line,
                    format!("chaser step `{}`: template `{name}` not found", s.id),
                ));
            }
        }
        let question_ids: HashSet<&str> = def
            .questions
            .iter()
            .map(|q| q.id.get_ref().as_str())
            .collect();
        for p in def.codebook.validate() {
            let line = line_of_value(text, p.field, &p.value, p.nth);
            errs.push(err(line, format!("field `{}`: {}", p.field, p.message)));
        }
        for v in &def.codebook.variables {
            if let Some(q) = &v.question {
                if !question_ids.contains(q.as_str()) {
                    errs.push(err(
                        line_of_value(text, "question", q, 0),
                        format!(
                            "field `question`: codebook variable `{}` codes question `{q}`, which the round does not ask (its questions: {})",
                            v.id,
                            def.questions.iter().map(|q| q.id.get_ref().as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            }
        }
        for x in &def.report.crosstabs {
            if def.codebook.variable(x).is_none() {
                errs.push(err(
                    None,
                    format!("[report] crosstabs: `{x}` is not a codebook variable"),
                ));
            }
        }
        if errs.is_empty() {
            Ok(def)
        } else {
            Err(errs)
        }
    }

    pub fn slug(&self) -> &str {
        self.slug.get_ref()
    }

    /// The round's own letter for a template name, when the round writes it itself: the
    /// request, chaser or internal-review letter, named as [`inline_name`] or as the
    /// `[templates]` entry it replaces.
    pub fn inline_letter(&self, template: &str) -> Option<&InlineLetter> {
        let l = &self.letters;
        let t = &self.templates;
        [
            ("request", &t.request, &l.request),
            ("chaser", &t.chaser, &l.chaser),
            ("internal_review", &t.internal_review, &l.internal_review),
        ]
        .into_iter()
        .find(|(name, own, letter)| {
            letter.is_some() && (template == inline_name(name) || template == own.get_ref())
        })
        .and_then(|(_, _, letter)| letter.as_ref())
    }

    /// Points the round at another register (a repeated round, chosen anew).
    pub fn set_register(&mut self, name: &str) {
        self.register = Spanned::new(0..0, name.to_string());
    }

    /// Whether the round writes to the body with this code.
    pub fn includes(&self, code: &str) -> bool {
        self.bodies
            .as_ref()
            .is_none_or(|b| b.iter().any(|c| c.eq_ignore_ascii_case(code)))
    }
    pub fn register(&self) -> &str {
        self.register.get_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUND: &str = r#"
slug = "t-1"
title = "Test"
register = "icbs-2026"
reference_prefix = "T1"

[requester]
name = "A Person"
organisation = "Org"
email = "a@org.org"

[[questions]]
id = "q1"
text = "One?"

[[questions]]
id = "q1"
text = "Two?"
"#;

    #[test]
    fn shipped_rounds_parse() {
        for (f, t) in [
            (
                "arma-msk-2024.toml",
                include_str!("../../../config/rounds/arma-msk-2024.toml"),
            ),
            (
                "msk-2026.toml",
                include_str!("../../../config/rounds/msk-2026.toml"),
            ),
            (
                "arma-jfp-2025.toml",
                include_str!("../../../config/rounds/arma-jfp-2025.toml"),
            ),
        ] {
            RoundDef::parse(t, f, &|_| true).unwrap_or_else(|e| panic!("{f}: {e:?}"));
        }
    }

    #[test]
    fn duplicate_question_is_reported_with_its_line() {
        let e = RoundDef::parse(ROUND, "r.toml", &|_| true).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(
            e[0].to_string(),
            "r.toml, line 17: duplicate question id `q1`"
        );
    }

    #[test]
    fn missing_template_is_reported() {
        let text = ROUND.replace(
            "id = \"q1\"\ntext = \"Two?\"",
            "id = \"q2\"\ntext = \"Two?\"",
        ) + "\n[templates]\nrequest = \"nope\"\n";
        let e = RoundDef::parse(&text, "r.toml", &|t| t != "nope").unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].to_string()
                .starts_with("r.toml, line 21: template `nope` not found"),
            "{}",
            e[0]
        );
    }

    #[test]
    fn syntax_errors_have_lines() {
        let e = RoundDef::parse("slug = \"x\"\ntitle = \n", "r.toml", &|_| true).unwrap_err();
        assert_eq!(e[0].line, Some(2));
    }

    fn good() -> String {
        ROUND.replace(
            "id = \"q1\"\ntext = \"Two?\"",
            "id = \"q2\"\ntext = \"Two?\"",
        )
    }

    #[test]
    fn a_chaser_step_says_what_it_is_for_and_its_template_follows_from_that() {
        let text = good()
            + "\n[templates]\nchaser = \"polite_chaser\"\n\n[[chasers]]\nid = \"r1\"\nafter_working_days = 1\npurpose = \"reminder\"\nmode = \"auto\"\n\n[[chasers]]\nid = \"ir\"\nafter_working_days = 20\npurpose = \"internal_review\"\nmode = \"approve\"\n\n[[chasers]]\nid = \"ico\"\nafter_working_days = 40\npurpose = \"ico_draft\"\ntemplate = \"my_ico\"\nmode = \"approve\"\n";
        let def = RoundDef::parse(&text, "r.toml", &|_| true).unwrap();
        let names: Vec<&str> = def
            .chasers
            .iter()
            .map(|c| c.template_name(&def.templates))
            .collect();
        assert_eq!(names, ["polite_chaser", "internal_review", "my_ico"]);
        let kinds: Vec<MessageKind> = def
            .chasers
            .iter()
            .map(|c| c.purpose().message_kind())
            .collect();
        assert_eq!(
            kinds,
            [
                MessageKind::Chaser,
                MessageKind::InternalReview,
                MessageKind::IcoComplaint
            ]
        );
        // The [templates] entry a purpose uses must exist.
        let e = RoundDef::parse(&text, "r.toml", &|t| t != "polite_chaser").unwrap_err();
        assert!(
            e.iter()
                .any(|e| e.to_string().contains("template `polite_chaser` not found")),
            "{e:?}"
        );
    }

    #[test]
    fn a_chaser_step_without_a_purpose_is_refused_with_its_line() {
        let text = good()
            + "\n[[chasers]]\nid = \"r1\"\nafter_working_days = 1\ntemplate = \"chaser\"\nmode = \"auto\"\n";
        let e = RoundDef::parse(&text, "r.toml", &|_| true).unwrap_err();
        assert!(e[0].to_string().contains("purpose"), "{}", e[0]);
        assert!(e[0].line.is_some(), "{:?}", e[0]);
        let text = good()
            + "\n[[chasers]]\nid = \"r1\"\nafter_working_days = 1\npurpose = \"nag\"\nmode = \"auto\"\n";
        let e = RoundDef::parse(&text, "r.toml", &|_| true).unwrap_err();
        assert!(e[0].to_string().contains("reminder"), "{}", e[0]);
    }

    #[test]
    fn receipt_on_a_saturday_under_both_readings() {
        use chrono::NaiveDate;
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let cal = Calendar::shipped();
        // Arrived Sat 7 Nov 2026. Statutory (s.10(1)): received that day; day 1 is Mon 9 Nov,
        // day 15 Fri 27 Nov; St Andrew's Day (Mon 30 Nov) skipped; days 16–20 are 1–4 and 7 Dec:
        // due Mon 7 Dec. ICO practice: received Mon 9 Nov; day 1 is Tue 10 Nov: due Tue 8 Dec.
        let arrived = d("2026-11-07");
        let statutory = Receipt::Statutory.date_of_receipt(&cal, arrived).unwrap();
        let ico = Receipt::NextWorkingDay
            .date_of_receipt(&cal, arrived)
            .unwrap();
        assert_eq!((statutory, ico), (arrived, d("2026-11-09")));
        let due = cal.due_date(statutory).unwrap();
        assert_eq!(due, d("2026-12-07"));
        assert_eq!(cal.due_date(ico).unwrap(), d("2026-12-08"));
        // Chasers count from the later reading, whichever the round uses.
        assert_eq!(latest_due(&cal, arrived, due).unwrap(), d("2026-12-08"));
        // On a working day the two readings agree.
        let mon = d("2026-11-09");
        assert_eq!(
            latest_due(&cal, mon, cal.due_date(mon).unwrap()).unwrap(),
            cal.due_date(mon).unwrap()
        );
    }
}
