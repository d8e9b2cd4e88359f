//! One definition of "overdue", used by the board, `foi status`, `foi overdue`, the digest,
//! the chaser ladder's listings and the report's timeliness table.
//!
//! The rule is WhatDoTheyKnow's, on FOIA s.10(1):
//! * a request is **overdue** once its statutory due date has passed: from the first working
//!   day after the due date (1 working day overdue) — a weekend straight after the due date
//!   does not make it overdue yet;
//! * it is **very overdue** once 40 working days have passed since receipt, i.e. 20 working
//!   days after a 20-working-day due date. For a request whose due date moved (an s.10(3)
//!   extension, or a clock restarted by a clarification) the 20 days count from the due date
//!   in force.
//!
//! Only a request waiting on the body has a running clock (awaiting response, acknowledged,
//! extended). While our internal review request waits for an answer, the same tiers apply to
//! the review's own due date (20 working days, s.45 Code of Practice para 5.4).

use super::calendar::{Calendar, CalendarError, FOIA_RESPONSE_DAYS, VERY_OVERDUE_DAYS};
use super::request::{Clocks, RequestState};
use chrono::NaiveDate;
use serde::Serialize;

/// Working days past the due date from which a request is very overdue (20).
pub(crate) const VERY_OVERDUE_AFTER_DUE: u32 = VERY_OVERDUE_DAYS - FOIA_RESPONSE_DAYS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    OnTime,
    Overdue,
    VeryOverdue,
}

impl Tier {
    /// Words for people: "", "overdue", "very overdue".
    pub fn label(self) -> &'static str {
        match self {
            Tier::OnTime => "",
            Tier::Overdue => "overdue",
            Tier::VeryOverdue => "very overdue",
        }
    }
    /// A CSS-friendly id: "", "overdue", "very_overdue".
    pub fn id(self) -> &'static str {
        match self {
            Tier::OnTime => "",
            Tier::Overdue => "overdue",
            Tier::VeryOverdue => "very_overdue",
        }
    }
}

/// Which clock a lateness is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deadline {
    /// The request itself (s.10).
    Response,
    /// Our internal review request.
    InternalReview,
}

/// How late a request is on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lateness {
    pub deadline: Deadline,
    /// The due date in force.
    pub due_on: NaiveDate,
    /// Working days past `due_on` (0 on or before it).
    pub working_days: u32,
    pub tier: Tier,
}

/// The tier for a number of working days past the due date.
pub(crate) fn tier_for(working_days_overdue: u32) -> Tier {
    match working_days_overdue {
        0 => Tier::OnTime,
        n if n < VERY_OVERDUE_AFTER_DUE => Tier::Overdue,
        _ => Tier::VeryOverdue,
    }
}

/// The clock running for a request in `state` and its due date in force; `None` when no clock
/// is running (not sent, answered, waiting for our clarification, closed).
pub fn running_deadline(state: RequestState, clocks: &Clocks) -> Option<(Deadline, NaiveDate)> {
    match (state, clocks.due_on, clocks.review_due_on) {
        (s, Some(due), _) if s.awaiting_body() => Some((Deadline::Response, due)),
        (RequestState::InternalReviewRequested, _, Some(due)) => {
            Some((Deadline::InternalReview, due))
        }
        _ => None,
    }
}

/// The first day on which a request due on `due` is overdue: the first working day after it
/// (a weekend straight after the due date does not make it overdue yet, see the module's
/// rule). On every day from this one, [`lateness`] counts at least 1 working day: so the
/// database can select "overdue today" as `overdue_from <= today` without the calendar.
pub fn overdue_from(cal: &Calendar, due: NaiveDate) -> Result<NaiveDate, CalendarError> {
    cal.add_working_days(due, 1)
}

