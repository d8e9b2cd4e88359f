//! Use cases for chasing: running the round's ladder (`foi chase`, the deadline check),
//! approving queued chasers, and the overdue list.

use super::letters::{compose_letter, Composed, Composer, LetterError, Original, Which};
use crate::app::App;
use crate::domain::calendar::Calendar;
use crate::domain::chasers::{next_step, step_due, ChaseState};
use crate::domain::ids::Reference;
use crate::domain::message::OutboundState;
use crate::domain::overdue::Tier;
use crate::domain::request::RequestState;
use crate::domain::round::latest_due;
use crate::domain::round::{ChaseMode, ChasePurpose, RoundKind};
use crate::rawstore::RawStoreError;
use crate::store::letters::{self, LetterHistory};
use crate::store::outbox::{self, NewOutbound};
use crate::store::rounds::{self, RequestRow, Round};
use crate::store::StoreError;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum ChaseError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Letter(#[from] LetterError),
    #[error(transparent)]
    Raw(#[from] RawStoreError),
    #[error(transparent)]
    Calendar(#[from] crate::domain::calendar::CalendarError),
}

/// One chaser taken (or, in a dry run, that would be).
#[derive(Debug, Clone, Serialize)]
pub struct ChaseAction {
    pub round: String,
    pub reference: String,
    pub authority: String,
    pub step: String,
    pub step_date: NaiveDate,
    /// `queued` (sent automatically), `approval` (waiting for the team) or `draft` (ICO).
    pub state: OutboundState,
    pub to: String,
    pub working_days_overdue: u32,
    pub message_id: String,
}

/// Per request: the request letter (for threading) and the highest chase step taken.
pub(crate) struct Sent {
    original: Option<Original>,
    highest: Option<usize>,
    /// The chase steps sent: (step, date sent).
    steps_sent: Vec<(usize, chrono::NaiveDate)>,
}

impl From<LetterHistory> for Sent {
    fn from(h: LetterHistory) -> Sent {
        Sent {
            original: h.original.map(|(sent_on, subject, message_id)| Original {
                sent_on,
                subject,
                message_id,
            }),
            highest: h.highest_step,
            steps_sent: h.steps_sent,
        }
    }
}

/// The same for some requests only.
pub(crate) async fn sent_info_of(
    app: &App,
    ids: Option<&[i32]>,
) -> Result<HashMap<i32, Sent>, StoreError> {
    Ok(letters::letter_histories_of(&app.db, ids)
        .await?
        .into_iter()
        .map(|(k, v)| (k, v.into()))
        .collect())
}

/// What the ladder needs of `r`, on its own regime's calendar. The due date the ladder counts
/// from is the later of the two readings of receipt (`domain::round::Receipt`): a body is never
/// chased before it is late on either reading.
fn chase_state(cal: &Calendar, r: &RequestRow, sent: Option<&Sent>) -> ChaseState {
    let due_on = match (r.clocks.received_on, r.clocks.due_on) {
        (Some(received), Some(due)) => Some(latest_due(cal, received, due).unwrap_or(due)),
        (_, due) => due,
    };
    ChaseState {
        state: r.state,
        due_on,
        review_due_on: r.clocks.review_due_on,
        highest_taken: sent.and_then(|s| s.highest),
        unclassified_replies: r.kept.waiting_count as usize,
    }
}

async fn letter_rounds(app: &App, slug: Option<&str>) -> Result<Vec<Round>, StoreError> {
    Ok(match slug {
        Some(s) => vec![rounds::find(&app.db, s).await?],
        None => rounds::list(&app.db).await?,
    }
    .into_iter()
    .filter(|r| r.def.kind == RoundKind::Letters)
    .collect())
}

/// Runs the chaser ladder for one round (or all) now. Chasers are replies in the request's
/// thread; auto steps are queued for delivery, approve steps wait for the team, and an ICO
/// complaint is a draft addressed to the team. Taking a step twice is impossible: each has a
/// deterministic Message-ID.
pub async fn run_chasers(
    app: &App,
    slug: Option<&str>,
    dry_run: bool,
) -> Result<Vec<ChaseAction>, ChaseError> {
    let renderer = app.renderer().map_err(LetterError::from)?;
    let today = app.clock.today();
    let now = app.clock.now();
    let mut actions = Vec::new();
    for round in letter_rounds(app, slug).await? {
        let ladder = &round.def.chasers;
        if ladder.is_empty() {
            continue;
        }
        // A batch at a time, each queued in its own short transaction: a run over 100,000
        // requests neither holds the database nor loads the round at once.
        let mut after: Option<String> = None;
        loop {
            let batch = chase_batch(app, round.id, after.as_deref()).await?;
            let Some(last) = batch.last() else {
                break;
            };
            after = Some(last.reference.to_string());
            let ids: Vec<i32> = batch.iter().map(|r| r.id).collect();
            let sent = sent_info_of(app, Some(&ids)).await?;
            let mut items = Vec::new();
            for r in &batch {
                let info = sent.get(&r.id);
                let cal = app.calendar.get().for_regime(r.regime);
                let st = chase_state(&cal, r, info);
                let Some(due) = step_due(&cal, ladder, &st, today)? else {
                    continue;
                };
                let step = Step {
                    index: due.index,
                    on: due.on,
                };
                if let Some((action, item)) =
                    take_step(app, &renderer, &round, r, info, step, dry_run)?
                {
                    actions.push(action);
                    items.extend(item);
                }
            }
            if !items.is_empty() {
                outbox::enqueue_many(&app.db, items, "foi chase", now).await?;
            }
        }
    }
    Ok(actions)
}

/// How many requests the chaser run takes at a time.
const CHASE_BATCH: u64 = 500;

/// The next batch of a round's requests that a chaser could concern (a clock running, or our
/// internal review awaited), by reference after `after`.
async fn chase_batch(
    app: &App,
    round_id: i32,
    after: Option<&str>,
) -> Result<Vec<RequestRow>, StoreError> {
    rounds::chase_batch(&app.db, round_id, after, CHASE_BATCH).await
}

/// A rung of the ladder to take, and the date it fell due.
#[derive(Debug, Clone, Copy)]
struct Step {
    index: usize,
    on: NaiveDate,
}

/// Composes `step` of the ladder for one request: the action, and (unless a dry run) the
/// message to queue.
fn take_step(
    app: &App,
    renderer: &crate::outbound::render::Renderer,
    round: &Round,
    r: &RequestRow,
    info: Option<&Sent>,
    step_at: Step,
    dry_run: bool,
) -> Result<Option<(ChaseAction, Option<NewOutbound>)>, ChaseError> {
    let Some(step) = round.def.chasers.get(step_at.index) else {
        return Ok(None);
    };
    let late = super::requests::working_days_overdue(app, r);
    let purpose = step.purpose();
    let is_ico = purpose == ChasePurpose::IcoDraft;
    let c = compose_step(app, renderer, round, r, info, step_at, None)?;
    let state = if is_ico {
        OutboundState::Draft
    } else {
        match step.mode {
            ChaseMode::Auto => OutboundState::Queued,
            ChaseMode::Approve => OutboundState::Approval,
        }
    };
    let action = ChaseAction {
        round: round.slug.clone(),
        reference: r.reference.to_string(),
        authority: r.authority_code.clone(),
        step: step.id.clone(),
        step_date: step_at.on,
        state,
        to: c.to.to_string(),
        working_days_overdue: late,
        message_id: c.message_id.to_string(),
    };
    if dry_run {
        return Ok(Some((action, None)));
    }
    let sha = app.raw_store().put(&c.raw)?;
    Ok(Some((
        action,
        Some(c.into_outbound(
            r.id,
            purpose.message_kind(),
            Some(step_at.index as i32),
            sha,
            state,
        )),
    )))
}

/// The letter of `step_at` for one request (the ICO complaint is addressed to the team).
fn compose_step(
    app: &App,
    renderer: &crate::outbound::render::Renderer,
    round: &Round,
    r: &RequestRow,
    info: Option<&Sent>,
    step_at: Step,
    text: Option<&str>,
) -> Result<Composed, ChaseError> {
    let step = &round.def.chasers[step_at.index];
    let late = super::requests::working_days_overdue(app, r);
    let is_ico = step.purpose() == ChasePurpose::IcoDraft;
    let mut target = r.clone();
    if is_ico {
        // The draft goes to the team, not to the body.
        target.to_address = round
            .def
            .requester
            .as_ref()
            .and_then(|q| q.email.parse().ok());
    }
    let composer = Composer {
        renderer,
        calendar: &app.calendar.get(),
        now: app.clock.now(),
        reply_to_pattern: &app.config.send.reply_to_pattern,
    };
    let ladder = &round.def.chasers;
    let which = Which {
        template: step.template_name(&round.def.templates),
        step: &step.id,
        original: info.and_then(|s| s.original.as_ref()),
        working_days_overdue: late,
        chase: Some(super::letters::StepContext {
            words: crate::domain::chasers::step_words(ladder, step_at.index),
            earlier: info
                .map(|s| {
                    s.steps_sent
                        .iter()
                        .filter(|(i, _)| *i < step_at.index)
                        .map(|(i, on)| (crate::domain::chasers::step_words(ladder, *i), *on))
                        .collect()
                })
                .unwrap_or_default(),
        }),
        text,
        enclosures: &[],
    };
    let c = compose_letter(&composer, &round.def, &target, which)?;
    Ok(c)
}

/// What "Chase now" would do for a request, said before it is done.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChasePlan {
    /// The next step of the ladder, queued (or put up for approval) now.
    Next { step: String, purpose: String },
    /// A step already waits for the team's approval: approving it is the next thing to do;
    /// chasing now would skip it.
    Pending { id: i32, step: String },
    /// No step may go now (not sent, not late yet, a reply waiting, every step taken).
    None { why: String },
    /// The request is not waiting on the body (answered, withdrawn …): chasing is not a
    /// question, and the request page says nothing about it.
    Closed { why: String },
}

/// What "Chase now" would do for `reference`. Only a step that may go today is offered: the
/// domain refuses a reminder before the due date has passed ([`crate::domain::chasers::chase_now`]).
pub async fn chase_plan(app: &App, reference: &Reference) -> Result<ChasePlan, ChaseError> {
    Ok(plan_of(app, reference).await?.0)
}

/// The plan, and the step to take with it when there is one.
async fn plan_of(
    app: &App,
    reference: &Reference,
) -> Result<(ChasePlan, Option<(RequestRow, Round, Option<Sent>, Step)>), ChaseError> {
    let r = rounds::request_by_ref(&app.db, reference).await?;
    let round = rounds::find_by_id(&app.db, r.round_id).await?;
    // This request's chaser awaiting approval, if any (not every letter still to go).
    let waiting = outbox::unsent_where(&app.db, &[OutboundState::Approval], Some(r.id), Some(1))
        .await?
        .into_iter()
        .next();
    if let Some(m) = waiting {
        let plan = ChasePlan::Pending {
            id: m.id,
            step: m.subject,
        };
        return Ok((plan, None));
    }
    let sent = sent_info_of(app, Some(&[r.id])).await?.remove(&r.id);
    let cal = app.calendar.get().for_regime(r.regime);
    let st = chase_state(&cal, &r, sent.as_ref());
    let ladder = &round.def.chasers;
    match crate::domain::chasers::chase_now(&cal, ladder, &st, app.clock.today())? {
        Ok(due) => {
            let step = &ladder[due.index];
            let plan = ChasePlan::Next {
                step: crate::domain::chasers::step_words(ladder, due.index).label,
                purpose: step.purpose().describe().to_string(),
            };
            let take = Step {
                index: due.index,
                on: due.on,
            };
            Ok((plan, Some((r, round, sent, take))))
        }
        Err(n @ crate::domain::chasers::NotNow::NotChased(_)) => Ok((
            ChasePlan::Closed {
                why: n.describe(ladder, st.due_on),
            },
            None,
        )),
        Err(not_now) => Ok((
            ChasePlan::None {
                why: not_now.describe(ladder, st.due_on),
            },
            None,
        )),
    }
}

/// The letter "Chase now" would send, for the confirmation page: nothing is queued.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChasePreview {
    pub step: String,
    pub purpose: String,
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// The letter "Chase now" would send for `reference` today, or why none may go.
pub async fn chase_preview(app: &App, reference: &Reference) -> Result<ChasePreview, ChaseError> {
    let (plan, take) = plan_of(app, reference).await?;
    let (ChasePlan::Next { step, purpose }, Some((r, round, sent, at))) = (plan.clone(), take)
    else {
        return Err(refusal(reference, plan).into());
    };
    let renderer = app.renderer().map_err(LetterError::from)?;
    let c = compose_step(app, &renderer, &round, &r, sent.as_ref(), at, None)?;
    let text = crate::inbound::mime::parse(&c.raw)
        .map(|m| m.text)
        .unwrap_or_default();
    Ok(ChasePreview {
        step,
        purpose,
        to: c.to.to_string(),
        subject: c.subject,
        text,
    })
}

/// Why "Chase now" does nothing, as the error the CLI and the dashboard show.
fn refusal(reference: &Reference, plan: ChasePlan) -> StoreError {
    match plan {
        ChasePlan::Pending { step, .. } => StoreError::Conflict(format!(
            "{reference}: \"{step}\" is waiting for approval; approve it (it is the next step). Nothing else was queued"
        )),
        ChasePlan::None { why } | ChasePlan::Closed { why } => {
            StoreError::Invalid(format!("{reference}: {why}"))
        }
        ChasePlan::Next { .. } => StoreError::Invalid(format!("{reference}: nothing to chase")),
    }
}

/// "Chase now": takes the step of the ladder that may go today, now rather than at the next
/// scheduled run. Refused (nothing queued) before the response is late, when a step already
/// waits for approval (that one is next, and is approved instead), or when nothing is due.
pub async fn chase_now(
    app: &App,
    reference: &Reference,
    actor: &str,
) -> Result<ChaseAction, ChaseError> {
    let (plan, take) = plan_of(app, reference).await?;
    let Some((r, round, sent, step)) = take else {
        return Err(refusal(reference, plan).into());
    };
    let renderer = app.renderer().map_err(LetterError::from)?;
    let Some((action, item)) = take_step(app, &renderer, &round, &r, sent.as_ref(), step, false)?
    else {
        return Err(refusal(reference, plan).into());
    };
    outbox::enqueue_many(&app.db, item.into_iter().collect(), actor, app.clock.now()).await?;
    Ok(action)
}

/// The next chaser step and its date for each of `reqs` (the rows of a board page).
pub async fn next_steps(
    app: &App,
    round: &Round,
    reqs: &[RequestRow],
) -> Result<HashMap<String, (String, NaiveDate)>, ChaseError> {
    let ids: Vec<i32> = reqs.iter().map(|r| r.id).collect();
    let sent = sent_info_of(app, Some(&ids)).await?;
    let calendar = app.calendar.get();
    let mut out = HashMap::new();
    for r in reqs {
        if !r.state.awaiting_body() && r.state != RequestState::InternalReviewRequested {
            continue;
        }
        let cal = calendar.for_regime(r.regime);
        let st = chase_state(&cal, r, sent.get(&r.id));
        if let Some(n) = next_step(&cal, &round.def.chasers, &st)? {
            out.insert(
                r.reference.to_string(),
                (round.def.chasers[n.index].id.clone(), n.on),
            );
        }
    }
    Ok(out)
}

/// Chasers waiting for approval (optionally of one round).
pub async fn awaiting_approval(
    app: &App,
    slug: Option<&str>,
) -> Result<Vec<outbox::OutboxItem>, ChaseError> {
    let prefix = match slug {
        Some(s) => Some(
            rounds::find(&app.db, s)
                .await?
                .def
                .reference_prefix
                .unwrap_or_default(),
        ),
        None => None,
    };
    Ok(
        outbox::unsent_where(&app.db, &[OutboundState::Approval], None, None)
            .await?
            .into_iter()
            .filter(|m| match &prefix {
                Some(p) => m
                    .reference
                    .as_deref()
                    .is_some_and(|r| r.starts_with(&format!("{p}-"))),
                None => true,
            })
            .collect(),
    )
}

/// A chaser waiting for approval as the chasers page shows it: the body, which step it is,
/// and the letter in full.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    #[serde(flatten)]
    pub item: outbox::OutboxItem,
    pub authority_name: String,
    /// "Reminder 2 of 3", "Request for internal review".
    pub step_label: String,
    pub text: String,
}

