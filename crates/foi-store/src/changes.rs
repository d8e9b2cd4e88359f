//! Changes to a request that reach across tables, each in one transaction: a confirmed state
//! change (the request, its waiting replies marked classified, the board's values, an event)
//! and due dates moved by a calendar refresh.

use super::entities::request;
use super::{events, StoreError};
use crate::domain::event::EventKind;
use crate::domain::request::{Clocks, RequestState};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use serde::Serialize;

/// A confirmed state change, ready to store.
#[derive(Debug, Clone)]
pub struct StateUpdate {
    pub request_id: i32,
    /// The dates before the change (kept on the event, so a change made in error can be
    /// undone).
    pub before: Clocks,
    /// The state the change was decided from (a concurrent change is refused).
    pub from: RequestState,
    pub to: RequestState,
    pub clocks: Clocks,
    /// The London date it happened.
    pub on: chrono::NaiveDate,
    pub note: Option<String>,
}

/// Applies a confirmed state change: new state and clocks, an event, and the request's
/// waiting replies marked classified — in one transaction.
pub async fn update_state(
    db: &DatabaseConnection,
    cal: &crate::domain::calendar::Calendar,
    u: StateUpdate,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let StateUpdate {
        request_id,
        before,
        from,
        to,
        clocks,
        on,
        note,
    } = u;
    let txn = super::write_txn(db).await?;
    move_request(&txn, request_id, from, to, &clocks, now).await?;
    events::append(
        &txn,
        events::NewEvent {
            request_id: Some(request_id),
            actor: actor.into(),
            kind: EventKind::StateChanged,
            from_state: Some(from.as_str().into()),
            to_state: Some(to.as_str().into()),
            effective_on: Some(on),
            note,
            data: Some(serde_json::json!({
                "received_on": clocks.received_on, "due_on": clocks.due_on,
                "review_due_on": clocks.review_due_on,
                "before": {"received_on": before.received_on, "due_on": before.due_on,
                           "review_due_on": before.review_due_on},
            })),
            ..Default::default()
        },
        now,
    )
    .await?;
    super::inbox::mark_classified(&txn, request_id).await?;
    super::board_values::refresh_deadlines(&txn, cal, &[request_id]).await?;
    txn.commit().await?;
    Ok(())
}

/// Moves a request from `from` (refused as a conflict when it changed meanwhile) to `to`,
/// with its new dates.
async fn move_request(
    txn: &sea_orm::DatabaseTransaction,
    request_id: i32,
    from: RequestState,
    to: RequestState,
    clocks: &Clocks,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let r = request::Entity::find_by_id(request_id)
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no request {request_id}")))?;
    if r.state != from.as_str() {
        return Err(StoreError::Conflict(format!(
            "request {} changed to `{}` meanwhile; look again and retry",
            r.reference, r.state
        )));
    }
    let mut am: request::ActiveModel = r.into();
    am.state = Set(to.as_str().into());
    am.received_on = Set(clocks.received_on);
    am.due_on = Set(clocks.due_on);
    am.review_due_on = Set(clocks.review_due_on);
    am.updated_at = Set(now);
    am.update(txn).await?;
    Ok(())
}

/// A state change undone because it was made in error.
#[derive(Debug, Clone)]
pub struct Correction {
    pub request_id: i32,
    /// The mistaken state (the request's state now; a concurrent change is refused).
    pub from: RequestState,
    /// The state before the mistake, and its dates.
    pub to: RequestState,
    pub clocks: Clocks,
    /// The event of the mistaken change.
    pub corrects: i32,
    /// The London date of the correction.
    pub on: chrono::NaiveDate,
    pub note: Option<String>,
}

/// Undoes a state change made in error: the state and dates before it, and an event naming
/// the change it undoes, in one transaction.
pub async fn correct_state(
    db: &DatabaseConnection,
    cal: &crate::domain::calendar::Calendar,
    c: Correction,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = super::write_txn(db).await?;
    move_request(&txn, c.request_id, c.from, c.to, &c.clocks, now).await?;
    events::append(
        &txn,
        events::NewEvent {
            request_id: Some(c.request_id),
            actor: actor.into(),
            kind: EventKind::StateCorrected,
            from_state: Some(c.from.as_str().into()),
            to_state: Some(c.to.as_str().into()),
            effective_on: Some(c.on),
            note: c.note,
            data: Some(serde_json::json!({"corrects": c.corrects})),
            ..Default::default()
        },
        now,
    )
    .await?;
    super::board_values::refresh_deadlines(&txn, cal, &[c.request_id]).await?;
    txn.commit().await?;
    Ok(())
}

/// A due date a calendar refresh moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueChange {
    pub request_id: i32,
    pub reference: String,
    /// The internal review's due date (otherwise the response's).
    pub review: bool,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// Why, in words: "bank holiday added in Scotland (2026-06-15, …)".
    pub because: String,
}

/// Moves due dates, with an event on each request, in one transaction. A request whose date
/// changed meanwhile is left as it is.
pub async fn apply_due_changes(
    db: &DatabaseConnection,
    cal: &crate::domain::calendar::Calendar,
    changes: &[DueChange],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let txn = super::write_txn(db).await?;
    let mut n = 0;
    for c in changes {
        let Some(r) = request::Entity::find_by_id(c.request_id).one(&txn).await? else {
            continue;
        };
        let current = if c.review { r.review_due_on } else { r.due_on };
        if current != Some(c.from) {
            continue;
        }
        let mut am: request::ActiveModel = r.into();
        if c.review {
            am.review_due_on = Set(Some(c.to));
        } else {
            am.due_on = Set(Some(c.to));
        }
        am.updated_at = Set(now);
        am.update(&txn).await?;
        events::append(
            &txn,
            events::NewEvent {
                request_id: Some(c.request_id),
                actor: actor.into(),
                kind: EventKind::DueDateMoved,
                note: Some(format!(
                    "{} moved from {} to {}: {}",
                    if c.review {
                        "internal review due date"
                    } else {
                        "due date"
                    },
                    c.from,
                    c.to,
                    c.because
                )),
                data: Some(serde_json::json!({"from": c.from, "to": c.to, "review": c.review})),
                ..Default::default()
            },
            now,
        )
        .await?;
        n += 1;
    }
    let ids: Vec<i32> = changes.iter().map(|c| c.request_id).collect();
    super::board_values::refresh_deadlines(&txn, cal, &ids).await?;
    txn.commit().await?;
    Ok(n)
}
