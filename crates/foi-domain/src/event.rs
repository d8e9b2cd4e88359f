//! What an entry of the audit log records. Each kind is stored as the string it always was
//! (`"state_changed"`, `"request_sent"`, `"reply_received"`, `"coded_pass_2"` …), so the
//! database needs no migration; the store converts at its edge. A kind this version does not
//! know (written by a later one) is kept as it is, never lost.

use crate::message::{MessageKind, OutboundState};
use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum EventKind {
    /// The request was created with its round.
    Created,
    /// A desk-research source was recorded for the body.
    SourceRecorded,
    /// A fetch of the body's source came to this outcome (`kept`, `unchanged`, `failed`,
    /// `refused`).
    SourceFetched(String),
    /// The request's state changed (the event carries from and to).
    #[default]
    StateChanged,
    /// A bank-holiday refresh moved the due date.
    DueDateMoved,
    /// A letter entered the outbox in this state (`request_queued`, `chaser_approval` …; never
    /// `sent`, which is [`EventKind::LetterSent`]).
    LetterQueued(MessageKind, OutboundState),
    /// The mail server accepted a letter (`request_sent`, `chaser_sent` …).
    LetterSent(MessageKind),
    /// The team approved a letter awaiting approval (`chaser_approved`).
    LetterApproved(MessageKind),
    /// A body's FOI address was corrected (after a bounce), on its request.
    AddressCorrected,
    /// The request was assigned to a team member (or unassigned).
    Assigned,
    /// The team chose not to send a chaser waiting for approval (its step counts as taken).
    LetterSkipped,
    /// The team edited a chaser's text before approving it.
    LetterEdited,
    /// A held launch was called back: the request letter, not yet handed to the mail server,
    /// was withdrawn and the round is a draft again.
    LaunchCancelled,
    /// A failed or bounced letter was put back in the queue.
    RetryChosen,
    /// An uncertain letter is to be sent again.
    ResendChosen,
    /// Delivery failed for good.
    DeliveryFailed,
    /// The server refused the letter.
    Bounced,
    /// A delay notice came for a letter (still being retried).
    DeliveryDelayed,
    /// A message of this kind arrived for the request (`reply_received`, `auto_reply_received`
    /// …).
    Received(MessageKind),
    /// A message from triage was assigned to the request.
    ReplyAssigned,
    /// A message in triage was dismissed.
    TriageDismissed,
    /// The response was coded in this pass (1 is the first coder, 2 the second).
    Coded {
        pass: i32,
    },
    AttachmentMarkedPublishable,
    AttachmentUnmarkedPublishable,
    /// A private note on the request by someone on the team: never in a letter, a
    /// publication or a bundle, and never a change of state.
    NoteAdded,
    /// A state set in error was undone: the request is back in the state (and on the clocks)
    /// it had before, and the mistaken change counts nowhere (see `response::standing`).
    StateCorrected,
    RoundPreviewed,
    RoundPublished,
    /// A round was made (from the dashboard's composer or a round file imported there).
    RoundComposed,
    /// A draft round's definition was changed by an editor (what changed is in the note).
    RoundEdited,
    /// Written by another version of foi: kept as it is.
    Other(String),
}

