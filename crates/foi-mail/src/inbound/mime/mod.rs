//! The MIME layer: raw mail to the domain's [`ParsedMail`], finding every attachment a mail
//! client would show. `mail-parser` reads the structure; this layer adds what real replies
//! from public bodies need and the parser does not do:
//!
//! * charsets read the browser way, with detection where none (or a wrong one) is declared
//!   ([`charset`]);
//! * uuencoded files inside text parts ([`uuencode`]) and Outlook's `winmail.dat` ([`tnef`])
//!   become attachments;
//! * an attached message is kept whole as `.eml` **and** its text (with its headers) and its
//!   own attachments are listed under it, recursively to [`MAX_DEPTH`];
//! * a folded `boundary=` and a missing final boundary are recovered ([`recover`]);
//! * encoded names, damaged base64 and an HTML body listed as an attachment are put right
//!   ([`parts`]);
//! * delivery status reports give their `Action:` and failed recipients.
//!
//! The raw bytes are never changed: repairs apply to the copy the parser reads, and every
//! attachment is found again from the raw message by its position.

mod charset;
mod parts;
mod recover;
pub mod tnef;
pub mod uuencode;
mod walk;

use walk::Walk;

use crate::domain::mail::{angle, failed_recipients, html_to_text, AttachmentSource, ParsedMail};
use crate::rawstore::sha256_hex;
use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{
    Address, Encoding, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

/// How deep attached messages inside attached messages are opened.
pub(crate) const MAX_DEPTH: usize = 8;
/// The most attachments listed for one message (the rest stay in the raw message).
pub(crate) const MAX_ATTACHMENTS: usize = 1000;

/// A parsed message and the bytes of each attachment, in the order of `mail.attachments`.
pub struct Decoded {
    pub mail: ParsedMail,
    pub files: Vec<Vec<u8>>,
}

/// Parses `raw`. An error means no message could be made of it at all: the raw bytes are
/// still kept and the message listed for triage with this error.
pub fn parse(raw: &[u8]) -> Result<ParsedMail, String> {
    walk(raw, false).map(|d| d.mail)
}

/// The bytes of attachment `position` of the stored message, if its hash is `sha`.
pub fn attachment_bytes(raw: &[u8], position: usize, sha: &str) -> Option<Vec<u8>> {
    let d = decode(raw).ok()?;
    d.files
        .into_iter()
        .nth(position)
        .filter(|b| sha256_hex(b) == sha)
}

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

fn content_type(part: &MessagePart) -> String {
    part.content_type()
        .map(|c| match c.subtype() {
            Some(s) => format!("{}/{}", c.ctype(), s),
            None => c.ctype().to_string(),
        })
        .unwrap_or_else(|| "application/octet-stream".into())
        .to_ascii_lowercase()
}

/// A part's body with its transfer encoding undone but its charset not yet applied.
fn transfer_decoded(msg: &Message, part: &MessagePart) -> Option<Vec<u8>> {
    let raw = msg
        .raw_message
        .get(part.offset_body as usize..part.offset_end as usize)?;
    match part.encoding {
        Encoding::None => Some(raw.to_vec()),
        Encoding::Base64 => base64_decode(raw),
        Encoding::QuotedPrintable => quoted_printable_decode(raw),
    }
}

/// A text part's characters, read the browser way (or mail-parser's, for labels the
/// Encoding Standard does not know, like UTF-7).
fn part_text(msg: &Message, part: &MessagePart, parsed: &str, notes: &mut Vec<String>) -> String {
    let declared = part.content_type().and_then(|c| c.attribute("charset"));
    match transfer_decoded(msg, part).and_then(|b| charset::decode(&b, declared)) {
        Some(d) => {
            notes.extend(d.note);
            d.text
        }
        None => parsed.to_string(),
    }
}

/// The body of a message as text: its text parts, or its HTML made readable, or (when both
/// give nothing) the unnamed HTML part the parser listed as an attachment, whose id is
/// returned so it is not listed again.
fn body_text(msg: &Message, notes: &mut Vec<String>) -> (String, Option<u32>) {
    let mut texts = Vec::new();
    for id in &msg.text_body {
        let Some(part) = msg.parts.get(*id as usize) else {
            continue;
        };
        match &part.body {
            PartType::Text(t) => texts.push(part_text(msg, part, t.as_ref(), notes)),
            PartType::Html(h) => texts.push(html_to_text(&part_text(msg, part, h.as_ref(), notes))),
            _ => {}
        }
    }
    let mut text = texts.join("\n\n");
    if text.trim().is_empty() {
        for id in &msg.html_body {
            if let Some(part) = msg.parts.get(*id as usize) {
                if let PartType::Html(h) = &part.body {
                    text.push_str(&html_to_text(&part_text(msg, part, h.as_ref(), notes)));
                }
            }
        }
    }
    let mut stray = None;
    if text.trim().is_empty() {
        if let Some(id) = parts::stray_body(msg) {
            let part = &msg.parts[id as usize];
            if let PartType::Html(h) = &part.body {
                text = html_to_text(&part_text(msg, part, h.as_ref(), notes));
                stray = Some(id);
            }
        }
    }
    (charset::normalise_newlines(&text), stray)
}

fn looks_like_message(ct: &str, name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ct == "message/rfc822" || lower.ends_with(".eml") || lower.ends_with(".email")
}

/// Whether mail-parser made an e-mail message of it: parts, and a header a message has (or
/// at least a MIME content type).
fn is_mail(msg: &Message) -> bool {
    let essential = [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "Content-Type",
    ];
    !msg.parts.is_empty()
        && msg
            .headers()
            .iter()
            .any(|h| essential.iter().any(|e| h.name().eq_ignore_ascii_case(e)))
}

fn is_tnef(ct: &str, name: &str) -> bool {
    ct == "application/ms-tnef"
        || ct == "application/vnd.ms-tnef"
        || name.eq_ignore_ascii_case("winmail.dat")
}

/// Parses `raw` into the message and its attachments' bytes.
pub fn decode(raw: &[u8]) -> Result<Decoded, String> {
    walk(raw, true)
}

fn walk(raw: &[u8], keep_bytes: bool) -> Result<Decoded, String> {
    let copy = recover::repair(raw);
    let msg = MessageParser::default()
        .parse(copy.as_ref())
        .ok_or_else(|| "mail-parser could not parse the message (no headers found)".to_string())?;
    // mail-parser 0.11 indexes parts[0] in its accessors: a message without parts would panic.
    if msg.parts.is_empty() {
        return Err("no MIME parts could be read".into());
    }
    if !is_mail(&msg) {
        return Err(
            "no From, To, Subject, Date, Message-ID or Content-Type header: not an e-mail message"
                .into(),
        );
    }
    let header_text = |name: &str| msg.header_raw(name).map(|s| s.trim().to_string());
    let mut w = Walk {
        keep_bytes,
        ..Walk::default()
    };
    let mut recipients = addrs(msg.to());
    recipients.extend(addrs(msg.cc()));
    for (name, value) in msg.headers_raw() {
        if name.eq_ignore_ascii_case("Delivered-To") || name.eq_ignore_ascii_case("X-Original-To") {
            recipients.push(value.trim().trim_matches(['<', '>']).to_ascii_lowercase());
        }
    }
    let mut notes = Vec::new();
    let (body, stray) = body_text(&msg, &mut notes);
    let (text, uu) = uuencode::extract(&body);
    w.notes.extend(notes);
    for f in uu {
        w.push(
            &f.name,
            "application/octet-stream",
            f.bytes,
            AttachmentSource::Uuencode,
            None,
        );
    }
    w.mail.in_reply_to = ids(msg.in_reply_to());
    w.attachments(&msg, stray, 1, None);
    let is_delivery_report = msg.parts.iter().any(|p| {
        p.content_type().is_some_and(|c| {
            c.ctype().eq_ignore_ascii_case("multipart")
                && c.subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
                && c.attribute("report-type")
                    .is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
        })
    });
    if w.mail.attachments.len() >= MAX_ATTACHMENTS {
        w.notes.push(format!(
            "more than {MAX_ATTACHMENTS} attachments: the first {MAX_ATTACHMENTS} are listed; all are in the stored message"
        ));
    }
    let from = msg.from().and_then(|a| a.first());
    let failed = failed_recipients(&format!(
        "{}\n{}\n{}",
        w.delivery_text, text, w.mail.attached_text
    ));
    w.notes.dedup();
    let Walk {
        mut mail,
        files,
        notes,
        delivery_text,
        ..
    } = w;
    mail.failed_recipients = failed;
    mail.message_id = msg.message_id().map(angle);
    mail.references = ids(msg.references());
    mail.subject = msg.subject().unwrap_or("").to_string();
    mail.from_addr = from
        .and_then(|a| a.address())
        .map(|s| s.to_ascii_lowercase());
    mail.from_name = from.and_then(|a| a.name()).map(|s| s.trim().to_string());
    mail.recipients = recipients;
    mail.date = msg
        .date()
        .and_then(|d| chrono::DateTime::parse_from_rfc3339(&d.to_rfc3339()).ok())
        .map(|d| d.with_timezone(&chrono::Utc));
    mail.text = text;
    if !delivery_text.is_empty() {
        mail.attached_text
            .push_str(&charset::normalise_newlines(&delivery_text));
    }
    mail.attached_text = charset::normalise_newlines(&mail.attached_text);
    mail.has_html = !msg.html_body.is_empty()
        && msg.html_body.iter().any(|id| {
            matches!(
                msg.parts.get(*id as usize).map(|p| &p.body),
                Some(PartType::Html(_))
            )
        });
    mail.decoding_note = (!notes.is_empty()).then(|| notes.join("; "));
    mail.auto_submitted = header_text("Auto-Submitted");
    mail.x_autoreply =
        header_text("X-Autoreply").is_some() || header_text("X-Autorespond").is_some();
    mail.precedence = header_text("Precedence");
    mail.exchange_rules_loop = header_text("X-MS-Exchange-Inbox-Rules-Loop").is_some();
    mail.message_class = header_text("X-POST-MessageClass");
    mail.is_delivery_report = is_delivery_report;
    Ok(Decoded { mail, files })
}

#[cfg(test)]
mod tests;
