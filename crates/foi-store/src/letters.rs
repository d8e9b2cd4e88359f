//! Our letters as the views read them: each request's letter history (for the chaser ladder),
//! a request's outbound thread, and the chasers sent lately (the digest).

use super::entities::message;
use super::StoreError;
use crate::domain::ids::MessageId;
use crate::domain::message::{Direction, MessageKind, OutboundState};
use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde::Serialize;
use std::collections::HashMap;

const OUT: &str = Direction::Out.as_str();

fn parse_state(s: &str) -> Result<OutboundState, StoreError> {
    s.parse().map_err(StoreError::Invalid)
}

fn parse_kind(s: &str) -> Result<MessageKind, StoreError> {
    s.parse().map_err(StoreError::Invalid)
}

/// What the chaser ladder needs to know of a request's letters: the request letter (for
/// threading) and the highest chase step taken.
#[derive(Debug, Clone, Default)]
pub struct LetterHistory {
    /// The request letter, once sent: (London date sent, subject, Message-ID).
    pub original: Option<(chrono::NaiveDate, String, MessageId)>,
    pub highest_step: Option<usize>,
    /// The chase steps sent so far: (step, London date sent), oldest first.
    pub steps_sent: Vec<(usize, chrono::NaiveDate)>,
}

/// The same for some requests only (a page of the board, a batch of the chaser run, the
/// overdue ones), asked for a few hundred at a time (a database limits a statement's values).
pub async fn letter_histories_of(
    db: &DatabaseConnection,
    ids: Option<&[i32]>,
) -> Result<HashMap<i32, LetterHistory>, StoreError> {
    let mut out = HashMap::new();
    match ids {
        None => histories(db, None, &mut out).await?,
        Some(ids) => {
            for chunk in ids.chunks(500) {
                histories(db, Some(chunk), &mut out).await?;
            }
        }
    }
    Ok(out)
}

/// The outbound letters of these requests (all with `None`), projected to what a letter
/// history needs; `ix_messages_request_direction` serves it.
pub(crate) fn histories_select(ids: Option<&[i32]>) -> sea_orm::Select<message::Entity> {
    message::Entity::find()
        .select_only()
        .column(message::Column::RequestId)
        .column(message::Column::Kind)
        .column(message::Column::ChaseStep)
        .column(message::Column::SentAt)
        .column(message::Column::MessageId)
        .column(message::Column::Subject)
        .filter(message::Column::Direction.eq(OUT))
        .apply_if(ids, |q, ids| {
            q.filter(message::Column::RequestId.is_in(ids.iter().copied()))
        })
}

async fn histories(
    db: &DatabaseConnection,
    ids: Option<&[i32]>,
    out: &mut HashMap<i32, LetterHistory>,
) -> Result<(), StoreError> {
    type Row = (
        Option<i32>,
        String,
        Option<i32>,
        Option<DateTime<Utc>>,
        Option<String>,
        String,
    );
    let rows: Vec<Row> = histories_select(ids).into_tuple().all(db).await?;
    for (rid, kind, chase_step, sent_at, message_id, subject) in rows {
        let Some(rid) = rid else { continue };
        let e = out.entry(rid).or_default();
        if parse_kind(&kind)? == MessageKind::Request {
            if let (Some(at), Some(id)) = (
                sent_at,
                message_id.and_then(|m| m.parse::<MessageId>().ok()),
            ) {
                e.original = Some((at.with_timezone(&London).date_naive(), subject, id));
            }
        }
        if let Some(step) = chase_step {
            let step = step as usize;
            e.highest_step = Some(e.highest_step.map_or(step, |h| h.max(step)));
            if let Some(at) = sent_at {
                e.steps_sent
                    .push((step, at.with_timezone(&London).date_naive()));
                e.steps_sent.sort();
            }
        }
    }
    Ok(())
}

/// An outbound message as the request page and the digest show it.
#[derive(Debug, Clone, Serialize)]
pub struct SentLetter {
    pub id: i32,
    pub request_id: Option<i32>,
    pub kind: MessageKind,
    pub state: OutboundState,
    pub to: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// The stored message, as it was (or will be) sent.
    pub raw_sha256: Option<String>,
    /// For a chaser, its step on the round's ladder (0 = the first reminder).
    pub chase_step: Option<i32>,
}

fn to_letter(m: message::Model) -> Result<SentLetter, StoreError> {
    Ok(SentLetter {
        id: m.id,
        request_id: m.request_id,
        kind: parse_kind(&m.kind)?,
        state: parse_state(&m.state)?,
        to: m.to_addr,
        subject: m.subject,
        created_at: m.created_at,
        sent_at: m.sent_at,
        raw_sha256: m.raw_sha256.clone(),
        chase_step: m.chase_step,
    })
}

/// The outbound messages of one request, oldest first.
pub async fn for_request(
    db: &DatabaseConnection,
    request_id: i32,
) -> Result<Vec<SentLetter>, StoreError> {
    matching(db, message::Column::RequestId.eq(request_id)).await
}

/// Chasers sent since `since` (the digest).
pub async fn chasers_sent_since(
    db: &DatabaseConnection,
    since: DateTime<Utc>,
) -> Result<Vec<SentLetter>, StoreError> {
    let cond = sea_orm::Condition::all()
        .add(message::Column::ChaseStep.is_not_null())
        .add(message::Column::SentAt.gte(since));
    matching(db, cond).await
}

/// Every chaser ever queued, of every round, oldest first.
pub async fn chasers(db: &DatabaseConnection) -> Result<Vec<SentLetter>, StoreError> {
    matching(db, message::Column::ChaseStep.is_not_null()).await
}

/// Our letters meeting `cond`, oldest first.
async fn matching(
    db: &DatabaseConnection,
    cond: impl sea_orm::sea_query::IntoCondition,
) -> Result<Vec<SentLetter>, StoreError> {
    message::Entity::find()
        .filter(message::Column::Direction.eq(OUT))
        .filter(cond)
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_letter)
        .collect()
}
