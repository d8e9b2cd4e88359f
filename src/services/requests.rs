//! Use cases for single requests: confirming a state change, and the status board rows.

use crate::app::App;
use crate::domain::calendar::Calendar;
use crate::domain::ids::Reference;
use crate::domain::overdue::{self, Deadline, Lateness, Tier};
use crate::domain::request::{transition, Change, RequestState, TransitionError};
use crate::store::rounds::{self, RequestRow, StateUpdate};
use crate::store::{inbox, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("request {reference}: {source}")]
    Transition {
        reference: String,
        source: TransitionError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Confirms a state change for a request (`foi request set`, the dashboard, auto-applied
/// acknowledgements). `on` is the date it happened (default today).
pub async fn set_state(
    app: &App,
    reference: &Reference,
    change: Change,
    on: Option<NaiveDate>,
    note: Option<String>,
    actor: &str,
) -> Result<RequestRow, RequestError> {
    let req = rounds::request_by_ref(&app.db, reference).await?;
    apply(app, &req, change, on, note, actor).await?;
    Ok(rounds::request_by_id(&app.db, req.id).await?)
}

/// The same for a request already loaded (ingest holds its id).
pub(crate) async fn apply(
    app: &App,
    req: &RequestRow,
    change: Change,
    on: Option<NaiveDate>,
    note: Option<String>,
    actor: &str,
) -> Result<(), RequestError> {
    let on = on.unwrap_or_else(|| app.clock.today());
    let cal = app.calendar.get().for_regime(req.regime);
    let failed = |source: TransitionError| RequestError::Transition {
        reference: req.reference.to_string(),
        source,
    };
    let mut on_for_clock = on;
    if change.target() == RequestState::AwaitingResponse {
        // Our clarification sent: its date of receipt, on the round's reading (FOIA s.10(6)).
        let round = rounds::find_by_id(&app.db, req.round_id).await?;
        on_for_clock = round
            .def
            .receipt
            .date_of_receipt(&cal, on)
            .map_err(|e| failed(e.into()))?;
    }
    let clocks = transition(&cal, req.state, change, req.clocks, on_for_clock).map_err(failed)?;
    let update = StateUpdate {
        request_id: req.id,
        from: req.state,
        to: change.target(),
        clocks,
        on,
        note,
    };
    rounds::update_state(&app.db, update, actor, app.clock.now()).await?;
    Ok(())
}

/// How late `r` is today: the one definition ([`overdue::lateness`]). A date beyond the
/// calendar data counts as not late here (`foi deadline` reports the missing year).
pub fn lateness(app: &App, r: &RequestRow) -> Option<Lateness> {
    lateness_on(&app.calendar.get(), app.clock.today(), r)
}

/// The same with the calendar and today already in hand (many rows at once).
fn lateness_on(cal: &Calendar, today: NaiveDate, r: &RequestRow) -> Option<Lateness> {
    overdue::lateness(&cal.for_regime(r.regime), r.state, &r.clocks, today)
        .ok()
        .flatten()
}

/// Working days overdue today (0 when not overdue or no clock is running).
pub fn working_days_overdue(app: &App, r: &RequestRow) -> u32 {
    lateness(app, r).map_or(0, |l| l.working_days)
}

/// One row of `foi status`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusRow {
    pub authority: String,
    pub name: String,
    pub reference: Reference,
    pub state: RequestState,
    /// The law it runs under: foia, foisa, eir, eisr.
    pub regime: crate::domain::regime::Regime,
    pub sent_at: Option<DateTime<Utc>>,
    pub due_date: Option<NaiveDate>,
    pub working_days_overdue: u32,
    /// `on_time`, `overdue` or `very_overdue`.
    pub tier: Tier,
    pub messages_in: usize,
    pub last_in: Option<DateTime<Utc>>,
    pub needs_classification: usize,
    pub next_action: String,
}

/// The status board of a round: one row per body.
pub async fn status(app: &App, slug: &str) -> Result<Vec<StatusRow>, RequestError> {
    let round = rounds::find(&app.db, slug).await?;
    let reqs = rounds::requests(&app.db, round.id).await?;
    let counts = inbox::counts(&app.db).await?;
    Ok(status_rows(app, &reqs, &counts))
}

/// What a person should do next about a request.
fn next_action(r: &RequestRow, late: Option<&Lateness>, waiting: usize) -> String {
    if waiting > 0 {
        return format!("classify {waiting} reply(ies)");
    }
    let (tier, days) = late.map_or((Tier::OnTime, 0), |l| (l.tier, l.working_days));
    match (r.state, late.map(|l| l.deadline), tier) {
        (RequestState::Draft, _, _) if r.to_address.is_none() => "find an FOI address".into(),
        (RequestState::Draft, _, _) => "launch".into(),
        (RequestState::ClarificationRequested, _, _) => "send the clarification".into(),
        (_, Some(Deadline::InternalReview), Tier::Overdue | Tier::VeryOverdue) => {
            format!("review overdue ({days} working days): refer to the ICO")
        }
        (_, Some(Deadline::Response), Tier::VeryOverdue) => {
            format!("very overdue ({days} working days): escalate")
        }
        (_, Some(Deadline::Response), Tier::Overdue) => {
            format!("overdue ({days} working days): chase")
        }
        (s, _, _) if s.awaiting_body() => "wait".into(),
        (
            RequestState::AnsweredFull
            | RequestState::AnsweredPart
            | RequestState::Refused
            | RequestState::NotHeld,
            _,
            _,
        ) => "code the response".into(),
        (RequestState::DeskResearch, _, _) if r.source_url.is_none() => {
            "record the source document".into()
        }
        _ => "-".into(),
    }
}

/// Status rows from loaded requests and inbound counts.
pub fn status_rows(
    app: &App,
    reqs: &[RequestRow],
    counts: &std::collections::HashMap<i32, (usize, Option<DateTime<Utc>>, usize)>,
) -> Vec<StatusRow> {
    let (cal, today) = (app.calendar.get(), app.clock.today());
    reqs.iter()
        .map(|r| {
            let (n, last, waiting) = counts.get(&r.id).copied().unwrap_or_default();
            let late = lateness_on(&cal, today, r);
            StatusRow {
                authority: r.authority_code.clone(),
                name: r.authority_name.clone(),
                reference: r.reference.clone(),
                state: r.state,
                regime: r.regime,
                sent_at: r.sent_at,
                due_date: match r.state {
                    RequestState::InternalReviewRequested => r.clocks.review_due_on,
                    _ => r.clocks.due_on,
                },
                working_days_overdue: late.map_or(0, |l| l.working_days),
                tier: late.map_or(Tier::OnTime, |l| l.tier),
                messages_in: n,
                last_in: last,
                needs_classification: waiting,
                next_action: next_action(r, late.as_ref(), waiting),
            }
        })
        .collect()
}
