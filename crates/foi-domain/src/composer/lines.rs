//! A definition as a round file, and which form field a line of that file belongs to.

use crate::round::RoundDef;
use std::collections::BTreeMap;

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
