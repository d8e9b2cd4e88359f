//! Suggested classification of an inbound reply, from simple, tested rules over the subject
//! and text. A suggestion is only that: a person confirms it (`foi request set`, or one click
//! in the dashboard), except acknowledgements when configured to auto-apply.

use super::mail::{is_auto_reply, is_bounce, is_delay, ParsedMail};
use super::request::RequestState;
use regex::Regex;
use serde::Serialize;
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum Suggestion {
    AutoReply,
    Bounce,
    /// A delay notice: our letter is still being retried (not a bounce).
    DeliveryDelay,
    Acknowledgement,
    ClarificationRequest,
    ExtensionNotice,
    /// A refusal, with the FOIA sections cited (e.g. 12, 14, 40, 43).
    Refusal {
        sections: Vec<u32>,
    },
    NotHeld,
    /// An answer that releases information and withholds some (s.40 names, s.43 prices …).
    PartialResponse {
        sections: Vec<u32>,
    },
    /// A substantive answer (in full or in part; a person decides which).
    Response,
    Unknown,
}

impl Suggestion {
    pub fn label(&self) -> String {
        match self {
            Suggestion::AutoReply => "automatic reply".into(),
            Suggestion::Bounce => "delivery failure".into(),
            Suggestion::DeliveryDelay => "delivery delayed".into(),
            Suggestion::Acknowledgement => "acknowledgement".into(),
            Suggestion::ClarificationRequest => "clarification request".into(),
            Suggestion::ExtensionNotice => "extension notice".into(),
            Suggestion::Refusal { sections } if sections.is_empty() => "refusal".into(),
            Suggestion::Refusal { sections } => format!(
                "refusal citing {}",
                sections
                    .iter()
                    .map(|s| format!("s.{s}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Suggestion::NotHeld => "information not held".into(),
            Suggestion::PartialResponse { sections } if sections.is_empty() => {
                "answered in part".into()
            }
            Suggestion::PartialResponse { sections } => format!(
                "answered in part, withholding under {}",
                sections
                    .iter()
                    .map(|s| format!("s.{s}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Suggestion::Response => "response".into(),
            Suggestion::Unknown => "unclassified".into(),
        }
    }

    /// The suggestion a stored key names (`refusal:12,40`, `not_held` …); a key this version
    /// does not know is [`Suggestion::Unknown`].
    pub fn from_key(key: &str) -> Suggestion {
        let (class, rest) = key.split_once(':').unwrap_or((key, ""));
        let sections = || -> Vec<u32> { rest.split(',').filter_map(|n| n.parse().ok()).collect() };
        match class {
            "auto_reply" => Suggestion::AutoReply,
            "bounce" => Suggestion::Bounce,
            "delivery_delay" => Suggestion::DeliveryDelay,
            "acknowledgement" => Suggestion::Acknowledgement,
            "clarification_request" => Suggestion::ClarificationRequest,
            "extension_notice" => Suggestion::ExtensionNotice,
            "refusal" => Suggestion::Refusal {
                sections: sections(),
            },
            "not_held" => Suggestion::NotHeld,
            "partial_response" => Suggestion::PartialResponse {
                sections: sections(),
            },
            "response" => Suggestion::Response,
            _ => Suggestion::Unknown,
        }
    }

    /// "The latest reply looks like …": in words, or `None` when nothing could be told.
    pub fn looks_like(&self) -> Option<String> {
        Some(match self {
            Suggestion::Unknown => return None,
            Suggestion::Response => "an answer to the request".into(),
            Suggestion::AutoReply => "an automatic reply".into(),
            Suggestion::Acknowledgement => "an acknowledgement".into(),
            Suggestion::ExtensionNotice => "an extension notice".into(),
            Suggestion::NotHeld => "a statement that the information is not held".into(),
            Suggestion::ClarificationRequest => "a request for clarification".into(),
            other => format!("a {}", other.label()),
        })
    }

    /// A short key stored with the message.
    pub fn key(&self) -> String {
        match self {
            Suggestion::Refusal { sections } if !sections.is_empty() => format!(
                "refusal:{}",
                sections
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            other => serde_json::to_value(other)
                .ok()
                .and_then(|v| v["class"].as_str().map(str::to_string))
                .unwrap_or_default(),
        }
    }

    /// The request state this suggestion would set, if any.
    pub fn state(&self) -> Option<RequestState> {
        match self {
            Suggestion::Acknowledgement => Some(RequestState::Acknowledged),
            Suggestion::ClarificationRequest => Some(RequestState::ClarificationRequested),
            Suggestion::ExtensionNotice => Some(RequestState::Extended),
            Suggestion::Refusal { .. } => Some(RequestState::Refused),
            Suggestion::NotHeld => Some(RequestState::NotHeld),
            Suggestion::PartialResponse { .. } => Some(RequestState::AnsweredPart),
            Suggestion::Response => Some(RequestState::AnsweredFull),
            _ => None,
        }
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;

    #[test]
    fn every_key_reads_back() {
        for s in [
            Suggestion::AutoReply,
            Suggestion::Bounce,
            Suggestion::DeliveryDelay,
            Suggestion::Acknowledgement,
            Suggestion::ClarificationRequest,
            Suggestion::ExtensionNotice,
            Suggestion::Refusal { sections: vec![] },
            Suggestion::Refusal {
                sections: vec![12, 40],
            },
            Suggestion::NotHeld,
            Suggestion::PartialResponse { sections: vec![] },
            Suggestion::Response,
            Suggestion::Unknown,
        ] {
            assert_eq!(Suggestion::from_key(&s.key()), s, "{}", s.key());
        }
        assert_eq!(Suggestion::Unknown.looks_like(), None);
        assert_eq!(
            Suggestion::from_key("refusal:12").looks_like().unwrap(),
            "a refusal citing s.12"
        );
    }
}

fn sections_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)\b(?:section|s\.|s)\s?(\d{1,2})(?:\s?\(\d\))?").expect("valid regex")
    })
}

/// FOIA exemption and procedural sections cited in `text` (s.12 cost, s.14 vexatious, s.21–44
/// exemptions), deduplicated and sorted.
pub(crate) fn cited_sections(text: &str) -> Vec<u32> {
    let mut v: Vec<u32> = sections_re()
        .captures_iter(text)
        .filter_map(|c| c[1].parse().ok())
        .filter(|n| matches!(n, 12 | 14 | 21..=44))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

const ACKNOWLEDGEMENT: &[&str] = &[
    "acknowledge",
    "we have received your request",
    "receipt of your request",
    "has been logged",
    "has been received",
    "will respond within",
    "aim to respond",
    "we will respond",
];

fn has_any(hay: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| hay.contains(n))
}

/// Suggests what an inbound mail is.
pub fn classify(m: &ParsedMail) -> Suggestion {
    if is_delay(m) {
        return Suggestion::DeliveryDelay;
    }
    if is_bounce(m) {
        return Suggestion::Bounce;
    }
    let hay = format!("{}\n{}", m.subject, m.text).to_lowercase();
    if is_auto_reply(m) {
        // An automatic acknowledgement from an FOI system is still an acknowledgement.
        let away = has_any(
            &hay,
            &[
                "out of the office",
                "out of office",
                "on leave",
                "annual leave",
                "away from",
                "on holiday",
            ],
        );
        if !away && has_any(&hay, ACKNOWLEDGEMENT) {
            return Suggestion::Acknowledgement;
        }
        return Suggestion::AutoReply;
    }
    let sections = cited_sections(&hay);
    if has_any(
        &hay,
        &[
            "clarif",
            "section 1(3)",
            "s.1(3)",
            "more detail to identify",
            "please confirm what information",
            "could you please specify",
        ],
    ) {
        return Suggestion::ClarificationRequest;
    }
    if has_any(
        &hay,
        &[
            "extend the time",
            "extension",
            "section 10(3)",
            "s.10(3)",
            "additional time to consider the public interest",
            "public interest test",
        ],
    ) && !has_any(&hay, &["please find attached our response"])
    {
        return Suggestion::ExtensionNotice;
    }
    let refusal_words = has_any(
        &hay,
        &[
            "refus",
            "exempt",
            "vexatious",
            "appropriate limit",
            "cost limit",
            "unable to provide",
            "withheld",
            "withhold",
        ],
    );
    if refusal_words
        || (!sections.is_empty() && has_any(&hay, &["not obliged", "does not have to", "applies"]))
    {
        // Information released with some withheld is an answer in part, not a refusal.
        let releases = has_any(
            &hay,
            &[
                "please find",
                "is attached",
                "are attached",
                "attached is",
                "enclosed",
                "in part",
                "partially",
                "some of the information",
                "the remaining information",
                "redact",
                "the information you requested",
                "our response to your",
            ],
        );
        let refuses_all = has_any(
            &hay,
            &[
                "refuse your request",
                "refusing your request",
                "refuse this request",
                "whole of your request",
            ],
        );
        if releases && !refuses_all {
            return Suggestion::PartialResponse { sections };
        }
        return Suggestion::Refusal { sections };
    }
    if has_any(
        &hay,
        &[
            "not held",
            "does not hold",
            "do not hold",
            "no information held",
            "holds no information",
        ],
    ) {
        return Suggestion::NotHeld;
    }
    if has_any(&hay, ACKNOWLEDGEMENT)
        && m.attachments.is_empty()
        && !has_any(&hay, &["our response", "please find"])
    {
        return Suggestion::Acknowledgement;
    }
    if !m.attachments.is_empty()
        || has_any(
            &hay,
            &[
                "please find",
                "our response",
                "in response to your request",
                "the information you requested",
                "responses to your questions",
                "answer to your",
                "answers to your",
            ],
        )
    {
        return Suggestion::Response;
    }
    Suggestion::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::AttachmentInfo;

    fn m(subject: &str, text: &str) -> ParsedMail {
        ParsedMail {
            subject: subject.into(),
            text: text.into(),
            ..Default::default()
        }
    }

    #[test]
    fn typical_icb_replies() {
        assert_eq!(
            classify(&m(
                "Acknowledgement [FOI ref X-1]",
                "We have received your request and will respond within 20 working days."
            )),
            Suggestion::Acknowledgement
        );
        assert_eq!(
            classify(&m(
                "RE: FOI",
                "Before we can proceed, could you please clarify which financial year you mean?"
            )),
            Suggestion::ClarificationRequest
        );
        assert_eq!(
            classify(&m(
                "FOI 1234",
                "We need additional time to consider the public interest test under section 10(3)."
            )),
            Suggestion::ExtensionNotice
        );
        assert_eq!(
            classify(&m("FOI response", "We estimate that complying would exceed the appropriate limit; section 12 of the Act therefore applies and we are refusing your request.")),
            Suggestion::Refusal { sections: vec![12] }
        );
        assert_eq!(
            classify(&m(
                "FOI response",
                "The ICB does not hold this information."
            )),
            Suggestion::NotHeld
        );
        assert_eq!(
            classify(&m(
                "FOI response",
                "Please find our response to your questions below. 1. Yes."
            )),
            Suggestion::Response
        );
        let mut with_pdf = m("RE: FOI", "See attached.");
        with_pdf.attachments.push(AttachmentInfo {
            filename: "response.pdf".into(),
            ..Default::default()
        });
        assert_eq!(classify(&with_pdf), Suggestion::Response);
        assert_eq!(
            classify(&m("Newsletter", "Our latest news")),
            Suggestion::Unknown
        );
    }

    #[test]
    fn auto_replies_and_bounces_come_first() {
        let mut x = m("Out of office", "I am away; we have received your request");
        assert_eq!(classify(&x), Suggestion::AutoReply);
        x.is_delivery_report = true;
        assert_eq!(classify(&x), Suggestion::Bounce);
    }

    #[test]
    fn sections_are_extracted() {
        assert_eq!(
            cited_sections("exempt under section 40(2) and s.43 and S 12, s.1(3), section 10"),
            vec![12, 40, 43]
        );
        assert_eq!(
            Suggestion::Refusal {
                sections: vec![12, 40]
            }
            .label(),
            "refusal citing s.12, s.40"
        );
        assert_eq!(
            Suggestion::Refusal { sections: vec![12] }.key(),
            "refusal:12"
        );
        assert_eq!(Suggestion::Acknowledgement.key(), "acknowledgement");
    }

    #[test]
    fn information_released_with_names_withheld_is_an_answer_in_part() {
        let s = classify(&m(
            "FOI response",
            "Please find attached our response. The names of junior staff have been withheld under section 40(2).",
        ));
        assert_eq!(s, Suggestion::PartialResponse { sections: vec![40] });
        assert_eq!(s.state(), Some(RequestState::AnsweredPart));
        assert_eq!(s.label(), "answered in part, withholding under s.40");
        // Refusing the whole request is still a refusal.
        let s = classify(&m(
            "FOI",
            "We refuse your request under section 12 as the cost limit would be exceeded.",
        ));
        assert_eq!(s, Suggestion::Refusal { sections: vec![12] });
    }

    #[test]
    fn an_automatic_acknowledgement_is_an_acknowledgement_and_an_out_of_office_is_not() {
        let mut ack = m(
            "Automatic reply: [FOI ref MSK26-QHM]",
            "Thank you for your request. It has been logged and we will respond within 20 working days.",
        );
        ack.auto_submitted = Some("auto-replied".into());
        assert_eq!(classify(&ack), Suggestion::Acknowledgement);
        let mut ooo = m(
            "Out of Office",
            "I am out of the office on annual leave. Your request has been logged.",
        );
        ooo.auto_submitted = Some("auto-replied".into());
        assert_eq!(classify(&ooo), Suggestion::AutoReply);
    }
}
