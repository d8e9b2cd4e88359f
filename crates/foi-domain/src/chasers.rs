//! The chaser ladder: which step to take for a request today.
//!
//! A round's policy is a ladder of steps, each so many working days after the due date
//! (reminder at 1, second reminder at 10, internal review request at 20, a drafted ICO
//! complaint at 40). Rules:
//!
//! * only requests waiting on the body are chased (awaiting response, acknowledged, extended);
//!   never one that is answered, refused, not held, withdrawn, or waiting for *our*
//!   clarification. Once an internal review has been requested, only steps after the
//!   internal-review step remain (the ICO complaint), and that step also falls due when the
//!   review is itself 20 working days late;
//! * a reply that has arrived but is not yet classified pauses the ladder; it resumes when a
//!   person has classified the reply and the request is still open;
//! * a step is never taken twice, and the ladder only moves up: if the service was down and
//!   several steps fell due, only the highest is taken (the ones passed over are not sent
//!   late);
//! * **no reminder before the due date has passed**, whatever the ladder says and whoever
//!   asks (the scheduled run, `foi chase`, "Chase now"): under FOIA s.10(1) (FOISA s.10(1),
//!   EIR reg 5(2)) the body has until the end of the 20th working day, so the earliest day a
//!   chaser may go is the working day after the due date ([`first_chase_day`]). "Chase now"
//!   takes the step that has fallen due today, or says when the next may go ([`chase_now`]).

use super::calendar::{Calendar, CalendarError, INTERNAL_REVIEW_DAYS};
use super::request::RequestState;
use super::round::{ChasePurpose, ChaseStep};
use chrono::NaiveDate;

/// What the ladder needs to know about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaseState {
    pub state: RequestState,
    pub due_on: Option<NaiveDate>,
    pub review_due_on: Option<NaiveDate>,
    /// Index of the highest step already taken (any outcome), if any.
    pub highest_taken: Option<usize>,
    /// Replies on the request waiting to be classified.
    pub unclassified_replies: usize,
}

/// The step to take today, with the date it fell due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub index: usize,
    pub on: NaiveDate,
}

fn is_review_step(s: &ChaseStep) -> bool {
    s.purpose() == ChasePurpose::InternalReview
}

/// The date step `s` falls due for a request due on `due`.
pub fn step_date(
    cal: &Calendar,
    due: NaiveDate,
    s: &ChaseStep,
) -> Result<NaiveDate, CalendarError> {
    cal.add_working_days(due, s.after_working_days)
}

/// The next step of the ladder and its date (whether or not it has arrived), for `foi overdue`.
pub fn next_step(
    cal: &Calendar,
    ladder: &[ChaseStep],
    st: &ChaseState,
) -> Result<Option<Due>, CalendarError> {
    Ok(remaining(cal, ladder, st)?.into_iter().next())
}

/// The steps still to take, in ladder order, each with the day it may go: never on or before
/// the due date; in an internal review, only the steps after the review (the ICO step
/// brought forward when the review itself is late).
fn remaining(
    cal: &Calendar,
    ladder: &[ChaseStep],
    st: &ChaseState,
) -> Result<Vec<Due>, CalendarError> {
    let Some(due) = st.due_on else {
        return Ok(Vec::new());
    };
    let review_index = ladder.iter().position(is_review_step);
    let in_review = st.state == RequestState::InternalReviewRequested;
    let start = st.highest_taken.map(|i| i + 1).unwrap_or(0);
    let earliest = first_chase_day(cal, due)?;
    let mut out = Vec::new();
    for (i, s) in ladder.iter().enumerate().skip(start) {
        if in_review && review_index.is_some_and(|r| i <= r) {
            continue;
        }
        // A step set at 0 working days would fall on the due date: it waits for the next.
        let mut on = step_date(cal, due, s)?.max(earliest);
        // A late internal review brings the ICO step forward.
        if in_review && s.purpose() == ChasePurpose::IcoDraft {
            if let Some(rd) = st.review_due_on {
                let late = cal.add_working_days(rd, INTERNAL_REVIEW_DAYS)?;
                on = on.min(late);
            }
        }
        out.push(Due { index: i, on });
    }
    Ok(out)
}

/// The first day any chaser may go for a request due on `due`: the next working day. (The
/// due date itself is still in time: the body has until the end of it, FOIA s.10(1).)
pub(crate) fn first_chase_day(cal: &Calendar, due: NaiveDate) -> Result<NaiveDate, CalendarError> {
    cal.add_working_days(due, 1)
}