/// How late a request in `state` with `clocks` is on `today`; `None` when no clock is running
/// (not sent, answered, waiting for our clarification, closed).
pub fn lateness(
    cal: &Calendar,
    state: RequestState,
    clocks: &Clocks,
    today: NaiveDate,
) -> Result<Option<Lateness>, CalendarError> {
    let Some((deadline, due)) = running_deadline(state, clocks) else {
        return Ok(None);
    };
    let n = cal.working_days_overdue(due, today)?;
    Ok(Some(Lateness {
        deadline,
        due_on: due,
        working_days: n,
        tier: tier_for(n),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_from_is_the_first_day_lateness_counts() {
        let cal = Calendar::shipped();
        // Every due date through 2026 (weekends, Christmas, Easter): the day before
        // `overdue_from` counts 0 working days overdue and `overdue_from` itself counts 1.
        let mut due = d("2026-01-01");
        while due < d("2026-12-20") {
            let from = overdue_from(&cal, due).unwrap();
            let before = from.pred_opt().unwrap();
            assert_eq!(
                cal.working_days_overdue(due, before).unwrap(),
                0,
                "due {due}"
            );
            assert_eq!(cal.working_days_overdue(due, from).unwrap(), 1, "due {due}");
            due = due.succ_opt().unwrap();
        }
        // Due Thursday 24 Dec 2026: Christmas Day, Boxing Day (substitute Mon 28) and the
        // weekend pass first; overdue from Tuesday 29 December.
        assert_eq!(
            overdue_from(&cal, d("2026-12-24")).unwrap(),
            d("2026-12-29")
        );
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The `n`th working day after receipt.
    fn day(cal: &Calendar, received: NaiveDate, n: u32) -> NaiveDate {
        cal.add_working_days(received, n).unwrap()
    }

    #[test]
    fn boundaries_at_20_and_40_working_days_since_receipt() {
        let cal = Calendar::shipped();
        // Received Mon 2 March 2026: a plain stretch (Easter is 3–6 April, after day 20).
        let received = d("2026-03-02");
        let clocks = Clocks {
            received_on: Some(received),
            due_on: Some(cal.due_date(received).unwrap()),
            review_due_on: None,
        };
        let at = |n: u32| {
            lateness(
                &cal,
                RequestState::AwaitingResponse,
                &clocks,
                day(&cal, received, n),
            )
            .unwrap()
            .unwrap()
        };
        for (n, tier, late) in [
            (19, Tier::OnTime, 0),
            (20, Tier::OnTime, 0),
            (21, Tier::Overdue, 1),
            (39, Tier::Overdue, 19),
            (40, Tier::VeryOverdue, 20),
            (41, Tier::VeryOverdue, 21),
        ] {
            let l = at(n);
            assert_eq!((l.tier, l.working_days), (tier, late), "day {n}");
        }
    }

    #[test]
    fn a_weekend_after_the_due_date_is_not_yet_overdue() {
        let cal = Calendar::shipped();
        // Due Friday 27 March 2026.
        let clocks = Clocks {
            received_on: Some(d("2026-02-27")),
            due_on: Some(d("2026-03-27")),
            review_due_on: None,
        };
        let on = |s: &str| {
            lateness(&cal, RequestState::Acknowledged, &clocks, d(s))
                .unwrap()
                .unwrap()
                .tier
        };
        assert_eq!(on("2026-03-27"), Tier::OnTime);
        assert_eq!(on("2026-03-28"), Tier::OnTime);
        assert_eq!(on("2026-03-29"), Tier::OnTime);
        assert_eq!(on("2026-03-30"), Tier::Overdue);
    }

    #[test]
    fn an_extension_counts_from_the_new_due_date() {
        let cal = Calendar::shipped();
        let clocks = Clocks {
            received_on: Some(d("2026-03-02")),
            due_on: Some(d("2026-05-01")),
            review_due_on: None,
        };
        let l = lateness(&cal, RequestState::Extended, &clocks, d("2026-05-01"))
            .unwrap()
            .unwrap();
        assert_eq!(l.tier, Tier::OnTime);
        let very = day(&cal, d("2026-05-01"), 20);
        let l = lateness(&cal, RequestState::Extended, &clocks, very)
            .unwrap()
            .unwrap();
        assert_eq!((l.tier, l.working_days), (Tier::VeryOverdue, 20));
    }

    #[test]
    fn no_clock_no_lateness_and_reviews_use_their_own_date() {
        let cal = Calendar::shipped();
        let clocks = Clocks {
            received_on: Some(d("2026-03-02")),
            due_on: Some(d("2026-03-30")),
            review_due_on: Some(d("2026-05-05")),
        };
        for s in [
            RequestState::Draft,
            RequestState::ClarificationRequested,
            RequestState::AnsweredFull,
            RequestState::Refused,
            RequestState::Withdrawn,
            RequestState::ReferredToIco,
        ] {
            assert_eq!(
                lateness(&cal, s, &clocks, d("2026-06-30")).unwrap(),
                None,
                "{s}"
            );
        }
        let l = lateness(
            &cal,
            RequestState::InternalReviewRequested,
            &clocks,
            d("2026-05-06"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(l.deadline, Deadline::InternalReview);
        assert_eq!((l.working_days, l.tier), (1, Tier::Overdue));
    }
}