/// Every chaser waiting for approval, with its body, step and letter.
pub async fn approvals(app: &App) -> Result<Vec<Approval>, ChaseError> {
    let items = awaiting_approval(app, None).await?;
    let ids: Vec<i32> = items.iter().filter_map(|m| m.request_id).collect();
    let reqs: HashMap<i32, RequestRow> = crate::store::requests::requests_by_ids(&app.db, &ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut ladders: HashMap<i32, Round> = HashMap::new();
    let mut out = Vec::new();
    for item in items {
        let Some(r) = item.request_id.and_then(|id| reqs.get(&id)) else {
            continue;
        };
        if let std::collections::hash_map::Entry::Vacant(e) = ladders.entry(r.round_id) {
            e.insert(rounds::find_by_id(&app.db, r.round_id).await?);
        }
        let ladder = &ladders[&r.round_id].def.chasers;
        let step_label = item
            .chase_step
            .map(|i| crate::domain::chasers::step_words(ladder, i as usize).label)
            .unwrap_or_else(|| item.kind.words().to_string());
        out.push(Approval {
            authority_name: r.authority_name.clone(),
            step_label,
            text: super::letters::text_of(app, item.raw_sha256.as_deref()).unwrap_or_default(),
            item,
        });
    }
    Ok(out)
}

/// One chaser waiting for approval, by id.
pub async fn approval(app: &App, id: i32) -> Result<Approval, ChaseError> {
    approvals(app)
        .await?
        .into_iter()
        .find(|a| a.item.id == id)
        .ok_or_else(|| {
            StoreError::Conflict(format!(
                "letter {id} is not waiting for approval any more (approved, skipped or sent)"
            ))
            .into()
        })
}

/// Skips chaser `id` waiting for approval: never sent; the ladder moves on to its next step.
pub async fn skip(app: &App, id: i32, actor: &str) -> Result<(), ChaseError> {
    if outbox::skip(&app.db, id, actor, app.clock.now()).await? {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "letter {id} is not waiting for approval any more (approved, skipped or sent)"
        ))
        .into())
    }
}

