//! The request lifecycle: states, legal transitions, and what each does to the statutory clock.
//!
//! ```text
//!  draft ──sent──► awaiting_response ──► acknowledged ─┐
//!                    │  ▲                               │
//!                    │  └─ clarification sent (clock    │  (from awaiting or acknowledged)
//!                    ▼     restarts: s.1(3), s.10(6))   ▼
//!        clarification_requested            extended (s.10(3): new due date recorded)
//!                                                       │
//!   answered_full · answered_part · refused · not_held ◄┘
//!        │
//!        ▼
//!   internal_review_requested (20 working days; also for a failure to respond)
//!        ──► internal_review_answered ──► referred_to_ico
//!                 └──────────────(late review)────────────────────────────────► referred_to_ico
//!   withdrawn: from any open state.
//! ```
//!
//! Clock rules: the request is received on the London date it was sent; the due date is the
//! 20th working day after (s.10(1)). When the body asks for clarification (s.1(3)) the clock
//! stops; when we send the clarification, that date becomes the new date of receipt (s.10(6)'s
//! "date of receipt" is the later of the request and the further information) and 20 working
//! days start again. A public-interest extension (s.10(3)) records the body's new date. An
//! internal review is due 20 working days after it is requested (s.45 Code of Practice).

use super::calendar::{Calendar, CalendarError, INTERNAL_REVIEW_DAYS};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Draft,
    AwaitingResponse,
    Acknowledged,
    ClarificationRequested,
    Extended,
    AnsweredFull,
    AnsweredPart,
    Refused,
    NotHeld,
    Withdrawn,
    InternalReviewRequested,
    InternalReviewAnswered,
    ReferredToIco,
    /// A desk-research round's entry: no letter; a public document is coded.
    DeskResearch,
}

pub const ALL_STATES: [RequestState; 14] = [
    RequestState::Draft,
    RequestState::AwaitingResponse,
    RequestState::Acknowledged,
    RequestState::ClarificationRequested,
    RequestState::Extended,
    RequestState::AnsweredFull,
    RequestState::AnsweredPart,
    RequestState::Refused,
    RequestState::NotHeld,
    RequestState::Withdrawn,
    RequestState::InternalReviewRequested,
    RequestState::InternalReviewAnswered,
    RequestState::ReferredToIco,
    RequestState::DeskResearch,
];

impl RequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Draft => "draft",
            RequestState::AwaitingResponse => "awaiting_response",
            RequestState::Acknowledged => "acknowledged",
            RequestState::ClarificationRequested => "clarification_requested",
            RequestState::Extended => "extended",
            RequestState::AnsweredFull => "answered_full",
            RequestState::AnsweredPart => "answered_part",
            RequestState::Refused => "refused",
            RequestState::NotHeld => "not_held",
            RequestState::Withdrawn => "withdrawn",
            RequestState::InternalReviewRequested => "internal_review_requested",
            RequestState::InternalReviewAnswered => "internal_review_answered",
            RequestState::ReferredToIco => "referred_to_ico",
            RequestState::DeskResearch => "desk_research",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RequestState::Draft => "Not sent",
            RequestState::AwaitingResponse => "Awaiting response",
            RequestState::Acknowledged => "Acknowledged",
            RequestState::ClarificationRequested => "Clarification requested",
            RequestState::Extended => "Extended",
            RequestState::AnsweredFull => "Answered in full",
            RequestState::AnsweredPart => "Answered in part",
            RequestState::Refused => "Refused",
            RequestState::NotHeld => "Information not held",
            RequestState::Withdrawn => "Withdrawn",
            RequestState::InternalReviewRequested => "Internal review requested",
            RequestState::InternalReviewAnswered => "Internal review answered",
            RequestState::ReferredToIco => "Referred to the ICO",
            RequestState::DeskResearch => "Desk research",
        }
    }

    /// Waiting for the body to answer the request itself (the FOIA clock is running).
    pub fn awaiting_body(self) -> bool {
        matches!(
            self,
            RequestState::AwaitingResponse | RequestState::Acknowledged | RequestState::Extended
        )
    }

    /// The body has given a substantive response (any outcome).
    pub fn responded(self) -> bool {
        matches!(
            self,
            RequestState::AnsweredFull
                | RequestState::AnsweredPart
                | RequestState::Refused
                | RequestState::NotHeld
                | RequestState::InternalReviewRequested
                | RequestState::InternalReviewAnswered
                | RequestState::ReferredToIco
        )
    }

    /// The states a request may move to from this one.
    pub fn allowed_next(self) -> &'static [RequestState] {
        use RequestState::*;
        // An internal review can be asked for a failure to respond, too (ICO guidance).
        const RESPONSES: &[RequestState] = &[
            Acknowledged,
            ClarificationRequested,
            Extended,
            AnsweredFull,
            AnsweredPart,
            Refused,
            NotHeld,
            Withdrawn,
            InternalReviewRequested,
        ];
        match self {
            Draft => &[AwaitingResponse, Withdrawn],
            AwaitingResponse => RESPONSES,
            Acknowledged => &[
                ClarificationRequested,
                Extended,
                AnsweredFull,
                AnsweredPart,
                Refused,
                NotHeld,
                Withdrawn,
                InternalReviewRequested,
            ],
            ClarificationRequested => &[AwaitingResponse, Withdrawn],
            Extended => &[
                AnsweredFull,
                AnsweredPart,
                Refused,
                NotHeld,
                Withdrawn,
                InternalReviewRequested,
            ],
            AnsweredFull | AnsweredPart | Refused | NotHeld => {
                &[InternalReviewRequested, ReferredToIco]
            }
            // A late answer to the request itself can still come during a review.
            InternalReviewRequested => &[
                InternalReviewAnswered,
                AnsweredFull,
                AnsweredPart,
                Refused,
                NotHeld,
                ReferredToIco,
                Withdrawn,
            ],
            InternalReviewAnswered => &[ReferredToIco],
            ReferredToIco | Withdrawn | DeskResearch => &[],
        }
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RequestState {
    type Err = String;
    fn from_str(s: &str) -> Result<RequestState, String> {
        ALL_STATES
            .iter()
            .copied()
            .find(|st| st.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a request state; use one of: {}",
                    ALL_STATES.map(|s| s.as_str()).join(", ")
                )
            })
    }
}

