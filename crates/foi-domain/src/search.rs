//! Search queries as people type them — words, "quoted phrases", prefixes (`orthop*`), AND, OR,
//! NOT (in capitals), words side by side meaning AND — parsed into a small tree and written
//! out for SQLite FTS5 or PostgreSQL `to_tsquery`. User input never reaches either syntax
//! as typed: every word is reduced to letters and digits, then quoted (FTS5) or passed as a
//! lexeme (PostgreSQL).

/// Where a match starts and ends in a snippet (private-use characters, never in real text;
/// the dashboard turns them into `<mark>`, the CLI into `**`).
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Word(String),
    Prefix(String),
    Phrase(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Term(Term),
    And(Vec<Query>),
    Or(Vec<Query>),
    /// `a NOT b`: a, without b.
    Not(Box<Query>, Box<Query>),
}

/// The words of `s`: runs of letters and digits, lowercased.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[derive(Debug, PartialEq)]
enum Tok {
    T(Term),
    And,
    Or,
    Not,
}

fn tokens(input: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut rest = input.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let (inside, tail) = after.split_once('"').unwrap_or((after, ""));
            let w = words(inside);
            match w.len() {
                0 => {}
                1 => out.push(Tok::T(Term::Word(w[0].clone()))),
                _ => out.push(Tok::T(Term::Phrase(w))),
            }
            rest = tail.trim_start();
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"')
            .unwrap_or(rest.len());
        let raw = &rest[..end];
        rest = rest[end..].trim_start();
        match raw {
            "AND" => out.push(Tok::And),
            "OR" => out.push(Tok::Or),
            "NOT" => out.push(Tok::Not),
            _ => {
                let prefix = raw.ends_with('*');
                let w = words(raw);
                for (i, x) in w.iter().enumerate() {
                    if prefix && i + 1 == w.len() {
                        out.push(Tok::T(Term::Prefix(x.clone())));
                    } else {
                        out.push(Tok::T(Term::Word(x.clone())));
                    }
                }
            }
        }
    }
    out
}

/// Parses a query; `None` when it holds no word at all.
pub fn parse(input: &str) -> Option<Query> {
    // OR binds looser than AND; NOT applies to the term after it.
    let mut ors: Vec<Query> = Vec::new();
    let mut ands: Vec<Query> = Vec::new();
    let mut nots: Vec<Query> = Vec::new();
    let mut negate = false;
    let flush = |ands: &mut Vec<Query>, nots: &mut Vec<Query>, ors: &mut Vec<Query>| {
        if ands.is_empty() {
            nots.clear();
            return;
        }
        let mut q = if ands.len() == 1 {
            ands.pop().unwrap()
        } else {
            Query::And(std::mem::take(ands))
        };
        for n in nots.drain(..) {
            q = Query::Not(Box::new(q), Box::new(n));
        }
        ands.clear();
        ors.push(q);
    };
    for t in tokens(input) {
        match t {
            Tok::T(term) => {
                if negate {
                    nots.push(Query::Term(term));
                    negate = false;
                } else {
                    ands.push(Query::Term(term));
                }
            }
            Tok::And => {}
            Tok::Not => negate = true,
            Tok::Or => flush(&mut ands, &mut nots, &mut ors),
        }
    }
    flush(&mut ands, &mut nots, &mut ors);
    match ors.len() {
        0 => None,
        1 => ors.pop(),
        _ => Some(Query::Or(ors)),
    }
}

impl Query {
    /// SQLite FTS5 query syntax: every word double-quoted.
    pub fn to_fts5(&self) -> String {
        match self {
            Query::Term(Term::Word(w)) => format!("\"{w}\""),
            Query::Term(Term::Prefix(w)) => format!("\"{w}\"*"),
            Query::Term(Term::Phrase(ws)) => format!("\"{}\"", ws.join(" ")),
            Query::And(qs) => format!(
                "({})",
                qs.iter()
                    .map(Query::to_fts5)
                    .collect::<Vec<_>>()
                    .join(" AND ")
            ),
            Query::Or(qs) => format!(
                "({})",
                qs.iter()
                    .map(Query::to_fts5)
                    .collect::<Vec<_>>()
                    .join(" OR ")
            ),
            Query::Not(a, b) => format!("({} NOT {})", a.to_fts5(), b.to_fts5()),
        }
    }