/// The longest edited letter kept (characters).
pub const LETTER_MAX: usize = 20_000;

/// Replaces the text of chaser `id` waiting for approval with the team's own (same
/// addresses, subject and Message-ID); it still waits for approval.
pub async fn edit(app: &App, id: i32, text: &str, actor: &str) -> Result<(), ChaseError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StoreError::Invalid(
            "the letter is empty: write the text to send, or skip this step".into(),
        )
        .into());
    }
    if text.chars().count() > LETTER_MAX {
        return Err(StoreError::Invalid(format!(
            "the letter is longer than {LETTER_MAX} characters: shorten it"
        ))
        .into());
    }
    let a = approval(app, id).await?;
    let (Some(rid), Some(step)) = (a.item.request_id, a.item.chase_step) else {
        return Err(StoreError::Invalid(format!("letter {id} is not a chaser")).into());
    };
    let r = rounds::request_by_id(&app.db, rid).await?;
    let round = rounds::find_by_id(&app.db, r.round_id).await?;
    let sent = sent_info_of(app, Some(&[r.id])).await?.remove(&r.id);
    let renderer = app.renderer().map_err(LetterError::from)?;
    let at = Step {
        index: step as usize,
        on: app.clock.today(),
    };
    let c = compose_step(app, &renderer, &round, &r, sent.as_ref(), at, Some(text))?;
    let sha = app.raw_store().put(&c.raw)?;
    if !outbox::replace_letter(
        &app.db,
        id,
        &sha,
        c.raw.len() as i64,
        actor,
        app.clock.now(),
    )
    .await?
    {
        return Err(StoreError::Conflict(format!(
            "letter {id} is not waiting for approval any more (approved, skipped or sent)"
        ))
        .into());
    }
    Ok(())
}

