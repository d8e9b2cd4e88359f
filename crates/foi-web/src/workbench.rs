//! The coding workbench on the request page: the response's text (the reply and every
//! attachment read, with page and sheet markers) beside the coding form, each variable's
//! suggestion with the sentences behind it, and the hints marked in the text.

use crate::domain::suggest::Suggestion;
use crate::services::suggest::Reading;
use serde_json::{json, Value};

/// A regex matching any of the hints as whole words, case and punctuation aside.
fn hints_regex(hints: &[String]) -> Option<regex::Regex> {
    let alts: Vec<String> = hints
        .iter()
        .filter_map(|h| {
            let prefix = h.trim_end().ends_with('*');
            let words: Vec<String> = h
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(regex::escape)
                .collect();
            if words.is_empty() {
                return None;
            }
            Some(format!(
                r"\b{}{}",
                words.join(r"[^\p{L}\p{N}]+"),
                if prefix { r"\w*" } else { r"\b" }
            ))
        })
        .collect();
    if alts.is_empty() {
        return None;
    }
    regex::RegexBuilder::new(&alts.join("|"))
        .case_insensitive(true)
        .build()
        .ok()
}

/// `text` as HTML with every match of `re` in `<mark>`.
fn marked(text: &str, re: Option<&regex::Regex>) -> String {
    let Some(re) = re else {
        return handlebars::html_escape(text);
    };
    let mut out = String::new();
    let mut at = 0;
    for m in re.find_iter(text) {
        out.push_str(&handlebars::html_escape(&text[at..m.start()]));
        out.push_str("<mark>");
        out.push_str(&handlebars::html_escape(m.as_str()));
        out.push_str("</mark>");
        at = m.end();
    }
    out.push_str(&handlebars::html_escape(&text[at..]));
    out
}

/// The documents to read, with the hints behind every suggestion marked.
pub fn documents(reading: &Reading, suggestions: &[Suggestion]) -> Value {
    let hints: Vec<String> = suggestions
        .iter()
        .flat_map(|s| s.evidence.values().flatten())
        .flat_map(|e| e.hints.iter().cloned())
        .collect();
    let re = hints_regex(&hints);
    let docs: Vec<Value> = reading
        .docs
        .iter()
        .map(|(name, text)| json!({"name": name, "html": marked(text, re.as_ref())}))
        .collect();
    let unread: Vec<Value> = reading
        .unread
        .iter()
        .map(|(name, why)| json!({"name": name, "why": why}))
        .collect();
    json!({"docs": docs, "unread": unread})
}

/// For one variable: what is suggested (labels) and the evidence, as HTML-ready values.
pub(crate) fn suggestion_for(
    variable: &crate::domain::codebook::Variable,
    suggestions: &[Suggestion],
) -> Value {
    let Some(s) = suggestions.iter().find(|s| s.variable == variable.id) else {
        return Value::Null;
    };
    let label = |id: &str| {
        variable
            .categories
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.label.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let evidence: Vec<Value> = s
        .values
        .iter()
        .flat_map(|v| {
            s.evidence.get(v).into_iter().flatten().map(move |e| {
                let re = hints_regex(&e.hints);
                json!({
                    "value": label(v),
                    "where": match &e.location { Some(l) => format!("{}, {l}", e.document), None => e.document.clone() },
                    "html": marked(&e.sentence, re.as_ref()),
                })
            })
        })
        .collect();
    json!({
        "labels": s.values.iter().map(|v| label(v)).collect::<Vec<_>>().join(", "),
        "values": s.values,
        "evidence": evidence,
        "note": s.note,
    })
}

/// For one variable: its hints counted in each document ("plan.pdf: MSK: 14 mentions on 9
/// pages; chronic pain: 0"), so the coder sees how much, and where, before reading.
pub(crate) fn counts_for(
    variable: &crate::domain::codebook::Variable,
    mentions: &[crate::domain::suggest::Mentions],
) -> Vec<String> {
    mentions
        .iter()
        .filter(|m| m.variable == variable.id)
        .map(|m| format!("{}: {}", m.document, m.describe()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_marked_and_everything_else_escaped() {
        let re = hints_regex(&["no MSK lead".into(), "orthopaed*".into()]);
        let html = marked(
            "<b>There is no MSK-lead</b>; Orthopaedics & pain.",
            re.as_ref(),
        );
        assert_eq!(
            html,
            "&lt;b&gt;There is <mark>no MSK-lead</mark>&lt;/b&gt;; <mark>Orthopaedics</mark> &amp; pain."
        );
        assert_eq!(marked("a < b", None), "a &lt; b");
    }
}
