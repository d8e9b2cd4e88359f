//! Use cases for single requests: confirming a state change, and the status board rows.

use crate::app::App;
use crate::domain::calendar::Calendar;
use crate::domain::ids::Reference;
use crate::domain::need::Need;
use crate::domain::overdue::{self, Deadline, Lateness, Tier};
use crate::domain::request::{transition, Change, RequestState, TransitionError};
use crate::store::changes::{self, StateUpdate};
use crate::store::rounds::{self, RequestRow};
use crate::store::StoreError;
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

/// The longest private note kept (characters).
pub(crate) const NOTE_MAX: usize = 4000;

/// Adds a private note to a request (`foi request note`, the request page's note form). A
/// note is its own event: it changes no state, no date and no count, and it never appears in
/// a letter, a publication or a bundle.
pub async fn add_note(
    app: &App,
    reference: &Reference,
    text: &str,
    actor: &str,
) -> Result<(), StoreError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StoreError::Invalid(
            "the note is empty: write something to keep".into(),
        ));
    }
    if text.chars().count() > NOTE_MAX {
        return Err(StoreError::Invalid(format!(
            "the note is longer than {NOTE_MAX} characters: keep it shorter, or attach a document"
        )));
    }
    let r = rounds::request_by_ref(&app.db, reference).await?;
    crate::store::events::append(
        &app.db,
        crate::store::events::NewEvent {
            request_id: Some(r.id),
            message_id: None,
            actor: actor.to_string(),
            kind: crate::domain::event::EventKind::NoteAdded,
            from_state: None,
            to_state: None,
            effective_on: None,
            note: Some(text.to_string()),
            data: None,
        },
        app.clock.now(),
    )
    .await?;
    // Searchable by the team at once.
    super::search::catch_up_quietly(app).await;
    Ok(())
}

/// Each request's state changes that stand, oldest first (a change set in error and undone
/// counts nowhere: `domain::response::standing`). Requests with none are absent.
pub(crate) async fn standing_changes(
    app: &App,
    ids: &[i32],
) -> Result<std::collections::HashMap<i32, Vec<crate::domain::response::StateChange>>, StoreError> {
    use crate::domain::response::{standing, Recorded, StateChange};
    let mut recorded: std::collections::HashMap<i32, Vec<Recorded>> = Default::default();
    for e in crate::store::events::state_changes_of(&app.db, ids).await? {
        let (Some(rid), Some(to)) = (
            e.event.request_id,
            e.event.to_state.as_deref().and_then(|s| s.parse().ok()),
        ) else {
            continue;
        };
        let on = e
            .event
            .effective_on
            .unwrap_or_else(|| crate::domain::dates::london_date(e.at));
        let corrects = (e.event.kind == crate::domain::event::EventKind::StateCorrected)
            .then(|| {
                e.event
                    .data
                    .as_ref()
                    .and_then(|d| d.get("corrects"))
                    .and_then(|v| v.as_i64())
                    .map(|v| v as i32)
            })
            .flatten();
        recorded.entry(rid).or_default().push(Recorded {
            id: e.id,
            change: StateChange { to, on },
            corrects,
        });
    }
    Ok(recorded
        .into_iter()
        .map(|(id, r)| (id, standing(&r)))
        .collect())
}

/// The date of each request's first statutory response (an answer, a refusal, "not held";
/// never an acknowledgement, an extension or a clarification: see `domain::response`), from
/// the state changes that stand on its timeline. Requests with none are absent.
pub(crate) async fn first_responses(
    app: &App,
    ids: &[i32],
) -> Result<std::collections::HashMap<i32, NaiveDate>, StoreError> {
    use crate::domain::response::first_response;
    Ok(standing_changes(app, ids)
        .await?
        .into_iter()
        .filter_map(|(id, c)| first_response(&c).map(|d| (id, d)))
        .collect())
}

/// Assigns the request to a team member by their user name (`None`: to nobody). Only a user
/// who can sign in may be given requests.
pub async fn assign(
    app: &App,
    reference: &Reference,
    to: Option<&str>,
    actor: &str,
) -> Result<RequestRow, StoreError> {
    let to = to.map(str::trim).filter(|t| !t.is_empty());
    if let Some(name) = to {
        let users = crate::store::users::list(&app.db).await?;
        if !users
            .iter()
            .any(|u| u.name == name && u.disabled_at.is_none())
        {
            return Err(StoreError::Invalid(format!(
                "no team member called `{name}` can sign in; `foi user list` shows who can"
            )));
        }
    }
    let req = rounds::request_by_ref(&app.db, reference).await?;
    crate::store::requests::assign(&app.db, req.id, to, actor, app.clock.now()).await?;
    rounds::request_by_id(&app.db, req.id).await
}

