//! The outbox: outbound messages and their delivery states.
//!
//! ```text
//! approval ─approve─► queued ──claim──► sending ──250──► sent
//!                       ▲                 │ 4xx / connection / timeout → queued (backoff) … failed
//!                       │                 │ 5xx → bounced (server text kept)
//!                       └── retry ────────┘ crash while sending → uncertain (an operator decides)
//! ```
//! A message is committed as `sending` before the SMTP transaction and `sent` after the
//! server's 250, so a crash can never silently send twice: what it leaves in `sending` is
//! marked `uncertain` and waits for `foi outbox resolve ID --sent|--resend`.

use super::entities::{message, request};
use super::{events, StoreError};
use crate::domain::calendar::Calendar;
use crate::domain::event::EventKind;
use crate::domain::ids::{EmailAddress, MessageId};
use crate::domain::message::{Direction, MessageKind, OutboundState};
use crate::domain::request::{transition, Change, Clocks, RequestState};
use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement, Value,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

const OUT: &str = Direction::Out.as_str();

fn parse_state(s: &str) -> Result<OutboundState, StoreError> {
    s.parse().map_err(StoreError::Invalid)
}

fn parse_kind(s: &str) -> Result<MessageKind, StoreError> {
    s.parse().map_err(StoreError::Invalid)
}

#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub request_id: i32,
    pub kind: MessageKind,
    pub chase_step: Option<i32>,
    pub message_id: MessageId,
    pub in_reply_to: Option<MessageId>,
    pub subject: String,
    pub from_addr: EmailAddress,
    pub to_addr: EmailAddress,
    pub raw_sha256: String,
    pub raw_size: i64,
    pub state: OutboundState,
    /// Not to be sent before this moment (a held launch's call-back window).
    pub not_before: Option<DateTime<Utc>>,
}

/// Inserts the messages not already present (by Message-ID) in one transaction, with an event
/// each. Returns how many were new.
pub async fn enqueue_many(
    db: &DatabaseConnection,
    items: Vec<NewOutbound>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let txn = super::write_txn(db).await?;
    let ids: Vec<String> = items.iter().map(|i| i.message_id.to_string()).collect();
    let mut existing: HashSet<String> = HashSet::new();
    for chunk in ids.chunks(500) {
        let found = message::Entity::find()
            .filter(message::Column::Direction.eq(OUT))
            .filter(message::Column::MessageId.is_in(chunk.to_vec()))
            .all(&txn)
            .await?;
        existing.extend(found.into_iter().filter_map(|m| m.message_id));
    }
    let mut n = 0;
    for it in items {
        if !existing.insert(it.message_id.to_string()) {
            continue;
        }
        message::ActiveModel {
            request_id: Set(Some(it.request_id)),
            direction: Set(OUT.into()),
            kind: Set(it.kind.as_str().into()),
            chase_step: Set(it.chase_step),
            message_id: Set(Some(it.message_id.to_string())),
            in_reply_to: Set(it.in_reply_to.as_ref().map(|m| m.to_string())),
            references_hdr: Set(it.in_reply_to.as_ref().map(|m| m.to_string())),
            subject: Set(it.subject),
            from_addr: Set(it.from_addr.to_string()),
            to_addr: Set(it.to_addr.to_string()),
            state: Set(it.state.as_str().into()),
            attempts: Set(0),
            raw_sha256: Set(Some(it.raw_sha256)),
            raw_size: Set(Some(it.raw_size)),
            next_attempt_at: Set(it.not_before),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        events::append(
            &txn,
            events::NewEvent::on_request(
                it.request_id,
                actor,
                EventKind::LetterQueued(it.kind, it.state),
            )
            .note(format!("{} to {}", it.message_id, it.to_addr)),
            now,
        )
        .await?;
        n += 1;
    }
    txn.commit().await?;
    Ok(n)
}

/// A message claimed for delivery.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i32,
    pub request_id: Option<i32>,
    pub kind: MessageKind,
    pub message_id: String,
    pub from_addr: String,
    pub to_addr: String,
    pub raw_sha256: String,
    pub attempts: i32,
}

