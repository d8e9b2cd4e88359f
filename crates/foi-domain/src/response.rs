//! What counts as a statutory response, and when it came: one definition for the
//! publication, the findings report's timeliness table, and every other place that says who
//! responded.
//!
//! A statutory response to a request under FOIA s.1(1) (FOISA s.1(1), EIR reg 5(1)) is one
//! that complies with it or refuses it: an answer in full, an answer in part, a refusal
//! (s.17), or a statement that the information is not held (s.1(1)(a)). It is **not** an
//! acknowledgement, an automatic reply, a notice extending the time (s.10(3) only moves the
//! date), a request for clarification (s.1(3): it stops the clock and restarts it when we
//! answer), or a message nobody has yet assigned to a request. A state change is what marks
//! one: a reply counts from the date a person (or the acknowledgement rule) set the state.

use super::calendar::Calendar;
use super::request::RequestState;
use chrono::NaiveDate;

/// Whether moving to `state` is a statutory response.
pub(crate) fn is_statutory_response(state: RequestState) -> bool {
    matches!(
        state,
        RequestState::AnsweredFull
            | RequestState::AnsweredPart
            | RequestState::Refused
            | RequestState::NotHeld
    )
}

/// One state change of a request, as its timeline records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateChange {
    pub to: RequestState,
    /// The date it happened (the effective date given, else the day it was recorded).
    pub on: NaiveDate,
}

/// The date of the first statutory response among `changes`, if any.
pub fn first_response(changes: &[StateChange]) -> Option<NaiveDate> {
    changes
        .iter()
        .filter(|c| is_statutory_response(c.to))
        .map(|c| c.on)
        .min()
}

/// A state change as the timeline recorded it, or a correction of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// The event's id.
    pub id: i32,
    pub change: StateChange,
    /// For a correction ("this was set in error"): the id of the change it undoes.
    pub corrects: Option<i32>,
}

/// The changes that stand, oldest first: a change undone by a correction counts nowhere
/// (no response, no internal review, no referral), and a correction is no change of its own:
/// it puts back the state the request had before.
pub fn standing(recorded: &[Recorded]) -> Vec<StateChange> {
    let undone: std::collections::HashSet<i32> =
        recorded.iter().filter_map(|r| r.corrects).collect();
    recorded
        .iter()
        .filter(|r| r.corrects.is_none() && !undone.contains(&r.id))
        .map(|r| r.change)
        .collect()
}

/// When the response came against the due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Punctuality {
    OnTime,
    Late {
        working_days: u32,
    },
    /// No response, and the due date has not passed.
    NotYet,
    /// No response, and the due date has passed.
    Overdue,
    /// No due date (not sent).
    NotSent,
}

impl Punctuality {
    pub fn of(
        cal: &Calendar,
        first: Option<NaiveDate>,
        due: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Punctuality {
        match (first, due) {
            (_, None) => Punctuality::NotSent,
            (Some(f), Some(d)) if f <= d => Punctuality::OnTime,
            (Some(f), Some(d)) => Punctuality::Late {
                working_days: cal.working_days_between(d, f).unwrap_or(0),
            },
            (None, Some(d)) if today > d => Punctuality::Overdue,
            (None, Some(_)) => Punctuality::NotYet,
        }
    }

    /// "on time", "late by 3 working days", "no response yet", "no response; overdue".
    pub fn describe(self) -> String {
        match self {
            Punctuality::OnTime => "on time".into(),
            Punctuality::Late { working_days: n } => {
                format!("late by {n} working day{}", if n == 1 { "" } else { "s" })
            }
            Punctuality::NotYet => "no response yet".into(),
            Punctuality::Overdue => "no response; overdue".into(),
            Punctuality::NotSent => "-".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn acknowledgements_extensions_and_clarifications_are_not_responses() {
        let ch = |to, on| StateChange { to, on: d(on) };
        // Acknowledged, asked for clarification, extended: no response at all.
        let waiting = [
            ch(RequestState::AwaitingResponse, "2026-12-01"),
            ch(RequestState::Acknowledged, "2026-12-02"),
            ch(RequestState::ClarificationRequested, "2026-12-03"),
            ch(RequestState::AwaitingResponse, "2026-12-04"),
            ch(RequestState::Extended, "2026-12-20"),
        ];
        assert_eq!(first_response(&waiting), None);
        // "Not held" is a response; the first of two counts.
        let mut answered = waiting.to_vec();
        answered.push(ch(RequestState::NotHeld, "2027-01-05"));
        answered.push(ch(RequestState::InternalReviewRequested, "2027-01-06"));
        answered.push(ch(RequestState::AnsweredPart, "2027-02-01"));
        assert_eq!(first_response(&answered), Some(d("2027-01-05")));
    }

    #[test]
    fn a_corrected_change_counts_nowhere() {
        let rec = |id, to, on, corrects| Recorded {
            id,
            change: StateChange { to, on: d(on) },
            corrects,
        };
        let log = [
            rec(1, RequestState::AwaitingResponse, "2026-12-01", None),
            rec(2, RequestState::AnsweredFull, "2026-12-10", None),
            // Set in error, then undone: back to awaiting a response.
            rec(3, RequestState::AwaitingResponse, "2026-12-11", Some(2)),
        ];
        let kept = standing(&log);
        assert_eq!(kept.len(), 1);
        assert_eq!(first_response(&kept), None);
        // Without the correction, the mistaken answer would count.
        assert_eq!(first_response(&standing(&log[..2])), Some(d("2026-12-10")));
    }

    #[test]
    fn punctuality_against_the_due_date() {
        let cal = Calendar::shipped();
        let due = Some(d("2027-01-07"));
        let p = |first: Option<&str>, today| {
            Punctuality::of(&cal, first.map(d), due, d(today)).describe()
        };
        assert_eq!(p(Some("2027-01-07"), "2027-02-01"), "on time");
        assert_eq!(
            p(Some("2027-01-11"), "2027-02-01"),
            "late by 2 working days"
        );
        assert_eq!(p(None, "2027-01-07"), "no response yet");
        assert_eq!(p(None, "2027-01-08"), "no response; overdue");
        assert_eq!(
            Punctuality::of(&cal, None, None, d("2027-01-08")),
            Punctuality::NotSent
        );
    }
}