/// The dates a request's clocks run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Clocks {
    pub received_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub review_due_on: Option<NaiveDate>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TransitionError {
    #[error("a request that is `{from}` cannot become `{to}`; from `{from}` it can become: {}",
        if .allowed.is_empty() { "nothing (it is closed)".to_string() } else { .allowed.join(", ") })]
    Illegal {
        from: RequestState,
        to: RequestState,
        allowed: Vec<&'static str>,
    },
    #[error("an extension needs the body's new due date (--due YYYY-MM-DD); only EIR requests have a statutory one (reg 7: 40 working days)")]
    ExtensionNeedsDate,
    #[error("the extended due date {new} is not after the current due date {old}")]
    ExtensionNotLater { new: NaiveDate, old: NaiveDate },
    #[error("a new due date goes only with `extended`, not with `{to}`; leave the due date out")]
    DueOnlyForExtension { to: RequestState },
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// A confirmed change of state. An extension carries the body's new due date (s.10(3));
/// no other change takes one, so neither can be forgotten nor given by mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// To any state but `extended`.
    To(RequestState),
    /// The body extended the time to answer, to `until` (FOIA s.10(3): a date it names).
    Extend { until: NaiveDate },
    /// The statutory extension where the law sets one: EIR / EISR reg 7(1), 40 working days
    /// from receipt for a complex and voluminous request.
    ExtendStatutory,
}

impl Change {
    /// From what a person gave: a state and, for an extension only, the new due date.
    pub fn new(to: RequestState, new_due: Option<NaiveDate>) -> Result<Change, TransitionError> {
        match (to, new_due) {
            (RequestState::Extended, Some(until)) => Ok(Change::Extend { until }),
            (RequestState::Extended, None) => Ok(Change::ExtendStatutory),
            (to, None) => Ok(Change::To(to)),
            (to, Some(_)) => Err(TransitionError::DueOnlyForExtension { to }),
        }
    }

    /// The state the request moves to.
    pub fn target(self) -> RequestState {
        match self {
            Change::To(s) => s,
            Change::Extend { .. } | Change::ExtendStatutory => RequestState::Extended,
        }
    }
}

