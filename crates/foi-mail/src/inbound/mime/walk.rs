//! The walk over a parsed message: every attachment a mail client would show, attached
//! messages opened (their text, headers and own attachments listed under them), Outlook's
//! `winmail.dat` unpacked, delivery-status parts read.

use super::{
    body_text, content_type, ids, is_mail, is_tnef, looks_like_message, parts, tnef,
    transfer_decoded, uuencode, MAX_ATTACHMENTS, MAX_DEPTH,
};
use crate::domain::mail::{
    angle, sanitise_filename, AttachmentInfo, AttachmentSource, DeliveryAction, ParsedMail,
};
use crate::rawstore::sha256_hex;
use mail_parser::{Address, Message, MessageParser, MessagePart, PartType};

/// What the walk collects.
#[derive(Default)]
pub(super) struct Walk {
    pub mail: ParsedMail,
    /// Keep each attachment's bytes (a download), or only their hash (ingest).
    pub keep_bytes: bool,
    pub files: Vec<Vec<u8>>,
    pub notes: Vec<String>,
    pub delivery_text: String,
}

impl Walk {
    pub fn push(
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

    /// The attachments of `msg` (an attached message's when `parent` is set), but `body`, the
    /// part that was taken as its body.
    pub fn attachments(
        &mut self,
        msg: &Message,
        body: Option<u32>,
        depth: usize,
        parent: Option<usize>,
    ) {
        for id in &msg.attachments {
            if Some(*id) == body {
                continue;
            }
            let Some(part) = msg.parts.get(*id as usize) else {
                continue;
            };
            if let PartType::Message(inner) = &part.body {
                self.attached_message(parts::name(part).as_deref(), inner, depth, parent);
                continue;
            }
            let ct = content_type(part);
            if ct == "text/rfc822-headers" || ct == "message/delivery-status" {
                self.delivery_part(part);
                continue;
            }
            let name = parts::name(part).unwrap_or_else(|| "attachment".into());
            let bytes: std::borrow::Cow<[u8]> = if parts::undecoded_base64(part) {
                // The parser gave up on the base64 and returned its text: decode it here.
                let body = msg
                    .raw_message
                    .get(part.offset_body as usize..part.offset_end as usize)
                    .unwrap_or_default();
                match parts::lenient_base64(body) {
                    Some(b) => std::borrow::Cow::Owned(b),
                    None => {
                        self.notes.push(format!(
                            "{name}: its base64 is damaged and could not be decoded; it is kept as it came"
                        ));
                        std::borrow::Cow::Borrowed(part.contents())
                    }
                }
            } else {
                match &part.body {
                    PartType::Text(_) | PartType::Html(_) => transfer_decoded(msg, part)
                        .map(std::borrow::Cow::Owned)
                        .unwrap_or(std::borrow::Cow::Borrowed(part.contents())),
                    _ => std::borrow::Cow::Borrowed(part.contents()),
                }
            };
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
        let (body, stray) = body_text(inner, &mut notes);
        let (text, uu) = uuencode::extract(&body);
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
        self.attachments(inner, stray, depth + 1, Some(at));
    }
}
