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
//! * delivery status reports give their `Action:` and failed recipients.
//!
//! The raw bytes are never changed: repairs apply to the copy the parser reads, and every
//! attachment is found again from the raw message by its position.

mod charset;
mod recover;
pub mod tnef;
pub mod uuencode;

use crate::domain::mail::{
    angle, failed_recipients, html_to_text, sanitise_filename, AttachmentInfo, AttachmentSource,
    DeliveryAction, ParsedMail,
};
use crate::rawstore::sha256_hex;
use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{
    Address, Encoding, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

/// How deep attached messages inside attached messages are opened.
pub const MAX_DEPTH: usize = 8;
/// The most attachments listed for one message (the rest stay in the raw message).
pub const MAX_ATTACHMENTS: usize = 1000;

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

/// The body of a message as text: its text parts, or its HTML made readable.
fn body_text(msg: &Message, notes: &mut Vec<String>) -> String {
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
    charset::normalise_newlines(&text)
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

/// What the walk collects.
#[derive(Default)]
struct Walk {
    mail: ParsedMail,
    /// Keep each attachment's bytes (a download), or only their hash (ingest).
    keep_bytes: bool,
    files: Vec<Vec<u8>>,
    notes: Vec<String>,
    delivery_text: String,
}

impl Walk {
    fn push(
        &mut self,
        name: &str,
        content_type: &str,
        bytes: impl AsRef<[u8]> + Into<Vec<u8>>,
        source: AttachmentSource,
        parent: Option<usize>,
    ) -> Option<usize> {
        let position = self.mail.attachments.len();
        if position >= MAX_ATTACHMENTS {
            return None;
        }
        self.mail.attachments.push(AttachmentInfo {
            filename: sanitise_filename(name),
            content_type: content_type.to_string(),
            size: bytes.as_ref().len() as u64,
            sha256: sha256_hex(bytes.as_ref()),
            position,
            parent,
            source,
        });
        if self.keep_bytes {
            self.files.push(bytes.into());
        }
        Some(position)
    }

    /// The attachments of `msg` (an attached message's when `parent` is set).
    fn attachments(&mut self, msg: &Message, depth: usize, parent: Option<usize>) {
        for id in &msg.attachments {
            let Some(part) = msg.parts.get(*id as usize) else {
                continue;
            };
            if let PartType::Message(inner) = &part.body {
                self.attached_message(part.attachment_name(), inner, depth, parent);
                continue;
            }
            let ct = content_type(part);
            if ct == "text/rfc822-headers" || ct == "message/delivery-status" {
                self.delivery_part(part);
                continue;
            }
            let bytes: std::borrow::Cow<[u8]> = match &part.body {
                PartType::Text(_) | PartType::Html(_) => transfer_decoded(msg, part)
                    .map(std::borrow::Cow::Owned)
                    .unwrap_or(std::borrow::Cow::Borrowed(part.contents())),
                _ => std::borrow::Cow::Borrowed(part.contents()),
            };
            let name = part.attachment_name().unwrap_or("attachment").to_string();
            // A message sent as a file (`.eml`, `.email`, or message/rfc822 left unparsed).
            if looks_like_message(&ct, &name) {
                if let Some(inner) = MessageParser::default().parse(&bytes) {
                    if is_mail(&inner) {
                        self.attached_message(Some(&name), &inner, depth, parent);
                        continue;
                    }
                }
            }
            if is_tnef(&ct, &name) {
                let inside = tnef::unpack(&bytes);
                if !inside.is_empty() {
                    for f in inside {
                        self.push(
                            &f.name,
                            "application/octet-stream",
                            f.bytes,
                            AttachmentSource::Tnef,
                            parent,
                        );
                    }
                    continue;
                }
            }
            self.push(&name, &ct, bytes, AttachmentSource::Mime, parent);
        }
    }

    /// A delivery status part or returned headers: the action, the failed recipients and the
    /// Message-ID of our letter.
    fn delivery_part(&mut self, part: &MessagePart) {
        let body = String::from_utf8_lossy(part.contents()).into_owned();
        for line in body.lines() {
            let lower = line.trim().to_ascii_lowercase();
            if let Some(rest) = lower.strip_prefix("message-id:") {
                self.mail.returned_message_ids.push(angle(rest.trim()));
            }
            if let Some(action) = lower.strip_prefix("action:") {
                let a = action.trim();
                if a.starts_with("failed") {
                    self.mail.delivery_action = Some(DeliveryAction::Failed);
                } else if a.starts_with("delayed")
                    && self.mail.delivery_action != Some(DeliveryAction::Failed)
                {
                    self.mail.delivery_action = Some(DeliveryAction::Delayed);
                }
            }
        }
        self.delivery_text.push_str(&body);
        self.delivery_text.push('\n');
    }

    fn attached_message(
        &mut self,
        given_name: Option<&str>,
        inner: &Message,
        depth: usize,
        parent: Option<usize>,
    ) {
        let subject = inner
            .parts
            .first()
            .and_then(|_| inner.subject())
            .unwrap_or("attached message")
            .trim()
            .to_string();
        let name = match given_name {
            Some(n) if n.to_ascii_lowercase().ends_with(".eml") => n.to_string(),
            Some(n) => format!("{n}.eml"),
            None => format!("{subject}.eml"),
        };
        let Some(at) = self.push(
            &name,
            "message/rfc822",
            inner.raw_message.as_ref(),
            AttachmentSource::Message,
            parent,
        ) else {
            return;
        };
        // mail-parser 0.11 indexes parts[0] in its accessors: an empty message has none.
        if inner.parts.is_empty() {
            return;
        }
        if let Some(id) = inner.message_id() {
            self.mail.returned_message_ids.push(angle(id));
        }
        self.mail.in_reply_to.extend(ids(inner.in_reply_to()));
        if depth >= MAX_DEPTH {
            self.notes.push(format!(
                "attached messages nested deeper than {MAX_DEPTH} are kept whole, not opened"
            ));
            return;
        }
        let mut notes = Vec::new();
        let (text, uu) = uuencode::extract(&body_text(inner, &mut notes));
        let header = |label: &str, v: Option<String>| {
            v.filter(|v| !v.is_empty())
                .map(|v| format!("{label}: {v}\n"))
                .unwrap_or_default()
        };
        let list = |a: Option<&Address>| {
            a.map(|a| {
                a.iter()
                    .map(|x| match (x.name(), x.address()) {
                        (Some(n), Some(e)) => format!("{n} <{e}>"),
                        (None, Some(e)) => e.to_string(),
                        (Some(n), None) => n.to_string(),
                        (None, None) => String::new(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        };
        let with_headers = format!(
            "{}{}{}{}\n{}",
            header("From", list(inner.from())),
            header("To", list(inner.to())),
            header("Date", inner.date().map(|d| d.to_rfc822())),
            header("Subject", Some(subject.clone())),
            text
        );
        self.mail.attached_text.push_str(&with_headers);
        self.mail.attached_text.push('\n');
        self.push(
            &format!("{subject}.txt"),
            "text/plain",
            with_headers.into_bytes(),
            AttachmentSource::MessageText,
            Some(at),
        );
        for f in uu {
            self.push(
                &f.name,
                "application/octet-stream",
                f.bytes,
                AttachmentSource::Uuencode,
                Some(at),
            );
        }
        self.attachments(inner, depth + 1, Some(at));
    }
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
    let (text, uu) = uuencode::extract(&body_text(&msg, &mut notes));
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
    w.attachments(&msg, 1, None);
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
