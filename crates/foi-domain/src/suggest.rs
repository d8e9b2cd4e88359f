//! Suggested codes, with the sentences that support them: a starting point for the coder, never
//! applied on its own.
//!
//! The codebook may give each category `hints`: words and phrases that, in a response, speak
//! for it (`"no MSK lead"`, `"fracture liaison"`, `"orthopaed*"` for words that start so). The
//! response's text (the reply and every attachment read) is cut into sentences, each knowing
//! the page, sheet or file it is on; a hint matches whole words, case and punctuation aside.
//! Where two categories' hints match in one sentence and one match lies inside the other
//! ("waiting" inside "support while waiting"), the longer, more specific one speaks. A single
//! choice takes the category that the most sentences speak for (the earlier in the codebook
//! on a tie); a multiple choice takes every category spoken for. A variable that applies only
//! under a condition (`when = "msk_lead = yes"`) is suggested only when the suggestions meet it.
//! Quoted text (lines starting `>`, and everything after "-----Original Message-----" or an
//! Outlook "From: … Sent:" header) is left out: it is usually our own request, quoted back.

use super::codebook::{Codebook, Condition, VarKind};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A sentence that speaks for a suggested value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Which document: "the reply" or the attachment's file name.
    pub document: String,
    /// Page, sheet or archive member, when the document says.
    pub location: Option<String>,
    pub sentence: String,
    /// The hints that matched, as written in the codebook.
    pub hints: Vec<String>,
}

/// What `foi` suggests for one variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub variable: String,
    /// Category ids (one for a single choice).
    pub values: Vec<String>,
    /// Per value, the sentences that speak for it (at most three each).
    pub evidence: BTreeMap<String, Vec<Evidence>>,
    /// Why, when no sentence is the reason (a value suggested for the hints' absence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How often one hint occurs in one document, and on how many pages (or sheets, files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HintCount {
    pub hint: String,
    pub mentions: usize,
    /// Distinct pages, sheets or files it is on (0 when the document has no markers).
    pub places: usize,
}

/// For one variable and one document: each of its hints counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mentions {
    pub variable: String,
    pub document: String,
    pub counts: Vec<HintCount>,
}

