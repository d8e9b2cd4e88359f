//! Rendering letters from Handlebars templates.
//!
//! A letter `NAME` is three templates in `templates/letters/`: `NAME.subject.hbs`,
//! `NAME.txt.hbs` (plain text, never HTML-escaped) and `NAME.html.hbs` (HTML-escaped). The
//! partials `questions` and `signature` exist in both flavours. Strict mode is on: a variable
//! the context does not have is an error naming the template and line, never a blank in a
//! sent letter. A file of the same name in the configured override directory replaces the
//! shipped one; new names there add letters.
//!
//! Helpers: `{{uk_date d}}` turns `2024-07-30` into "30 July 2024"; `{{deadline d n}}` is the
//! date `n` working days after `d` under the FOIA calendar, as a UK long date.

use crate::domain::calendar::Calendar;
use chrono::NaiveDate;
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason,
};
use std::collections::BTreeMap;
use std::path::Path;

/// The shipped templates, embedded so the binary is self-contained.
const SHIPPED: &[(&str, &str)] = &[
    (
        "request.subject.hbs",
        include_str!("../../../../templates/letters/request.subject.hbs"),
    ),
    (
        "request.txt.hbs",
        include_str!("../../../../templates/letters/request.txt.hbs"),
    ),
    (
        "request.html.hbs",
        include_str!("../../../../templates/letters/request.html.hbs"),
    ),
    (
        "chaser.subject.hbs",
        include_str!("../../../../templates/letters/chaser.subject.hbs"),
    ),
    (
        "chaser.txt.hbs",
        include_str!("../../../../templates/letters/chaser.txt.hbs"),
    ),
    (
        "chaser.html.hbs",
        include_str!("../../../../templates/letters/chaser.html.hbs"),
    ),
    (
        "internal_review.subject.hbs",
        include_str!("../../../../templates/letters/internal_review.subject.hbs"),
    ),
    (
        "internal_review.txt.hbs",
        include_str!("../../../../templates/letters/internal_review.txt.hbs"),
    ),
    (
        "internal_review.html.hbs",
        include_str!("../../../../templates/letters/internal_review.html.hbs"),
    ),
    (
        "ico_complaint.subject.hbs",
        include_str!("../../../../templates/letters/ico_complaint.subject.hbs"),
    ),
    (
        "ico_complaint.txt.hbs",
        include_str!("../../../../templates/letters/ico_complaint.txt.hbs"),
    ),
    (
        "ico_complaint.html.hbs",
        include_str!("../../../../templates/letters/ico_complaint.html.hbs"),
    ),
    (
        "questions.txt.hbs",
        include_str!("../../../../templates/letters/questions.txt.hbs"),
    ),
    (
        "questions.html.hbs",
        include_str!("../../../../templates/letters/questions.html.hbs"),
    ),
    (
        "signature.txt.hbs",
        include_str!("../../../../templates/letters/signature.txt.hbs"),
    ),
    (
        "signature.html.hbs",
        include_str!("../../../../templates/letters/signature.html.hbs"),
    ),
];

const PARTIALS: &[&str] = &["questions", "signature"];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {file}{}: {message}. Fix the template (or the override in the template directory)",
        .line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Template {
        file: String,
        line: Option<usize>,
        message: String,
    },
    /// A letter the round writes itself (`[letters.*]`, the composer's letter fields).
    #[error("the round's {letter} letter, {part}{}: {message}. Correct the letter's text",
        .line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Inline {
        /// `request`, `chaser` or `internal_review`.
        letter: String,
        /// `subject` or `text`.
        part: &'static str,
        line: Option<usize>,
        message: String,
    },
    #[error("cannot read the template directory {dir}: {source}")]
    Io { dir: String, source: std::io::Error },
}

/// A rendered letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Renderer {
    text: Handlebars<'static>,
    html: Handlebars<'static>,
    /// file name → where it came from (for messages)
    sources: BTreeMap<String, String>,
    /// template name → its text as written
    texts: BTreeMap<String, String>,
}

