//! Redaction for publication ("censor rules", as WhatDoTheyKnow calls them): what is masked in
//! every published text, subject, file name and CSV cell.
//!
//! By default every e-mail address and UK telephone number is masked, except the addresses the
//! round keeps (each body's published FOI address). The round file adds literal rules (an
//! officer's name, matched whatever its case) and regular-expression rules, for every body or
//! for one. Rules run in order: the round's and the body's own rules first, then the defaults,
//! so a rule can remove an address the defaults would keep.

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

/// One rule, as written in the round file under `[[publish.redact]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Text to remove, matched whatever its case (`"Jane Doe"`).
    #[serde(default)]
    pub text: Option<String>,
    /// A regular expression to remove (`"Dr\\.? [A-Z][a-z]+"`).
    #[serde(default)]
    pub regex: Option<String>,
    /// What stands in its place.
    #[serde(default = "default_replacement")]
    pub replacement: String,
    /// Only in what this body (register code) sent.
    #[serde(default)]
    pub body: Option<String>,
}

fn default_replacement() -> String {
    "[redacted]".into()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("[[publish.redact]] rule {n}: give `text` or `regex` (one of them)")]
    Neither { n: usize },
    #[error("[[publish.redact]] rule {n}: `{regex}` is not a regular expression: {message}")]
    BadRegex {
        n: usize,
        regex: String,
        message: String,
    },
}

/// The rules, compiled, for one body's texts.
#[derive(Debug, Clone)]
pub struct Redactor {
    rules: Vec<(Regex, String)>,
    /// Looked up for every address in the text: a set, as the whole round's list (100,000
    /// addresses on a findings page) is kept at once.
    keep: std::collections::HashSet<String>,
}

const EMAIL: &str = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+";
/// +44 or a leading 0, then digits with the spaces, dashes, dots and brackets people write.
const PHONE: &str = r"(?:\+\s?44\s?(?:\(0\)\s?)?|\(?\b0)[0-9](?:[\s.\-()]{0,2}[0-9]){7,11}";

impl Redactor {
    /// Compiles `rules` that apply to `body` (round-wide ones and its own), keeping `keep`
    /// addresses (compared whatever their case).
    pub fn new(rules: &[Rule], body: &str, keep: &[String]) -> Result<Redactor, RuleError> {
        let mut out = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let n = i + 1;
            if r.body
                .as_deref()
                .is_some_and(|b| !b.eq_ignore_ascii_case(body))
            {
                continue;
            }
            let pattern = match (&r.text, &r.regex) {
                (Some(t), None) if !t.trim().is_empty() => regex::escape(t.trim()),
                (None, Some(x)) => x.clone(),
                _ => return Err(RuleError::Neither { n }),
            };
            let re = RegexBuilder::new(&pattern)
                .case_insensitive(r.text.is_some())
                .size_limit(1 << 20)
                .build()
                .map_err(|e| RuleError::BadRegex {
                    n,
                    regex: pattern.clone(),
                    message: e.to_string(),
                })?;
            out.push((re, r.replacement.clone()));
        }
        Ok(Redactor {
            rules: out,
            keep: keep.iter().map(|k| k.to_ascii_lowercase()).collect(),
        })
    }

    /// Checks rules without a body in mind (for `foi round create` and `foi publish`).
    pub fn check(rules: &[Rule]) -> Result<(), RuleError> {
        Redactor::new(rules, "", &[]).map(|_| ())
    }

    /// `text` with every rule applied.
    pub fn apply(&self, text: &str) -> String {
        static EMAIL_RE: std::sync::LazyLock<Regex> =
            std::sync::LazyLock::new(|| Regex::new(EMAIL).expect("a valid pattern"));
        static PHONE_RE: std::sync::LazyLock<Regex> =
            std::sync::LazyLock::new(|| Regex::new(PHONE).expect("a valid pattern"));
        let mut s = text.to_string();
        for (re, with) in &self.rules {
            s = re.replace_all(&s, regex::NoExpand(with)).into_owned();
        }
        s = EMAIL_RE
            .replace_all(&s, |c: &regex::Captures| {
                let m = &c[0];
                if self.keep.contains(&m.to_ascii_lowercase()) {
                    m.to_string()
                } else {
                    "[email address]".to_string()
                }
            })
            .into_owned();
        PHONE_RE
            .replace_all(&s, |c: &regex::Captures| {
                let digits = c[0].chars().filter(char::is_ascii_digit).count();
                if (10..=13).contains(&digits) {
                    "[telephone number]".to_string()
                } else {
                    c[0].to_string()
                }
            })
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: Option<&str>, regex: Option<&str>, body: Option<&str>) -> Rule {
        Rule {
            text: text.map(str::to_string),
            regex: regex.map(str::to_string),
            replacement: "[name]".into(),
            body: body.map(str::to_string),
        }
    }

    #[test]
    fn addresses_and_uk_numbers_are_masked_except_the_kept_address() {
        let r = Redactor::new(&[], "QHM", &["FOI@body.nhs.uk".into()]).unwrap();
        let out = r.apply(
            "Write to foi@body.nhs.uk or jane.doe@body.nhs.uk. Call 0191 496 0000, \
             +44 (0)20 7946 0123, 07700 900123 or (01632) 960 001. Ref 2026/123; 12 beds.",
        );
        assert!(out.contains("foi@body.nhs.uk"), "{out}");
        assert!(!out.contains("jane.doe"), "{out}");
        for n in ["0191 496 0000", "7946 0123", "07700 900123", "960 001"] {
            assert!(!out.contains(n), "{n} left in: {out}");
        }
        assert_eq!(out.matches("[telephone number]").count(), 4, "{out}");
        assert!(out.contains("Ref 2026/123; 12 beds."), "{out}");
    }

    #[test]
    fn literal_rules_ignore_case_regex_rules_apply_and_body_rules_stay_with_their_body() {
        let rules = vec![
            rule(Some("Jane Doe"), None, None),
            rule(None, Some(r"Dr\.? [A-Z][a-z]+"), None),
            rule(Some("Ward 7"), None, Some("QHM")),
        ];
        let r = Redactor::new(&rules, "QHM", &[]).unwrap();
        assert_eq!(
            r.apply("JANE DOE and Dr Smith on Ward 7."),
            "[name] and [name] on [name]."
        );
        let other = Redactor::new(&rules, "QF7", &[]).unwrap();
        assert_eq!(other.apply("Ward 7"), "Ward 7");
        assert_eq!(
            Redactor::new(&[rule(None, Some("("), None)], "X", &[])
                .unwrap_err()
                .to_string()
                .split(':')
                .next()
                .unwrap(),
            "[[publish.redact]] rule 1"
        );
        assert!(matches!(
            Redactor::new(&[rule(None, None, None)], "X", &[]),
            Err(RuleError::Neither { n: 1 })
        ));
    }
}
