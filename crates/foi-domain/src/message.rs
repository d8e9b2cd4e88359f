//! What a stored message is: its direction, its kind and where it stands. Each is an enum
//! stored as the same short string it always was (`"in"`, `"queued"`, `"chaser"` …), so the
//! database needs no migration; the store converts at its edge and nothing else spells them.
//!
//! Outbound:
//! ```text
//! approval ─approve─► queued ──claim──► sending ──250──► sent
//!                       ▲                 │ 4xx / connection / timeout → queued (backoff) … failed
//!                       │                 │ 5xx → bounced (server text kept)
//!                       └── retry ────────┘ crash while sending → uncertain (an operator decides)
//! draft: for the team (an ICO complaint); never sent by `foi`.
//! ```
//! Inbound: `matched` (on a request, waiting to be classified) → `classified`; `auto`
//! (automatic reply), `bounce` (delivery failure report), `triage` (no request found),
//! `unparseable` (kept raw, listed for triage), `dismissed`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Declares a string-backed enum: `as_str`, `ALL`, `Display`, `FromStr`, serde as the string.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// The stored string.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<$name, String> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s.trim())
                    .ok_or_else(|| format!(
                        "`{s}` is not a {}; use one of: {}",
                        stringify!($name),
                        $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                    ))
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

string_enum! {
    /// Which way a message went.
    Direction { In = "in", Out = "out" }
}

string_enum! {
    /// Where an outbound message stands (see the module's diagram).
    OutboundState {
        /// A chaser waiting for the team's approval.
        Approval = "approval",
        Queued = "queued",
        Sending = "sending",
        Sent = "sent",
        Failed = "failed",
        Bounced = "bounced",
        /// The process stopped mid-send: an operator decides (`foi outbox resolve`).
        Uncertain = "uncertain",
        /// For the team (an ICO complaint); never sent by `foi`.
        Draft = "draft",
        /// A chaser the team chose not to send: its step counts as taken, so the ladder
        /// moves on to the next.
        Skipped = "skipped",
    }
}

impl OutboundState {
    /// Needs a person's attention on the outbox page.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            OutboundState::Failed | OutboundState::Bounced | OutboundState::Uncertain
        )
    }
    /// Can be put back in the queue by `foi outbox retry`.
    pub fn can_retry(self) -> bool {
        matches!(self, OutboundState::Failed | OutboundState::Bounced)
    }
}

string_enum! {
    /// Where an inbound message stands.
    InboundState {
        Matched = "matched",
        Classified = "classified",
        Auto = "auto",
        Bounce = "bounce",
        Triage = "triage",
        Unparseable = "unparseable",
        Dismissed = "dismissed",
    }
}

impl InboundState {
    /// Listed in the triage queue.
    pub fn in_triage(self) -> bool {
        matches!(self, InboundState::Triage | InboundState::Unparseable)
    }
}

string_enum! {
    /// What a message is.
    MessageKind {
        /// The request letter.
        Request = "request",
        /// A reminder of the chaser ladder.
        Chaser = "chaser",
        /// Our request for an internal review.
        InternalReview = "internal_review",
        /// A drafted complaint to the ICO (for the team).
        IcoComplaint = "ico_complaint",
        /// Our answer to a body's request for clarification, written on the request page.
        Clarification = "clarification",
        /// A follow-up the team wrote on the request page.
        FollowUp = "follow_up",
        /// Any other letter the team wrote on the request page.
        OtherLetter = "other_letter",
        /// The request letter sent again, to a corrected address, after it bounced.
        RequestResent = "request_resent",
        /// The team's digest.
        Digest = "digest",
        /// A reply from a body.
        Reply = "reply",
        AutoReply = "auto_reply",
        Bounce = "bounce",
        /// A delay notice about one of our letters (still being retried).
        DelayNotice = "delay_notice",
        Unparseable = "unparseable",
    }
}

impl MessageKind {
    /// In words, for people: "request", "reminder", "automatic reply".
    pub fn words(self) -> &'static str {
        match self {
            MessageKind::Request => "request",
            MessageKind::Chaser => "reminder",
            MessageKind::InternalReview => "request for internal review",
            MessageKind::IcoComplaint => "ICO complaint draft",
            MessageKind::Clarification => "clarification",
            MessageKind::FollowUp => "follow-up",
            MessageKind::OtherLetter => "letter",
            MessageKind::RequestResent => "request (sent again)",
            MessageKind::Digest => "digest",
            MessageKind::Reply => "reply",
            MessageKind::AutoReply => "automatic reply",
            MessageKind::Bounce => "bounce",
            MessageKind::DelayNotice => "delay notice",
            MessageKind::Unparseable => "unreadable message",
        }
    }
}

impl OutboundState {
    /// In words, for people: "waiting for approval", "queued", "sent".
    pub fn words(self) -> &'static str {
        match self {
            OutboundState::Approval => "waiting for approval",
            OutboundState::Queued => "queued",
            OutboundState::Sending => "being sent",
            OutboundState::Sent => "sent",
            OutboundState::Failed => "failed",
            OutboundState::Bounced => "bounced",
            OutboundState::Uncertain => "sent or not: check",
            OutboundState::Skipped => "skipped",
            OutboundState::Draft => "kept for the team",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_its_stored_string() {
        for d in Direction::ALL {
            assert_eq!(d.as_str().parse::<Direction>().unwrap(), *d);
        }
        for s in OutboundState::ALL {
            assert_eq!(s.as_str().parse::<OutboundState>().unwrap(), *s);
        }
        for s in InboundState::ALL {
            assert_eq!(s.as_str().parse::<InboundState>().unwrap(), *s);
        }
        for k in MessageKind::ALL {
            assert_eq!(k.as_str().parse::<MessageKind>().unwrap(), *k);
        }
        assert_eq!(
            serde_json::to_string(&OutboundState::Uncertain).unwrap(),
            "\"uncertain\""
        );
        let e = "lost".parse::<InboundState>().unwrap_err();
        assert!(e.contains("matched, classified"), "{e}");
    }
}