/// "30 July 2024".
pub(crate) fn uk_long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn date_param(h: &Helper, i: usize, name: &'static str) -> Result<NaiveDate, RenderError> {
    let v = h
        .param(i)
        .ok_or(RenderErrorReason::ParamNotFoundForIndex(name, i))?;
    if v.is_value_missing() {
        return Err(RenderErrorReason::MissingVariable(v.relative_path().cloned()).into());
    }
    let s = v.value().as_str().unwrap_or_default();
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        RenderErrorReason::Other(format!("{name}: `{s}` is not a YYYY-MM-DD date")).into()
    })
}

// "1 working day", "2 working days": letters to public bodies say it properly.
handlebars::handlebars_helper!(working_days_h: |n: i64| if n == 1 { "1 working day".to_string() } else { format!("{n} working days") });

struct UkDate;
impl HelperDef for UkDate {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let d = date_param(h, 0, "uk_date")?;
        out.write(&uk_long_date(d))?;
        Ok(())
    }
}

struct Deadline(Calendar);
impl HelperDef for Deadline {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let d = date_param(h, 0, "deadline")?;
        let n = h.param(1).and_then(|v| v.value().as_u64()).unwrap_or(20) as u32;
        let due = self
            .0
            .add_working_days(d, n)
            .map_err(|e| RenderErrorReason::Other(e.to_string()))?;
        out.write(&uk_long_date(due))?;
        Ok(())
    }
}

fn registry(escape: bool, cal: &Calendar) -> Handlebars<'static> {
    let mut h = Handlebars::new();
    h.set_strict_mode(true);
    if !escape {
        h.register_escape_fn(handlebars::no_escape);
    }
    h.register_helper("uk_date", Box::new(UkDate));
    h.register_helper("working_days", Box::new(working_days_h));
    h.register_helper("deadline", Box::new(Deadline(cal.clone())));
    h
}

fn template_error(file: &str, e: &handlebars::TemplateError) -> TemplateError {
    TemplateError::Template {
        file: file.to_string(),
        line: e.pos().map(|p| p.0),
        message: e.reason().to_string(),
    }
}