    /// PostgreSQL `to_tsquery('simple', …)` syntax.
    pub fn to_tsquery(&self) -> String {
        match self {
            Query::Term(Term::Word(w)) => w.clone(),
            Query::Term(Term::Prefix(w)) => format!("{w}:*"),
            Query::Term(Term::Phrase(ws)) => format!("({})", ws.join(" <-> ")),
            Query::And(qs) => format!(
                "({})",
                qs.iter()
                    .map(Query::to_tsquery)
                    .collect::<Vec<_>>()
                    .join(" & ")
            ),
            Query::Or(qs) => format!(
                "({})",
                qs.iter()
                    .map(Query::to_tsquery)
                    .collect::<Vec<_>>()
                    .join(" | ")
            ),
            Query::Not(a, b) => format!("({} & !{})", a.to_tsquery(), b.to_tsquery()),
        }
    }
}

impl Query {
    /// Every term of the query that is not negated.
    pub(crate) fn positive_terms(&self) -> Vec<&Term> {
        match self {
            Query::Term(t) => vec![t],
            Query::And(qs) | Query::Or(qs) => qs.iter().flat_map(Query::positive_terms).collect(),
            Query::Not(a, _) => a.positive_terms(),
        }
    }

    /// Whether a lowercased word is one the query looks for.
    fn wants(&self, word: &str) -> bool {
        self.positive_terms().iter().any(|t| match t {
            Term::Word(w) => w == word,
            Term::Prefix(p) => word.starts_with(p.as_str()),
            Term::Phrase(ws) => ws.iter().any(|w| w == word),
        })
    }
}