impl Mentions {
    /// "MSK: 14 mentions on 9 pages; chronic pain: 0".
    pub fn describe(&self) -> String {
        self.counts
            .iter()
            .map(|c| match (c.mentions, c.places) {
                (0, _) => format!("{}: 0", c.hint),
                (m, 0) => format!("{}: {m} {}", c.hint, plural(m, "mention")),
                (m, p) => format!(
                    "{}: {m} {} on {p} {}",
                    c.hint,
                    plural(m, "mention"),
                    plural(p, "page")
                ),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// Each variable's hints counted in each document (variables without hints left out).
pub fn mentions(codebook: &Codebook, docs: &[(String, String)]) -> Vec<Mentions> {
    let sents = sentences(docs);
    let mut out = Vec::new();
    for v in &codebook.variables {
        let mut hints: Vec<&String> = v.categories.iter().flat_map(|c| &c.hints).collect();
        hints.dedup();
        if hints.is_empty() {
            continue;
        }
        for (doc, _) in docs {
            let counts = hints
                .iter()
                .filter_map(|h| pattern(h).map(|p| (h, p)))
                .map(|(h, p)| {
                    let mut mentions = 0;
                    let mut places = BTreeSet::new();
                    for s in sents.iter().filter(|s| &s.document == doc) {
                        let n = find_all(&s.norm, &p).len();
                        if n > 0 {
                            mentions += n;
                            if let Some(l) = &s.location {
                                places.insert(l.clone());
                            }
                        }
                    }
                    HintCount {
                        hint: h.trim_end_matches('*').to_string(),
                        mentions,
                        places: places.len(),
                    }
                })
                .collect();
            out.push(Mentions {
                variable: v.id.clone(),
                document: doc.clone(),
                counts,
            });
        }
    }
    out
}

/// One sentence of a document, with where it is.
#[derive(Debug, Clone)]
struct Sentence {
    document: String,
    location: Option<String>,
    text: String,
    /// Lowercased words joined by single spaces, with a space either side.
    norm: String,
}

/// Lowercased words (letters and digits) joined by single spaces, padded with a space.
fn normalise(s: &str) -> String {
    let mut out = String::from(" ");
    for w in s
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push_str(&w.to_lowercase());
        out.push(' ');
    }
    out
}

/// A hint as a pattern over normalised text: " no msk lead " (whole words), or " orthopaed"
/// for `orthopaed*` (words that start so).
fn pattern(hint: &str) -> Option<String> {
    let prefix = hint.trim_end().ends_with('*');
    let n = normalise(hint);
    if n.trim().is_empty() {
        return None;
    }
    Some(if prefix { n.trim_end().to_string() } else { n })
}

/// The text without what is quoted from earlier mail.
pub fn unquoted(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim();
        if t.starts_with('>') {
            continue;
        }
        let lower = t.to_lowercase();
        if lower.contains("-----original message-----")
            || (lower.starts_with("from:")
                && lines
                    .peek()
                    .is_some_and(|n| n.trim().to_lowercase().starts_with("sent:")))
        {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Cuts documents into sentences, each with its document and location (the extractors'
/// markers: "--- page 2 ---", "--- sheet Data ---", "--- file a.pdf ---").
fn sentences(docs: &[(String, String)]) -> Vec<Sentence> {
    let mut out = Vec::new();
    for (document, text) in docs {
        let mut location: Option<String> = None;
        let mut buf = String::new();
        let flush = |buf: &mut String, location: &Option<String>, out: &mut Vec<Sentence>| {
            let t = buf.split_whitespace().collect::<Vec<_>>().join(" ");
            if !t.is_empty() {
                out.push(Sentence {
                    document: document.clone(),
                    location: location.clone(),
                    norm: normalise(&t),
                    text: t,
                });
            }
            buf.clear();
        };
        for line in text.lines() {
            let l = line.trim();
            if let Some(m) = l.strip_prefix("--- ").and_then(|r| r.strip_suffix(" ---")) {
                flush(&mut buf, &location, &mut out);
                location = Some(m.to_string());
                continue;
            }
            // A blank line or a list item ends a sentence too.
            if l.is_empty() || l.starts_with(['-', '•', '*']) {
                flush(&mut buf, &location, &mut out);
            }
            let mut chars = l.char_indices().peekable();
            let mut from = 0;
            while let Some((i, c)) = chars.next() {
                let end = matches!(c, '.' | '?' | '!' | ';')
                    && chars.peek().is_none_or(|(_, n)| n.is_whitespace());
                if end {
                    buf.push_str(&l[from..i + c.len_utf8()]);
                    flush(&mut buf, &location, &mut out);
                    from = i + c.len_utf8();
                }
            }
            buf.push_str(&l[from..]);
            buf.push(' ');
        }
        flush(&mut buf, &location, &mut out);
    }
    out
}

/// Where `pat` matches in `norm`: byte ranges.
fn find_all(norm: &str, pat: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = norm[from..].find(pat) {
        let s = from + p;
        out.push((s, s + pat.len()));
        from = s + 1;
    }
    out
}

/// Suggestions for every variable with hints, from `docs` (document name, text).
pub fn suggest(codebook: &Codebook, docs: &[(String, String)]) -> Vec<Suggestion> {
    let sents = sentences(docs);
    let mut found: Vec<Suggestion> = Vec::new();
    for v in &codebook.variables {
        let hinted: Vec<(&str, Vec<(String, String)>)> = v
            .categories
            .iter()
            .map(|c| {
                (
                    c.id.as_str(),
                    c.hints
                        .iter()
                        .filter_map(|h| pattern(h).map(|p| (p, h.clone())))
                        .collect(),
                )
            })
            .filter(|(_, h): &(&str, Vec<_>)| !h.is_empty())
            .collect();
        if hinted.is_empty() {
            continue;
        }
        // Per category: the sentences that speak for it, and with which hints.
        let mut speaks: BTreeMap<&str, Vec<Evidence>> = BTreeMap::new();
        for s in &sents {
            // (category, span, hint) of every match in this sentence.
            let mut matches: Vec<(&str, (usize, usize), &str)> = Vec::new();
            for (cat, hints) in &hinted {
                for (pat, hint) in hints {
                    for span in find_all(&s.norm, pat) {
                        matches.push((cat, span, hint.as_str()));
                    }
                }
            }
            // A match inside another category's longer match does not speak.
            let kept: Vec<&(&str, (usize, usize), &str)> = matches
                .iter()
                .filter(|(cat, (a, b), _)| {
                    !matches.iter().any(|(c2, (a2, b2), _)| {
                        c2 != cat && a2 <= a && b <= b2 && (b2 - a2) > (b - a)
                    })
                })
                .collect();
            let cats: Vec<&str> = if v.kind == VarKind::Multiple {
                let set: BTreeSet<&str> = kept.iter().map(|m| m.0).collect();
                set.into_iter().collect()
            } else {
                // One category per sentence: the one with the longest match.
                kept.iter()
                    .max_by_key(|m| (m.1 .1 - m.1 .0, std::cmp::Reverse(m.1 .0)))
                    .map(|m| vec![m.0])
                    .unwrap_or_default()
            };
            for cat in cats {
                let mut hints: Vec<String> = kept
                    .iter()
                    .filter(|m| m.0 == cat)
                    .map(|m| m.2.to_string())
                    .collect();
                hints.dedup();
                speaks.entry(cat).or_default().push(Evidence {
                    document: s.document.clone(),
                    location: s.location.clone(),
                    sentence: s.text.clone(),
                    hints,
                });
            }
        }
        if speaks.is_empty() {
            // Nothing speaks for any value: where the codebook says what silence means, and
            // there was something to read, that is the suggestion.
            if let (Some(a), false) = (&v.absent, docs.is_empty()) {
                let all: Vec<&str> = hinted
                    .iter()
                    .flat_map(|(_, h)| h.iter().map(|(_, w)| w.as_str()))
                    .collect();
                found.push(Suggestion {
                    variable: v.id.clone(),
                    values: vec![a.clone()],
                    evidence: BTreeMap::new(),
                    note: Some(format!(
                        "none of its hints ({}) is in {}",
                        all.join(", "),
                        match docs.len() {
                            1 => "the document read".to_string(),
                            n => format!("the {n} documents read"),
                        }
                    )),
                });
            }
            continue;
        }
        let order = |id: &str| v.categories.iter().position(|c| c.id == id).unwrap_or(0);
        let mut values: Vec<&str> = if v.kind == VarKind::Multiple {
            speaks.keys().copied().collect()
        } else {
            let best = speaks
                .iter()
                .max_by_key(|(id, ev)| (ev.len(), std::cmp::Reverse(order(id))))
                .map(|(id, _)| *id)
                .into_iter()
                .collect();
            best
        };
        values.sort_by_key(|id| order(id));
        let evidence = values
            .iter()
            .map(|id| {
                let mut ev = speaks.get(id).cloned().unwrap_or_default();
                ev.truncate(3);
                (id.to_string(), ev)
            })
            .collect();
        found.push(Suggestion {
            variable: v.id.clone(),
            values: values.iter().map(|s| s.to_string()).collect(),
            evidence,
            note: None,
        });
    }
    // Conditions: a variable that applies only when another has a value is suggested only
    // when the suggestions give it that value.
    let values: BTreeMap<String, BTreeSet<String>> = found
        .iter()
        .map(|s| (s.variable.clone(), s.values.iter().cloned().collect()))
        .collect();
    found.retain(|s| {
        codebook
            .variable(&s.variable)
            .and_then(|v| v.when.as_deref())
            .and_then(|w| Condition::parse(w).ok())
            .is_none_or(|c| c.holds(&values))
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> Codebook {
        toml::from_str(
            r#"
[[variables]]
id = "msk_lead"
label = "MSK lead?"
kind = "single"
categories = [
  { id = "yes", label = "Yes", hints = ["MSK lead is", "clinical lead for MSK"] },
  { id = "no", label = "No", hints = ["no MSK lead", "does not have an MSK lead"] },
]
[[variables]]
id = "lead_title"
label = "Title"
kind = "single"
when = "msk_lead = yes"
categories = [ { id = "director", label = "Director", hints = ["director"] } ]
[[variables]]
id = "priority_areas"
label = "Areas"
kind = "multiple"
categories = [
  { id = "waiting", label = "Waiting", hints = ["waiting"] },
  { id = "support_while_waiting", label = "Support while waiting", hints = ["support while waiting", "prehab*"] },
  { id = "pathways", label = "Pathways", hints = ["pathway*"] },
]
"#,
        )
        .unwrap()
    }

    fn docs(text: &str) -> Vec<(String, String)> {
        vec![("the reply".to_string(), text.to_string())]
    }

    #[test]
    fn the_most_specific_hint_speaks_and_evidence_says_where() {
        let s = suggest(
            &book(),
            &[(
                "letter.pdf".into(),
                "--- page 1 ---\nThank you.\n--- page 2 ---\nThe ICB does not have an MSK lead. The director of planning oversees it."
                    .into(),
            )],
        );
        let lead = s.iter().find(|x| x.variable == "msk_lead").unwrap();
        assert_eq!(lead.values, vec!["no"]);
        let ev = &lead.evidence["no"][0];
        assert_eq!(ev.location.as_deref(), Some("page 2"));
        assert_eq!(ev.sentence, "The ICB does not have an MSK lead.");
        assert_eq!(ev.hints, vec!["does not have an MSK lead"]);
        // lead_title applies only when msk_lead = yes: not suggested although "director" is there.
        assert!(s.iter().all(|x| x.variable != "lead_title"), "{s:?}");
    }

    #[test]
    fn a_multiple_choice_takes_every_category_and_nested_matches_do_not_count_twice() {
        let s = suggest(
            &book(),
            &docs("Our priorities: support while waiting for surgery; redesigned pathways.\n"),
        );
        let areas = s.iter().find(|x| x.variable == "priority_areas").unwrap();
        assert_eq!(areas.values, vec!["support_while_waiting", "pathways"]);
        let s = suggest(
            &book(),
            &docs("Waiting times are our focus. Prehabilitation too."),
        );
        let areas = s.iter().find(|x| x.variable == "priority_areas").unwrap();
        assert_eq!(areas.values, vec!["waiting", "support_while_waiting"]);
    }

    #[test]
    fn a_condition_met_lets_the_dependent_variable_through_and_quotes_are_left_out() {
        let text = unquoted(
            "Our MSK lead is the Director of Elective Care.\n> Is there no MSK lead?\n-----Original Message-----\nno MSK lead, no MSK lead",
        );
        assert_eq!(text, "Our MSK lead is the Director of Elective Care.\n");
        let s: Vec<_> = suggest(&book(), &docs(&text))
            .into_iter()
            .map(|x| (x.variable, x.values))
            .collect();
        assert_eq!(
            s,
            vec![
                ("msk_lead".to_string(), vec!["yes".to_string()]),
                ("lead_title".to_string(), vec!["director".to_string()])
            ]
        );
        let outlook = unquoted("Yes.\nFrom: Someone\nSent: Monday\nno MSK lead");
        assert_eq!(outlook, "Yes.\n");
    }

    #[test]
    fn no_hint_no_suggestion() {
        assert!(suggest(&book(), &docs("Nothing relevant here.")).is_empty());
        assert!(suggest(&Codebook::default(), &docs("no MSK lead")).is_empty());
    }

    fn plan_book() -> Codebook {
        toml::from_str(
            r#"
[[variables]]
id = "msk_reference"
label = "MSK?"
kind = "yes_no"
absent = "no"
categories = [ { id = "yes", label = "Yes", hints = ["MSK", "musculoskeletal", "orthopaed*"] }, { id = "no", label = "No" } ]
[[variables]]
id = "pain_reference"
label = "Pain?"
kind = "yes_no"
absent = "no"
categories = [ { id = "yes", label = "Yes", hints = ["chronic pain", "persistent pain"] }, { id = "no", label = "No" } ]
"#,
        )
        .unwrap()
    }

    #[test]
    fn a_plan_silent_on_a_subject_suggests_its_absent_value_and_hints_are_counted_by_page() {
        let plan = vec![(
            "plan.pdf".to_string(),
            "--- page 1 ---\nOur MSK services grow. MSK hubs open.\n--- page 2 ---\nFinance.\n--- page 3 ---\nOrthopaedic surgery waits fall.\n".to_string(),
        )];
        assert!(
            plan_book().validate().is_empty(),
            "{:?}",
            plan_book().validate()
        );
        let s = suggest(&plan_book(), &plan);
        let msk = s.iter().find(|x| x.variable == "msk_reference").unwrap();
        assert_eq!(msk.values, vec!["yes"]);
        assert!(msk.note.is_none());
        let pain = s.iter().find(|x| x.variable == "pain_reference").unwrap();
        assert_eq!(pain.values, vec!["no"]);
        assert_eq!(
            pain.note.as_deref(),
            Some("none of its hints (chronic pain, persistent pain) is in the document read")
        );
        let m = mentions(&plan_book(), &plan);
        assert_eq!(
            m[0].describe(),
            "MSK: 2 mentions on 1 page; musculoskeletal: 0; orthopaed: 1 mention on 1 page"
        );
        assert_eq!(m[1].describe(), "chronic pain: 0; persistent pain: 0");
        // Nothing read: no suggestion from silence.
        assert!(suggest(&plan_book(), &[])
            .iter()
            .all(|x| x.variable != "pain_reference"));
    }

    #[test]
    fn an_absent_value_that_is_not_a_value_and_odd_yes_no_categories_are_refused() {
        let mut b = plan_book();
        b.variables[0].absent = Some("maybe".into());
        b.variables[1].categories[0].id = "sometimes".into();
        let problems: Vec<String> = b.validate().into_iter().map(|p| p.to_string()).collect();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`absent`: `maybe` is not one of its values")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("can only be `yes` and `no`, not `sometimes`")),
            "{problems:?}"
        );
    }
}
