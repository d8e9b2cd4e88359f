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
use crate::domain::request::{transition, Clocks, State};
use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, Statement, Value,
};
use serde::Serialize;
use std::collections::HashSet;

pub const QUEUED: &str = "queued";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
pub const BOUNCED: &str = "bounced";
pub const UNCERTAIN: &str = "uncertain";
/// A chaser waiting for the team's approval.
pub const APPROVAL: &str = "approval";
/// A draft for the team (e.g. an ICO complaint); never sent by `foi`.
pub const DRAFT: &str = "draft";

#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub request_id: i32,
    pub kind: String,
    pub chase_step: Option<i32>,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub subject: String,
    pub from_addr: String,
    pub to_addr: String,
    pub raw_sha256: String,
    pub raw_size: i64,
    pub state: &'static str,
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
    let ids: Vec<String> = items.iter().map(|i| i.message_id.clone()).collect();
    let mut existing: HashSet<String> = HashSet::new();
    for chunk in ids.chunks(500) {
        let found = message::Entity::find()
            .filter(message::Column::Direction.eq("out"))
            .filter(message::Column::MessageId.is_in(chunk.to_vec()))
            .all(&txn)
            .await?;
        existing.extend(found.into_iter().filter_map(|m| m.message_id));
    }
    let mut n = 0;
    for it in items {
        if !existing.insert(it.message_id.clone()) {
            continue;
        }
        message::ActiveModel {
            request_id: Set(Some(it.request_id)),
            direction: Set("out".into()),
            kind: Set(it.kind.clone()),
            chase_step: Set(it.chase_step),
            message_id: Set(Some(it.message_id.clone())),
            in_reply_to: Set(it.in_reply_to.clone()),
            references_hdr: Set(it.in_reply_to.clone()),
            subject: Set(it.subject),
            from_addr: Set(it.from_addr),
            to_addr: Set(it.to_addr.clone()),
            state: Set(it.state.to_string()),
            attempts: Set(0),
            raw_sha256: Set(Some(it.raw_sha256)),
            raw_size: Set(Some(it.raw_size)),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        events::append(
            &txn,
            events::NewEvent {
                request_id: it.request_id,
                actor: actor.into(),
                kind: format!(
                    "{}_{}",
                    it.kind,
                    if it.state == QUEUED {
                        "queued"
                    } else {
                        it.state
                    }
                ),
                note: Some(format!("{} to {}", it.message_id, it.to_addr)),
                ..Default::default()
            },
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
    pub kind: String,
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
            "UPDATE messages SET state = 'sending', claimed_by = $1, claimed_at = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM messages WHERE direction = 'out' AND state = 'queued' \
                         AND (next_attempt_at IS NULL OR next_attempt_at <= $3) \
                         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING id",
            vec![worker.into(), now.into(), now.into()],
        ),
        _ => (
            "UPDATE messages SET state = 'sending', claimed_by = ?, claimed_at = ?, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM messages WHERE direction = 'out' AND state = 'queued' \
                         AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT 1) \
             AND state = 'queued' RETURNING id",
            vec![worker.into(), now.into(), now.into()],
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
        kind: m.kind,
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
        .filter(message::Column::Direction.eq("out"))
        .filter(message::Column::State.eq(QUEUED))
        .order_by_asc(message::Column::NextAttemptAt)
        .one(db)
        .await?;
    Ok(m.map(|m| m.next_attempt_at))
}

pub async fn count_in_state(db: &DatabaseConnection, state: &str) -> Result<u64, StoreError> {
    Ok(message::Entity::find()
        .filter(message::Column::Direction.eq("out"))
        .filter(message::Column::State.eq(state))
        .count(db)
        .await?)
}

/// Messages sent since `since` (the per-day throttle).
pub async fn sent_since(db: &DatabaseConnection, since: DateTime<Utc>) -> Result<u64, StoreError> {
    Ok(message::Entity::find()
        .filter(message::Column::Direction.eq("out"))
        .filter(message::Column::State.eq(SENT))
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
    let kind = m.kind.clone();
    let mut am: message::ActiveModel = m.into();
    am.state = Set(SENT.into());
    am.sent_at = Set(Some(now));
    am.last_error = Set(None);
    am.update(&txn).await?;
    if let Some(rid) = request_id {
        let r = request::Entity::find_by_id(rid)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("request {rid}")))?;
        let state: State = r.state.parse().map_err(StoreError::Invalid)?;
        let mut note = format!("{kind} accepted by the server: {server_reply}");
        let mut ev = events::NewEvent {
            request_id: rid,
            actor: actor.into(),
            kind: format!("{kind}_sent"),
            ..Default::default()
        };
        // Sending a request letter starts the statutory clock; sending our internal review
        // request starts the review's own 20-working-day clock.
        let target = match (kind.as_str(), state) {
            ("request", State::Draft) => Some(State::AwaitingResponse),
            ("internal_review", s) if s.awaiting_body() => Some(State::InternalReviewRequested),
            _ => None,
        };
        if let Some(to) = target {
            let today = now.with_timezone(&London).date_naive();
            let clocks = Clocks {
                received_on: r.received_on,
                due_on: r.due_on,
                review_due_on: r.review_due_on,
            };
            let c = transition(cal, state, to, clocks, today, None)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let mut ra: request::ActiveModel = r.into();
            ra.state = Set(to.as_str().into());
            if to == State::AwaitingResponse {
                ra.sent_at = Set(Some(now));
            }
            ra.received_on = Set(c.received_on);
            ra.due_on = Set(c.due_on);
            ra.review_due_on = Set(c.review_due_on);
            ra.updated_at = Set(now);
            ra.update(&txn).await?;
            ev.from_state = Some(state.as_str().into());
            ev.to_state = Some(to.as_str().into());
            ev.effective_on = Some(today);
            let show = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            note.push_str(&match to {
                State::AwaitingResponse => {
                    format!("; received {today}, due {} (FOIA s.10)", show(c.due_on))
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
            am.state = Set(QUEUED.into());
            am.next_attempt_at = Set(Some(t));
        }
        None => am.state = Set(FAILED.into()),
    }
    am.update(&txn).await?;
    if let (None, Some(rid)) = (next_at, rid) {
        events::append(
            &txn,
            events::NewEvent {
                request_id: rid,
                actor: "foi send".into(),
                kind: "delivery_failed".into(),
                note: Some(error.to_string()),
                ..Default::default()
            },
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
    am.state = Set(BOUNCED.into());
    am.last_error = Set(Some(error.to_string()));
    am.update(&txn).await?;
    if let Some(rid) = rid {
        events::append(
            &txn,
            events::NewEvent {
                request_id: rid,
                actor: "foi send".into(),
                kind: "bounced".into(),
                note: Some(error.to_string()),
                ..Default::default()
            },
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
) -> Result<u64, StoreError> {
    let mut q = message::Entity::update_many()
        .col_expr(message::Column::State, sea_orm::sea_query::Expr::value(UNCERTAIN))
        .col_expr(
            message::Column::LastError,
            sea_orm::sea_query::Expr::value(
                "the sending process stopped during the SMTP transaction; it may or may not have been delivered",
            ),
        )
        .filter(message::Column::Direction.eq("out"))
        .filter(message::Column::State.eq(SENDING));
    if let Some(t) = claimed_before {
        q = q.filter(message::Column::ClaimedAt.lt(t));
    }
    Ok(q.exec(db).await?.rows_affected)
}

/// A message not yet sent, for `foi outbox`.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxItem {
    pub id: i32,
    pub reference: Option<String>,
    pub kind: String,
    pub state: String,
    pub to: String,
    pub subject: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub message_id: Option<String>,
}

pub async fn list_unsent(db: &DatabaseConnection) -> Result<Vec<OutboxItem>, StoreError> {
    let rows = message::Entity::find()
        .filter(message::Column::Direction.eq("out"))
        .filter(message::Column::State.ne(SENT))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?;
    let req_ids: HashSet<i32> = rows.iter().filter_map(|m| m.request_id).collect();
    let refs: std::collections::HashMap<i32, String> = request::Entity::find()
        .filter(request::Column::Id.is_in(req_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.reference))
        .collect();
    Ok(rows
        .into_iter()
        .map(|m| OutboxItem {
            id: m.id,
            reference: m.request_id.and_then(|r| refs.get(&r).cloned()),
            kind: m.kind,
            state: m.state,
            to: m.to_addr,
            subject: m.subject,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
            message_id: m.message_id,
        })
        .collect())
}

/// Puts a failed or bounced message back in the queue (attempts reset).
pub async fn retry(db: &DatabaseConnection, id: Option<i32>) -> Result<u64, StoreError> {
    let mut q = message::Entity::update_many()
        .col_expr(
            message::Column::State,
            sea_orm::sea_query::Expr::value(QUEUED),
        )
        .col_expr(
            message::Column::Attempts,
            sea_orm::sea_query::Expr::value(0),
        )
        .col_expr(
            message::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(message::Column::Direction.eq("out"))
        .filter(message::Column::State.is_in([FAILED, BOUNCED]));
    if let Some(id) = id {
        let m = load(db, id).await?;
        if m.state != FAILED && m.state != BOUNCED {
            return Err(StoreError::Invalid(format!(
                "message {id} is `{}`; only failed or bounced messages can be retried{}",
                m.state,
                if m.state == UNCERTAIN {
                    " (use `foi outbox resolve ID --sent|--resend`)"
                } else {
                    ""
                }
            )));
        }
        q = q.filter(message::Column::Id.eq(id));
    }
    Ok(q.exec(db).await?.rows_affected)
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
    if m.state != UNCERTAIN {
        return Err(StoreError::Invalid(format!(
            "message {id} is `{}`, not uncertain; nothing to resolve",
            m.state
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
        let rid = m.request_id;
        let mut am: message::ActiveModel = m.into();
        am.state = Set(QUEUED.into());
        am.next_attempt_at = Set(None);
        am.last_error = Set(Some(format!("resend chosen by {actor}")));
        am.update(db).await?;
        if let Some(rid) = rid {
            events::append(
                db,
                events::NewEvent {
                    request_id: rid,
                    actor: actor.into(),
                    kind: "resend_chosen".into(),
                    note: Some(format!("message {id} was uncertain; sent again")),
                    ..Default::default()
                },
                now,
            )
            .await?;
        }
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
        .filter(message::Column::State.eq(APPROVAL))
        .filter(message::Column::Id.is_in(ids.to_vec()))
        .all(&txn)
        .await?;
    for m in &waiting {
        let mut am: message::ActiveModel = m.clone().into();
        am.state = Set(QUEUED.into());
        am.update(&txn).await?;
        if let Some(rid) = m.request_id {
            events::append(
                &txn,
                events::NewEvent {
                    request_id: rid,
                    actor: actor.into(),
                    kind: format!("{}_approved", m.kind),
                    note: m.message_id.clone(),
                    ..Default::default()
                },
                now,
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(waiting.len() as u64)
}

/// Queues the team's digest (one per day: its Message-ID is the date).
pub async fn enqueue_digest(
    db: &DatabaseConnection,
    message_id: &str,
    subject: &str,
    to: &str,
    raw_sha256: &str,
    raw_size: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let exists = message::Entity::find()
        .filter(message::Column::Direction.eq("out"))
        .filter(message::Column::MessageId.eq(message_id))
        .count(db)
        .await?;
    if exists > 0 {
        return Ok(false);
    }
    message::ActiveModel {
        request_id: Set(None),
        direction: Set("out".into()),
        kind: Set("digest".into()),
        message_id: Set(Some(message_id.into())),
        subject: Set(subject.into()),
        from_addr: Set(to.into()),
        to_addr: Set(to.into()),
        state: Set(QUEUED.into()),
        attempts: Set(0),
        raw_sha256: Set(Some(raw_sha256.into())),
        raw_size: Set(Some(raw_size)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(true)
}