/// Approves queued chasers: one id, or all of a round; the events name `actor`.
pub async fn approve(
    app: &App,
    slug: &str,
    id: Option<i32>,
    actor: &str,
) -> Result<u64, ChaseError> {
    let waiting = awaiting_approval(app, Some(slug)).await?;
    let ids: Vec<i32> = waiting
        .iter()
        .map(|m| m.id)
        .filter(|m| id.is_none_or(|i| i == *m))
        .collect();
    if let Some(i) = id {
        if ids.is_empty() {
            return Err(StoreError::NotFound(format!(
                "no chaser {i} awaiting approval in round {slug}"
            ))
            .into());
        }
    }
    Ok(outbox::approve(&app.db, &ids, actor, app.clock.now()).await?)
}

/// One row of `foi overdue`.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueRow {
    pub round: String,
    pub reference: String,
    pub authority: String,
    pub name: String,
    pub state: RequestState,
    pub due_date: Option<NaiveDate>,
    pub working_days_overdue: u32,
    /// `overdue` once the due date has passed; `very_overdue` 20 working days after it.
    pub tier: Tier,
    pub next_step: Option<String>,
    pub next_step_date: Option<NaiveDate>,
}

/// Overdue requests handed out at a time by [`overdue_each`].
const OVERDUE_BATCH: u64 = 1000;

