//! Timeliness: how bodies kept to FOIA s.10 in a round, from the tracking data.

use super::calendar::Calendar;
use super::overdue::{lateness, Tier};
use super::regime::Regime;
use super::request::{Clocks, RequestState};
use chrono::NaiveDate;
use serde::Serialize;

/// What the tracking knows about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    pub state: RequestState,
    /// The law it runs under (which calendar counts its days).
    pub regime: Regime,
    /// The date of receipt the clock last (re)started from.
    pub received_on: Option<NaiveDate>,
    /// The due date in force when the response came (extensions included).
    pub due_on: Option<NaiveDate>,
    /// The date of the first substantive response (answer, refusal, not held).
    pub responded_on: Option<NaiveDate>,
    pub internal_review: bool,
    pub referred_to_ico: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeliness {
    pub sent: usize,
    pub responded: usize,
    pub on_time: usize,
    pub late: usize,
    /// Sent, no response yet.
    pub not_answered: usize,
    /// Of those not answered, past their due date on `today` (see `domain::overdue`).
    pub overdue_now: usize,
    /// Of those, 20 working days or more past it.
    pub very_overdue_now: usize,
    pub median_working_days: Option<f64>,
    pub internal_reviews: usize,
    pub referred_to_ico: usize,
}

pub fn timeliness(cal: &Calendar, tracked: &[Tracked], today: NaiveDate) -> Timeliness {
    let sent: Vec<&Tracked> = tracked.iter().filter(|t| t.received_on.is_some()).collect();
    let mut days = Vec::new();
    let (mut on_time, mut late, mut not_answered, mut overdue_now) = (0, 0, 0, 0);
    let mut very_overdue_now = 0;
    for t in &sent {
        let cal = &cal.for_regime(t.regime);
        match t.responded_on {
            Some(r) => {
                if let Some(rec) = t.received_on {
                    if let Ok(n) = cal.working_days_between(rec, r) {
                        days.push(n as f64);
                    }
                }
                match t.due_on {
                    Some(d) if r > d => late += 1,
                    _ => on_time += 1,
                }
            }
            None => {
                if t.state != RequestState::Withdrawn {
                    not_answered += 1;
                    // The one definition of overdue (a request waiting on the body, past its
                    // due date in working days).
                    let clocks = Clocks {
                        received_on: t.received_on,
                        due_on: t.due_on,
                        review_due_on: None,
                    };
                    let tier = lateness(cal, t.state, &clocks, today)
                        .ok()
                        .flatten()
                        .map(|l| l.tier);
                    match tier {
                        Some(Tier::Overdue) => overdue_now += 1,
                        Some(Tier::VeryOverdue) => {
                            overdue_now += 1;
                            very_overdue_now += 1;
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    days.sort_by(|a, b| a.total_cmp(b));
    let median = match days.len() {
        0 => None,
        n if n % 2 == 1 => Some(days[n / 2]),
        n => Some((days[n / 2 - 1] + days[n / 2]) / 2.0),
    };
    Timeliness {
        sent: sent.len(),
        responded: on_time + late,
        on_time,
        late,
        not_answered,
        overdue_now,
        very_overdue_now,
        median_working_days: median,
        internal_reviews: tracked.iter().filter(|t| t.internal_review).count(),
        referred_to_ico: tracked.iter().filter(|t| t.referred_to_ico).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn counts_on_time_late_and_median() {
        let cal = Calendar::shipped();
        let t = |resp: Option<&str>, state| Tracked {
            state,
            regime: Regime::Foia,
            received_on: Some(d("2024-07-01")),
            due_on: Some(d("2024-07-30")),
            responded_on: resp.map(d),
            internal_review: false,
            referred_to_ico: false,
        };
        let all = vec![
            t(Some("2024-07-30"), RequestState::AnsweredFull), // 20 working days: on time
            t(Some("2024-07-31"), RequestState::AnsweredPart), // 21: late
            t(Some("2024-07-10"), RequestState::Refused),      // 7
            t(None, RequestState::AwaitingResponse),
            Tracked {
                received_on: None,
                ..t(None, RequestState::Draft)
            },
        ];
        let r = timeliness(&cal, &all, d("2024-08-01"));
        assert_eq!(
            (
                r.sent,
                r.responded,
                r.on_time,
                r.late,
                r.not_answered,
                r.overdue_now
            ),
            (4, 3, 2, 1, 1, 1)
        );
        assert_eq!(r.median_working_days, Some(20.0));
    }
}
