//! One received message, several requests. A shared FOI team may answer for several bodies in
//! one e-mail: the message is stored once (its bytes, its row) on its own request, and each
//! further request it answers gets a *copy* row (`copy_for` = that request's id) with the same
//! bytes, headers, text and attachments. Each request then classifies, codes, times, bundles
//! and publishes its copy on its own; the inbox and triage list only the message itself
//! (`copy_for = 0`), so it counts once.

use super::entities::{attachment, message, request};
use super::{board_values, events, StoreError};
use crate::domain::event::EventKind;
use crate::domain::message::{Direction, InboundState};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};
use std::collections::{BTreeSet, HashMap};

const IN: &str = Direction::In.as_str();

/// Links stored message `original` (its own row, not a copy) to `request_id` as well, in the
/// caller's transaction. `how` says why (`reference`, `sender`, `assigned by Sam`). Returns the
/// copy's id, or `None` when the message is already on that request.
pub async fn link(
    txn: &impl ConnectionTrait,
    original: &message::Model,
    request_id: i32,
    how: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<i32>, StoreError> {
    if original.request_id == Some(request_id) {
        return Ok(None);
    }
    let exists = message::Entity::find()
        .filter(message::Column::Direction.eq(IN))
        .filter(message::Column::RawSha256.eq(original.raw_sha256.clone()))
        .filter(message::Column::CopyFor.eq(request_id))
        .count(txn)
        .await?;
    if exists > 0 {
        return Ok(None);
    }
    request::Entity::find_by_id(request_id)
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no request {request_id}")))?;
    let state = match original.state.parse::<InboundState>() {
        // A copy waits to be classified on its own request, whatever the original's fate.
        Ok(InboundState::Auto) => InboundState::Auto,
        _ => InboundState::Matched,
    };
    let mut copy: message::ActiveModel = original.clone().into();
    copy.id = sea_orm::ActiveValue::NotSet;
    copy.request_id = Set(Some(request_id));
    copy.copy_for = Set(request_id);
    copy.state = Set(state.as_str().into());
    copy.match_rule = Set(Some(how.to_string()));
    copy.created_at = Set(now);
    let copy = copy.insert(txn).await?;
    for a in attachment::Entity::find()
        .filter(attachment::Column::MessageId.eq(original.id))
        .all(txn)
        .await?
    {
        let mut c: attachment::ActiveModel = a.into();
        c.id = sea_orm::ActiveValue::NotSet;
        c.message_id = Set(copy.id);
        c.insert(txn).await?;
    }
    board_values::refresh_counts(txn, &[request_id]).await?;
    let on = match original.request_id {
        Some(rid) => request::Entity::find_by_id(rid)
            .one(txn)
            .await?
            .map(|r| format!("; the same message is on {}", r.reference))
            .unwrap_or_default(),
        None => String::new(),
    };
    events::append(
        txn,
        events::NewEvent {
            request_id: Some(request_id),
            message_id: Some(copy.id),
            actor: actor.into(),
            kind: EventKind::Received(original.kind.parse().map_err(StoreError::Invalid)?),
            note: Some(format!(
                "from {} \"{}\"; linked by {how} (one message answering several requests){on}",
                original.from_addr, original.subject
            )),
            data: Some(serde_json::json!({"message": copy.id, "copy_of": original.id})),
            ..Default::default()
        },
        now,
    )
    .await?;
    Ok(Some(copy.id))
}

/// For each of these messages, the references of the *other* requests the same received
/// message is on (its own request's and its copies').
pub async fn also_on(
    db: &impl ConnectionTrait,
    rows: &[message::Model],
) -> Result<HashMap<i32, Vec<String>>, StoreError> {
    let shas: BTreeSet<String> = rows
        .iter()
        .filter(|m| m.direction == IN)
        .filter_map(|m| m.raw_sha256.clone())
        .collect();
    let mut on: HashMap<String, BTreeSet<i32>> = HashMap::new();
    let mut requests = BTreeSet::new();
    let shas: Vec<String> = shas.into_iter().collect();
    for chunk in shas.chunks(500) {
        let found: Vec<(Option<String>, Option<i32>)> = message::Entity::find()
            .select_only()
            .column(message::Column::RawSha256)
            .column(message::Column::RequestId)
            .filter(message::Column::Direction.eq(IN))
            .filter(message::Column::RawSha256.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        for (sha, rid) in found {
            if let (Some(sha), Some(rid)) = (sha, rid) {
                on.entry(sha).or_default().insert(rid);
                requests.insert(rid);
            }
        }
    }
    if on.values().all(|s| s.len() < 2) {
        return Ok(HashMap::new());
    }
    let refs: HashMap<i32, String> = request::Entity::find()
        .filter(request::Column::Id.is_in(requests))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.reference))
        .collect();
    Ok(rows
        .iter()
        .filter_map(|m| {
            let all = on.get(m.raw_sha256.as_ref()?)?;
            let others: Vec<String> = all
                .iter()
                .filter(|r| Some(**r) != m.request_id)
                .filter_map(|r| refs.get(r).cloned())
                .collect();
            (!others.is_empty()).then_some((m.id, others))
        })
        .collect())
}
