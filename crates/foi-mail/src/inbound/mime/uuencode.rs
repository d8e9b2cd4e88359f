//! Uuencoded files inside a text part (`begin 644 name` … `end`), as old Exchange and Lotus
//! systems still send them: each becomes an attachment and leaves the body text.
//!
//! Written here rather than taken from a crate: the crates on offer decode one well-formed
//! block given to them, and real mail needs the blocks found inside text and decoded even
//! when they are damaged (no `end` line, short lines), which is what mail clients do.

/// A file found in a text, and the text without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The most one text may yield (a hostile message cannot make us decode without end).
const MAX_FILES: usize = 100;

fn begin_line(line: &str) -> Option<String> {
    let rest = line.trim_end().strip_prefix("begin ")?;
    let (mode, name) = rest.split_once(' ')?;
    if mode.len() < 3 || mode.len() > 4 || !mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// Decodes one uuencoded line; `None` when it is not one.
fn decode_line(line: &str) -> Option<Vec<u8>> {
    let b = line.trim_end_matches(['\r', '\n']).as_bytes();
    let (&first, rest) = b.split_first()?;
    if !(32..=96).contains(&first) || !rest.iter().all(|c| (32..=96).contains(c)) {
        return None;
    }
    let n = ((first - 32) & 63) as usize;
    if n == 0 {
        return Some(Vec::new());
    }
    // Four characters make three bytes; a short (damaged) line is padded with zeros.
    if rest.len() < n.div_ceil(3) * 4 - 3 {
        return None;
    }
    let val = |i: usize| rest.get(i).map_or(0, |c| (c.wrapping_sub(32)) & 63);
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    while out.len() < n {
        let (a, b, c, d) = (val(i), val(i + 1), val(i + 2), val(i + 3));
        for byte in [(a << 2) | (b >> 4), (b << 4) | (c >> 2), (c << 6) | d] {
            if out.len() < n {
                out.push(byte);
            }
        }
        i += 4;
    }
    Some(out)
}

/// Finds the uuencoded files in `text`; returns them and the text with their blocks removed.
pub fn extract(text: &str) -> (String, Vec<Found>) {
    if !text.contains("begin ") {
        return (text.to_string(), Vec::new());
    }
    let mut kept = String::with_capacity(text.len());
    let mut found = Vec::new();
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let name = match begin_line(line.trim_end_matches(['\r', '\n'])) {
            Some(n) if found.len() < MAX_FILES => n,
            _ => {
                kept.push_str(line);
                continue;
            }
        };
        let mut bytes = Vec::new();
        let mut data_lines = 0;
        while let Some(next) = lines.peek() {
            let t = next.trim_end_matches(['\r', '\n']);
            if t == "end" {
                lines.next();
                break;
            }
            match decode_line(t) {
                Some(chunk) if !t.is_empty() => {
                    bytes.extend_from_slice(&chunk);
                    data_lines += 1;
                    lines.next();
                }
                // The end of the data: a line that is not uuencode (or an empty one).
                _ => break,
            }
        }
        if data_lines == 0 {
            kept.push_str(line);
            continue;
        }
        found.push(Found { name, bytes });
    }
    (kept, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_block_and_removes_it_from_the_text() {
        // "Cat\n" uuencoded.
        let text = "Hello\nbegin 644 cat.txt\n$0V%T\"@``\n`\nend\nBye\n";
        let (rest, files) = extract(text);
        assert_eq!(rest, "Hello\nBye\n");
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, "cat.txt");
        assert_eq!(files[0].bytes, b"Cat\n");
    }

    #[test]
    fn a_block_without_an_end_line_is_still_decoded() {
        let text = "begin 600 a.bin\n$0V%T\"@``\n\nSigned, the FOI team\n";
        let (rest, files) = extract(text);
        assert_eq!(files[0].bytes, b"Cat\n");
        assert!(rest.contains("Signed, the FOI team"));
    }

    #[test]
    fn prose_that_says_begin_is_left_alone() {
        let text = "We will begin 644 reviews next week.\nbegin here\n";
        let (rest, files) = extract(text);
        assert!(files.is_empty());
        assert_eq!(rest, text);
    }
}