/// Which step of the ladder a letter is, in words: "Reminder 2 of 3" for the team's pages,
/// "second reminder" for the letter itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StepWords {
    /// "Reminder 2 of 3", "Request for internal review", "ICO complaint draft".
    pub label: String,
    /// "first reminder", "second reminder", "request for an internal review".
    pub ordinal: String,
    /// A reminder (its number among the ladder's reminders), not a review or a complaint.
    pub reminder: Option<usize>,
}

/// The words for step `index` of `ladder`.
pub fn step_words(ladder: &[ChaseStep], index: usize) -> StepWords {
    const ORDINALS: [&str; 10] = [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth",
    ];
    let Some(step) = ladder.get(index) else {
        return StepWords {
            label: "Reminder".into(),
            ordinal: "reminder".into(),
            reminder: None,
        };
    };
    match step.purpose() {
        ChasePurpose::Reminder => {
            let reminders = ladder
                .iter()
                .filter(|s| s.purpose() == ChasePurpose::Reminder)
                .count();
            let n = ladder[..=index]
                .iter()
                .filter(|s| s.purpose() == ChasePurpose::Reminder)
                .count();
            let ordinal = ORDINALS
                .get(n - 1)
                .map(|o| format!("{o} reminder"))
                .unwrap_or_else(|| format!("reminder {n}"));
            StepWords {
                label: if reminders == 1 {
                    "Reminder".into()
                } else {
                    format!("Reminder {n} of {reminders}")
                },
                ordinal,
                reminder: Some(n),
            }
        }
        ChasePurpose::InternalReview => StepWords {
            label: "Request for internal review".into(),
            ordinal: "request for an internal review".into(),
            reminder: None,
        },
        ChasePurpose::IcoDraft => StepWords {
            label: "ICO complaint draft".into(),
            ordinal: "complaint to the ICO".into(),
            reminder: None,
        },
    }
}

/// Why "Chase now" takes no step today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotNow {
    /// The request is not waiting on the body (answered, withdrawn, waiting for us …).
    NotChased(RequestState),
    /// A reply waits to be classified: the ladder is paused until a person has read it.
    RepliesWaiting,
    /// No due date (not sent).
    NotSent,
    /// The next step may go on this day, not before.
    NotYet { step: usize, may_go_on: NaiveDate },
    /// Every step has been taken.
    LadderDone,
}

impl NotNow {
    /// In words, for the request page and the CLI; `steps` names the ladder's steps.
    pub fn describe(&self, ladder: &[ChaseStep], due_on: Option<NaiveDate>) -> String {
        match self {
            NotNow::NotChased(s) => format!(
                "a request that is {} is not chased",
                s.label().to_lowercase()
            ),
            NotNow::RepliesWaiting => {
                "a reply waits to be read: chasers pause until it is classified".into()
            }
            NotNow::NotSent => "the request has not been sent".into(),
            NotNow::NotYet { step, may_go_on } => format!(
                "\"{}\" may go from {}{}; a reminder never goes before the response is late",
                step_words(ladder, *step).label,
                crate::dates::long(*may_go_on),
                due_on
                    .map(|d| format!(" (the response is due by {})", crate::dates::long(d)))
                    .unwrap_or_default()
            ),
            NotNow::LadderDone => "every step of the chaser ladder has been taken".into(),
        }
    }
}

/// "Chase now": the step that may be taken today (the one the scheduled run would take, now
/// rather than at its next tick), or why none may.
pub fn chase_now(
    cal: &Calendar,
    ladder: &[ChaseStep],
    st: &ChaseState,
    today: NaiveDate,
) -> Result<Result<Due, NotNow>, CalendarError> {
    if st.unclassified_replies > 0 {
        return Ok(Err(NotNow::RepliesWaiting));
    }
    if !st.state.awaiting_body() && st.state != RequestState::InternalReviewRequested {
        return Ok(Err(NotNow::NotChased(st.state)));
    }
    if st.due_on.is_none() {
        return Ok(Err(NotNow::NotSent));
    }
    if let Some(d) = step_due(cal, ladder, st, today)? {
        return Ok(Ok(d));
    }
    Ok(Err(match next_step(cal, ladder, st)? {
        Some(n) => NotNow::NotYet {
            step: n.index,
            may_go_on: n.on,
        },
        None => NotNow::LadderDone,
    }))
}

