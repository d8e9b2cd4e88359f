//! An inbound e-mail as the domain sees it (filled in by the parser adapter), and the rules
//! that recognise automatic replies and delivery failure reports.

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AttachmentInfo {
    /// Sanitised: no directories, no control characters, at most 150 characters.
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
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
    /// The plain-text body, or the HTML body turned into text.
    pub text: String,
    pub has_html: bool,
    pub attachments: Vec<AttachmentInfo>,
    /// Header facts for auto-reply detection.
    pub auto_submitted: Option<String>,
    pub x_autoreply: bool,
    pub precedence: Option<String>,
    /// `multipart/report; report-type=delivery-status`.
    pub is_delivery_report: bool,
    /// Message-IDs found in a delivery report's returned headers or text.
    pub returned_message_ids: Vec<String>,
}

/// Normalises a Message-ID to `<id>` form.
pub fn angle(id: &str) -> String {
    let t = id.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{t}>")
}

/// A file name that is safe to show and to offer as a download.
pub fn sanitise_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
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
    "auto-reply",
    "autoreply",
    "auto reply",
    "away from the office",
    "on annual leave",
];

/// An automatic reply (out of office, autoresponder): kept, but not a response.
pub fn is_auto_reply(m: &ParsedMail) -> bool {
    if m.auto_submitted
        .as_deref()
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"))
    {
        return true;
    }
    if m.x_autoreply {
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

/// A delivery failure report (DSN or a mailer-daemon bounce).
pub fn is_bounce(m: &ParsedMail) -> bool {
    if m.is_delivery_report {
        return true;
    }
    let from = m.from_addr.as_deref().unwrap_or("").to_ascii_lowercase();
    let s = m.subject.to_ascii_lowercase();
    (from.starts_with("mailer-daemon@") || from.starts_with("postmaster@"))
        && [
            "undeliver",
            "delivery status notification",
            "failure notice",
            "returned mail",
            "delivery has failed",
        ]
        .iter()
        .any(|k| s.contains(k))
}

/// Turns HTML into readable text: drops scripts and styles, breaks at block elements,
/// removes tags and decodes the common entities.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < bytes.len() {
        if bytes[i] == b'<' {
            for skip in ["script", "style", "head"] {
                if lower[i..].starts_with(&format!("<{skip}")) {
                    if let Some(end) = lower[i..].find(&format!("</{skip}>")) {
                        i += end + skip.len() + 3;
                        break;
                    }
                }
            }
            if i >= bytes.len() {
                break;
            }
            if bytes[i] != b'<' {
                continue;
            }
            let end = html[i..]
                .find('>')
                .map(|e| i + e + 1)
                .unwrap_or(bytes.len());
            let tag = &lower[i..end];
            if [
                "<br", "<p", "</p", "<div", "</div", "<li", "<tr", "</tr", "<h",
            ]
            .iter()
            .any(|t| tag.starts_with(t))
            {
                out.push('\n');
            } else if tag.starts_with("<td") {
                out.push(' ');
            }
            i = end;
        } else {
            let next = html[i..].find('<').map(|n| i + n).unwrap_or(bytes.len());
            out.push_str(&html[i..next]);
            i = next;
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

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