/// The kinds with a fixed name.
const FIXED: &[(EventKind, &str)] = &[
    (EventKind::Created, "created"),
    (EventKind::SourceRecorded, "source_recorded"),
    (EventKind::StateChanged, "state_changed"),
    (EventKind::DueDateMoved, "due_date_moved"),
    (EventKind::RetryChosen, "retry_chosen"),
    (EventKind::LetterSkipped, "letter_skipped"),
    (EventKind::AddressCorrected, "address_corrected"),
    (EventKind::Assigned, "assigned"),
    (EventKind::LetterEdited, "letter_edited"),
    (EventKind::LaunchCancelled, "launch_cancelled"),
    (EventKind::ResendChosen, "resend_chosen"),
    (EventKind::DeliveryFailed, "delivery_failed"),
    (EventKind::Bounced, "bounced"),
    (EventKind::DeliveryDelayed, "delivery_delayed"),
    (EventKind::ReplyAssigned, "reply_assigned"),
    (EventKind::TriageDismissed, "triage_dismissed"),
    (
        EventKind::AttachmentMarkedPublishable,
        "attachment_marked_publishable",
    ),
    (
        EventKind::AttachmentUnmarkedPublishable,
        "attachment_unmarked_publishable",
    ),
    (EventKind::NoteAdded, "note_added"),
    (EventKind::StateCorrected, "state_corrected"),
    (EventKind::RoundPreviewed, "round_previewed"),
    (EventKind::RoundPublished, "round_published"),
    (EventKind::RoundComposed, "round_composed"),
    (EventKind::RoundEdited, "round_edited"),
];

impl EventKind {
    /// The stored string.
    pub fn as_string(&self) -> String {
        if let Some((_, s)) = FIXED.iter().find(|(k, _)| k == self) {
            return (*s).to_string();
        }
        match self {
            EventKind::SourceFetched(outcome) => format!("source_{outcome}"),
            EventKind::LetterQueued(kind, state) => format!("{kind}_{state}"),
            EventKind::LetterSent(kind) => format!("{kind}_sent"),
            EventKind::LetterApproved(kind) => format!("{kind}_approved"),
            EventKind::Received(kind) => format!("{kind}_received"),
            EventKind::Coded { pass: 1 } => "coded".into(),
            EventKind::Coded { pass } => format!("coded_pass_{pass}"),
            EventKind::Other(s) => s.clone(),
            _ => unreachable!("every fixed kind is in FIXED"),
        }
    }

    /// In words, for the request page and the CLI: "Reply received", "Reminder sent".
    pub fn words(&self) -> String {
        fn cap(s: &str) -> String {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        }
        match self {
            EventKind::Created => "Request created".into(),
            EventKind::SourceRecorded => "Source recorded".into(),
            EventKind::SourceFetched(o) => format!("Source fetched: {}", o.replace('_', " ")),
            EventKind::StateChanged => "State changed".into(),
            EventKind::DueDateMoved => "Due date moved".into(),
            EventKind::LetterQueued(k, s) => cap(&format!("{} {}", k.words(), s.words())),
            EventKind::LetterSent(k) => cap(&format!("{} sent", k.words())),
            EventKind::LetterApproved(k) => cap(&format!("{} approved", k.words())),
            EventKind::RetryChosen => "Sending tried again".into(),
            EventKind::LetterSkipped => "Reminder skipped (not sent)".into(),
            EventKind::AddressCorrected => "FOI address corrected".into(),
            EventKind::Assigned => "Assigned".into(),
            EventKind::LetterEdited => "Letter edited before approval".into(),
            EventKind::LaunchCancelled => "Launch called back (letter withdrawn)".into(),
            EventKind::ResendChosen => "Sending again chosen".into(),
            EventKind::DeliveryFailed => "Delivery failed".into(),
            EventKind::Bounced => "Letter bounced".into(),
            EventKind::DeliveryDelayed => "Delivery delayed".into(),
            EventKind::Received(k) => cap(&format!("{} received", k.words())),
            EventKind::ReplyAssigned => "Reply assigned from triage".into(),
            EventKind::TriageDismissed => "Dismissed from triage".into(),
            EventKind::Coded { pass: 1 } => "Coded".into(),
            EventKind::Coded { pass } => format!("Coded (pass {pass})"),
            EventKind::AttachmentMarkedPublishable => "Attachment marked publishable".into(),
            EventKind::AttachmentUnmarkedPublishable => "Attachment unmarked publishable".into(),
            EventKind::NoteAdded => "Note".into(),
            EventKind::StateCorrected => "State set in error undone".into(),
            EventKind::RoundPreviewed => "Publication previewed".into(),
            EventKind::RoundPublished => "Published".into(),
            EventKind::RoundComposed => "Round made".into(),
            EventKind::RoundEdited => "Round edited (draft)".into(),
            EventKind::Other(s) => cap(&s.replace('_', " ")),
        }
    }

