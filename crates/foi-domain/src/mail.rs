//! An inbound e-mail as the domain sees it (filled in by the parser adapter), and the rules
//! that recognise automatic replies and delivery failure reports.

use serde::Serialize;

/// Where an attachment was found: what a mail client would show, however it was packed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentSource {
    /// A MIME part.
    #[default]
    Mime,
    /// A uuencoded block inside a text part.
    Uuencode,
    /// A file inside an Outlook `winmail.dat` (TNEF).
    Tnef,
    /// An attached message, kept whole as `.eml`.
    Message,
    /// The text of an attached message, with its headers.
    MessageText,
}

impl AttachmentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentSource::Mime => "mime",
            AttachmentSource::Uuencode => "uuencode",
            AttachmentSource::Tnef => "tnef",
            AttachmentSource::Message => "message",
            AttachmentSource::MessageText => "message_text",
        }
    }
    pub fn parse(s: &str) -> AttachmentSource {
        match s {
            "uuencode" => AttachmentSource::Uuencode,
            "tnef" => AttachmentSource::Tnef,
            "message" => AttachmentSource::Message,
            "message_text" => AttachmentSource::MessageText,
            _ => AttachmentSource::Mime,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AttachmentInfo {
    /// Sanitised: no directories, no control characters, at most 150 characters.
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    /// Its place in the message's list (0-based): what a download asks for, so two files with
    /// the same bytes and different names stay two.
    pub position: usize,
    /// The attached message it was found in (that message's `position`), if any.
    pub parent: Option<usize>,
    pub source: AttachmentSource,
}

/// What a delivery status report says happened to our message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryAction {
    /// It could not be delivered (a bounce).
    Failed,
    /// Delivery is delayed and still being retried: not a bounce.
    Delayed,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParsedMail {
    pub message_id: Option<String>,
    /// In-Reply-To and References, each `<…>`.
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub subject: String,
    pub from_addr: Option<String>,
    pub from_name: Option<String>,
    /// To, Cc and Delivered-To addresses, lower case.
    pub recipients: Vec<String>,
    pub date: Option<chrono::DateTime<chrono::Utc>>,
    /// The plain-text body, or the HTML body turned into text (LF line ends).
    pub text: String,
    /// The text of attached (forwarded, returned) messages: read for matching, not shown.
    pub attached_text: String,
    /// How the body's characters were read when that took a guess or a correction, e.g.
    /// "no charset declared; read as windows-1252 (detected)".
    pub decoding_note: Option<String>,
    pub has_html: bool,
    pub attachments: Vec<AttachmentInfo>,
    /// Header facts for auto-reply detection.
    pub auto_submitted: Option<String>,
    /// `X-Autoreply` or `X-Autorespond` present.
    pub x_autoreply: bool,
    pub precedence: Option<String>,
    /// `X-MS-Exchange-Inbox-Rules-Loop` present (an Exchange rule answered).
    pub exchange_rules_loop: bool,
    /// `X-POST-MessageClass` (e.g. `9; Autoresponder`).
    pub message_class: Option<String>,
    /// `multipart/report; report-type=delivery-status`.
    pub is_delivery_report: bool,
    /// Message-IDs found in a delivery report's returned headers or text.
    pub returned_message_ids: Vec<String>,
    /// From a delivery status report (`Action:`), when there is one.
    pub delivery_action: Option<DeliveryAction>,
    /// The addresses a delivery report says failed (or were delayed), lower case.
    pub failed_recipients: Vec<String>,
}

/// Normalises a Message-ID to `<id>` form.
pub fn angle(id: &str) -> String {
    let t = id.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{t}>")
}

/// Bidirectional controls and other invisible format characters: a right-to-left override
/// makes `invoice\u{202E}fdp.exe` read as `invoiceexe.pdf`. They never belong in a file name.
pub(crate) fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// A file name that is safe to show and to offer as a download.
pub fn sanitise_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .map(|c| {
            if matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    let cleaned: String = cleaned.chars().take(150).collect();
    if cleaned.is_empty() {
        "attachment".into()
    } else {
        cleaned
    }
}

const OOO_SUBJECTS: &[&str] = &[
    "out of office",
    "out of the office",
    "automatic reply",
    "automatic response",
    "auto-reply",
    "autoreply",
    "auto reply",
    "auto:",
    "away from the office",
    "on annual leave",
];

/// An automatic reply (out of office, autoresponder): kept, but not a response. Recognised
/// from `Auto-Submitted`, `X-Autoreply` / `X-Autorespond`, `Precedence: auto_reply|bulk|junk`,
/// `X-MS-Exchange-Inbox-Rules-Loop`, `X-POST-MessageClass: …Autoresponder`, or the subject.
pub fn is_auto_reply(m: &ParsedMail) -> bool {
    if m.auto_submitted
        .as_deref()
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"))
    {
        return true;
    }
    if m.x_autoreply || m.exchange_rules_loop {
        return true;
    }
    if m.message_class
        .as_deref()
        .is_some_and(|c| c.to_ascii_lowercase().contains("autoresponder"))
    {
        return true;
    }
    if m.precedence.as_deref().is_some_and(|p| {
        matches!(
            p.trim().to_ascii_lowercase().as_str(),
            "auto_reply" | "bulk" | "junk" | "list"
        )
    }) {
        return true;
    }
    let s = m.subject.to_ascii_lowercase();
    OOO_SUBJECTS.iter().any(|o| s.contains(o))
}

/// Subjects of delivery failure reports (Exim, Postfix, Exchange, WebShield, Lotus …).
const BOUNCE_SUBJECTS: &[&str] = &[
    "undeliver",
    "delivery status notification (failure)",
    "failure notice",
    "returned mail",
    "delivery has failed",
    "mail delivery failed",
    "delivery failure",
    "could not be delivered",
    "non-delivery",
    "error during delivery",
    "mail system error",
];

/// Subjects of delay notices: delivery is still being retried.
const DELAY_SUBJECTS: &[&str] = &[
    "delivery status notification (delay)",
    "delivery delayed",
    "delayed mail",
    "warning: message",
    "message delayed",
];

fn from_mail_system(m: &ParsedMail) -> bool {
    let from = m.from_addr.as_deref().unwrap_or("").to_ascii_lowercase();
    let name = m.from_name.as_deref().unwrap_or("").to_ascii_lowercase();
    [
        "mailer-daemon@",
        "postmaster@",
        "mail-daemon@",
        "mailerdaemon@",
    ]
    .iter()
    .any(|p| from.starts_with(p))
        || [
            "mail delivery",
            "mailer-daemon",
            "webshield",
            "postmaster",
            "mail service",
        ]
        .iter()
        .any(|n| name.contains(n))
}

/// A delay notice ("Delivery Status Notification (Delay)", `Action: delayed`): our letter is
/// still being retried. Recorded on the letter; never a bounce.
pub fn is_delay(m: &ParsedMail) -> bool {
    if m.delivery_action == Some(DeliveryAction::Delayed) {
        return true;
    }
    let s = m.subject.to_ascii_lowercase();
    (m.is_delivery_report || from_mail_system(m)) && DELAY_SUBJECTS.iter().any(|k| s.contains(k))
}

/// A delivery failure report (a DSN, or a mail system's bounce text).
pub fn is_bounce(m: &ParsedMail) -> bool {
    if is_delay(m) {
        return false;
    }
    if m.is_delivery_report || m.delivery_action == Some(DeliveryAction::Failed) {
        return true;
    }
    let s = m.subject.to_ascii_lowercase();
    from_mail_system(m) && BOUNCE_SUBJECTS.iter().any(|k| s.contains(k))
}

/// Addresses a bounce says failed, from `Final-Recipient:` lines and the lists mail systems
/// write under "The following address(es) failed:", "---- Failed Recipients ----" and
/// "Delivery to the following recipient(s) failed". Lower case, without duplicates.
pub fn failed_recipients(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    fn push(out: &mut Vec<String>, a: &str) {
        let a = a
            .trim()
            .trim_matches(|c: char| matches!(c, '<' | '>' | '"' | '\'' | ',' | ';' | ':' | '.'))
            .to_ascii_lowercase();
        if a.contains('@') && !a.contains(char::is_whitespace) && !out.contains(&a) {
            out.push(a);
        }
    }
    let mut listing = false;
    for line in text.lines() {
        let t = line.trim();
        let lower = t.to_ascii_lowercase();
        if let Some(rest) = lower
            .strip_prefix("final-recipient:")
            .or_else(|| lower.strip_prefix("original-recipient:"))
        {
            let addr = rest.rsplit(';').next().unwrap_or(rest);
            push(&mut out, addr);
            continue;
        }
        if lower.contains("following address(es) failed")
            || lower.contains("failed recipients")
            || lower.contains("following recipient(s) failed")
            || lower.contains("following recipients failed")
            || lower.contains("could not be delivered to")
        {
            listing = true;
            continue;
        }
        if listing {
            if t.is_empty() {
                if !out.is_empty() {
                    listing = false;
                }
                continue;
            }
            match t.split_whitespace().find(|w| w.contains('@')) {
                Some(w) => push(&mut out, w),
                None if !out.is_empty() => listing = false,
                None => {}
            }
        }
    }
    out
}

pub use crate::html::html_to_text;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_replies_by_header_and_subject() {
        let m = |f: &dyn Fn(&mut ParsedMail)| {
            let mut x = ParsedMail {
                subject: "RE: request".into(),
                ..Default::default()
            };
            f(&mut x);
            is_auto_reply(&x)
        };
        assert!(!m(&|_| {}));
        assert!(m(&|x| x.auto_submitted = Some("auto-replied".into())));
        assert!(!m(&|x| x.auto_submitted = Some("no".into())));
        assert!(m(&|x| x.x_autoreply = true));
        assert!(m(&|x| x.precedence = Some("auto_reply".into())));
        assert!(m(&|x| x.subject = "Out of Office: FOI".into()));
        assert!(m(&|x| x.subject = "Automatic reply: [FOI ref X-1]".into()));
        assert!(m(&|x| x.exchange_rules_loop = true));
        assert!(m(&|x| x.message_class = Some("9; Autoresponder".into())));
        assert!(m(&|x| x.precedence = Some("junk".into())));
    }

    #[test]
    fn bounces() {
        let mut x = ParsedMail {
            from_addr: Some("MAILER-DAEMON@mx.example".into()),
            subject: "Undelivered Mail Returned to Sender".into(),
            ..Default::default()
        };
        assert!(is_bounce(&x));
        x.from_addr = Some("foi@nhs.net".into());
        assert!(!is_bounce(&x));
        x.is_delivery_report = true;
        assert!(is_bounce(&x));
        // A delay notice is never a bounce.
        x.delivery_action = Some(DeliveryAction::Delayed);
        assert!(!is_bounce(&x));
        assert!(is_delay(&x));
        // Exim and WebShield texts, recognised by their sender and subject.
        let exim = ParsedMail {
            from_addr: Some("mailer-daemon@mx.example".into()),
            from_name: Some("Mail Delivery System".into()),
            subject: "Mail delivery failed: returning message to sender".into(),
            ..Default::default()
        };
        assert!(is_bounce(&exim));
        let webshield = ParsedMail {
            from_name: Some("Webshield SMTP V4.5 MR3 Mail Service".into()),
            subject: "Returned Mail: Error During Delivery".into(),
            ..Default::default()
        };
        assert!(is_bounce(&webshield));
        let ooo = ParsedMail {
            subject: "Out of Office: Notification".into(),
            ..Default::default()
        };
        assert!(!is_bounce(&ooo));
    }

    #[test]
    fn failed_recipients_from_dsns_and_bounce_texts() {
        assert_eq!(
            failed_recipients("Reporting-MTA: dns; x\nFinal-Recipient: rfc822;FailedUser@Example.com\nAction: failed\n"),
            ["faileduser@example.com"]
        );
        assert_eq!(
            failed_recipients("recipients. The following address(es) failed:\n\n  user@example.com\n    Unrouteable address\n\n-- rest"),
            ["user@example.com"]
        );
        assert_eq!(
            failed_recipients("    ---- Failed Recipients ----\n\n<failed.user@example.co.uk>\nMail Loop Detected\n"),
            ["failed.user@example.co.uk"]
        );
        assert!(failed_recipients("Dear team, thanks for writing to foi@nhs.net").is_empty());
    }

    #[test]
    fn bidi_overrides_are_removed_from_file_names() {
        assert_eq!(
            sanitise_filename("invoice\u{202E}fdp.exe"),
            "invoicefdp.exe"
        );
        assert_eq!(
            sanitise_filename("\u{200B}a\u{2066}b\u{FEFF}.pdf"),
            "ab.pdf"
        );
    }

    #[test]
    fn filenames_are_sanitised() {
        assert_eq!(sanitise_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitise_filename("C:\\x\\report.pdf"), "report.pdf");
        assert_eq!(sanitise_filename("a\"b<c>.xlsx"), "a_b_c_.xlsx");
        assert_eq!(sanitise_filename("\u{0}\u{7}"), "attachment");
        assert_eq!(sanitise_filename(".hidden"), "hidden");
    }

    #[test]
    fn html_becomes_text() {
        let t = html_to_text("<html><head><style>p{}</style></head><body><p>Dear A &amp; B,</p><p>Our ref <b>MSK26-QHM</b></p><script>x()</script></body></html>");
        assert_eq!(t, "Dear A & B,\nOur ref MSK26-QHM");
    }
}
