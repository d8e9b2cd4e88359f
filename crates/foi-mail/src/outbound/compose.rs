//! Composing the MIME message for a letter: our own Message-ID (deterministic per request and
//! kind, so a letter can never be queued twice), the reference token, From the requester, To
//! the body's FOI address, an optional per-request Reply-To, threading headers for chasers,
//! and a plain-text part with an HTML alternative.

use super::render::Letter;
use crate::domain::ids::MessageId;
use lettre::message::{header, Mailbox, MultiPart};
use lettre::Message;
use std::str::FromStr;
use std::time::SystemTime;

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("{field} `{value}` is not a usable e-mail address: {message}")]
    Address {
        field: &'static str,
        value: String,
        message: String,
    },
    #[error("cannot build the message: {0}")]
    Build(String),
}

/// Everything but the letter's text that goes into the headers.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    pub from_name: &'a str,
    pub from_email: &'a str,
    pub to_name: &'a str,
    pub to_email: &'a str,
    pub reply_to: Option<&'a str>,
    pub message_id: &'a str,
    /// The Message-ID this one replies to (chasers reply in the request's thread).
    pub in_reply_to: Option<&'a str>,
    pub date: SystemTime,
    pub reference: &'a str,
}

/// Our Message-ID for a request's letter of `kind` (`request`, or a chaser step id):
/// `<ref.kind@domain>`, lower case, deterministic.
pub fn message_id(reference: &str, kind: &str, from_email: &str) -> MessageId {
    let domain = from_email
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or("foi.invalid");
    // Only characters a Message-ID can carry: a step id is the team's own text.
    let part = |s: &str| -> String {
        s.to_ascii_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    MessageId::from_str(&format!(
        "<foi.{}.{}@{}>",
        part(reference),
        part(kind),
        part(domain)
    ))
    .expect("built only from characters a Message-ID allows")
}

/// Fills `{ref}` in a Reply-To pattern like `foi+{ref}@example.org`.
pub fn reply_to_address(pattern: &str, reference: &str) -> Option<String> {
    (!pattern.trim().is_empty()).then(|| pattern.replace("{ref}", &reference.to_ascii_lowercase()))
}

fn mailbox(field: &'static str, name: &str, email: &str) -> Result<Mailbox, ComposeError> {
    let addr = email
        .trim()
        .parse()
        .map_err(|e: lettre::address::AddressError| ComposeError::Address {
            field,
            value: email.to_string(),
            message: e.to_string(),
        })?;
    Ok(Mailbox::new(
        Some(name.to_string()).filter(|n| !n.is_empty()),
        addr,
    ))
}

/// A file sent with a letter (already checked: `domain::enclosure`).
#[derive(Debug, Clone)]
pub struct Enclosed<'a> {
    pub filename: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// The message's bytes exactly as they will be sent, and its envelope recipients.
pub fn compose(env: &Envelope, letter: &Letter) -> Result<Vec<u8>, ComposeError> {
    compose_with(env, letter, &[])
}

/// [`compose`], with files attached after the letter (`multipart/mixed`).
pub fn compose_with(
    env: &Envelope,
    letter: &Letter,
    files: &[Enclosed],
) -> Result<Vec<u8>, ComposeError> {
    let mut b = Message::builder()
        .from(mailbox("From", env.from_name, env.from_email)?)
        .to(mailbox("To", env.to_name, env.to_email)?)
        .subject(letter.subject.clone())
        .message_id(Some(env.message_id.to_string()))
        .date(env.date)
        .header(XFoiReference(env.reference.to_string()));
    if let Some(r) = env.reply_to {
        b = b.reply_to(mailbox("Reply-To", env.from_name, r)?);
    }
    if let Some(parent) = env.in_reply_to {
        b = b
            .in_reply_to(parent.to_string())
            .references(parent.to_string());
    }
    let body = MultiPart::alternative_plain_html(letter.text.clone(), letter.html.clone());
    let body = if files.is_empty() {
        body
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for f in files {
            let ct = header::ContentType::parse(f.content_type)
                .map_err(|e| ComposeError::Build(format!("{}: {e}", f.filename)))?;
            mixed = mixed.singlepart(
                lettre::message::Attachment::new(f.filename.to_string()).body(f.bytes.to_vec(), ct),
            );
        }
        mixed
    };
    let m = b
        .multipart(body)
        .map_err(|e| ComposeError::Build(e.to_string()))?;
    Ok(m.formatted())
}

/// `X-FOI-Reference: MSK26-QHM` on every letter we send.
#[derive(Debug, Clone)]
struct XFoiReference(String);

impl header::Header for XFoiReference {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("X-FOI-Reference")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(XFoiReference(s.to_string()))
    }
    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_deterministic_and_distinct_per_kind() {
        let a = message_id("MSK26-QHM", "request", "projects@arma.uk.net");
        assert_eq!(a, "<foi.msk26-qhm.request@arma.uk.net>");
        assert_eq!(
            a,
            message_id("MSK26-QHM", "request", "projects@arma.uk.net")
        );
        assert_ne!(
            a,
            message_id("MSK26-QHM", "reminder-1", "projects@arma.uk.net")
        );
    }

    #[test]
    fn composes_headers_and_both_parts() {
        let letter = Letter {
            subject: "FOI request [FOI ref T-QHM]".into(),
            text: "Dear NHS <North>,\nQ?".into(),
            html: "<p>Dear NHS &lt;North&gt;</p>".into(),
        };
        let env = Envelope {
            from_name: "Ann",
            from_email: "ann@org.org",
            to_name: "NHS North",
            to_email: "foi@north.nhs.uk",
            reply_to: Some("foi+t-qhm@org.org"),
            message_id: "<foi.t-qhm.request@org.org>",
            in_reply_to: None,
            date: SystemTime::UNIX_EPOCH,
            reference: "T-QHM",
        };
        let raw = String::from_utf8(compose(&env, &letter).unwrap()).unwrap();
        assert!(
            raw.contains("Message-ID: <foi.t-qhm.request@org.org>"),
            "{raw}"
        );
        assert!(raw.contains("X-FOI-Reference: T-QHM"));
        assert!(raw.contains("Reply-To:"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        let bad = Envelope {
            to_email: "not an address",
            ..env
        };
        assert!(compose(&bad, &letter).is_err());
    }
}
