//! Use cases for single requests: confirming a state change, and the status board rows.

use crate::app::App;
use crate::domain::request::{transition, State, TransitionError};
use crate::store::rounds::{self, RequestRow};
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
/// acknowledgements). `on` is the date it happened (default today); `new_due` is an
/// extension's new date.
pub async fn set_state(
    app: &App,
    reference: &str,
    to: State,
    on: Option<NaiveDate>,
    new_due: Option<NaiveDate>,
    note: Option<String>,
    actor: &str,
) -> Result<RequestRow, RequestError> {
    let req = rounds::request_by_ref(&app.db, reference).await?;
    let on = on.unwrap_or_else(|| app.clock.today());
    let clocks =
        transition(&app.calendar, req.state, to, req.clocks, on, new_due).map_err(|source| {
            RequestError::Transition {
                reference: req.reference.clone(),
                source,
            }
        })?;
    rounds::update_state(
        &app.db,
        req.id,
        req.state,
        to,
        clocks,
        on,
        note,
        actor,
        app.clock.now(),
    )
    .await?;
    Ok(rounds::request_by_ref(&app.db, &req.reference).await?)
}

/// One row of `foi status`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusRow {
    pub authority: String,
    pub name: String,
    pub reference: String,
    pub state: State,
    pub sent_at: Option<DateTime<Utc>>,
    pub due_date: Option<NaiveDate>,
    pub working_days_overdue: u32,
    pub messages_in: usize,
    pub last_in: Option<DateTime<Utc>>,
    pub needs_classification: usize,
    pub next_action: String,
}

/// Working days overdue today (0 when not overdue or not waiting on the body).
pub fn overdue(app: &App, r: &RequestRow) -> u32 {
    let today = app.clock.today();
    match (r.state.awaiting_body(), r.clocks.due_on) {
        (true, Some(due)) => app.calendar.working_days_overdue(due, today).unwrap_or(0),
        _ => match (r.state, r.clocks.review_due_on) {
            (State::InternalReviewRequested, Some(due)) => {
                app.calendar.working_days_overdue(due, today).unwrap_or(0)
            }
            _ => 0,
        },
    }
}

/// The status board of a round: one row per body.
pub async fn status(app: &App, slug: &str) -> Result<Vec<StatusRow>, RequestError> {
    let round = rounds::find(&app.db, slug).await?;
    let reqs = rounds::requests(&app.db, round.id).await?;
    let counts = inbox::counts(&app.db).await?;
    Ok(status_rows(app, &reqs, &counts))
}

/// Status rows from loaded requests and inbound counts.
pub fn status_rows(
    app: &App,
    reqs: &[RequestRow],
    counts: &std::collections::HashMap<i32, (usize, Option<DateTime<Utc>>, usize)>,
) -> Vec<StatusRow> {
    reqs.iter()
        .map(|r| {
            let (n, last, waiting) = counts.get(&r.id).copied().unwrap_or_default();
            let late = overdue(app, r);
            let next_action = if waiting > 0 {
                format!("classify {waiting} reply(ies)")
            } else {
                match r.state {
                    State::Draft if r.to_address.is_none() => "find an FOI address".into(),
                    State::Draft => "launch".into(),
                    State::ClarificationRequested => "send the clarification".into(),
                    s if s.awaiting_body()
                        && late >= crate::domain::calendar::VERY_OVERDUE_DAYS =>
                    {
                        format!("very overdue ({late} working days): escalate")
                    }
                    s if s.awaiting_body() && late > 0 => {
                        format!("overdue ({late} working days): chase")
                    }
                    s if s.awaiting_body() => "wait".into(),
                    State::InternalReviewRequested if late > 0 => {
                        format!("review overdue ({late} working days): refer to the ICO")
                    }
                    State::AnsweredFull | State::AnsweredPart | State::Refused | State::NotHeld => {
                        "code the response".into()
                    }
                    State::DeskResearch if r.source_url.is_none() => {
                        "record the source document".into()
                    }
                    _ => "-".into(),
                }
            };
            StatusRow {
                authority: r.authority_code.clone(),
                name: r.authority_name.clone(),
                reference: r.reference.clone(),
                state: r.state,
                sent_at: r.sent_at,
                due_date: match r.state {
                    State::InternalReviewRequested => r.clocks.review_due_on,
                    _ => r.clocks.due_on,
                },
                working_days_overdue: late,
                messages_in: n,
                last_in: last,
                needs_classification: waiting,
                next_action,
            }
        })
        .collect()
}
