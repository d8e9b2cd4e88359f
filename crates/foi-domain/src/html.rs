//! HTML to readable text, for HTML e-mail bodies and HTML attachments: scripts, styles and
//! the head dropped, a line break at each block element, tags removed, the common entities
//! decoded.
//!
//! In linear time, whatever the input: every search for a closing tag or a `>` remembers
//! where it ended, so an unclosed `<script>` repeated a million times (or a million `<` with
//! no `>`) costs one pass, not one pass per tag. This is a small scanner rather than an HTML5
//! parser crate on purpose: the domain stays free of a DOM, the text it gives is what the
//! matcher, the classifier and search read, and no tree is built (so no depth to cap).

/// Elements whose content is not text.
const SKIPPED: [&str; 3] = ["script", "style", "head"];

/// Finds a needle at or after a position, remembering its last answer: asked again from a
/// position not past that answer, it answers at once; once it found nothing, nothing is ever
/// found again. Each byte of the haystack is therefore scanned at most once per needle.
struct Finder {
    needle: &'static str,
    /// `Some(Some(p))`: found at `p`; `Some(None)`: not found after the last search start.
    last: Option<Option<usize>>,
}

impl Finder {
    fn new(needle: &'static str) -> Finder {
        Finder { needle, last: None }
    }

    fn at_or_after(&mut self, hay: &str, from: usize) -> Option<usize> {
        match self.last {
            Some(None) => return None,
            Some(Some(p)) if p >= from => return Some(p),
            _ => {}
        }
        let found = hay[from..].find(self.needle).map(|p| from + p);
        self.last = Some(found);
        found
    }
}

/// Turns HTML into readable text (see the module's note).
pub fn html_to_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut out = String::with_capacity(html.len() / 2);
    let mut closers = [
        Finder::new("</script>"),
        Finder::new("</style>"),
        Finder::new("</head>"),
    ];
    let mut gt = Finder::new(">");
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            let next = memchr_lt(bytes, i);
            out.push_str(&html[i..next]);
            i = next;
            continue;
        }
        // A skipped element with its closing tag: jump past the closing tag. (Unclosed, its
        // opening tag is dropped like any other and what follows read as text.)
        let after = &lower[i + 1..];
        if let Some(k) = SKIPPED.iter().position(|s| {
            after.starts_with(s)
                && !after
                    .as_bytes()
                    .get(s.len())
                    .is_some_and(u8::is_ascii_alphanumeric)
        }) {
            if let Some(end) = closers[k].at_or_after(&lower, i) {
                i = end + SKIPPED[k].len() + 3;
                continue;
            }
        }
        let end = gt.at_or_after(&lower, i).map_or(bytes.len(), |e| e + 1);
        let tag = &lower[i..end];
        const BREAKS: [&str; 9] = [
            "<br", "<p", "</p", "<div", "</div", "<li", "<tr", "</tr", "<h",
        ];
        if BREAKS.iter().any(|t| tag.starts_with(t)) {
            out.push('\n');
        } else if tag.starts_with("<td") {
            out.push(' ');
        }
        i = end;
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The position of the next `<` at or after `from`, or the end.
fn memchr_lt(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'<')
        .map_or(bytes.len(), |p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_styles_and_head_go_and_blocks_break_lines() {
        let t = html_to_text("<html><head><style>p{}</style></head><body><p>Dear A &amp; B,</p><p>Our ref <b>MSK26-QHM</b></p><script>x()</script></body></html>");
        assert_eq!(t, "Dear A & B,\nOur ref MSK26-QHM");
    }

    #[test]
    fn a_tag_that_only_begins_like_a_skipped_one_is_kept() {
        // <header> is not <head>, <scripted> not <script>.
        assert_eq!(
            html_to_text("<header>Title</header><p>Body</p>"),
            "Title\nBody"
        );
    }

    #[test]
    fn unclosed_script_tags_cost_one_pass() {
        // 200,000 unclosed <script> tags: the old scanner searched the rest of the input for
        // `</script>` at each (quadratic). Each is now dropped as a tag; the text between stays.
        let html = "<script>a".repeat(200_000);
        let t = html_to_text(&html);
        assert_eq!(t.len(), 200_000);
        assert!(t.bytes().all(|b| b == b'a'));
    }

    #[test]
    fn a_closed_script_after_unclosed_ones_is_still_dropped() {
        let t = html_to_text("<script>x<script>y</script>after");
        assert_eq!(t, "after");
    }

    #[test]
    fn angle_brackets_with_no_close_end_the_text() {
        assert_eq!(html_to_text("text <<<<<"), "text");
        assert_eq!(html_to_text("a < b"), "a");
    }
}
