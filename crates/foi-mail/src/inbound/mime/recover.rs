//! Repairs of the message *copy* handed to the MIME parser, for breakage mail clients
//! tolerate: a `boundary=` whose value was folded onto the next header line, and a multipart
//! body whose final boundary never came. The stored raw bytes are never changed.

use regex::bytes::Regex;
use std::borrow::Cow;
use std::sync::OnceLock;

fn folded_boundary() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?i)(boundary=)[ \t]*\r?\n[ \t]+").expect("valid regex"))
}

fn boundary_value() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"(?i)content-type:[^\n]*(?:\r?\n[ \t][^\n]*)*?boundary=(?:"([^"\r\n]+)"|([^;\s"]+))"#,
        )
        .expect("valid regex")
    })
}

/// Where the top-level header block ends (the index of the blank line), if it does.
fn header_end(raw: &[u8]) -> Option<usize> {
    let crlf = memchr::memmem::find(raw, b"\r\n\r\n");
    let lf = memchr::memmem::find(raw, b"\n\n");
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The message as the parser should see it.
pub(crate) fn repair(raw: &[u8]) -> Cow<'_, [u8]> {
    let Some(end) = header_end(raw) else {
        return Cow::Borrowed(raw);
    };
    let (head, body) = raw.split_at(end);
    let mut out: Option<Vec<u8>> = None;
    let head: Cow<[u8]> = if folded_boundary().is_match(head) {
        Cow::Owned(folded_boundary().replace_all(head, &b"$1"[..]).into_owned())
    } else {
        Cow::Borrowed(head)
    };
    if let Cow::Owned(h) = &head {
        let mut v = h.clone();
        v.extend_from_slice(body);
        out = Some(v);
    }
    if let Some(c) = boundary_value().captures(&head) {
        let b = c
            .get(1)
            .or_else(|| c.get(2))
            .map(|m| m.as_bytes())
            .unwrap_or(b"");
        if !b.is_empty() {
            let mut open = b"--".to_vec();
            open.extend_from_slice(b);
            let mut close = open.clone();
            close.extend_from_slice(b"--");
            let has_open = memchr::memmem::find(body, &open).is_some();
            let has_close = memchr::memmem::find(body, &close).is_some();
            if has_open && !has_close {
                let v = out.get_or_insert_with(|| raw.to_vec());
                v.extend_from_slice(b"\r\n");
                v.extend_from_slice(&close);
                v.extend_from_slice(b"\r\n");
            }
        }
    }
    match out {
        Some(v) => Cow::Owned(v),
        None => Cow::Borrowed(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folded_boundary_is_unfolded() {
        let raw = b"Content-Type: multipart/mixed; boundary=\r\n    \"XX\"\r\nSubject: s\r\n\r\n--XX\r\n\r\nhi\r\n--XX--\r\n";
        let r = repair(raw);
        assert!(r.starts_with(b"Content-Type: multipart/mixed; boundary=\"XX\"\r\nSubject: s\r\n"));
    }

    #[test]
    fn a_missing_final_boundary_is_added() {
        let raw = b"Content-Type: multipart/mixed; boundary=\"-B\"\r\n\r\n---B\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n";
        let r = repair(raw);
        assert!(
            r.ends_with(b"\r\n---B--\r\n"),
            "{}",
            String::from_utf8_lossy(&r)
        );
        let fine = b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n\r\nx\r\n--B--\r\n";
        assert!(matches!(repair(fine), Cow::Borrowed(_)));
        let plain = b"Subject: x\r\n\r\nno parts\r\n";
        assert!(matches!(repair(plain), Cow::Borrowed(_)));
    }
}
