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
pub(crate) fn find_references<'a>(
    text: &str,
    references: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let hay = format!(" {} ", normalise(text));
    references
        .into_iter()
        .filter(|r| {
            let needle = format!(" {} ", normalise(r));
            needle.trim().len() > 2 && hay.contains(&needle)
        })
        .collect()
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
    fn does_not_match_part_of_a_longer_word() {
        let refs = ["MSK26-QHM"];
        assert!(find_references("MSK26-QHMX", refs).is_empty());
        assert!(find_references("XMSK26-QHM", refs).is_empty());
        assert!(find_references("nothing here", refs).is_empty());
    }
}