/// Atomically moves one due `queued` message to `sending` for `worker`. On PostgreSQL the row
/// is picked with `FOR UPDATE SKIP LOCKED`, so concurrent workers claim disjoint messages; on
/// SQLite the single UPDATE … RETURNING is atomic (writers are serialised).
pub async fn claim(
    db: &DatabaseConnection,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<Option<Claimed>, StoreError> {
    let backend = db.get_database_backend();
    let (sql, values): (&str, Vec<Value>) = match backend {
        DbBackend::Postgres => (
            "UPDATE messages SET state = $1, claimed_by = $2, claimed_at = $3, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM messages WHERE direction = $4 AND state = $5 \
                         AND (next_attempt_at IS NULL OR next_attempt_at <= $6) \
                         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING id",
            vec![
                OutboundState::Sending.as_str().into(),
                worker.into(),
                now.into(),
                OUT.into(),
                OutboundState::Queued.as_str().into(),
                now.into(),
            ],
        ),
        _ => (
            "UPDATE messages SET state = ?, claimed_by = ?, claimed_at = ?, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM messages WHERE direction = ? AND state = ? \
                         AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT 1) \
             AND state = ? RETURNING id",
            vec![
                OutboundState::Sending.as_str().into(),
                worker.into(),
                now.into(),
                OUT.into(),
                OutboundState::Queued.as_str().into(),
                now.into(),
                OutboundState::Queued.as_str().into(),
            ],
        ),
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let id: i32 = row.try_get_by_index(0)?;
    let m = message::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("claimed message {id} vanished")))?;
    Ok(Some(Claimed {
        id,
        request_id: m.request_id,
        kind: parse_kind(&m.kind)?,
        message_id: m.message_id.unwrap_or_default(),
        from_addr: m.from_addr,
        to_addr: m.to_addr,
        raw_sha256: m.raw_sha256.unwrap_or_default(),
        attempts: m.attempts,
    }))
}

/// The earliest time a queued message becomes due (None when nothing is queued).
pub async fn next_due(
    db: &DatabaseConnection,
) -> Result<Option<Option<DateTime<Utc>>>, StoreError> {
    let m = message::Entity::find()
        .filter(message::Column::Direction.eq(OUT))
        .filter(message::Column::State.eq(OutboundState::Queued.as_str()))
        .order_by_asc(message::Column::NextAttemptAt)
        .one(db)
        .await?;
    Ok(m.map(|m| m.next_attempt_at))
}

pub async fn count_in_state(
    db: &DatabaseConnection,
    state: OutboundState,
) -> Result<u64, StoreError> {
    Ok(message::Entity::find()
        .filter(message::Column::Direction.eq(OUT))
        .filter(message::Column::State.eq(state.as_str()))
        .count(db)
        .await?)
}

/// Letters in `sending` whose claim is older than `cutoff`: their lease has run out.
pub async fn claimed_before(
    db: &DatabaseConnection,
    cutoff: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(message::Entity::find()
        .filter(message::Column::Direction.eq(OUT))
        .filter(message::Column::State.eq(OutboundState::Sending.as_str()))
        .filter(message::Column::ClaimedAt.lt(cutoff))
        .count(db)
        .await?)
}

/// Renews `worker`'s claim on letter `id` (its SMTP transaction is still alive): the lease
/// counts from `now`.
pub async fn renew_claim(
    db: &DatabaseConnection,
    id: i32,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    message::Entity::update_many()
        .col_expr(
            message::Column::ClaimedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(message::Column::Id.eq(id))
        .filter(message::Column::State.eq(OutboundState::Sending.as_str()))
        .filter(message::Column::ClaimedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(())
}

/// Messages sent since `since` (the per-day throttle).
pub async fn sent_since(db: &DatabaseConnection, since: DateTime<Utc>) -> Result<u64, StoreError> {
    Ok(message::Entity::find()
        .filter(message::Column::Direction.eq(OUT))
        .filter(message::Column::State.eq(OutboundState::Sent.as_str()))
        .filter(message::Column::SentAt.gte(since))
        .count(db)
        .await?)
}

async fn load(db: &impl ConnectionTrait, id: i32) -> Result<message::Model, StoreError> {
    message::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!("no outbound message {id}; `foi outbox` lists them"))
        })
}

