//! Reference tokens: each request carries `[FOI ref PREFIX-CODE]` in its subject and body so
//! that replies can be matched even when threading headers are lost.
//!
//! Finding a token is tolerant of what mail clients and people do to it: case (`foi Ref
//! msk26-qhm`), spacing and separators (`MSK26 - QHM`, `MSK26_QHM`, `ref: MSK26-QHM`), and
//! `RE:`/`FW:` prefixes (which are simply other text).

/// The reference for a body in a round: `PREFIX-CODE`, upper case.
pub fn reference(prefix: &str, code: &str) -> String {
    format!(
        "{}-{}",
        prefix.trim().to_ascii_uppercase(),
        code.trim().to_ascii_uppercase()
    )
}

/// The token as written into subjects and bodies.
pub fn token(reference: &str) -> String {
    format!("[FOI ref {reference}]")
}

/// Normalises text for matching: upper case, and every run of characters other than letters
/// and digits becomes one space.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    out
}

/// Finds which of `references` (e.g. `MSK26-QHM`) occur in `text`. A reference is found when
/// its parts appear as whole words in sequence, with any punctuation or spacing between them.
#[cfg(test)]
fn find_references<'a>(text: &str, references: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let ix = ReferenceIndex::new(references);
    ix.find(text).into_iter().map(str::to_string).collect()
}

/// References ready to be looked for in many texts: each kept by its normalised words, so a
/// text is read once (its runs of words looked up) whatever the number of references. Looking
/// for each of 100,000 references in each reply, as before, made ingest slower per message as
/// the round grew.
#[derive(Debug, Clone, Default)]
pub struct ReferenceIndex {
    /// Normalised reference (`MSK26 QHM`) → the reference as given.
    by_words: std::collections::HashMap<String, String>,
    /// How many words the references have (usually just 2).
    lengths: std::collections::BTreeSet<usize>,
}

impl ReferenceIndex {
    pub fn new<'a>(references: impl IntoIterator<Item = &'a str>) -> Self {
        let mut ix = ReferenceIndex::default();
        for r in references {
            let words = normalise(r);
            let words = words.trim();
            // Too short to be told apart from ordinary text.
            if words.len() <= 2 {
                continue;
            }
            ix.lengths.insert(words.split(' ').count());
            ix.by_words.insert(words.to_string(), r.to_string());
        }
        ix
    }

    /// The references that occur in `text`, each once, in the order first found.
    pub fn find(&self, text: &str) -> Vec<&str> {
        let norm = normalise(text);
        let words: Vec<&str> = norm.split_whitespace().collect();
        let mut found = Vec::new();
        for &n in &self.lengths {
            for w in words.windows(n) {
                if let Some(r) = self.by_words.get(&w.join(" ")) {
                    if !found.contains(&r.as_str()) {
                        found.push(r.as_str());
                    }
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_tokens() {
        assert_eq!(reference("msk26", "qhm"), "MSK26-QHM");
        assert_eq!(token("MSK26-QHM"), "[FOI ref MSK26-QHM]");
    }

    #[test]
    fn finds_mangled_references() {
        let refs = ["MSK26-QHM", "MSK26-QF7", "MSK26-S1Y5D"];
        for text in [
            "RE: FW: [FOI ref MSK26-QHM] Request",
            "re: foi ref msk26-qhm",
            "Our ref: MSK26 - QHM",
            "Your reference MSK26_QHM was received",
            "(msk26 qhm)",
        ] {
            assert_eq!(find_references(text, refs), vec!["MSK26-QHM"], "{text}");
        }
        assert_eq!(
            find_references("about MSK26-S1Y5D", refs),
            vec!["MSK26-S1Y5D"]
        );
    }

    #[test]
    fn finds_references_of_any_number_of_words_among_many() {
        let many: Vec<String> = (0..20_000).map(|i| format!("BN-B{i:06}")).collect();
        let mut refs: Vec<&str> = many.iter().map(String::as_str).collect();
        refs.push("ARMA-2026-ICB-X");
        let ix = ReferenceIndex::new(refs);
        assert_eq!(
            ix.find("Re: your request bn b019999 and (arma 2026 icb x); also BN-B000007."),
            vec!["BN-B019999", "BN-B000007", "ARMA-2026-ICB-X"]
        );
        assert!(ix.find("BN B0199 99").is_empty());
    }

    #[test]
    fn does_not_match_part_of_a_longer_word() {
        let refs = ["MSK26-QHM"];
        assert!(find_references("MSK26-QHMX", refs).is_empty());
        assert!(find_references("XMSK26-QHM", refs).is_empty());
        assert!(find_references("nothing here", refs).is_empty());
    }
}