impl Renderer {
    /// Loads the shipped templates, then any `*.hbs` in `override_dir`.
    pub fn load(override_dir: Option<&Path>, cal: &Calendar) -> Result<Renderer, TemplateError> {
        let mut files: BTreeMap<String, (String, String)> = SHIPPED
            .iter()
            .map(|(n, t)| {
                (
                    n.to_string(),
                    (t.to_string(), format!("templates/letters/{n}")),
                )
            })
            .collect();
        if let Some(dir) = override_dir {
            let rd = std::fs::read_dir(dir).map_err(|source| TemplateError::Io {
                dir: dir.display().to_string(),
                source,
            })?;
            for entry in rd.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".hbs") {
                    let bytes =
                        std::fs::read(entry.path()).map_err(|source| TemplateError::Io {
                            dir: dir.display().to_string(),
                            source,
                        })?;
                    let file = entry.path().display().to_string();
                    let bad = |message: String| TemplateError::Template {
                        file: file.clone(),
                        line: None,
                        message,
                    };
                    if bytes.len() > crate::domain::text::MAX_TEMPLATE {
                        return Err(bad(format!(
                            "{} bytes; a template may have at most {}",
                            bytes.len(),
                            crate::domain::text::MAX_TEMPLATE
                        )));
                    }
                    let text = crate::domain::text::utf8(&bytes, &file)
                        .map_err(bad)?
                        .to_string();
                    files.insert(name, (text, entry.path().display().to_string()));
                }
            }
        }
        let mut text = registry(false, cal);
        let mut html = registry(true, cal);
        let mut sources = BTreeMap::new();
        let mut texts = BTreeMap::new();
        for (name, (body, source)) in &files {
            let stem = name.trim_end_matches(".hbs");
            let (base, flavour) = stem.rsplit_once('.').unwrap_or((stem, ""));
            let reg = match flavour {
                "html" => &mut html,
                "txt" | "subject" => &mut text,
                _ => continue,
            };
            // Partials are used as `{{> questions.txt}}` / `{{> questions.html}}`.
            let r = if PARTIALS.contains(&base) {
                reg.register_partial(stem, body.as_str())
            } else {
                reg.register_template_string(stem, body.as_str())
            };
            r.map_err(|e| template_error(source, &e))?;
            sources.insert(stem.to_string(), source.clone());
            texts.insert(stem.to_string(), body.clone());
        }
        Ok(Renderer {
            text,
            html,
            sources,
            texts,
        })
    }

    /// Letter `name`'s subject and plain-text templates as written (the composer starts a
    /// round's own letter from them).
    pub fn letter_source(&self, name: &str) -> Option<(String, String)> {
        Some((
            self.texts
                .get(&format!("{name}.subject"))?
                .trim()
                .to_string(),
            self.texts.get(&format!("{name}.txt"))?.clone(),
        ))
    }

    /// Whether letter `name` has all three parts.
    pub fn has_letter(&self, name: &str) -> bool {
        ["subject", "txt", "html"]
            .iter()
            .all(|f| self.sources.contains_key(&format!("{name}.{f}")))
    }

    fn render_one(
        &self,
        reg: &Handlebars<'static>,
        key: &str,
        ctx: &serde_json::Value,
    ) -> Result<String, TemplateError> {
        reg.render(key, ctx).map_err(|e| {
            let file = e
                .template_name
                .as_deref()
                .map(|n| {
                    self.sources
                        .get(n)
                        .or_else(|| self.sources.get(&format!("{n}.txt")))
                        .cloned()
                        .unwrap_or_else(|| n.to_string())
                })
                .unwrap_or_else(|| self.sources.get(key).cloned().unwrap_or_else(|| key.to_string()));
            let message = match e.reason() {
                RenderErrorReason::MissingVariable(Some(v)) => format!(
                    "the variable `{v}` is not available (strict mode: a letter is never sent with a blank)"
                ),
                other => other.to_string(),
            };
            TemplateError::Template {
                file,
                line: e.line_no,
                message,
            }
        })
    }

    /// Renders a letter the round writes itself: its subject and text as Handlebars with the
    /// same helpers, partials (`{{> questions.txt}}`, `{{> signature.txt}}`) and strict mode
    /// as the template files. Returns the subject (on one line) and the text; the caller
    /// makes the HTML part from the text.
    pub fn render_inline(
        &self,
        letter: &str,
        subject: &str,
        text: &str,
        ctx: &serde_json::Value,
    ) -> Result<(String, String), TemplateError> {
        let one = |part: &'static str, source: &str| {
            self.text.render_template(source, ctx).map_err(|e| {
                let message = match e.reason() {
                    RenderErrorReason::MissingVariable(Some(v)) => format!(
                        "the placeholder `{{{{{v}}}}}` is not one a letter can use (strict mode: a letter is never sent with a blank)"
                    ),
                    RenderErrorReason::TemplateError(t) => t.reason().to_string(),
                    other => other.to_string(),
                };
                let line = e.line_no.or_else(|| match e.reason() {
                    RenderErrorReason::TemplateError(t) => t.pos().map(|p| p.0),
                    _ => None,
                });
                TemplateError::Inline {
                    letter: letter.to_string(),
                    part,
                    line,
                    message,
                }
            })
        };
        let subject = one("subject", subject)?;
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok((subject, one("text", text)?))
    }

    /// Renders letter `name` with `ctx`.
    pub fn render(&self, name: &str, ctx: &serde_json::Value) -> Result<Letter, TemplateError> {
        if !self.has_letter(name) {
            return Err(TemplateError::Template {
                file: format!("templates/letters/{name}.{{subject,txt,html}}.hbs"),
                line: None,
                message: format!("letter template `{name}` is incomplete or missing"),
            });
        }
        let subject = self.render_one(&self.text, &format!("{name}.subject"), ctx)?;
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(Letter {
            subject,
            text: self.render_one(&self.text, &format!("{name}.txt"), ctx)?,
            html: self.render_one(&self.html, &format!("{name}.html"), ctx)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> serde_json::Value {
        json!({
            "round": {"slug": "t", "title": "Test & <Round>"},
            "authority": {"code": "QHM", "name": "NHS <North> & East"},
            "requester": {"name": "Ann", "organisation": "Org", "email": "a@o.org", "postal_address": null},
            "reference": "T-QHM",
            "ref_token": "[FOI ref T-QHM]",
            "questions": [{"id": "q1", "number": 1, "text": "Is 1 < 2 & 3 > 2?"}],
            "today": "2024-07-01",
            "sent_on": "2024-07-01",
            "due_on": "2024-07-30",
            "working_days_overdue": 0,
            "regime": {"id": "foia", "act": "Freedom of Information Act 2000", "provision": "section 10(1)", "label": "FOIA s.10", "regulator": "Information Commissioner"},
            "review_by": "2024-07-30",
            "original": {"sent_on": "2024-07-01", "subject": "s", "message_id": "<m@x>"}
        })
    }

    #[test]
    fn text_is_not_escaped_and_html_is() {
        let r = Renderer::load(None, &Calendar::shipped()).unwrap();
        let l = r.render("request", &ctx()).unwrap();
        assert!(l.text.contains("Dear NHS <North> & East"), "{}", l.text);
        assert!(l.text.contains("1. Is 1 < 2 & 3 > 2?"));
        assert!(
            l.html.contains("NHS &lt;North&gt; &amp; East"),
            "{}",
            l.html
        );
        assert!(l.subject.ends_with("[FOI ref T-QHM]"));
        assert!(!l.subject.contains('\n'));
    }

    #[test]
    fn helpers_format_dates_and_deadlines() {
        let r = Renderer::load(None, &Calendar::shipped()).unwrap();
        let l = r.render("internal_review", &ctx()).unwrap();
        assert!(l.text.contains("on 1 July 2024"), "{}", l.text);
        assert!(l.text.contains("by 30 July 2024"), "{}", l.text);
        assert!(
            l.text
                .contains("section 10(1) of the Freedom of Information Act 2000"),
            "{}",
            l.text
        );
        // The `deadline` helper stays for override templates: 20 working days from 1 July
        // 2024 (12 July, Northern Ireland, skipped) is 30 July.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("request.txt.hbs"),
            "Due {{deadline today 20}}.\n",
        )
        .unwrap();
        let r = Renderer::load(Some(dir.path()), &Calendar::shipped()).unwrap();
        let l = r.render("request", &ctx()).unwrap();
        assert!(l.text.contains("Due 30 July 2024."), "{}", l.text);
    }

    #[test]
    fn a_missing_variable_is_an_error_naming_template_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("request.txt.hbs"),
            "Dear {{authority.name}},\n\n{{authority.salutation}}\n",
        )
        .unwrap();
        let r = Renderer::load(Some(dir.path()), &Calendar::shipped()).unwrap();
        let e = r.render("request", &ctx()).unwrap_err().to_string();
        assert!(e.contains("request.txt.hbs"), "{e}");
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("authority.salutation"), "{e}");
    }

    #[test]
    fn a_broken_template_fails_at_load_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("chaser.txt.hbs"),
            "line one\n{{#if x}}\nunclosed\n",
        )
        .unwrap();
        let e = Renderer::load(Some(dir.path()), &Calendar::shipped())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("chaser.txt.hbs"), "{e}");
    }

    #[test]
    fn override_adds_a_letter() {
        let dir = tempfile::tempdir().unwrap();
        let r = Renderer::load(None, &Calendar::shipped()).unwrap();
        assert!(!r.has_letter("thanks"));
        for (f, t) in [
            ("thanks.subject.hbs", "Thanks"),
            ("thanks.txt.hbs", "Thanks {{authority.name}}"),
            ("thanks.html.hbs", "<p>Thanks</p>"),
        ] {
            std::fs::write(dir.path().join(f), t).unwrap();
        }
        let r = Renderer::load(Some(dir.path()), &Calendar::shipped()).unwrap();
        assert!(r.has_letter("thanks"));
        assert_eq!(
            r.render("thanks", &ctx()).unwrap().text,
            "Thanks NHS <North> & East"
        );
    }
}
