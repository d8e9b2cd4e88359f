//! What a part is called and what its bytes are, where `mail-parser` leaves the job half
//! done on real mail:
//!
//! * a file name split over RFC 2231 continuations whose pieces hold an RFC 2047 encoded
//!   word (`filename*0="=?UTF-8?Q?M=C3=BCller"; filename*1="_2026.xlsx?="`, as some Outlook
//!   versions write it) comes back joined but still encoded: it is decoded here;
//! * a base64 part with a stray character (a `.`, a non-ASCII byte) is returned undecoded
//!   (the base64 text itself, marked as an encoding problem): it is decoded here leniently,
//!   ignoring what is not base64, or kept as it came with a note when even that fails;
//! * in a `multipart/related` whose picture comes before its HTML (as Thunderbird can send
//!   it), the HTML is listed as an unnamed attachment and the body is empty: such an unnamed,
//!   not-attached HTML part is the body.

use mail_parser::decoders::base64::base64_decode;
use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

/// The part's file name, with RFC 2047 encoded words decoded.
pub fn name(part: &MessagePart) -> Option<String> {
    let n = part.attachment_name()?;
    if n.contains("=?") && n.contains("?=") {
        if let Some(decoded) = decode_words(n) {
            return Some(decoded);
        }
    }
    Some(n.to_string())
}

/// Decodes RFC 2047 encoded words with mail-parser's own decoder, by reading the text as
/// the unstructured header it would be (the crate does not expose the decoder by itself).
fn decode_words(text: &str) -> Option<String> {
    if text.contains(['\r', '\n']) {
        return None;
    }
    let header = format!("Subject: {text}\r\n\r\n");
    let msg = MessageParser::default().parse(header.as_bytes())?;
    msg.subject()
        .map(str::to_string)
        .filter(|s| !s.contains("=?"))
}

/// Whether the part declares base64 but the parser could not decode it.
pub(crate) fn undecoded_base64(part: &MessagePart) -> bool {
    part.is_encoding_problem
        && part
            .content_transfer_encoding()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("base64"))
}

/// Base64 decoded leniently: every byte outside the alphabet is skipped (line breaks,
/// spaces, a stray `.` or a non-ASCII byte), padding is restored. `None` when what is left
/// cannot be base64 (a single character too many).
pub(crate) fn lenient_base64(text: &[u8]) -> Option<Vec<u8>> {
    let mut clean: Vec<u8> = text
        .iter()
        .copied()
        .take_while(|b| *b != b'=')
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .collect();
    match clean.len() % 4 {
        0 => {}
        1 => return None,
        r => clean.extend(std::iter::repeat_n(b'=', 4 - r)),
    }
    base64_decode(&clean)
}

/// An unnamed, not-attached HTML part the parser listed among the attachments: the body,
/// when the message's text and HTML bodies gave nothing. (Only HTML: a stray plain-text part
/// is what a broken multipart leaves, such as a preamble with no parts after it, and stays
/// an attachment.)
pub(crate) fn stray_body(msg: &Message) -> Option<u32> {
    msg.attachments.iter().copied().find(|id| {
        msg.parts.get(*id as usize).is_some_and(|p| {
            matches!(p.body, PartType::Html(_))
                && p.attachment_name().is_none()
                && !p
                    .content_disposition()
                    .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_base64_skips_stray_bytes() {
        // "%PDF-1.4\n" twice, with a stray '.' and a non-ASCII byte in the second line.
        assert_eq!(
            lenient_base64(b"JVBERi0xLjQK\r\nJVBERi0x.LjQK\xe2\r\n").unwrap(),
            b"%PDF-1.4\n%PDF-1.4\n"
        );
        assert_eq!(lenient_base64(b"SGk=").unwrap(), b"Hi");
        assert_eq!(lenient_base64(b"SGk").unwrap(), b"Hi");
        assert!(lenient_base64(b"SGkhS").is_none());
    }

    #[test]
    fn encoded_words_in_a_name_are_decoded() {
        assert_eq!(
            decode_words("=?UTF-8?Q?M=C3=BCller_data_2026.xlsx?=").as_deref(),
            Some("Müller data 2026.xlsx")
        );
        assert_eq!(
            decode_words("=?utf-8?B?TcO8bGxlci54bHN4?=").as_deref(),
            Some("Müller.xlsx")
        );
    }
}