/// Undoes the request's last state change, made in error: the request goes back to the state
/// and dates it had before, and the mistaken change counts nowhere (no response, no internal
/// review, no referral). Only a change someone confirmed can be undone (not a letter going
/// out), and only the latest that stands; undo again to go further back.
pub async fn correct_state(
    app: &App,
    reference: &Reference,
    note: Option<String>,
    actor: &str,
) -> Result<RequestRow, StoreError> {
    let req = rounds::request_by_ref(&app.db, reference).await?;
    let Some(m) = correctable(app, &req).await? else {
        return Err(StoreError::Invalid(format!(
            "{reference}: there is no state change to undo (the last one was made by foi itself, \
             when a letter went out, or it was set before corrections were recorded); \
             set the right state instead"
        )));
    };
    changes::correct_state(
        &app.db,
        &app.calendar.get(),
        changes::Correction {
            request_id: req.id,
            from: req.state,
            to: m.back_to,
            clocks: m.clocks,
            corrects: m.event_id,
            on: app.clock.today(),
            note,
        },
        actor,
        app.clock.now(),
    )
    .await?;
    rounds::request_by_id(&app.db, req.id).await
}

/// The change an undo would take back, as the request page offers it.
#[derive(Debug, Clone, Serialize)]
pub struct Undoable {
    pub event_id: i32,
    /// The state set in error (the current state).
    pub mistaken: RequestState,
    pub set_on: NaiveDate,
    pub set_by: String,
    /// The state it goes back to.
    pub back_to: RequestState,
    #[serde(skip)]
    pub clocks: crate::domain::request::Clocks,
}

/// The latest standing state change of `req`, when a person made it and it recorded the
/// dates before it (every change since corrections exist does).
pub(crate) async fn correctable(
    app: &App,
    req: &RequestRow,
) -> Result<Option<Undoable>, StoreError> {
    let evs = crate::store::events::for_requests(&app.db, &[req.id]).await?;
    Ok(correctable_in(req, &evs))
}

/// The same from the request's events already loaded (the request page has them).
pub fn correctable_in(req: &RequestRow, evs: &[crate::store::events::Event]) -> Option<Undoable> {
    use crate::domain::event::EventKind;
    let undone: std::collections::HashSet<i64> = evs
        .iter()
        .filter(|e| e.event.kind == EventKind::StateCorrected)
        .filter_map(|e| e.event.data.as_ref()?.get("corrects")?.as_i64())
        .collect();
    let last = evs
        .iter()
        .filter(|e| e.event.to_state.is_some() && e.event.kind != EventKind::StateCorrected)
        .filter(|e| !undone.contains(&(e.id as i64)))
        .max_by_key(|e| e.id)?;
    if last.event.kind != EventKind::StateChanged
        || last.event.to_state.as_deref() != Some(req.state.as_str())
    {
        return None;
    }
    let (Some(from), Some(before)) = (
        last.event
            .from_state
            .as_deref()
            .and_then(|s| s.parse::<RequestState>().ok()),
        last.event.data.as_ref().and_then(|d| d.get("before")),
    ) else {
        return None;
    };
    let date = |k: &str| {
        before
            .get(k)
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse::<NaiveDate>().ok())
    };
    Some(Undoable {
        event_id: last.id,
        mistaken: req.state,
        set_on: last
            .event
            .effective_on
            .unwrap_or_else(|| crate::domain::dates::london_date(last.at)),
        set_by: last.event.actor.clone(),
        back_to: from,
        clocks: crate::domain::request::Clocks {
            received_on: date("received_on"),
            due_on: date("due_on"),
            review_due_on: date("review_due_on"),
        },
    })
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
        before: req.clocks,
        from: req.state,
        to: change.target(),
        clocks,
        on,
        note,
    };
    changes::update_state(&app.db, &app.calendar.get(), update, actor, app.clock.now()).await?;
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
    pub next_action: Need,
    /// The date of the first statutory response (see `domain::response`), when `foi status`
    /// has looked it up.
    pub first_response: Option<NaiveDate>,
}

/// The status board of a round: one row per body, by body code.
pub async fn status(app: &App, slug: &str) -> Result<Vec<StatusRow>, RequestError> {
    let mut out = Vec::new();
    status_each(app, slug, |row| {
        out.push(row);
        Ok::<(), RequestError>(())
    })
    .await?;
    Ok(out)
}

/// How many rows `foi status` reads at a time.
const STATUS_BATCH: u64 = 1000;

/// The status rows of a round, by body code, handed to `each` a batch at a time: memory stays
/// flat however large the round (`foi status` of 100,000 bodies streams).
pub async fn status_each<E: From<RequestError>>(
    app: &App,
    slug: &str,
    mut each: impl FnMut(StatusRow) -> Result<(), E>,
) -> Result<(), E> {
    let round = rounds::find(&app.db, slug)
        .await
        .map_err(RequestError::from)?;
    let (cal, today) = (app.calendar.get(), app.clock.today());
    let history = super::rounds::history_reason(app, &round)
        .await
        .map_err(RequestError::from)?
        .is_some();
    let mut after: Option<String> = None;
    loop {
        let batch = rounds::after_reference(&app.db, round.id, after.as_deref(), STATUS_BATCH)
            .await
            .map_err(RequestError::from)?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = Some(last.reference.to_string());
        let mut rows: Vec<(StatusRow, i32)> = batch
            .iter()
            .map(|r| {
                let mut row = status_row(&cal, today, r);
                if history {
                    as_record(&mut row, r);
                }
                (row, r.id)
            })
            .collect();
        refine_coding(app, &round.def.codebook, &mut rows).await?;
        let ids: Vec<i32> = rows.iter().map(|(_, id)| *id).collect();
        let first = first_responses(app, &ids)
            .await
            .map_err(RequestError::from)?;
        for (mut row, id) in rows {
            row.first_response = first.get(&id).copied();
            each(row)?;
        }
    }
}