/// Applies a state change on `on` (the London date it happened) and returns the new clocks.
pub fn transition(
    cal: &Calendar,
    from: RequestState,
    change: Change,
    clocks: Clocks,
    on: NaiveDate,
) -> Result<Clocks, TransitionError> {
    let to = change.target();
    let new_due = match change {
        Change::Extend { until } => Some(until),
        Change::ExtendStatutory => {
            match (cal.regime().statutory_extension_days(), clocks.received_on) {
                (Some(days), Some(received)) => Some(cal.add_working_days(received, days)?),
                _ => None,
            }
        }
        Change::To(_) => None,
    };
    if !from.allowed_next().contains(&to) {
        return Err(TransitionError::Illegal {
            from,
            to,
            allowed: from.allowed_next().iter().map(|s| s.as_str()).collect(),
        });
    }
    let mut c = clocks;
    match to {
        // Sent, or clarification sent: this date is the (new) date of receipt.
        RequestState::AwaitingResponse => {
            c.received_on = Some(on);
            c.due_on = Some(cal.due_date(on)?);
        }
        // The clock stops until we answer the clarification.
        RequestState::ClarificationRequested => c.due_on = None,
        RequestState::Extended => {
            let new = new_due.ok_or(TransitionError::ExtensionNeedsDate)?;
            if let Some(old) = c.due_on {
                if new <= old {
                    return Err(TransitionError::ExtensionNotLater { new, old });
                }
            }
            c.due_on = Some(new);
        }
        RequestState::InternalReviewRequested => {
            c.review_due_on = Some(cal.add_working_days(on, INTERNAL_REVIEW_DAYS)?);
        }
        _ => {}
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The old call shape, through [`Change::new`], so each case reads as before.
    fn tr(
        cal: &Calendar,
        from: RequestState,
        to: RequestState,
        clocks: Clocks,
        on: NaiveDate,
        new_due: Option<NaiveDate>,
    ) -> Result<Clocks, TransitionError> {
        transition(cal, from, Change::new(to, new_due)?, clocks, on)
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn states_round_trip_through_strings() {
        for s in ALL_STATES {
            assert_eq!(s.as_str().parse::<RequestState>().unwrap(), s);
        }
        assert!("answered".parse::<RequestState>().is_err());
    }

    #[test]
    fn sending_sets_receipt_and_due_date() {
        let cal = Calendar::shipped();
        let c = tr(
            &cal,
            RequestState::Draft,
            RequestState::AwaitingResponse,
            Clocks::default(),
            d("2024-07-01"),
            None,
        )
        .unwrap();
        assert_eq!(c.received_on, Some(d("2024-07-01")));
        assert_eq!(c.due_on, Some(d("2024-07-30")));
    }

    #[test]
    fn clarification_stops_then_restarts_the_clock() {
        let cal = Calendar::shipped();
        let sent = tr(
            &cal,
            RequestState::Draft,
            RequestState::AwaitingResponse,
            Clocks::default(),
            d("2024-07-01"),
            None,
        )
        .unwrap();
        let stopped = tr(
            &cal,
            RequestState::AwaitingResponse,
            RequestState::ClarificationRequested,
            sent,
            d("2024-07-05"),
            None,
        )
        .unwrap();
        assert_eq!(stopped.due_on, None);
        // We answer on Wed 10 July 2024: 20 working days from then, skipping 12 July (NI),
        // Scotland's 5 August: 11(1), 15-19(6), 22-26(11), 29-Aug 2(16), 6-9 (20) → 9 Aug.
        let restarted = tr(
            &cal,
            RequestState::ClarificationRequested,
            RequestState::AwaitingResponse,
            stopped,
            d("2024-07-10"),
            None,
        )
        .unwrap();
        assert_eq!(restarted.received_on, Some(d("2024-07-10")));
        assert_eq!(restarted.due_on, Some(d("2024-08-09")));
    }

    #[test]
    fn extension_needs_a_later_date() {
        let cal = Calendar::shipped();
        let sent = tr(
            &cal,
            RequestState::Draft,
            RequestState::AwaitingResponse,
            Clocks::default(),
            d("2024-07-01"),
            None,
        )
        .unwrap();
        assert_eq!(
            tr(
                &cal,
                RequestState::AwaitingResponse,
                RequestState::Extended,
                sent,
                d("2024-07-29"),
                None
            ),
            Err(TransitionError::ExtensionNeedsDate)
        );
        assert!(tr(
            &cal,
            RequestState::AwaitingResponse,
            RequestState::Extended,
            sent,
            d("2024-07-29"),
            Some(d("2024-07-01"))
        )
        .is_err());
        let ext = tr(
            &cal,
            RequestState::AwaitingResponse,
            RequestState::Extended,
            sent,
            d("2024-07-29"),
            Some(d("2024-08-27")),
        )
        .unwrap();
        assert_eq!(ext.due_on, Some(d("2024-08-27")));
    }

    #[test]
    fn illegal_transitions_are_errors_that_list_the_legal_ones() {
        let cal = Calendar::shipped();
        let e = tr(
            &cal,
            RequestState::Withdrawn,
            RequestState::AnsweredFull,
            Clocks::default(),
            d("2024-07-01"),
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("closed"), "{e}");
        let e = tr(
            &cal,
            RequestState::Draft,
            RequestState::AnsweredFull,
            Clocks::default(),
            d("2024-07-01"),
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("awaiting_response"), "{e}");
    }

    #[test]
    fn internal_review_has_its_own_20_day_clock() {
        let cal = Calendar::shipped();
        let c = tr(
            &cal,
            RequestState::Refused,
            RequestState::InternalReviewRequested,
            Clocks::default(),
            d("2024-07-01"),
            None,
        )
        .unwrap();
        assert_eq!(c.review_due_on, Some(d("2024-07-30")));
    }

    #[test]
    fn a_due_date_goes_only_with_an_extension() {
        let day = d("2024-07-10");
        assert_eq!(
            Change::new(RequestState::Extended, Some(day)),
            Ok(Change::Extend { until: day })
        );
        assert_eq!(
            Change::new(RequestState::Extended, None),
            Ok(Change::ExtendStatutory)
        );
        assert_eq!(
            Change::new(RequestState::AnsweredFull, Some(day)),
            Err(TransitionError::DueOnlyForExtension {
                to: RequestState::AnsweredFull
            })
        );
        assert_eq!(
            Change::To(RequestState::Refused).target(),
            RequestState::Refused
        );
        assert_eq!(
            Change::Extend { until: day }.target(),
            RequestState::Extended
        );
    }
}
