//! Parsing raw mail with mail-parser into the domain's [`ParsedMail`]. Any charset mail-parser
//! knows (utf-8, windows-1252, iso-8859-*, …) is decoded; nested multiparts, forwarded
//! messages (message/rfc822) and attachments are walked.

use crate::domain::mail::{angle, html_to_text, sanitise_filename, AttachmentInfo, ParsedMail};
use crate::rawstore::sha256_hex;
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders};

fn addrs(a: Option<&Address>) -> Vec<String> {
    a.map(|a| {
        a.iter()
            .filter_map(|x| x.address())
            .map(|s| s.to_ascii_lowercase())
            .collect()
    })
    .unwrap_or_default()
}

fn ids(v: &HeaderValue) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![angle(t)],
        HeaderValue::TextList(l) => l.iter().map(|t| angle(t)).collect(),
        _ => Vec::new(),
    }
}

/// Parses `raw`. An error means mail-parser could not make a message of it at all: the raw
/// bytes are still kept and the message listed for triage with this error.
pub fn parse(raw: &[u8]) -> Result<ParsedMail, String> {
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| "mail-parser could not parse the message (no headers found)".to_string())?;
    // mail-parser 0.11 indexes parts[0] in its accessors: a message without parts would panic.
    if msg.parts.is_empty() {
        return Err("no MIME parts could be read".into());
    }
    let essential = ["From", "To", "Subject", "Date", "Message-ID"];
    if !msg
        .headers()
        .iter()
        .any(|h| essential.iter().any(|e| h.name().eq_ignore_ascii_case(e)))
    {
        return Err(
            "no From, To, Subject, Date or Message-ID header: not an e-mail message".into(),
        );
    }
    let header_text = |name: &str| msg.header_raw(name).map(|s| s.trim().to_string());
    let mut recipients = addrs(msg.to());
    recipients.extend(addrs(msg.cc()));
    for (name, value) in msg.headers_raw() {
        if name.eq_ignore_ascii_case("Delivered-To") || name.eq_ignore_ascii_case("X-Original-To") {
            recipients.push(value.trim().trim_matches(['<', '>']).to_ascii_lowercase());
        }
    }
    let from = msg.from().and_then(|a| a.first());
    let mut text = msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    let has_html = msg.html_body_count() > 0;
    if text.trim().is_empty() {
        if let Some(h) = msg.body_html(0) {
            text = html_to_text(&h);
        }
    }
    // Forwarded messages: their text counts for matching, their headers for threading.
    let mut in_reply_to = ids(msg.in_reply_to());
    let references = ids(msg.references());
    let mut attachments = Vec::new();
    let mut returned_message_ids = Vec::new();
    for part in msg.attachments() {
        if let Some(inner) = part.message() {
            if inner.parts.is_empty() {
                continue; // an empty forwarded message (found by the property test)
            }
            if let Some(t) = inner.body_text(0) {
                text.push_str("\n\n");
                text.push_str(&t);
            }
            if let Some(id) = inner.message_id() {
                returned_message_ids.push(angle(id));
            }
            in_reply_to.extend(ids(inner.in_reply_to()));
            continue;
        }
        let ct = part
            .content_type()
            .map(|c| match c.subtype() {
                Some(s) => format!("{}/{}", c.ctype(), s),
                None => c.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".into());
        if ct.eq_ignore_ascii_case("text/rfc822-headers")
            || ct.eq_ignore_ascii_case("message/delivery-status")
        {
            let body = String::from_utf8_lossy(part.contents());
            for line in body.lines() {
                if let Some(rest) = line
                    .strip_prefix("Message-ID:")
                    .or_else(|| line.strip_prefix("Message-Id:"))
                {
                    returned_message_ids.push(angle(rest));
                }
            }
            text.push_str("\n\n");
            text.push_str(&body);
            continue;
        }
        let contents = part.contents();
        attachments.push(AttachmentInfo {
            filename: sanitise_filename(part.attachment_name().unwrap_or("attachment")),
            content_type: ct,
            size: contents.len() as u64,
            sha256: sha256_hex(contents),
        });
    }
    let content_type = msg.root_part().content_type();
    let is_delivery_report = content_type.is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart")
            && c.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && c.attribute("report-type")
                .is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
    });
    Ok(ParsedMail {
        message_id: msg.message_id().map(angle),
        in_reply_to,
        references,
        subject: msg.subject().unwrap_or("").to_string(),
        from_addr: from
            .and_then(|a| a.address())
            .map(|s| s.to_ascii_lowercase()),
        from_name: from.and_then(|a| a.name()).map(str::to_string),
        recipients,
        date: msg
            .date()
            .and_then(|d| chrono::DateTime::parse_from_rfc3339(&d.to_rfc3339()).ok())
            .map(|d| d.with_timezone(&chrono::Utc)),
        text,
        has_html,
        attachments,
        auto_submitted: header_text("Auto-Submitted"),
        x_autoreply: header_text("X-Autoreply").is_some() || header_text("X-Autorespond").is_some(),
        precedence: header_text("Precedence"),
        is_delivery_report,
        returned_message_ids,
    })
}

/// The bytes of the attachment whose SHA-256 is `sha` (for downloads; the raw message is
/// the only copy kept).
pub fn attachment_bytes(raw: &[u8], sha: &str) -> Option<Vec<u8>> {
    let msg = MessageParser::default().parse(raw)?;
    if msg.parts.is_empty() {
        return None;
    }
    let found = msg
        .attachments()
        .map(|p| p.contents())
        .find(|c| sha256_hex(c) == sha)
        .map(<[u8]>::to_vec);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_and_threading() {
        let raw = b"From: \"FOI Team\" <FOI@Example.nhs.uk>\r\nTo: team@charity.org\r\nSubject: RE: request\r\nMessage-ID: <abc@x>\r\nIn-Reply-To: <foi.msk26-qhm.request@charity.org>\r\nContent-Type: text/plain; charset=windows-1252\r\n\r\nWe\x92ve attached the \x93answer\x94 \x96 thanks\r\n";
        let m = parse(raw).unwrap();
        assert_eq!(m.from_addr.as_deref(), Some("foi@example.nhs.uk"));
        assert_eq!(m.in_reply_to, vec!["<foi.msk26-qhm.request@charity.org>"]);
        assert_eq!(m.message_id.as_deref(), Some("<abc@x>"));
        assert!(
            m.text
                .contains("We\u{2019}ve attached the \u{201c}answer\u{201d} \u{2013} thanks"),
            "{}",
            m.text
        );
    }

    #[test]
    fn an_empty_forwarded_message_does_not_panic() {
        // Found by the property test: mail-parser 0.11 panics on accessors of a part-less
        // message; the parser skips it.
        let raw = b"From: a@b.org\r\nSubject: fwd\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n--b--\r\n";
        let m = parse(raw).unwrap();
        assert_eq!(m.subject, "fwd");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse(b"").is_err());
        assert!(parse(b"\x00\x01\x02 not an e-mail at all").is_err());
    }
}
