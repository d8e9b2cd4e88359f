//! Reading a text part's bytes as characters, the way a browser would (WHATWG Encoding
//! Standard, through `encoding_rs`): `iso-8859-1` and `us-ascii` mean windows-1252, so the
//! "–" that Outlook writes as 0x96 is not shown as a control character. When a part declares
//! no charset, or declares UTF-8 and is not, the encoding is detected (`chardetng`) and the
//! guess is said in a note kept with the message.

use encoding_rs::{Encoding, UTF_8};

/// Text and, when a guess or correction was made, a note saying which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub note: Option<String>,
}

fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut d = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    d.feed(bytes, true);
    d.guess(None, chardetng::Utf8Detection::Allow)
}

/// Decodes `bytes` labelled `declared` (the part's `charset=`, if any). `None` is returned
/// for a label the Encoding Standard does not know (e.g. UTF-7): the caller falls back to the
/// MIME parser's own decoder for those.
pub fn decode(bytes: &[u8], declared: Option<&str>) -> Option<Decoded> {
    let label = declared.map(str::trim).filter(|l| !l.is_empty());
    let ascii = bytes.is_ascii();
    match label {
        Some(l) => {
            let enc = Encoding::for_label_no_replacement(l.as_bytes())?;
            if enc == UTF_8 && !ascii && std::str::from_utf8(bytes).is_err() {
                let guess = detect(bytes);
                let (text, _, _) = guess.decode(bytes);
                return Some(Decoded {
                    text: text.into_owned(),
                    note: Some(format!(
                        "labelled UTF-8 but is not; read as {} (detected)",
                        guess.name()
                    )),
                });
            }
            let (text, _, had_errors) = enc.decode(bytes);
            let note = if had_errors {
                Some(format!(
                    "some bytes are not valid {}; shown as \u{FFFD}",
                    enc.name()
                ))
            } else if !ascii
                && enc.name() != l.to_ascii_uppercase()
                && !l.eq_ignore_ascii_case(enc.name())
            {
                // e.g. iso-8859-1 read as windows-1252, as every browser does.
                Some(format!("labelled {l}; read as {}", enc.name()))
            } else {
                None
            };
            Some(Decoded {
                text: text.into_owned(),
                note,
            })
        }
        None if ascii => Some(Decoded {
            text: String::from_utf8_lossy(bytes).into_owned(),
            note: None,
        }),
        None => {
            if let Ok(t) = std::str::from_utf8(bytes) {
                return Some(Decoded {
                    text: t.to_string(),
                    note: Some("no charset declared; read as UTF-8".into()),
                });
            }
            let guess = detect(bytes);
            let (text, _, _) = guess.decode(bytes);
            Some(Decoded {
                text: text.into_owned(),
                note: Some(format!(
                    "no charset declared; read as {} (detected)",
                    guess.name()
                )),
            })
        }
    }
}

/// CRLF (and lone CR) to LF: the stored text has one kind of line end.
pub(crate) fn normalise_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_8859_1_is_read_as_windows_1252() {
        let d = decode(b"2008 \x96 2009", Some("iso-8859-1")).unwrap();
        assert_eq!(d.text, "2008 \u{2013} 2009");
        assert!(d.note.unwrap().contains("windows-1252"));
        let d = decode(b"caf\xe9", Some("ISO-8859-1")).unwrap();
        assert_eq!(d.text, "caf\u{e9}");
    }

    #[test]
    fn undeclared_and_mislabelled_text_is_detected_and_said_so() {
        let utf8 = "Caf\u{e9} \u{2013} \u{20ac}5".as_bytes();
        let d = decode(utf8, None).unwrap();
        assert_eq!(d.text, "Caf\u{e9} \u{2013} \u{20ac}5");
        assert_eq!(
            d.note.as_deref(),
            Some("no charset declared; read as UTF-8")
        );
        // GBK text with no charset.
        let (gbk, _, _) =
            encoding_rs::GBK.encode("信息自由请求的答复已经附上，请查收。谢谢您的耐心等待。");
        let d = decode(&gbk, None).unwrap();
        assert_eq!(
            d.text,
            "信息自由请求的答复已经附上，请查收。谢谢您的耐心等待。"
        );
        assert!(d.note.unwrap().contains("detected"));
        // Labelled UTF-8 but Latin-1 bytes.
        let d = decode(b"Dear Sir, the r\xe9sum\xe9 is attached", Some("utf-8")).unwrap();
        assert!(d.text.contains("r\u{e9}sum\u{e9}"), "{}", d.text);
        assert!(d.note.unwrap().contains("labelled UTF-8"));
    }

    #[test]
    fn plain_ascii_needs_no_note_and_unknown_labels_fall_back() {
        assert_eq!(decode(b"hello", None).unwrap().note, None);
        assert_eq!(decode(b"hello", Some("us-ascii")).unwrap().note, None);
        assert_eq!(decode(b"hello", Some("utf-8")).unwrap().note, None);
        assert!(decode(b"+AGEAYgBj-", Some("utf-7")).is_none());
        assert_eq!(normalise_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
    }
}