/// The words of `text` with their byte ranges.
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// A passage of about `width` words around the first word of `text` the query looks for, every
/// such word between the marks; the start of the text when none is there.
pub fn highlight(text: &str, query: &Query, width: usize) -> String {
    let spans = word_spans(text);
    let first = spans
        .iter()
        .position(|&(a, b)| query.wants(&text[a..b].to_lowercase()))
        .unwrap_or(0);
    let from = first.saturating_sub(width / 3);
    let to = (from + width).min(spans.len());
    if spans.is_empty() {
        return String::new();
    }
    let start = spans[from].0;
    let end = spans[to - 1].1;
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut at = start;
    for &(a, b) in &spans[from..to] {
        out.push_str(&text[at..a]);
        let w = &text[a..b];
        if query.wants(&w.to_lowercase()) {
            out.push(MARK_START);
            out.push_str(w);
            out.push(MARK_END);
        } else {
            out.push_str(w);
        }
        at = b;
    }
    out.push_str(&text[at..end]);
    if to < spans.len() {
        out.push('…');
    }
    // Extracted text keeps its line breaks; a snippet reads as one line.
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The page, sheet or archive member of `body` where the snippet's first match is: the last
/// marker the extractors write ("--- page 3 ---") before it. None when the text has none.
pub fn locate(body: &str, snippet: &str) -> Option<String> {
    // The first match that is not in a marker line itself ("--- file inner/x.pdf ---").
    let mut from = 0;
    let (s, e) = loop {
        let s = from + snippet[from..].find(MARK_START)?;
        let e = s + snippet[s..].find(MARK_END)?;
        let line_start = snippet[..s].rfind('\n').map(|p| p + 1).unwrap_or(0);
        let line_end = snippet[e..]
            .find('\n')
            .map(|p| e + p)
            .unwrap_or(snippet.len());
        let line = snippet[line_start..line_end].trim();
        if !(line.starts_with("--- ") && line.ends_with(" ---")) {
            break (s, e);
        }
        from = e;
    };
    let word = &snippet[s + MARK_START.len_utf8()..e];
    // The words just before the match in the snippet pin down which occurrence it is.
    let before = snippet[..s].rsplit(['…', '\n']).next().unwrap_or("");
    let context: String = before
        .replace([MARK_START, MARK_END], "")
        .split_whitespace()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join(" ");
    let flat_lower = body.to_lowercase();
    let needle = format!("{context} {word}").trim().to_lowercase();
    let pos = find_loose(&flat_lower, &needle)
        .map(|p| p + needle.len().saturating_sub(word.len()))
        .or_else(|| {
            let w = word.to_lowercase();
            word_spans(&flat_lower)
                .into_iter()
                .find(|&(a, b)| flat_lower[a..b] == w)
                .map(|(a, _)| a)
        })?;
    marker_before(body, pos)
}

/// A snippet on one line (extracted text keeps its line breaks).
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Finds `needle` in `hay` treating any run of white space as one space.
fn find_loose(hay: &str, needle: &str) -> Option<usize> {
    if !needle.contains(' ') {
        return hay.find(needle);
    }
    let words: Vec<&str> = needle.split(' ').collect();
    let mut from = 0;
    while let Some(p) = hay[from..].find(words[0]) {
        let start = from + p;
        let mut at = start + words[0].len();
        let mut ok = true;
        for w in &words[1..] {
            let rest = &hay[at..];
            let trimmed = rest.trim_start();
            if trimmed.len() == rest.len() || !trimmed.starts_with(w) {
                ok = false;
                break;
            }
            at += rest.len() - trimmed.len() + w.len();
        }
        if ok {
            return Some(start);
        }
        from = start + words[0].len();
    }
    None
}

/// The last extractor marker ("--- page 3 ---", "--- sheet Data ---", "--- file a.pdf ---")
/// before byte `pos`, as "page 3".
pub(crate) fn marker_before(body: &str, pos: usize) -> Option<String> {
    let mut pos = pos.min(body.len());
    while !body.is_char_boundary(pos) {
        pos -= 1;
    }
    let head = &body[..pos];
    head.lines().rev().find_map(|l| {
        l.trim()
            .strip_prefix("--- ")
            .and_then(|r| r.strip_suffix(" ---"))
            .map(str::to_string)
    })
}

/// A snippet for a terminal or JSON: the marks as `**`.
pub fn plain_snippet(s: &str) -> String {
    s.replace([MARK_START, MARK_END], "**")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_prefixes_and_operators() {
        let q = parse(r#"fracture "liaison service" orthop* OR pain NOT chronic"#).unwrap();
        assert_eq!(
            q.to_fts5(),
            r#"(("fracture" AND "liaison service" AND "orthop"*) OR ("pain" NOT "chronic"))"#
        );
        assert_eq!(
            q.to_tsquery(),
            "((fracture & (liaison <-> service) & orthop:*) | (pain & !chronic))"
        );
    }

    #[test]
    fn nothing_typed_reaches_the_query_syntax() {
        for hostile in [
            r#"a" OR 1=1 --"#,
            "NEAR(x y)",
            "x:* | !y",
            "col:value",
            "'; DROP TABLE x; --",
            "\"unclosed",
        ] {
            let q = parse(hostile);
            let (f, t) = q.map(|q| (q.to_fts5(), q.to_tsquery())).unwrap_or_default();
            // Only quoted words and our own operators in FTS5; only lexemes and our own
            // operators in tsquery.
            let fts_words: String = f
                .replace("\" AND \"", "")
                .replace("\" OR \"", "")
                .replace(" NOT ", "");
            assert!(
                !fts_words.contains(':') && !fts_words.contains('\''),
                "{hostile} -> {f}"
            );
            assert!(
                !t.contains('\'') && !t.contains(';') && !t.contains("--"),
                "{hostile} -> {t}"
            );
        }
        assert_eq!(parse("  ...  "), None);
        assert_eq!(
            parse("lower case and or not").unwrap().to_fts5(),
            r#"("lower" AND "case" AND "and" AND "or" AND "not")"#
        );
    }

    #[test]
    fn a_snippet_marks_the_words_and_says_which_page() {
        let body = "--- page 1 ---\nIntroduction to the response.\n--- page 2 ---\nThe ICB runs a fracture liaison service across the county.\n";
        let q = parse("fracture liaison").unwrap();
        let s = highlight(body, &q, 30);
        assert!(
            s.contains("\u{E000}fracture\u{E001} \u{E000}liaison\u{E001}"),
            "{s}"
        );
        assert_eq!(locate(body, &s).as_deref(), Some("page 2"));
        assert!(plain_snippet(&s).contains("**fracture**"));
        // A prefix marks the words it starts.
        let q = parse("intro*").unwrap();
        let s = highlight(body, &q, 30);
        assert!(s.contains("\u{E000}Introduction\u{E001}"), "{s}");
        assert_eq!(locate(body, &s).as_deref(), Some("page 1"));
        // No marker in the text: no location.
        assert_eq!(
            locate(
                "plain words here",
                &highlight("plain words here", &parse("words").unwrap(), 10)
            ),
            None
        );
    }
}