/// Every overdue request of one round (or of every letters round), handed to `each` a
/// thousand at a time, in constant memory however many are late (60,000 overdue requests
/// once took 253 MB as one list). Per round, longest overdue first: by the day each became
/// overdue, then by reference. The database picks the overdue ones (`overdue_from <= today`)
/// through `ix_requests_round_overdue`.
pub async fn overdue_each<E: From<ChaseError>>(
    app: &App,
    slug: Option<&str>,
    mut each: impl FnMut(OverdueRow) -> Result<(), E>,
) -> Result<(), E> {
    let today = app.clock.today();
    let rounds = letter_rounds(app, slug).await.map_err(ChaseError::from)?;
    for round in rounds {
        let mut after: Option<(NaiveDate, String)> = None;
        loop {
            let batch = rounds::overdue_batch(
                &app.db,
                round.id,
                today,
                after.as_ref().map(|(d, r)| (*d, r.as_str())),
                OVERDUE_BATCH,
            )
            .await
            .map_err(ChaseError::from)?;
            let Some(last) = batch.last() else {
                break;
            };
            after = last
                .kept
                .overdue_from
                .map(|d| (d, last.reference.to_string()));
            let ids: Vec<i32> = batch.iter().map(|r| r.id).collect();
            let sent = sent_info_of(app, Some(&ids))
                .await
                .map_err(ChaseError::from)?;
            for r in &batch {
                if let Some(row) = overdue_row(app, &round, r, sent.get(&r.id))? {
                    each(row)?;
                }
            }
            if batch.len() < OVERDUE_BATCH as usize {
                break;
            }
        }
    }
    Ok(())
}

/// `r` as a row of `foi overdue`, unless it is not late on its own calendar after all.
fn overdue_row(
    app: &App,
    round: &Round,
    r: &RequestRow,
    sent: Option<&Sent>,
) -> Result<Option<OverdueRow>, ChaseError> {
    let Some(late) = super::requests::lateness(app, r).filter(|l| l.tier != Tier::OnTime) else {
        return Ok(None);
    };
    let cal = app.calendar.get().for_regime(r.regime);
    let st = chase_state(&cal, r, sent);
    let next = next_step(&cal, &round.def.chasers, &st)?;
    Ok(Some(OverdueRow {
        round: round.slug.clone(),
        reference: r.reference.to_string(),
        authority: r.authority_code.clone(),
        name: r.authority_name.clone(),
        state: r.state,
        due_date: Some(late.due_on),
        working_days_overdue: late.working_days,
        tier: late.tier,
        next_step: next.as_ref().map(|n| round.def.chasers[n.index].id.clone()),
        next_step_date: next.map(|n| n.on),
    }))
}