/// The step to take on `today`, if any. Never one on or before the due date.
pub fn step_due(
    cal: &Calendar,
    ladder: &[ChaseStep],
    st: &ChaseState,
    today: NaiveDate,
) -> Result<Option<Due>, CalendarError> {
    if st.unclassified_replies > 0 {
        return Ok(None);
    }
    let in_review = st.state == RequestState::InternalReviewRequested;
    if !st.state.awaiting_body() && !in_review {
        return Ok(None);
    }
    Ok(remaining(cal, ladder, st)?
        .into_iter()
        .rfind(|d| d.on <= today))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::round::ChaseMode;
    use toml::Spanned;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn ladder() -> Vec<ChaseStep> {
        [
            ("reminder-1", 1, ChasePurpose::Reminder),
            ("reminder-2", 10, ChasePurpose::Reminder),
            ("internal-review", 20, ChasePurpose::InternalReview),
            ("ico-complaint", 40, ChasePurpose::IcoDraft),
        ]
        .into_iter()
        .map(|(id, n, t)| ChaseStep {
            id: id.into(),
            after_working_days: n,
            purpose: Spanned::new(0..0, t),
            template: None,
            mode: ChaseMode::Auto,
        })
        .collect()
    }

    fn st(state: RequestState) -> ChaseState {
        ChaseState {
            state,
            due_on: Some(d("2025-12-22")),
            review_due_on: None,
            highest_taken: None,
            unclassified_replies: 0,
        }
    }

    #[test]
    fn each_step_says_which_it_is() {
        let l = ladder();
        assert_eq!(step_words(&l, 0).label, "Reminder 1 of 2");
        assert_eq!(step_words(&l, 1).label, "Reminder 2 of 2");
        assert_eq!(step_words(&l, 1).ordinal, "second reminder");
        assert_eq!(step_words(&l, 2).label, "Request for internal review");
        assert_eq!(step_words(&l, 3).label, "ICO complaint draft");
        assert_eq!(step_words(&l[..1], 0).label, "Reminder");
    }

    #[test]
    fn in_an_internal_review_the_next_step_is_after_the_review_and_not_in_the_past() {
        let cal = Calendar::shipped();
        let l = ladder();
        let mut s = st(RequestState::InternalReviewRequested);
        s.review_due_on = Some(d("2026-03-02"));
        // Reminders were never sent; the review was asked by hand. Today is well past the
        // reminders' days, but they are behind us: the next is the ICO step.
        let today = d("2026-02-10");
        match chase_now(&cal, &l, &s, today).unwrap() {
            Err(NotNow::NotYet { step, may_go_on }) => {
                assert_eq!(step, 3, "the ICO step, not a reminder");
                assert!(may_go_on > today, "{may_go_on}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn steps_fall_due_on_working_days_after_the_due_date_across_christmas() {
        let cal = Calendar::shipped();
        let l = ladder();
        let s = st(RequestState::AwaitingResponse);
        assert_eq!(
            step_due(&cal, &l, &s, d("2025-12-22")).unwrap(),
            None,
            "not overdue on the due date"
        );
        assert_eq!(
            step_due(&cal, &l, &s, d("2025-12-23")).unwrap(),
            Some(Due {
                index: 0,
                on: d("2025-12-23")
            })
        );
        // 10 working days: 23, 24, 29, 30, 31 Dec, then 5–9 Jan (25, 26 Dec, 1 Jan and
        // Scotland's 2 Jan are holidays) → 9 Jan 2026.
        assert_eq!(
            step_date(&cal, d("2025-12-22"), &l[1]).unwrap(),
            d("2026-01-09")
        );
        assert_eq!(
            step_date(&cal, d("2025-12-22"), &l[2]).unwrap(),
            d("2026-01-23")
        );
        assert_eq!(
            step_date(&cal, d("2025-12-22"), &l[3]).unwrap(),
            d("2026-02-20")
        );
    }

    #[test]
    fn no_step_before_the_due_date_has_passed_even_one_set_at_zero_days() {
        let cal = Calendar::shipped();
        let mut l = ladder();
        l[0].after_working_days = 0;
        let s = st(RequestState::AwaitingResponse);
        // Due Mon 22 Dec 2025: nothing on it or before, the first step on Tue 23 Dec.
        for day in ["2025-11-24", "2025-12-05", "2025-12-22"] {
            assert_eq!(step_due(&cal, &l, &s, d(day)).unwrap(), None, "{day}");
            assert_eq!(
                chase_now(&cal, &l, &s, d(day)).unwrap(),
                Err(NotNow::NotYet {
                    step: 0,
                    may_go_on: d("2025-12-23")
                }),
                "{day}"
            );
        }
        assert_eq!(
            chase_now(&cal, &l, &s, d("2025-12-23")).unwrap(),
            Ok(Due {
                index: 0,
                on: d("2025-12-23")
            })
        );
    }

    #[test]
    fn chase_now_says_when_the_next_step_may_go() {
        let cal = Calendar::shipped();
        let l = ladder();
        let mut s = st(RequestState::AwaitingResponse);
        s.highest_taken = Some(0);
        // Reminder 1 went; reminder 2 falls on 9 Jan 2026 (10 working days after the due date).
        let r = chase_now(&cal, &l, &s, d("2026-01-05"))
            .unwrap()
            .unwrap_err();
        assert_eq!(
            r,
            NotNow::NotYet {
                step: 1,
                may_go_on: d("2026-01-09")
            }
        );
        let words = r.describe(&l, s.due_on);
        assert!(
            words.contains("\"Reminder 2 of 2\" may go from Friday 9 January 2026"),
            "{words}"
        );
        assert!(words.contains("due by Monday 22 December 2025"), "{words}");
        s.unclassified_replies = 1;
        assert_eq!(
            chase_now(&cal, &l, &s, d("2026-02-01")).unwrap(),
            Err(NotNow::RepliesWaiting)
        );
        let answered = st(RequestState::NotHeld);
        assert_eq!(
            chase_now(&cal, &l, &answered, d("2026-02-01")).unwrap(),
            Err(NotNow::NotChased(RequestState::NotHeld))
        );
    }

    #[test]
    fn never_chase_closed_or_paused_requests() {
        let cal = Calendar::shipped();
        let l = ladder();
        for state in [
            RequestState::AnsweredFull,
            RequestState::AnsweredPart,
            RequestState::Refused,
            RequestState::NotHeld,
            RequestState::Withdrawn,
            RequestState::ClarificationRequested,
            RequestState::Draft,
        ] {
            assert_eq!(
                step_due(&cal, &l, &st(state), d("2026-03-01")).unwrap(),
                None,
                "{state}"
            );
        }
        let mut paused = st(RequestState::Acknowledged);
        paused.unclassified_replies = 1;
        assert_eq!(step_due(&cal, &l, &paused, d("2026-03-01")).unwrap(), None);
        paused.unclassified_replies = 0;
        assert!(
            step_due(&cal, &l, &paused, d("2026-03-01"))
                .unwrap()
                .is_some(),
            "resumes once classified"
        );
    }

    #[test]
    fn steps_are_not_repeated_and_a_catch_up_takes_only_the_highest() {
        let cal = Calendar::shipped();
        let l = ladder();
        let mut s = st(RequestState::AwaitingResponse);
        s.highest_taken = Some(0);
        assert_eq!(
            step_due(&cal, &l, &s, d("2025-12-30")).unwrap(),
            None,
            "reminder-1 done, reminder-2 not yet due"
        );
        s.highest_taken = None;
        // Down from 22 Dec to 27 Jan: reminder-1, -2 and the review request are all due.
        assert_eq!(
            step_due(&cal, &l, &s, d("2026-01-27"))
                .unwrap()
                .unwrap()
                .index,
            2
        );
    }

    #[test]
    fn a_late_internal_review_brings_the_ico_step_forward() {
        let cal = Calendar::shipped();
        let l = ladder();
        let mut s = st(RequestState::InternalReviewRequested);
        s.highest_taken = Some(2);
        s.due_on = Some(d("2025-12-22"));
        s.review_due_on = Some(d("2026-01-05"));
        // The review is 20 working days late on 2 Feb 2026, before the 40-day mark (20 Feb).
        assert_eq!(
            step_due(&cal, &l, &s, d("2026-02-02")).unwrap(),
            Some(Due {
                index: 3,
                on: d("2026-02-02")
            })
        );
        // In review, earlier steps are never taken.
        s.highest_taken = Some(0);
        assert_eq!(step_due(&cal, &l, &s, d("2026-01-27")).unwrap(), None);
    }
}