    /// The kind a stored string names; one this version does not know is [`EventKind::Other`].
    pub fn parse(s: &str) -> EventKind {
        if let Some((k, _)) = FIXED.iter().find(|(_, name)| *name == s) {
            return k.clone();
        }
        if s == "coded" {
            return EventKind::Coded { pass: 1 };
        }
        if let Some(pass) = s.strip_prefix("coded_pass_").and_then(|p| p.parse().ok()) {
            return EventKind::Coded { pass };
        }
        if let Some(o) = s.strip_prefix("source_") {
            return EventKind::SourceFetched(o.to_string());
        }
        // "{kind}_{what}": message kinds contain underscores, so try each kind as the prefix.
        for kind in MessageKind::ALL {
            let Some(rest) = s
                .strip_prefix(kind.as_str())
                .and_then(|r| r.strip_prefix('_'))
            else {
                continue;
            };
            match rest {
                "sent" => return EventKind::LetterSent(*kind),
                "approved" => return EventKind::LetterApproved(*kind),
                "received" => return EventKind::Received(*kind),
                _ => {}
            }
            if let Ok(state) = rest.parse::<OutboundState>() {
                return EventKind::LetterQueued(*kind, state);
            }
        }
        EventKind::Other(s.to_string())
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_string())
    }
}

impl PartialEq<&str> for EventKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_string() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_stored_string() {
        let mut kinds: Vec<EventKind> = FIXED.iter().map(|(k, _)| k.clone()).collect();
        for m in MessageKind::ALL {
            kinds.push(EventKind::LetterSent(*m));
            kinds.push(EventKind::LetterApproved(*m));
            kinds.push(EventKind::Received(*m));
            // A letter never enters the outbox as sent: "request_sent" is LetterSent.
            for s in OutboundState::ALL
                .iter()
                .filter(|s| **s != OutboundState::Sent)
            {
                kinds.push(EventKind::LetterQueued(*m, *s));
            }
        }
        kinds.push(EventKind::Coded { pass: 1 });
        kinds.push(EventKind::Coded { pass: 2 });
        kinds.push(EventKind::SourceFetched("kept".into()));
        for k in kinds {
            assert_eq!(EventKind::parse(&k.as_string()), k, "{k}");
        }
    }

    #[test]
    fn kinds_read_as_words() {
        assert_eq!(
            EventKind::Received(MessageKind::Reply).words(),
            "Reply received"
        );
        assert_eq!(
            EventKind::LetterQueued(MessageKind::Chaser, OutboundState::Approval).words(),
            "Reminder waiting for approval"
        );
        assert_eq!(EventKind::parse("made_up_later").words(), "Made up later");
    }

    #[test]
    fn stored_strings_are_those_of_earlier_versions() {
        assert_eq!(EventKind::StateChanged.as_string(), "state_changed");
        assert_eq!(
            EventKind::LetterQueued(MessageKind::Chaser, OutboundState::Approval).as_string(),
            "chaser_approval"
        );
        assert_eq!(
            EventKind::LetterSent(MessageKind::InternalReview).as_string(),
            "internal_review_sent"
        );
        assert_eq!(
            EventKind::Received(MessageKind::AutoReply).as_string(),
            "auto_reply_received"
        );
        assert_eq!(EventKind::Coded { pass: 1 }.as_string(), "coded");
        assert_eq!(EventKind::Coded { pass: 2 }.as_string(), "coded_pass_2");
        assert_eq!(EventKind::parse("made_up_later"), "made_up_later");
        assert_eq!(
            EventKind::parse("made_up_later"),
            EventKind::Other("made_up_later".into())
        );
    }
}