/// "coded" or "partly coded: 3 of 8" for the rows whose next action says they are coded,
/// from their values (one query for all of `rows`).
pub async fn refine_coding(
    app: &App,
    cb: &crate::domain::codebook::Codebook,
    rows: &mut [(StatusRow, i32)],
) -> Result<(), RequestError> {
    let coded = |r: &StatusRow| matches!(r.next_action, Need::Coded { .. });
    let ids: Vec<i32> = rows
        .iter()
        .filter(|(r, _)| coded(r))
        .map(|(_, id)| *id)
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let values = crate::store::codings::values_of(&app.db, &ids).await?;
    for (row, id) in rows.iter_mut() {
        if let Some(v) = values.get(id).filter(|_| coded(row)) {
            let (done, of) = crate::domain::aggregate::progress(cb, v);
            row.next_action = row.next_action.with_progress(done, of);
        }
    }
    Ok(())
}

/// A request of a round that is history (never launched from here): what remains is coding.
pub fn as_record(row: &mut StatusRow, r: &RequestRow) {
    if r.state == RequestState::Draft {
        row.next_action = if r.kept.coded_count > 0 {
            Need::Coded { record: true }
        } else {
            Need::CodeResponse { record: true }
        };
    }
}

/// What a person should do next about a request.
fn next_action(r: &RequestRow, late: Option<&Lateness>) -> Need {
    let waiting = r.kept.waiting_count;
    if waiting > 0 {
        return Need::Classify { replies: waiting };
    }
    let tier = late.map_or(Tier::OnTime, |l| l.tier);
    let working_days = days_n(late);
    match (r.state, late.map(|l| l.deadline), tier) {
        (RequestState::Draft, _, _) if r.to_address.is_none() => Need::FindAddress,
        (RequestState::Draft, _, _) => Need::Launch,
        (RequestState::ClarificationRequested, _, _) => Need::SendClarification,
        (_, Some(Deadline::InternalReview), Tier::Overdue | Tier::VeryOverdue) => {
            Need::ReviewOverdue { working_days }
        }
        (_, Some(Deadline::Response), Tier::VeryOverdue) => Need::Escalate { working_days },
        (_, Some(Deadline::Response), Tier::Overdue) => Need::Chase { working_days },
        (s, _, _) if s.awaiting_body() => Need::Wait,
        (s, _, _) if crate::domain::board::needs_coding_state(s) && r.kept.coded_count > 0 => {
            Need::Coded { record: false }
        }
        (
            RequestState::AnsweredFull
            | RequestState::AnsweredPart
            | RequestState::Refused
            | RequestState::NotHeld,
            _,
            _,
        ) => Need::CodeResponse { record: false },
        (RequestState::DeskResearch, _, _) if r.source_url.is_none() => Need::RecordSource,
        (RequestState::DeskResearch, _, _) => Need::CodeDocument,
        _ => Need::Nothing,
    }
}

fn days_n(late: Option<&Lateness>) -> u32 {
    late.map_or(0, |l| l.working_days)
}

/// The status row of one loaded request (its counts are the kept ones).
pub fn status_row(cal: &Calendar, today: NaiveDate, r: &RequestRow) -> StatusRow {
    let late = lateness_on(cal, today, r);
    StatusRow {
        authority: r.authority_code.clone(),
        name: r.authority_name.clone(),
        reference: r.reference.clone(),
        state: r.state,
        regime: r.regime,
        sent_at: r.sent_at,
        due_date: r.kept.deadline_on,
        working_days_overdue: late.map_or(0, |l| l.working_days),
        tier: late.map_or(Tier::OnTime, |l| l.tier),
        messages_in: r.kept.inbound_count as usize,
        last_in: r.kept.last_inbound_at,
        needs_classification: r.kept.waiting_count as usize,
        next_action: next_action(r, late.as_ref()),
        first_response: None,
    }
}

/// Status rows of loaded requests.
pub(crate) fn status_rows(app: &App, reqs: &[RequestRow]) -> Vec<StatusRow> {
    let (cal, today) = (app.calendar.get(), app.clock.today());
    reqs.iter().map(|r| status_row(&cal, today, r)).collect()
}

pub use crate::store::board_values::Recomputed;

/// `foi db recompute`: rebuilds what the board keeps on each request (reply counts, coding,
/// due dates, the day it becomes overdue) from the messages, codings and calendar.
pub async fn recompute(app: &App) -> Result<Recomputed, StoreError> {
    crate::store::board_values::recompute(&app.db, &app.calendar.get()).await
}
