//! Letters the team writes to a body in a request's thread, and what sending each does to the
//! request. The rules, with their law:
//!
//! * **Clarification** (our answer to the body's request for clarification): under FOIA
//!   s.1(3) the body need not comply until it has the further information it asked for, and
//!   s.10(6) makes the day it *receives* that information the date of receipt from which the
//!   20 working days run again (FOISA s.1(3) and s.10(1); EIR reg 9(4) with reg 5(2)). Sending
//!   it moves a request waiting for clarification back to awaiting response, the clock
//!   restarting on the day of receipt, as confirming "clarification sent" by hand does.
//! * **Request for internal review**: the review's own clock (20 working days, s.45 Code of
//!   Practice; FOISA s.21(1); EIR reg 11(4)) starts when it is sent.
//! * **Follow-up** and **other**: the thread gains a letter; the request's state and dates do
//!   not change.
//! * The **request letter** itself starts the statutory clock (FOIA s.10(1)); **sent again**
//!   to a corrected address after a bounce, the body first receives it then, so the clock
//!   starts afresh from that sending (as Alaveteli resets a resent request's due date).

use super::message::MessageKind;
use super::request::RequestState;

/// What the team writes from a request page (`foi request write --kind …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteKind {
    Clarification,
    FollowUp,
    InternalReview,
    Other,
}

impl WriteKind {
    pub const ALL: [WriteKind; 4] = [
        WriteKind::Clarification,
        WriteKind::FollowUp,
        WriteKind::InternalReview,
        WriteKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WriteKind::Clarification => "clarification",
            WriteKind::FollowUp => "follow_up",
            WriteKind::InternalReview => "internal_review",
            WriteKind::Other => "other",
        }
    }

    /// In words, for the page: "Clarification (our answer to their question)".
    pub fn label(self) -> &'static str {
        match self {
            WriteKind::Clarification => "Clarification (our answer to their question)",
            WriteKind::FollowUp => "Follow-up",
            WriteKind::InternalReview => "Request for internal review",
            WriteKind::Other => "Other",
        }
    }

    /// The kind of message it is stored as.
    pub fn message_kind(self) -> MessageKind {
        match self {
            WriteKind::Clarification => MessageKind::Clarification,
            WriteKind::FollowUp => MessageKind::FollowUp,
            WriteKind::InternalReview => MessageKind::InternalReview,
            WriteKind::Other => MessageKind::OtherLetter,
        }
    }

    /// What sending it will do to a request in `state`, in words, for the preview.
    pub fn effect(self, state: RequestState) -> &'static str {
        match on_sent(self.message_kind(), state) {
            Some(RequestState::AwaitingResponse) => {
                "Once it is sent the request is awaiting a response again: the 20 working days start afresh from the day the body receives it (FOIA s.1(3), s.10(6))."
            }
            Some(RequestState::InternalReviewRequested) => {
                "Once it is sent the request is in internal review, with the review's own 20 working days."
            }
            _ if self == WriteKind::Clarification => {
                "The request is not waiting for a clarification, so sending this changes no date: it is a letter in the thread."
            }
            _ => "It goes into the thread; the request's state and dates do not change.",
        }
    }
}

impl std::str::FromStr for WriteKind {
    type Err = String;
    fn from_str(s: &str) -> Result<WriteKind, String> {
        WriteKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a kind of letter; choose clarification, follow_up, internal_review or other"
                )
            })
    }
}

/// The state a request moves to when a letter of `kind` is sent while it is in `state`
/// (the module's rules); `None` when the state stays.
pub fn on_sent(kind: MessageKind, state: RequestState) -> Option<RequestState> {
    match (kind, state) {
        (MessageKind::RequestResent, s) if s == RequestState::Draft || s.awaiting_body() => {
            Some(RequestState::AwaitingResponse)
        }
        (MessageKind::Request, RequestState::Draft) => Some(RequestState::AwaitingResponse),
        (MessageKind::InternalReview, s) if s.awaiting_body() || is_answered(s) => {
            Some(RequestState::InternalReviewRequested)
        }
        (MessageKind::Clarification, RequestState::ClarificationRequested) => {
            Some(RequestState::AwaitingResponse)
        }
        _ => None,
    }
}

/// Whether sending a letter of `kind` starts the request's clock afresh (received on the day
/// it goes) rather than moving it by the state's own rule.
pub fn restarts_clock(kind: MessageKind) -> bool {
    kind == MessageKind::RequestResent
}

/// An address a body's automatic reply or bounce names as the one to write to instead
/// ("this mailbox is no longer monitored; please send requests to …"), if it names one other
/// than `current`. Only a message that says the address moved is read this way.
pub fn suggested_address(text: &str, current: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let moved = [
        "no longer monitored",
        "no longer in use",
        "no longer active",
        "has changed",
        "please send",
        "please write to",
        "please email",
        "please re-send",
        "please resend",
        "new address",
        "now be sent to",
        "instead to",
    ];
    if !moved.iter().any(|m| lower.contains(m)) {
        return None;
    }
    let is_addr_char = |c: char| c.is_ascii_alphanumeric() || "._%+-@".contains(c);
    text.split(|c: char| !is_addr_char(c))
        .map(|w| w.trim_matches(|c: char| c == '.' || c == '-'))
        .filter(|w| {
            let mut parts = w.split('@');
            matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && d.contains('.'))
        })
        .find(|w| !w.eq_ignore_ascii_case(current))
        .map(str::to_ascii_lowercase)
}

/// A response came (an internal review may be asked about it: what was withheld, a refusal).
fn is_answered(s: RequestState) -> bool {
    matches!(
        s,
        RequestState::AnsweredPart | RequestState::Refused | RequestState::NotHeld
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_sending_each_letter_does() {
        use RequestState::*;
        assert_eq!(
            on_sent(MessageKind::Clarification, ClarificationRequested),
            Some(AwaitingResponse)
        );
        assert_eq!(on_sent(MessageKind::Clarification, AwaitingResponse), None);
        assert_eq!(
            on_sent(MessageKind::InternalReview, Refused),
            Some(InternalReviewRequested)
        );
        assert_eq!(
            on_sent(MessageKind::InternalReview, AwaitingResponse),
            Some(InternalReviewRequested)
        );
        assert_eq!(on_sent(MessageKind::FollowUp, AwaitingResponse), None);
        assert_eq!(on_sent(MessageKind::OtherLetter, Refused), None);
        assert_eq!(on_sent(MessageKind::Request, Draft), Some(AwaitingResponse));
        assert_eq!(
            on_sent(MessageKind::RequestResent, AwaitingResponse),
            Some(AwaitingResponse)
        );
        assert_eq!(on_sent(MessageKind::RequestResent, Refused), None);
        assert_eq!("follow_up".parse::<WriteKind>(), Ok(WriteKind::FollowUp));
        assert!("memo".parse::<WriteKind>().is_err());
    }

    #[test]
    fn an_auto_reply_that_names_a_new_address_suggests_it() {
        let t = "This mailbox is no longer monitored. Please send FOI requests to Foi.Requests@newbody.nhs.uk.";
        assert_eq!(
            suggested_address(t, "old@body.nhs.uk").as_deref(),
            Some("foi.requests@newbody.nhs.uk")
        );
        // The current address, or a message that says nothing about moving: no suggestion.
        assert_eq!(suggested_address(t, "foi.requests@newbody.nhs.uk"), None);
        assert_eq!(
            suggested_address("I am on leave; contact jo@body.nhs.uk", "old@body.nhs.uk"),
            None
        );
    }
}