/// Records the server's acceptance. For a request letter this is when the statutory clock
/// starts: the London date of sending is the date of receipt, and the due date follows.
pub async fn mark_sent(
    db: &DatabaseConnection,
    cal: &Calendar,
    id: i32,
    server_reply: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = super::write_txn(db).await?;
    let m = load(&txn, id).await?;
    let request_id = m.request_id;
    let kind = parse_kind(&m.kind)?;
    let mut am: message::ActiveModel = m.into();
    am.state = Set(OutboundState::Sent.as_str().into());
    am.sent_at = Set(Some(now));
    am.last_error = Set(None);
    am.update(&txn).await?;
    if let Some(rid) = request_id {
        let r = request::Entity::find_by_id(rid)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("request {rid}")))?;
        let state: RequestState = r.state.parse().map_err(StoreError::Invalid)?;
        let mut note = format!("{kind} accepted by the server: {server_reply}");
        let mut ev = events::NewEvent::on_request(rid, actor, EventKind::LetterSent(kind));
        // What sending it does to the request (the request letter starts the statutory
        // clock, our clarification restarts it, our internal review request starts the
        // review's): `domain::correspondence`.
        let target = crate::domain::correspondence::on_sent(kind, state);
        if let Some(to) = target {
            let regime: crate::domain::regime::Regime =
                r.regime.parse().map_err(StoreError::Invalid)?;
            let cal = &cal.for_regime(regime);
            let mut today = now.with_timezone(&London).date_naive();
            // The date of receipt on the round's reading (FOIA s.10(1); ICO practice): the
            // readings differ only for a letter sent on a non-working day.
            let working = cal
                .is_working_day(today)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            if to == RequestState::AwaitingResponse && !working {
                let round = super::rounds::find_by_id(&txn, r.round_id).await?;
                today = round
                    .def
                    .receipt
                    .date_of_receipt(cal, today)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
            }
            let clocks = Clocks {
                received_on: r.received_on,
                due_on: r.due_on,
                review_due_on: r.review_due_on,
            };
            let restart = crate::domain::correspondence::restarts_clock(kind);
            let c = if restart {
                // Resent after a bounce: the body receives it now, the clock starts afresh.
                Clocks {
                    received_on: Some(today),
                    due_on: Some(
                        cal.due_date(today)
                            .map_err(|e| StoreError::Invalid(e.to_string()))?,
                    ),
                    review_due_on: None,
                }
            } else {
                transition(cal, state, Change::To(to), clocks, today)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?
            };
            let mut ra: request::ActiveModel = r.into();
            ra.state = Set(to.as_str().into());
            if kind == MessageKind::Request || restart {
                ra.sent_at = Set(Some(now));
            }
            ra.received_on = Set(c.received_on);
            ra.due_on = Set(c.due_on);
            ra.review_due_on = Set(c.review_due_on);
            ra.updated_at = Set(now);
            ra.update(&txn).await?;
            super::board_values::refresh_deadlines(&txn, cal, &[rid]).await?;
            ev.from_state = Some(state.as_str().into());
            ev.to_state = Some(to.as_str().into());
            ev.effective_on = Some(today);
            let show = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            note.push_str(&match to {
                RequestState::AwaitingResponse => {
                    format!(
                        "; received {today}, due {} ({})",
                        show(c.due_on),
                        regime.label()
                    )
                }
                _ => format!("; internal review due {}", show(c.review_due_on)),
            });
        }
        ev.note = Some(note);
        events::append(&txn, ev, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Gives a claimed message back untouched (`queued`, the attempt not counted): the mailbox
/// could not be signed in to, which is not the letter's fault. Nothing was sent.
pub async fn release(db: &DatabaseConnection, id: i32) -> Result<(), StoreError> {
    let m = load(db, id).await?;
    if m.state != OutboundState::Sending.as_str() {
        return Ok(());
    }
    let attempts = (m.attempts - 1).max(0);
    let mut am: message::ActiveModel = m.into();
    am.state = Set(OutboundState::Queued.as_str().into());
    am.attempts = Set(attempts);
    am.claimed_by = Set(None);
    am.claimed_at = Set(None);
    am.update(db).await?;
    Ok(())
}

/// A transient failure: back to `queued` until `next_at`, or `failed` when out of attempts.
pub async fn mark_transient(
    db: &DatabaseConnection,
    id: i32,
    error: &str,
    next_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = super::write_txn(db).await?;
    let m = load(&txn, id).await?;
    let rid = m.request_id;
    let mut am: message::ActiveModel = m.into();
    am.last_error = Set(Some(error.to_string()));
    match next_at {
        Some(t) => {
            am.state = Set(OutboundState::Queued.as_str().into());
            am.next_attempt_at = Set(Some(t));
        }
        None => am.state = Set(OutboundState::Failed.as_str().into()),
    }
    am.update(&txn).await?;
    if let (None, Some(rid)) = (next_at, rid) {
        events::append(
            &txn,
            events::NewEvent::on_request(rid, "foi send", EventKind::DeliveryFailed).note(error),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A permanent refusal (5xx): `bounced`, with the server's text.
pub async fn mark_bounced(
    db: &DatabaseConnection,
    id: i32,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = super::write_txn(db).await?;
    let m = load(&txn, id).await?;
    let rid = m.request_id;
    let mut am: message::ActiveModel = m.into();
    am.state = Set(OutboundState::Bounced.as_str().into());
    am.last_error = Set(Some(error.to_string()));
    am.update(&txn).await?;
    if let Some(rid) = rid {
        events::append(
            &txn,
            events::NewEvent::on_request(rid, "foi send", EventKind::Bounced).note(error),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Marks messages left in `sending` by a dead worker as `uncertain`. With `claimed_before`,
/// only claims older than that (PostgreSQL, where other live workers may be mid-send);
/// without it, all of them (SQLite, where the send lock guarantees a single worker).
pub async fn recover_uncertain(
    db: &DatabaseConnection,
    claimed_before: Option<DateTime<Utc>>,
    look_until: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let mut q = message::Entity::update_many()
        .col_expr(
            message::Column::State,
            sea_orm::sea_query::Expr::value(OutboundState::Uncertain.as_str()),
        )
        .col_expr(
            message::Column::LastError,
            sea_orm::sea_query::Expr::value(
                "the sending process stopped during the SMTP transaction; it may or may not have been delivered",
            ),
        )
        // Looked for until then by the settling of letters in doubt (`settle_in_doubt`).
        .col_expr(
            message::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(look_until),
        )
        .filter(message::Column::Direction.eq(OUT))
        .filter(message::Column::State.eq(OutboundState::Sending.as_str()));
    if let Some(t) = claimed_before {
        q = q.filter(message::Column::ClaimedAt.lt(t));
    }
    Ok(q.exec(db).await?.rows_affected)
}

/// A letter whose fate is in doubt: claimed by a process that stopped (`sending` past its
/// lease), or already `uncertain`.
#[derive(Debug, Clone)]
pub struct InDoubt {
    pub id: i32,
    pub message_id: String,
    pub state: OutboundState,
    pub claimed_at: Option<DateTime<Utc>>,
    /// For an `uncertain` letter: until when it is looked for (then resent, when
    /// `[send] resend_unconfirmed_after_minutes` is set), kept as its `next_attempt_at`;
    /// `None` once it waits for a person.
    pub resend_at: Option<DateTime<Utc>>,
}

/// Letters in `sending` claimed before `lapsed_before`, and `uncertain` ones still looked
/// for (the time to look until is kept as their next attempt); oldest claim first.
pub async fn in_doubt(
    db: &DatabaseConnection,
    lapsed_before: DateTime<Utc>,
) -> Result<Vec<InDoubt>, StoreError> {
    use sea_orm::Condition;
    let rows = message::Entity::find()
        .filter(message::Column::Direction.eq(OUT))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(message::Column::State.eq(OutboundState::Sending.as_str()))
                        .add(message::Column::ClaimedAt.lt(lapsed_before)),
                )
                .add(
                    Condition::all()
                        .add(message::Column::State.eq(OutboundState::Uncertain.as_str()))
                        .add(message::Column::NextAttemptAt.is_not_null()),
                ),
        )
        .order_by_asc(message::Column::ClaimedAt)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|m| {
            Ok(InDoubt {
                id: m.id,
                message_id: m.message_id.unwrap_or_default(),
                state: parse_state(&m.state)?,
                claimed_at: m.claimed_at,
                resend_at: m.next_attempt_at,
            })
        })
        .collect()
}

/// The Message-IDs among `ids` that a received message answers (its In-Reply-To or
/// References name them): proof the letter was delivered.
pub async fn answered(
    db: &DatabaseConnection,
    ids: &[String],
) -> Result<HashSet<String>, StoreError> {
    let mut out = HashSet::new();
    for id in ids.iter().filter(|i| !i.is_empty()) {
        let n = message::Entity::find()
            .filter(message::Column::Direction.eq(Direction::In.as_str()))
            .filter(
                sea_orm::Condition::any()
                    .add(message::Column::InReplyTo.eq(id.as_str()))
                    .add(message::Column::ReferencesHdr.contains(id.as_str())),
            )
            .count(db)
            .await?;
        if n > 0 {
            out.insert(id.clone());
        }
    }
    Ok(out)
}

/// A letter in doubt is `uncertain`, with what was checked (`why`) and when it is sent again
/// if still not found (`resend_at`, kept as its next attempt). Only from `sending` or
/// `uncertain`: a letter another process settled meanwhile is left as it is.
pub async fn mark_uncertain(
    db: &DatabaseConnection,
    id: i32,
    why: &str,
    resend_at: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    let r = message::Entity::update_many()
        .col_expr(
            message::Column::State,
            sea_orm::sea_query::Expr::value(OutboundState::Uncertain.as_str()),
        )
        .col_expr(
            message::Column::LastError,
            sea_orm::sea_query::Expr::value(why),
        )
        .col_expr(
            message::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(resend_at),
        )
        .filter(message::Column::Id.eq(id))
        .filter(message::Column::State.is_in([
            OutboundState::Sending.as_str(),
            OutboundState::Uncertain.as_str(),
        ]))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// A letter in doubt was found delivered (`evidence` says where): sent, as of its claim.
pub async fn resolve_found(
    db: &DatabaseConnection,
    cal: &Calendar,
    id: i32,
    evidence: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let m = load(db, id).await?;
    let state = parse_state(&m.state)?;
    if !matches!(state, OutboundState::Sending | OutboundState::Uncertain) {
        return Ok(());
    }
    mark_sent(db, cal, id, evidence, "foi", m.claimed_at.unwrap_or(now)).await
}

/// A message not yet sent, for `foi outbox`.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxItem {
    pub id: i32,
    pub reference: Option<String>,
    pub kind: MessageKind,
    pub state: OutboundState,
    pub to: String,
    pub subject: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub message_id: Option<String>,
    /// The chase step a chaser takes (its index in the round's ladder).
    pub chase_step: Option<i32>,
    /// The request it belongs to.
    #[serde(skip)]
    pub request_id: Option<i32>,
    /// The stored message (to show its text before it goes).
    #[serde(skip)]
    pub raw_sha256: Option<String>,
}

/// The letters not yet gone, oldest first. The states a letter can still be in before it has
/// gone are named (not "not sent"), so `ix_messages_state` reads only these rows, however
/// many letters have gone.
pub(crate) fn unsent_select() -> sea_orm::Select<message::Entity> {
    message::Entity::find()
        .filter(message::Column::Direction.eq(OUT))
        .filter(
            message::Column::State.is_in(
                OutboundState::ALL
                    .iter()
                    .filter(|s| !matches!(s, OutboundState::Sent | OutboundState::Skipped))
                    .map(|s| s.as_str()),
            ),
        )
        .order_by_asc(message::Column::Id)
}

pub async fn list_unsent(db: &DatabaseConnection) -> Result<Vec<OutboxItem>, StoreError> {
    let rows = unsent_select().all(db).await?;
    to_items(db, rows).await
}

/// Letters in these states (of one request, when given), oldest first, at most `limit`:
/// what a page shows without reading every letter of a launch still queued.
pub async fn unsent_where(
    db: &DatabaseConnection,
    states: &[OutboundState],
    request_id: Option<i32>,
    limit: Option<u64>,
) -> Result<Vec<OutboxItem>, StoreError> {
    let mut q = message::Entity::find()
        .filter(message::Column::Direction.eq(OUT))
        .filter(message::Column::State.is_in(states.iter().map(|s| s.as_str())))
        .order_by_asc(message::Column::Id);
    if let Some(r) = request_id {
        q = q.filter(message::Column::RequestId.eq(r));
    }
    if let Some(n) = limit {
        q = q.limit(n);
    }
    to_items(db, q.all(db).await?).await
}

async fn to_items(
    db: &DatabaseConnection,
    rows: Vec<message::Model>,
) -> Result<Vec<OutboxItem>, StoreError> {
    let req_ids: Vec<i32> = rows
        .iter()
        .filter_map(|m| m.request_id)
        .collect::<HashSet<i32>>()
        .into_iter()
        .collect();
    let mut refs: std::collections::HashMap<i32, String> = Default::default();
    // 500 at a time: a launch of 100,000 letters queued is past what a statement takes.
    for chunk in req_ids.chunks(500) {
        let found: Vec<(i32, String)> = request::Entity::find()
            .select_only()
            .column(request::Column::Id)
            .column(request::Column::Reference)
            .filter(request::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        refs.extend(found);
    }
    rows.into_iter()
        .map(|m| {
            Ok(OutboxItem {
                id: m.id,
                reference: m.request_id.and_then(|r| refs.get(&r).cloned()),
                kind: parse_kind(&m.kind)?,
                state: parse_state(&m.state)?,
                to: m.to_addr,
                subject: m.subject,
                attempts: m.attempts,
                next_attempt_at: m.next_attempt_at,
                last_error: m.last_error,
                message_id: m.message_id,
                chase_step: m.chase_step,
                request_id: m.request_id,
                raw_sha256: m.raw_sha256,
            })
        })
        .collect()
}

/// Puts failed or bounced messages back in the queue (attempts reset): one by id, or all.
/// Each leaves an event naming `actor`. Returns how many were queued again.
pub async fn retry(
    db: &DatabaseConnection,
    id: Option<i32>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let txn = super::write_txn(db).await?;
    let retryable: Vec<&str> = [OutboundState::Failed, OutboundState::Bounced]
        .iter()
        .map(|s| s.as_str())
        .collect();
    let mut q = message::Entity::find()
        .filter(message::Column::Direction.eq(OUT))
        .filter(message::Column::State.is_in(retryable));
    if let Some(id) = id {
        let m = load(&txn, id).await?;
        let state = parse_state(&m.state)?;
        if !state.can_retry() {
            return Err(StoreError::Invalid(format!(
                "message {id} is `{state}`; only failed or bounced messages can be retried{}",
                if state == OutboundState::Uncertain {
                    " (use `foi outbox resolve ID --sent|--resend`)"
                } else {
                    ""
                }
            )));
        }
        q = q.filter(message::Column::Id.eq(id));
    }
    let rows = q.all(&txn).await?;
    for m in &rows {
        let was = m.state.clone();
        let mut am: message::ActiveModel = m.clone().into();
        am.state = Set(OutboundState::Queued.as_str().into());
        am.attempts = Set(0);
        am.next_attempt_at = Set(None);
        am.update(&txn).await?;
        events::append(
            &txn,
            events::NewEvent {
                request_id: m.request_id,
                message_id: Some(m.id),
                actor: actor.into(),
                kind: EventKind::RetryChosen,
                note: Some(format!("message {} was {was}; queued again", m.id)),
                ..Default::default()
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(rows.len() as u64)
}

/// An operator's decision on an `uncertain` message: it was delivered (`sent`, recorded as
/// accepted when it was claimed, which starts the clock from that day) or it should be sent
/// again (`resend`: back to the queue).
pub async fn resolve(
    db: &DatabaseConnection,
    cal: &Calendar,
    id: i32,
    delivered: bool,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let m = load(db, id).await?;
    let state = parse_state(&m.state)?;
    if state != OutboundState::Uncertain {
        return Err(StoreError::Invalid(format!(
            "message {id} is `{state}`, not uncertain; nothing to resolve"
        )));
    }
    if delivered {
        // The claim time is the best estimate of when it was accepted.
        let at = m.claimed_at.unwrap_or(now);
        mark_sent(
            db,
            cal,
            id,
            &format!("resolved as sent by {actor}"),
            actor,
            at,
        )
        .await
    } else {
        let txn = super::write_txn(db).await?;
        let rid = m.request_id;
        let mut am: message::ActiveModel = m.into();
        am.state = Set(OutboundState::Queued.as_str().into());
        am.next_attempt_at = Set(None);
        am.last_error = Set(Some(format!("resend chosen by {actor}")));
        am.update(&txn).await?;
        events::append(
            &txn,
            events::NewEvent {
                request_id: rid,
                message_id: Some(id),
                actor: actor.into(),
                kind: EventKind::ResendChosen,
                note: Some(format!("message {id} was uncertain; sent again")),
                ..Default::default()
            },
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Moves chasers awaiting approval to the queue, with an event naming who approved.
pub async fn approve(
    db: &DatabaseConnection,
    ids: &[i32],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let txn = super::write_txn(db).await?;
    let waiting = message::Entity::find()
        .filter(message::Column::Direction.eq(OUT))
        .filter(message::Column::State.eq(OutboundState::Approval.as_str()))
        .filter(message::Column::Id.is_in(ids.to_vec()))
        .all(&txn)
        .await?;
    for m in &waiting {
        let mut am: message::ActiveModel = m.clone().into();
        am.state = Set(OutboundState::Queued.as_str().into());
        am.update(&txn).await?;
        events::append(
            &txn,
            events::NewEvent {
                request_id: m.request_id,
                message_id: Some(m.id),
                actor: actor.into(),
                kind: EventKind::LetterApproved(m.kind.parse().map_err(StoreError::Invalid)?),
                note: m.message_id.clone(),
                ..Default::default()
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(waiting.len() as u64)
}

/// How many letters of a request have been sent.
pub async fn count_sent_for_request(
    db: &DatabaseConnection,
    request_id: i32,
) -> Result<u64, StoreError> {
    Ok(message::Entity::find()
        .filter(message::Column::Direction.eq(OUT))
        .filter(message::Column::RequestId.eq(request_id))
        .filter(message::Column::State.eq(OutboundState::Sent.as_str()))
        .count(db)
        .await?)
}

/// Skips chaser `id` waiting for approval: it is never sent, and its step counts as taken.
/// False when it is not waiting for approval (approved or skipped meanwhile).
pub async fn skip(
    db: &DatabaseConnection,
    id: i32,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let txn = super::write_txn(db).await?;
    let Some(m) = waiting_for_approval(&txn, id).await? else {
        return Ok(false);
    };
    let mut am: message::ActiveModel = m.clone().into();
    am.state = Set(OutboundState::Skipped.as_str().into());
    am.update(&txn).await?;
    events::append(
        &txn,
        events::NewEvent {
            request_id: m.request_id,
            message_id: Some(m.id),
            actor: actor.into(),
            kind: EventKind::LetterSkipped,
            note: Some(format!("not sent: {}", m.subject)),
            ..Default::default()
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Replaces the stored letter of chaser `id` waiting for approval with an edited one (same
/// Message-ID). False when it is not waiting for approval.
pub async fn replace_letter(
    db: &DatabaseConnection,
    id: i32,
    raw_sha256: &str,
    raw_size: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let txn = super::write_txn(db).await?;
    let Some(m) = waiting_for_approval(&txn, id).await? else {
        return Ok(false);
    };
    let mut am: message::ActiveModel = m.clone().into();
    am.raw_sha256 = Set(Some(raw_sha256.to_string()));
    am.raw_size = Set(Some(raw_size));
    am.update(&txn).await?;
    events::append(
        &txn,
        events::NewEvent {
            request_id: m.request_id,
            message_id: Some(m.id),
            actor: actor.into(),
            kind: EventKind::LetterEdited,
            note: m.message_id.clone(),
            ..Default::default()
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

async fn waiting_for_approval(
    txn: &sea_orm::DatabaseTransaction,
    id: i32,
) -> Result<Option<message::Model>, StoreError> {
    Ok(message::Entity::find_by_id(id)
        .filter(message::Column::Direction.eq(OUT))
        .filter(message::Column::State.eq(OutboundState::Approval.as_str()))
        .one(txn)
        .await?)
}

/// The team's digest, ready to queue (one per day: its Message-ID names the date).
pub struct NewDigest<'a> {
    pub message_id: &'a MessageId,
    pub subject: &'a str,
    pub to: &'a EmailAddress,
    pub raw_sha256: &'a str,
    pub raw_size: i64,
}

/// Queues the digest unless one with its Message-ID exists; true when queued now.
pub async fn enqueue_digest(
    db: &DatabaseConnection,
    d: NewDigest<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let exists = message::Entity::find()
        .filter(message::Column::Direction.eq(OUT))
        .filter(message::Column::MessageId.eq(d.message_id.as_str()))
        .count(db)
        .await?;
    if exists > 0 {
        return Ok(false);
    }
    message::ActiveModel {
        request_id: Set(None),
        direction: Set(OUT.into()),
        kind: Set(MessageKind::Digest.as_str().into()),
        message_id: Set(Some(d.message_id.to_string())),
        subject: Set(d.subject.into()),
        from_addr: Set(d.to.to_string()),
        to_addr: Set(d.to.to_string()),
        state: Set(OutboundState::Queued.as_str().into()),
        attempts: Set(0),
        raw_sha256: Set(Some(d.raw_sha256.into())),
        raw_size: Set(Some(d.raw_size)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(true)
}

/// Our outbound message with this Message-ID, if any (bounces and delay notices name it):
/// its id and the request it is on.
pub(crate) async fn by_message_id(
    db: &DatabaseConnection,
    message_id: &str,
) -> Result<Option<(i32, Option<i32>)>, StoreError> {
    Ok(message::Entity::find()
        .filter(message::Column::Direction.eq(OUT))
        .filter(message::Column::MessageId.eq(message_id))
        .one(db)
        .await?
        .map(|m| (m.id, m.request_id)))
}

/// Calls a held launch back: withdraws every request letter of the round not yet handed to
/// the mail server (still `queued`: a letter being sent or sent stays), with an event on each
/// request, and makes the round a draft again when no request letter of it remains. Returns
/// (letters withdrawn, references whose letter had already gone or is going).
pub async fn withdraw_launch(
    db: &DatabaseConnection,
    round_id: i32,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(usize, Vec<String>), StoreError> {
    use super::entities::round;
    let txn = super::write_txn(db).await?;
    let reqs: HashMap<i32, String> = request::Entity::find()
        .filter(request::Column::RoundId.eq(round_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.reference))
        .collect();
    let ids: Vec<i32> = reqs.keys().copied().collect();
    let mut letters = Vec::new();
    for chunk in ids.chunks(500) {
        letters.extend(
            message::Entity::find()
                .filter(message::Column::Direction.eq(OUT))
                .filter(message::Column::Kind.eq(MessageKind::Request.as_str()))
                .filter(message::Column::RequestId.is_in(chunk.to_vec()))
                .all(&txn)
                .await?,
        );
    }
    let (mut withdrawn, mut gone) = (0, Vec::new());
    for m in letters {
        let reference = m
            .request_id
            .and_then(|r| reqs.get(&r).cloned())
            .unwrap_or_default();
        if m.state != OutboundState::Queued.as_str() {
            gone.push(reference);
            continue;
        }
        // Only a letter no worker holds: the state is checked again in the delete.
        let deleted = message::Entity::delete_many()
            .filter(message::Column::Id.eq(m.id))
            .filter(message::Column::State.eq(OutboundState::Queued.as_str()))
            .exec(&txn)
            .await?;
        if deleted.rows_affected == 0 {
            gone.push(reference);
            continue;
        }
        withdrawn += 1;
        events::append(
            &txn,
            events::NewEvent::on_request(
                m.request_id.unwrap_or_default(),
                actor,
                EventKind::LaunchCancelled,
            )
            .note(format!(
                "{} to {} withdrawn before it went",
                m.message_id.unwrap_or_default(),
                m.to_addr
            )),
            now,
        )
        .await?;
    }
    if gone.is_empty() {
        if let Some(r) = round::Entity::find_by_id(round_id).one(&txn).await? {
            let mut am: round::ActiveModel = r.into();
            am.launched_at = Set(None);
            am.update(&txn).await?;
        }
    }
    txn.commit().await?;
    gone.sort();
    Ok((withdrawn, gone))
}

/// The latest moment a queued request letter of the round is held until, if any is still
/// held (its `next_attempt_at` after `now`): a launch's call-back window.
pub async fn held_until(
    db: &DatabaseConnection,
    round_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    use super::entities::request;
    use sea_orm::QuerySelect;
    let ids: Vec<i32> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::RoundId.eq(round_id))
        .into_tuple()
        .all(db)
        .await?;
    let mut latest = None;
    for chunk in ids.chunks(500) {
        let found: Vec<Option<DateTime<Utc>>> = message::Entity::find()
            .select_only()
            .column(message::Column::NextAttemptAt)
            .filter(message::Column::Direction.eq(OUT))
            .filter(message::Column::Kind.eq(MessageKind::Request.as_str()))
            .filter(message::Column::State.eq(OutboundState::Queued.as_str()))
            .filter(message::Column::NextAttemptAt.gt(now))
            .filter(message::Column::RequestId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        latest = latest.max(found.into_iter().flatten().max());
    }
    Ok(latest)
}
